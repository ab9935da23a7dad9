//! The answer to "why did the pipeline fail": one value, printed by `logs` and `run` alike.

use std::fmt;

use serde::Serialize;

use super::codebuild::{self, BuildReport};
use super::codedeploy::{self, DeploymentReport};
use super::known::{self, Explanation};
use super::logs::{self, LogLine, Reader};
use super::state::{
    self, ActionView, ErrorDetails, ExecutionSummary, ExecutionView, Selector, Status,
};
use super::time::iso;
use crate::aws::{AwsError, Clients};

/// Log lines read before a build's failure to explain it (an access denial a few lines above
/// the failed command), even when fewer are shown.
const EXPLAIN_LINES: usize = 50;

/// What to diagnose.
#[derive(Debug, Clone)]
pub struct Request {
    pub selector: Selector,
    pub stage: Option<String>,
    pub action: Option<String>,
    /// Only log lines from here (epoch ms).
    pub since: Option<i64>,
    /// Log lines to include before the failure (`None`: none; the caller streams them).
    pub lines: Option<usize>,
}

/// The cause, as the action's own service tells it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Cause {
    Build(Box<BuildReport>),
    Deployment(DeploymentReport),
    /// Any other action: what CodePipeline says.
    Action {
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<ErrorDetails>,
        #[serde(skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
    },
    /// Nothing failed (or nothing ran).
    None,
}

/// From the execution to the failing line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnosis {
    pub pipeline: String,
    pub execution_id: Option<String>,
    pub execution_status: Status,
    /// The newest execution, when it is not this one (this is the newest that failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest: Option<ExecutionSummary>,
    /// The action explained: the failed one, else the last one that ran.
    pub action: Option<ActionView>,
    pub cause: Cause,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
    /// The build's log lines leading up to the failure (or its last lines).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<LogLine>,
    /// How many lines were asked for (`--lines`), to say whether there may be more.
    #[serde(skip)]
    pub lines_wanted: usize,
}

impl Diagnosis {
    #[must_use]
    pub fn failed(&self) -> bool {
        self.action
            .as_ref()
            .is_some_and(|a| a.status == Status::Failed)
            || self.execution_status == Status::Failed
    }

    /// The build, when the action is a CodeBuild one.
    #[must_use]
    pub fn build(&self) -> Option<&BuildReport> {
        match &self.cause {
            Cause::Build(build) => Some(build),
            _ => None,
        }
    }
}

/// The execution and the action to explain, before asking the action's own service.
#[derive(Debug, Clone)]
pub struct Located {
    pub pipeline: String,
    pub view: ExecutionView,
    /// The failed action, else the last build that ran, else the last action that ran.
    pub action: Option<ActionView>,
}

impl Located {
    /// Where the build's log most likely is, before BatchGetBuilds says: pipewright's projects
    /// log to `group` in a stream named after the build's id (`project:<stream>`). Lets `--all`
    /// start reading one round trip sooner; a wrong guess finds no stream and costs one call.
    #[must_use]
    pub fn stream_guess(&self, group: &str) -> Option<(String, String)> {
        let action = self.action.as_ref()?;
        let id = action.external_id.as_deref()?;
        if action.provider != "CodeBuild" || codebuild::batch_id(id).is_some() {
            return None;
        }
        let (_, stream) = id.split_once(':')?;
        Some((group.to_owned(), stream.to_owned()))
    }
}

/// Find the execution and the action `request` names (one round of CodePipeline calls).
pub async fn locate(
    clients: &Clients,
    pipeline: &str,
    request: &Request,
) -> Result<Located, AwsError> {
    let view = state::load(&clients.codepipeline, pipeline, &request.selector).await?;
    let stage = request.stage.as_deref();
    let name = request.action.as_deref();
    let action = view.failed_action(stage, name).cloned().or_else(|| {
        let ran: Vec<&ActionView> = view
            .matching(stage, name)
            .filter(|a| a.status != Status::NotRun)
            .collect();
        // Prefer a build (its log is what people want), else whatever ran last.
        ran.iter()
            .rev()
            .find(|a| a.provider == "CodeBuild" && a.external_id.is_some())
            .or(ran.last())
            .map(|a| (*a).clone())
    });
    Ok(Located {
        pipeline: pipeline.to_owned(),
        view,
        action,
    })
}

/// Ask the located action's service for the cause (and the lines before a build's failure).
pub async fn explain_located(
    clients: &Clients,
    reader: &Reader,
    located: Located,
    request: &Request,
) -> Result<Diagnosis, AwsError> {
    let mut diagnosis = Diagnosis {
        pipeline: located.pipeline,
        execution_id: located.view.execution_id.clone(),
        execution_status: located.view.status,
        latest: located.view.latest.clone(),
        action: located.action.clone(),
        cause: Cause::None,
        explanation: None,
        lines: Vec::new(),
        lines_wanted: request.lines.unwrap_or(0),
    };
    let Some(action) = located.action else {
        return Ok(diagnosis);
    };
    diagnosis.cause = cause(clients, &action).await?;
    if let (Cause::Build(build), Some(lines)) = (&diagnosis.cause, request.lines) {
        // Enough lines to find AWS's refusal of the failing command, however few are shown.
        let read = build_lines(reader, build, request.since, lines.max(EXPLAIN_LINES)).await?;
        diagnosis.lines = read;
        diagnosis.explanation = explain(&diagnosis);
        let shown = diagnosis.lines.len().saturating_sub(lines);
        diagnosis.lines.drain(..shown);
        return Ok(diagnosis);
    }
    diagnosis.explanation = match super::source::explain(clients, &action).await {
        Some(first_push) => Some(first_push),
        None => explain(&diagnosis),
    };
    Ok(diagnosis)
}

/// Diagnose the execution `request` names.
pub async fn diagnose(
    clients: &Clients,
    reader: &Reader,
    pipeline: &str,
    request: &Request,
) -> Result<Diagnosis, AwsError> {
    let located = locate(clients, pipeline, request).await?;
    explain_located(clients, reader, located, request).await
}

async fn cause(clients: &Clients, action: &ActionView) -> Result<Cause, AwsError> {
    let fallback = || Cause::Action {
        error: action.error.clone(),
        summary: action.summary.clone(),
    };
    let Some(id) = action.external_id.as_deref() else {
        return Ok(fallback());
    };
    match action.provider.as_str() {
        "CodeBuild" => Ok(codebuild::inspect(&clients.codebuild, id)
            .await?
            .map_or_else(fallback, |b| Cause::Build(Box::new(b)))),
        "CodeDeploy" | "CodeDeployToECS" if id.starts_with("d-") => Ok(Cause::Deployment(
            codedeploy::inspect(&clients.codedeploy, id).await?,
        )),
        _ => Ok(fallback()),
    }
}

/// The lines before the failure: read backward from the failed phase's end to its report.
async fn build_lines(
    reader: &Reader,
    build: &BuildReport,
    since: Option<i64>,
    lines: usize,
) -> Result<Vec<LogLine>, AwsError> {
    let Some(stream) = &build.logs else {
        return Ok(Vec::new());
    };
    let (until, marker) = match &build.failed_phase {
        // The phase's own report ends its part of the log; a little margin for clock skew.
        Some(phase) => (
            phase.ended_ms.map(|t| t + 2_000),
            Some(format!("Phase context status code: {}", phase.code)),
        ),
        None => (None, None),
    };
    let is_marker = |line: &str| marker.as_deref().is_some_and(|m| line.contains(m));
    // A failed command: its output (and the commands that ran) is what the user wants, not
    // CodeBuild's own set-up lines. Any other failure is CodeBuild's own: its lines are it.
    let keep = |line: &str| codebuild::is_users(line);
    let window = logs::Window {
        since,
        until,
        lines,
        marker: marker
            .is_some()
            .then_some(&is_marker as &dyn Fn(&str) -> bool),
        keep: build
            .failed_in_a_command()
            .then_some(&keep as &dyn Fn(&str) -> bool),
    };
    logs::read_before(reader, &stream.group, &stream.stream, &window).await
}

fn explain(diagnosis: &Diagnosis) -> Option<Explanation> {
    match &diagnosis.cause {
        Cause::Build(build) => {
            // A build command refused by AWS prints the refusal in the log; the phase says only
            // that a command failed.
            if let Some(denied) = diagnosis
                .lines
                .iter()
                .rev()
                .find_map(|line| known::access_denied(&line.message))
            {
                return Some(denied);
            }
            let phase = build.failed_phase.as_ref()?;
            known::message(&format!("{}: {}", phase.code, phase.message))
        }
        Cause::Deployment(deployment) => {
            if deployment.error_code.as_deref() == Some("HEALTH_CONSTRAINTS")
                && !deployment.failed_targets.is_empty()
                && deployment.failed_targets.iter().all(|t| t.all_skipped)
            {
                return Some(known::agent_not_running());
            }
            let texts = deployment
                .failed_targets
                .iter()
                .flat_map(|t| t.events.iter())
                .filter_map(|e| e.message.clone())
                .chain(deployment.error_message.clone());
            texts.into_iter().find_map(|text| known::message(&text))
        }
        Cause::Action { error, summary } => error
            .as_ref()
            .map(|e| e.message.as_str())
            .or(summary.as_deref())
            .and_then(known::message),
        Cause::None => None,
    }
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_head(f)?;
        if let Cause::Build(build) = &self.cause {
            write_lines(f, build, self)?;
        }
        self.write_explanation(f)
    }
}

/// A part of a diagnosis, printable on its own.
struct Part<F>(F);

impl<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result> fmt::Display for Part<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.0)(f)
    }
}

impl Diagnosis {
    /// What comes before the log lines: the execution, the action and its cause. `logs --all`
    /// prints it first, streams the whole log, then prints [`Diagnosis::explanation_text`].
    #[must_use]
    pub fn head_text(&self) -> String {
        Part(|f: &mut fmt::Formatter<'_>| self.write_head(f)).to_string()
    }

    /// What comes after the log lines: why, the fix, and the page that explains it.
    #[must_use]
    pub fn explanation_text(&self) -> String {
        Part(|f: &mut fmt::Formatter<'_>| self.write_explanation(f)).to_string()
    }

    fn write_head(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let execution = self.execution_id.as_deref().unwrap_or("(none)");
        writeln!(
            f,
            "Pipeline {}, execution {execution}: {}",
            self.pipeline,
            self.execution_status.as_str()
        )?;
        if let Some(latest) = &self.latest {
            let when = latest
                .started_ms
                .map(|t| format!(", started {}", iso(t)))
                .unwrap_or_default();
            writeln!(
                f,
                "The latest execution, {id}, {}{when}; this is the newest that failed \
                 (`pipewright logs --execution {id}` shows the latest).",
                latest.status.as_str(),
                id = latest.id,
            )?;
        }
        let Some(action) = &self.action else {
            return writeln!(f, "No action has run in this execution.");
        };
        let when = action
            .changed_ms
            .map(|t| format!(" at {}", iso(t)))
            .unwrap_or_default();
        writeln!(
            f,
            "{} {}/{} ({}): {}{when}",
            symbol(action.status),
            action.stage,
            action.name,
            if action.provider.is_empty() {
                "?"
            } else {
                &action.provider
            },
            action.status.as_str()
        )?;
        match &self.cause {
            Cause::Build(build) => write_build(f, build),
            Cause::Deployment(deployment) => write_deployment(f, deployment),
            Cause::Action { error, summary } => {
                if let Some(error) = error {
                    writeln!(f, "  Error:   {}: {}", error.code, error.message)
                } else if let Some(summary) = summary {
                    writeln!(f, "  Summary: {summary}")
                } else {
                    Ok(())
                }
            }
            Cause::None => Ok(()),
        }
    }

    fn write_explanation(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(explanation) = &self.explanation {
            writeln!(f)?;
            writeln!(f, "Why: {}", explanation.summary)?;
            writeln!(f, "Fix: {}", explanation.fix)?;
            writeln!(f, "Docs: {}", explanation.docs)?;
        }
        Ok(())
    }
}

fn write_build(f: &mut fmt::Formatter<'_>, build: &BuildReport) -> fmt::Result {
    writeln!(f, "  Build:   {} ({})", build.id, build.status)?;
    if let Some(batch) = &build.batch {
        writeln!(f, "  Batch:   {batch}")?;
    }
    if let Some(phase) = &build.failed_phase {
        writeln!(f, "  Phase:   {} {}", phase.phase, phase.status)?;
        writeln!(f, "  Context: {}: {}", phase.code, phase.message)?;
    }
    if let Some(command) = &build.command {
        match build.exit_status {
            Some(code) => writeln!(f, "  Command: {command} (exit status {code})")?,
            None => writeln!(f, "  Command: {command}")?,
        }
    }
    if let Some(logs) = &build.logs {
        writeln!(f, "  Log:     {} {}", logs.group, logs.stream)?;
    }
    Ok(())
}

/// The build's log lines before the failure.
fn write_lines(f: &mut fmt::Formatter<'_>, build: &BuildReport, d: &Diagnosis) -> fmt::Result {
    if d.lines.is_empty() {
        return Ok(());
    }
    writeln!(f)?;
    if build.failed_in_a_command() {
        // The user's commands and their output, as a shell would show them; CodeBuild's own
        // lines were left out when the lines were read.
        writeln!(
            f,
            "The build's commands and their output, up to the failure (last {} lines):",
            d.lines.len()
        )?;
        for line in &d.lines {
            match codebuild::running_command(&line.message) {
                Some(command) => writeln!(f, "  $ {command}")?,
                None => writeln!(f, "  {}", line.message)?,
            }
        }
    } else {
        let what = if build.failed_phase.is_some() {
            "before the failure"
        } else {
            "of the build"
        };
        writeln!(f, "Last {} log lines {what}:", d.lines.len())?;
        for line in &d.lines {
            writeln!(f, "  {}", line.message)?;
        }
    }
    if d.lines.len() >= d.lines_wanted {
        writeln!(
            f,
            "(more: pipewright logs --lines N, or --all for the whole log)"
        )?;
    }
    Ok(())
}

fn write_deployment(f: &mut fmt::Formatter<'_>, d: &DeploymentReport) -> fmt::Result {
    writeln!(f, "  Deployment: {} ({})", d.id, d.status)?;
    if d.error_code.is_some() || d.error_message.is_some() {
        writeln!(
            f,
            "  Error:      {}: {}",
            d.error_code.as_deref().unwrap_or("-"),
            d.error_message.as_deref().unwrap_or("")
        )?;
    }
    for target in &d.failed_targets {
        writeln!(f, "  Target {} {}", target.target, target.status)?;
        for event in &target.events {
            writeln!(f, "    {} {}", event.event, event.status)?;
            if let Some(script) = &event.script {
                writeln!(f, "      Script:  {script}")?;
            }
            if let Some(code) = &event.error_code {
                writeln!(f, "      Error:   {code}")?;
            }
            if let Some(message) = &event.message {
                writeln!(f, "      Message: {message}")?;
            }
            if let Some(tail) = &event.log_tail {
                writeln!(f, "      Log tail:")?;
                for line in tail.lines() {
                    writeln!(f, "        {line}")?;
                }
            }
        }
        if target.all_skipped {
            writeln!(f, "    every lifecycle event was Skipped")?;
        }
    }
    Ok(())
}

/// A symbol for a status, readable without colour.
#[must_use]
pub fn symbol(status: Status) -> &'static str {
    match status {
        Status::Succeeded => "✓",
        Status::Failed => "✗",
        Status::InProgress | Status::Stopping => "▶",
        Status::Stopped | Status::Abandoned | Status::Cancelled => "■",
        Status::Superseded => "↷",
        Status::NotRun => "·",
    }
}
