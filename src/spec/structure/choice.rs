//! Where the schema offers a choice (`anyOf`/`oneOf`): nullable values, unit enums, externally
//! tagged enums (the branch is the key present) and untagged ones (the branch fits the node).

use serde_json::{Map, Value};

use super::shape::{constants, description, is_null, matches_scalar, types, variant_tag};
use super::words::{at, in_, path_or_spec};
use super::{ANY, Place, Walker};
use crate::spec::diagnostic::SpecDiagnostic;
use crate::spec::node::{Entry, Kind, Node, ScalarValue, shorten};
use crate::spec::path::{Path, Segment};
use crate::spec::suggest::{closest, one_of};

impl<'s> Walker<'s> {
    pub(super) fn alternatives(
        &mut self,
        node: &Node,
        branches: &'s [Value],
        path: &mut Path,
        place: Place<'s>,
    ) -> Option<Value> {
        let (nulls, others): (Vec<&'s Value>, Vec<&'s Value>) = branches
            .iter()
            .map(|b| self.deref(b))
            .partition(|b| types(b) == ["null"]);
        if !nulls.is_empty() && is_null(node) {
            return Some(Value::Null);
        }
        if let [only] = others.as_slice() {
            return self.walk(node, only, path, place);
        }
        if others.iter().all(|b| constants(b).is_some()) {
            let values: Vec<&'s Value> = others
                .iter()
                .filter_map(|b| constants(b))
                .flatten()
                .collect();
            return self.enumeration(node, &values, path, place);
        }
        if others
            .iter()
            .all(|b| variant_tag(b).is_some() || constants(b).is_some())
        {
            return self.tagged(node, &others, path, place);
        }
        let fitting: Vec<&'s Value> = others
            .iter()
            .copied()
            .filter(|b| self.accepts_kind(b, node, 0))
            .collect();
        match fitting.as_slice() {
            [] => {
                let expected: Vec<String> = others.iter().map(|b| self.expected(b)).collect();
                let message = format!(
                    "expected {}{}, found {}",
                    expected.join(" or "),
                    at(path),
                    node.describe()
                );
                self.mismatch(node, path, place, message, place.about.map(str::to_owned));
                None
            }
            [one] => self.walk(node, one, path, place),
            several => {
                let mut best: Option<(Vec<SpecDiagnostic>, Option<Value>)> = None;
                for branch in several {
                    let before = std::mem::take(&mut self.problems);
                    let value = self.walk(node, branch, path, place);
                    let found = std::mem::replace(&mut self.problems, before);
                    if best.as_ref().is_none_or(|(b, _)| found.len() < b.len()) {
                        let done = found.is_empty();
                        best = Some((found, value));
                        if done {
                            break;
                        }
                    }
                }
                let (found, value) = best?;
                self.problems.extend(found);
                value
            }
        }
    }

    /// An externally tagged enum: `{variant: content}`, the variant picked by the key present.
    fn tagged(
        &mut self,
        node: &Node,
        branches: &[&'s Value],
        path: &mut Path,
        place: Place<'s>,
    ) -> Option<Value> {
        let tags: Vec<(&'s str, &'s Value)> =
            branches.iter().filter_map(|b| variant_tag(b)).collect();
        let names: Vec<&str> = tags.iter().map(|(tag, _)| *tag).collect();
        let units: Vec<&'s Value> = branches
            .iter()
            .filter_map(|b| constants(b))
            .flatten()
            .collect();
        let entries = match &node.kind {
            Kind::Map(entries) => entries,
            Kind::Scalar(scalar) if units.iter().any(|u| matches_scalar(u, scalar)) => {
                return Some(Value::String(scalar.text.clone()));
            }
            _ => {
                let message = format!(
                    "expected a mapping with one of {}{}, found {}",
                    one_of(&names),
                    at(path),
                    node.describe()
                );
                self.mismatch(node, path, place, message, place.about.map(str::to_owned));
                return None;
            }
        };
        let present: Vec<&Entry> = entries
            .iter()
            .filter(|e| e.key.as_key().is_some_and(|k| names.contains(&k)))
            .collect();
        let chosen = match present.as_slice() {
            [] => {
                self.no_variant(entries, &names, path, place);
                return None;
            }
            [one] => *one,
            [first, rest @ ..] => {
                self.several_variants(first, rest, &names, path);
                return None;
            }
        };
        let tag = chosen.key.as_key().unwrap_or_default();
        let content_schema = tags
            .iter()
            .find(|(t, _)| *t == tag)
            .map_or(&ANY, |(_, s)| *s);
        let content = self.deref(content_schema);
        let content_keys = content.get("properties").and_then(Value::as_object);
        self.beside_variant(entries, tag, &names, content_keys, path);
        path.push(Segment::Key(tag.to_owned()));
        let child = Place {
            owner: chosen.key.span,
            about: description(content_schema),
        };
        let value = self.walk(&chosen.value, content_schema, path, child);
        path.pop();
        let mut out = Map::new();
        out.insert(tag.to_owned(), value?);
        Some(Value::Object(out))
    }

    /// No variant key: every other key is unknown (with the closest variant), or, when there
    /// is none, the variant is missing.
    fn no_variant(&mut self, entries: &[Entry], names: &[&str], path: &Path, place: Place<'s>) {
        let strays = entries.iter().filter(|e| e.key.as_key().is_some());
        let mut reported = false;
        for entry in strays {
            let key = entry.key.as_key().unwrap_or_default();
            let hint = closest(key, names.iter().copied()).map_or_else(
                || format!("use one of {}", one_of(names)),
                |s| format!("did you mean `{s}`?"),
            );
            self.report(
                SpecDiagnostic::error(
                    entry.key.span,
                    format!(
                        "unknown key `{}`{}: expected one of {}",
                        shorten(key),
                        in_(path),
                        one_of(names)
                    ),
                )
                .with_path(&path.key(key))
                .with_label("unknown key")
                .with_hint(hint),
            );
            reported = true;
        }
        if !reported {
            self.report(
                SpecDiagnostic::error(
                    place.owner,
                    format!("expected exactly one of {}{}", one_of(names), at(path)),
                )
                .with_path(path)
                .with_hint(place.about.unwrap_or("add one of them")),
            );
        }
    }

    /// Several variant keys: each after the first is a second choice.
    fn several_variants(&mut self, first: &Entry, rest: &[&Entry], names: &[&str], path: &Path) {
        let first_key = first.key.as_key().unwrap_or_default();
        for extra in rest {
            let key = extra.key.as_key().unwrap_or_default();
            self.report(
                SpecDiagnostic::error(
                    extra.key.span,
                    format!(
                        "`{key}` and `{first_key}` (line {}) both given{}: expected exactly one of {}",
                        first.key.span.line,
                        in_(path),
                        one_of(names)
                    ),
                )
                .with_path(&path.key(key))
                .with_label("second choice")
                .with_hint(format!("keep either `{first_key}` or `{key}`")),
            );
        }
    }

    /// Keys beside the chosen variant: another variant, a key of the variant's content that
    /// lost its indentation, or a stray.
    fn beside_variant(
        &mut self,
        entries: &[Entry],
        tag: &str,
        names: &[&str],
        content_keys: Option<&Map<String, Value>>,
        path: &Path,
    ) {
        for entry in entries {
            let Some(key) = entry.key.as_key() else {
                continue;
            };
            if key == tag {
                continue;
            }
            let hint = if names.contains(&key) {
                format!("keep either `{tag}` or `{key}`")
            } else if content_keys.is_some_and(|k| k.contains_key(key)) {
                format!("indent it under `{tag}:`")
            } else {
                format!("`{}` takes exactly one key, `{tag}`", path_or_spec(path))
            };
            self.report(
                SpecDiagnostic::error(
                    entry.key.span,
                    format!("unknown key `{}`{}", shorten(key), in_(path)),
                )
                .with_path(&path.key(key))
                .with_label("unknown key")
                .with_hint(hint),
            );
            self.lost_entry(path);
        }
    }

    /// Whether a branch could describe a node of this kind (ignoring its details).
    fn accepts_kind(&self, schema: &Value, node: &Node, depth: usize) -> bool {
        let schema = self.deref(schema);
        if depth > 8 {
            return true;
        }
        for key in ["anyOf", "oneOf", "allOf"] {
            if let Some(branches) = schema.get(key).and_then(Value::as_array) {
                return branches
                    .iter()
                    .any(|b| self.accepts_kind(b, node, depth + 1));
            }
        }
        if constants(schema).is_some() {
            return matches!(node.kind, Kind::Scalar(_));
        }
        let types = types(schema);
        types.is_empty()
            || match &node.kind {
                Kind::Map(_) => types.contains(&"object"),
                Kind::Seq(_) => types.contains(&"array"),
                Kind::Scalar(s) => match s.value {
                    ScalarValue::Null => types.contains(&"null"),
                    ScalarValue::Bool(_) => types.contains(&"boolean") || types.contains(&"string"),
                    ScalarValue::Int(_) | ScalarValue::Float(_) => types
                        .iter()
                        .any(|t| matches!(*t, "integer" | "number" | "string")),
                    ScalarValue::Str => types.contains(&"string"),
                },
            }
    }
}
