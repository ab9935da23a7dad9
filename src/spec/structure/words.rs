//! Schema and node described in words for messages: "a list of strings", " for `build.commands`".

use serde_json::Value;

use super::shape::{constants, display_value, types};
use super::{Place, Walker};
use crate::spec::node::{Kind, Node, Scalar};
use crate::spec::path::Path;
use crate::spec::source::Span;
use crate::spec::suggest::one_of;

impl Walker<'_> {
    /// What a schema wants, in words: "a list of strings", "a mapping", "true or false", …
    pub(super) fn expected(&self, schema: &Value) -> String {
        let schema = self.deref(schema);
        if let Some(values) = constants(schema) {
            let words: Vec<String> = values.into_iter().map(display_value).collect();
            return format!("one of {}", one_of(&words));
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(branches) = schema.get(key).and_then(Value::as_array) {
                let words: Vec<String> = branches
                    .iter()
                    .filter(|b| types(self.deref(b)) != ["null"])
                    .map(|b| self.expected(b))
                    .collect();
                return words.join(" or ");
            }
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array)
            && let Some(first) = all.first()
        {
            return self.expected(first);
        }
        let words: Vec<String> = types(schema)
            .into_iter()
            .filter(|t| *t != "null")
            .map(|t| match t {
                "object" => match schema.get("additionalProperties") {
                    Some(extra) if extra.is_object() => {
                        format!("a mapping of names to {}", plural(&self.expected(extra)))
                    }
                    _ => "a mapping".to_owned(),
                },
                "array" => match schema.get("items") {
                    Some(items) => format!("a list of {}", plural(&self.expected(items))),
                    None => "a list".to_owned(),
                },
                "string" => "a string".to_owned(),
                "integer" => "a whole number".to_owned(),
                "number" => "a number".to_owned(),
                "boolean" => "true or false".to_owned(),
                other => other.to_owned(),
            })
            .collect();
        if words.is_empty() {
            "a value".to_owned()
        } else {
            words.join(" or ")
        }
    }
}

impl Node {
    pub(super) fn describe_scalar(scalar: &Scalar) -> String {
        Node {
            span: Span::START,
            kind: Kind::Scalar(scalar.clone()),
        }
        .describe()
    }
}

/// The hint for a wrong value: the setting's documentation (a starter's advice at the top).
pub(super) fn about(path: &Path, place: Place<'_>) -> Option<String> {
    if path.is_root() {
        Some("a spec is a mapping of `version: 1`, `name`, `source`, `build` and `deploy`; run `pipewright init` to write a starter".to_owned())
    } else {
        place.about.map(str::to_owned)
    }
}

/// " for `build.commands`" (" for the spec" at the top).
pub(super) fn at(path: &Path) -> String {
    if path.is_root() {
        " for the spec".to_owned()
    } else {
        format!(" for `{path}`")
    }
}

/// " in `deploy`" (nothing at the top).
pub(super) fn in_(path: &Path) -> String {
    if path.is_root() {
        String::new()
    } else {
        format!(" in `{path}`")
    }
}

pub(super) fn path_or_spec(path: &Path) -> String {
    if path.is_root() {
        "the spec".to_owned()
    } else {
        path.to_string()
    }
}

/// "a string" → "strings", "a list of strings" → "lists of strings".
pub(super) fn plural(words: &str) -> String {
    let bare = words
        .strip_prefix("a ")
        .or_else(|| words.strip_prefix("an "))
        .unwrap_or(words);
    match bare.split_once(' ') {
        Some((head, tail)) => format!("{head}s {tail}"),
        None if bare == "true" => "booleans".to_owned(),
        None => format!("{bare}s"),
    }
}
