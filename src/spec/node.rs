//! The spec as a located YAML tree: every mapping key, value and list item keeps its span.
//!
//! serde-saphyr parses the text (with its budgets and strict booleans) into this tree through
//! [`Spanned`], so the structure pass can report *every* problem at its exact place instead of
//! stopping at serde's first error, and later layers can point back at any value by [`Path`].
//! Scalars keep their source text and whether they were quoted: `timeout: "5"` is a string even
//! where a number is expected, and `name: 012` still reads `012` where a string is expected.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

use super::path::{Path, Segment};
use super::source::{LineIndex, Span};

/// One YAML node and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the node is used (for an alias: the `*alias` token).
    pub span: Span,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Map(Vec<Entry>),
    Seq(Vec<Node>),
    Scalar(Scalar),
}

/// A mapping entry: the key is a node too, so unknown keys are reported at the key.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub value: ScalarValue,
    /// The string value, or the source spelling of a number, boolean or null (`0x1F`, `True`, `~`).
    pub text: String,
    /// Written in single or double quotes: always a string in YAML.
    pub quoted: bool,
}

/// What YAML's core schema (with strict booleans) made of a scalar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScalarValue {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str,
}

impl Node {
    /// The value under `key` when this is a mapping.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    /// The entry for `key` when this is a mapping.
    #[must_use]
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.kind {
            Kind::Map(entries) => entries.iter().find(|e| e.key.as_key() == Some(key)),
            _ => None,
        }
    }

    /// This node's text when it is a scalar usable as a mapping key.
    #[must_use]
    pub fn as_key(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(scalar) => Some(&scalar.text),
            _ => None,
        }
    }

    /// The node at `path`, if the document has it.
    #[must_use]
    pub fn lookup(&self, path: &Path) -> Option<&Node> {
        path.segments()
            .iter()
            .try_fold(self, |node, segment| node.step(segment).map(|e| e.1))
    }

    /// Whether the document spells out `path` (rather than leaving it to a default).
    #[must_use]
    pub fn has(&self, path: &Path) -> bool {
        self.lookup(path).is_some()
    }

    /// Where to point for the value at `path`: the value itself, or, when the document lacks
    /// it, the key of the deepest part that exists (so a missing setting points at its owner).
    #[must_use]
    pub fn locate(&self, path: &Path) -> Span {
        self.walk(path, false)
    }

    /// Where to point for the key that holds `path` (the value's span for a list item).
    #[must_use]
    pub fn locate_key(&self, path: &Path) -> Span {
        self.walk(path, true)
    }

    fn walk(&self, path: &Path, want_key: bool) -> Span {
        let mut node = self;
        let mut owner = self.span;
        let count = path.segments().len();
        for (i, segment) in path.segments().iter().enumerate() {
            match node.step(segment) {
                Some((key, value)) => {
                    if i + 1 == count {
                        return if want_key { key } else { value.span };
                    }
                    owner = key;
                    node = value;
                }
                None => return owner,
            }
        }
        node.span
    }

    /// One step down: (span of the key or item, the child).
    fn step(&self, segment: &Segment) -> Option<(Span, &Node)> {
        match (segment, &self.kind) {
            (Segment::Key(key), Kind::Map(_)) => {
                self.entry(key).map(|entry| (entry.key.span, &entry.value))
            }
            (Segment::Index(index), Kind::Seq(items)) => {
                items.get(*index).map(|item| (item.span, item))
            }
            _ => None,
        }
    }

    /// What this node is, for messages: "a mapping", "the string `x`", "the number 5", …
    #[must_use]
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Map(_) => "a mapping".to_owned(),
            Kind::Seq(_) => "a list".to_owned(),
            Kind::Scalar(scalar) => match scalar.value {
                ScalarValue::Null if scalar.text.is_empty() => {
                    "nothing (an empty value)".to_owned()
                }
                ScalarValue::Null => format!("null (`{}`)", scalar.text),
                ScalarValue::Bool(_) => format!("the boolean `{}`", scalar.text),
                ScalarValue::Int(_) | ScalarValue::Float(_) => {
                    format!("the number `{}`", scalar.text)
                }
                ScalarValue::Str => format!("the string `{}`", shorten(&scalar.text)),
            },
        }
    }
}

/// At most 40 characters of `text` on one line, for messages.
pub(crate) fn shorten(text: &str) -> String {
    let one_line = text.lines().next().unwrap_or("");
    if one_line.chars().count() > 40 || one_line.len() < text.trim_end().len() {
        format!("{}…", one_line.chars().take(40).collect::<String>())
    } else {
        one_line.to_owned()
    }
}

/// The tree exactly as serde-saphyr delivers it, before spans become [`Span`]s.
#[derive(Debug)]
pub(crate) enum Raw {
    Map(Vec<(Spanned<Raw>, Spanned<Raw>)>),
    Seq(Vec<Spanned<Raw>>),
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw, E> {
        Ok(Raw::Int(v.into()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Raw, E> {
        Ok(Raw::Int(v))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Raw, E> {
        Ok(i128::try_from(v).map_or_else(|_| Raw::Str(v.to_string()), Raw::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Float(v))
    }
    fn visit_char<E: de::Error>(self, v: char) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_string()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Raw, E> {
        Ok(Raw::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Raw, D::Error> {
        Raw::deserialize(deserializer)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<Raw, D::Error> {
        Raw::deserialize(deserializer)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Raw>>()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<Raw>>()? {
            let value = map.next_value::<Spanned<Raw>>()?;
            entries.push((key, value));
        }
        Ok(Raw::Map(entries))
    }
}

impl Node {
    /// Turn serde-saphyr's tree into located nodes, reading scalars' spelling from the text.
    pub(crate) fn from_raw(raw: Spanned<Raw>, index: &LineIndex<'_>, parent: Span) -> Node {
        let span = to_span(raw.referenced, index, parent);
        let defined = to_span(raw.defined, index, span);
        let kind = match raw.value {
            Raw::Map(entries) => Kind::Map(
                entries
                    .into_iter()
                    .map(|(key, value)| Entry {
                        key: Node::from_raw(key, index, span),
                        value: Node::from_raw(value, index, span),
                    })
                    .collect(),
            ),
            Raw::Seq(items) => Kind::Seq(
                items
                    .into_iter()
                    .map(|item| Node::from_raw(item, index, span))
                    .collect(),
            ),
            Raw::Str(text) => {
                let source = index.slice(defined);
                Kind::Scalar(Scalar {
                    value: ScalarValue::Str,
                    text,
                    quoted: source.starts_with(['"', '\'']),
                })
            }
            other => {
                let (value, fallback) = match other {
                    Raw::Null => (ScalarValue::Null, String::new()),
                    Raw::Bool(b) => (ScalarValue::Bool(b), b.to_string()),
                    Raw::Int(i) => (ScalarValue::Int(i), i.to_string()),
                    Raw::Float(f) => (ScalarValue::Float(f), f.to_string()),
                    Raw::Map(_) | Raw::Seq(_) | Raw::Str(_) => (ScalarValue::Str, String::new()),
                };
                let source = index.slice(defined).trim();
                let text = if source.is_empty() && value != ScalarValue::Null {
                    fallback
                } else {
                    source.to_owned()
                };
                Kind::Scalar(Scalar {
                    value,
                    text,
                    quoted: false,
                })
            }
        };
        Node { span, kind }
    }
}

fn to_span(location: Location, index: &LineIndex<'_>, fallback: Span) -> Span {
    if location.line() == 0 {
        return fallback;
    }
    let span = location.span();
    match (span.byte_offset(), span.byte_len()) {
        (Some(offset), Some(len)) => index.span(
            usize::try_from(offset).unwrap_or(usize::MAX),
            usize::try_from(len).unwrap_or(0),
        ),
        _ => index.at(
            usize::try_from(location.line()).unwrap_or(usize::MAX),
            usize::try_from(location.column()).unwrap_or(usize::MAX),
            0,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> Node {
        let raw: Spanned<Raw> = serde_saphyr::from_str(text).expect("valid YAML");
        Node::from_raw(raw, &LineIndex::new(text), Span::START)
    }

    fn at(span: Span) -> (usize, usize) {
        (span.line, span.column)
    }

    #[test]
    fn keys_values_and_items_keep_their_place() {
        let root = tree("a: 1\nbé:\n  - x\n  - {c: \"5\"}\n");
        let path = Path::root().key("bé").index(1).key("c");
        assert_eq!(at(root.locate(&path)), (4, 9));
        assert_eq!(at(root.locate_key(&path)), (4, 6));
        let Kind::Scalar(scalar) = &root.lookup(&path).expect("c").kind else {
            panic!("scalar expected");
        };
        assert!(scalar.quoted);
        assert_eq!(scalar.text, "5");
        assert_eq!(at(root.locate(&Path::root().key("bé").index(0))), (3, 5));
    }

    #[test]
    fn numbers_keep_their_spelling() {
        let root = tree("a: 0x1F\nb: 1.50\nc: ~\nd:\n");
        let text = |key: &str| match &root.get(key).expect(key).kind {
            Kind::Scalar(s) => (s.text.clone(), s.value),
            _ => panic!("scalar expected"),
        };
        assert_eq!(text("a"), ("0x1F".to_owned(), ScalarValue::Int(31)));
        assert_eq!(text("b").0, "1.50");
        assert_eq!(text("c"), ("~".to_owned(), ScalarValue::Null));
        assert_eq!(text("d"), (String::new(), ScalarValue::Null));
    }

    #[test]
    fn a_missing_value_points_at_its_deepest_owner() {
        let root = tree("deploy:\n  codedeploy:\n    platform: server\n");
        let path = Path::root().key("deploy").key("codedeploy").key("strategy");
        assert_eq!(at(root.locate(&path)), (2, 3));
        assert!(!root.has(&path));
    }

    #[test]
    fn aliases_point_at_their_use() {
        let root = tree("a: &x 5\nb: *x\n");
        assert_eq!(at(root.locate(&Path::root().key("b"))), (2, 4));
        match &root.get("b").expect("b").kind {
            Kind::Scalar(s) => assert_eq!(s.text, "5"),
            _ => panic!("scalar expected"),
        }
    }
}
