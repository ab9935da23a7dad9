//! README.md, read as a newcomer reads it: its Install and Quick start blocks are run line by
//! line, as written, so the README cannot drift from the program (issue 14).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::aws::block_on;
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

/// A README line without its trailing comment.
fn command(line: &str) -> &str {
    line.split_once(" # ")
        .map_or(line, |(command, _)| command)
        .trim()
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
    assert_eq!(command(&lines[0]), "cargo install --path .", "{lines:?}");
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

/// The emulator a README walkthrough starts (with README's own line), stopped when the test
/// ends however it ends.
struct Started {
    port: u16,
}

impl Drop for Started {
    fn drop(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("localstack/emulator");
        let _ = Command::new(script)
            .args(["stop", "--port", &self.port.to_string()])
            .output();
    }
}

/// The Quick start's lines, each after a marker line, as one bash script: `cd` carries on from
/// line to line as in the newcomer's shell, and the output can be split per line.
fn marked(lines: &[String]) -> String {
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| format!("echo '::: {i}'\n{line}\n"))
        .collect::<Vec<_>>()
        .concat()
}

/// What each line printed (stdout and stderr together), by the line's own text.
fn per_line<'a>(lines: &'a [String], output: &str) -> Vec<(&'a str, String)> {
    let mut sections: Vec<(&str, String)> = Vec::new();
    for text in output.lines() {
        if let Some(i) = text
            .strip_prefix("::: ")
            .and_then(|n| n.parse::<usize>().ok())
        {
            sections.push((lines[i].as_str(), String::new()));
        } else if let Some((_, section)) = sections.last_mut() {
            section.push_str(text);
            section.push('\n');
        }
    }
    sections
}

fn sdk(endpoint: &str) -> aws_config::SdkConfig {
    block_on(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                "AKIDREADME",
                "test",
                None,
                None,
                "readme",
            ))
            .load(),
    )
}

#[test]
fn readme_walkthrough_every_quick_start_line_works_as_written_with_nothing_configured() {
    let lines = commands_under("## Quick start");
    let (first, rest) = lines.split_first().expect("a Quick start");
    assert_eq!(command(first), "localstack/emulator start", "{lines:?}");
    let (last, rest) = rest.split_last().expect("more than one line");
    assert!(last.starts_with("pipewright down"), "{last}");

    // A fresh home with pipewright on PATH, as `cargo install` leaves it, and no AWS settings at
    // all. The only change to what the newcomer has: the emulator's port, which README's own
    // `localstack/emulator start` takes from PIPEWRIGHT_EMULATOR_PORT and `--localstack` from
    // AWS_ENDPOINT_URL, because 4566 may be taken on a test machine.
    let home = tempfile::tempdir().expect("a fresh home");
    let bin = installed(home.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let _emulator = Started { port };
    let endpoint = format!("http://127.0.0.1:{port}");
    let clone = Path::new(env!("CARGO_MANIFEST_DIR"));
    let session = |script: &str, dir: &Path| {
        let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display());
        Command::new("bash")
            .args(["-euo", "pipefail", "-c", &format!("exec 2>&1\n{script}")])
            .current_dir(dir)
            .env_clear()
            .env("HOME", home.path())
            .env("PATH", path)
            .env("NO_COLOR", "1")
            .env("PIPEWRIGHT_EMULATOR_PORT", port.to_string())
            .env("AWS_ENDPOINT_URL", &endpoint)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run bash")
    };

    let mut until_down = vec![first.clone()];
    until_down.extend_from_slice(rest);
    let out = session(&marked(&until_down), clone);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "README's Quick start stopped:\n{text}"
    );
    for (line, printed) in per_line(&until_down, &text) {
        let expected: &[&str] = match line.split_whitespace().nth(1).unwrap_or_default() {
            "validate" => &["pipewright.yml is valid: pipeline hello-web"],
            "plan" => &[
                "+ CodeCommit repository hello-web",
                "+ pipeline hello-web-pipeline",
            ],
            "up" => &[
                "Done:",
                "Endpoint:  http://",
                "Push:      pipewright push --localstack",
                "Website:   not served: bucket hello-web-site allows no anonymous reads",
            ],
            "push" => &["Pushed", "to hello-web/main"],
            "run" => &["✓ Deploy/Deploy", "Succeeded."],
            "logs" => &[
                "The latest execution",
                "Why: nothing had been pushed to main when this execution ran",
            ],
            _ => &[],
        };
        for needle in expected {
            assert!(
                printed.contains(needle),
                "`{line}` printed no {needle:?}:\n{printed}"
            );
        }
        assert!(
            !printed.lines().any(|l| l.trim() == "Error:"),
            "`{line}`:\n{printed}"
        );
        assert!(
            !printed.contains("console.aws.amazon.com"),
            "`{line}`:\n{printed}"
        );
    }

    // What the walkthrough made, read independently: the pipeline, and the built site.
    let config = sdk(&endpoint);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let codepipeline = aws_sdk_codepipeline::Client::new(&config);
    let site = block_on(s3.list_objects_v2().bucket("hello-web-site").send()).expect("the site");
    let keys: Vec<&str> = site.contents().iter().filter_map(|o| o.key()).collect();
    assert!(keys.contains(&"index.html"), "{keys:?}");
    block_on(
        codepipeline
            .get_pipeline()
            .name("hello-web-pipeline")
            .send(),
    )
    .expect("a pipeline");

    // The last line, in the folder the session `cd`-ed into.
    let folder = home.path().join("hello-web");
    let out = session(&marked(std::slice::from_ref(last)), &folder);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "`{last}` failed:\n{text}");
    assert!(
        block_on(
            codepipeline
                .get_pipeline()
                .name("hello-web-pipeline")
                .send()
        )
        .is_err(),
        "`{last}` left the pipeline:\n{text}"
    );
    let codecommit = aws_sdk_codecommit::Client::new(&config);
    block_on(
        codecommit
            .get_repository()
            .repository_name("hello-web")
            .send(),
    )
    .expect("down keeps the repository, as README says");
}
