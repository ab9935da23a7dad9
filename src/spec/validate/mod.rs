//! Pass four: the rules a schema cannot express, checked on the typed spec before any AWS call.
//!
//! Each rule reads the typed [`Spec`] and reports at the YAML place of the offending value (a
//! [`Path`] looked up in the located tree), so a rule never re-parses anything and a message
//! always lands on the right line. Rules are grouped by the part of the spec they judge.

mod build;
mod deploy;
mod names;
mod permissions;
mod source;
mod stages;

pub(crate) use build::secret_spans;
mod top;

use serde::Serialize;

use super::diagnostic::SpecDiagnostic;
use super::model::Spec;
use super::node::Node;
use super::path::Path;

/// Check every semantic rule; problems come back in no particular order.
pub(crate) fn check(spec: &Spec, tree: &Node, base_dir: &std::path::Path) -> Vec<SpecDiagnostic> {
    let mut rules = Rules {
        spec,
        tree,
        base_dir,
        out: Vec::new(),
    };
    top::check(&mut rules);
    names::check(&mut rules);
    source::check(&mut rules);
    build::check(&mut rules);
    stages::check(&mut rules);
    rules.out
}

/// What every rule needs: the spec, where its values are, and where to put problems.
pub(crate) struct Rules<'a> {
    pub(crate) spec: &'a Spec,
    pub(crate) tree: &'a Node,
    /// The spec's folder: hook scripts are looked up relative to it.
    pub(crate) base_dir: &'a std::path::Path,
    out: Vec<SpecDiagnostic>,
}

impl Rules<'_> {
    /// An error at the value at `path` (or, when the spec leaves it out, at its owner's key).
    pub(crate) fn error(
        &mut self,
        path: &Path,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let span = self.tree.locate(path);
        self.push(SpecDiagnostic::error(span, message), path, hint);
    }

    /// An error at the key of `path`, for problems with a setting as a whole.
    pub(crate) fn error_at_key(
        &mut self,
        path: &Path,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let span = self.tree.locate_key(path);
        self.push(SpecDiagnostic::error(span, message), path, hint);
    }

    /// A warning at the value at `path`: exit 0 unless `validate --strict`.
    pub(crate) fn warning(
        &mut self,
        path: &Path,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let span = self.tree.locate(path);
        self.push(SpecDiagnostic::warning(span, message), path, hint);
    }

    fn push(&mut self, diagnostic: SpecDiagnostic, path: &Path, hint: impl Into<String>) {
        self.out.push(diagnostic.with_path(path).with_hint(hint));
    }

    /// Whether the YAML spells out `path` (rather than leaving it to a default).
    pub(crate) fn written(&self, path: &Path) -> bool {
        self.tree.has(path)
    }
}

/// The spelling of an enum value in the spec (`blue-green`, `2xlarge`, `server`).
pub(crate) fn word<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::from("?"),
    }
}
