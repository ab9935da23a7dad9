//! `pipewright completions <shell>`: shell completion scripts, generated from the clap definitions.

use clap::CommandFactory;

use super::Context;
use super::args::{Cli, CompletionsArgs};
use crate::error::Result;

#[allow(clippy::unnecessary_wraps)] // every command has the same signature
pub(crate) fn run(_ctx: &Context, args: &CompletionsArgs) -> Result<()> {
    let mut command = Cli::command();
    clap_complete::generate(
        args.shell,
        &mut command,
        "pipewright",
        &mut std::io::stdout(),
    );
    Ok(())
}
