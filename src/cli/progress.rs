//! Progress of an apply on stderr: a spinner per running change on a terminal, one line per
//! finished change otherwise (logs, CI), nothing with `--quiet` or `--output json`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use console::Style;
use std::fmt::Write;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::apply::{Outcome, Progress};
use crate::aws::{AwsError, ErrorKind};
use crate::model::ResourceId;
use crate::output::Output;
use crate::plan::{Action, Change};

pub(crate) struct Lines {
    out: Output,
    bars: Option<(MultiProgress, Mutex<HashMap<ResourceId, ProgressBar>>)>,
}

impl Lines {
    pub(crate) fn new(out: Output) -> Self {
        let spinners = out.color_stderr && !out.quiet && !out.is_json();
        Self {
            out,
            bars: spinners.then(|| {
                (
                    MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                    Mutex::new(HashMap::new()),
                )
            }),
        }
    }

    fn silent(&self) -> bool {
        self.out.quiet || self.out.is_json()
    }

    fn print(&self, line: &str) {
        match &self.bars {
            Some((multi, _)) => {
                let _ = multi.println(line);
            }
            None => eprintln!("{line}"),
        }
    }
}

/// How long a change has taken, as the spinner shows it while it runs and the finished line
/// when it is done: one format, from one clock (the engine starts both when the change starts).
fn seconds(elapsed: Duration) -> String {
    format!("{:.1}s", elapsed.as_secs_f64())
}

fn doing(action: Action) -> &'static str {
    match action {
        Action::Create => "creating",
        Action::Update => "updating",
        Action::Replace => "replacing",
        Action::Delete => "deleting",
        Action::NoOp => "checking",
    }
}

fn done(action: Action) -> &'static str {
    match action {
        Action::Create => "created",
        Action::Update => "updated",
        Action::Replace => "replaced",
        Action::Delete => "deleted",
        Action::NoOp => "unchanged",
    }
}

impl Progress for Lines {
    fn started(&self, change: &Change) {
        if self.silent() {
            return;
        }
        if let Some((multi, bars)) = &self.bars {
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("  {spinner} {msg} {seconds}").map_or_else(
                    |_| ProgressStyle::default_spinner(),
                    |style| {
                        style.with_key("seconds", |state: &ProgressState, w: &mut dyn Write| {
                            let _ = w.write_str(&seconds(state.elapsed()));
                        })
                    },
                ),
            );
            bar.set_message(format!("{} {}", doing(change.action), change.id));
            bar.enable_steady_tick(Duration::from_millis(100));
            if let Ok(mut bars) = bars.lock() {
                bars.insert(change.id.clone(), bar);
            }
        } else if self.out.verbose > 0 {
            self.print(&format!("  … {} {}", doing(change.action), change.id));
        }
    }

    fn retrying(&self, change: &Change, error: &AwsError, attempt: usize) {
        if self.silent() {
            return;
        }
        let why = match error.kind {
            ErrorKind::IamPropagation => "waiting for a new IAM role to propagate".to_owned(),
            ErrorKind::Throttled => "throttled by AWS".to_owned(),
            _ => error.to_string(),
        };
        if self.out.verbose > 0 || error.kind == ErrorKind::IamPropagation {
            self.print(&format!(
                "  ↻ {} {}: {why} (retry {attempt})",
                doing(change.action),
                change.id
            ));
        }
    }

    fn finished(&self, change: &Change, outcome: &Outcome, elapsed: Duration) {
        if let Some((_, bars)) = &self.bars
            && let Ok(mut bars) = bars.lock()
            && let Some(bar) = bars.remove(&change.id)
        {
            bar.finish_and_clear();
        }
        if self.silent() {
            return;
        }
        let line = match outcome {
            Outcome::Done => format!(
                "  {} {} {} ({})",
                self.out.style_err(Style::new().green()).apply_to("✓"),
                done(change.action),
                change.id,
                seconds(elapsed)
            ),
            Outcome::Failed { error, .. } => format!(
                "  {} {} {}: {error}",
                self.out.style_err(Style::new().red()).apply_to("✗"),
                doing(change.action),
                change.id
            ),
            Outcome::Skipped { because } => format!(
                "  - skipped {} (it needs {because}, which failed)",
                change.id
            ),
            Outcome::NotStarted => format!("  - not started: {}", change.id),
        };
        self.print(&line);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::seconds;

    #[test]
    fn running_and_finished_changes_show_time_alike() {
        assert_eq!(seconds(Duration::from_millis(40)), "0.0s");
        assert_eq!(seconds(Duration::from_millis(1_549)), "1.5s");
        assert_eq!(seconds(Duration::from_secs(62)), "62.0s");
    }
}
