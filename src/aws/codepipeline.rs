//! CodePipeline V2 pipelines.
//!
//! Placeholder: the signatures are the contract with `aws/mod.rs`; the bodies are being written.

#![allow(clippy::unused_async, unused_variables)]

use aws_sdk_codepipeline::Client;

use super::{AwsError, ErrorKind, Live};
use crate::model::Pipeline;

fn not_built(operation: &'static str, subject: &str) -> AwsError {
    AwsError {
        operation,
        subject: subject.to_owned(),
        code: None,
        message: "this adapter is not written yet".to_owned(),
        kind: ErrorKind::NotImplemented,
    }
}

pub(super) async fn read(_client: &Client, name: &str) -> Result<Option<Live>, AwsError> {
    Ok(None)
}

pub(super) async fn create(_client: &Client, pipeline: &Pipeline) -> Result<(), AwsError> {
    Err(not_built("CreatePipeline", &pipeline.name))
}

pub(super) async fn update(
    _client: &Client,
    desired: &Pipeline,
    _live: &Pipeline,
) -> Result<(), AwsError> {
    Err(not_built("UpdatePipeline", &desired.name))
}

pub(super) async fn delete(_client: &Client, name: &str) -> Result<(), AwsError> {
    Err(not_built("DeletePipeline", name))
}
