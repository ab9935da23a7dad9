//! Reading a spec file (placeholder: replaced by the located, multi-error loader).

use std::path::{Path, PathBuf};

use super::diagnostic::{Severity, SpecDiagnostic, SpecErrors};
use super::model::Spec;

/// A spec that loaded and validated, with where it came from.
#[derive(Debug, Clone)]
pub struct LoadedSpec {
    pub path: PathBuf,
    pub spec: Spec,
    pub warnings: Vec<SpecDiagnostic>,
}

/// Load and validate the spec at `path`.
pub fn load(path: &Path) -> Result<LoadedSpec, SpecErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| SpecErrors {
        file: path.display().to_string(),
        errors: vec![SpecDiagnostic {
            file: path.display().to_string(),
            line: 0,
            column: 0,
            message: format!("cannot read the spec: {e}"),
            hint: Some("pass the spec with -f/--file, or run `pipewright init`".to_owned()),
            severity: Severity::Error,
        }],
    })?;
    load_str(path, &text)
}

/// Load and validate spec text that came from `path`.
pub fn load_str(path: &Path, text: &str) -> Result<LoadedSpec, SpecErrors> {
    let spec: Spec = serde_saphyr::from_str(text).map_err(|e| SpecErrors {
        file: path.display().to_string(),
        errors: vec![SpecDiagnostic {
            file: path.display().to_string(),
            line: 0,
            column: 0,
            message: e.to_string(),
            hint: None,
            severity: Severity::Error,
        }],
    })?;
    Ok(LoadedSpec {
        path: path.to_path_buf(),
        spec,
        warnings: Vec::new(),
    })
}
