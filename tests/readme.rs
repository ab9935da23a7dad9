//! README.md, read as a newcomer reads it: its Install and Quick start blocks are run line by
//! line, as written, so the README cannot drift from the program (issue 14).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::binary;

/// The lines of the first ```sh block under the README heading `heading`, comments and blank
/// lines left out (a trailing `# …` comment is the shell's to ignore).
pub fn commands_under(heading: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("read README.md");
    let section = readme
        .split_once(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("README has no {heading:?}"))
        .1;
    let block = section
        .split_once("```sh\n")
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .unwrap_or_else(|| panic!("no ```sh block under {heading:?}"))
        .0;
    block
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// A folder holding a `pipewright` that is the binary under test, to put first on `PATH` as
/// `cargo install` would.
pub fn installed(home: &Path) -> PathBuf {
    let bin = home.join(".cargo/bin");
    std::fs::create_dir_all(&bin).expect("create bin");
    std::os::unix::fs::symlink(binary(), bin.join("pipewright")).expect("link pipewright");
    bin
}

/// Run one README line with bash, in `dir`, with `home` as HOME and `bin` first on PATH.
pub fn bash(line: &str, dir: &Path, home: &Path, bin: &Path) -> std::process::Output {
    let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display());
    Command::new("bash")
        .args(["-euo", "pipefail", "-c", line])
        .current_dir(dir)
        .env_clear()
        .env("HOME", home)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .output()
        .expect("run bash")
}

#[test]
fn the_install_lines_work_on_a_fresh_home_and_install_completions_and_man_pages() {
    let home = tempfile::tempdir().expect("a fresh home");
    let bin = installed(home.path());
    let lines = commands_under("## Install");
    assert_eq!(lines[0], "cargo install --path .", "{lines:?}");
    // `cargo install` itself is what the test binary already is (linked into `bin`).
    for line in &lines[1..] {
        let out = bash(line, home.path(), home.path(), &bin);
        assert!(
            out.status.success(),
            "{line}\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let completions = home
        .path()
        .join(".local/share/bash-completion/completions/pipewright");
    let script = std::fs::read_to_string(&completions).expect("the completions were written");
    assert!(script.contains("_pipewright"), "{script}");
    let man1 = home.path().join(".cargo/share/man/man1");
    for page in ["pipewright.1", "pipewright-up.1", "pipewright-logs.1"] {
        let text = std::fs::read_to_string(man1.join(page)).expect("a man page");
        assert!(text.contains(".TH pipewright"), "{page}: {text}");
    }
    // And `man` finds it there, when this machine has `man`.
    if Command::new("man")
        .arg("-w")
        .arg("man")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let out = bash("man -w pipewright", home.path(), home.path(), &bin);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
