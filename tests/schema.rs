//! `pipewright schema`: a draft-07 JSON Schema that accepts every valid spec pipewright ships
//! (the examples, the test specs) and rejects what `validate` rejects for structure.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::Test;

/// The schema, as the binary prints it.
fn schema() -> Value {
    Test::new().args(["schema"]).run().success().json()
}

/// A YAML spec as the JSON document an editor's validator sees.
fn as_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every spec that must be valid: `examples/*/pipewright.yml` and `tests/specs/*.yml`.
fn valid_specs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut specs = Vec::new();
    if let Ok(examples) = std::fs::read_dir(root.join("examples")) {
        for example in examples.flatten() {
            let spec = example.path().join("pipewright.yml");
            if spec.is_file() {
                specs.push(spec);
            }
        }
    }
    for spec in std::fs::read_dir(root.join("tests/specs"))
        .expect("tests/specs")
        .flatten()
    {
        if spec.path().extension().is_some_and(|e| e == "yml") {
            specs.push(spec.path());
        }
    }
    specs.sort();
    specs
}

#[test]
fn is_draft_07_with_an_id_a_title_and_descriptions() {
    let schema = schema();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert!(
        schema["$id"]
            .as_str()
            .is_some_and(|id| id.starts_with("https://"))
    );
    assert_eq!(schema["title"], "pipewright.yml");
    assert!(
        schema["properties"]["source"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("codecommit"))
    );
    assert!(schema["definitions"]["CodeDeploy"].is_object());
    assert!(
        jsonschema::meta::is_valid(&schema),
        "not a valid JSON Schema"
    );
}

#[test]
fn accepts_every_shipped_spec() {
    let validator = jsonschema::validator_for(&schema()).expect("schema compiles");
    let specs = valid_specs();
    assert!(specs.len() >= 4, "expected the test specs, found {specs:?}");
    for spec in specs {
        let instance = as_json(&spec);
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", spec.display());
    }
}

#[test]
fn rejects_what_validate_rejects_for_structure() {
    let validator = jsonschema::validator_for(&schema()).expect("schema compiles");
    let minimal = include_str!("specs/minimal.yml");
    for (from, to) in [
        ("  codecommit:", "  codecomit:"),
        ("version: 1", "version: 2"),
        ("[npm ci, npm run build]", "{npm: ci}"),
        (
            "bucket: hello-web-site",
            "bucket: hello-web-site\n  codedeploy: {platform: lambda}",
        ),
        ("name: hello-web", "name: Hello_Web"),
    ] {
        let text = minimal.replacen(from, to, 1);
        let instance: Value = serde_saphyr::from_str(&text).expect("YAML");
        assert!(!validator.is_valid(&instance), "schema accepts {to:?}");
    }
}

#[test]
fn is_deterministic() {
    assert_eq!(schema(), schema());
}
