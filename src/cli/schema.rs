//! `pipewright schema`: the spec's JSON Schema (draft-07), for editors.
//!
//! Point yaml-language-server at it (`# yaml-language-server: $schema=<file>` at the top of
//! pipewright.yml, or `yaml.schemas` in the editor settings) to get completion, hover docs and
//! the same structural errors `pipewright validate` reports.

use super::Context;
use crate::error::{Error, Result};
use crate::spec::spec_schema;

pub(crate) fn run(_ctx: &Context) -> Result<()> {
    let text = serde_json::to_string_pretty(spec_schema())
        .map_err(|err| Error::failed(format!("cannot print the schema: {err}"), None))?;
    super::stdout::emit(&format!("{text}\n"), "cannot print the schema")
}
