//! A CodeDeploy action's cause: the deployment's error, then each failed target's failed
//! lifecycle events with the agent's diagnostics (script, error code, message, log tail).

use aws_sdk_codedeploy::Client;
use aws_sdk_codedeploy::types::{DeploymentTarget, LifecycleEvent};
use serde::Serialize;

use crate::aws::{AwsError, SdkResultExt};

/// BatchGetDeploymentTargets takes at most this many ids per call.
const TARGETS_PER_CALL: usize = 25;

/// One lifecycle event that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedEvent {
    /// ValidateService, BeforeInstall, AllowTraffic, …
    pub event: String,
    /// Failed, Skipped, …
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    /// ScriptFailed, ScriptMissing, ScriptTimedOut, ScriptNotExecutable, UnknownError.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The last ≤ 4 KB the script printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_tail: Option<String>,
}

/// A target (instance, Lambda function, ECS service) whose deployment did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedTarget {
    pub target: String,
    pub status: String,
    pub events: Vec<FailedEvent>,
    /// Every lifecycle event was skipped: the agent never ran anything.
    pub all_skipped: bool,
}

/// What a deployment says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeploymentReport {
    pub id: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    pub failed_targets: Vec<FailedTarget>,
}

/// `deployment d-123`: what the calls about one deployment are about.
fn deployment(id: &str) -> String {
    format!("deployment {id}")
}

/// Read a deployment and its failed targets.
pub async fn inspect(client: &Client, id: &str) -> Result<DeploymentReport, AwsError> {
    let out = client
        .get_deployment()
        .deployment_id(id)
        .send()
        .await
        .about(deployment(id))?;
    let info = out.deployment_info();
    let error = info.and_then(|i| i.error_information());
    let mut report = DeploymentReport {
        id: id.to_owned(),
        status: info
            .and_then(|i| i.status())
            .map_or("", |s| s.as_str())
            .to_owned(),
        error_code: error.and_then(|e| e.code()).map(|c| c.as_str().to_owned()),
        error_message: error.and_then(|e| e.message()).map(str::to_owned),
        failed_targets: Vec::new(),
    };
    let ids = target_ids(client, id).await?;
    for chunk in ids.chunks(TARGETS_PER_CALL) {
        let out = client
            .batch_get_deployment_targets()
            .deployment_id(id)
            .set_target_ids(Some(chunk.to_vec()))
            .send()
            .await
            .about(deployment(id))?;
        report
            .failed_targets
            .extend(out.deployment_targets().iter().filter_map(failed_target));
    }
    Ok(report)
}

async fn target_ids(client: &Client, id: &str) -> Result<Vec<String>, AwsError> {
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .list_deployment_targets()
            .deployment_id(id)
            .set_next_token(token.take())
            .send()
            .await
            .about(deployment(id))?;
        ids.extend(out.target_ids().iter().cloned());
        match out.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => return Ok(ids),
        }
    }
}

/// The target's id, status and lifecycle events, whatever its platform.
fn parts(target: &DeploymentTarget) -> Option<(&str, &str, &[LifecycleEvent])> {
    if let Some(t) = target.instance_target() {
        return Some((
            t.target_id().unwrap_or_default(),
            t.status().map_or("", |s| s.as_str()),
            t.lifecycle_events(),
        ));
    }
    if let Some(t) = target.lambda_target() {
        return Some((
            t.target_id().unwrap_or_default(),
            t.status().map_or("", |s| s.as_str()),
            t.lifecycle_events(),
        ));
    }
    if let Some(t) = target.ecs_target() {
        return Some((
            t.target_id().unwrap_or_default(),
            t.status().map_or("", |s| s.as_str()),
            t.lifecycle_events(),
        ));
    }
    target.cloud_formation_target().map(|t| {
        (
            t.target_id().unwrap_or_default(),
            t.status().map_or("", |s| s.as_str()),
            t.lifecycle_events(),
        )
    })
}

fn failed_target(target: &DeploymentTarget) -> Option<FailedTarget> {
    let (id, status, events) = parts(target)?;
    if !matches!(status, "Failed" | "Stopped") {
        return None;
    }
    let all_skipped = !events.is_empty()
        && events
            .iter()
            .all(|e| e.status().is_some_and(|s| s.as_str() == "Skipped"));
    let failed = events
        .iter()
        .filter(|e| e.status().is_some_and(|s| s.as_str() == "Failed"))
        .map(|e| {
            let d = e.diagnostics();
            FailedEvent {
                event: e.lifecycle_event_name().unwrap_or_default().to_owned(),
                status: e.status().map_or("", |s| s.as_str()).to_owned(),
                script: d
                    .and_then(|d| d.script_name())
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
                error_code: d
                    .and_then(|d| d.error_code())
                    .map(|c| c.as_str().to_owned()),
                message: d.and_then(|d| d.message()).map(str::to_owned),
                log_tail: d
                    .and_then(|d| d.log_tail())
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            }
        })
        .collect();
    Some(FailedTarget {
        target: id.to_owned(),
        status: status.to_owned(),
        events: failed,
        all_skipped,
    })
}
