//! The spec layer: `pipewright.yml` → a validated [`Spec`], with every error located.
//!
//! Knows nothing of AWS. Loading is a few passes over one text so that every problem in a file
//! is reported in one run: bytes to located YAML tree (serde-saphyr, with budgets), structure
//! (the JSON Schema that schemars derives from [`model`], walked over that tree), the typed
//! deserialize, then semantic rules that a schema cannot express (AWS naming rules, strategy
//! versus platform, references).

mod diagnostic;
mod load;
pub mod model;
mod names;
pub mod node;
mod parse;
pub mod path;
mod schema;
mod secret_ref;
pub mod source;
mod structure;
mod suggest;
mod unclosed;
mod validate;

pub use diagnostic::{
    Severity, SpecDiagnostic, SpecErrors, count, render, report_json, tidy as diagnostic_order,
};
pub use load::{LoadedSpec, load, load_bytes, load_str};
pub use model::*;
pub use names::{Derived, LONGEST_REGION_LEN, Names, SINGLE_STAGE, rules as name_rules};
pub use path::{Path as SpecPath, Segment};
pub use schema::{SCHEMA_ID, spec_schema};
pub use secret_ref::SecretRef;
pub use source::Span;
