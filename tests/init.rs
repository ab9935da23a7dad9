//! `pipewright init`: starter specs that load and render, all-or-nothing writes, names.

use std::path::Path;

use crate::support::{Checked, Test};

pub const KINDS: [&str; 6] = [
    "static-site",
    "ec2-rolling",
    "ec2-blue-green",
    "lambda-canary",
    "ecs-blue-green",
    "github-source",
];

/// `pipewright validate` in the session's folder, which must succeed (and the library's loader
/// must agree).
pub fn validate(test: Test) -> Checked {
    let spec = test.dir().join("pipewright.yml");
    pipewright::spec::load(&spec).unwrap_or_else(|e| panic!("{e:?}"));
    test.args(["validate"]).run().success()
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_path: &Path) -> bool {
    true
}

#[test]
fn every_kind_writes_a_spec_that_validates_and_renders() {
    for kind in KINDS {
        let out = Test::new()
            .args(["init", "--kind", kind, "--name", "demo"])
            .run()
            .success();
        out.stdout_has("pipewright.yml")
            .stdout_has("pipewright validate")
            .stdout_has("pipewright up --localstack");
        let spec = out.read("pipewright.yml");
        assert!(
            spec.starts_with("# yaml-language-server: $schema=https://"),
            "{kind}"
        );
        assert!(spec.contains("\nname: demo\n"), "{kind}:\n{spec}");
        let out = validate(out.then());
        let rendered = out.then().args(["render"]).run().success();
        rendered.stdout_has("wrote buildspec.yml");
    }
}

#[test]
fn server_kinds_get_executable_hook_scripts() {
    for kind in ["ec2-rolling", "ec2-blue-green"] {
        let out = Test::new()
            .args(["init", "--kind", kind, "--name", "demo"])
            .run()
            .success();
        for script in ["install", "start", "validate"] {
            let path = out.dir.path().join(format!("scripts/{script}.sh"));
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(text.starts_with("#!/usr/bin/env bash\n"), "{kind} {script}");
            assert!(text.contains("\nset -euo pipefail\n"), "{kind} {script}");
            assert!(is_executable(&path), "{kind} {script}");
        }
        let spec = out.read("pipewright.yml");
        assert!(spec.contains("scripts/start.sh"), "{spec}");
    }
}

#[test]
fn the_static_site_builds_with_plain_shell() {
    let out = Test::new()
        .args(["init", "--kind", "static-site", "--name", "demo"])
        .run()
        .success();
    out.read("site/index.html");
    out.read("site/404.html");
    let spec = out.read("pipewright.yml");
    let doc: serde_json::Value = serde_saphyr::from_str(&spec).unwrap();
    let script: Vec<&str> = doc["build"]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for word in script.iter().flat_map(|c| c.split_whitespace()) {
        assert!(
            !["npm", "npx", "curl", "wget", "pip", "aws", "git"].contains(&word),
            "the starter build must not need the network ({word})"
        );
    }
    // The commands, run in the folder, produce the artifact.
    let status = std::process::Command::new("sh")
        .arg("-ec")
        .arg(script.join("\n"))
        .current_dir(out.dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(out.dir.path().join("dist/index.html").is_file());
    assert!(out.dir.path().join("dist/build.txt").is_file());
}

#[test]
fn the_default_name_comes_from_the_folder() {
    let out = Test::new().args(["init"]).run().success();
    let folder = out
        .dir
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_lowercase();
    let expected: String = folder
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let spec = out.read("pipewright.yml");
    assert!(
        spec.contains(&format!("\nname: {expected}\n")),
        "{expected}:\n{spec}"
    );
    assert!(spec.contains(&format!("repository: {expected}")), "{spec}");
    assert!(spec.contains(&format!("bucket: {expected}-site")), "{spec}");
}

#[test]
fn an_invalid_name_is_refused_with_a_suggestion() {
    let out = Test::new().args(["init", "--name", "My_App"]).run().code(2);
    out.stderr_has("My_App").stderr_has("--name my-app");
    assert!(!out.dir.path().join("pipewright.yml").exists());
    Test::new()
        .args(["init", "--name", &"a".repeat(26)])
        .run()
        .code(2)
        .stderr_has("too long");
}

#[test]
fn existing_files_are_not_overwritten_and_nothing_is_written() {
    let out = Test::new()
        .file("site/index.html", "mine\n")
        .args(["init", "--kind", "static-site"])
        .run()
        .code(2);
    out.stderr_has("site/index.html").stderr_has("--force");
    assert!(
        !out.dir.path().join("pipewright.yml").exists(),
        "all or nothing"
    );
    assert_eq!(out.read("site/index.html"), "mine\n");
}

#[test]
fn force_overwrites() {
    let out = Test::new()
        .spec("old\n")
        .args([
            "init",
            "--kind",
            "static-site",
            "--name",
            "fresh",
            "--force",
        ])
        .run()
        .success();
    assert!(out.read("pipewright.yml").contains("name: fresh"));
}

#[test]
fn a_second_init_is_refused() {
    let first = Test::new()
        .args(["init", "--kind", "ec2-rolling", "--name", "demo"])
        .run()
        .success();
    first
        .then()
        .args(["init", "--kind", "ec2-rolling", "--name", "demo"])
        .run()
        .code(2)
        .stderr_has("pipewright.yml")
        .stderr_has("scripts/start.sh");
}

#[test]
fn the_spec_file_flag_chooses_where_files_go() {
    let out = Test::new()
        .args(["-f", "deploy/pipewright.yml", "init", "--name", "demo"])
        .run()
        .success();
    out.stdout_has("pipewright -f deploy/pipewright.yml validate");
    assert!(out.dir.path().join("deploy/pipewright.yml").is_file());
    assert!(out.dir.path().join("deploy/site/index.html").is_file());
}

#[test]
fn json_output_lists_the_files() {
    let out = Test::new()
        .args([
            "init",
            "--kind",
            "lambda-canary",
            "--name",
            "demo",
            "--output",
            "json",
        ])
        .run()
        .success();
    let json = out.json();
    assert_eq!(json["kind"], "lambda-canary");
    assert_eq!(json["name"], "demo");
    assert_eq!(json["files"][0], "pipewright.yml");
}
