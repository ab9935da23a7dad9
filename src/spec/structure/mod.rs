//! Pass two: the located YAML tree checked against the spec's JSON Schema, every problem reported.
//!
//! serde stops at the first error; this walk does not. It understands the subset of JSON Schema
//! that schemars emits for [`super::model`] — `$ref`, `allOf` wrappers, `anyOf`/`oneOf` for
//! nullable fields, unit enums, externally tagged enums (the branch is picked by the key present)
//! and untagged ones (picked by the node's kind), `type`, `properties`, `required`,
//! `additionalProperties`, `enum`/`const`, `items`, `minItems`/`maxItems`, `minimum`/`maximum`
//! and integer `format`s — and reports unknown keys with a "did you mean", wrong kinds of value,
//! values outside an enum or a range, and missing keys, each at its key or value.
//!
//! It also returns the document as JSON with every invalid part left out, so that the semantic
//! rules can still run (and report) when the structure has problems elsewhere.

mod choice;
mod shape;
mod words;

use serde_json::{Map, Number, Value};

use super::diagnostic::SpecDiagnostic;
use super::node::{Kind, Node, Scalar, ScalarValue, shorten};
use super::path::{Path, Segment};
use super::schema::{resolve, spec_schema};
use super::source::Span;
use super::suggest::{closest, one_of};
use shape::{
    as_i128, constants, description, display_value, format_bounds, is_empty, is_yaml11_bool,
    matches_scalar, to_json, types,
};
use words::{about, at, path_or_spec};

/// Walk steps allowed: a guard against a schema that refers to itself without descending.
const MAX_STEPS: usize = 1_000_000;

/// The schema that allows anything.
static ANY: Value = Value::Bool(true);

/// What the structure pass found.
pub(crate) struct Outcome {
    pub(crate) problems: Vec<SpecDiagnostic>,
    /// The document with invalid parts left out and missing required parts stood in for.
    pub(crate) valid_part: Option<Value>,
    /// Where the valid part differs from what was written: stand-ins for missing or invalid
    /// required values, and mappings that lost an unknown key or an invalid value. Semantic
    /// findings there would judge defaults the author never chose (a typo'd `strsategy` leaves
    /// `strategy` at its default), so they are not reported until the structure is fixed.
    pub(crate) unreliable: Vec<Path>,
}

/// Check the whole document.
pub(crate) fn check(tree: &Node) -> Outcome {
    let root = spec_schema();
    let mut walker = Walker {
        root,
        problems: Vec::new(),
        unreliable: Vec::new(),
        steps: 0,
    };
    let mut path = Path::root();
    let place = Place {
        owner: tree.span,
        about: None,
    };
    let valid_part = walker.walk(tree, root, &mut path, place);
    Outcome {
        problems: walker.problems,
        valid_part,
        unreliable: walker.unreliable,
    }
}

struct Walker<'s> {
    root: &'s Value,
    problems: Vec<SpecDiagnostic>,
    /// See [`Outcome::unreliable`].
    unreliable: Vec<Path>,
    steps: usize,
}

/// Where a node hangs: the span of the key that holds it, and that key's documentation.
#[derive(Clone, Copy)]
struct Place<'s> {
    owner: Span,
    about: Option<&'s str>,
}

impl<'s> Walker<'s> {
    fn deref(&self, mut schema: &'s Value) -> &'s Value {
        for _ in 0..32 {
            match schema.get("$ref").and_then(Value::as_str) {
                Some(reference) => match resolve(self.root, reference) {
                    Some(target) => schema = target,
                    None => return &ANY,
                },
                None => return schema,
            }
        }
        schema
    }

    fn report(&mut self, problem: SpecDiagnostic) {
        self.problems.push(problem);
    }

    /// The mapping at `path` lost an entry (unknown or invalid); see [`Outcome::unreliable`].
    fn lost_entry(&mut self, path: &Path) {
        if !path.is_root() {
            self.unreliable.push(path.clone());
        }
    }

    fn walk(
        &mut self,
        node: &Node,
        schema: &'s Value,
        path: &mut Path,
        place: Place<'s>,
    ) -> Option<Value> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return None;
        }
        let schema = self.deref(schema);
        let place = Place {
            about: place.about.or_else(|| description(schema)),
            ..place
        };
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            let mut value = None;
            for part in all {
                value = Some(self.walk(node, part, path, place)?);
            }
            return value;
        }
        if let Some(branches) = schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Value::as_array)
        {
            return self.alternatives(node, branches, path, place);
        }
        if let Some(values) = constants(schema) {
            return self.enumeration(node, &values, path, place);
        }
        self.typed(node, schema, path, place)
    }

    fn typed(
        &mut self,
        node: &Node,
        schema: &'s Value,
        path: &mut Path,
        place: Place<'s>,
    ) -> Option<Value> {
        let types = types(schema);
        if types.is_empty() {
            return Some(to_json(node));
        }
        match &node.kind {
            Kind::Map(_) if types.contains(&"object") => self.object(node, schema, path, place),
            Kind::Seq(items) if types.contains(&"array") => {
                self.array(node, items, schema, path, place)
            }
            Kind::Scalar(scalar) => match self.scalar(scalar, &types, schema, path) {
                Ok(value) => Some(value),
                Err((message, hint)) => {
                    let hint = hint.or_else(|| about(path, place));
                    self.mismatch(node, path, place, message, hint);
                    None
                }
            },
            _ => {
                let message = format!(
                    "expected {}{}, found {}",
                    self.expected(schema),
                    at(path),
                    node.describe()
                );
                self.mismatch(node, path, place, message, about(path, place));
                None
            }
        }
    }

    fn mismatch(
        &mut self,
        node: &Node,
        path: &Path,
        place: Place<'_>,
        message: String,
        hint: Option<String>,
    ) {
        // An empty value has nothing to point at: point at its key.
        let span = if is_empty(node) {
            place.owner
        } else {
            node.span
        };
        let mut problem = SpecDiagnostic::error(span, message).with_path(path);
        if let Some(hint) = hint {
            problem = problem.with_hint(hint);
        }
        self.report(problem);
    }

    /// A scalar against the allowed types: its JSON value, or (message, hint).
    fn scalar(
        &self,
        scalar: &Scalar,
        types: &[&str],
        schema: &Value,
        path: &Path,
    ) -> Result<Value, (String, Option<String>)> {
        let accepts = |t: &str| types.contains(&t);
        let found = || Node::describe_scalar(scalar);
        match scalar.value {
            ScalarValue::Null if accepts("null") => return Ok(Value::Null),
            ScalarValue::Bool(b) if accepts("boolean") => return Ok(Value::Bool(b)),
            ScalarValue::Int(i) if accepts("integer") || accepts("number") => {
                return Self::integer(i, scalar, schema)
                    .map_err(|(m, h)| (format!("`{}` {m}", path_or_spec(path)), h));
            }
            ScalarValue::Float(f) if accepts("number") => {
                return Number::from_f64(f)
                    .map(Value::Number)
                    .ok_or_else(|| (format!("expected a number, found {}", found()), None));
            }
            ScalarValue::Null => {}
            _ if accepts("string") => return Ok(Value::String(scalar.text.clone())),
            _ => {}
        }
        let expected = self.expected(schema);
        let message = format!("expected {expected}{}, found {}", at(path), found());
        let hint = if scalar.quoted && (accepts("integer") || accepts("boolean")) {
            Some(format!(
                "remove the quotes: \"{}\" is a string in YAML",
                scalar.text
            ))
        } else if accepts("boolean") && is_yaml11_bool(&scalar.text) {
            Some(
                "yes/no/on/off are not booleans in a pipewright spec: write true or false"
                    .to_owned(),
            )
        } else if scalar.value == ScalarValue::Null {
            Some("write a value after the colon, or remove the key".to_owned())
        } else {
            None
        };
        Err((message, hint))
    }

    fn integer(
        value: i128,
        scalar: &Scalar,
        schema: &Value,
    ) -> Result<Value, (String, Option<String>)> {
        let (mut low, mut high) = format_bounds(schema);
        if let Some(min) = schema.get("minimum").and_then(as_i128) {
            low = low.max(min);
        }
        if let Some(max) = schema.get("maximum").and_then(as_i128) {
            high = high.min(max);
        }
        if value < low || value > high {
            let expected = if low == high {
                format!("must be {low}")
            } else if high == i128::MAX {
                format!("must be at least {low}")
            } else {
                format!("must be from {low} to {high}")
            };
            return Err((format!("{expected}, found {}", scalar.text), None));
        }
        let number = i64::try_from(value)
            .map(Number::from)
            .or_else(|_| u64::try_from(value).map(Number::from))
            .map_err(|_| (format!("{} is too large", scalar.text), None))?;
        Ok(Value::Number(number))
    }

    fn object(
        &mut self,
        node: &Node,
        schema: &'s Value,
        path: &mut Path,
        place: Place<'s>,
    ) -> Option<Value> {
        let Kind::Map(entries) = &node.kind else {
            return None;
        };
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        let mut out = Map::new();
        for entry in entries {
            let Some(key) = self.key(&entry.key, path) else {
                continue;
            };
            let property = properties.and_then(|p| p.get(key));
            let value_schema = match (property, additional) {
                (Some(property), _) => property,
                (None, Some(Value::Bool(false))) => {
                    self.unknown_key(&entry.key, key, properties, path);
                    self.lost_entry(path);
                    continue;
                }
                (None, Some(schema)) if schema.is_object() => schema,
                _ => &ANY,
            };
            path.push(Segment::Key(key.to_owned()));
            let child = Place {
                owner: entry.key.span,
                about: property.and_then(description),
            };
            let value = self.walk(&entry.value, value_schema, path, child);
            path.pop();
            if let Some(value) = value {
                out.insert(key.to_owned(), value);
            } else {
                self.lost_entry(path);
            }
        }
        let required = schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str);
        let mut complete = true;
        for key in required {
            if out.contains_key(key) {
                continue;
            }
            let property = properties.and_then(|p| p.get(key));
            if node.entry(key).is_none() {
                let about =
                    property.and_then(|p| description(p).or_else(|| description(self.deref(p))));
                let message = if path.is_root() {
                    format!("missing `{key}`")
                } else {
                    format!("missing `{key}` in `{path}`")
                };
                let mut problem = SpecDiagnostic::error(place.owner, message)
                    .with_path(&path.key(key))
                    .with_label(format!("`{key}` is required here"));
                if let Some(about) = about {
                    problem = problem.with_hint(format!("add `{key}:` ({about})"));
                }
                self.report(problem);
            }
            // Stand in a neutral value so the semantic rules can still judge the rest.
            match property.and_then(|p| self.placeholder(p, 0)) {
                Some(value) => {
                    out.insert(key.to_owned(), value);
                    self.unreliable.push(path.key(key));
                }
                None => complete = false,
            }
        }
        complete.then_some(Value::Object(out))
    }

    /// A mapping key as text; keys that are mappings or lists are reported.
    fn key<'n>(&mut self, key: &'n Node, path: &Path) -> Option<&'n str> {
        if let Kind::Scalar(scalar) = &key.kind {
            return Some(&scalar.text);
        }
        self.report(
            SpecDiagnostic::error(
                key.span,
                format!("expected a plain key, found {}", key.describe()),
            )
            .with_path(path)
            .with_hint("keys in a pipewright spec are plain words like `name`"),
        );
        None
    }

    fn unknown_key(
        &mut self,
        key_node: &Node,
        key: &str,
        properties: Option<&'s Map<String, Value>>,
        path: &Path,
    ) {
        let allowed: Vec<&str> = properties
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let message = if path.is_root() {
            format!("unknown key `{}`", shorten(key))
        } else {
            format!("unknown key `{}` in `{path}`", shorten(key))
        };
        let hint = match closest(key, allowed.iter().copied()) {
            Some(suggestion) => format!("did you mean `{suggestion}`?"),
            None if allowed.is_empty() => "remove it".to_owned(),
            None => format!("allowed here: {}", one_of(&allowed)),
        };
        self.report(
            SpecDiagnostic::error(key_node.span, message)
                .with_path(&path.key(key))
                .with_label("unknown key")
                .with_hint(hint),
        );
    }

    fn array(
        &mut self,
        node: &Node,
        items: &[Node],
        schema: &'s Value,
        path: &mut Path,
        place: Place<'s>,
    ) -> Option<Value> {
        let min = schema.get("minItems").and_then(Value::as_u64);
        let max = schema.get("maxItems").and_then(Value::as_u64);
        let len = items.len() as u64;
        let mut ok = true;
        if min.is_some_and(|min| len < min) || max.is_some_and(|max| len > max) {
            let wanted = match (min, max) {
                (Some(min), Some(max)) if min == max => format!("exactly {min}"),
                (Some(min), Some(max)) => format!("from {min} to {max}"),
                (Some(min), None) => format!("at least {min}"),
                (None, Some(max)) => format!("at most {max}"),
                (None, None) => String::new(),
            };
            let mut problem = SpecDiagnostic::error(
                node.span,
                format!(
                    "expected {wanted} item{}{}, found {len}",
                    if wanted.ends_with(" 1") { "" } else { "s" },
                    at(path)
                ),
            )
            .with_path(path);
            if let Some(about) = place.about {
                problem = problem.with_hint(about);
            }
            self.report(problem);
            ok = false;
        }
        let item_schema = schema.get("items").unwrap_or(&ANY);
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            path.push(Segment::Index(i));
            let child = Place {
                owner: item.span,
                about: place.about,
            };
            match self.walk(item, item_schema, path, child) {
                Some(value) => out.push(value),
                None => ok = false,
            }
            path.pop();
        }
        ok.then_some(Value::Array(out))
    }

    fn enumeration(
        &mut self,
        node: &Node,
        allowed: &[&'s Value],
        path: &Path,
        place: Place<'s>,
    ) -> Option<Value> {
        let words: Vec<String> = allowed.iter().map(|v| display_value(v)).collect();
        if let Kind::Scalar(scalar) = &node.kind
            && scalar.value != ScalarValue::Null
        {
            if let Some(found) = allowed.iter().find(|v| matches_scalar(v, scalar)) {
                return Some((*found).clone());
            }
            let what = path.last_key().unwrap_or("value");
            let mut problem = SpecDiagnostic::error(
                node.span,
                format!(
                    "`{}` is not a valid {what}: expected {}",
                    shorten(&scalar.text),
                    one_of(&words)
                ),
            )
            .with_path(path);
            if let Some(suggestion) = closest(&scalar.text, words.iter().map(String::as_str)) {
                problem = problem.with_hint(format!("did you mean `{suggestion}`?"));
            } else if let Some(about) = place.about {
                problem = problem.with_hint(about);
            }
            self.report(problem);
            return None;
        }
        let mut problem = SpecDiagnostic::error(
            node.span,
            format!(
                "expected one of {}{}, found {}",
                one_of(&words),
                at(path),
                node.describe()
            ),
        )
        .with_path(path);
        if let Some(about) = place.about {
            problem = problem.with_hint(about);
        }
        self.report(problem);
        None
    }
}
