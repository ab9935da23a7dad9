//! The end of an apply: what was done, what failed and why, and the exit code.

use tokio_util::sync::CancellationToken;

use super::Context;
use super::outputs::Outputs;
use crate::apply::{Outcome, Report};
use crate::aws::Clients;
use crate::diagnose::known;
use crate::error::{Error, Result};
use crate::plan::Plan;

/// Cancel the run on the first Ctrl-C: in-flight calls finish, nothing new starts.
pub(crate) fn cancel_on_ctrl_c(cancel: CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nInterrupted: finishing the calls in flight, starting no new ones…");
            cancel.cancel();
        }
    })
}

/// Run one phase before any change is made; Ctrl-C during it ends the command at once.
pub(crate) async fn interruptible<T>(
    cancel: &CancellationToken,
    phase: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    tokio::select! {
        biased;
        () = cancel.cancelled() => {
            eprintln!("Interrupted before any change was made: nothing was changed.");
            Err(Error::Interrupted)
        }
        result = phase => result,
    }
}

/// Print the result of `up` (and the outputs).
pub(crate) fn finish(ctx: &Context, plan: &Plan, report: Option<&Report>, outputs: &Outputs) {
    if ctx.out.is_json() {
        let value = serde_json::json!({ "plan": plan, "report": report, "outputs": outputs });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
        return;
    }
    if let Some(report) = report {
        print_report(report);
    }
    if report.is_none_or(Report::succeeded) {
        println!("\n{}", outputs.render());
    }
}

/// Print the result of `down`.
pub(crate) fn finish_down(ctx: &Context, plan: &Plan, report: &Report) {
    if ctx.out.is_json() {
        let value = serde_json::json!({ "plan": plan, "report": report });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
        return;
    }
    print_report(report);
    // Without --quiet the plan above already listed them.
    if ctx.out.quiet {
        for kept in &plan.kept {
            println!("Kept: {} ({})", kept.id, kept.reason);
        }
        for refused in &plan.refused {
            println!("Not touched: {}: {}", refused.id, refused.reason);
        }
    }
}

fn print_report(report: &Report) {
    let done = report.count(true);
    let total = report.results.len();
    if report.cancelled {
        println!(
            "\nInterrupted: {done} of {total} changes were made; run the command again to finish."
        );
    } else if report.succeeded() {
        println!("\nDone: {done} change(s) applied.");
    } else {
        println!("\n{done} of {total} changes applied. Failed:");
        for result in report.failures() {
            if let Outcome::Failed { error } = &result.outcome {
                println!("  ✗ {}: {error}", result.id);
                if let Some(why) = known::message(&error.message) {
                    println!(
                        "    {}\n    fix: {}\n    docs: {}",
                        why.summary, why.fix, why.docs
                    );
                }
            }
        }
        let skipped = report
            .results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Skipped { .. }))
            .count();
        if skipped > 0 {
            println!("  {skipped} change(s) skipped because something they need failed.");
        }
        println!(
            "Nothing is left half-done: run the command again to finish once the cause is fixed."
        );
    }
}

/// The exit status of an apply.
pub(crate) fn outcome(report: &Report, clients: &Clients) -> Result<()> {
    if report.cancelled {
        return Err(Error::Interrupted);
    }
    if let Some(first) = report.failures().next()
        && let Outcome::Failed { error } = &first.outcome
    {
        let count = report.failures().count();
        return Err(super::session::aws_error_in(error, clients, |message| {
            format!("{count} change(s) failed; first: {message}")
        }));
    }
    Ok(())
}
