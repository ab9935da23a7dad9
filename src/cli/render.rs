//! `pipewright render`: write the generated files, print them, or check them (for CI).
//!
//! Everything is rendered in memory first; only then is anything compared or written, so a bad
//! template or spec never leaves a half-updated set of files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Context;
use super::args::RenderArgs;
use crate::error::{Error, Result, exit};
use crate::render::{self, RenderedFile};
use crate::spec::{self, LoadedSpec};

/// A rendered file beside what is on disk now.
struct Planned<'a> {
    file: &'a RenderedFile,
    /// Where it goes, as shown to the user.
    target: PathBuf,
    on_disk: Option<String>,
}

impl Planned<'_> {
    fn changed(&self) -> bool {
        self.on_disk.as_deref() != Some(self.file.contents.as_str())
    }
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: String,
    contents: &'a str,
    changed: bool,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    files: Vec<JsonFile<'a>>,
}

pub(crate) fn run(ctx: &Context, args: &RenderArgs) -> Result<()> {
    let loaded = spec::load(&ctx.global.file)?;
    print_warnings(ctx, &loaded);
    let files = render::render_all(&loaded)?;
    let dir = args.out.clone().unwrap_or_else(|| {
        loaded
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    });
    let planned = files
        .iter()
        .map(|file| plan(&dir, file))
        .collect::<Result<Vec<_>>>()?;

    if args.stdout {
        emit(&files_text(ctx, &planned))
    } else if args.check {
        check(ctx, &planned)
    } else {
        write(ctx, &planned)
    }
}

fn plan<'a>(dir: &Path, file: &'a RenderedFile) -> Result<Planned<'a>> {
    let target = dir.join(&file.path);
    let on_disk = match std::fs::read_to_string(&target) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(format!("cannot read {}", target.display()))(e)),
    };
    Ok(Planned {
        file,
        target,
        on_disk,
    })
}

fn print_warnings(ctx: &Context, loaded: &LoadedSpec) {
    if ctx.out.quiet {
        return;
    }
    for warning in &loaded.warnings {
        eprintln!("warning: {warning}");
    }
}

fn json(planned: &[Planned<'_>]) -> String {
    let report = JsonReport {
        files: planned
            .iter()
            .map(|p| JsonFile {
                path: p.target.display().to_string(),
                contents: &p.file.contents,
                changed: p.changed(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
}

/// `--stdout`: each file after a `# --- <path>` line, so the output is still readable YAML.
fn files_text(ctx: &Context, planned: &[Planned<'_>]) -> String {
    if ctx.out.is_json() {
        return json(planned);
    }
    let mut text = String::new();
    for p in planned {
        let _ = write!(text, "# --- {}\n{}", p.file.path.display(), p.file.contents);
    }
    text
}

/// Write to stdout; a closed pipe (`render --stdout | head`) is not an error.
fn emit(text: &str) -> Result<()> {
    super::stdout::emit(text, "cannot write to stdout")
}

/// `--check`: a unified diff of each file that differs from what would be written, exit 1 then.
fn check(ctx: &Context, planned: &[Planned<'_>]) -> Result<()> {
    let stale: Vec<&Planned<'_>> = planned.iter().filter(|p| p.changed()).collect();
    if ctx.out.is_json() {
        emit(&json(planned))?;
    } else {
        emit(&stale.iter().map(|p| diff(ctx, p)).collect::<String>())?;
    }
    if stale.is_empty() {
        if !ctx.out.quiet && !ctx.out.is_json() {
            emit(&format!(
                "{} up to date\n",
                list(planned.iter().map(|p| p.target.as_path()))
            ))?;
        }
        return Ok(());
    }
    if !ctx.out.is_json() {
        eprintln!(
            "{} out of date with the spec: run `pipewright render` and commit the result",
            list(stale.iter().map(|p| p.target.as_path()))
        );
    }
    Err(Error::Exit(exit::FAILURE))
}

fn diff(ctx: &Context, p: &Planned<'_>) -> String {
    let old = p.on_disk.as_deref().unwrap_or("");
    let target = p.target.display().to_string();
    let old_name = if p.on_disk.is_some() {
        format!("{target} (on disk)")
    } else {
        format!("{target} (missing)")
    };
    let new_name = format!("{target} (rendered)");
    let text = similar::TextDiff::from_lines(old, p.file.contents.as_str())
        .unified_diff()
        .context_radius(3)
        .header(&old_name, &new_name)
        .to_string();
    let text = if text.ends_with('\n') {
        text
    } else {
        text + "\n"
    };
    if !ctx.out.color {
        return text;
    }
    let (add, del, hunk) = (
        ctx.out.style(console::Style::new().green()),
        ctx.out.style(console::Style::new().red()),
        ctx.out.style(console::Style::new().cyan()),
    );
    text.lines()
        .map(|line| {
            let styled = if line.starts_with("@@") {
                hunk.apply_to(line).to_string()
            } else if line.starts_with('+') && !line.starts_with("+++") {
                add.apply_to(line).to_string()
            } else if line.starts_with('-') && !line.starts_with("---") {
                del.apply_to(line).to_string()
            } else {
                line.to_owned()
            };
            styled + "\n"
        })
        .collect()
}

/// Write the files that changed; each one atomically (a temporary file renamed into place).
fn write(ctx: &Context, planned: &[Planned<'_>]) -> Result<()> {
    for p in planned.iter().filter(|p| p.changed()) {
        write_atomically(&p.target, &p.file.contents)?;
    }
    if ctx.out.is_json() {
        emit(&json(planned))
    } else if ctx.out.quiet {
        Ok(())
    } else {
        let mut report = String::new();
        for p in planned {
            let verb = if p.changed() { "wrote" } else { "unchanged" };
            let _ = writeln!(report, "{verb} {}", p.target.display());
        }
        emit(&report)
    }
}

fn write_atomically(target: &Path, contents: &str) -> Result<()> {
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(Error::io(format!("cannot create {}", parent.display())))?;
    }
    let mut temp = target.as_os_str().to_owned();
    temp.push(".pipewright-tmp");
    let temp = PathBuf::from(temp);
    std::fs::write(&temp, contents)
        .map_err(Error::io(format!("cannot write {}", temp.display())))?;
    std::fs::rename(&temp, target).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        Error::io(format!("cannot write {}", target.display()))(e)
    })
}

fn list<'p>(targets: impl IntoIterator<Item = &'p Path>) -> String {
    let names: Vec<String> = targets
        .into_iter()
        .map(|t| t.display().to_string())
        .collect();
    match names.as_slice() {
        [one] => format!("{one} is"),
        _ => format!("{} are", names.join(", ")),
    }
}
