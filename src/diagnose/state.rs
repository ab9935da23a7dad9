//! One pipeline execution as a picture: stages → actions, each with its latest status.
//!
//! `GetPipelineState` is the cheap, complete answer (one call, every stage in order, error details
//! and external ids) but it only knows the *latest* run of each stage, and LocalStack does not
//! implement it. So the view is built for one chosen execution: from `GetPipelineState` when its
//! stages belong to that execution, else (an older execution, or a 501 from the endpoint) from
//! `ListActionExecutions` filtered by execution id. `GetPipeline` gives the structure either way,
//! so stages that have not run yet are still drawn, and each action's provider is known.

use aws_sdk_codepipeline::Client;
use aws_sdk_codepipeline::primitives::DateTime;
use serde::Serialize;

use crate::aws::{AwsError, ErrorKind, SdkResultExt};
use crate::model::{Kind, ResourceId};

/// Which execution to look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// The newest execution.
    Latest,
    /// The newest failed execution, else the newest.
    LatestFailed,
    /// This execution id.
    Id(String),
}

/// The status of an action run (CodePipeline's values, plus `NotRun` for "not in this execution").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Status {
    InProgress,
    Succeeded,
    Failed,
    Abandoned,
    Stopped,
    Stopping,
    Superseded,
    Cancelled,
    NotRun,
}

impl Status {
    fn parse(text: &str) -> Self {
        match text {
            "InProgress" => Status::InProgress,
            "Succeeded" => Status::Succeeded,
            "Failed" => Status::Failed,
            "Abandoned" => Status::Abandoned,
            "Stopped" => Status::Stopped,
            "Stopping" => Status::Stopping,
            "Superseded" => Status::Superseded,
            "Cancelled" => Status::Cancelled,
            _ => Status::NotRun,
        }
    }

    /// Whether nothing will change any more.
    #[must_use]
    pub fn is_final(self) -> bool {
        !matches!(self, Status::InProgress | Status::Stopping | Status::NotRun)
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::InProgress => "InProgress",
            Status::Succeeded => "Succeeded",
            Status::Failed => "Failed",
            Status::Abandoned => "Abandoned",
            Status::Stopped => "Stopped",
            Status::Stopping => "Stopping",
            Status::Superseded => "Superseded",
            Status::Cancelled => "Cancelled",
            Status::NotRun => "NotRun",
        }
    }
}

/// `errorDetails` of a failed action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorDetails {
    pub code: String,
    pub message: String,
}

/// One action in the chosen execution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionView {
    pub stage: String,
    pub name: String,
    /// `CodeBuild`, `CodeDeploy`, `S3`, `CodeCommit`, `Manual`, …
    pub provider: String,
    pub category: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetails>,
    /// Build id, deployment id, commit id…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_url: Option<String>,
    /// Epoch milliseconds of the action's start (ListActionExecutions only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_ms: Option<i64>,
    /// Epoch milliseconds of the last status change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_ms: Option<i64>,
    /// What a CodeCommit source action reads (from the pipeline's declaration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_branch: Option<SourceBranch>,
}

/// The repository and branch a CodeCommit source action reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceBranch {
    pub repository: String,
    pub branch: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageView {
    pub name: String,
    pub actions: Vec<ActionView>,
}

/// Where the action statuses came from (tests and `-v` say which path ran).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    PipelineState,
    ActionExecutions,
}

/// One execution of the pipeline, every stage in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecutionView {
    pub pipeline: String,
    /// `None`: the pipeline never ran.
    pub execution_id: Option<String>,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_ms: Option<i64>,
    pub stages: Vec<StageView>,
    pub origin: Origin,
    /// The newest execution, when this one is not it: `logs` shows the newest execution that
    /// failed, and says so when a later one exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest: Option<ExecutionSummary>,
}

impl ExecutionView {
    /// Every action, stage by stage.
    pub fn actions(&self) -> impl Iterator<Item = &ActionView> {
        self.stages.iter().flat_map(|s| s.actions.iter())
    }

    /// The first failed action (stage order), narrowed to a stage and action when given.
    #[must_use]
    pub fn failed_action<'a>(
        &'a self,
        stage: Option<&'a str>,
        action: Option<&'a str>,
    ) -> Option<&'a ActionView> {
        self.matching(stage, action)
            .find(|a| matches!(a.status, Status::Failed))
    }

    /// Actions matching `--stage` / `--action` (case-insensitive).
    pub fn matching<'a>(
        &'a self,
        stage: Option<&'a str>,
        action: Option<&'a str>,
    ) -> impl Iterator<Item = &'a ActionView> + 'a {
        self.actions().filter(move |a| {
            stage.is_none_or(|s| a.stage.eq_ignore_ascii_case(s))
                && action.is_none_or(|n| a.name.eq_ignore_ascii_case(n))
        })
    }
}

/// A summary line of an execution (ListPipelineExecutions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecutionSummary {
    pub id: String,
    pub status: Status,
    pub summary: Option<String>,
    pub started_ms: Option<i64>,
    pub changed_ms: Option<i64>,
}

pub(crate) fn millis(time: Option<&DateTime>) -> Option<i64> {
    time.and_then(|t| t.to_millis().ok())
}

/// The newest executions, newest first (at most `max`).
pub async fn executions(
    client: &Client,
    pipeline: &str,
    max: i32,
) -> Result<Vec<ExecutionSummary>, AwsError> {
    let out = client
        .list_pipeline_executions()
        .pipeline_name(pipeline)
        .max_results(max)
        .send()
        .await
        .about(pipeline_id(pipeline))?;
    let mut list: Vec<ExecutionSummary> = out
        .pipeline_execution_summaries()
        .iter()
        .map(|s| ExecutionSummary {
            id: s.pipeline_execution_id().unwrap_or_default().to_owned(),
            status: Status::parse(s.status().map_or("", |v| v.as_str())),
            summary: s.status_summary().map(str::to_owned),
            started_ms: millis(s.start_time()),
            changed_ms: millis(s.last_update_time()),
        })
        .collect();
    // AWS returns newest first; say so rather than trust it.
    list.sort_by_key(|s| std::cmp::Reverse(s.started_ms.unwrap_or(0)));
    Ok(list)
}

/// Choose the execution a selector means, from the newest ones.
#[must_use]
pub fn choose<'a>(
    list: &'a [ExecutionSummary],
    selector: &Selector,
) -> Option<&'a ExecutionSummary> {
    match selector {
        Selector::Latest => list.first(),
        Selector::LatestFailed => list
            .iter()
            .find(|e| e.status == Status::Failed)
            .or_else(|| list.first()),
        Selector::Id(id) => list.iter().find(|e| &e.id == id),
    }
}

/// The execution's summary by id (for an id older than the listed ones).
pub async fn execution(
    client: &Client,
    pipeline: &str,
    id: &str,
) -> Result<ExecutionSummary, AwsError> {
    let out = client
        .get_pipeline_execution()
        .pipeline_name(pipeline)
        .pipeline_execution_id(id)
        .send()
        .await
        .about(format_args!("execution {id}"))?;
    let ex = out.pipeline_execution();
    Ok(ExecutionSummary {
        id: id.to_owned(),
        status: Status::parse(ex.and_then(|e| e.status()).map_or("", |s| s.as_str())),
        summary: ex.and_then(|e| e.status_summary()).map(str::to_owned),
        started_ms: None,
        changed_ms: None,
    })
}

fn pipeline_id(pipeline: &str) -> ResourceId {
    ResourceId::new(Kind::Pipeline, pipeline)
}

/// The pipeline's stages and actions, from its declaration.
async fn structure(client: &Client, pipeline: &str) -> Result<Vec<StageView>, AwsError> {
    let out = client
        .get_pipeline()
        .name(pipeline)
        .send()
        .await
        .about(pipeline_id(pipeline))?;
    let stages = out
        .pipeline()
        .map(aws_sdk_codepipeline::types::PipelineDeclaration::stages)
        .unwrap_or_default();
    Ok(stages
        .iter()
        .map(|stage| {
            let mut actions: Vec<(i32, ActionView)> = stage
                .actions()
                .iter()
                .map(|a| {
                    let type_id = a.action_type_id();
                    (
                        a.run_order().unwrap_or(1),
                        ActionView {
                            stage: stage.name().to_owned(),
                            name: a.name().to_owned(),
                            provider: type_id.map(|t| t.provider().to_owned()).unwrap_or_default(),
                            category: type_id
                                .map(|t| t.category().as_str().to_owned())
                                .unwrap_or_default(),
                            status: Status::NotRun,
                            summary: None,
                            error: None,
                            external_id: None,
                            external_url: None,
                            started_ms: None,
                            changed_ms: None,
                            source_branch: source_branch(a),
                        },
                    )
                })
                .collect();
            actions.sort_by_key(|(order, _)| *order);
            StageView {
                name: stage.name().to_owned(),
                actions: actions.into_iter().map(|(_, a)| a).collect(),
            }
        })
        .collect())
}

/// The repository and branch of a CodeCommit source action's declaration.
fn source_branch(action: &aws_sdk_codepipeline::types::ActionDeclaration) -> Option<SourceBranch> {
    let type_id = action.action_type_id()?;
    if type_id.provider() != "CodeCommit" {
        return None;
    }
    let configuration = action.configuration()?;
    Some(SourceBranch {
        repository: configuration.get("RepositoryName")?.clone(),
        branch: configuration.get("BranchName")?.clone(),
    })
}

/// Load the view of the execution `selector` names.
pub async fn load(
    client: &Client,
    pipeline: &str,
    selector: &Selector,
) -> Result<ExecutionView, AwsError> {
    // The state is asked at once, before knowing which execution it must describe: one round
    // trip fewer, and a call LocalStack answers with 501 costs nothing.
    let state = async {
        client
            .get_pipeline_state()
            .name(pipeline)
            .send()
            .await
            .about(pipeline_id(pipeline))
    };
    let (list, stages, state) = tokio::join!(
        executions(client, pipeline, 20),
        structure(client, pipeline),
        state
    );
    let (list, stages) = (list?, stages?);
    let chosen = match choose(&list, selector) {
        Some(found) => Some(found.clone()),
        None => match selector {
            Selector::Id(id) => Some(execution(client, pipeline, id).await?),
            _ => None,
        },
    };
    let mut view = ExecutionView {
        pipeline: pipeline.to_owned(),
        execution_id: chosen.as_ref().map(|c| c.id.clone()),
        status: chosen.as_ref().map_or(Status::NotRun, |c| c.status),
        status_summary: chosen.as_ref().and_then(|c| c.summary.clone()),
        started_ms: chosen.as_ref().and_then(|c| c.started_ms),
        changed_ms: chosen.as_ref().and_then(|c| c.changed_ms),
        stages,
        origin: Origin::PipelineState,
        latest: list
            .first()
            .filter(|newest| {
                *selector == Selector::LatestFailed
                    && chosen.as_ref().is_some_and(|c| c.id != newest.id)
            })
            .cloned(),
    };
    let Some(chosen) = chosen else {
        return Ok(view);
    };
    match state.map(|out| from_state(&out, &chosen.id, &mut view)) {
        Ok(true) => Ok(view),
        Ok(false) => {
            from_action_executions(client, pipeline, &chosen.id, &mut view).await?;
            Ok(view)
        }
        Err(err) if err.is(ErrorKind::NotImplemented) => {
            from_action_executions(client, pipeline, &chosen.id, &mut view).await?;
            Ok(view)
        }
        Err(err) => Err(err),
    }
}

/// Fill `view` from GetPipelineState; `false` when a stage that ran in `execution` now shows a
/// newer one (the state no longer describes this execution).
fn from_state(
    out: &aws_sdk_codepipeline::operation::get_pipeline_state::GetPipelineStateOutput,
    execution: &str,
    view: &mut ExecutionView,
) -> bool {
    let mut newer_seen = false;
    let mut updates = Vec::new();
    for stage in out.stage_states() {
        let Some(latest) = stage.latest_execution() else {
            continue;
        };
        if latest.pipeline_execution_id() != execution {
            // A stage run by another execution: fine if that one is older (this execution has
            // not reached the stage yet), not if it is newer (it overwrote ours).
            newer_seen = true;
            continue;
        }
        for action in stage.action_states() {
            let Some(run) = action.latest_execution() else {
                continue;
            };
            updates.push((
                stage.stage_name().unwrap_or_default().to_owned(),
                action.action_name().unwrap_or_default().to_owned(),
                Run {
                    status: Status::parse(run.status().map_or("", |s| s.as_str())),
                    summary: run.summary().map(str::to_owned),
                    error: run.error_details().map(|e| ErrorDetails {
                        code: e.code().unwrap_or_default().to_owned(),
                        message: e.message().unwrap_or_default().to_owned(),
                    }),
                    external_id: run.external_execution_id().map(str::to_owned),
                    external_url: run.external_execution_url().map(str::to_owned),
                    started_ms: None,
                    changed_ms: millis(run.last_status_change()),
                },
            ));
        }
    }
    if newer_seen && !stages_after_are_older(out, execution) {
        return false;
    }
    for (stage, action, run) in updates {
        apply(view, &stage, &action, run);
    }
    view.origin = Origin::PipelineState;
    true
}

/// Whether every stage showing another execution comes after the last stage showing ours (our
/// execution is still on its way there), rather than before it (a newer one overtook us).
fn stages_after_are_older(
    out: &aws_sdk_codepipeline::operation::get_pipeline_state::GetPipelineStateOutput,
    execution: &str,
) -> bool {
    let ids: Vec<Option<&str>> = out
        .stage_states()
        .iter()
        .map(|s| {
            s.latest_execution()
                .map(aws_sdk_codepipeline::types::StageExecution::pipeline_execution_id)
        })
        .collect();
    let Some(last_ours) = ids.iter().rposition(|id| *id == Some(execution)) else {
        return false;
    };
    ids[..last_ours]
        .iter()
        .all(|id| id.is_none() || *id == Some(execution))
}

/// Fill `view` from ListActionExecutions (every page), the newest run of each action winning.
async fn from_action_executions(
    client: &Client,
    pipeline: &str,
    execution: &str,
    view: &mut ExecutionView,
) -> Result<(), AwsError> {
    let filter = aws_sdk_codepipeline::types::ActionExecutionFilter::builder()
        .pipeline_execution_id(execution)
        .build();
    let mut token: Option<String> = None;
    let mut runs = Vec::new();
    loop {
        let out = client
            .list_action_executions()
            .pipeline_name(pipeline)
            .filter(filter.clone())
            .set_next_token(token.take())
            .send()
            .await
            .about(pipeline_id(pipeline))?;
        for detail in out.action_execution_details() {
            let result = detail.output().and_then(|o| o.execution_result());
            runs.push((
                detail.stage_name().unwrap_or_default().to_owned(),
                detail.action_name().unwrap_or_default().to_owned(),
                Run {
                    status: Status::parse(detail.status().map_or("", |s| s.as_str())),
                    summary: result
                        .and_then(|r| r.external_execution_summary())
                        .map(str::to_owned),
                    error: result
                        .and_then(|r| r.error_details())
                        .map(|e| ErrorDetails {
                            code: e.code().unwrap_or_default().to_owned(),
                            message: e.message().unwrap_or_default().to_owned(),
                        }),
                    external_id: result
                        .and_then(|r| r.external_execution_id())
                        .map(str::to_owned),
                    external_url: result
                        .and_then(|r| r.external_execution_url())
                        .map(str::to_owned),
                    started_ms: millis(detail.start_time()),
                    changed_ms: millis(detail.last_update_time()),
                },
            ));
        }
        match out.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => break,
        }
    }
    // Oldest first, so a retried action's newest run is applied last and wins.
    runs.sort_by_key(|(_, _, run)| run.started_ms.or(run.changed_ms).unwrap_or(0));
    for (stage, action, run) in runs {
        apply(view, &stage, &action, run);
    }
    view.origin = Origin::ActionExecutions;
    Ok(())
}

struct Run {
    status: Status,
    summary: Option<String>,
    error: Option<ErrorDetails>,
    external_id: Option<String>,
    external_url: Option<String>,
    started_ms: Option<i64>,
    changed_ms: Option<i64>,
}

fn apply(view: &mut ExecutionView, stage: &str, action: &str, run: Run) {
    let found = view
        .stages
        .iter_mut()
        .filter(|s| s.name == stage)
        .flat_map(|s| s.actions.iter_mut())
        .find(|a| a.name == action);
    let target = if let Some(found) = found {
        found
    } else {
        // An action the declaration no longer has (the pipeline changed since): still show it.
        let index = if let Some(i) = view.stages.iter().position(|s| s.name == stage) {
            i
        } else {
            view.stages.push(StageView {
                name: stage.to_owned(),
                actions: Vec::new(),
            });
            view.stages.len() - 1
        };
        view.stages[index].actions.push(ActionView {
            stage: stage.to_owned(),
            name: action.to_owned(),
            provider: String::new(),
            category: String::new(),
            status: Status::NotRun,
            summary: None,
            error: None,
            external_id: None,
            external_url: None,
            started_ms: None,
            changed_ms: None,
            source_branch: None,
        });
        view.stages[index].actions.last_mut().expect("just pushed")
    };
    target.status = run.status;
    target.summary = run.summary;
    target.error = run.error;
    target.external_id = run.external_id;
    target.external_url = run.external_url;
    target.started_ms = run.started_ms.or(target.started_ms);
    target.changed_ms = run.changed_ms;
}
