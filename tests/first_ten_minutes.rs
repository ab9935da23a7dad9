//! A new user's first ten minutes (issue 14): what `--localstack` supplies, what each command
//! says on the emulator, and that nothing on the way points at a problem that is not theirs.

use std::path::Path;

use crate::support::aws::{Aws, block_on};
use crate::support::{Checked, Scope, Test, emulator};

/// A test that points at the shared emulator the way a newcomer's `--localstack` points at
/// LocalStack's port: the endpoint only (its port is the test's own), no Region, no credentials.
fn newcomer(test: Test) -> Test {
    test.env("AWS_ENDPOINT_URL", emulator::endpoint())
        .env("PIPEWRIGHT_RETRY_INITIAL_MS", "20")
}

#[test]
fn localstack_alone_supplies_the_region_us_east_1_and_test_credentials() {
    let scope = Scope::new();
    let name = &scope.name;
    let plan = newcomer(Test::new().example("static-site", name))
        .args(["plan"])
        .run()
        .code(2);
    plan.stderr_has("no AWS Region is set");

    let up = newcomer(plan.then())
        .args(["up", "--localstack", "--yes"])
        .run()
        .success();
    up.stdout_has(&format!("{name}-artifacts-123456789012-us-east-1"));
    let pipeline = block_on(
        Aws::new()
            .codepipeline
            .get_pipeline()
            .name(format!("{name}-pipeline"))
            .send(),
    )
    .expect("the pipeline exists in us-east-1");
    assert_eq!(
        pipeline.pipeline().map(|p| p.name()),
        Some(format!("{name}-pipeline").as_str())
    );

    Test::new()
        .args(["up", "--help"])
        .run()
        .success()
        .stdout_has("Region us-east-1 when none is set");
}

#[test]
fn a_refused_connection_fails_at_once_with_a_command_that_starts_the_emulator_from_anywhere() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let started = std::time::Instant::now();
    let out = Test::new()
        .example("static-site", "refused")
        .env("AWS_ENDPOINT_URL", &endpoint)
        .args(["up", "--localstack", "--yes"])
        .run()
        .code(1);
    // Measured, not asserted (the retry rule's own test counts attempts): printed for the record.
    println!("refused connection reported in {:?}", started.elapsed());
    out.stderr_has(&format!("cannot reach {endpoint}"));
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("localstack/emulator");
    out.stderr_has(&format!("`{} start --port {port}`", script.display()));
    assert!(script.is_file(), "the hint names a script that exists");
}

/// The pipeline's executions, oldest first, as CodePipeline lists them (an independent read),
/// once `ready` holds for them (polled: executions run in the background).
fn executions(name: &str, ready: impl Fn(&[(String, String)]) -> bool) -> Vec<(String, String)> {
    let aws = Aws::new();
    for _ in 0..300 {
        let listed = block_on(
            aws.codepipeline
                .list_pipeline_executions()
                .pipeline_name(format!("{name}-pipeline"))
                .send(),
        )
        .expect("ListPipelineExecutions");
        let mut all: Vec<(String, String)> = listed
            .pipeline_execution_summaries()
            .iter()
            .map(|e| {
                (
                    e.pipeline_execution_id().unwrap_or_default().to_owned(),
                    e.status()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                )
            })
            .collect();
        all.reverse();
        if ready(&all) {
            return all;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    panic!("the executions of {name}-pipeline never got there");
}

#[test]
fn the_first_execution_before_any_push_is_explained_in_plain_words() {
    let scope = Scope::new();
    let name = &scope.name;
    let created = Test::new()
        .example("static-site", name)
        .emulator(&scope)
        .args(["up", "--yes"])
        .run()
        .success();
    // CreatePipeline starts an execution at once, on AWS too: it fails, nothing is pushed.
    let first = executions(name, |all| all.len() == 1 && all[0].1 == "Failed");
    let first_id = &first[0].0;

    let status = created.then().args(["status"]).run().success();
    status
        .stdout_has(&format!("execution {first_id}"))
        .stdout_has("Why: nothing has been pushed to main yet")
        .stdout_has("Fix: run `pipewright push`")
        .stdout_has("Docs: https://docs.aws.amazon.com/codepipeline/")
        .stdout_lacks("The failing lines: pipewright logs");

    let logs = status.then().args(["logs"]).run().success();
    logs.stdout_has(&format!("execution {first_id}: Failed"))
        .stdout_has("Why: nothing has been pushed to main yet")
        .stdout_has("Fix: run `pipewright push`")
        .stdout_lacks("The latest execution");

    let pushed = logs.then().args(["push"]).run().success();
    let ran = pushed.then().args(["run"]).run().success();
    let after = executions(name, |all| {
        all.len() >= 2 && all.iter().skip(1).all(|e| e.1 == "Succeeded")
    });
    let latest = &after.last().expect("an execution").0;

    let logs = ran.then().args(["logs"]).run().success();
    logs.stdout_has(&format!("execution {first_id}: Failed"))
        .stdout_has(&format!("The latest execution, {latest}, Succeeded"))
        .stdout_has("this is the newest that failed")
        .stdout_has("Why: nothing had been pushed to main when this execution ran")
        .stdout_lacks("Fix: run `pipewright push`");

    let json = logs
        .then()
        .args(["logs", "--output", "json"])
        .run()
        .success();
    let diagnosis: serde_json::Value = json
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .find(|o: &serde_json::Value| o["type"] == "diagnosis")
        .expect("a diagnosis");
    assert_eq!(diagnosis["execution_id"], first_id.as_str());
    assert_eq!(diagnosis["latest"]["id"], latest.as_str());
    assert_eq!(diagnosis["latest"]["status"], "Succeeded");
    assert_eq!(
        diagnosis["explanation"]["summary"],
        "nothing had been pushed to main when this execution ran"
    );
}

/// The status of an anonymous GET, as a browser would send it.
fn anonymous_get(url: &str) -> (u16, String) {
    let agent = ureq::Agent::new_with_config(
        ureq::config::Config::builder()
            .http_status_as_error(false)
            .build(),
    );
    let mut response = agent.get(url).call().expect("GET the website");
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap_or_default();
    (status, body)
}

#[test]
fn on_the_emulator_up_and_run_print_what_works_there_and_a_website_only_when_it_answers() {
    let scope = Scope::new();
    let name = &scope.name;
    let endpoint = emulator::endpoint();
    let up = newcomer(Test::new().example("static-site", name))
        .args(["up", "--localstack", "--yes"])
        .run()
        .success();
    up.stdout_has(&format!("Endpoint:  {endpoint}"))
        .stdout_has("Push:      pipewright push --localstack")
        .stdout_lacks("Console:")
        .stdout_lacks("Clone URL:")
        .stdout_lacks("codecommit::")
        .stdout_lacks("console.aws.amazon.com");
    // The example's site is private: its URL would answer 403, so it is not printed.
    let site = format!("{endpoint}/{name}-site/index.html");
    up.stdout_has(&format!(
        "Website:   not served: bucket {name}-site allows no anonymous reads"
    ))
    .stdout_has("set `public: true`")
    .stdout_has("https://docs.aws.amazon.com/AmazonS3/")
    .stdout_lacks(&site);
    let pushed = up.then().args(["push", "--localstack"]).run().success();
    let ran = pushed.then().args(["run", "--localstack"]).run().success();
    ran.stdout_lacks(&site);
    assert_eq!(anonymous_get(&site).0, 403, "a private site answers 403");

    // Made public, the site is served and its URL printed.
    let spec = std::fs::read_to_string(ran.dir.path().join("pipewright.yml")).expect("spec");
    let public = spec.replace("    # public: true ", "    public: true   ");
    assert_ne!(spec, public, "the example has a commented `public: true`");
    let up = ran
        .then()
        .file("pipewright.yml", public)
        .args(["up", "--localstack", "--yes"])
        .run()
        .success();
    up.stdout_has(&format!("Website:   {site}"));
    let ran = up.then().args(["run", "--localstack"]).run().success();
    ran.stdout_has(&format!("Website:   {site}\n"));
    let (status, body) = anonymous_get(&site);
    assert_eq!(status, 200, "{body}");
    let index = std::fs::read_to_string(ran.dir.path().join("site/index.html")).expect("index");
    assert_eq!(body, index);
}

/// The static-site example with its build commands replaced (and its artifacts' folder).
fn with_build(test: Test, name: &str, commands: &[&str], base_directory: &str) -> Test {
    let test = test.example("static-site", name);
    let spec = std::fs::read_to_string(test.dir().join("pipewright.yml")).expect("spec");
    let listed = commands.iter().fold(String::new(), |mut text, c| {
        text.push_str("    - ");
        text.push_str(&serde_json::to_string(c).expect("quote"));
        text.push('\n');
        text
    });
    let old = "    - mkdir -p dist && cp -r site/. dist/\n    - echo \"built $(date)\" > dist/build.txt\n";
    assert!(spec.contains(old), "the example's commands moved");
    let spec = spec.replace(old, &listed).replace(
        "base_directory: dist ",
        &format!("base_directory: {base_directory} "),
    );
    test.file("pipewright.yml", spec)
}

/// `up`, `push` and `run` of the static-site example with these build commands, the run failing.
fn failing_run(scope: &Scope, commands: &[&str], base_directory: &str) -> Checked {
    with_build(Test::new(), &scope.name, commands, base_directory)
        .emulator(scope)
        .args(["up", "--yes"])
        .run()
        .success()
        .then()
        .args(["push"])
        .run()
        .success()
        .then()
        .args(["run"])
        .run()
        .code(1)
}

#[test]
fn a_failed_command_shows_the_users_commands_and_output_not_codebuilds_set_up_lines() {
    let scope = Scope::new();
    let run = failing_run(
        &scope,
        &[
            "echo 'OUTPUT-7c2 of the first command'",
            "mkdir -p dist && cp -r site/. dist/",
            "sh -c 'echo OUTPUT-7c2 just before failing; exit 3'",
            "echo never",
        ],
        "dist",
    );
    run.stdout_has("The build's commands and their output, up to the failure")
        .stdout_has("  $ echo 'OUTPUT-7c2 of the first command'\n  OUTPUT-7c2 of the first command\n")
        .stdout_has("  $ sh -c 'echo OUTPUT-7c2 just before failing; exit 3'\n  OUTPUT-7c2 just before failing\n")
        .stdout_has("Command: sh -c 'echo OUTPUT-7c2 just before failing; exit 3' (exit status 3)")
        .stdout_has("Docs: https://docs.aws.amazon.com/codebuild/")
        .stdout_lacks("[Container]")
        .stdout_lacks("echo never");
    // The whole log still has CodeBuild's own lines, for whoever wants them.
    run.then()
        .args(["logs", "--all"])
        .run()
        .success()
        .stdout_has("[Container]");
}

#[test]
fn a_failure_of_codebuilds_own_shows_its_container_lines() {
    let scope = Scope::new();
    let run = failing_run(
        &scope,
        &["echo 'OUTPUT-5e1 built nothing'"],
        "no-such-folder",
    );
    run.stdout_has("Last ")
        .stdout_has("log lines before the failure:")
        .stdout_has("[Container]")
        .stdout_has("no matching artifact paths found")
        .stdout_has("Why: the build produced no file matching `build.artifacts`")
        .stdout_has("Docs: https://docs.aws.amazon.com/codebuild/");
}

#[test]
fn every_command_prints_an_invalid_specs_problems_exactly_as_validate_does() {
    let spec = "version: 1\nname: x\nsourc: {}\n";
    let validate = Test::new().spec(spec).args(["validate"]).run().code(2);
    validate
        .stderr_has("pipewright.yml:3:1: unknown key `sourc`")
        .stderr_has("pipewright.yml is not valid: 4 errors");
    for command in [
        "plan", "up", "down", "push", "status", "logs", "render", "cost",
    ] {
        let other = newcomer(Test::new().spec(spec))
            .args([command, "--localstack"])
            .run()
            .code(2);
        assert_eq!(
            other.stderr, validate.stderr,
            "`{command}` differs from `validate`"
        );
        assert!(other.stdout.is_empty(), "`{command}`: {}", other.stdout);
    }
}

#[test]
fn logs_all_says_which_execution_first_and_json_names_each_events_action() {
    let scope = Scope::new();
    let ran = failing_run(&scope, &["seq 1 3000 | sed 's/^/LINE-/'", "exit 4"], "dist");
    let failed = executions(&scope.name, |all| all.iter().any(|e| e.1 == "Failed"))
        .into_iter()
        .rev()
        .find(|e| e.1 == "Failed")
        .expect("a failed execution")
        .0;

    let all = ran.then().args(["logs", "--all"]).run().success();
    let lines: Vec<&str> = all.stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "Pipeline {}-pipeline, execution {failed}: Failed",
            scope.name
        ),
        "the summary comes first, as with --lines N:\n{}",
        all.stdout
    );
    let first_line = lines.iter().position(|l| *l == "LINE-1").expect("LINE-1");
    let last_line = lines
        .iter()
        .position(|l| *l == "LINE-3000")
        .expect("LINE-3000");
    let command = lines
        .iter()
        .position(|l| l.starts_with("  Command: exit 4"))
        .expect("the failing command");
    let why = lines
        .iter()
        .position(|l| l.starts_with("Why: "))
        .expect("the explanation");
    assert!(command < first_line && last_line < why, "{}", all.stdout);

    let json = all
        .then()
        .args(["logs", "--all", "--output", "json"])
        .run()
        .success();
    let events: Vec<serde_json::Value> = json
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    assert_eq!(events[0]["type"], "diagnosis", "{}", events[0]);
    assert_eq!(events[0]["execution_id"], failed.as_str());
    let logs: Vec<&serde_json::Value> = events.iter().filter(|e| e["type"] == "log").collect();
    assert!(logs.len() >= 3000, "{} log events", logs.len());
    assert!(
        logs.iter().all(|e| e["action"] == "Build/Build"),
        "every log event names its action"
    );
}

#[test]
fn cost_fits_an_80_column_terminal_with_no_cell_wrapped() {
    for kind in [
        "static-site",
        "ec2-rolling",
        "ec2-blue-green",
        "lambda-canary",
        "ecs-blue-green",
        "github-source",
    ] {
        let out = Test::new()
            .example(kind, kind)
            .args(["cost"])
            .run()
            .success();
        for line in out.stdout.lines() {
            assert!(
                line.chars().count() <= 80,
                "{kind}: {line:?} is wider than 80"
            );
        }
        // Each row of the table is one line: an item's row starts with its name.
        let rows: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with('│')).collect();
        for row in &rows {
            let first = row.trim_start_matches('│').split('┆').next().unwrap_or("");
            assert!(!first.trim().is_empty(), "{kind}: a wrapped cell: {row:?}");
        }
        out.stdout_has("How each line is counted");
    }
}

#[test]
fn the_demo_runs_to_the_end_without_gnu_only_tool_features() {
    // A `sed` that refuses GNU's newline escape in a replacement, which BSD sed (macOS) lacks.
    let shims = tempfile::tempdir().expect("a folder for shims");
    let real_sed = ["/usr/bin/sed", "/bin/sed"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("sed");
    let shim = shims.path().join("sed");
    std::fs::write(
        &shim,
        format!(
            "#!/bin/sh\nfor arg in \"$@\"; do case \"$arg\" in *'\\n'*) \
             echo \"sed: GNU-only newline escape in: $arg\" >&2; exit 1;; esac; done\n\
             exec {real_sed} \"$@\"\n"
        ),
    )
    .expect("write the shim");
    let mut permissions = std::fs::metadata(&shim).expect("shim").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&shim, permissions).expect("chmod the shim");

    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo");
    let path = format!(
        "{}:{}",
        shims.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new(&demo)
        .env("PIPEWRIGHT", crate::support::binary())
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .output()
        .expect("run examples/demo");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "the demo failed:\n{stdout}\n{stderr}");
    for expected in [
        "index.html",
        "checking that every linked page exists",
        "$ test -f dist/about.html",
        "Why: a build command exited with a non-zero status",
    ] {
        assert!(
            stdout.contains(expected),
            "demo output lacks {expected:?}:\n{stdout}\n{stderr}"
        );
    }
    assert!(stderr.contains("$ pipewright logs --lines 8"), "{stderr}");
}
