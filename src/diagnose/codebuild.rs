//! A CodeBuild action's cause: the build (or, for a batch, its failed build), the phase that
//! failed with its context, the failing command, and where its log lines are.

use aws_sdk_codebuild::Client;
use serde::Serialize;

use super::state::millis;
use crate::aws::{AwsError, SdkResultExt};

/// Where a build's log lines are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogStream {
    pub group: String,
    pub stream: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deep_link: Option<String>,
}

/// The phase that failed and why (`contexts[0]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedPhase {
    /// BUILD, INSTALL, DOWNLOAD_SOURCE, …
    pub phase: String,
    /// FAILED, FAULT, TIMED_OUT, STOPPED.
    pub status: String,
    /// COMMAND_EXECUTION_ERROR, YAML_FILE_ERROR, CLIENT_ERROR, …
    pub code: String,
    pub message: String,
    /// Epoch milliseconds the phase ended (the log is read up to here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_ms: Option<i64>,
}

/// What a build says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildReport {
    pub id: String,
    /// The batch this build belongs to, when the action ran a batch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_phase: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_phase: Option<FailedPhase>,
    /// The command that failed (from `Error while executing command: X. Reason: exit status N`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_status: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logs: Option<LogStream>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_ms: Option<i64>,
}

impl BuildReport {
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.status != "IN_PROGRESS"
    }

    /// Whether a command of the buildspec failed (rather than CodeBuild's own set-up: the
    /// source download, the buildspec, the artifact upload).
    #[must_use]
    pub fn failed_in_a_command(&self) -> bool {
        self.command.is_some()
    }
}

/// What CodeBuild itself writes to a build's log: `[Container] 2024/05/01 10:00:00.123 text`.
const CONTAINER: &str = "[Container] ";

/// The text of a line CodeBuild itself wrote, after its timestamp; `None` for a line of the
/// user's own commands.
#[must_use]
pub fn container_text(line: &str) -> Option<&str> {
    let rest = line.strip_prefix(CONTAINER)?;
    let mut parts = rest.splitn(3, ' ');
    let (_date, _time) = (parts.next()?, parts.next()?);
    Some(parts.next().unwrap_or_default())
}

/// The command a `Running command X` line of CodeBuild's says it starts.
#[must_use]
pub fn running_command(line: &str) -> Option<&str> {
    container_text(line)?.strip_prefix("Running command ")
}

/// Whether a log line is the user's: their commands' output, or which command ran.
#[must_use]
pub fn is_users(line: &str) -> bool {
    container_text(line).is_none() || running_command(line).is_some()
}

const FAILED_STATES: &[&str] = &["FAILED", "FAULT", "TIMED_OUT", "STOPPED"];

/// Whether an external execution id names a build batch rather than a build.
#[must_use]
pub fn batch_id(external_id: &str) -> Option<&str> {
    external_id
        .split_once("build-batch/")
        .map(|(_, id)| id)
        .filter(|id| !id.is_empty())
}

/// Read a build (or a batch's failed build) by the action's external execution id.
pub async fn inspect(client: &Client, external_id: &str) -> Result<Option<BuildReport>, AwsError> {
    if let Some(batch) = batch_id(external_id) {
        let Some(build) = batch_member(client, batch).await? else {
            return Ok(None);
        };
        let mut report = build_report(client, &build).await?;
        if let Some(report) = &mut report {
            report.batch = Some(batch.to_owned());
        }
        return Ok(report);
    }
    build_report(client, external_id).await
}

/// The build of a batch to explain: the first failed one, else the newest.
async fn batch_member(client: &Client, batch: &str) -> Result<Option<String>, AwsError> {
    let out = client
        .batch_get_build_batches()
        .ids(batch)
        .send()
        .await
        .about(format_args!("build batch {batch}"))?;
    let Some(found) = out.build_batches().first() else {
        return Ok(None);
    };
    let summaries: Vec<_> = found
        .build_groups()
        .iter()
        .filter_map(|g| g.current_build_summary())
        .collect();
    let failed = summaries.iter().find(|s| {
        s.build_status()
            .is_some_and(|st| FAILED_STATES.contains(&st.as_str()))
    });
    let chosen = failed.or(summaries.last());
    Ok(chosen.and_then(|s| s.arn()).map(|arn| {
        arn.rsplit_once("build/")
            .map_or(arn, |(_, id)| id)
            .to_owned()
    }))
}

async fn build_report(client: &Client, id: &str) -> Result<Option<BuildReport>, AwsError> {
    let out = client
        .batch_get_builds()
        .ids(id)
        .send()
        .await
        .about(format_args!("build {id}"))?;
    let Some(build) = out.builds().first() else {
        return Ok(None);
    };
    let failed_phase = build
        .phases()
        .iter()
        .find(|p| {
            p.phase_status()
                .is_some_and(|s| FAILED_STATES.contains(&s.as_str()))
        })
        .map(|p| {
            let context = p.contexts().first();
            FailedPhase {
                phase: p.phase_type().map_or("", |t| t.as_str()).to_owned(),
                status: p.phase_status().map_or("", |s| s.as_str()).to_owned(),
                code: context
                    .and_then(|c| c.status_code())
                    .unwrap_or_default()
                    .to_owned(),
                message: context
                    .and_then(|c| c.message())
                    .unwrap_or_default()
                    .to_owned(),
                ended_ms: millis(p.end_time()),
            }
        });
    let (command, exit_status) = failed_phase
        .as_ref()
        .and_then(|p| failing_command(&p.message))
        .map_or((None, None), |(c, n)| (Some(c), n));
    let logs = build.logs().and_then(|l| {
        Some(LogStream {
            group: l.group_name()?.to_owned(),
            stream: l.stream_name()?.to_owned(),
            deep_link: l.deep_link().map(str::to_owned),
        })
    });
    Ok(Some(BuildReport {
        id: build.id().unwrap_or(id).to_owned(),
        batch: None,
        status: build
            .build_status()
            .map_or("IN_PROGRESS", |s| s.as_str())
            .to_owned(),
        current_phase: build.current_phase().map(str::to_owned),
        failed_phase,
        command,
        exit_status,
        logs,
        started_ms: millis(build.start_time()),
        ended_ms: millis(build.end_time()),
    }))
}

/// `Error while executing command: X. Reason: exit status N` → (X, N).
#[must_use]
pub fn failing_command(message: &str) -> Option<(String, Option<i32>)> {
    let rest = message.split_once("Error while executing command: ")?.1;
    let (command, reason) = match rest.rsplit_once(". Reason: ") {
        Some((command, reason)) => (command, Some(reason)),
        None => (rest.trim_end_matches('.'), None),
    };
    let exit = reason
        .and_then(|r| r.trim().strip_prefix("exit status "))
        .and_then(|n| n.trim().parse().ok());
    Some((command.to_owned(), exit))
}

#[cfg(test)]
mod tests {
    use super::{batch_id, failing_command, is_users, running_command};

    #[test]
    fn codebuilds_own_lines_are_told_from_the_users() {
        let running = "[Container] 2026/11/26 21:00:11.852897 Running command test -f a.html";
        assert_eq!(running_command(running), Some("test -f a.html"));
        assert!(is_users(running));
        assert!(!is_users(
            "[Container] 2026/11/26 21:00:11.843550 Entering phase BUILD"
        ));
        assert!(is_users("checking that every linked page exists"));
        assert_eq!(running_command("Running command x"), None);
    }

    #[test]
    fn the_failing_command_and_its_exit_status_are_read_from_the_context() {
        assert_eq!(
            failing_command("Error while executing command: make test. Reason: exit status 3"),
            Some(("make test".to_owned(), Some(3)))
        );
        // A command that itself contains the separator keeps it.
        assert_eq!(
            failing_command(
                "Error while executing command: echo a. Reason: b. Reason: exit status 1"
            ),
            Some(("echo a. Reason: b".to_owned(), Some(1)))
        );
        assert_eq!(failing_command("no matching artifact paths found"), None);
    }

    #[test]
    fn batch_ids_are_recognised() {
        assert_eq!(batch_id("build-batch/p:123"), Some("p:123"));
        assert_eq!(
            batch_id("arn:aws:codebuild:us-east-1:1:build-batch/p:1"),
            Some("p:1")
        );
        assert_eq!(batch_id("p:123"), None);
    }
}
