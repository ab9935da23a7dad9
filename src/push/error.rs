//! Why a push could not start, or stopped before writing anything. The command line decides
//! what each means to the user; the AWS failures keep their classification.

use thiserror::Error;

use crate::aws::AwsError;

#[derive(Debug, Error)]
pub enum PushError {
    /// A file could not be read (or the zip written in memory).
    #[error("{context}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// The folder could not be walked.
    #[error("cannot read {dir}: {message}")]
    Walk { dir: String, message: String },
    /// A file whose name is not UTF-8: neither CodeCommit nor a zip can carry it.
    #[error("{path} has a name that is not UTF-8")]
    NotUtf8 { path: String },
    /// Files larger than CodeCommit's API takes (`path (size MB)` each).
    #[error("CodeCommit's API takes files of at most {limit_mb:.0} MB: {}", files.join(", "))]
    TooLarge { files: Vec<String>, limit_mb: f64 },
    /// The zip could not be built.
    #[error("cannot build the zip: {0}")]
    Zip(String),
    #[error(transparent)]
    Aws(#[from] AwsError),
}

impl PushError {
    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| PushError::Io { context, source }
    }
}
