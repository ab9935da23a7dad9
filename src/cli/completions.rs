//! `pipewright completions <shell>` and `pipewright man`: shell completion scripts and the man
//! page, both generated from the clap definitions, so they never drift from the flags.

use clap::CommandFactory;

use super::Context;
use super::args::{Cli, CompletionsArgs, ManArgs};
use crate::error::{Error, Result};

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

/// `pipewright man [DIR]`: the man page on stdout, or every command's page written into DIR
/// (README installs them where `man` looks: `share/man/man1` beside the binary).
pub(crate) fn man(ctx: &Context, args: &ManArgs) -> Result<()> {
    let Some(dir) = &args.dir else {
        let mut page = Vec::new();
        clap_mangen::Man::new(Cli::command())
            .render(&mut page)
            .map_err(Error::io("render the man page"))?;
        return super::stdout::emit(&String::from_utf8_lossy(&page), "write the man page");
    };
    let context = || format!("write the man pages into {}", dir.display());
    std::fs::create_dir_all(dir).map_err(Error::io(context()))?;
    clap_mangen::generate_to(Cli::command(), dir).map_err(Error::io(context()))?;
    if !ctx.out.quiet {
        println!(
            "Wrote pipewright.1 and a page per command into {}: `man pipewright`, \
             `man pipewright-up`, …",
            dir.display()
        );
    }
    Ok(())
}
