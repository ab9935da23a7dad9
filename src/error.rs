//! The program-level error: what each layer's own error means to the user, and the one place
//! exit codes are decided. Only the command line (`cli`, `main`) uses it: the layers below
//! return their own errors (`SpecErrors`, `RenderError`, `PushError`, `AwsError`, …), which
//! callers can match, and the conversions here turn them into what is printed.

use miette::Diagnostic;
use thiserror::Error;

use crate::push::PushError;
use crate::render::RenderError;
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

/// Spec and template problems are the user's to fix (exit 2); unreadable folders and serializer
/// bugs are failures (exit 1).
impl From<RenderError> for Error {
    fn from(err: RenderError) -> Self {
        match err {
            RenderError::Template { ref hint, .. } | RenderError::Spec { ref hint, .. } => {
                let hint = hint.clone();
                Error::usage(err.to_string(), hint)
            }
            RenderError::Read { path, source } => Error::Io {
                context: format!("cannot read {path}"),
                source,
            },
            RenderError::Serialize { .. } => Error::failed(
                err.to_string(),
                Some("please report this as a pipewright bug".to_owned()),
            ),
        }
    }
}

/// A folder that cannot be pushed as it is is the user's to fix (exit 2); unreadable files and
/// failed calls are failures (exit 1). `cli::push` explains AWS failures before they get here.
impl From<PushError> for Error {
    fn from(err: PushError) -> Self {
        match err {
            PushError::Io { context, source } => Error::Io { context, source },
            PushError::NotUtf8 { .. } => Error::usage(
                err.to_string(),
                Some("CodeCommit and zip archives need UTF-8 file names: rename it".to_owned()),
            ),
            PushError::TooLarge { .. } => Error::usage(
                err.to_string(),
                Some(
                    "commit large files with git (`git push` to the clone URL `up` prints), or \
                     add them to .gitignore"
                        .to_owned(),
                ),
            ),
            PushError::Walk { .. } | PushError::Zip(_) | PushError::Aws(_) => {
                Error::failed(err.to_string(), None)
            }
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
