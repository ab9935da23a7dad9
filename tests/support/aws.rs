//! An independent reader: plain SDK clients pointed at the emulator, with their own access key
//! (so they never count as the test's own requests), used to check what pipewright did without
//! asking pipewright.

use std::future::Future;

use aws_config::{BehaviorVersion, Region};

use super::emulator;

pub struct Aws {
    pub iam: aws_sdk_iam::Client,
    pub s3: aws_sdk_s3::Client,
    pub codecommit: aws_sdk_codecommit::Client,
    pub codebuild: aws_sdk_codebuild::Client,
    pub codedeploy: aws_sdk_codedeploy::Client,
    pub codepipeline: aws_sdk_codepipeline::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub events: aws_sdk_eventbridge::Client,
}

/// The account the emulator puts everything in.
pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

impl Aws {
    pub fn new() -> Self {
        let config = block_on(
            aws_config::defaults(BehaviorVersion::latest())
                .region(Region::new(REGION))
                .endpoint_url(emulator::endpoint())
                .credentials_provider(aws_sdk_sts::config::Credentials::new(
                    "AKIDVERIFY",
                    "test",
                    None,
                    None,
                    "tests",
                ))
                .load(),
        );
        let s3 = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build();
        Self {
            iam: aws_sdk_iam::Client::new(&config),
            s3: aws_sdk_s3::Client::from_conf(s3),
            codecommit: aws_sdk_codecommit::Client::new(&config),
            codebuild: aws_sdk_codebuild::Client::new(&config),
            codedeploy: aws_sdk_codedeploy::Client::new(&config),
            codepipeline: aws_sdk_codepipeline::Client::new(&config),
            logs: aws_sdk_cloudwatchlogs::Client::new(&config),
            events: aws_sdk_eventbridge::Client::new(&config),
        }
    }
}

/// Run one future to completion (tests are synchronous; the SDK is not).
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

/// pipewright's own clients, pointed at the emulator as `scope`'s identity (so its requests land
/// in the scope's counter), built without touching the process environment: tests run in
/// parallel, each with its own access key.
pub fn clients(scope: &emulator::Scope) -> pipewright::aws::Clients {
    let config = block_on(
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(emulator::endpoint())
            // Injected faults are retried, quickly.
            .retry_config(
                aws_config::retry::RetryConfig::standard()
                    .with_initial_backoff(std::time::Duration::from_millis(5)),
            )
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                scope.access_key.clone(),
                "test",
                None,
                None,
                "tests",
            ))
            .load(),
    );
    let s3 = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(true)
        .build();
    pipewright::aws::Clients {
        iam: aws_sdk_iam::Client::new(&config),
        s3: aws_sdk_s3::Client::from_conf(s3),
        codecommit: aws_sdk_codecommit::Client::new(&config),
        codebuild: aws_sdk_codebuild::Client::new(&config),
        codedeploy: aws_sdk_codedeploy::Client::new(&config),
        codepipeline: aws_sdk_codepipeline::Client::new(&config),
        logs: aws_sdk_cloudwatchlogs::Client::new(&config),
        events: aws_sdk_eventbridge::Client::new(&config),
        connections: aws_sdk_codestarconnections::Client::new(&config),
        sts: aws_sdk_sts::Client::new(&config),
        endpoint: Some(emulator::endpoint().to_owned()),
        region: REGION.to_owned(),
        account_id: ACCOUNT.to_owned(),
    }
}
