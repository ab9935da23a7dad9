//! The test harness: a fluent builder around the real binary.
//!
//! ```ignore
//! Test::new().spec(YAML).args(["validate"]).run().code(2).stderr_has("pipewright.yml:3:5");
//! ```
//! Each test runs in its own temporary folder (the binary's working directory), with colour off
//! and no AWS settings inherited from the machine, so tests run in parallel and never reach AWS.

#![allow(dead_code)] // each test module uses a different part of the harness

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

pub mod adapter;
pub mod aws;
pub mod emulator;
pub mod inventory;

pub use emulator::Scope;

/// A user session about to happen.
#[must_use]
pub struct Test {
    dir: TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<Vec<u8>>,
}

impl Test {
    pub fn new() -> Self {
        Self {
            dir: tempfile::Builder::new()
                .prefix("pipewright-test-")
                .tempdir()
                .expect("create a temporary folder"),
            args: Vec::new(),
            env: Vec::new(),
            stdin: None,
        }
    }

    /// The test's working folder.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Copy `examples/<kind>/` into the working folder, renaming every `<kind>` in the spec to
    /// `name` so that parallel tests never share a resource name.
    pub fn example(self, kind: &str, name: &str) -> Self {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(kind);
        copy_tree(&root, self.dir.path(), &|text| text.replace(kind, name));
        self
    }

    /// Write `pipewright.yml` in the working folder.
    pub fn spec(self, yaml: &str) -> Self {
        self.file("pipewright.yml", yaml)
    }

    /// Write a file (any bytes) relative to the working folder, creating parent folders.
    pub fn file(self, path: &str, contents: impl AsRef<[u8]>) -> Self {
        let full = self.dir.path().join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("create parent folders");
        }
        std::fs::write(&full, contents).expect("write test file");
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Point the command at the test emulator, as the scope's own AWS identity.
    pub fn emulator(self, scope: &Scope) -> Self {
        self.env("AWS_ENDPOINT_URL", emulator::endpoint())
            .env("AWS_ACCESS_KEY_ID", &scope.access_key)
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", aws::REGION)
            .env("PIPEWRIGHT_RETRY_INITIAL_MS", "20")
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    /// Run the binary and wait for it.
    pub fn run(self) -> Outcome {
        self.spawn().wait()
    }

    /// Start the binary and return while it runs (to signal it, or to race it with another).
    pub fn spawn(self) -> Running {
        let mut command = Command::new(binary());
        command
            .args(&self.args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, _) in std::env::vars() {
            if key.starts_with("AWS_") {
                command.env_remove(key);
            }
        }
        command.env("AWS_CONFIG_FILE", "/dev/null");
        command.env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        for (key, value) in &self.env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start pipewright");
        if let Some(input) = &self.stdin {
            use std::io::Write;
            let mut pipe = child.stdin.take().expect("stdin is piped");
            pipe.write_all(input).expect("write stdin");
        }
        Running { child, test: self }
    }
}

/// A command still running.
pub struct Running {
    child: std::process::Child,
    test: Test,
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Send a signal (`"KILL"`, `"INT"`, …) to the command.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// The command's stdout line by line, as it is written (for a command that streams, such as
    /// `logs --follow`); [`Running::wait`] then has only what was not read here.
    pub fn stdout_lines(&mut self) -> impl Iterator<Item = String> {
        use std::io::BufRead;
        let stdout = self.child.stdout.take().expect("stdout is piped");
        std::io::BufReader::new(stdout)
            .lines()
            .map(|line| line.expect("a line of stdout"))
    }

    /// Wait for the command to end.
    pub fn wait(self) -> Outcome {
        let output = self.child.wait_with_output().expect("wait for pipewright");
        let mut outcome = Outcome::new(self.test.args, &output, self.test.dir);
        outcome.env = self.test.env;
        outcome
    }
}

/// The path of the binary under test.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pipewright"))
}

/// What a run did; assertions chain and print the whole session when they fail. An outcome
/// nobody looks at is a command whose result nobody checked.
#[must_use = "check the outcome: .success(), .code(n), .stdout_has(…)"]
pub struct Outcome {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub dir: TempDir,
    /// The session's environment, carried on by [`Outcome::then`].
    env: Vec<(String, String)>,
}

impl Outcome {
    fn new(args: Vec<String>, output: &Output, dir: TempDir) -> Self {
        Self {
            args,
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            dir,
            env: Vec::new(),
        }
    }

    fn session(&self) -> String {
        format!(
            "\n$ pipewright {}\n--- exit code: {}\n--- stdout:\n{}\n--- stderr:\n{}\n",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        )
    }

    pub fn success(self) -> Checked {
        self.code(0)
    }

    pub fn code(self, expected: i32) -> Checked {
        assert_eq!(
            self.code,
            expected,
            "unexpected exit code{}",
            self.session()
        );
        Checked(self)
    }

    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}{}",
            self.session()
        );
        self
    }

    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}{}",
            self.session()
        );
        self
    }

    pub fn stdout_lacks(&self, needle: &str) -> &Self {
        assert!(
            !self.stdout.contains(needle),
            "stdout should not contain {needle:?}{}",
            self.session()
        );
        self
    }

    pub fn stderr_lacks(&self, needle: &str) -> &Self {
        assert!(
            !self.stderr.contains(needle),
            "stderr should not contain {needle:?}{}",
            self.session()
        );
        self
    }

    /// stdout parsed as one JSON document.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}){}", self.session()))
    }

    /// Continue the session: a new command in the same working folder.
    pub fn then(self) -> Test {
        Test {
            dir: self.dir,
            args: Vec::new(),
            env: self.env,
            stdin: None,
        }
    }

    /// A file the command wrote into the working folder.
    pub fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(path))
            .unwrap_or_else(|e| panic!("read {path}: {e}{}", self.session()))
    }
}

/// An outcome whose exit code was checked: free to drop, or to go on asserting with (it derefs
/// to the [`Outcome`]) and to continue the session from.
pub struct Checked(Outcome);

impl std::ops::Deref for Checked {
    type Target = Outcome;

    fn deref(&self) -> &Outcome {
        &self.0
    }
}

impl Checked {
    /// Continue the session: a new command in the same working folder.
    pub fn then(self) -> Test {
        self.0.then()
    }
}

/// Copy a folder, keeping executable bits, rewriting the spec's text through `rename`.
fn copy_tree(from: &Path, to: &Path, rename: &dyn Fn(&str) -> String) {
    for entry in std::fs::read_dir(from).expect("read example folder") {
        let entry = entry.expect("example entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            std::fs::create_dir_all(&target).expect("create folder");
            copy_tree(&entry.path(), &target, rename);
        } else if entry.file_name() == "pipewright.yml" {
            let text = std::fs::read_to_string(entry.path()).expect("read spec");
            std::fs::write(&target, rename(&text)).expect("write spec");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// The static-site example with an S3 source in `bucket` instead of its CodeCommit repository.
pub fn s3_source_spec(test: &Test, name: &str, bucket: &str) -> String {
    let spec = std::fs::read_to_string(test.dir().join("pipewright.yml")).expect("spec");
    let spec = spec.replace(
        &format!(
            "  codecommit:\n    repository: {name}     # created by `pipewright up` when missing\n    branch: main\n"
        ),
        &format!("  s3:\n    bucket: {bucket}\n    key: source/app.zip\n"),
    );
    assert!(spec.contains("key: source/app.zip"), "{spec}");
    spec
}
