//! `pipewright init`: write a commented starter spec and the files its kind needs.
//!
//! All or nothing: when any file already exists and `--force` is absent, nothing is written, so a
//! second `init` never leaves a mix of old and new files.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Context;
use super::args::{InitArgs, InitKind};
use crate::error::{Error, Result};
use crate::render::starter::{self, StarterKind};

#[derive(Serialize)]
struct Report<'a> {
    kind: &'static str,
    name: &'a str,
    files: Vec<String>,
    next: Vec<String>,
}

pub(crate) fn run(ctx: &Context, args: &InitArgs) -> Result<()> {
    let spec_path = &ctx.global.file;
    let dir = spec_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = match &args.name {
        Some(name) => {
            starter::check_name(name).map_err(|why| {
                Error::usage(
                    format!("--name: {why}"),
                    Some(format!(
                        "for example --name {}",
                        starter::name_from_folder(name)
                    )),
                )
            })?;
            name.clone()
        }
        None => starter::name_from_folder(&folder_name(dir)),
    };
    let kind = starter_kind(args.kind);
    let files = starter::starter(kind, &name)?;
    let targets: Vec<PathBuf> = files
        .iter()
        .map(|file| {
            if file.path == starter::SPEC_FILE {
                spec_path.clone()
            } else {
                join(dir, file.path)
            }
        })
        .collect();

    if !args.force {
        let existing: Vec<String> = targets
            .iter()
            .filter(|t| t.exists())
            .map(|t| t.display().to_string())
            .collect();
        if !existing.is_empty() {
            let (what, verb) = if existing.len() == 1 {
                ("", "exists")
            } else {
                ("s", "exist")
            };
            return Err(Error::usage(
                format!("not overwriting: {} already {verb}", existing.join(", ")),
                Some(format!(
                    "nothing was written; pass --force to overwrite the file{what}"
                )),
            ));
        }
    }

    for (file, target) in files.iter().zip(&targets) {
        write(target, &file.contents, file.executable)?;
    }
    report(ctx, kind, &name, &targets);
    Ok(())
}

fn starter_kind(kind: InitKind) -> StarterKind {
    match kind {
        InitKind::StaticSite => StarterKind::StaticSite,
        InitKind::Ec2Rolling => StarterKind::Ec2Rolling,
        InitKind::Ec2BlueGreen => StarterKind::Ec2BlueGreen,
        InitKind::LambdaCanary => StarterKind::LambdaCanary,
        InitKind::EcsBlueGreen => StarterKind::EcsBlueGreen,
        InitKind::GithubSource => StarterKind::GithubSource,
    }
}

/// The folder's own name (`.` resolved), or empty when it has none.
fn folder_name(dir: &Path) -> String {
    std::fs::canonicalize(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

/// `dir/path`, without a leading `./` when `dir` is the current folder.
fn join(dir: &Path, path: &str) -> PathBuf {
    if dir == Path::new(".") {
        PathBuf::from(path)
    } else {
        dir.join(path)
    }
}

fn write(target: &Path, contents: &str, executable: bool) -> Result<()> {
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(Error::io(format!("cannot create {}", parent.display())))?;
    }
    std::fs::write(target, contents)
        .map_err(Error::io(format!("cannot write {}", target.display())))?;
    if executable {
        make_executable(target)?;
    }
    Ok(())
}

#[cfg(unix)]
fn make_executable(target: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(target, std::fs::Permissions::from_mode(0o755)).map_err(Error::io(
        format!("cannot make {} executable", target.display()),
    ))
}

#[cfg(not(unix))]
#[allow(clippy::unnecessary_wraps)] // same signature as the unix version
fn make_executable(_target: &Path) -> Result<()> {
    Ok(())
}

fn report(ctx: &Context, kind: StarterKind, name: &str, targets: &[PathBuf]) {
    let file_flag = if ctx.global.file == Path::new(starter::SPEC_FILE) {
        String::new()
    } else {
        format!(" -f {}", ctx.global.file.display())
    };
    let next = [
        ("validate", "check the spec (no AWS calls)"),
        ("render", "write buildspec.yml to read what the build runs"),
        (
            "up --localstack",
            "create the pipeline on the local emulator (`up` alone: on AWS)",
        ),
        (
            "push --localstack",
            "commit this folder to the source: the pipeline runs",
        ),
        ("run --localstack", "run it again and follow it to the end"),
    ];
    if ctx.out.is_json() {
        let report = Report {
            kind: kind.as_str(),
            name,
            files: targets.iter().map(|t| t.display().to_string()).collect(),
            next: next
                .iter()
                .map(|(command, _)| format!("pipewright{file_flag} {command}"))
                .collect(),
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
        return;
    }
    if ctx.out.quiet {
        return;
    }
    println!("Created pipeline {name} ({}):", kind.as_str());
    for target in targets {
        println!("  {}", target.display());
    }
    println!("\nNext:");
    let width = next
        .iter()
        .map(|(command, _)| command.len() + file_flag.len())
        .max()
        .unwrap_or(0);
    for (command, what) in next {
        let command = format!("{file_flag} {command}");
        println!("  pipewright{command:<width$}   {what}", width = width + 1);
    }
}
