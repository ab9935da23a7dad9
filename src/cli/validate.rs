//! `pipewright validate`: load the spec, report every problem with its place, or say what it is.
//!
//! Exit 0 when valid (warnings are printed but pass, unless `--strict`), 2 when not. With
//! `--output json` the verdict is one JSON document on stdout in both cases, so CI and editors
//! read it the same way.

use std::fmt::Write as _;

use super::Context;
use super::args::ValidateArgs;
use crate::error::{Error, Result, exit};
use crate::spec::{self, Deploy, LoadedSpec, SpecDiagnostic, count};

pub(crate) fn run(ctx: &Context, args: &ValidateArgs) -> Result<()> {
    let file = ctx.global.file.display().to_string();
    let (loaded, mut errors, mut warnings) = match spec::load(&ctx.global.file) {
        Ok(loaded) => {
            let warnings = loaded.warnings.clone();
            (Some(loaded), Vec::new(), warnings)
        }
        Err(failure) => (None, failure.errors, failure.warnings),
    };
    if args.strict {
        errors.extend(warnings.drain(..).map(SpecDiagnostic::into_error));
        spec::diagnostic_order(&mut errors);
    }
    if ctx.out.is_json() {
        let report = spec::report_json(&file, &errors, &warnings);
        print(&format!("{report:#}"))?;
    } else {
        eprint!("{}", problems(ctx, &file, &errors, &warnings));
        if errors.is_empty()
            && let Some(loaded) = &loaded
        {
            print(&summary(&file, loaded))?;
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Exit(exit::USAGE))
    }
}

/// A spec's problems for people: each with its place, then how many. Every command that reads
/// an invalid spec prints them so (`cli::report`), as `validate` does.
pub(crate) fn problems(
    ctx: &Context,
    file: &str,
    errors: &[SpecDiagnostic],
    warnings: &[SpecDiagnostic],
) -> String {
    let mut text = spec::render(errors, ctx.out.color_stderr);
    if !ctx.out.quiet {
        text.push_str(&spec::render(warnings, ctx.out.color_stderr));
    }
    if !errors.is_empty() {
        let _ = writeln!(
            text,
            "{file} is not valid: {}{}",
            count(errors.len(), "error"),
            if warnings.is_empty() {
                String::new()
            } else {
                format!(", {}", count(warnings.len(), "warning"))
            }
        );
    }
    text
}

/// `pipewright.yml is valid: pipeline hello-web, source codecommit, build, 2 deploy stages (…)`.
fn summary(file: &str, loaded: &LoadedSpec) -> String {
    let spec = &loaded.spec;
    let source = match &spec.source {
        spec::Source::Codecommit(_) => "codecommit",
        spec::Source::Github(_) => "github",
        spec::Source::S3(_) => "s3",
    };
    let stages: Vec<String> = spec
        .stages()
        .iter()
        .map(|stage| {
            let target = match stage.deploy {
                Deploy::S3(_) => "s3".to_owned(),
                Deploy::Codedeploy(cd) => {
                    format!("codedeploy {} {}", word(&cd.platform), word(&cd.strategy))
                }
            };
            if spec.environments.is_some() {
                format!("{}: {target}", stage.name)
            } else {
                target
            }
        })
        .collect();
    let mut line = format!(
        "{file} is valid: pipeline {}, source {source}, build, {} ({})",
        spec.name,
        count(stages.len(), "deploy stage"),
        stages.join(", ")
    );
    if !loaded.warnings.is_empty() {
        let _ = write!(line, "; {}", count(loaded.warnings.len(), "warning"));
    }
    line
}

fn word<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// One line on stdout; a closed pipe is not an error.
fn print(text: &str) -> Result<()> {
    super::stdout::emit(&format!("{text}\n"), "cannot write to stdout")
}
