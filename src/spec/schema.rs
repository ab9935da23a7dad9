//! The spec's JSON Schema, generated from [`super::model`] by schemars.
//!
//! One schema serves two readers: editors (yaml-language-server wants draft-07, so that is what
//! is generated) and [`super::structure`], which walks it over the YAML tree. Structural rules
//! therefore live in one place, the types and their attributes, and an editor flags exactly
//! what `pipewright validate` flags.

use std::sync::OnceLock;

use schemars::generate::SchemaSettings;
use serde_json::Value;

use super::model::Spec;

/// The schema's `$id`: where editors may fetch it from once it is published.
pub const SCHEMA_ID: &str = "https://pipewright.dev/schema/v1/pipewright.schema.json";

/// The draft-07 JSON Schema of `pipewright.yml`, generated once per process.
#[must_use]
pub fn spec_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let schema = SchemaSettings::draft07()
            .into_generator()
            .into_root_schema_for::<Spec>();
        let mut value = schema.to_value();
        if let Some(object) = value.as_object_mut() {
            object.insert("$id".to_owned(), Value::String(SCHEMA_ID.to_owned()));
            object.insert(
                "title".to_owned(),
                Value::String("pipewright.yml".to_owned()),
            );
        }
        value
    })
}

/// Resolve a local `$ref` (`#/definitions/Name` or `#/$defs/Name`) against the root schema.
pub(crate) fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    root.pointer(pointer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_draft_07_with_an_id_and_descriptions() {
        let schema = spec_schema();
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(schema["$id"], SCHEMA_ID);
        assert!(schema["properties"]["name"]["description"].is_string());
        assert!(resolve(schema, "#/definitions/CodeDeploy").is_some());
    }
}
