//! pipewright's integration tests: one binary, one module per feature.
//!
//! Every test drives the real `pipewright` binary through [`support::Test`], a fluent builder that
//! reads like a user session: spec in, command, expected exit code and output.

// The test binary is not an API: `pub` in its modules only means "visible to sibling modules".
#![allow(unreachable_pub)]
// Tests read AWS responses field by field; these pedantic lints only add noise there. A test is
// one user session read top to bottom (its shared steps are `support`'s), so it may run long.
#![allow(
    clippy::redundant_closure_for_method_calls,
    clippy::similar_names,
    clippy::too_many_lines
)]

mod support;

mod adapters_build_pipeline;
mod adapters_deploy_source;
mod aws_routes;
mod cli;
mod cost;
mod diagnose;
mod engine;
mod examples;
mod first_ten_minutes;
mod graph;
mod hardening;
mod init;
mod never_panics;
mod push;
mod readme;
mod render;
mod roles;
mod schema;
mod strict_emulator;
mod validate;
