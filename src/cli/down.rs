//! `pipewright down`: remove everything this pipeline owns, and nothing else.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::Context;
use super::args::DownArgs;
use super::confirm::confirm;
use super::progress::Lines;
use super::session::{Session, runtime};
use super::summary;
use crate::apply;
use crate::error::Result;
use crate::model::Kind;
use crate::plan::{self, Action, Mode};

pub(crate) fn run(ctx: &Context, args: &DownArgs) -> Result<()> {
    runtime()?.block_on(async {
        let session = Session::open(ctx).await?;
        let parallelism = usize::from(args.apply.parallelism);
        let live = session.observe(parallelism).await?;
        let plan = plan::diff(
            &session.model,
            &live,
            Mode::Down {
                delete_repo: args.delete_repo,
            },
        );
        if !plan.has_changes() {
            if ctx.out.is_json() {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&plan).unwrap_or_default()
                );
            } else {
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
            return Ok(());
        }
        if !ctx.out.is_json() && !ctx.out.quiet {
            println!("{}", plan::render_human(&plan, &ctx.out));
        }
        if args.dry_run {
            if ctx.out.is_json() {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&plan).unwrap_or_default()
                );
            }
            return Ok(());
        }
        confirm("Delete these resources?", args.apply.yes)?;
        let repository_with_commits = plan.changes.iter().find(|c| {
            c.action == Action::Delete
                && c.id.kind == Kind::Repository
                && live.get(&c.id).and_then(|l| l.facts.has_commits) != Some(false)
        });
        if let Some(repository) = repository_with_commits {
            confirm(
                &format!(
                    "{} holds commits; delete it with its whole history?",
                    repository.id
                ),
                args.apply.yes,
            )?;
        }
        let cancel = CancellationToken::new();
        let watcher = summary::cancel_on_ctrl_c(cancel.clone());
        let mut options = apply::Options::new(&plan.pipeline, parallelism);
        options.delete.force = args.force;
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
        summary::finish_down(ctx, &plan, &report);
        summary::outcome(&report, &session.clients)
    })
}
