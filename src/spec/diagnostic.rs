//! Spec problems, located by file, line and column, rendered with the offending line and a caret.
//!
//! The position is part of the message itself (`pipewright.yml:12:5: unknown key …`), not only of
//! miette's snippet header, so it survives any renderer: plain text, JSON, CI logs, editors'
//! problem matchers. Problems are built without a file by the passes that find them and get the
//! file and its text attached once, by the loader.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};
use serde::Serialize;

use super::path::Path;
use super::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in a spec.
#[derive(Debug, Clone, Serialize)]
pub struct SpecDiagnostic {
    #[serde(skip)]
    pub file: String,
    /// 1-based line (0 when the problem has no place, e.g. an unreadable file).
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Where in the spec, as keys and indexes (`deploy.codedeploy.strategy`); `None` for syntax.
    pub path: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
    #[serde(skip)]
    pub severity: Severity,
    /// A few words under the caret.
    #[serde(skip)]
    pub label: Option<String>,
    #[serde(skip)]
    span: Option<Span>,
    #[serde(skip)]
    source: Option<Arc<NamedSource<Arc<str>>>>,
}

impl SpecDiagnostic {
    fn new(severity: Severity, span: Span, message: impl Into<String>) -> Self {
        Self {
            file: String::new(),
            line: span.line,
            column: span.column,
            path: None,
            message: printable(message.into()),
            hint: None,
            severity,
            label: None,
            span: Some(span),
            source: None,
        }
    }

    pub(crate) fn error(span: Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, span, message)
    }

    pub(crate) fn warning(span: Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, span, message)
    }

    /// A problem with the file as a whole (it cannot be read), with no place in it.
    pub(crate) fn unplaced(file: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            line: 0,
            column: 0,
            span: None,
            ..Self::new(Severity::Error, Span::START, message)
        }
    }

    #[must_use]
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(printable(hint.into()));
        self
    }

    #[must_use]
    pub(crate) fn with_path(mut self, path: &Path) -> Self {
        if !path.is_root() {
            self.path = Some(printable(path.to_string()));
        }
        self
    }

    #[must_use]
    pub(crate) fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(printable(label.into()));
        self
    }

    /// Name the file and give the text the caret points into.
    pub(crate) fn attach(&mut self, file: &str, source: &Arc<NamedSource<Arc<str>>>) {
        file.clone_into(&mut self.file);
        self.source = Some(Arc::clone(source));
    }

    /// The same problem, as an error (`validate --strict`).
    #[must_use]
    pub fn into_error(mut self) -> Self {
        self.severity = Severity::Error;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Sort key: position first, then the message, so output is stable.
    fn order(&self) -> (usize, usize, Severity, &str) {
        (self.line, self.column, self.severity, &self.message)
    }
}

impl fmt::Display for SpecDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for SpecDiagnostic {}

impl Diagnostic for SpecDiagnostic {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.hint
            .as_ref()
            .map(|hint| Box::new(hint) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_deref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span?;
        self.source.as_ref()?;
        let label = LabeledSpan::new_primary_with_span(self.label.clone(), (span.offset, span.len));
        Some(Box::new(std::iter::once(label)))
    }
}

/// Text from the spec made safe for a terminal: control characters (an escape sequence in a
/// hostile file) are written as escapes.
pub(crate) fn printable(text: String) -> String {
    if !text.chars().any(char::is_control) {
        return text;
    }
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// The spec's text as snippets may show it: every control character but line breaks and tabs
/// becomes `?` (`¿` for two-byte ones), so byte offsets and columns stay where they were.
pub(crate) fn displayable(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .map(|c| match c {
                c if !unsafe_char(c) => c,
                c if c.len_utf8() == 1 => '?',
                _ => '¿',
            })
            .collect(),
    )
}

/// Every problem found in one spec file: its errors, and the warnings found on the way.
#[derive(Debug, Clone)]
pub struct SpecErrors {
    pub file: String,
    pub errors: Vec<SpecDiagnostic>,
    pub warnings: Vec<SpecDiagnostic>,
}

impl SpecErrors {
    /// Sort by position and drop repeats (one cause can be seen by two passes).
    pub(crate) fn new(
        file: &str,
        mut errors: Vec<SpecDiagnostic>,
        mut warnings: Vec<SpecDiagnostic>,
    ) -> Self {
        tidy(&mut errors);
        tidy(&mut warnings);
        Self {
            file: file.to_owned(),
            errors,
            warnings,
        }
    }

    /// The JSON document `validate --output json` prints.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        report_json(&self.file, &self.errors, &self.warnings)
    }
}

/// `{"valid", "file", "errors", "warnings"}`: the shape `validate --output json` prints.
#[must_use]
pub fn report_json(
    file: &str,
    errors: &[SpecDiagnostic],
    warnings: &[SpecDiagnostic],
) -> serde_json::Value {
    serde_json::json!({
        "valid": errors.is_empty(),
        "file": file,
        "errors": errors,
        "warnings": warnings,
    })
}

/// Sort problems by position and drop repeats.
pub fn tidy(diagnostics: &mut Vec<SpecDiagnostic>) {
    diagnostics.sort_by(|a, b| a.order().cmp(&b.order()));
    diagnostics.dedup_by(|a, b| a.order() == b.order());
}

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is not a valid pipewright spec ({})",
            self.file,
            count(self.errors.len(), "error")
        )
    }
}

impl std::error::Error for SpecErrors {}

impl Diagnostic for SpecErrors {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("pipewright::spec"))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(
            self.errors
                .iter()
                .chain(&self.warnings)
                .map(|d| d as &dyn Diagnostic),
        ))
    }
}

/// "1 error", "3 warnings".
#[must_use]
pub fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Render problems for a terminal: each with its line, a caret under the place, and the hint.
/// Lines are never wrapped, so a position or a suggestion is never cut in two.
#[must_use]
pub fn render(diagnostics: &[SpecDiagnostic], color: bool) -> String {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_wrap_lines(false)
        .with_context_lines(1);
    let mut out = String::new();
    for diagnostic in diagnostics {
        let mut one = String::new();
        if handler.render_report(&mut one, diagnostic).is_err() {
            one = match &diagnostic.hint {
                Some(hint) => format!("{diagnostic}\n  help: {hint}\n"),
                None => format!("{diagnostic}\n"),
            };
        }
        out.push_str(&one);
    }
    out
}
