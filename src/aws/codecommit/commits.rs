//! Committing through the CodeCommit API, for `pipewright push` (no git needed, which is what
//! the emulator and a brand-new empty repository both call for).
//!
//! Three calls: `GetBranch` (where to build on), `GetDifferences` without a "before" commit (every
//! file of a commit with its blob id and mode, 100 per page: fewer calls than walking
//! `GetFolder`), and `CreateCommit`.

use std::collections::BTreeMap;

use aws_sdk_codecommit::Client;
use aws_sdk_codecommit::primitives::Blob;
use aws_sdk_codecommit::types::{
    DeleteFileEntry, FileModeTypeEnum, PutFileEntry, SetFileModeEntry,
};

use crate::aws::{AwsError, ErrorKind, SdkResultExt};
use crate::model::{FileMode, Kind, RemoteFile, ResourceId};

/// `branch main of CodeCommit repository web`: what a push's calls are about.
fn branch_of(repository: &str, branch: &str) -> String {
    format!(
        "branch {branch} of {}",
        ResourceId::new(Kind::Repository, repository)
    )
}

/// Where a push starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Base {
    /// The branch's tip, when the branch exists.
    pub tip: Option<String>,
    /// The commit the first new commit has as parent: the tip, or for a new branch in a
    /// repository that has commits the default branch's tip (AWS requires one then). `None` only
    /// in an empty repository, whose first commit creates the branch.
    pub parent: Option<String>,
}

/// The commit a branch points at; `None` when the branch does not exist (a missing repository
/// is an error).
pub(crate) async fn branch_tip(
    client: &Client,
    repository: &str,
    branch: &str,
) -> Result<Option<String>, AwsError> {
    let got = client
        .get_branch()
        .repository_name(repository)
        .branch_name(branch)
        .send()
        .await
        .about(branch_of(repository, branch));
    match got {
        Ok(out) => Ok(out.branch().and_then(|b| b.commit_id()).map(str::to_owned)),
        // BranchDoesNotExistException; RepositoryDoesNotExistException must surface.
        Err(err) if err.code.as_deref() == Some("BranchDoesNotExistException") => Ok(None),
        Err(err) => Err(err),
    }
}

pub(crate) async fn base(
    client: &Client,
    repository: &str,
    branch: &str,
) -> Result<Base, AwsError> {
    if let Some(tip) = branch_tip(client, repository, branch).await? {
        return Ok(Base {
            tip: Some(tip.clone()),
            parent: Some(tip),
        });
    }
    let metadata = client
        .get_repository()
        .repository_name(repository)
        .send()
        .await
        .about(branch_of(repository, branch))?;
    let default = metadata
        .repository_metadata()
        .and_then(|m| m.default_branch())
        .filter(|d| *d != branch);
    let parent = match default {
        Some(default) => branch_tip(client, repository, default).await?,
        None => None,
    };
    Ok(Base { tip: None, parent })
}

/// Every file of a commit (symlinks included; submodules left out), by path.
pub(crate) async fn files_at(
    client: &Client,
    repository: &str,
    commit: &str,
) -> Result<BTreeMap<String, RemoteFile>, AwsError> {
    let mut files = BTreeMap::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_differences()
            .repository_name(repository)
            .after_commit_specifier(commit)
            .set_next_token(token.take())
            .send()
            .await
            .about(format_args!(
                "commit {commit} of {}",
                ResourceId::new(Kind::Repository, repository)
            ))?;
        for blob in page.differences().iter().filter_map(|d| d.after_blob()) {
            let (Some(path), Some(blob_id)) = (blob.path(), blob.blob_id()) else {
                continue;
            };
            if let Some(mode) = blob.mode().and_then(FileMode::from_git) {
                files.insert(
                    path.to_owned(),
                    RemoteFile {
                        blob_id: blob_id.to_owned(),
                        mode,
                    },
                );
            }
        }
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if token.is_none() {
            return Ok(files);
        }
    }
}

/// One commit's entries, content loaded.
#[derive(Debug, Clone, Default)]
pub(crate) struct NewCommit {
    pub puts: Vec<(String, FileMode, Vec<u8>)>,
    pub modes: Vec<(String, FileMode)>,
    pub deletes: Vec<String>,
}

fn mode(mode: FileMode) -> FileModeTypeEnum {
    match mode {
        FileMode::Normal => FileModeTypeEnum::Normal,
        FileMode::Executable => FileModeTypeEnum::Executable,
        FileMode::Symlink => FileModeTypeEnum::Symlink,
    }
}

/// Create one commit on `branch` (creating the branch when `parent` is its future base) and
/// return its id. The commit is atomic: it lands whole or not at all.
pub(crate) async fn create(
    client: &Client,
    repository: &str,
    branch: &str,
    parent: Option<&str>,
    message: &str,
    commit: NewCommit,
) -> Result<String, AwsError> {
    let s = branch_of(repository, branch);
    let invalid = |e: aws_sdk_codecommit::error::BuildError| AwsError {
        operation: "CreateCommit",
        subject: s.clone(),
        code: None,
        message: format!("pipewright built an invalid request: {e}"),
        kind: ErrorKind::Other,
    };
    let puts = commit
        .puts
        .into_iter()
        .map(|(path, file_mode, content)| {
            PutFileEntry::builder()
                .file_path(path)
                .file_mode(mode(file_mode))
                .file_content(Blob::new(content))
                .build()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    let modes = commit
        .modes
        .into_iter()
        .map(|(path, file_mode)| {
            SetFileModeEntry::builder()
                .file_path(path)
                .file_mode(mode(file_mode))
                .build()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    let deletes = commit
        .deletes
        .into_iter()
        .map(|path| DeleteFileEntry::builder().file_path(path).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    let out = client
        .create_commit()
        .repository_name(repository)
        .branch_name(branch)
        .set_parent_commit_id(parent.map(str::to_owned))
        .commit_message(message)
        .set_put_files((!puts.is_empty()).then_some(puts))
        .set_set_file_modes((!modes.is_empty()).then_some(modes))
        .set_delete_files((!deletes.is_empty()).then_some(deletes))
        .send()
        .await
        .about(&s)?;
    Ok(out.commit_id().unwrap_or_default().to_owned())
}
