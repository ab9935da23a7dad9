//! The command line: parse, resolve, dispatch, and turn the outcome into an exit code.
//!
//! Each command lives in its own file as a function of a resolved [`Context`] and its own args;
//! they call the layers below and print, nothing more.

pub mod args;
mod completions;
mod confirm;
mod cost;
mod down;
mod graph;
mod init;
mod locking;
mod logs;
mod offline;
mod outputs;
mod picture;
mod plan;
mod progress;
mod push;
mod render;
mod run;
mod schema;
mod session;
mod status;
mod stdout;
mod summary;
mod up;
mod validate;

use std::process::ExitCode;

use clap::Parser;

use crate::error::{Error, Result, exit};
use crate::output::Output;
use args::{Cli, Command, GlobalArgs};

/// Everything a command needs besides its own arguments.
#[derive(Debug, Clone)]
pub struct Context {
    pub global: GlobalArgs,
    pub out: Output,
}

/// Entry point of the binary.
#[must_use]
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = cli.global.output();
    let ctx = Context {
        global: cli.global,
        out,
    };
    match dispatch(&ctx, cli.command) {
        Ok(()) => ExitCode::from(exit::SUCCESS),
        Err(err) => {
            report(&ctx, &err);
            ExitCode::from(err.exit_code())
        }
    }
}

fn dispatch(ctx: &Context, command: Command) -> Result<()> {
    match command {
        Command::Completions(args) => completions::run(ctx, &args),
        Command::Man(args) => completions::man(ctx, &args),
        Command::Init(args) => init::run(ctx, &args),
        Command::Validate(args) => validate::run(ctx, &args),
        Command::Render(args) => render::run(ctx, &args),
        Command::Schema => schema::run(ctx),
        Command::Plan(args) => plan::run(ctx, &args),
        Command::Up(args) => up::run(ctx, &args),
        Command::Down(args) => down::run(ctx, &args),
        Command::Push(args) => push::run(ctx, &args),
        Command::Status(args) => status::run(ctx, &args),
        Command::Run(args) => run::run(ctx, &args),
        Command::Logs(args) => logs::run(ctx, &args),
        Command::Cost(args) => cost::run(ctx, &args),
        Command::Graph(args) => graph::run(ctx, &args),
    }
}

/// Print an error to stderr: miette's report for people, one JSON object for `--output json`.
fn report(ctx: &Context, err: &Error) {
    if err.is_silent() {
        return;
    }
    if ctx.out.is_json() {
        let value = serde_json::json!({
            "error": err.to_string(),
            "exit_code": err.exit_code(),
        });
        eprintln!("{value}");
        return;
    }
    // A spec's problems look the same from every command: as `validate` prints them.
    if let Error::Spec(spec) = err {
        let file = ctx.global.file.display().to_string();
        eprint!(
            "{}",
            validate::problems(ctx, &file, &spec.errors, &spec.warnings)
        );
        return;
    }
    let theme = if ctx.out.color_stderr {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_context_lines(1);
    let mut text = String::new();
    if handler.render_report(&mut text, err).is_err() {
        text = format!("error: {err}");
    }
    eprint!("{text}");
}
