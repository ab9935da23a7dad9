//! Generated files (placeholder in the engine branch: replaced by the real renderer on merge).

use std::fmt::Write as _;

use crate::spec::Spec;

/// Why rendering failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{0}")]
pub struct RenderError(pub String);

/// The buildspec pipewright generates for a spec.
pub fn buildspec(spec: &Spec) -> Result<String, RenderError> {
    let build = &spec.build;
    let mut text = String::from("version: 0.2\nphases:\n  build:\n    commands:\n");
    for command in build
        .install
        .iter()
        .chain(&build.pre_build)
        .chain(&build.commands)
    {
        let _ = writeln!(text, "      - {command:?}");
    }
    text.push_str("artifacts:\n  files:\n    - '**/*'\n");
    if let Some(base) = &build.artifacts.base_directory {
        let _ = writeln!(text, "  base-directory: {base:?}");
    }
    Ok(text)
}
