//! pipewright: one declarative `pipewright.yml` in, a complete AWS delivery pipeline out.
//!
//! The layers each know one thing and data flows one way:
//! `spec` (parse + validate, no AWS) → `model` (desired resources and their graph) → `plan` (diff
//! against live state) → `apply` (run a plan concurrently) through one adapter per AWS service in
//! `aws`; `render` writes buildspec/appspec, `diagnose` reads failures back, `cli` is thin glue.

pub mod apply;
pub mod aws;
pub mod cli;
pub mod cost;
pub mod diagnose;
pub mod error;
pub mod graph;
pub mod model;
pub mod observe;
pub mod output;
pub mod plan;
pub mod push;
pub mod render;
pub mod spec;

pub use error::{Error, Result};
