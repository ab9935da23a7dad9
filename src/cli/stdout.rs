//! Writing a command's whole result to stdout, once: a closed pipe (`… | head`) is the reader's
//! choice, not an error.

use std::io::Write as _;

use crate::error::{Error, Result};

/// Write `text` and flush; `context` names what failed when writing does (not a closed pipe).
pub(crate) fn emit(text: &str, context: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::io(context)(e)),
        _ => Ok(()),
    }
}
