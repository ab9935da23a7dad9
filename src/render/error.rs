//! Why a file could not be generated.
//!
//! Every variant names what the user changes to fix it: a template file with its line and column,
//! a spec field, or a folder. Rendering fails before anything is written, so an error here never
//! leaves a half-written set of files behind.

use miette::Diagnostic;
use thiserror::Error;

#[derive(Debug, Error, Diagnostic)]
pub enum RenderError {
    /// A template failed to render, or rendered text that is not a valid buildspec/appspec.
    /// `at` is `file:line:column`, in the template when the line can be traced back to it, else
    /// in the rendered text (and then says so).
    #[error("{at}: {message}")]
    #[diagnostic(code(pipewright::render::template))]
    Template {
        at: String,
        message: String,
        #[help]
        hint: Option<String>,
    },

    /// The spec asks for something that cannot be generated (`field` is its path in the spec).
    #[error("{field}: {message}")]
    #[diagnostic(code(pipewright::render::spec))]
    Spec {
        field: String,
        message: String,
        #[help]
        hint: Option<String>,
    },

    /// The spec's templates folder (or a file in it) could not be read.
    #[error("cannot read {path}")]
    #[diagnostic(code(pipewright::render::read))]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },

    /// A typed buildspec/appspec could not be written as YAML (a bug in pipewright).
    #[error("could not write {what} as YAML: {message}")]
    #[diagnostic(code(pipewright::render::serialize))]
    Serialize { what: String, message: String },
}

impl RenderError {
    pub(crate) fn spec(
        field: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<Option<String>>,
    ) -> Self {
        RenderError::Spec {
            field: field.into(),
            message: message.into(),
            hint: hint.into(),
        }
    }
}
