//! The files of a folder as git would commit them: `.gitignore` honoured, `.git/` skipped, each
//! file with its git mode and blob id, so they compare with a branch's tree without any git.

use std::path::{Path, PathBuf};

use sha1::{Digest, Sha1};

use super::PushError;
use crate::model::FileMode;

/// One file of the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFile {
    /// Relative to the folder, `/`-separated.
    pub path: String,
    pub mode: FileMode,
    pub size: u64,
    /// `sha1("blob <size>\0" + content)`, as git names blobs.
    pub blob_id: String,
    /// Where to read it from again.
    pub source: PathBuf,
}

impl LocalFile {
    /// The bytes to commit: the file's content, or a symlink's target.
    pub fn content(&self) -> Result<Vec<u8>, PushError> {
        read_content(&self.source, self.mode)
            .map_err(PushError::io(format!("read {}", self.source.display())))
    }
}

/// Git's blob id for some content.
#[must_use]
pub fn blob_id(content: &[u8]) -> String {
    let mut hasher = Sha1::new();
    hasher.update(format!("blob {}\0", content.len()).as_bytes());
    hasher.update(content);
    hex::encode(hasher.finalize())
}

/// Every file git would commit from `dir`, sorted by path.
///
/// `.gitignore` files in `dir`, its subfolders and the folders above it apply (with `.git/info/
/// exclude`), whether or not `dir` is inside a git repository; the user's global excludes file
/// does not, so the same folder pushes the same files on every machine.
pub fn scan(dir: &Path) -> Result<Vec<LocalFile>, PushError> {
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(false)
        .ignore(false)
        .git_global(false)
        .git_ignore(true)
        .git_exclude(true)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|entry| entry.file_name() != ".git")
        .build();
    let mut files = Vec::new();
    for entry in walker {
        let entry = entry.map_err(|e| PushError::Walk {
            dir: dir.display().to_string(),
            message: e.to_string(),
        })?;
        let Some(kind) = entry.file_type() else {
            continue;
        };
        let mode = if kind.is_symlink() {
            FileMode::Symlink
        } else if kind.is_file() {
            if is_executable(entry.path())? {
                FileMode::Executable
            } else {
                FileMode::Normal
            }
        } else {
            continue;
        };
        let path = relative(dir, entry.path())?;
        let content = read_content(entry.path(), mode)
            .map_err(PushError::io(format!("read {}", entry.path().display())))?;
        files.push(LocalFile {
            path,
            mode,
            size: content.len() as u64,
            blob_id: blob_id(&content),
            source: entry.path().to_path_buf(),
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn relative(dir: &Path, path: &Path) -> Result<String, PushError> {
    let rel = path.strip_prefix(dir).unwrap_or(path);
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    parts
        .map(|p| p.join("/"))
        .ok_or_else(|| PushError::NotUtf8 {
            path: path.display().to_string(),
        })
}

#[cfg(unix)]
fn is_executable(path: &Path) -> Result<bool, PushError> {
    use std::os::unix::fs::PermissionsExt;
    let metadata =
        std::fs::metadata(path).map_err(PushError::io(format!("read {}", path.display())))?;
    Ok(metadata.permissions().mode() & 0o100 != 0)
}

#[cfg(not(unix))]
fn is_executable(_path: &Path) -> Result<bool, PushError> {
    Ok(false)
}

fn read_content(path: &Path, mode: FileMode) -> std::io::Result<Vec<u8>> {
    if mode == FileMode::Symlink {
        let target = std::fs::read_link(path)?;
        return Ok(link_bytes(&target));
    }
    std::fs::read(path)
}

#[cfg(unix)]
fn link_bytes(target: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    target.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn link_bytes(target: &Path) -> Vec<u8> {
    target.to_string_lossy().replace('\\', "/").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_ids_are_gits() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            blob_id(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(blob_id(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    }

    #[cfg(unix)]
    #[test]
    fn scan_honours_gitignore_and_modes() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::write(root.join(".gitignore"), "*.log\nbuild/\n").expect("write");
        std::fs::write(root.join("a.txt"), "a").expect("write");
        std::fs::write(root.join("debug.log"), "x").expect("write");
        std::fs::create_dir_all(root.join("build")).expect("mkdir");
        std::fs::write(root.join("build/out"), "x").expect("write");
        std::fs::create_dir_all(root.join(".git")).expect("mkdir");
        std::fs::write(root.join(".git/HEAD"), "x").expect("write");
        std::fs::create_dir_all(root.join("scripts")).expect("mkdir");
        let script = root.join("scripts/run.sh");
        std::fs::write(&script, "#!/bin/sh\n").expect("write");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        std::os::unix::fs::symlink("a.txt", root.join("link")).expect("symlink");

        let files = scan(root).expect("scan");
        let seen: Vec<(&str, FileMode)> = files.iter().map(|f| (f.path.as_str(), f.mode)).collect();
        assert_eq!(
            seen,
            vec![
                (".gitignore", FileMode::Normal),
                ("a.txt", FileMode::Normal),
                ("link", FileMode::Symlink),
                ("scripts/run.sh", FileMode::Executable),
            ]
        );
        let link = &files[2];
        assert_eq!(link.content().expect("content"), b"a.txt");
        assert_eq!(link.blob_id, blob_id(b"a.txt"));
    }
}
