//! `pipewright down`: remove everything this pipeline owns, and nothing else.
//!
//! Three things are never removed by surprise: resources without the ownership tag (named and
//! left alone), the source repository (kept unless `--delete-repo`), and buckets holding objects
//! pipewright cannot account for (kept unless `--force`).

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::Context;
use super::args::DownArgs;
use super::confirm::confirm;
use super::progress::Lines;
use super::session::{Session, runtime};
use super::summary::interruptible;
use super::{locking, summary};
use crate::apply;
use crate::error::Result;
use crate::model::Kind;
use crate::plan::{self, Action, Mode, Plan};

pub(crate) fn run(ctx: &Context, args: &DownArgs) -> Result<()> {
    runtime()?.block_on(async {
        let cancel = CancellationToken::new();
        let watcher = summary::cancel_on_ctrl_c(cancel.clone());
        let result = down(ctx, args, &cancel).await;
        watcher.abort();
        result
    })
}

async fn down(ctx: &Context, args: &DownArgs, cancel: &CancellationToken) -> Result<()> {
    let session = interruptible(cancel, Session::open(ctx)).await?;
    if args.dry_run {
        let plan = interruptible(cancel, plan_now(&session, args)).await?;
        show(ctx, &plan);
        return Ok(());
    }
    // Lock first, then observe and plan once: what is deleted is what was seen under the lock.
    let taken = interruptible(
        cancel,
        locking::take(
            &session.clients,
            &session.model,
            "down",
            args.apply.lock_wait,
            false,
            &[],
            ctx.out,
        ),
    )
    .await?;
    let result = delete_locked(ctx, args, &session, cancel).await;
    if let Some(lock) = taken.lock {
        lock.release().await;
    }
    result
}

/// The plan for people (or as JSON), or "nothing to remove".
fn show(ctx: &Context, plan: &Plan) {
    if !plan.has_changes() {
        nothing_to_remove(ctx, plan);
    } else if ctx.out.is_json() {
        println!("{}", serde_json::to_string_pretty(plan).unwrap_or_default());
    } else if !ctx.out.quiet {
        println!("{}", plan::render_human(plan, &ctx.out));
    }
}

/// Observe (looking inside the buckets unless `--force`), and plan the deletes: a bucket
/// holding objects pipewright did not write is kept.
async fn plan_now(session: &Session, args: &DownArgs) -> Result<Plan> {
    let live = session
        .observe(usize::from(args.apply.parallelism), !args.force)
        .await?;
    Ok(plan::diff(
        &session.model,
        &live,
        Mode::Down {
            delete_repo: args.delete_repo,
        },
    ))
}

fn nothing_to_remove(ctx: &Context, plan: &Plan) {
    if ctx.out.is_json() {
        println!("{}", serde_json::to_string_pretty(plan).unwrap_or_default());
        return;
    }
    println!(
        "Nothing to remove: pipeline {} owns no resources.",
        plan.pipeline
    );
    for kept in &plan.kept {
        println!("Kept: {} ({})", kept.id, kept.reason);
    }
    for refused in &plan.refused {
        println!("Not touched: {}: {}", refused.id, refused.reason);
    }
}

async fn delete_locked(
    ctx: &Context,
    args: &DownArgs,
    session: &Session,
    cancel: &CancellationToken,
) -> Result<()> {
    let plan = interruptible(cancel, plan_now(session, args)).await?;
    if !plan.has_changes() {
        nothing_to_remove(ctx, &plan);
        return Ok(());
    }
    if !ctx.out.is_json() && !ctx.out.quiet {
        println!("{}", plan::render_human(&plan, &ctx.out));
    }
    confirm("Delete these resources?", args.apply.yes)?;
    let deletes_repository = plan
        .changes
        .iter()
        .any(|c| c.action == Action::Delete && c.id.kind == Kind::Repository);
    if deletes_repository {
        confirm(
            "The source repository and its whole history will be deleted. Continue?",
            args.apply.yes,
        )?;
    }
    let mut options = apply::Options::new(&plan.pipeline, usize::from(args.apply.parallelism));
    options.delete.force = args.force;
    let report = apply::run(
        &session.clients,
        &plan,
        &session.model.dependencies,
        &options,
        Arc::new(Lines::new(ctx.out)),
        cancel.clone(),
    )
    .await;
    summary::finish_down(ctx, &plan, &report);
    summary::outcome(&report, &session.clients)
}
