//! Reading failures back and saying what they mean.
//!
//! From a pipeline name to the failing line, without printing anything: [`state`] finds the
//! execution and its failed action, [`codebuild`] / [`codedeploy`] read the action's own service
//! for the cause, [`logs`] reads the build's log lines, [`known`] recognises failures people hit
//! often (and [`source`] the first execution, which runs before anything was pushed), and
//! [`Diagnosis`] holds the result with `Display` for people and `Serialize` for `--output json`.
//! [`tail`] follows running builds. The commands in `cli` only print.

pub mod codebuild;
pub mod codedeploy;
mod diagnosis;
pub mod known;
pub mod limiter;
pub mod logs;
pub mod source;
pub mod state;
pub mod tail;
mod time;

pub use diagnosis::{
    Cause, Diagnosis, Located, Request, diagnose, explain_located, locate,
    symbol as diagnosis_symbol,
};
pub use time::{iso, parse_since};

#[cfg(test)]
mod tests;
