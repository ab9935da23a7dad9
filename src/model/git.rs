//! A repository's files as git records them: a mode and a blob id per path. `push` hashes a
//! local folder into these; the CodeCommit adapter reads a branch's tree into them; comparing the
//! two is how a push commits only what differs.

/// A file's mode as git records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FileMode {
    Normal,
    /// Any execute bit for the owner: hook scripts must stay runnable after a checkout.
    Executable,
    /// The link's target is the content.
    Symlink,
}

impl FileMode {
    /// The octal mode in git trees (and CodeCommit's `BlobMetadata.mode`).
    #[must_use]
    pub fn git(self) -> &'static str {
        match self {
            FileMode::Normal => "100644",
            FileMode::Executable => "100755",
            FileMode::Symlink => "120000",
        }
    }

    /// A git tree mode, `None` for what is not a file (trees, submodules).
    #[must_use]
    pub fn from_git(mode: &str) -> Option<Self> {
        match mode {
            "100644" | "100664" | "644" => Some(FileMode::Normal),
            "100755" | "755" => Some(FileMode::Executable),
            "120000" => Some(FileMode::Symlink),
            _ => None,
        }
    }
}

/// A file on the branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    pub blob_id: String,
    pub mode: FileMode,
}
