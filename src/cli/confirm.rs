//! Asking before changing what exists: only on a terminal, never by surprise in a script.

use std::io::{BufRead, IsTerminal, Write};

use crate::error::{Error, Result};

/// Ask `question` unless `yes`; refuse outright when nobody can answer.
pub(crate) fn confirm(question: &str, yes: bool) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::usage(
            "this would change or delete existing resources, and stdin is not a terminal to ask",
            Some("review `pipewright plan`, then pass --yes".to_owned()),
        ));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(Error::io("read the answer"))?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(Error::failed("cancelled: nothing was changed", None))
    }
}
