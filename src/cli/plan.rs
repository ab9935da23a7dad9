//! `pipewright plan`: what `up` would change.

use super::Context;
use super::args::PlanArgs;
use super::session::{Session, runtime};
use crate::error::{Error, Result, exit};
use crate::plan::{self, Mode};

pub(crate) fn run(ctx: &Context, args: &PlanArgs) -> Result<()> {
    runtime()?.block_on(async {
        let session = Session::open(ctx).await?;
        session.check_preconditions().await?;
        let live = session.observe(8, false).await?;
        let plan = plan::diff(&session.model, &live, Mode::Up { adopt: false });
        if ctx.out.is_json() {
            println!(
                "{}",
                serde_json::to_string_pretty(&plan).unwrap_or_default()
            );
        } else {
            println!("{}", plan::render_human(&plan, &ctx.out));
        }
        if !plan.refused.is_empty() {
            return Err(Error::Exit(exit::FAILURE));
        }
        if args.detailed_exitcode && plan.has_changes() {
            return Err(Error::Exit(exit::CHANGES_PENDING));
        }
        Ok(())
    })
}
