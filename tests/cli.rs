//! The command-line contract: help, version, exit codes, not-yet-built commands.

use crate::support::Test;

#[test]
fn version_prints_the_crate_version() {
    Test::new()
        .args(["--version"])
        .run()
        .success()
        .stdout_has(env!("CARGO_PKG_VERSION"));
}

#[test]
fn help_documents_exit_codes() {
    Test::new()
        .args(["--help"])
        .run()
        .success()
        .stdout_has("Exit codes:")
        .stdout_has("3  changes pending");
}

#[test]
fn unknown_flag_is_a_usage_error() {
    Test::new().args(["validate", "--frobnicate"]).run().code(2);
}

#[test]
fn completions_for_bash_name_every_command() {
    let out = Test::new().args(["completions", "bash"]).run().success();
    for command in ["init", "validate", "render", "plan", "up", "down", "logs"] {
        out.stdout_has(command);
    }
}
