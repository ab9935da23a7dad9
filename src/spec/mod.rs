//! The spec layer: `pipewright.yml` → a validated [`Spec`], with every error located.
//!
//! Knows nothing of AWS. Loading is three passes over one text so that every problem in a file is
//! reported in one run: YAML syntax (serde-saphyr, with budgets), structure (the JSON Schema that
//! schemars derives from [`model`], walked over a spanned node tree), then semantic rules
//! ([`validate`]) that a schema cannot express.

mod diagnostic;
mod load;
pub mod model;
mod names;

pub use diagnostic::{Severity, SpecDiagnostic, SpecErrors};
pub use load::{LoadedSpec, load, load_str};
pub use model::*;
pub use names::{LONGEST_REGION_LEN, Names, OWNERSHIP_TAG, SINGLE_STAGE};
