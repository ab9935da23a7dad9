//! Reading the JSON Schema subset schemars emits, and the stand-ins for missing values.

use serde_json::{Map, Number, Value};

use super::Walker;
use crate::spec::node::{Kind, Node, Scalar, ScalarValue};

impl<'s> Walker<'s> {
    /// A value that satisfies `schema`, standing in for a missing or invalid required one.
    pub(super) fn placeholder(&self, schema: &'s Value, depth: usize) -> Option<Value> {
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
}

pub(super) fn types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

pub(super) fn description(schema: &Value) -> Option<&str> {
    schema.get("description").and_then(Value::as_str)
}

/// The values of an `enum` or `const` schema.
pub(super) fn constants(schema: &Value) -> Option<Vec<&Value>> {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return Some(values.iter().collect());
    }
    schema.get("const").map(|v| vec![v])
}

/// `(tag, content schema)` of an externally tagged variant: an object with one required key.
pub(super) fn variant_tag(schema: &Value) -> Option<(&str, &Value)> {
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

pub(super) fn matches_scalar(value: &Value, scalar: &Scalar) -> bool {
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

pub(super) fn display_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A value left out after its key (`key:` with nothing after it).
pub(super) fn is_empty(node: &Node) -> bool {
    matches!(&node.kind, Kind::Scalar(s) if s.value == ScalarValue::Null && s.text.is_empty())
}

pub(super) fn is_null(node: &Node) -> bool {
    matches!(&node.kind, Kind::Scalar(s) if s.value == ScalarValue::Null)
}

pub(super) fn is_yaml11_bool(text: &str) -> bool {
    matches!(
        text.to_ascii_lowercase().as_str(),
        "yes" | "no" | "on" | "off" | "y" | "n"
    )
}

pub(super) fn as_i128(value: &Value) -> Option<i128> {
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
pub(super) fn format_bounds(schema: &Value) -> (i128, i128) {
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
pub(super) fn to_json(node: &Node) -> Value {
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
