//! The buildspec/appspec templates: built in, or replaced file by file from the spec's
//! `templates:` folder.
//!
//! A template's output is never written as it is. It is parsed back into the typed buildspec or
//! appspec (unknown keys rejected) and written again canonically, so the invariant "what is
//! written parses into the typed struct" holds for any template, and a user template that breaks
//! the YAML or the shape is an error naming the template file, line and column, before any file is
//! written. YAML errors are found in the *rendered* text; they are traced back to the template line
//! the offending line was copied from (the case for text a user typed), and otherwise reported
//! against the rendered text with the offending line shown.

use std::path::Path;

use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use serde::de::DeserializeOwned;

use super::RenderError;
use super::yaml::{YamlProblem, from_yaml, to_yaml};

/// The templates pipewright ships, by file name.
const BUILT_IN: &[(&str, &str)] = &[
    (BUILDSPEC, include_str!("../../templates/buildspec.yml.j2")),
    (
        "appspec-server.yml.j2",
        include_str!("../../templates/appspec-server.yml.j2"),
    ),
    (
        "appspec-ecs.yml.j2",
        include_str!("../../templates/appspec-ecs.yml.j2"),
    ),
];

pub(crate) const BUILDSPEC: &str = "buildspec.yml.j2";

/// One template's text and where it came from.
#[derive(Debug, Clone)]
struct Entry {
    name: &'static str,
    source: String,
    /// How errors name it: the user's file path, or `built-in <name>`.
    display: String,
}

/// The set of templates a render uses.
#[derive(Debug, Clone)]
pub(crate) struct Templates {
    entries: Vec<Entry>,
}

impl Templates {
    pub(crate) fn built_in() -> Self {
        Self {
            entries: BUILT_IN
                .iter()
                .map(|(name, source)| Entry {
                    name,
                    source: (*source).to_owned(),
                    display: format!("built-in template {name}"),
                })
                .collect(),
        }
    }

    /// The built-in templates, with each `*.j2` file of `folder` replacing the one of the same
    /// name. A `.j2` file pipewright does not know is an error: a misspelt override would
    /// otherwise be silently ignored.
    pub(crate) fn with_folder(folder: &Path) -> Result<Self, RenderError> {
        let read_error = |source| RenderError::Read {
            path: folder.display().to_string(),
            source,
        };
        let mut templates = Self::built_in();
        let mut names = Vec::new();
        for dir_entry in std::fs::read_dir(folder).map_err(read_error)? {
            let path = dir_entry.map_err(read_error)?.path();
            let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if path.is_file() && path.extension().is_some_and(|e| e == "j2") {
                names.push((file_name.to_owned(), path));
            }
        }
        names.sort();
        for (file_name, path) in names {
            let Some(entry) = templates.entries.iter_mut().find(|e| e.name == file_name) else {
                let known: Vec<&str> = BUILT_IN.iter().map(|(name, _)| *name).collect();
                return Err(RenderError::Template {
                    at: path.display().to_string(),
                    message: "is not a template pipewright uses".to_owned(),
                    hint: Some(format!("template names: {}", known.join(", "))),
                });
            };
            entry.source = std::fs::read_to_string(&path).map_err(|source| RenderError::Read {
                path: path.display().to_string(),
                source,
            })?;
            entry.display = path.display().to_string();
        }
        Ok(templates)
    }

    /// How errors name template `name`.
    pub(crate) fn display(&self, name: &str) -> String {
        self.entries
            .iter()
            .find(|e| e.name == name)
            .map_or_else(|| name.to_owned(), |e| e.display.clone())
    }

    /// Render template `name` with `context` and read the result as a `T` (`what` names it in
    /// messages: "buildspec", "appspec").
    pub(crate) fn render<T: DeserializeOwned>(
        &self,
        name: &str,
        context: Value,
        what: &str,
    ) -> Result<T, RenderError> {
        let entry = self
            .entries
            .iter()
            .find(|e| e.name == name)
            .ok_or_else(|| RenderError::Serialize {
                what: what.to_owned(),
                message: format!("no template named {name}"),
            })?;
        let text = render_text(entry, context)?;
        from_yaml(&text).map_err(|problem| yaml_error(entry, &text, &problem, what))
    }
}

/// The environment every template runs in: YAML-friendly whitespace (block tags leave no blank
/// lines), no HTML escaping, and undefined values that fail when printed instead of vanishing.
pub(crate) fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    let mut syntax = SyntaxConfig::builder();
    syntax
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true);
    if let Ok(syntax) = syntax.build() {
        env.set_syntax(syntax);
    }
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_debug(true);
    env.add_filter("yaml", yaml_filter);
    env
}

/// `{{ value | yaml }}`: any value as canonical, correctly quoted YAML (no trailing newline), so
/// templates never quote by hand. Nest it with `| indent(n)`.
fn yaml_filter(value: &Value) -> Result<String, minijinja::Error> {
    if value.is_undefined() {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::UndefinedError,
            "the yaml filter got an undefined value",
        ));
    }
    let text = to_yaml(value, "a template value").map_err(|e| {
        minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string())
    })?;
    Ok(text.trim_end_matches('\n').to_owned())
}

fn render_text(entry: &Entry, context: Value) -> Result<String, RenderError> {
    let mut env = environment();
    env.add_template_owned(entry.name, entry.source.clone())
        .map_err(|e| template_error(entry, &e))?;
    let template = env
        .get_template(entry.name)
        .map_err(|e| template_error(entry, &e))?;
    template
        .render(context)
        .map_err(|e| template_error(entry, &e))
}

/// A template syntax or evaluation error, located in the template.
fn template_error(entry: &Entry, err: &minijinja::Error) -> RenderError {
    let line = err.line().unwrap_or(1);
    let column = err
        .range()
        .map_or(1, |range| column_of(&entry.source, range.start));
    let message = match err.detail() {
        Some(detail) => format!("{}: {detail}", err.kind()),
        None => err.kind().to_string(),
    };
    RenderError::Template {
        at: format!("{}:{line}:{column}", entry.display),
        message,
        hint: None,
    }
}

/// 1-based column of byte `offset` in `source`.
fn column_of(source: &str, offset: usize) -> usize {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    before[line_start..].chars().count() + 1
}

/// Rendered text that is not valid YAML or not a valid `what`.
fn yaml_error(entry: &Entry, rendered: &str, problem: &YamlProblem, what: &str) -> RenderError {
    let rendered_line = problem
        .line
        .checked_sub(1)
        .and_then(|i| rendered.lines().nth(i));
    let message = format!("the rendered {what} is invalid: {}", problem.message);
    match template_line(&entry.source, rendered, problem.line) {
        Some(template_line) => RenderError::Template {
            at: format!(
                "{}:{template_line}:{}",
                entry.display,
                problem.column.max(1)
            ),
            message,
            hint: None,
        },
        None => RenderError::Template {
            at: format!(
                "{} (rendered output {}:{})",
                entry.display,
                problem.line.max(1),
                problem.column.max(1)
            ),
            message,
            hint: rendered_line.map(|text| format!("rendered line {}: {text}", problem.line)),
        },
    }
}

/// The 1-based template line that rendered line `line` (1-based) was copied from, if it was.
///
/// The template and its output are aligned like two versions of a file (a line diff): a rendered
/// line that the alignment pairs with an identical template line came from that line; one that
/// the alignment sees as inserted was produced by an expression, and has no template line.
fn template_line(source: &str, rendered: &str, line: usize) -> Option<usize> {
    let wanted = line.checked_sub(1)?;
    let template: Vec<&str> = source.lines().collect();
    let output: Vec<&str> = rendered.lines().collect();
    similar::capture_diff_slices(similar::Algorithm::Myers, &template, &output)
        .into_iter()
        .find_map(|op| match op {
            similar::DiffOp::Equal {
                old_index,
                new_index,
                len,
            } if (new_index..new_index + len).contains(&wanted) => {
                Some(old_index + (wanted - new_index) + 1)
            }
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use minijinja::value::Serde;

    use super::*;

    fn entry(source: &str) -> Entry {
        Entry {
            name: "buildspec.yml.j2",
            source: source.to_owned(),
            display: "templates/buildspec.yml.j2".to_owned(),
        }
    }

    fn yaml_error_for(source: &str) -> String {
        let e = entry(source);
        let text = render_text(&e, Value::UNDEFINED).unwrap();
        let problem = from_yaml::<serde_json::Value>(&text).unwrap_err();
        yaml_error(&e, &text, &problem, "buildspec").to_string()
    }

    #[test]
    fn yaml_errors_point_at_the_template_line() {
        let err = yaml_error_for(
            "{# a comment #}\n{% if true %}\nversion: 0.2\n{% endif %}\nphases:\n  build:\n    commands: a: b\n",
        );
        assert!(err.starts_with("templates/buildspec.yml.j2:7:"), "{err}");
    }

    #[test]
    fn yaml_errors_on_generated_lines_point_at_the_rendered_text() {
        let err = yaml_error_for("version: 0.2\nphases: [{{ \"a\" }}\n");
        assert!(
            err.starts_with("templates/buildspec.yml.j2 (rendered output "),
            "{err}"
        );
    }

    #[test]
    fn lines_made_by_expressions_have_no_template_line() {
        let source = "a:\n  b: 1\n{{ x }}\nc: 2\n";
        let rendered = "a:\n  b: 1\n  b: 1\nc: 2\n";
        assert_eq!(template_line(source, rendered, 1), Some(1));
        assert_eq!(template_line(source, rendered, 2), Some(2));
        assert_eq!(template_line(source, rendered, 3), None);
        assert_eq!(template_line(source, rendered, 4), Some(4));
    }

    #[test]
    fn template_syntax_errors_are_located() {
        let e = entry("version: 0.2\nphases: {{ oops(\n");
        let err = render_text(&e, Value::UNDEFINED).unwrap_err();
        assert!(
            err.to_string().starts_with("templates/buildspec.yml.j2:2:"),
            "{err}"
        );
    }

    #[test]
    fn printing_an_undefined_value_is_an_error() {
        let e = entry("version: {{ nothing.here }}\n");
        assert!(render_text(&e, Value::from(Serde(serde_json::json!({})))).is_err());
    }

    #[test]
    fn column_counts_characters() {
        assert_eq!(column_of("ab\ncdé{{", 7), 4);
        assert_eq!(column_of("x", 0), 1);
    }
}
