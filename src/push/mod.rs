//! `pipewright push`: put a folder into the pipeline's source without git.
//!
//! A new CodeCommit repository is empty, and an emulator has no git endpoint, so the folder goes
//! in through the API: its files are hashed the way git hashes blobs, compared with the branch's
//! tree, and only what differs is committed (nothing at all when nothing differs). Large changes
//! are split into several commits within CodeCommit's limits; each commit is atomic, so an
//! interrupted push leaves the branch at a consistent commit and the next push finishes the job.
//! For an S3 source the folder is zipped (reproducibly) and uploaded unless the object already
//! holds the same zip.
//!
//! The pure parts (folder scan, diff, batching, zip) are unit-tested here; the AWS calls live in
//! `aws::codecommit::commits` and `aws::s3_source`.

mod archive;
mod changes;
mod error;
mod files;

pub use archive::{Archive, zip};
pub use changes::{Change, Diff, Limits, batches, diff, too_large};
pub use error::PushError;
pub use files::{LocalFile, blob_id, scan};

use std::collections::BTreeMap;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::aws::{AwsError, commits, s3_source};

/// What a push did (`--output json` prints it as is).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Commit ids, oldest first.
    pub commits: Vec<String>,
    pub added: Vec<String>,
    pub modified: Vec<String>,
    pub deleted: Vec<String>,
    /// The S3 object written, for an S3 source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload: Option<Upload>,
    /// Empty files the API cannot commit.
    #[serde(skip)]
    pub skipped: Vec<String>,
}

/// The zip written to an S3 source.
#[derive(Debug, Clone, Serialize)]
pub struct Upload {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
    pub bytes: u64,
    /// The paths in the zip.
    pub files: Vec<String>,
}

/// Why a push stopped before the end (commits made until then are in the report).
#[derive(Debug)]
pub enum Stop {
    Interrupted,
    Failed(AwsError),
}

/// The outcome of a push that started committing.
#[derive(Debug)]
pub struct Pushed {
    pub report: Report,
    /// Commits planned but not made.
    pub remaining: usize,
    pub stopped: Option<Stop>,
}

/// Commit `files` to `branch`: only the differences, in as many commits as the limits require.
/// A cancelled token stops between two commits, never inside one.
pub async fn to_codecommit(
    client: &aws_sdk_codecommit::Client,
    repository: &str,
    branch: &str,
    files: &[LocalFile],
    message: &str,
    cancel: &CancellationToken,
) -> Result<Pushed, PushError> {
    let base = commits::base(client, repository, branch).await?;
    let remote = match &base.parent {
        Some(commit) => commits::files_at(client, repository, commit).await?,
        None => BTreeMap::new(),
    };
    let diff = diff(files, &remote);
    let limits = Limits::CODECOMMIT;
    let too_large = too_large(&diff.changes, &limits);
    if !too_large.is_empty() {
        let list: Vec<String> = too_large
            .iter()
            .map(|(path, size)| format!("{path} ({:.1} MB)", mb(*size)))
            .collect();
        return Err(PushError::TooLarge {
            files: list,
            limit_mb: mb(limits.file_bytes),
        });
    }
    let batches = batches(&diff.changes, &limits);
    let kinds: BTreeMap<&str, Kind> = diff
        .added
        .iter()
        .map(|p| (p.as_str(), Kind::Added))
        .chain(diff.deleted.iter().map(|p| (p.as_str(), Kind::Deleted)))
        .collect();
    let total = batches.len();
    let mut report = Report {
        skipped: diff.skipped.clone(),
        ..Report::default()
    };
    let mut parent = base.parent.clone();
    for (i, batch) in batches.iter().enumerate() {
        if cancel.is_cancelled() {
            return Ok(Pushed {
                report,
                remaining: total - i,
                stopped: Some(Stop::Interrupted),
            });
        }
        let mut commit = commits::NewCommit::default();
        for change in batch {
            match change {
                Change::Put(file) => {
                    commit
                        .puts
                        .push((file.path.clone(), file.mode, file.content()?));
                }
                Change::SetMode { path, mode } => commit.modes.push((path.clone(), *mode)),
                Change::Delete { path } => commit.deletes.push(path.clone()),
            }
        }
        let text = if total > 1 {
            format!("{message} (part {} of {total})", i + 1)
        } else {
            message.to_owned()
        };
        match commits::create(client, repository, branch, parent.as_deref(), &text, commit).await {
            Ok(id) => {
                record(&mut report, &kinds, batch);
                report.commits.push(id.clone());
                parent = Some(id);
            }
            Err(err) => {
                return Ok(Pushed {
                    report,
                    remaining: total - i,
                    stopped: Some(Stop::Failed(err)),
                });
            }
        }
    }
    Ok(Pushed {
        report,
        remaining: 0,
        stopped: None,
    })
}

/// Sort a committed batch's paths into added, modified and deleted.
fn record(report: &mut Report, kinds: &BTreeMap<&str, Kind>, batch: &[Change]) {
    for change in batch {
        let path = change.path().to_owned();
        match kinds.get(change.path()) {
            Some(Kind::Added) => report.added.push(path),
            Some(Kind::Deleted) => report.deleted.push(path),
            _ => report.modified.push(path),
        }
    }
    report.added.sort();
    report.modified.sort();
    report.deleted.sort();
}

#[derive(Clone, Copy)]
enum Kind {
    Added,
    Deleted,
}

fn mb(bytes: u64) -> f64 {
    // Sizes of source files: far below 2^52, so the conversion is exact enough.
    #[allow(clippy::cast_precision_loss)]
    let bytes = bytes as f64;
    bytes / 1_000_000.0
}

/// What an S3 upload found and did.
#[derive(Debug)]
pub struct Uploaded {
    pub report: Report,
    /// The bucket does not keep versions: CodePipeline cannot use it as a source.
    pub unversioned: bool,
}

/// Zip `files` and put the zip at `bucket`/`key`, unless the object already is that zip.
pub async fn to_s3(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    files: &[LocalFile],
) -> Result<Uploaded, PushError> {
    let versioned = s3_source::versioned(client, bucket).await?;
    let archive = zip(files)?;
    let mut report = Report::default();
    if s3_source::digest(client, bucket, key).await?.as_deref() != Some(archive.sha256.as_str()) {
        let bytes = archive.bytes.len() as u64;
        let version_id =
            s3_source::upload(client, bucket, key, archive.bytes, &archive.sha256).await?;
        report.upload = Some(Upload {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            version_id,
            bytes,
            files: files.iter().map(|f| f.path.clone()).collect(),
        });
    }
    Ok(Uploaded {
        report,
        unversioned: !versioned,
    })
}
