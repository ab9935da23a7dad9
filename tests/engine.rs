//! `plan`, `up` and `down` against the emulator, each outcome checked with an independent SDK
//! client (never with pipewright's own report of itself).

use std::collections::BTreeSet;

use crate::support::aws::{ACCOUNT, Aws, REGION, block_on};
use crate::support::inventory::{kept_repository, static_site};
use crate::support::{Scope, Test, s3_source_spec};

/// The spec's name `name` expands to these fixed-name resources.
fn role_names(name: &str) -> [String; 3] {
    [
        format!("{name}-codebuild-role"),
        format!("{name}-codepipeline-role"),
        format!("{name}-events-role"),
    ]
}

fn artifact_bucket(name: &str) -> String {
    format!("{name}-artifacts-{ACCOUNT}-{REGION}")
}

fn repository_exists(aws: &Aws, name: &str) -> bool {
    block_on(aws.codecommit.get_repository().repository_name(name).send()).is_ok()
}

/// Statements of a role's inline policy, parsed.
fn role_policy(aws: &Aws, role: &str) -> serde_json::Value {
    let out = block_on(
        aws.iam
            .get_role_policy()
            .role_name(role)
            .policy_name("pipewright")
            .send(),
    )
    .expect("GetRolePolicy");
    let text = percent_encoding::percent_decode_str(out.policy_document())
        .decode_utf8_lossy()
        .into_owned();
    serde_json::from_str(&text).expect("policy JSON")
}

/// `Resource: "*"` only for the actions AWS defines only on `*`.
fn assert_least_privilege(policy: &serde_json::Value) {
    let star_only: Vec<&str> = pipewright::model::policy::STAR_ONLY_ACTIONS
        .iter()
        .map(|(action, _)| *action)
        .collect();
    for statement in policy["Statement"].as_array().expect("statements") {
        let resources = statement["Resource"].as_array().expect("resource list");
        if resources.iter().any(|r| r == "*") {
            for action in statement["Action"].as_array().expect("action list") {
                let action = action.as_str().unwrap_or_default();
                assert!(
                    star_only.contains(&action),
                    "{action} is granted on * but AWS scopes it: {statement}"
                );
            }
        }
        for resource in resources {
            let resource = resource.as_str().unwrap_or_default();
            assert!(
                resource == "*" || resource.starts_with("arn:aws:"),
                "not an ARN: {resource}"
            );
        }
    }
}

#[test]
fn static_site_up_verify_noop_then_down() {
    let scope = Scope::new();
    let name = scope.name.clone();
    let aws = Aws::new();
    let out = Test::new()
        .example("static-site", &name)
        .emulator(&scope)
        .args(["up", "--yes"])
        .run()
        .success();
    out.stdout_has("Done:").stdout_has("Endpoint:");
    assert_eq!(aws.inventory(&name), static_site(&name));

    // Roles: one service each, least privilege.
    for (role, service) in role_names(&name)
        .iter()
        .zip(["codebuild", "codepipeline", "events"])
    {
        let got = block_on(aws.iam.get_role().role_name(role).send()).expect("GetRole");
        let trust = percent_encoding::percent_decode_str(
            got.role()
                .expect("role")
                .assume_role_policy_document()
                .unwrap_or_default(),
        )
        .decode_utf8_lossy()
        .into_owned();
        assert!(
            trust.contains(&format!("{service}.amazonaws.com")),
            "{role}: {trust}"
        );
        assert_least_privilege(&role_policy(&aws, role));
    }
    let pipeline_policy = role_policy(&aws, &format!("{name}-codepipeline-role")).to_string();
    assert!(pipeline_policy.contains(&format!("arn:aws:s3:::{}/*", artifact_bucket(&name))));
    assert!(pipeline_policy.contains(&format!("project/{name}-build")));

    // The artifact bucket: versioned, private, encrypted, TLS only, expiring.
    let bucket = artifact_bucket(&name);
    let versioning =
        block_on(aws.s3.get_bucket_versioning().bucket(&bucket).send()).expect("versioning");
    assert_eq!(versioning.status().map(|s| s.as_str()), Some("Enabled"));
    let block = block_on(aws.s3.get_public_access_block().bucket(&bucket).send()).expect("PAB");
    let block = block.public_access_block_configuration().expect("config");
    assert_eq!(block.block_public_acls(), Some(true));
    assert_eq!(block.restrict_public_buckets(), Some(true));
    block_on(aws.s3.get_bucket_encryption().bucket(&bucket).send()).expect("encryption");
    let policy = block_on(aws.s3.get_bucket_policy().bucket(&bucket).send()).expect("policy");
    assert!(
        policy
            .policy()
            .unwrap_or_default()
            .contains("aws:SecureTransport")
    );
    let lifecycle = block_on(
        aws.s3
            .get_bucket_lifecycle_configuration()
            .bucket(&bucket)
            .send(),
    )
    .expect("lifecycle");
    assert_eq!(lifecycle.rules().len(), 1);

    // The project runs the generated buildspec with its own log group.
    let projects = block_on(
        aws.codebuild
            .batch_get_projects()
            .names(format!("{name}-build"))
            .send(),
    )
    .expect("project");
    let project = &projects.projects()[0];
    let buildspec = project
        .source()
        .and_then(|s| s.buildspec())
        .unwrap_or_default();
    assert!(buildspec.contains("cp -r site/. dist/"), "{buildspec}");
    assert_eq!(
        project
            .logs_config()
            .and_then(|l| l.cloud_watch_logs())
            .and_then(|c| c.group_name()),
        Some(format!("/aws/codebuild/{name}-build").as_str())
    );

    // The pipeline: V2, Source → Build → Deploy(S3).
    let pipeline = block_on(
        aws.codepipeline
            .get_pipeline()
            .name(format!("{name}-pipeline"))
            .send(),
    )
    .expect("pipeline");
    let declaration = pipeline.pipeline().expect("declaration");
    let stages: Vec<(&str, &str)> = declaration
        .stages()
        .iter()
        .map(|s| {
            (
                s.name(),
                s.actions()[0].action_type_id().map_or("", |t| t.provider()),
            )
        })
        .collect();
    assert_eq!(
        stages,
        vec![
            ("Source", "CodeCommit"),
            ("Build", "CodeBuild"),
            ("Deploy", "S3")
        ]
    );
    assert_eq!(declaration.pipeline_type().map(|t| t.as_str()), Some("V2"));

    // The change-detection rule starts the pipeline.
    let targets = block_on(
        aws.events
            .list_targets_by_rule()
            .rule(format!("{name}-source-change"))
            .send(),
    )
    .expect("targets");
    assert!(
        targets.targets()[0]
            .arn()
            .ends_with(&format!(":{name}-pipeline"))
    );

    // A second up changes nothing and writes nothing.
    scope.clear_requests();
    let again = out.then().args(["up", "--yes"]).run().success();
    again.stdout_has("No changes");
    assert!(
        scope.writes().is_empty(),
        "a no-op up wrote: {:?}",
        scope.writes()
    );

    // down removes everything tagged, keeps the repository, and a second down has nothing to do.
    let down = again.then().args(["down", "--yes"]).run().success();
    down.stdout_has("Kept: CodeCommit repository");
    assert_eq!(aws.inventory(&name), kept_repository(&name));
    assert!(
        repository_exists(&aws, &name),
        "down must keep the source repository"
    );
    down.then()
        .args(["down", "--yes"])
        .run()
        .success()
        .stdout_has("Nothing to remove");
}

#[test]
fn every_codedeploy_example_comes_up_converged_and_goes_down() {
    let aws = Aws::new();
    // Lambda has no CodeDeploy group: CodePipeline's Lambda deploy action shifts its alias.
    for (kind, style, provider) in [
        ("ec2-rolling", Some("IN_PLACE"), "CodeDeploy"),
        ("ec2-blue-green", Some("BLUE_GREEN"), "CodeDeploy"),
        ("lambda-canary", None, "Lambda"),
        ("ecs-blue-green", Some("BLUE_GREEN"), "CodeDeployToECS"),
    ] {
        let scope = Scope::new();
        let name = scope.name.clone();
        let out = Test::new()
            .example(kind, &name)
            .emulator(&scope)
            .args(["up", "--yes"])
            .run()
            .success();
        if let Some(style) = style {
            let app = format!("{name}-app");
            let groups = block_on(
                aws.codedeploy
                    .list_deployment_groups()
                    .application_name(&app)
                    .send(),
            )
            .expect("groups");
            assert_eq!(groups.deployment_groups().len(), 1, "{kind}");
            let group = block_on(
                aws.codedeploy
                    .get_deployment_group()
                    .application_name(&app)
                    .deployment_group_name(&groups.deployment_groups()[0])
                    .send(),
            )
            .expect("group");
            let info = group.deployment_group_info().expect("info");
            assert_eq!(
                info.deployment_style()
                    .and_then(|s| s.deployment_type())
                    .map(|t| t.as_str()),
                Some(style),
                "{kind}"
            );
            assert!(info.deployment_config_name().is_some(), "{kind}");
            assert_least_privilege(&role_policy(&aws, &format!("{name}-codedeploy-role")));
        }
        let pipeline = block_on(
            aws.codepipeline
                .get_pipeline()
                .name(format!("{name}-pipeline"))
                .send(),
        )
        .expect("pipeline");
        let deploy = &pipeline.pipeline().expect("declaration").stages()[2].actions()[0];
        assert_eq!(
            deploy.action_type_id().map(|t| t.provider()),
            Some(provider),
            "{kind}"
        );

        scope.clear_requests();
        let again = out.then().args(["up", "--yes"]).run().success();
        again.stdout_has("No changes");
        assert!(
            scope.writes().is_empty(),
            "{kind}: a no-op up wrote {:?}",
            scope.writes()
        );
        again.then().args(["down", "--yes"]).run().success();
        assert_eq!(aws.inventory(&name), kept_repository(&name), "{kind}");
    }
}

#[test]
fn a_changed_spec_shows_exactly_that_and_up_applies_it_in_place() {
    let scope = Scope::new();
    let name = scope.name.clone();
    let aws = Aws::new();
    let out = Test::new()
        .example("static-site", &name)
        .emulator(&scope)
        .args(["up", "--yes"])
        .run()
        .success();
    let spec = out.read("pipewright.yml");
    let changed = spec
        .replace(
            "  commands:\n",
            "  image: aws/codebuild/standard:8.0\n  commands:\n",
        )
        .replace(
            "    - mkdir -p dist",
            "    - echo changed\n    - mkdir -p dist",
        );
    assert_ne!(spec, changed);
    std::fs::write(out.dir.path().join("pipewright.yml"), changed).expect("edit spec");

    let plan = out
        .then()
        .args(["plan", "--detailed-exitcode"])
        .run()
        .code(3);
    plan.stdout_has(&format!("~ CodeBuild project {name}-build"))
        .stdout_has(
            "environment.image: \"aws/codebuild/standard:7.0\" → \"aws/codebuild/standard:8.0\"",
        )
        .stdout_has("0 to create, 1 to update, 0 to replace, 0 to delete");
    assert!(
        plan.stdout
            .lines()
            .any(|l| l.trim_start().starts_with('+') && l.ends_with("- echo changed")),
        "the buildspec diff shows the added command:\n{}",
        plan.stdout
    );

    // Changing what exists needs a yes; without a terminal there is nobody to ask.
    let refused = plan.then().args(["up"]).run().code(2);
    refused.stderr_has("--yes");
    let applied = refused.then().args(["up", "--yes"]).run().success();
    // Progress goes to stderr: one in-place update, nothing created.
    applied
        .stderr_has("updated CodeBuild project")
        .stderr_lacks("created");
    let projects = block_on(
        aws.codebuild
            .batch_get_projects()
            .names(format!("{name}-build"))
            .send(),
    )
    .expect("project");
    assert_eq!(
        projects.projects()[0].environment().map(|e| e.image()),
        Some("aws/codebuild/standard:8.0")
    );
    applied
        .then()
        .args(["plan", "--detailed-exitcode"])
        .run()
        .success();
}

#[test]
fn adding_an_environment_adds_its_stage_and_bucket() {
    let scope = Scope::new();
    let name = scope.name.clone();
    let aws = Aws::new();
    let out = Test::new()
        .example("static-site", &name)
        .emulator(&scope)
        .args(["up", "--yes"])
        .run()
        .success();
    let spec = out.read("pipewright.yml");
    let start = spec.find("deploy:\n").expect("deploy block");
    let with_envs = format!(
        "{}environments:\n  - name: staging\n    deploy:\n      s3: {{ bucket: {name}-staging }}\n  - name: prod\n    approval: true\n    deploy:\n      s3: {{ bucket: {name}-prod }}\n",
        &spec[..start]
    );
    std::fs::write(out.dir.path().join("pipewright.yml"), with_envs).expect("edit spec");
    let plan = out.then().args(["plan"]).run().success();
    plan.stdout_has(&format!("+ S3 bucket {name}-staging"))
        .stdout_has(&format!("+ S3 bucket {name}-prod"))
        .stdout_has(&format!("- S3 bucket {name}-site"))
        .stdout_has(&format!("~ pipeline {name}-pipeline"));
    plan.then().args(["up", "--yes"]).run().success();
    let pipeline = block_on(
        aws.codepipeline
            .get_pipeline()
            .name(format!("{name}-pipeline"))
            .send(),
    )
    .expect("pipeline");
    let stages: Vec<&str> = pipeline
        .pipeline()
        .expect("declaration")
        .stages()
        .iter()
        .map(|s| s.name())
        .collect();
    assert_eq!(stages, vec!["Source", "Build", "staging", "prod"]);
    let prod = &pipeline.pipeline().expect("declaration").stages()[3];
    assert_eq!(
        prod.actions()[0].action_type_id().map(|t| t.provider()),
        Some("Manual")
    );
    assert!(
        block_on(aws.s3.head_bucket().bucket(format!("{name}-site")).send()).is_err(),
        "the old site bucket is gone"
    );
}

#[test]
fn a_same_named_foreign_resource_is_refused_by_up_and_down() {
    let scope = Scope::new();
    let name = scope.name.clone();
    let aws = Aws::new();
    let group = format!("/aws/codebuild/{name}-build");
    block_on(aws.logs.create_log_group().log_group_name(&group).send())
        .expect("create a foreign log group");

    let up = Test::new()
        .example("static-site", &name)
        .emulator(&scope)
        .args(["up", "--yes"])
        .run()
        .code(1);
    up.stdout_has(&format!("Refused: log group {group}"))
        .stderr_has("nothing was changed");
    assert!(
        block_on(
            aws.iam
                .get_role()
                .role_name(format!("{name}-codebuild-role"))
                .send()
        )
        .is_err(),
        "a refused up creates nothing"
    );
    let down = up.then().args(["down", "--yes"]).run().success();
    down.stdout_has(&format!("log group {group}"));
    let groups = block_on(
        aws.logs
            .describe_log_groups()
            .log_group_name_prefix(&group)
            .send(),
    )
    .expect("groups");
    assert_eq!(
        groups.log_groups().len(),
        1,
        "down must not touch what it does not own"
    );
}

#[test]
fn up_and_down_converge_through_injected_faults() {
    let aws = Aws::new();
    for seed in [1, 2, 3] {
        let scope = Scope::new();
        let name = scope.name.clone();
        scope.configure(serde_json::json!({
            "fault_rate": 0.1, "fault_seed": seed, "fault_phase": "mixed",
            "fault_kinds": ["throttle", "500"],
        }));
        let out = Test::new()
            .example("static-site", &name)
            .emulator(&scope)
            .args(["up", "--yes"])
            .run()
            .success();
        scope.configure(serde_json::json!({ "fault_rate": 0.0 }));
        let plan = out
            .then()
            .args(["plan", "--detailed-exitcode"])
            .run()
            .success();
        plan.stdout_has("No changes");
        assert_eq!(
            aws.inventory(&name),
            static_site(&name),
            "seed {seed}: no duplicates, nothing missing"
        );
        scope.configure(serde_json::json!({ "fault_rate": 0.1, "fault_seed": seed + 100, "fault_phase": "mixed" }));
        plan.then().args(["down", "--yes"]).run().success();
        assert_eq!(aws.inventory(&name), kept_repository(&name), "seed {seed}");
    }
}

#[test]
fn json_plan_is_data() {
    let scope = Scope::new();
    let out = Test::new()
        .example("static-site", &scope.name)
        .emulator(&scope)
        .args(["plan", "--output", "json"])
        .run()
        .success();
    let plan = out.json();
    // 3 roles and their 3 policies, 2 buckets, the repository, the log group, the project,
    // the pipeline and the rule.
    assert_eq!(plan["summary"]["create"], 13, "{plan}");
    assert_eq!(plan["changes"][0]["action"], "create");
}

#[test]
fn an_unreachable_endpoint_fails_fast_with_its_url() {
    let scope = Scope::new();
    Test::new()
        .example("static-site", &scope.name)
        .emulator(&scope)
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_MAX_ATTEMPTS", "1")
        .args(["plan"])
        .run()
        .code(1)
        .stderr_has("cannot reach http://127.0.0.1:9");
}

#[test]
fn an_s3_source_bucket_must_exist_and_keep_versions_before_anything_is_written() {
    let scope = Scope::new();
    let name = scope.name.clone();
    let aws = Aws::new();
    let bucket = format!("{name}-source");
    let test = Test::new().example("static-site", &name);
    let spec = s3_source_spec(&test, &name, &bucket);

    // No bucket: refused, and nothing of the pipeline exists.
    let missing = test
        .spec(&spec)
        .emulator(&scope)
        .args(["up", "--yes"])
        .run()
        .code(1);
    missing
        .stderr_has(&format!("the source bucket {bucket} does not exist"))
        .stderr_has("nothing was changed");
    assert_eq!(aws.inventory(&name), BTreeSet::new());

    // A bucket without versioning: refused with the command that fixes it.
    block_on(aws.s3.create_bucket().bucket(&bucket).send()).expect("CreateBucket");
    let unversioned = missing.then().args(["up", "--yes"]).run().code(1);
    unversioned
        .stderr_has(&format!(
            "the source bucket {bucket} does not keep versions"
        ))
        .stderr_has("put-bucket-versioning");
    assert_eq!(aws.inventory(&name), BTreeSet::new());

    // Versioned: up goes ahead.
    block_on(
        aws.s3
            .put_bucket_versioning()
            .bucket(&bucket)
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send(),
    )
    .expect("PutBucketVersioning");
    let up = unversioned.then().args(["up", "--yes"]).run().success();
    assert!(!aws.inventory(&name).is_empty());
    up.then().args(["down", "--yes"]).run().success();
    assert_eq!(aws.inventory(&name), BTreeSet::new());
}

#[test]
fn down_keeps_a_bucket_holding_objects_it_did_not_write_until_forced() {
    let scope = Scope::new();
    let name = scope.name.clone();
    let aws = Aws::new();
    scope.configure(serde_json::json!({ "start_on_create": false }));
    let up = Test::new()
        .example("static-site", &name)
        .emulator(&scope)
        .args(["up", "--yes"])
        .run()
        .success();
    let site = format!("{name}-site");
    block_on(
        aws.s3
            .put_object()
            .bucket(&site)
            .key("uploads/mine.txt")
            .body(b"the user's".to_vec().into())
            .send(),
    )
    .expect("PutObject");

    let down = up.then().args(["down", "--yes"]).run().success();
    down.stdout_has(&format!(
        "Kept: S3 bucket {site} (it holds 1 object(s) pipewright did not write (e.g. \
         uploads/mine.txt); `down --force` empties and deletes it anyway)"
    ));
    assert!(
        block_on(aws.s3.head_bucket().bucket(&site).send()).is_ok(),
        "down deleted a bucket holding the user's object"
    );
    assert!(
        block_on(aws.s3.head_bucket().bucket(artifact_bucket(&name)).send()).is_err(),
        "the artifact bucket holds only what pipewright wrote: it goes"
    );

    down.then()
        .args(["down", "--yes", "--force"])
        .run()
        .success();
    assert!(
        block_on(aws.s3.head_bucket().bucket(&site).send()).is_err(),
        "down --force empties and deletes it"
    );
}
