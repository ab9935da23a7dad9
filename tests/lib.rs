//! pipewright's integration tests: one binary, one module per feature.
//!
//! Every test drives the real `pipewright` binary through [`support::Test`], a fluent builder that
//! reads like a user session: spec in, command, expected exit code and output.

// The test binary is not an API: `pub` in its modules only means "visible to sibling modules".
#![allow(unreachable_pub)]

mod support;

mod cli;
mod never_panics;
mod schema;
mod validate;
