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

use serde_json::{Map, Number, Value};

use super::diagnostic::SpecDiagnostic;
use super::node::{Kind, Node, Scalar, ScalarValue, shorten};
use super::path::{Path, Segment};
use super::schema::{resolve, spec_schema};
use super::source::Span;
use super::suggest::{closest, one_of};

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

    /// A value that satisfies `schema`, standing in for a missing or invalid required one.
    fn placeholder(&self, schema: &'s Value, depth: usize) -> Option<Value> {
        if depth > 16 {
            return None;
        }
        let schema = self.deref(schema);
        if let Some(default) = schema.get("default") {
            return Some(default.clone());
        }
        if let Some(values) = constants(schema) {
            return values.first().map(|v| (*v).clone());
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(branches) = schema.get(key).and_then(Value::as_array) {
                return branches
                    .iter()
                    .filter(|b| types(self.deref(b)) != ["null"])
                    .find_map(|b| self.placeholder(b, depth + 1));
            }
        }
        let types = types(schema);
        if types.contains(&"object") {
            let properties = schema.get("properties").and_then(Value::as_object);
            let mut out = Map::new();
            for key in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                let property = properties.and_then(|p| p.get(key))?;
                out.insert(key.to_owned(), self.placeholder(property, depth + 1)?);
            }
            return Some(Value::Object(out));
        }
        if types.contains(&"array") {
            return Some(Value::Array(Vec::new()));
        }
        if types.contains(&"string") {
            return Some(Value::String("placeholder".to_owned()));
        }
        if types.contains(&"integer") || types.contains(&"number") {
            let low = schema.get("minimum").and_then(as_i128).unwrap_or(0);
            return i64::try_from(low).ok().map(|n| Value::Number(n.into()));
        }
        if types.contains(&"boolean") {
            return Some(Value::Bool(false));
        }
        None
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
                about: None,
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

    fn alternatives(
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
        let present: Vec<&super::node::Entry> = entries
            .iter()
            .filter(|e| e.key.as_key().is_some_and(|k| names.contains(&k)))
            .collect();
        let chosen = match present.as_slice() {
            [] => {
                let strays = entries.iter().filter(|e| e.key.as_key().is_some());
                let mut reported = false;
                for entry in strays {
                    let key = entry.key.as_key().unwrap_or_default();
                    let hint = closest(key, names.iter().copied()).map_or_else(
                        || format!("use one of {}", one_of(&names)),
                        |s| format!("did you mean `{s}`?"),
                    );
                    self.report(
                        SpecDiagnostic::error(
                            entry.key.span,
                            format!(
                                "unknown key `{}`{}: expected one of {}",
                                shorten(key),
                                in_(path),
                                one_of(&names)
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
                            format!("expected exactly one of {}{}", one_of(&names), at(path)),
                        )
                        .with_path(path)
                        .with_hint(place.about.unwrap_or("add one of them")),
                    );
                }
                return None;
            }
            [one] => *one,
            [first, rest @ ..] => {
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
                                one_of(&names)
                            ),
                        )
                        .with_path(&path.key(key))
                        .with_label("second choice")
                        .with_hint(format!("keep either `{first_key}` or `{key}`")),
                    );
                }
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

    /// What a schema wants, in words: "a list of strings", "a mapping", "true or false", …
    fn expected(&self, schema: &Value) -> String {
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
    fn describe_scalar(scalar: &Scalar) -> String {
        Node {
            span: Span::START,
            kind: Kind::Scalar(scalar.clone()),
        }
        .describe()
    }
}

/// The hint for a wrong value: the setting's documentation (a starter's advice at the top).
fn about(path: &Path, place: Place<'_>) -> Option<String> {
    if path.is_root() {
        Some("a spec is a mapping of `version: 1`, `name`, `source`, `build` and `deploy`; run `pipewright init` to write a starter".to_owned())
    } else {
        place.about.map(str::to_owned)
    }
}

/// " for `build.commands`" (" for the spec" at the top).
fn at(path: &Path) -> String {
    if path.is_root() {
        " for the spec".to_owned()
    } else {
        format!(" for `{path}`")
    }
}

/// " in `deploy`" (nothing at the top).
fn in_(path: &Path) -> String {
    if path.is_root() {
        String::new()
    } else {
        format!(" in `{path}`")
    }
}

fn path_or_spec(path: &Path) -> String {
    if path.is_root() {
        "the spec".to_owned()
    } else {
        path.to_string()
    }
}

/// "a string" → "strings", "a list of strings" → "lists of strings".
fn plural(words: &str) -> String {
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

fn types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn description(schema: &Value) -> Option<&str> {
    schema.get("description").and_then(Value::as_str)
}

/// The values of an `enum` or `const` schema.
fn constants(schema: &Value) -> Option<Vec<&Value>> {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return Some(values.iter().collect());
    }
    schema.get("const").map(|v| vec![v])
}

/// `(tag, content schema)` of an externally tagged variant: an object with one required key.
fn variant_tag(schema: &Value) -> Option<(&str, &Value)> {
    let properties = schema.get("properties")?.as_object()?;
    let required = schema.get("required")?.as_array()?;
    match (
        properties.iter().next(),
        properties.len(),
        required.as_slice(),
    ) {
        (Some((tag, content)), 1, [only]) if only == tag => Some((tag.as_str(), content)),
        _ => None,
    }
}

fn matches_scalar(value: &Value, scalar: &Scalar) -> bool {
    match value {
        Value::String(s) => *s == scalar.text,
        Value::Number(n) => match scalar.value {
            ScalarValue::Int(i) => n.as_i64().map(i128::from) == Some(i),
            _ => false,
        },
        Value::Bool(b) => scalar.value == ScalarValue::Bool(*b),
        _ => false,
    }
}

fn display_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A value left out after its key (`key:` with nothing after it).
fn is_empty(node: &Node) -> bool {
    matches!(&node.kind, Kind::Scalar(s) if s.value == ScalarValue::Null && s.text.is_empty())
}

fn is_null(node: &Node) -> bool {
    matches!(&node.kind, Kind::Scalar(s) if s.value == ScalarValue::Null)
}

fn is_yaml11_bool(text: &str) -> bool {
    matches!(
        text.to_ascii_lowercase().as_str(),
        "yes" | "no" | "on" | "off" | "y" | "n"
    )
}

fn as_i128(value: &Value) -> Option<i128> {
    value
        .as_i64()
        .map(i128::from)
        .or_else(|| value.as_u64().map(i128::from))
        .or_else(|| {
            value
                .as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 1e30)
                .map(|f| {
                    #[allow(clippy::cast_possible_truncation)]
                    let whole = f as i128;
                    whole
                })
        })
}

/// The range an integer `format` (as schemars writes them) allows.
fn format_bounds(schema: &Value) -> (i128, i128) {
    match schema.get("format").and_then(Value::as_str) {
        Some("uint8") => (0, u8::MAX.into()),
        Some("uint16") => (0, u16::MAX.into()),
        Some("uint32" | "uint") => (0, u32::MAX.into()),
        Some("uint64") => (0, u64::MAX.into()),
        Some("int8") => (i8::MIN.into(), i8::MAX.into()),
        Some("int16") => (i16::MIN.into(), i16::MAX.into()),
        Some("int32" | "int") => (i32::MIN.into(), i32::MAX.into()),
        Some("int64") => (i64::MIN.into(), i64::MAX.into()),
        _ => (i128::MIN, i128::MAX),
    }
}

/// A node as JSON, for places where the schema allows anything.
fn to_json(node: &Node) -> Value {
    match &node.kind {
        Kind::Map(entries) => Value::Object(
            entries
                .iter()
                .filter_map(|e| Some((e.key.as_key()?.to_owned(), to_json(&e.value))))
                .collect(),
        ),
        Kind::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        Kind::Scalar(scalar) => match scalar.value {
            ScalarValue::Null => Value::Null,
            ScalarValue::Bool(b) => Value::Bool(b),
            ScalarValue::Int(i) => i64::try_from(i).map_or_else(
                |_| Value::String(scalar.text.clone()),
                |i| Value::Number(i.into()),
            ),
            ScalarValue::Float(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
            ScalarValue::Str => Value::String(scalar.text.clone()),
        },
    }
}
