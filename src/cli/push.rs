//! `pipewright push [DIR]`: commit a folder to the CodeCommit source branch through the API, or
//! upload it as the S3 source's zip. GitHub sources are pushed with git.

use std::path::{Path, PathBuf};

use tokio_util::sync::CancellationToken;

use super::Context;
use super::args::PushArgs;
use super::session::{Session, aws_error, runtime};
use super::summary::cancel_on_ctrl_c;
use crate::aws::{AwsError, Clients};
use crate::error::{Error, Result};
use crate::push::{self, PushError, Pushed, Report, Stop};
use crate::spec::{self, Source};

pub(crate) fn run(ctx: &Context, args: &PushArgs) -> Result<()> {
    // Decided before any AWS call: a GitHub source needs no credentials to be told to use git.
    let loaded = spec::load(&ctx.global.file)?;
    if let Source::Github(github) = &loaded.spec.source {
        return Err(Error::usage(
            format!(
                "the source is the GitHub repository {}: push to it with git",
                github.repository
            ),
            Some(format!(
                "git push origin HEAD:{} (pipewright push writes only CodeCommit and S3 sources)",
                github.branch
            )),
        ));
    }
    let dir = folder(&loaded.path, args.dir.as_deref())?;
    let files = push::scan(&dir)?;
    runtime()?.block_on(async {
        let session = Session::open(ctx).await?;
        let clients = &session.clients;
        match &session.loaded.spec.source {
            Source::Codecommit(cc) => {
                let cancel = CancellationToken::new();
                let watcher = cancel_on_ctrl_c(cancel.clone());
                let pushed = push::to_codecommit(
                    &clients.codecommit,
                    &cc.repository,
                    &cc.branch,
                    &files,
                    &args.message,
                    &cancel,
                )
                .await;
                watcher.abort();
                let pushed = pushed.map_err(|f| failure(f, clients, &cc.repository))?;
                finish_commits(ctx, &pushed, &cc.repository, &cc.branch, &dir, clients)
            }
            Source::S3(s3) => {
                let uploaded = push::to_s3(&clients.s3, &s3.bucket, &s3.key, &files)
                    .await
                    .map_err(|f| failure(f, clients, &s3.bucket))?;
                if uploaded.unversioned {
                    eprintln!(
                        "warning: bucket {0} has versioning off, and CodePipeline's S3 source \
                         reads object versions: the pipeline will not see this upload. Enable \
                         it: aws s3api put-bucket-versioning --bucket {0} \
                         --versioning-configuration Status=Enabled",
                        s3.bucket
                    );
                }
                let target = format!("s3://{}/{}", s3.bucket, s3.key);
                print_report(ctx, &uploaded.report, &dir, &target, &target);
                Ok(())
            }
            // Refused above, before connecting.
            Source::Github(_) => Ok(()),
        }
    })
}

/// DIR as typed, else the spec's folder; it must be a folder.
fn folder(spec_path: &Path, dir: Option<&Path>) -> Result<PathBuf> {
    let dir = match dir {
        Some(dir) => dir.to_path_buf(),
        None => match spec_path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        },
    };
    if !dir.is_dir() {
        return Err(Error::usage(
            format!("{} is not a folder", dir.display()),
            Some("pass the folder to push: pipewright push DIR".to_owned()),
        ));
    }
    Ok(dir)
}

fn failure(failure: PushError, clients: &Clients, subject: &str) -> Error {
    match failure {
        PushError::Aws(err) => explained(&err, clients, subject),
        local => local.into(),
    }
}

/// The AWS errors a push meets most, in plain words; the rest as `up` reports them.
fn explained(err: &AwsError, clients: &Clients, subject: &str) -> Error {
    match err.code.as_deref() {
        Some("RepositoryDoesNotExistException") => Error::failed(
            format!("the CodeCommit repository {subject} does not exist"),
            Some("run `pipewright up` first: it creates the repository".to_owned()),
        ),
        Some("NoSuchBucket") => Error::failed(
            format!("the source bucket {subject} does not exist"),
            Some(
                "create it with versioning on (pipewright does not create source buckets)"
                    .to_owned(),
            ),
        ),
        Some("ParentCommitIdOutdatedException") => Error::failed(
            format!("the branch moved while pushing ({})", err.message),
            Some("someone else pushed: run `pipewright push` again".to_owned()),
        ),
        _ => aws_error(err, clients),
    }
}

fn finish_commits(
    ctx: &Context,
    pushed: &Pushed,
    repository: &str,
    branch: &str,
    dir: &Path,
    clients: &Clients,
) -> Result<()> {
    let target = format!("{repository}/{branch}");
    print_report(ctx, &pushed.report, dir, &target, branch);
    match &pushed.stopped {
        None => {
            // On AWS, git is the tool for everything after the first push.
            if !ctx.out.is_json()
                && !ctx.out.quiet
                && clients.endpoint.is_none()
                && !pushed.report.commits.is_empty()
            {
                println!(
                    "From here on, git works too: git remote add aws codecommit::{}://{repository} \
                     && git pull aws {branch}",
                    clients.region
                );
            }
            Ok(())
        }
        Some(Stop::Interrupted) => {
            eprintln!(
                "Interrupted: {} commit(s) made, {} not; run `pipewright push` again to finish.",
                pushed.report.commits.len(),
                pushed.remaining
            );
            Err(Error::Interrupted)
        }
        Some(Stop::Failed(err)) => {
            if !pushed.report.commits.is_empty() {
                eprintln!(
                    "{} commit(s) were made before the failure; {} were not.",
                    pushed.report.commits.len(),
                    pushed.remaining
                );
            }
            Err(explained(err, clients, repository))
        }
    }
}

/// The report: JSON as is, or what changed in plain lines.
/// `target` names where the files went; `unchanged` what already matches when nothing did.
fn print_report(ctx: &Context, report: &Report, dir: &Path, target: &str, unchanged: &str) {
    if !report.skipped.is_empty() {
        eprintln!(
            "warning: skipped {} empty file(s) the CodeCommit API cannot commit: {}",
            report.skipped.len(),
            report.skipped.join(", ")
        );
    }
    if ctx.out.is_json() {
        println!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        );
        return;
    }
    if report.commits.is_empty() && report.upload.is_none() {
        println!(
            "Nothing to push: {unchanged} already matches {}",
            dir.display()
        );
        return;
    }
    if let Some(upload) = &report.upload {
        let version = upload
            .version_id
            .as_deref()
            .map_or_else(String::new, |v| format!(", version {v}"));
        println!(
            "Uploaded {} ({} files, {} bytes zipped) to {target}{version}",
            dir.display(),
            upload.files.len(),
            upload.bytes
        );
        return;
    }
    let count = report.commits.len();
    println!(
        "Pushed {} to {target} in {count} commit{}:",
        dir.display(),
        if count == 1 { "" } else { "s" }
    );
    for id in &report.commits {
        println!("  {id}");
    }
    if ctx.out.quiet {
        return;
    }
    for path in &report.added {
        println!("  + {path}");
    }
    for path in &report.modified {
        println!("  ~ {path}");
    }
    for path in &report.deleted {
        println!("  - {path}");
    }
    println!(
        "{} added, {} modified, {} deleted.",
        report.added.len(),
        report.modified.len(),
        report.deleted.len()
    );
}
