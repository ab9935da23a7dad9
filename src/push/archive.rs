//! The zip an S3 source expects: the folder's files at the archive root.
//!
//! The archive is reproducible (sorted entries, a fixed 1980-01-01 timestamp), so the same folder
//! gives the same bytes and an unchanged folder is recognised by its digest without uploading.

use std::io::{Cursor, Write};

use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::PushError;
use super::files::LocalFile;
use crate::model::FileMode;

/// A zip of the files, with its SHA-256 (hex).
pub struct Archive {
    pub bytes: Vec<u8>,
    pub sha256: String,
}

pub fn zip(files: &[LocalFile]) -> Result<Archive, PushError> {
    let failed = |e: zip::result::ZipError| PushError::Zip(e.to_string());
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let base = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default());
    for file in files {
        let content = file.content()?;
        match file.mode {
            FileMode::Symlink => {
                let target = String::from_utf8_lossy(&content).into_owned();
                writer
                    .add_symlink(&file.path, target, base.unix_permissions(0o777))
                    .map_err(failed)?;
            }
            FileMode::Executable | FileMode::Normal => {
                let permissions = if file.mode == FileMode::Executable {
                    0o755
                } else {
                    0o644
                };
                writer
                    .start_file(&file.path, base.unix_permissions(permissions))
                    .map_err(failed)?;
                writer
                    .write_all(&content)
                    .map_err(PushError::io("write the zip"))?;
            }
        }
    }
    let bytes = writer.finish().map_err(failed)?.into_inner();
    let sha256 = hex::encode(Sha256::digest(&bytes));
    Ok(Archive { bytes, sha256 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_files_give_the_same_zip() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("a.txt"), "hello").expect("write");
        std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
        std::fs::write(dir.path().join("sub/b.txt"), "world").expect("write");
        let files = crate::push::files::scan(dir.path()).expect("scan");
        let first = zip(&files).expect("zip");
        let second = zip(&files).expect("zip");
        assert_eq!(first.sha256, second.sha256);
        let mut archive = zip::ZipArchive::new(Cursor::new(first.bytes)).expect("read zip");
        let names: Vec<String> = archive
            .file_names()
            .map(|n| n.expect("a UTF-8 name").into_owned())
            .collect();
        assert_eq!(names, ["a.txt", "sub/b.txt"]);
        let mut text = String::new();
        std::io::Read::read_to_string(&mut archive.by_name("sub/b.txt").expect("entry"), &mut text)
            .expect("read entry");
        assert_eq!(text, "world");
    }
}
