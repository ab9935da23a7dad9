//! CodeDeploy applications, deployment groups and custom deployment configs.
//!
//! Placeholder: the signatures are the contract with `aws/mod.rs`; the bodies are being written.

#![allow(clippy::unused_async, unused_variables)]

use aws_sdk_codedeploy::Client;

use super::{AwsError, ErrorKind, Live};
use crate::model::{Application, DeploymentConfig, DeploymentGroup, ResourceId};

fn not_built(operation: &'static str, subject: &str) -> AwsError {
    AwsError {
        operation,
        subject: subject.to_owned(),
        code: None,
        message: "this adapter is not written yet".to_owned(),
        kind: ErrorKind::NotImplemented,
    }
}

pub(super) async fn read_application(
    _client: &Client,
    name: &str,
) -> Result<Option<Live>, AwsError> {
    Ok(None)
}

pub(super) async fn create_application(
    _client: &Client,
    application: &Application,
) -> Result<(), AwsError> {
    Err(not_built("CreateApplication", &application.name))
}

pub(super) async fn update_application(
    _client: &Client,
    desired: &Application,
    _live: &Application,
) -> Result<(), AwsError> {
    Err(not_built("TagResource", &desired.name))
}

pub(super) async fn delete_application(_client: &Client, name: &str) -> Result<(), AwsError> {
    Err(not_built("DeleteApplication", name))
}

pub(super) async fn read_config(_client: &Client, name: &str) -> Result<Option<Live>, AwsError> {
    Ok(None)
}

pub(super) async fn create_config(
    _client: &Client,
    config: &DeploymentConfig,
) -> Result<(), AwsError> {
    Err(not_built("CreateDeploymentConfig", &config.name))
}

pub(super) async fn delete_config(_client: &Client, name: &str) -> Result<(), AwsError> {
    Err(not_built("DeleteDeploymentConfig", name))
}

pub(super) async fn read_group(
    _client: &Client,
    application: &str,
    group: &str,
) -> Result<Option<Live>, AwsError> {
    Ok(None)
}

pub(super) async fn create_group(
    _client: &Client,
    group: &DeploymentGroup,
) -> Result<(), AwsError> {
    Err(not_built("CreateDeploymentGroup", &group.name))
}

pub(super) async fn update_group(
    _client: &Client,
    desired: &DeploymentGroup,
    _live: &DeploymentGroup,
) -> Result<(), AwsError> {
    Err(not_built("UpdateDeploymentGroup", &desired.name))
}

pub(super) async fn delete_group(
    _client: &Client,
    application: &str,
    group: &str,
) -> Result<(), AwsError> {
    Err(not_built("DeleteDeploymentGroup", group))
}

pub(super) async fn list_groups(
    _client: &Client,
    application: &str,
) -> Result<Vec<ResourceId>, AwsError> {
    Ok(Vec::new())
}

pub(super) async fn list_configs(
    _client: &Client,
    prefix: &str,
) -> Result<Vec<ResourceId>, AwsError> {
    Ok(Vec::new())
}
