//! How the engine reports what it does, without printing (the CLI decides how to show it).

use std::time::Duration;

use super::Outcome;
use crate::aws::AwsError;
use crate::plan::Change;

/// Hooks called as changes start, retry and finish (from several tasks at once).
pub trait Progress: Send + Sync {
    fn started(&self, change: &Change);
    fn retrying(&self, change: &Change, error: &AwsError, attempt: usize);
    fn finished(&self, change: &Change, outcome: &Outcome, elapsed: Duration);
}

/// Reports nothing (tests, benchmarks, `--quiet`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn started(&self, _: &Change) {}
    fn retrying(&self, _: &Change, _: &AwsError, _: usize) {}
    fn finished(&self, _: &Change, _: &Outcome, _: Duration) {}
}
