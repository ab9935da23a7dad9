//! Spec problems, located by file, line and column.

use miette::Diagnostic;
use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in a spec.
#[derive(Debug, Clone, Error, Diagnostic)]
#[error("{file}:{line}:{column}: {message}")]
pub struct SpecDiagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    #[help]
    pub hint: Option<String>,
    pub severity: Severity,
}

/// Every error found in one spec file.
#[derive(Debug, Error, Diagnostic)]
#[error("{file} is not a valid pipewright spec")]
pub struct SpecErrors {
    pub file: String,
    #[related]
    pub errors: Vec<SpecDiagnostic>,
}
