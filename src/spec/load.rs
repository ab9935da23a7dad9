//! Loading a spec: every pass in order, every problem collected, one result.
//!
//! 1. bytes → UTF-8 text → located YAML tree ([`super::parse`]); a problem here stops loading,
//!    since nothing after it can be trusted;
//! 2. the tree against the JSON Schema ([`super::structure`]): all unknown keys, wrong kinds of
//!    value, missing keys;
//! 3. the typed deserialize (serde-saphyr into [`Spec`]), when the structure was clean; when it
//!    was not, the valid part of the document still becomes a `Spec` where it can, so that
//! 4. the semantic rules ([`super::validate`]) report in the same run.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::NamedSource;

use super::diagnostic::{SpecDiagnostic, SpecErrors};
use super::model::Spec;
use super::node::Node;
use super::path::Path as SpecPath;
use super::source::{LineIndex, Span};
use super::{parse, structure, validate};

/// A spec that loaded and validated, with where it came from.
#[derive(Debug, Clone)]
pub struct LoadedSpec {
    /// The file as the user named it.
    pub path: PathBuf,
    pub spec: Spec,
    /// Problems that do not stop anything (a missing hook script, a secret-looking value).
    pub warnings: Vec<SpecDiagnostic>,
    /// The spec's folder: relative paths in the spec (hook scripts, templates) start here.
    pub base_dir: PathBuf,
    /// The text, for diagnostics that quote it.
    pub text: Arc<str>,
    /// The located YAML tree, for later layers to point at a value.
    pub tree: Node,
}

impl LoadedSpec {
    /// Where the value at `path` is written (or, when left to a default, its owner's key).
    #[must_use]
    pub fn locate(&self, path: &SpecPath) -> Span {
        self.tree.locate(path)
    }

    /// An error about the value at `path`, located and quoting the spec like a validation error.
    #[must_use]
    pub fn error_at(&self, path: &SpecPath, message: &str, hint: &str) -> SpecErrors {
        let source = named_source(&self.path, &self.text);
        let mut error = SpecDiagnostic::error(self.locate(path), message)
            .with_path(path)
            .with_hint(hint);
        error.attach(&display(&self.path), &source);
        SpecErrors::new(&display(&self.path), vec![error], Vec::new())
    }
}

/// Load and validate the spec at `path`.
pub fn load(path: &Path) -> Result<LoadedSpec, SpecErrors> {
    let bytes = std::fs::read(path).map_err(|err| {
        let file = display(path);
        let reason = match err.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_owned(),
            std::io::ErrorKind::IsADirectory => "it is a folder".to_owned(),
            _ => err.to_string(),
        };
        let problem = SpecDiagnostic::unplaced(&file, format!("cannot read the spec: {reason}"))
            .with_hint("run `pipewright init` to write one, or name it with -f/--file");
        SpecErrors::new(&file, vec![problem], Vec::new())
    })?;
    load_bytes(path, &bytes)
}

/// Load and validate spec bytes that came from `path` (any bytes: binary input is reported).
pub fn load_bytes(path: &Path, bytes: &[u8]) -> Result<LoadedSpec, SpecErrors> {
    match parse::decode(bytes) {
        Ok(text) => load_str(path, text),
        Err(problem) => {
            let text = String::from_utf8_lossy(bytes);
            Err(finish(path, &text, vec![*problem], Vec::new()))
        }
    }
}

/// Load and validate spec text that came from `path`.
pub fn load_str(path: &Path, text: &str) -> Result<LoadedSpec, SpecErrors> {
    on_own_stack(|| load_text(path, text))
}

/// Stack for a load: nesting up to the depth budget recurses through serde, the structure walk
/// and drops; a debug build needs about 50 KiB per level. Reserved, not committed, memory.
const LOAD_STACK: usize = 64 * 1024 * 1024;

/// Run `job` on a thread with [`LOAD_STACK`] of stack, so the depth a spec may reach does not
/// depend on the caller's thread (2 MiB for tokio workers and test threads, 1 MiB for a Windows
/// main thread). Falls back to the current thread when no thread can be started.
fn on_own_stack<T: Send>(job: impl FnOnce() -> T + Send) -> T {
    let mut job = Some(job);
    let done = std::thread::scope(|scope| {
        let job = &mut job;
        let handle = std::thread::Builder::new()
            .name("pipewright-spec".to_owned())
            .stack_size(LOAD_STACK)
            .spawn_scoped(scope, move || job.take().map(|job| job()))
            .ok()?;
        match handle.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    match (done, job) {
        (Some(result), _) => result,
        (None, Some(job)) => job(),
        (None, None) => unreachable!("the load ran but returned nothing"),
    }
}

fn load_text(path: &Path, text: &str) -> Result<LoadedSpec, SpecErrors> {
    if let Err(problem) = parse::decode(text.as_bytes()) {
        return Err(finish(path, text, vec![*problem], Vec::new()));
    }
    let index = LineIndex::new(text);
    let tree = match parse::tree(text, &index) {
        Ok(Some(tree)) => tree,
        Ok(None) => {
            let problem = SpecDiagnostic::error(Span::START, "the spec is empty")
                .with_label("nothing here")
                .with_hint("a spec needs at least `version: 1`, `name`, `source`, `build` and `deploy`; run `pipewright init` to write a starter");
            return Err(finish(path, text, vec![problem], Vec::new()));
        }
        Err(problem) => return Err(finish(path, text, vec![*problem], Vec::new())),
    };
    // Error snippets quote the spec: never a secret value written in it by mistake.
    let shown = redact(text, &validate::secret_spans(&tree));
    let structure = structure::check(&tree);
    let mut errors = structure.problems;
    let spec = if errors.is_empty() {
        match serde_saphyr::from_str_with_options::<Spec>(text, parse::options()) {
            Ok(spec) => Some(spec),
            Err(err) => {
                errors.push(parse::yaml_error(&err, &index));
                None
            }
        }
    } else {
        structure
            .valid_part
            .and_then(|value| serde_json::from_value::<Spec>(value).ok())
    };
    let unreliable: Vec<String> = structure
        .unreliable
        .iter()
        .map(ToString::to_string)
        .collect();
    let base_dir = base_dir(path);
    let mut warnings = Vec::new();
    if let Some(spec) = &spec {
        for problem in validate::check(spec, &tree, &base_dir) {
            if judges_a_default(&problem, &unreliable) {
                continue;
            }
            if problem.is_error() {
                errors.push(problem);
            } else {
                warnings.push(problem);
            }
        }
    }
    match spec {
        Some(spec) if errors.is_empty() => {
            let file = display(path);
            let source = named_source(path, &shown);
            for warning in &mut warnings {
                warning.attach(&file, &source);
            }
            super::diagnostic::tidy(&mut warnings);
            Ok(LoadedSpec {
                path: path.to_path_buf(),
                spec,
                warnings,
                base_dir,
                text: Arc::from(text),
                tree,
            })
        }
        _ => Err(finish(path, &shown, errors, warnings)),
    }
}

/// Whether a semantic problem lies where the structure pass left or stood in defaults.
fn judges_a_default(problem: &SpecDiagnostic, unreliable: &[String]) -> bool {
    let Some(path) = &problem.path else {
        return false;
    };
    unreliable.iter().any(|prefix| {
        path.strip_prefix(prefix.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
    })
}

/// `text` with every byte of `spans` replaced by `*` (byte offsets stay valid for every span).
fn redact(text: &str, spans: &[Span]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for span in spans {
        let end = (span.offset + span.len).min(bytes.len());
        for byte in bytes.get_mut(span.offset..end).into_iter().flatten() {
            // Keep quotes so the snippet still reads as YAML.
            if *byte != b'"' && *byte != b'\'' {
                *byte = b'*';
            }
        }
    }
    String::from_utf8(bytes).unwrap_or_else(|_| text.to_owned())
}

/// Attach the file and its text to every problem.
fn finish(
    path: &Path,
    text: &str,
    mut errors: Vec<SpecDiagnostic>,
    mut warnings: Vec<SpecDiagnostic>,
) -> SpecErrors {
    let file = display(path);
    let source = named_source(path, text);
    for problem in errors.iter_mut().chain(warnings.iter_mut()) {
        problem.attach(&file, &source);
    }
    SpecErrors::new(&file, errors, warnings)
}

fn named_source(path: &Path, text: &str) -> Arc<NamedSource<Arc<str>>> {
    let shown = super::diagnostic::displayable(text);
    Arc::new(NamedSource::new(display(path), Arc::from(shown.as_ref())).with_language("yaml"))
}

fn display(path: &Path) -> String {
    super::diagnostic::printable(path.display().to_string())
}

/// The folder relative paths in the spec start from.
fn base_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
