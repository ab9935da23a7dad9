//! Pass one: bytes → text → located YAML tree, with budgets against hostile input.
//!
//! A spec is a few KiB written by hand, so the budgets are far below serde-saphyr's defaults yet
//! far above any real spec: a billion-laughs alias bomb or ten thousand nested brackets stop
//! within microseconds, at the line and column where the limit was crossed. The same options
//! serve the typed pass, so both read the text identically.

use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{Budget, DuplicateKeyPolicy, Error as YamlError, Spanned};

use super::diagnostic::SpecDiagnostic;
use super::node::{Node, Raw};
use super::source::{LineIndex, Span};
use super::unclosed;

/// Deepest nesting of mappings and lists accepted (a real spec nests about 8 deep).
pub(crate) const MAX_DEPTH: usize = 64;
/// Largest spec file accepted, in bytes.
pub(crate) const MAX_BYTES: usize = 1024 * 1024;
/// Most alias uses (`*name`) in one spec.
const MAX_ALIASES: usize = 1_000;
/// Most YAML nodes in one spec (a 200-line spec has about 600).
const MAX_NODES: usize = 20_000;

/// serde-saphyr settings shared by every pass that reads the text.
pub(crate) fn options() -> serde_saphyr::Options {
    let mut budget = Budget::default();
    budget.max_depth = MAX_DEPTH;
    // The scanner counts flow brackets ahead of the depth budget and without the enclosing block
    // mapping: one less makes `[[[…` and `{a: {a: …` fail at the same depth as block nesting.
    budget.flow_nesting_limit = MAX_DEPTH - 1;
    budget.max_events = 4 * MAX_NODES;
    budget.max_nodes = MAX_NODES;
    budget.max_aliases = MAX_ALIASES;
    budget.max_anchors = MAX_ALIASES;
    budget.max_documents = 1;
    budget.max_total_scalar_bytes = MAX_BYTES;
    budget.max_merge_keys = MAX_ALIASES;
    budget.max_recorded_anchor_events = MAX_NODES;
    budget.max_recorded_anchor_bytes = MAX_BYTES;
    budget.alias_anchor_min_aliases = 100;

    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = MAX_NODES / 2;
    options.alias_limits.max_replay_stack_depth = 16;
    options.duplicate_keys = DuplicateKeyPolicy::Error;
    options.strict_booleans = true;
    options.reject_unsupported_tags = true;
    options.emit_comments = false;
    options.with_snippet = false;
    options
}

/// The file as UTF-8 text, or the position of the first byte that makes it something else.
pub(crate) fn decode(bytes: &[u8]) -> Result<&str, Box<SpecDiagnostic>> {
    if bytes.len() > MAX_BYTES {
        return Err(Box::new(
            SpecDiagnostic::error(
                Span::START,
                format!(
                    "the file is {} KiB; a spec is expected to be text of at most {} KiB",
                    bytes.len() / 1024,
                    MAX_BYTES / 1024
                ),
            )
            .with_hint("is -f/--file pointing at the right file?"),
        ));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let at = err.valid_up_to();
            let valid = std::str::from_utf8(bytes.get(..at).unwrap_or_default()).unwrap_or("");
            let span = LineIndex::new(valid).span(at, 0);
            let byte = bytes.get(at).copied().unwrap_or_default();
            return Err(Box::new(
                SpecDiagnostic::error(
                    span,
                    format!("the file is not UTF-8 text: byte 0x{byte:02X} cannot start a character here"),
                )
                .with_label("not UTF-8")
                .with_hint("save the spec as UTF-8 text (is this a binary file?)"),
            ));
        }
    };
    if let Some(at) = text.find('\0') {
        let span = LineIndex::new(text).span(at, 1);
        return Err(Box::new(
            SpecDiagnostic::error(span, "the file holds a NUL byte: YAML is text")
                .with_label("NUL byte")
                .with_hint("save the spec as plain UTF-8 text (is this a binary file?)"),
        ));
    }
    Ok(text)
}

/// Parse the text into a located tree. `None` for an empty document (or only comments).
pub(crate) fn tree(text: &str, index: &LineIndex<'_>) -> Result<Option<Node>, Box<SpecDiagnostic>> {
    let raw: Spanned<Raw> = serde_saphyr::from_str_with_options(text, options())
        .map_err(|err| Box::new(yaml_error(&err, index)))?;
    let node = Node::from_raw(raw, index, Span::START);
    Ok(match &node.kind {
        super::node::Kind::Scalar(s)
            if s.value == super::node::ScalarValue::Null && !s.quoted && s.text.is_empty() =>
        {
            None
        }
        _ => Some(node),
    })
}

/// A serde-saphyr error as a located problem, in words for people rather than for developers.
pub(crate) fn yaml_error(err: &YamlError, index: &LineIndex<'_>) -> SpecDiagnostic {
    let inner = innermost(err);
    let location = err.location().or_else(|| inner.location());
    let span = location.map_or(Span::START, |loc| {
        index.at(
            usize::try_from(loc.line()).unwrap_or(usize::MAX).max(1),
            usize::try_from(loc.column()).unwrap_or(usize::MAX).max(1),
            1,
        )
    });
    let span = Span {
        len: index.slice(span).chars().next().map_or(0, char::len_utf8),
        ..span
    };
    let (message, hint) = describe(inner, index, span);
    let (span, message, hint) = relocate(span, message, hint, index);
    let mut diagnostic = SpecDiagnostic::error(span, message);
    if let Some(hint) = hint {
        diagnostic = diagnostic.with_hint(hint);
    }
    diagnostic
}

/// Move a syntax error from where the parser noticed it to where the mistake is: the tab itself,
/// or the bracket that was never closed.
fn relocate(
    span: Span,
    message: String,
    hint: Option<String>,
    index: &LineIndex<'_>,
) -> (Span, String, Option<String>) {
    let line = index.line_text(span.line);
    if message.starts_with("YAML tags") {
        // The parser points at the tagged value; the mistake is the tag before it.
        let before: Vec<char> = line.chars().take(span.column.saturating_sub(1)).collect();
        let bang = (0..before.len())
            .rev()
            .find(|&i| before[i] == '!' && (i == 0 || before[i - 1].is_whitespace()));
        if let Some(column) = bang {
            return (index.at(span.line, column + 1, 1), message, hint);
        }
    }
    if message.contains("recursion limit exceeded") {
        let (message, hint) = budget(&BudgetBreach::Depth {
            depth: MAX_DEPTH + 1,
        });
        return (span, message, hint);
    }
    if !message.starts_with("invalid YAML") {
        return (span, message, hint);
    }
    if message.contains("tab")
        && let Some(column) = line.chars().position(|c| c == '\t')
    {
        return (index.at(span.line, column + 1, 1), message, hint);
    }
    if let Some(offset) = unclosed::open_bracket(index.text(), span.offset) {
        let opener = index.span(offset, 1);
        if opener.line < span.line {
            let bracket = index.slice(opener);
            let closer = if bracket == "[" { "]" } else { "}" };
            return (
                opener,
                format!("invalid YAML: this `{bracket}` is never closed"),
                Some(format!(
                    "close it with `{closer}` before line {}, where the parser gave up ({})",
                    span.line,
                    message.trim_start_matches("invalid YAML: ")
                )),
            );
        }
    }
    (span, message, hint)
}

fn innermost(mut err: &YamlError) -> &YamlError {
    loop {
        match err {
            YamlError::WithSnippet { error, .. } | YamlError::AliasError { error, .. } => {
                err = error;
            }
            other => return other,
        }
    }
}

const SYNTAX_HINT: &str =
    "check the indentation (spaces only), quotes and brackets on this line and the one above";

fn describe(err: &YamlError, index: &LineIndex<'_>, span: Span) -> (String, Option<String>) {
    match err {
        YamlError::DuplicateMappingKey { key, .. } => (
            match key {
                Some(key) => format!("duplicate key `{key}`"),
                None => "duplicate key".to_owned(),
            },
            Some("each key may appear once in a mapping: remove or merge the repeated one".into()),
        ),
        YamlError::Budget { breach, .. } => budget(breach),
        YamlError::MultipleDocuments { .. } => (
            "a second YAML document (`---`) in the spec".to_owned(),
            Some(
                "a spec is one document: remove the `---` line and what follows, or merge them"
                    .into(),
            ),
        ),
        YamlError::AliasReplayLimitExceeded { .. }
        | YamlError::AliasExpansionLimitExceeded { .. }
        | YamlError::AliasReplayStackDepthExceeded { .. }
        | YamlError::AliasReplayCounterOverflow { .. } => (
            "aliases expand too far (an alias bomb?)".to_owned(),
            Some("write the values out, or use fewer nested `*alias` references".into()),
        ),
        YamlError::UnknownAnchor { .. } => (
            "alias to an anchor that is not defined above".to_owned(),
            Some("define `&name` before using `*name`".into()),
        ),
        YamlError::UnsupportedTag { .. } => (
            "YAML tags (`!Ref`, `!!binary`, …) are not part of a pipewright spec".to_owned(),
            Some("remove the tag and write the plain value".into()),
        ),
        YamlError::InvalidBooleanStrict { .. } => (
            "expected `true` or `false`".to_owned(),
            Some("yes/no/on/off are not booleans in a pipewright spec: write true or false".into()),
        ),
        other => {
            let message = serde_saphyr::MessageFormatter::format_message(
                &serde_saphyr::UserMessageFormatter,
                other,
            );
            let message: String = message
                .chars()
                .flat_map(|c| {
                    if c.is_control() {
                        c.escape_debug().collect::<Vec<_>>()
                    } else {
                        vec![c]
                    }
                })
                .collect();
            let hint = if index.line_text(span.line).contains('\t') {
                "YAML indents with spaces only: replace the tabs on this line with spaces"
                    .to_owned()
            } else {
                SYNTAX_HINT.to_owned()
            };
            (format!("invalid YAML: {message}"), Some(hint))
        }
    }
}

fn budget(breach: &BudgetBreach) -> (String, Option<String>) {
    match breach {
        BudgetBreach::Depth { .. } => (
            format!("nested more than {MAX_DEPTH} levels deep"),
            Some("a pipewright spec nests a few levels: check the indentation and brackets".into()),
        ),
        BudgetBreach::Aliases { .. }
        | BudgetBreach::Anchors { .. }
        | BudgetBreach::AliasAnchorRatio { .. }
        | BudgetBreach::RecordedAnchorEvents { .. }
        | BudgetBreach::RecordedAnchorBytes { .. }
        | BudgetBreach::MergeKeys { .. } => (
            "aliases expand too far (an alias bomb?)".to_owned(),
            Some("write the values out, or use fewer `*alias` references".into()),
        ),
        BudgetBreach::Documents { .. } => (
            "a second YAML document (`---`) in the spec".to_owned(),
            Some("a spec is one document: remove the `---` line and what follows".into()),
        ),
        _ => (
            "the spec is far larger than any pipewright spec needs".to_owned(),
            Some(format!(
                "a spec is expected to hold at most {MAX_NODES} values and {} KiB of text",
                MAX_BYTES / 1024
            )),
        ),
    }
}
