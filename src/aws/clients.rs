//! One place that turns the user's AWS options into SDK clients.
//!
//! Commands resolve a [`Clients`] once and pass it down; nothing else builds a client, so tests
//! can point every call at the emulator and the retry/timeout policy is decided here only.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

use super::SdkResultExt;
use super::retry::RefusedIsFinal;

/// Where `--localstack` points.
pub const LOCALSTACK_ENDPOINT: &str = "http://localhost:4566";

/// Every client pipewright uses, built from one config.
#[derive(Debug, Clone)]
pub struct Clients {
    pub iam: aws_sdk_iam::Client,
    pub s3: aws_sdk_s3::Client,
    pub codecommit: aws_sdk_codecommit::Client,
    pub codebuild: aws_sdk_codebuild::Client,
    pub codedeploy: aws_sdk_codedeploy::Client,
    pub codepipeline: aws_sdk_codepipeline::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub events: aws_sdk_eventbridge::Client,
    pub connections: aws_sdk_codestarconnections::Client,
    pub sts: aws_sdk_sts::Client,
    /// The endpoint override, when talking to an emulator.
    pub endpoint: Option<String>,
    pub region: String,
    /// The account the credentials belong to (resolved by [`Clients::connect`]).
    pub account_id: String,
}

/// The resolved way to reach AWS: a settings value this layer owns, built by the command line
/// from its flags (`--profile`, `--region`, `--endpoint-url`, `--localstack`) and the spec.
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    /// Use fixed test credentials when none are configured (emulators accept anything).
    pub test_credentials: bool,
    /// The Region when nothing else names one (`--localstack`: [`DEFAULT_REGION`], as
    /// LocalStack's own tools assume).
    pub fallback_region: Option<String>,
}

/// The account offline commands build the model for: AWS's documentation example account.
pub const PLACEHOLDER_ACCOUNT: &str = "123456789012";
/// The Region offline commands use when nothing names one.
pub const DEFAULT_REGION: &str = "us-east-1";

/// The Region an offline command works in, and whether it was assumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineRegion {
    pub name: String,
    /// True when no flag, spec field or environment variable named the Region.
    pub guessed: bool,
}

impl AwsSettings {
    /// Settings from what the user typed: an empty endpoint is none, `localstack` means
    /// [`LOCALSTACK_ENDPOINT`] and Region [`DEFAULT_REGION`] when none is set (as LocalStack's
    /// `awslocal` does), and an emulator gets test credentials when none are configured.
    #[must_use]
    pub fn new(
        profile: Option<String>,
        region: Option<String>,
        endpoint_url: Option<String>,
        localstack: bool,
    ) -> Self {
        let endpoint = endpoint_url
            .filter(|url| !url.is_empty())
            .or_else(|| localstack.then(|| LOCALSTACK_ENDPOINT.to_owned()));
        let credentials_configured = std::env::var_os("AWS_ACCESS_KEY_ID").is_some()
            || profile.is_some()
            || std::env::var_os("AWS_PROFILE").is_some();
        Self {
            test_credentials: endpoint.is_some() && !credentials_configured,
            fallback_region: localstack.then(|| DEFAULT_REGION.to_owned()),
            profile,
            region,
            endpoint,
        }
    }

    /// The one Region rule: `--region` wins over the spec's `region`, which wins over what the
    /// SDK finds itself (`AWS_REGION`, the profile).
    #[must_use]
    pub fn or_spec_region(mut self, spec_region: Option<&str>) -> Self {
        if self.region.is_none() {
            self.region = spec_region.map(str::to_owned);
        }
        self
    }

    /// The Region for commands that call no AWS API (`cost`, `graph`): the same order, with the
    /// environment standing in for the SDK's lookup, then [`DEFAULT_REGION`].
    #[must_use]
    pub fn offline_region(&self) -> OfflineRegion {
        let environment = ["AWS_REGION", "AWS_DEFAULT_REGION"]
            .into_iter()
            .find_map(|key| std::env::var(key).ok().filter(|v| !v.is_empty()));
        match self.region.clone().or(environment) {
            Some(name) => OfflineRegion {
                name,
                guessed: false,
            },
            None => OfflineRegion {
                name: DEFAULT_REGION.to_owned(),
                guessed: true,
            },
        }
    }
}

impl Clients {
    /// Build the clients and learn which account they act in (one STS call, which also proves
    /// the endpoint answers and the credentials work before anything else is attempted).
    pub async fn connect(settings: &AwsSettings) -> Result<Self, super::AwsError> {
        let mut clients = Self::connect_anonymous_account(settings).await?;
        let identity = clients
            .sts
            .get_caller_identity()
            .send()
            .await
            .about("the caller")?;
        identity
            .account()
            .unwrap_or_default()
            .clone_into(&mut clients.account_id);
        Ok(clients)
    }

    /// Build the clients without asking STS who the caller is (`account_id` stays empty): for
    /// commands that only read a pipeline back, where the first real call proves the endpoint
    /// and the credentials anyway, one round trip sooner.
    pub async fn connect_anonymous_account(
        settings: &AwsSettings,
    ) -> Result<Self, super::AwsError> {
        let mut config = sdk_config(settings).await;
        if config.region().is_none()
            && let Some(fallback) = &settings.fallback_region
        {
            config = config
                .into_builder()
                .region(Region::new(fallback.clone()))
                .build();
        }
        let Some(region) = config.region().map(ToString::to_string) else {
            return Err(super::AwsError {
                operation: "configuration",
                subject: "the AWS Region".to_owned(),
                code: None,
                message: "no AWS Region is set".to_owned(),
                kind: super::ErrorKind::NoRegion,
            });
        };
        // Every client gets the same retry rule on top of the SDK's (`retry::RefusedIsFinal`).
        macro_rules! client {
            ($sdk:ident) => {
                $sdk::Client::from_conf(
                    $sdk::config::Builder::from(&config)
                        .retry_classifier(RefusedIsFinal)
                        .build(),
                )
            };
        }
        let s3_config = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(settings.endpoint.is_some())
            .retry_classifier(RefusedIsFinal)
            .build();
        Ok(Self {
            account_id: String::new(),
            iam: client!(aws_sdk_iam),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            codecommit: client!(aws_sdk_codecommit),
            codebuild: client!(aws_sdk_codebuild),
            codedeploy: client!(aws_sdk_codedeploy),
            codepipeline: client!(aws_sdk_codepipeline),
            logs: client!(aws_sdk_cloudwatchlogs),
            events: client!(aws_sdk_eventbridge),
            connections: client!(aws_sdk_codestarconnections),
            sts: client!(aws_sdk_sts),
            endpoint: settings.endpoint.clone(),
            region,
        })
    }

    /// The account and Region these clients act in, for computing ARNs.
    #[must_use]
    pub fn target(&self) -> crate::model::Target {
        crate::model::Target::new(self.account_id.clone(), self.region.clone())
    }

    /// The endpoint calls go to, for messages (`AWS` when not overridden).
    #[must_use]
    pub fn endpoint_label(&self) -> String {
        self.endpoint
            .clone()
            .unwrap_or_else(|| format!("AWS ({})", self.region))
    }
}

async fn sdk_config(settings: &AwsSettings) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry_config())
        .timeout_config(
            TimeoutConfig::builder()
                // An unreachable endpoint fails fast instead of hanging.
                .connect_timeout(Duration::from_secs(3))
                .read_timeout(Duration::from_mins(1))
                .build(),
        );
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(endpoint) = &settings.endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    if settings.test_credentials {
        loader = loader.credentials_provider(aws_sdk_sts::config::Credentials::new(
            "test",
            "test",
            None,
            None,
            "pipewright-test",
        ));
    }
    loader.load().await
}

/// Throttling and 5xx are retried by the SDK with jittered backoff. The attempt count is high
/// because a pipeline bootstrap makes dozens of calls and one lost call must not fail it.
fn retry_config() -> RetryConfig {
    let initial = std::env::var("PIPEWRIGHT_RETRY_INITIAL_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_millis(200), Duration::from_millis);
    RetryConfig::standard()
        .with_max_attempts(8)
        .with_initial_backoff(initial)
        .with_max_backoff(Duration::from_secs(10))
}
