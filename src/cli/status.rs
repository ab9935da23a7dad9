//! `pipewright status`: the latest execution as a picture; `--watch` redraws until it ends.

use std::time::Duration;

use super::Context;
use super::args::StatusArgs;
use super::picture;
use super::session::{Reading, reading_runtime};
use crate::diagnose::source;
use crate::diagnose::state::{self, Selector};
use crate::error::{Error, Result};

pub(crate) fn run(ctx: &Context, args: &StatusArgs) -> Result<()> {
    reading_runtime()?.block_on(async {
        let session = Reading::open(ctx).await?;
        let pipeline = session.pipeline();
        let term = console::Term::stdout();
        let mut drawn = 0usize;
        loop {
            let view = state::load(&session.clients.codepipeline, &pipeline, &Selector::Latest)
                .await
                .map_err(|e| session.error(&e))?;
            let why = match view.failed_action(None, None) {
                Some(failed) => source::explain(&session.clients, failed).await,
                None => None,
            };
            if ctx.out.is_json() {
                // One object per drawing (one line each with --watch).
                let mut value = serde_json::to_value(&view).unwrap_or_default();
                if let Some(why) = &why {
                    value["explanation"] = serde_json::to_value(why).unwrap_or_default();
                }
                let text = if args.watch {
                    serde_json::to_string(&value)
                } else {
                    serde_json::to_string_pretty(&value)
                };
                println!("{}", text.unwrap_or_default());
            } else {
                let text = picture::render(&view, ctx.out, picture::width(), why.as_ref());
                // Redraw in place on a terminal; elsewhere (logs, CI) print each state anew.
                if args.watch && ctx.out.color && drawn > 0 {
                    let _ = term.clear_last_lines(drawn);
                }
                print!("{text}");
                drawn = text.lines().count();
            }
            if !args.watch || view.execution_id.is_none() || view.status.is_final() {
                return Ok(());
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(2)) => {}
                _ = tokio::signal::ctrl_c() => return Err(Error::Interrupted),
            }
        }
    })
}
