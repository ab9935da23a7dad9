//! `pipewright up`: plan, confirm when existing resources change, apply, print the outputs.
//!
//! A first plan decides whether there is anything to do at all (a no-op `up` writes nothing, not
//! even a lock). When there is, the pipeline's lock is taken and the plan is made again under
//! it, so two concurrent runs never apply stale plans over each other. A first plan that finds
//! resources it does not own while another run holds the lock waits for that run and judges
//! again under the lock: they may be that run's, created and not yet tagged.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::Context;
use super::args::UpArgs;
use super::confirm::confirm;
use super::outputs::Outputs;
use super::progress::Lines;
use super::session::{Session, runtime};
use super::summary::interruptible;
use super::{locking, summary};
use crate::apply;
use crate::error::{Error, Result};
use crate::plan::{self, Mode, Plan};

pub(crate) fn run(ctx: &Context, args: &UpArgs) -> Result<()> {
    runtime()?.block_on(async {
        // Ctrl-C is ours from the start: before any change it simply stops; during apply it
        // lets the calls in flight finish and reports what was done.
        let cancel = CancellationToken::new();
        let watcher = summary::cancel_on_ctrl_c(cancel.clone());
        let result = up(ctx, args, &cancel).await;
        watcher.abort();
        result
    })
}

async fn up(ctx: &Context, args: &UpArgs, cancel: &CancellationToken) -> Result<()> {
    let session = interruptible(cancel, Session::open(ctx)).await?;
    interruptible(cancel, session.check_preconditions()).await?;
    let mode = Mode::Up { adopt: args.adopt };
    let outputs = Outputs::of(&session.loaded.spec, &session.clients, &ctx.global, false);
    let first = interruptible(cancel, plan_now(&session, args, mode)).await?;
    // A resource that looks foreign while another run holds the lock may be one that run has
    // created and not yet tagged: wait for the lock and judge again under it.
    let busy = !first.refused.is_empty()
        && interruptible(cancel, locking::held(&session.clients, &session.model)).await?;
    if !busy {
        refuse_foreign(ctx, &first)?;
    }
    if !first.has_changes() && !busy {
        if !ctx.out.is_json() && !ctx.out.quiet {
            println!("{}", plan::render_human(&first, &ctx.out));
        }
        summary::finish(ctx, &first, None, &outputs);
        return Ok(());
    }
    let taken = interruptible(
        cancel,
        locking::take(
            &session.clients,
            &session.model,
            "up",
            args.apply.lock_wait,
            true,
            &untaggable_creates(&first),
            ctx.out,
        ),
    )
    .await?;
    // A bucket we just created means nobody else has acted on this pipeline: the first plan
    // stands. Otherwise someone may have while we waited: plan again under the lock.
    let plan = if taken.created_bucket && !busy {
        first
    } else {
        interruptible(cancel, plan_now(&session, args, mode)).await?
    };
    let result = apply_locked(ctx, args, &session, plan, &outputs, cancel).await;
    if let Some(lock) = taken.lock {
        lock.release().await;
    }
    result
}

/// Resources the plan creates that AWS cannot tag in the same call (buckets): journalled in the
/// lock so a run killed between the two calls does not orphan them.
fn untaggable_creates(plan: &Plan) -> Vec<crate::model::ResourceId> {
    plan.changes
        .iter()
        .filter(|c| c.action == plan::Action::Create && c.id.kind == crate::model::Kind::Bucket)
        .map(|c| c.id.clone())
        .collect()
}

async fn plan_now(session: &Session, args: &UpArgs, mode: Mode) -> Result<Plan> {
    let live = session
        .observe(usize::from(args.apply.parallelism), false)
        .await?;
    Ok(plan::diff(&session.model, &live, mode))
}

fn refuse_foreign(ctx: &Context, plan: &Plan) -> Result<()> {
    if plan.refused.is_empty() {
        return Ok(());
    }
    if !ctx.out.is_json() {
        println!("{}", plan::render_human(plan, &ctx.out));
    }
    Err(Error::failed(
        format!(
            "{} resource(s) with this pipeline's names exist and are not owned by it; \
             nothing was changed",
            plan.refused.len()
        ),
        Some(plan.refused[0].hint.clone()),
    ))
}

async fn apply_locked(
    ctx: &Context,
    args: &UpArgs,
    session: &Session,
    plan: Plan,
    outputs: &Outputs,
    cancel: &CancellationToken,
) -> Result<()> {
    refuse_foreign(ctx, &plan)?;
    if !ctx.out.is_json() && !ctx.out.quiet {
        println!("{}", plan::render_human(&plan, &ctx.out));
    }
    if !plan.has_changes() {
        summary::finish(ctx, &plan, None, outputs);
        return Ok(());
    }
    if plan.is_destructive() {
        confirm("Apply these changes?", args.apply.yes)?;
    }
    let options = apply::Options::new(&plan.pipeline, usize::from(args.apply.parallelism));
    let report = apply::run(
        &session.clients,
        &plan,
        &session.model.dependencies,
        &options,
        Arc::new(Lines::new(ctx.out)),
        cancel.clone(),
    )
    .await;
    summary::finish(ctx, &plan, Some(&report), outputs);
    summary::outcome(&report, &session.clients)
}
