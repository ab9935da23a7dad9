//! Issue 6: faults, interruptions, hostile neighbours, least privilege and secrets, each a test
//! that can fail. Outcomes are checked with independent SDK reads or an outside linter.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use pipewright::model::{Model, Resource, Target};

use crate::support::aws::{ACCOUNT, Aws, REGION};
use crate::support::emulator::Private;
use crate::support::inventory::{kept_repository, static_site};
use crate::support::{Scope, Test};

const EXAMPLES: &[&str] = &[
    "static-site",
    "ec2-rolling",
    "ec2-blue-green",
    "lambda-canary",
    "ecs-blue-green",
    "github-source",
];

/// The desired model of an example, offline.
fn model_of(example: &str) -> Model {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(example)
        .join("pipewright.yml");
    let loaded = pipewright::spec::load(&path).expect("a valid example");
    pipewright::render::desired_model(&loaded, &Target::new(ACCOUNT, REGION)).expect("a buildspec")
}

/// parliament's findings for one policy document (none when it passes).
fn parliament(policy: &serde_json::Value) -> String {
    let linter = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("localstack/.venv/bin/parliament");
    assert!(
        linter.exists(),
        "parliament is missing: run `localstack/emulator setup` (it installs requirements-dev.txt)"
    );
    let output = Command::new(&linter)
        .args(["--json", "--string", &policy.to_string()])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run parliament");
    let findings = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success() || !findings.is_empty(),
        "parliament failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    findings
}

#[test]
fn every_generated_policy_passes_parliament_with_no_findings() {
    let star_only: Vec<&str> = pipewright::model::policy::STAR_ONLY_ACTIONS
        .iter()
        .map(|(a, _)| *a)
        .collect();
    let mut linted = 0;
    for example in EXAMPLES {
        for resource in model_of(example).resources {
            match resource {
                // parliament lints identity policies.
                Resource::RolePolicy(policy) => {
                    let findings = parliament(&policy.document);
                    assert!(
                        findings.trim().is_empty(),
                        "{example}: {} has findings:\n{findings}\n{:#}",
                        policy.role,
                        policy.document
                    );
                    linted += 1;
                    for statement in policy.document["Statement"].as_array().expect("statements") {
                        if statement["Resource"]
                            .as_array()
                            .expect("list")
                            .iter()
                            .any(|r| r == "*")
                        {
                            for action in statement["Action"].as_array().expect("list") {
                                let action = action.as_str().unwrap_or_default();
                                assert!(star_only.contains(&action), "{example}: {action} on *");
                            }
                        }
                    }
                }
                // A trust policy is checked by its shape: one service, AssumeRole.
                Resource::Role(role) => {
                    let trust = &role.trust["Statement"];
                    assert_eq!(
                        trust.as_array().map(Vec::len),
                        Some(1),
                        "{}: one trust statement",
                        role.name
                    );
                    assert_eq!(trust[0]["Action"], "sts:AssumeRole");
                    assert!(
                        trust[0]["Principal"]["Service"]
                            .as_str()
                            .is_some_and(|s| s.ends_with(".amazonaws.com")),
                        "{}: trusts exactly one service",
                        role.name
                    );
                }
                _ => {}
            }
        }
    }
    assert!(linted >= 15, "only {linted} policies were linted");
}

/// Run `rounds` independent jobs on `threads` threads.
fn in_parallel(rounds: u64, threads: u64, job: impl Fn(u64) + Sync) {
    std::thread::scope(|s| {
        for t in 0..threads {
            let job = &job;
            s.spawn(move || {
                for round in (t..rounds).step_by(usize::try_from(threads).unwrap_or(1)) {
                    job(round);
                }
            });
        }
    });
}

#[test]
fn twenty_rounds_of_up_and_down_converge_through_injected_faults() {
    let aws = Aws::new();
    in_parallel(20, 4, |round| {
        let scope = Scope::new();
        let name = scope.name.clone();
        let faults = serde_json::json!({
            "fault_rate": 0.1, "fault_seed": round, "fault_phase": "mixed",
            "fault_kinds": ["throttle", "500", "503"], "start_on_create": false,
        });
        scope.configure(faults.clone());
        let up = Test::new()
            .example("static-site", &name)
            .emulator(&scope)
            .args(["up", "--yes"])
            .run()
            .success();
        assert_eq!(
            aws.inventory(&name),
            static_site(&name),
            "round {round}: after up"
        );
        scope.configure(serde_json::json!({ "fault_rate": 0.0 }));
        let plan = up
            .then()
            .args(["plan", "--detailed-exitcode"])
            .run()
            .success();
        scope.configure(faults);
        plan.then().args(["down", "--yes"]).run().success();
        assert_eq!(
            aws.inventory(&name),
            kept_repository(&name),
            "round {round}: after down"
        );
        assert!(
            !scope.faults().is_empty(),
            "round {round}: no fault was injected"
        );
    });
}

#[test]
fn a_killed_up_converges_on_the_next_up_and_down_leaves_nothing() {
    let aws = Aws::new();
    in_parallel(20, 4, |trial| {
        let scope = Scope::new();
        let name = scope.name.clone();
        // Slow enough that the kill lands part-way through.
        scope.configure(serde_json::json!({ "latency_ms": 40, "start_on_create": false }));
        let running = Test::new()
            .example("static-site", &name)
            .emulator(&scope)
            .args(["up", "--yes"])
            .spawn();
        std::thread::sleep(Duration::from_millis(150 + trial * 97 % 1700));
        running.signal("KILL");
        let killed = running.wait();
        scope.configure(serde_json::json!({ "latency_ms": 0 }));
        let killed_output = format!(
            "KILLED({}): {}\n{}",
            killed.code, killed.stdout, killed.stderr
        );
        let again = killed.then().args(["up", "--yes"]).run();
        if again.code != 0 {
            println!("{killed_output}");
            crate::support::emulator::boto3(&format!(
                "s3 = client('s3')\nb = '{name}-artifacts-{ACCOUNT}-{REGION}'\n\
                 print('KEYS', [o['Key'] for o in s3.list_objects_v2(Bucket=b).get('Contents', [])])\n\
                 try:\n    print('LOCK', s3.get_object(Bucket=b, Key='pipewright/lock.json')['Body'].read())\n\
                 except Exception as e:\n    print('NOLOCK', e)\n"
            ));
        }
        let again = again.success();
        assert_eq!(aws.inventory(&name), static_site(&name), "trial {trial}");
        let plan = again
            .then()
            .args(["plan", "--detailed-exitcode"])
            .run()
            .success();
        plan.then().args(["down", "--yes"]).run().success();
        assert_eq!(
            aws.inventory(&name),
            kept_repository(&name),
            "trial {trial}: after down"
        );
    });
}

#[test]
fn ctrl_c_during_up_ends_cleanly_with_a_summary() {
    let scope = Scope::new();
    let aws = Aws::new();
    scope.configure(serde_json::json!({ "latency_ms": 300, "start_on_create": false }));
    let running = Test::new()
        .example("static-site", &scope.name)
        .emulator(&scope)
        .args(["up", "--yes"])
        .spawn();
    // Interrupt once the apply has begun (its first write), whatever the machine's speed.
    let deadline = std::time::Instant::now() + Duration::from_mins(1);
    while !scope.requests().contains_key("iam:CreateRole") {
        assert!(
            std::time::Instant::now() < deadline,
            "up never started applying"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    running.signal("INT");
    let out = running.wait().code(130);
    out.stderr_has("Interrupted")
        .stdout_has("run the command again to finish");
    scope.configure(serde_json::json!({ "latency_ms": 0 }));
    out.then().args(["up", "--yes"]).run().success();
    assert_eq!(aws.inventory(&scope.name), static_site(&scope.name));
}

#[test]
fn an_emulator_gone_mid_run_is_a_clear_error_and_the_next_up_converges() {
    let mut private = Private::start();
    let scope = Scope::new();
    private.configure(
        &scope,
        serde_json::json!({ "latency_ms": 300, "start_on_create": false }),
    );
    let running = Test::new()
        .example("static-site", &scope.name)
        .emulator(&scope)
        .env("AWS_ENDPOINT_URL", &private.url)
        .args(["up", "--yes"])
        .spawn();
    // Stop it once the apply has begun (its first write), whatever the machine's speed.
    let deadline = std::time::Instant::now() + Duration::from_mins(1);
    while !private.requests(&scope).contains_key("iam:CreateRole") {
        assert!(
            std::time::Instant::now() < deadline,
            "up never started applying"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    private.stop();
    let out = running.wait().code(1);
    out.stderr_has(&format!("cannot reach {}", private.url));
    private.restart();
    out.then()
        .args(["up", "--yes"])
        .run()
        .success()
        .stdout_has("Done:");
}

#[test]
fn two_concurrent_ups_do_not_corrupt_each_other() {
    let scope = Scope::new();
    let aws = Aws::new();
    scope.configure(serde_json::json!({ "latency_ms": 30, "start_on_create": false }));
    let first = Test::new()
        .example("static-site", &scope.name)
        .emulator(&scope)
        .args(["up", "--yes"])
        .spawn();
    let second = Test::new()
        .example("static-site", &scope.name)
        .emulator(&scope)
        .args(["up", "--yes"])
        .spawn();
    let (a, b) = (first.wait().success(), second.wait().success());
    let waited = a.stderr.contains("locked by") || b.stderr.contains("locked by");
    let idle = a.stdout.contains("No changes") || b.stdout.contains("No changes");
    assert!(
        waited || idle,
        "one run must wait for the other:\n{}\n{}",
        a.stderr,
        b.stderr
    );
    assert_eq!(aws.inventory(&scope.name), static_site(&scope.name));
}

#[test]
fn secrets_and_credentials_never_reach_any_output() {
    const SECRET_KEY: &str = "SECRETACCESSKEYDONOTPRINT";
    const PLANTED: &str = "planted-secret-value-7f3a";
    let scope = Scope::new();
    let parameter = format!("/{}/api-key", scope.name);
    crate::support::emulator::boto3(&format!(
        "client('ssm').put_parameter(Name='{parameter}', Value='{PLANTED}', Type='SecureString')"
    ));
    scope.configure(serde_json::json!({ "start_on_create": false }));
    let mut session = Test::new()
        .example("static-site", &scope.name)
        .emulator(&scope)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    let spec = std::fs::read_to_string(session.dir().join("pipewright.yml")).expect("spec");
    let spec = spec.replace(
        "build:\n",
        &format!("build:\n  secrets:\n    API_KEY: \"ssm:{parameter}\"\n"),
    );
    session = session.file("pipewright.yml", spec);
    let mut out = session.args(["validate"]).run().success();
    let mut transcript = String::new();
    for args in [
        vec!["render", "--stdout"],
        vec!["plan"],
        vec!["plan", "--output", "json"],
        vec!["up", "--yes"],
        vec!["up", "--yes", "-v"],
        vec!["down", "--yes"],
    ] {
        transcript.push_str(&out.stdout);
        transcript.push_str(&out.stderr);
        out = out.then().args(args).run().success();
    }
    transcript.push_str(&out.stdout);
    transcript.push_str(&out.stderr);
    for file in ["buildspec.yml"] {
        if let Ok(text) = std::fs::read_to_string(out.dir.path().join(file)) {
            transcript.push_str(&text);
        }
    }
    assert!(
        transcript.contains(&parameter),
        "the reference itself is shown"
    );
    assert!(!transcript.contains(PLANTED), "the secret value leaked");
    assert!(
        !transcript.contains(SECRET_KEY),
        "the secret access key leaked"
    );
}

#[test]
fn missing_credentials_are_one_clear_line() {
    let home = tempfile::tempdir().expect("empty home");
    let out = Test::new()
        .example("static-site", "nocreds")
        .env("HOME", home.path().to_str().unwrap_or("/nonexistent"))
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["plan"])
        .run()
        .code(1);
    out.stderr_has("no valid AWS credentials")
        .stderr_has("AWS_PROFILE");
    assert!(
        out.stderr.lines().count() < 12,
        "not an SDK dump:\n{}",
        out.stderr
    );
}
