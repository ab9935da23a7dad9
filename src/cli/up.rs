//! `pipewright up`: plan, confirm when existing resources change, apply, print the outputs.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::Context;
use super::args::UpArgs;
use super::confirm::confirm;
use super::outputs::Outputs;
use super::progress::Lines;
use super::session::{Session, runtime};
use super::summary;
use crate::apply;
use crate::error::{Error, Result};
use crate::plan::{self, Mode};

pub(crate) fn run(ctx: &Context, args: &UpArgs) -> Result<()> {
    runtime()?.block_on(async {
        let session = Session::open(ctx).await?;
        let parallelism = usize::from(args.apply.parallelism);
        session.check_preconditions().await?;
        let live = session.observe(parallelism).await?;
        let plan = plan::diff(&session.model, &live, Mode::Up { adopt: args.adopt });
        let outputs = Outputs::of(&session.loaded.spec, &session.clients);
        if !plan.refused.is_empty() {
            if !ctx.out.is_json() {
                println!("{}", plan::render_human(&plan, &ctx.out));
            }
            return Err(Error::failed(
                format!(
                    "{} resource(s) with this pipeline's names exist and are not owned by it; \
                     nothing was changed",
                    plan.refused.len()
                ),
                Some(plan.refused[0].hint.clone()),
            ));
        }
        if !ctx.out.is_json() && !ctx.out.quiet {
            println!("{}", plan::render_human(&plan, &ctx.out));
        }
        if !plan.has_changes() {
            summary::finish(ctx, &plan, None, &outputs);
            return Ok(());
        }
        if plan.is_destructive() {
            confirm("Apply these changes?", args.apply.yes)?;
        }
        let cancel = CancellationToken::new();
        let watcher = summary::cancel_on_ctrl_c(cancel.clone());
        let mut options = apply::Options::new(&plan.pipeline, parallelism);
        options.delete.force = false;
        let report = apply::run(
            &session.clients,
            &plan,
            &session.model.dependencies,
            &options,
            Arc::new(Lines::new(ctx.out)),
            cancel,
        )
        .await;
        watcher.abort();
        summary::finish(ctx, &plan, Some(&report), &outputs);
        summary::outcome(&report, &session.clients)
    })
}
