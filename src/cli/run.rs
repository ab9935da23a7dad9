//! `pipewright run`: start an execution and follow it stage by stage; on failure print the
//! diagnosis exactly as `pipewright logs` does. `--no-wait` returns at once, `--stop` stops.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::json;

use super::Context;
use super::args::RunArgs;
use super::outputs::Outputs;
use super::picture;
use super::session::{Reading, reading_runtime};
use crate::aws::codepipeline;
use crate::diagnose::logs::Reader;
use crate::diagnose::state::{self, ActionView, Selector, Status};
use crate::diagnose::{Request, diagnose, diagnosis_symbol};
use crate::error::{Error, Result, exit};

/// How often the execution is read while it runs.
const POLL: Duration = Duration::from_millis(500);
/// How long a stage that failed because a new IAM role was not visible yet is retried: IAM is
/// eventually consistent, and right after `up` a service may not assume a new role for a few
/// seconds (AWS's "changes ... take time to propagate"), so the first `run` would otherwise
/// fail for nothing. <https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency>
const PROPAGATION_BUDGET: Duration = Duration::from_secs(90);
/// Log lines shown before a failure (as `logs` without `--lines`).
const DIAGNOSIS_LINES: usize = 50;

pub(crate) fn run(ctx: &Context, args: &RunArgs) -> Result<()> {
    reading_runtime()?.block_on(async {
        let session = Reading::open(ctx).await?;
        let pipeline = session.pipeline();
        if args.stop {
            return stop(ctx, &session, &pipeline).await;
        }
        let id = codepipeline::start_execution(&session.clients.codepipeline, &pipeline, &token())
            .await
            .map_err(|e| session.error(&e))?;
        if args.no_wait {
            if ctx.out.is_json() {
                println!("{}", json!({ "type": "started", "execution_id": id }));
            } else {
                println!("{id}");
            }
            return Ok(());
        }
        if ctx.out.is_json() {
            println!("{}", json!({ "type": "started", "execution_id": id }));
        } else if !ctx.out.quiet {
            eprintln!(
                "Started execution {id} of {pipeline}.\n\
                 Ctrl-C stops watching; the execution keeps running (`pipewright run --stop` stops it)."
            );
        }
        let watch = watch(ctx, &session, &pipeline, &id);
        let status = tokio::select! {
            status = watch => status?,
            _ = tokio::signal::ctrl_c() => {
                eprintln!(
                    "\nStopped watching. Execution {id} keeps running: `pipewright status --watch` \
                     follows it, `pipewright run --stop` stops it."
                );
                return Err(Error::Interrupted);
            }
        };
        finish(ctx, &session, &pipeline, &id, status).await
    })
}

/// A fresh idempotency token for StartPipelineExecution.
fn token() -> String {
    format!("pipewright-{}-{}", std::process::id(), picture::now_ms())
}

/// Print a line per action as it changes, until the execution is over.
async fn watch(ctx: &Context, session: &Reading, pipeline: &str, id: &str) -> Result<Status> {
    let selector = Selector::Id(id.to_owned());
    let mut seen: HashMap<(String, String), Status> = HashMap::new();
    let mut began: HashMap<(String, String), i64> = HashMap::new();
    let mut propagation = Propagation::new();
    loop {
        let view = match state::load(&session.clients.codepipeline, pipeline, &selector).await {
            Ok(view) => view,
            // A brand-new execution may not be listed for a moment.
            Err(err) if err.is(crate::aws::ErrorKind::NotFound) && seen.is_empty() => {
                tokio::time::sleep(POLL).await;
                continue;
            }
            Err(err) => return Err(session.error(&err)),
        };
        for action in view.actions() {
            let key = (action.stage.clone(), action.name.clone());
            if action.status == Status::NotRun || seen.get(&key) == Some(&action.status) {
                continue;
            }
            if action.status == Status::InProgress
                && let Some(changed) = action.changed_ms.or(action.started_ms)
            {
                began.entry(key.clone()).or_insert(changed);
            }
            let start = action
                .started_ms
                .or_else(|| began.get(&key).copied())
                .or(view.started_ms);
            print_action(ctx, action, start);
            seen.insert(key, action.status);
        }
        if view.status == Status::Failed
            && let Some(stage) = propagation.retry(&view)
        {
            if !ctx.out.quiet && !ctx.out.is_json() {
                eprintln!(
                    "  ↻ {stage}: a new IAM role is not visible to the service yet; retrying the stage"
                );
            }
            tokio::time::sleep(propagation.wait()).await;
            codepipeline::retry_failed_actions(&session.clients.codepipeline, pipeline, &stage, id)
                .await
                .map_err(|e| session.error(&e))?;
            seen.retain(|(s, _), _| *s != stage);
            continue;
        }
        if view.status.is_final() {
            return Ok(view.status);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Retries of stages that failed only because IAM had not propagated a new role yet, with a
/// doubling wait, within [`PROPAGATION_BUDGET`].
struct Propagation {
    started: std::time::Instant,
    next: Duration,
}

impl Propagation {
    fn new() -> Self {
        let initial = std::env::var("PIPEWRIGHT_RETRY_INITIAL_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(Duration::from_secs(2), Duration::from_millis);
        Self {
            started: std::time::Instant::now(),
            next: initial,
        }
    }

    /// The stage to retry: one whose failed action says the role is not assumable yet.
    fn retry(&self, view: &state::ExecutionView) -> Option<String> {
        if self.started.elapsed() >= PROPAGATION_BUDGET {
            return None;
        }
        view.actions()
            .find(|a| {
                a.status == Status::Failed
                    && a.error
                        .as_ref()
                        .is_some_and(|e| crate::aws::error::is_iam_propagation(&e.message))
            })
            .map(|a| a.stage.clone())
    }

    fn wait(&mut self) -> Duration {
        let now = self.next;
        self.next = (self.next * 2).min(Duration::from_secs(15));
        now
    }
}

fn print_action(ctx: &Context, action: &ActionView, start: Option<i64>) {
    let elapsed = match (start, action.changed_ms) {
        (Some(start), Some(end)) if action.status.is_final() => {
            #[allow(clippy::cast_precision_loss)]
            let secs = (end - start).max(0) as f64 / 1000.0;
            format!(" {secs:>5.1}s")
        }
        _ => String::new(),
    };
    if ctx.out.is_json() {
        println!(
            "{}",
            json!({
                "type": "action",
                "stage": action.stage,
                "action": action.name,
                "status": action.status,
                "elapsed_ms": match (start, action.changed_ms) {
                    (Some(s), Some(e)) if action.status.is_final() => Some(e - s),
                    _ => None,
                },
            })
        );
        return;
    }
    if ctx.out.quiet {
        return;
    }
    let label = format!("{}/{}", action.stage, action.name);
    let head = format!(
        "{} {label:<24} {:<10}",
        diagnosis_symbol(action.status),
        action.status.as_str()
    );
    // Statuses are padded so elapsed times line up; nothing trails a line without one.
    let head = if elapsed.is_empty() {
        head.trim_end().to_owned()
    } else {
        head
    };
    println!(
        "  {}{elapsed}",
        picture::style(ctx.out, action.status).apply_to(head)
    );
}

async fn finish(
    ctx: &Context,
    session: &Reading,
    pipeline: &str,
    id: &str,
    status: Status,
) -> Result<()> {
    if status == Status::Succeeded {
        let outputs = Outputs::of(&session.loaded.spec, &session.clients, &ctx.global, true);
        if ctx.out.is_json() {
            println!(
                "{}",
                json!({ "type": "succeeded", "execution_id": id, "outputs": outputs })
            );
        } else {
            println!("\n✓ Execution {id} Succeeded.\n\n{}", outputs.render());
        }
        return Ok(());
    }
    let request = Request {
        selector: Selector::Id(id.to_owned()),
        stage: None,
        action: None,
        since: None,
        lines: Some(DIAGNOSIS_LINES),
    };
    let reader = Reader::new(&session.clients.logs);
    let diagnosis = diagnose(&session.clients, &reader, pipeline, &request)
        .await
        .map_err(|e| session.error(&e))?;
    super::logs::print_diagnosis(ctx, &diagnosis);
    Err(Error::Exit(exit::FAILURE))
}

/// `run --stop`: stop the newest running execution (it finishes its running actions).
async fn stop(ctx: &Context, session: &Reading, pipeline: &str) -> Result<()> {
    let executions = state::executions(&session.clients.codepipeline, pipeline, 20)
        .await
        .map_err(|e| session.error(&e))?;
    let Some(running) = executions.iter().find(|e| e.status == Status::InProgress) else {
        return Err(Error::failed(
            format!("no execution of {pipeline} is running"),
            Some("`pipewright status` shows the latest one".to_owned()),
        ));
    };
    codepipeline::stop_execution(
        &session.clients.codepipeline,
        pipeline,
        &running.id,
        "Stopped with `pipewright run --stop`",
    )
    .await
    .map_err(|e| session.error(&e))?;
    if ctx.out.is_json() {
        println!(
            "{}",
            json!({ "type": "stopping", "execution_id": running.id })
        );
    } else {
        println!(
            "Stopping execution {}: running actions finish, nothing new starts.",
            running.id
        );
    }
    Ok(())
}
