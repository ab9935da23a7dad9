//! What must change on the branch for it to match the folder, split into commits CodeCommit
//! accepts.
//!
//! CodeCommit's `CreateCommit` takes at most 100 file entries, files of at most 6 MB, and 7 MB of
//! file content per commit (user guide, "Quotas"; `MaximumFileEntriesExceededException`,
//! `FileContentSizeLimitExceededException`). Limits are counted in decimal megabytes, which is
//! the stricter reading.

use std::collections::{BTreeMap, BTreeSet};

use super::files::LocalFile;
use crate::model::{FileMode, RemoteFile};

/// One entry of a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Add or replace a file with the local content.
    Put(LocalFile),
    /// Only the mode changed (the content is already there).
    SetMode {
        path: String,
        mode: FileMode,
    },
    Delete {
        path: String,
    },
}

impl Change {
    #[must_use]
    pub fn path(&self) -> &str {
        match self {
            Change::Put(file) => &file.path,
            Change::SetMode { path, .. } | Change::Delete { path } => path,
        }
    }

    /// Bytes of content the entry uploads.
    fn size(&self) -> u64 {
        match self {
            Change::Put(file) => file.size,
            _ => 0,
        }
    }
}

/// The difference between a folder and a branch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    pub changes: Vec<Change>,
    pub added: Vec<String>,
    pub modified: Vec<String>,
    pub deleted: Vec<String>,
    /// Empty files: the API refuses them (`FileContentRequiredException`), so they are neither
    /// added nor, when already on the branch, removed.
    pub skipped: Vec<String>,
}

impl Diff {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Compare the folder's files with the branch's.
#[must_use]
pub fn diff(local: &[LocalFile], remote: &BTreeMap<String, RemoteFile>) -> Diff {
    let mut out = Diff::default();
    let mut seen = BTreeSet::new();
    for file in local {
        seen.insert(file.path.as_str());
        let on_branch = remote.get(&file.path);
        if on_branch.is_some_and(|r| r.blob_id == file.blob_id && r.mode == file.mode) {
            continue;
        }
        if file.size == 0 {
            out.skipped.push(file.path.clone());
            continue;
        }
        match on_branch {
            None => {
                out.added.push(file.path.clone());
                out.changes.push(Change::Put(file.clone()));
            }
            Some(r) => {
                out.modified.push(file.path.clone());
                // A mode change alone uploads nothing; a symlink's mode stays with its content.
                let mode_only = r.blob_id == file.blob_id
                    && r.mode != FileMode::Symlink
                    && file.mode != FileMode::Symlink;
                out.changes.push(if mode_only {
                    Change::SetMode {
                        path: file.path.clone(),
                        mode: file.mode,
                    }
                } else {
                    Change::Put(file.clone())
                });
            }
        }
    }
    for path in remote.keys() {
        if !seen.contains(path.as_str()) {
            out.deleted.push(path.clone());
            out.changes.push(Change::Delete { path: path.clone() });
        }
    }
    out
}

/// CodeCommit's limits on one commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// File entries (puts, deletes, mode changes) per commit.
    pub entries: usize,
    /// Bytes of file content per commit.
    pub bytes: u64,
    /// Bytes of one file.
    pub file_bytes: u64,
}

impl Limits {
    pub const CODECOMMIT: Limits = Limits {
        entries: 100,
        bytes: 6_000_000,
        file_bytes: 6_000_000,
    };
}

/// Files too large for the API, with their sizes.
#[must_use]
pub fn too_large<'a>(changes: &'a [Change], limits: &Limits) -> Vec<(&'a str, u64)> {
    changes
        .iter()
        .filter(|c| c.size() > limits.file_bytes)
        .map(|c| (c.path(), c.size()))
        .collect()
}

/// Split the changes into commits within the limits: deletions and mode changes first (they
/// upload nothing), then files in path order, a new commit whenever the next one would not fit.
#[must_use]
pub fn batches(changes: &[Change], limits: &Limits) -> Vec<Vec<Change>> {
    let mut ordered: Vec<&Change> = changes.iter().filter(|c| c.size() == 0).collect();
    let mut puts: Vec<&Change> = changes.iter().filter(|c| c.size() > 0).collect();
    puts.sort_by(|a, b| a.path().cmp(b.path()));
    ordered.extend(puts);

    let mut out: Vec<Vec<Change>> = Vec::new();
    let mut current: Vec<Change> = Vec::new();
    let mut bytes = 0;
    for change in ordered {
        let size = change.size();
        if !current.is_empty() && (current.len() >= limits.entries || bytes + size > limits.bytes) {
            out.push(std::mem::take(&mut current));
            bytes = 0;
        }
        bytes += size;
        current.push(change.clone());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::push::files::blob_id;

    fn local(path: &str, content: &str, mode: FileMode) -> LocalFile {
        LocalFile {
            path: path.to_owned(),
            mode,
            size: content.len() as u64,
            blob_id: blob_id(content.as_bytes()),
            source: path.into(),
        }
    }

    fn remote(entries: &[(&str, &str, FileMode)]) -> BTreeMap<String, RemoteFile> {
        entries
            .iter()
            .map(|(path, content, mode)| {
                (
                    (*path).to_owned(),
                    RemoteFile {
                        blob_id: blob_id(content.as_bytes()),
                        mode: *mode,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn only_differences_are_committed() {
        let files = vec![
            local("same", "1", FileMode::Normal),
            local("changed", "new", FileMode::Normal),
            local("new", "n", FileMode::Normal),
            local("script.sh", "x", FileMode::Executable),
            local("empty", "", FileMode::Normal),
        ];
        let branch = remote(&[
            ("same", "1", FileMode::Normal),
            ("changed", "old", FileMode::Normal),
            ("gone", "g", FileMode::Normal),
            ("script.sh", "x", FileMode::Normal),
        ]);
        let diff = diff(&files, &branch);
        assert_eq!(diff.added, ["new"]);
        assert_eq!(diff.modified, ["changed", "script.sh"]);
        assert_eq!(diff.deleted, ["gone"]);
        assert_eq!(diff.skipped, ["empty"]);
        assert!(diff.changes.contains(&Change::SetMode {
            path: "script.sh".to_owned(),
            mode: FileMode::Executable
        }));
        assert!(super::diff(&files[..1], &remote(&[("same", "1", FileMode::Normal)])).is_empty());
    }

    #[test]
    fn batches_respect_entry_and_byte_limits() {
        let limits = Limits {
            entries: 3,
            bytes: 10,
            file_bytes: 10,
        };
        let mut changes: Vec<Change> = (0..5)
            .map(|i| Change::Put(local(&format!("f{i}"), "ab", FileMode::Normal)))
            .collect();
        changes.push(Change::Delete {
            path: "old".to_owned(),
        });
        changes.push(Change::Put(local("big", "0123456789", FileMode::Normal)));
        let batches = batches(&changes, &limits);
        let paths: Vec<Vec<&str>> = batches
            .iter()
            .map(|b| b.iter().map(Change::path).collect())
            .collect();
        assert_eq!(
            paths,
            vec![vec!["old", "big"], vec!["f0", "f1", "f2"], vec!["f3", "f4"]]
        );
        assert!(too_large(&changes, &limits).is_empty());
        let huge = [Change::Put(local("huge", "0123456789x", FileMode::Normal))];
        assert_eq!(too_large(&huge, &limits), vec![("huge", 11)]);
    }
}
