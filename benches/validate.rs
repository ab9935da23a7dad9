//! `cargo bench --bench validate`: how long `pipewright validate` takes on a 200-line spec, and
//! `pipewright --version`, as a user runs them (a fresh process each time, release build).
//!
//! Goals: validate ≤ 10 ms, --version ≤ 5 ms (median). Prints median and p95; a run over its
//! goal is marked, not failed: timings depend on the machine.

// A bench is one measured session, read top to bottom.
#![allow(clippy::too_many_lines)]

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 200;
const WARMUP: usize = 10;

fn main() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let spec = spec_of_200_lines();
    assert!(
        spec.lines().count() >= 200,
        "the spec has {} lines",
        spec.lines().count()
    );
    std::fs::write(dir.path().join("pipewright.yml"), &spec).expect("write spec");
    for script in ["scripts/stop.sh", "scripts/start.sh", "scripts/check.sh"] {
        let path = dir.path().join(script);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("scripts folder");
        std::fs::write(path, "#!/bin/sh\n").expect("write script");
    }

    println!(
        "pipewright {} — {RUNS} runs each, {} lines of spec",
        env!("CARGO_PKG_VERSION"),
        spec.lines().count()
    );
    report(
        "validate (200-line spec)",
        &run(dir.path(), &["validate"]),
        10.0,
    );
    report("--version", &run(dir.path(), &["--version"]), 5.0);
    report(
        "validate --output json",
        &run(dir.path(), &["validate", "--output", "json"]),
        10.0,
    );

    let path = dir.path().join("pipewright.yml");
    let mut in_process = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        let loaded = pipewright::spec::load_str(&path, &spec);
        in_process.push(start.elapsed());
        assert!(loaded.is_ok(), "the benchmark spec must be valid");
    }
    report("spec::load_str (in process)", &in_process, 10.0);
}

/// Time `RUNS` fresh processes of the release binary with `args`, in `dir`.
fn run(dir: &Path, args: &[&str]) -> Vec<Duration> {
    let binary = env!("CARGO_BIN_EXE_pipewright");
    let mut times = Vec::with_capacity(RUNS);
    for i in 0..WARMUP + RUNS {
        let start = Instant::now();
        let status = Command::new(binary)
            .args(args)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run pipewright");
        let elapsed = start.elapsed();
        assert!(status.success(), "pipewright {args:?} failed: {status}");
        if i >= WARMUP {
            times.push(elapsed);
        }
    }
    times
}

fn report(what: &str, times: &[Duration], goal_ms: f64) {
    let mut ms: Vec<f64> = times.iter().map(|t| t.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    let at = |percent: usize| ms[(ms.len() - 1) * percent / 100];
    let median = at(50);
    let verdict = if median <= goal_ms { "ok" } else { "OVER GOAL" };
    println!(
        "{what:<32} median {median:>7.3} ms   p95 {:>7.3} ms   min {:>7.3} ms   goal ≤ {goal_ms} ms: {verdict}",
        at(95),
        ms[0],
    );
}

/// A valid spec of a little over 200 lines that exercises most of the format.
fn spec_of_200_lines() -> String {
    let mut spec = String::from(
        "# Benchmark spec: every part of the format, 200+ lines.
version: 1
name: bench-web
region: eu-west-1
tags:
",
    );
    for i in 0..20 {
        let _ = writeln!(spec, "  tag-{i}: value-{i}");
    }
    spec.push_str(
        "source:
  codecommit:
    repository: bench-web
    branch: main
build:
  image: aws/codebuild/standard:7.0
  compute: medium
  runtimes:
    nodejs: \"20\"
  env:
",
    );
    for i in 0..40 {
        let _ = writeln!(spec, "    SETTING_{i}: value-{i}");
    }
    spec.push_str("  secrets:\n");
    for i in 0..10 {
        let _ = writeln!(spec, "    SECRET_{i}: ssm:/bench-web/secret-{i}");
    }
    spec.push_str("  install:\n");
    for i in 0..10 {
        let _ = writeln!(spec, "    - npm install tool-{i}");
    }
    spec.push_str("  commands:\n");
    for i in 0..30 {
        let _ = writeln!(spec, "    - npm run step-{i}");
    }
    spec.push_str(
        "  artifacts:
    base_directory: dist
    files: [\"**/*\"]
  reports:
    unit:
      files: [junit.xml]
  cache: [node_modules/**/*]
  timeout_minutes: 30
  log_retention_days: 14
environments:
",
    );
    for (name, approval) in [
        ("dev", false),
        ("staging", false),
        ("prod", true),
        ("prod-eu", true),
    ] {
        let _ = write!(
            spec,
            "  - name: {name}
    approval: {approval}
    deploy:
      codedeploy:
        platform: server
        strategy: rolling
        minimum_healthy: {{percent: 50}}
        targets:
          ec2_tags:
            app: bench-web
            env: {name}
        files:
          - source: /
            destination: /opt/bench-web
        file_exists_behavior: OVERWRITE
        hooks:
          application_stop: scripts/stop.sh
          application_start: scripts/start.sh
          validate_service:
            location: scripts/check.sh
            timeout: 300
            runas: root
        alarms: [bench-web-{name}-5xx]
"
        );
    }
    spec
}
