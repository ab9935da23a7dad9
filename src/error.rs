//! The program-level error, and the one place exit codes are decided.

use miette::Diagnostic;
use thiserror::Error;

use crate::spec::SpecErrors;

/// Exit codes, as documented in README and `--help`.
pub mod exit {
    pub const SUCCESS: u8 = 0;
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const CHANGES_PENDING: u8 = 3;
    pub const INTERRUPTED: u8 = 130;
}

#[derive(Debug, Error, Diagnostic)]
pub enum Error {
    /// The spec could not be read or is invalid (its diagnostics carry file:line:column).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Spec(#[from] SpecErrors),

    /// The command line or the situation makes the request impossible.
    #[error("{message}")]
    #[diagnostic(code(pipewright::usage))]
    Usage {
        message: String,
        #[help]
        hint: Option<String>,
    },

    /// Something failed while running (AWS, files, a pipeline).
    #[error("{message}")]
    #[diagnostic(code(pipewright::failed))]
    Failed {
        message: String,
        #[help]
        hint: Option<String>,
    },

    /// The command ran and reports a non-zero outcome that is not an error (a failed pipeline
    /// whose diagnosis was already printed, `render --check` differences, pending changes).
    #[error("")]
    Exit(u8),

    #[error("interrupted")]
    Interrupted,

    #[error("`pipewright {0}` is not built yet")]
    #[diagnostic(
        code(pipewright::not_built),
        help(
            "this command is declared so scripts can rely on its flags; it lands in a later release"
        )
    )]
    NotBuilt(&'static str),

    #[error("{context}")]
    #[diagnostic(code(pipewright::io))]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    #[must_use]
    pub fn usage(message: impl Into<String>, hint: impl Into<Option<String>>) -> Self {
        Error::Usage {
            message: message.into(),
            hint: hint.into(),
        }
    }

    #[must_use]
    pub fn failed(message: impl Into<String>, hint: impl Into<Option<String>>) -> Self {
        Error::Failed {
            message: message.into(),
            hint: hint.into(),
        }
    }

    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| Error::Io { context, source }
    }

    /// The process exit code for this error.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Spec(_) | Error::Usage { .. } => exit::USAGE,
            Error::Failed { .. } | Error::NotBuilt(_) | Error::Io { .. } => exit::FAILURE,
            Error::Exit(code) => *code,
            Error::Interrupted => exit::INTERRUPTED,
        }
    }

    /// Whether there is anything to print (an [`Error::Exit`] has already said everything).
    #[must_use]
    pub fn is_silent(&self) -> bool {
        matches!(self, Error::Exit(_))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
