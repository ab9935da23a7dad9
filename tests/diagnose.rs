//! `status`, `run` and `logs` against pipelines that really run in the emulator (issue 5).
//!
//! The source is a zip in a versioned S3 bucket the test uploads; the build commands are in the
//! spec, so each test says in one place what its build prints and how it fails.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::aws::{Aws, block_on};
use crate::support::{Scope, Test};

/// A spec whose build runs `commands` and deploys `dist/` to an S3 bucket.
fn spec(name: &str, commands: &[&str]) -> String {
    let commands: String = commands.iter().fold(String::new(), |mut text, c| {
        text.push_str("    - ");
        text.push_str(&serde_json::to_string(c).expect("quote"));
        text.push('\n');
        text
    });
    format!(
        "version: 1\nname: {name}\nsource:\n  s3:\n    bucket: {name}-src\n    key: source.zip\n\
         build:\n  commands:\n{commands}  artifacts:\n    base_directory: dist\n\
         deploy:\n  s3:\n    bucket: {name}-site\n"
    )
}

/// A zip of `files` (path, contents; all executable), made with the Python the emulator needs
/// anyway.
fn zip(files: &[(&str, &str)]) -> Vec<u8> {
    let script = "import io,json,sys,zipfile\nb=io.BytesIO()\nz=zipfile.ZipFile(b,'w')\n\
        for path, text in json.load(sys.stdin):\n\
        \x20   info=zipfile.ZipInfo(path)\n\
        \x20   info.external_attr=0o100755<<16\n\
        \x20   z.writestr(info, text)\n\
        z.close()\nsys.stdout.buffer.write(b.getvalue())";
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run python3");
    let input = serde_json::to_vec(files).expect("JSON");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), &input).expect("write");
    let out = child.wait_with_output().expect("python3");
    assert!(out.status.success(), "python3 failed");
    out.stdout
}

/// The versioned source bucket with the source zip, as the user would prepare it.
fn upload_source(aws: &Aws, name: &str, files: &[(&str, &str)]) {
    let bucket = format!("{name}-src");
    block_on(async {
        aws.s3
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("CreateBucket");
        aws.s3
            .put_bucket_versioning()
            .bucket(&bucket)
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .expect("PutBucketVersioning");
        aws.s3
            .put_object()
            .bucket(&bucket)
            .key("source.zip")
            .body(zip(files).into())
            .send()
            .await
            .expect("PutObject");
    });
}

/// A pipeline created with `up` that has not run yet.
fn pipeline(scope: &Scope, commands: &[&str]) -> Test {
    created(
        scope,
        &spec(&scope.name, commands),
        &[("README.txt", "hello\n")],
    )
}

/// `up` of `spec` over a source holding `files`, with no execution started.
fn created(scope: &Scope, spec: &str, files: &[(&str, &str)]) -> Test {
    scope.configure(json!({ "start_on_create": false }));
    upload_source(&Aws::new(), &scope.name, files);
    Test::new()
        .spec(spec)
        .emulator(scope)
        .args(["up", "--yes"])
        .run()
        .success()
        .then()
}

const MARKER: &str = "MARKER-4f1c before the failure";

#[test]
fn issue_5_a_failing_build_is_explained_by_run_and_logs() {
    let scope = Scope::new();
    let echo = format!("echo '{MARKER}'");
    let failing = pipeline(&scope, &[echo.as_str(), "sh -c 'exit 3'", "echo never"]);

    let run = failing.args(["run"]).run().code(1);
    run.stdout_has("BUILD")
        .stdout_has("sh -c 'exit 3'")
        .stdout_has("exit status 3")
        .stdout_has(MARKER)
        .stdout_has("Fix:")
        .stdout_lacks("echo never\n");
    run.stderr_has("Ctrl-C stops watching");

    let logs = run.then().args(["logs"]).run().success();
    logs.stdout_has("BUILD")
        .stdout_has("sh -c 'exit 3'")
        .stdout_has("exit status 3")
        .stdout_has(MARKER);

    let json = logs
        .then()
        .args(["logs", "--output", "json"])
        .run()
        .success();
    let objects: Vec<serde_json::Value> = json
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    let diagnosis = objects
        .iter()
        .find(|o| o["type"] == "diagnosis")
        .expect("a diagnosis object");
    assert_eq!(diagnosis["cause"]["failed_phase"]["phase"], "BUILD");
    assert_eq!(diagnosis["cause"]["exit_status"], 3);
    assert_eq!(diagnosis["cause"]["command"], "sh -c 'exit 3'");
    assert!(
        diagnosis["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .any(|l| l["message"] == MARKER)
    );

    // Status shows where it failed.
    let status = json.then().args(["status"]).run().success();
    status
        .stdout_has("✗ Build Failed")
        .stdout_has("The failing lines: pipewright logs");
}

#[test]
fn issue_5_without_get_pipeline_state_logs_falls_back_to_action_executions() {
    let scope = Scope::new();
    let echo = format!("echo '{MARKER}'");
    let failing = pipeline(&scope, &[echo.as_str(), "sh -c 'exit 3'"]);
    let ran = failing.args(["run"]).run().code(1);
    scope.configure(json!({ "disabled_operations": ["codepipeline:GetPipelineState"] }));
    scope.clear_requests();
    let logs = ran
        .then()
        .env("AWS_MAX_ATTEMPTS", "1")
        .args(["logs"])
        .run()
        .success();
    logs.stdout_has("BUILD")
        .stdout_has("exit status 3")
        .stdout_has(MARKER);
    let requests = scope.requests();
    assert!(
        requests
            .get("codepipeline:ListActionExecutions")
            .copied()
            .unwrap_or(0)
            >= 1,
        "{requests:?}"
    );
    assert_eq!(
        requests.get("codepipeline:GetPipelineState").copied(),
        Some(1),
        "asked once, answered 501: {requests:?}"
    );
}

#[test]
fn issue_5_a_passing_pipeline_runs_to_the_end_and_status_shows_every_action() {
    let scope = Scope::new();
    let ok = pipeline(
        &scope,
        &["mkdir -p dist && echo '<h1>hi</h1>' > dist/index.html"],
    );
    let run = ok.args(["run"]).run().success();
    run.stdout_has("Source/Source")
        .stdout_has("Build/Build")
        .stdout_has("Deploy/Deploy")
        .stdout_has("Succeeded");
    let status = run
        .then()
        .args(["status", "--output", "json"])
        .run()
        .success();
    let view = status.json();
    let actions: Vec<(String, String)> = view["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .flat_map(|s| s["actions"].as_array().expect("actions").clone())
        .map(|a| {
            (
                a["name"].as_str().unwrap_or_default().to_owned(),
                a["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(actions.len(), 3, "{actions:?}");
    assert!(actions.iter().all(|(_, s)| s == "Succeeded"), "{actions:?}");
    let human = status.then().args(["status"]).run().success();
    for action in ["Source", "Build", "Deploy"] {
        human.stdout_has(&format!("✓ {action} Succeeded"));
    }
    // The site is in the bucket.
    let aws = Aws::new();
    let objects = block_on(
        aws.s3
            .list_objects_v2()
            .bucket(format!("{}-site", scope.name))
            .send(),
    )
    .expect("ListObjectsV2");
    assert!(
        objects
            .contents()
            .iter()
            .any(|o| o.key() == Some("index.html"))
    );
}

#[test]
fn issue_5_logs_all_prints_every_line_of_a_long_build_once_in_order() {
    const LINES: usize = 100_000;
    let scope = Scope::new();
    let print = format!("seq 1 {LINES} | sed 's/^/line-/'");
    let ok = pipeline(&scope, &[print.as_str(), "mkdir -p dist && touch dist/x"]);
    let ran = ok.args(["run"]).run().success();
    let started = Instant::now();
    let logs = ran.then().args(["logs", "--all"]).run().success();
    let elapsed = started.elapsed();
    let numbers: Vec<usize> = logs
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("line-"))
        .map(|n| n.parse().expect("a number"))
        .collect();
    assert_eq!(numbers.len(), LINES, "every line exactly once");
    assert!(
        numbers.iter().enumerate().all(|(i, n)| *n == i + 1),
        "in order"
    );
    eprintln!("logs --all of {LINES} lines: {elapsed:?}");
}

#[test]
fn issue_5_follow_shows_each_line_once_as_it_is_written() {
    const TICKS: usize = 30;
    let scope = Scope::new();
    // Wait a little so the follower is running, then a line every 200 ms with its own time.
    let ticks = format!(
        "sleep 2; for i in $(seq 1 {TICKS}); do echo \"tick-$i $(date +%s%3N)\"; sleep 0.2; done"
    );
    let ok = pipeline(&scope, &[ticks.as_str(), "mkdir -p dist && touch dist/x"]);
    let started = ok.args(["run", "--no-wait"]).run().success();
    let id = started.stdout.trim().to_owned();
    assert!(!id.is_empty());
    let mut following = started
        .then()
        .args(["logs", "--follow", "--until-done", "--execution", &id])
        .spawn();
    let deadline = Instant::now() + Duration::from_mins(1);
    let mut seen = Vec::new();
    let mut lags = Vec::new();
    for line in following.stdout_lines() {
        let arrived = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_millis();
        if let Some(rest) = line.strip_prefix("tick-")
            && let Some((n, written)) = rest.split_once(' ')
            && let (Ok(n), Ok(written)) = (n.parse::<usize>(), written.parse::<u128>())
        {
            seen.push(n);
            lags.push(arrived.saturating_sub(written));
        }
        assert!(Instant::now() < deadline, "follow did not end");
    }
    following.wait().success();
    assert_eq!(
        seen,
        (1..=TICKS).collect::<Vec<_>>(),
        "each line once, in order"
    );
    lags.sort_unstable();
    eprintln!(
        "follow lag over {} lines: median {} ms, max {} ms",
        lags.len(),
        lags[lags.len() / 2],
        lags[lags.len() - 1]
    );
}

#[test]
fn issue_5_a_failing_codedeploy_hook_is_explained_with_its_log_tail() {
    let scope = Scope::new();
    let name = &scope.name;
    let spec = format!(
        "version: 1\nname: {name}\nsource:\n  s3:\n    bucket: {name}-src\n    key: source.zip\n\
         build:\n  commands:\n    - mkdir -p dist && cp -r app/. dist/\n  artifacts:\n    base_directory: dist\n\
         deploy:\n  codedeploy:\n    platform: server\n    targets:\n      ec2_tags:\n        app: {name}\n\
         \x20   files:\n      - source: /\n        destination: /var/www/{name}\n\
         \x20   hooks:\n      validate_service: scripts/validate.sh\n"
    );
    let validate =
        format!("#!/usr/bin/env bash\necho '{MARKER}'\necho 'not answering' >&2\nexit 1\n");
    let created = created(
        &scope,
        &spec,
        &[
            ("app/index.html", "<h1>hi</h1>\n"),
            ("scripts/validate.sh", validate.as_str()),
        ],
    );
    let run = created.args(["run"]).run().code(1);
    run.stdout_has("ValidateService");
    let logs = run.then().args(["logs"]).run().success();
    logs.stdout_has("ValidateService")
        .stdout_has("scripts/validate.sh")
        .stdout_has("ScriptFailed")
        .stdout_has(MARKER);
    let json = logs
        .then()
        .args(["logs", "--output", "json"])
        .run()
        .success();
    let diagnosis: serde_json::Value = json
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON"))
        .find(|o| o["type"] == "diagnosis")
        .expect("a diagnosis");
    let event = &diagnosis["cause"]["failed_targets"][0]["events"][0];
    assert_eq!(event["event"], "ValidateService");
    assert_eq!(event["error_code"], "ScriptFailed");
}

#[test]
fn issue_5_logs_of_a_pipeline_that_does_not_exist_says_how_to_create_it() {
    let scope = Scope::new();
    let out = Test::new()
        .spec(&spec(&scope.name, &["true"]))
        .emulator(&scope)
        .args(["logs"])
        .run()
        .code(1);
    out.stderr_has("does not exist").stderr_has("pipewright up");
}

#[test]
fn issue_5_an_unreadable_since_is_a_usage_error() {
    Test::new()
        .spec(&spec("t0", &["true"]))
        .args(["logs", "--since", "yesterday"])
        .run()
        .code(2)
        .stderr_has("--since");
}
