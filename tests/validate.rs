//! `pipewright validate`: every malformed spec exits 2 naming the exact `file:line:column` and
//! what is wrong; valid specs exit 0 with a summary; warnings pass unless `--strict`.

use std::fmt::Write as _;

use crate::support::Test;

/// The smallest valid spec; malformed cases below are small edits of it.
const MINIMAL: &str = include_str!("specs/minimal.yml");
const FULL: &str = include_str!("specs/full.yml");
const LAMBDA: &str = include_str!("specs/lambda.yml");
const ECS: &str = include_str!("specs/ecs.yml");
const SERVER: &str = include_str!("specs/server.yml");

/// The hook scripts `full.yml` names, so it validates without warnings.
const FULL_SCRIPTS: [&str; 4] = [
    "scripts/stop.sh",
    "scripts/install.sh",
    "scripts/start.sh",
    "scripts/validate.sh",
];

/// `MINIMAL` with `from` replaced by `to` (which must occur once).
fn edit(base: &str, from: &str, to: &str) -> String {
    assert_eq!(base.matches(from).count(), 1, "{from:?} must occur once");
    base.replacen(from, to, 1)
}

/// Validate `spec`: exit 2, exactly one error, at `pipewright.yml:<at>`, saying `phrase`.
fn rejects(spec: impl AsRef<[u8]>, at: &str, phrase: &str) {
    let out = Test::new()
        .file("pipewright.yml", spec)
        .args(["validate"])
        .run()
        .code(2);
    out.stderr_has(&format!("pipewright.yml:{at}: "))
        .stderr_has(phrase)
        .stderr_has("pipewright.yml is not valid: 1 error")
        .stderr_lacks("panicked");
}

macro_rules! malformed {
    ($($name:ident: $spec:expr => $at:literal, $phrase:literal;)+) => {
        $(
            #[test]
            fn $name() {
                rejects($spec, $at, $phrase);
            }
        )+
    };
}

// YAML syntax and bytes that are not a YAML document.
malformed! {
    bad_indentation: edit(MINIMAL, "    repository: hello-web\n", "    repository: hello-web\n   branch: main\n")
        => "6:4", "did not find expected key";
    unclosed_quote: edit(MINIMAL, "name: hello-web", "name: \"hello-web")
        => "2:7", "unclosed quote";
    unclosed_flow_list: edit(MINIMAL, "[npm ci, npm run build]", "[npm ci, npm run build")
        => "7:13", "this `[` is never closed";
    tab_indentation: edit(MINIMAL, "    repository", "\trepository")
        => "5:1", "tabs";
    duplicate_key: format!("{MINIMAL}name: again\n")
        => "11:1", "duplicate key `name`";
    second_document: format!("{MINIMAL}---\nname: again\n")
        => "11:1", "a second YAML document";
    undefined_alias: edit(MINIMAL, "name: hello-web", "name: *pipeline")
        => "2:7", "alias to an anchor that is not defined";
    custom_tag: edit(MINIMAL, "name: hello-web", "name: !Ref PipelineName")
        => "2:7", "YAML tags";
    alias_bomb: billion_laughs()
        => "5:8", "aliases expand too far";
    deep_flow_nesting: format!("{MINIMAL}templates: {}{}\n", "[".repeat(10_000), "]".repeat(10_000))
        => "11:75", "nested more than 64 levels deep";
    deep_block_nesting: format!("{MINIMAL}templates:\n{}x\n", "- ".repeat(10_000))
        => "12:127", "nested more than 64 levels deep";
    deep_mapping_nesting: format!("{MINIMAL}templates: {}1{}\n", "{a: ".repeat(10_000), "}".repeat(10_000))
        => "11:264", "nested more than 64 levels deep";
    empty_file: ""
        => "1:1", "the spec is empty";
    only_comments: "# pipewright.yml\n# nothing yet\n"
        => "1:1", "the spec is empty";
    binary_garbage: b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00"
        => "1:8", "NUL byte";
    png_bytes: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
        => "1:1", "not UTF-8";
    invalid_utf8: latin1_name()
        => "2:10", "not UTF-8";
    top_level_list: "- version: 1\n- name: hello-web\n"
        => "1:1", "expected a mapping for the spec, found a list";
    top_level_scalar: "hello-web\n"
        => "1:1", "expected a mapping for the spec, found the string `hello-web`";
}

// Wrong kinds of values, out of range, not in the enum, missing.
malformed! {
    list_expected: edit(MINIMAL, "[npm ci, npm run build]", "{npm: ci}")
        => "7:13", "expected a list of strings for `build.commands`, found a mapping";
    quoted_number: edit(MINIMAL, "  commands:", "  timeout_minutes: \"30\"\n  commands:")
        => "7:20", "remove the quotes";
    yaml11_boolean: edit(MINIMAL, "  commands:", "  privileged: yes\n  commands:")
        => "7:15", "expected true or false for `build.privileged`, found the string `yes`";
    version_two: edit(MINIMAL, "version: 1", "version: 2")
        => "1:10", "`version` must be 1, found 2";
    timeout_out_of_range: edit(MINIMAL, "  commands:", "  timeout_minutes: 3000\n  commands:")
        => "7:20", "must be from 5 to 2160, found 3000";
    port_out_of_range: edit(ECS, "port: 8080", "port: 70000")
        => "17:13", "`deploy.codedeploy.ecs.port` must be from 1 to 65535";
    empty_required_string: edit(MINIMAL, "repository: hello-web", "repository:")
        => "5:5", "expected a string for `source.codecommit.repository`, found nothing";
    unknown_top_level_key: edit(MINIMAL, "name: hello-web\n", "name: hello-web\nregoin: eu-west-1\n")
        => "3:1", "did you mean `region`?";
    unknown_nested_key: edit(MINIMAL, "    repository: hello-web\n", "    repository: hello-web\n    brnch: main\n")
        => "6:5", "unknown key `brnch` in `source.codecommit`";
    unknown_deep_key: edit(SERVER, "    strategy: rolling", "    strsategy: rolling")
        => "12:5", "did you mean `strategy`?";
    unknown_source_kind: edit(MINIMAL, "  codecommit:", "  codecomit:")
        => "4:3", "did you mean `codecommit`?";
    key_under_wrong_parent: edit(MINIMAL, "    bucket: hello-web-site\n", "    bucket: hello-web-site\n  website: {index: index.html}\n")
        => "11:3", "indent it under `s3:`";
    bad_strategy: edit(LAMBDA, "strategy: canary", "strategy: canry")
        => "12:15", "did you mean `canary`?";
    bad_compute: edit(MINIMAL, "  commands:", "  compute: xlarge\n  commands:")
        => "7:12", "`xlarge` is not a valid compute: expected `small`, `medium`, `large` or `2xlarge`";
    bad_platform: edit(LAMBDA, "platform: lambda", "platform: ec2")
        => "11:15", "expected `server`, `lambda` or `ecs`";
    missing_name: edit(MINIMAL, "name: hello-web\n", "")
        => "1:1", "missing `name`";
    missing_repository: edit(MINIMAL, "repository: hello-web", "branch: main")
        => "4:3", "missing `repository` in `source.codecommit`";
    no_environments: edit(MINIMAL, "deploy:\n  s3:\n    bucket: hello-web-site\n", "environments: []\n")
        => "8:15", "expected at least 1 item for `environments`, found 0";
}

// AWS naming rules for the names the spec produces.
malformed! {
    name_pattern: edit(MINIMAL, "name: hello-web", "name: Hello_Web")
        => "2:7", "may contain only lowercase letters, digits and `-`";
    name_too_long_for_artifact_bucket: edit(MINIMAL, "name: hello-web", "name: hello-web-with-a-long-name")
        => "2:7", "shorten `name` to at most 25 characters";
    name_too_long_for_iam_roles: edit(MINIMAL, "name: hello-web", &format!("name: {}", "a".repeat(50)))
        => "2:7", "the CodePipeline role";
    codecommit_repository_name: edit(MINIMAL, "repository: hello-web", "repository: hello-web.git")
        => "5:17", "may not end with `.git`";
    s3_bucket_name: edit(MINIMAL, "bucket: hello-web-site", "bucket: Hello_Site")
        => "10:13", "is not a valid bucket name";
    s3_bucket_like_an_ip: edit(MINIMAL, "bucket: hello-web-site", "bucket: 192.168.10.1")
        => "10:13", "may not look like an IP address";
    deployment_group_name: lambda_environment(&"e".repeat(90))
        => "9:11", "the deployment group name";
    region_syntax: edit(MINIMAL, "name: hello-web\n", "name: hello-web\nregion: europe\n")
        => "3:9", "is not an AWS Region";
    reserved_tag_key: edit(MINIMAL, "name: hello-web\n", "name: hello-web\ntags:\n  aws:team: web\n")
        => "4:3", "reserved by AWS";
    github_repository: edit(MINIMAL, "  codecommit:\n    repository: hello-web\n", "  github:\n    repository: hello-web\n    connection: arn:aws:codeconnections:eu-west-1:123456789012:connection/abc\n")
        => "5:17", "is not `owner/repo`";
    connection_arn: edit(MINIMAL, "  codecommit:\n    repository: hello-web\n", "  github:\n    repository: octo/hello-web\n    connection: my-connection\n")
        => "6:17", "is not a connection ARN";
    env_var_name: edit(MINIMAL, "  commands:", "  env:\n    NODE-ENV: production\n  commands:")
        => "8:5", "an environment variable name";
    branch_name: edit(MINIMAL, "    repository: hello-web\n", "    repository: hello-web\n    branch: feature..x\n")
        => "6:13", "is not a valid branch name";
    image_name: edit(MINIMAL, "  commands:", "  image: aws/codebuild/standard\n  commands:")
        => "7:10", "needs a version";
    compute_for_arm_image: edit(MINIMAL, "  commands:", "  image: aws/codebuild/amazonlinux2-aarch64-standard:3.0\n  compute: 2xlarge\n  commands:")
        => "8:12", "runs only Linux x86 images";
    log_retention: edit(MINIMAL, "  commands:", "  log_retention_days: 10\n  commands:")
        => "7:23", "cannot keep logs for 10 days";
    absolute_buildspec: edit(MINIMAL, "  commands:", "  buildspec: /etc/buildspec.yml\n  commands:")
        => "7:14", "must be relative";
    kms_key_alias: edit(MINIMAL, "name: hello-web\n", "name: hello-web\nkms_key: alias/pipelines\n")
        => "3:10", "is not a KMS key ARN";
    kms_key_region: edit(MINIMAL, "name: hello-web\n", "name: hello-web\nregion: eu-west-1\nkms_key: arn:aws:kms:us-east-1:123456789012:key/abc\n")
        => "4:10", "the key is in us-east-1, the pipeline in eu-west-1";
}

// Strategy versus platform, secrets, stage structure.
malformed! {
    canary_on_server: edit(SERVER, "strategy: rolling", "strategy: canary")
        => "12:15", "strategy `canary` does not apply to platform `server`";
    rolling_on_lambda: edit(LAMBDA, "strategy: canary\n    traffic: {percent: 10, interval_minutes: 5}\n", "strategy: rolling\n")
        => "12:15", "strategy `rolling` does not apply to platform `lambda`";
    blue_green_server_without_load_balancer: edit(
        &edit(SERVER, "strategy: rolling", "strategy: blue-green\n    instance_role: web-instance"),
        "ec2_tags: {app: hello-srv}", "autoscaling_groups: [web-asg]")
        => "10:3", "blue-green on servers needs a `load_balancer`";
    blue_green_with_ec2_tags: edit(SERVER, "strategy: rolling", "strategy: blue-green\n    load_balancer: {target_groups: [web-tg]}")
        => "15:7", "which CodePipeline's CodeDeploy action cannot do";
    blue_green_copy_without_instance_role: edit(
        &edit(SERVER, "strategy: rolling", "strategy: blue-green\n    load_balancer: {target_groups: [web-tg]}"),
        "ec2_tags: {app: hello-srv}", "autoscaling_groups: [web-asg]")
        => "10:3", "CodeDeploy must be allowed to pass that role";
    blue_green_on_premises: edit(
        &edit(SERVER, "strategy: rolling", "strategy: blue-green\n    load_balancer: {target_groups: [web-tg]}"),
        "ec2_tags: {app: hello-srv}", "on_premises_tags: {app: hello-srv}")
        => "15:7", "blue-green cannot replace on-premises servers";
    server_without_targets: edit(SERVER, "    targets:\n      ec2_tags: {app: hello-srv}\n", "")
        => "10:3", "a server deployment needs `targets`";
    ecs_with_one_target_group: edit(ECS, "[hello-svc-blue, hello-svc-green]", "[hello-svc-blue]")
        => "18:22", "exactly two target groups";
    ecs_listener_arn: edit(ECS, "listener: arn:aws:elasticloadbalancing", "listener: arn:aws:elb")
        => "19:17", "is not a load balancer listener ARN";
    lambda_without_target: edit(LAMBDA, "    lambda: {function: hello-fn, alias: live}\n", "")
        => "10:3", "a lambda deployment needs a `lambda` block";
    traffic_without_canary: edit(LAMBDA, "strategy: canary", "strategy: all-at-once")
        => "13:5", "`traffic` only applies to strategy canary or linear";
    traffic_percent: edit(LAMBDA, "percent: 10", "percent: 100")
        => "13:24", "must be from 1 to 99, found 100";
    minimum_healthy_without_rolling: edit(SERVER, "    strategy: rolling\n", "    strategy: half-at-a-time\n    minimum_healthy: {hosts: 1}\n")
        => "13:5", "`minimum_healthy` only applies to strategy rolling";
    hooks_on_lambda: format!("{LAMBDA}    hooks:\n      before_allow_traffic: hello-fn-smoke-test\n")
        => "15:5", "lambda deployments run no lifecycle hooks";
    lambda_shift_longer_than_two_days: edit(LAMBDA, "strategy: canary\n    traffic: {percent: 10, interval_minutes: 5}", "strategy: linear\n    traffic: {percent: 10, interval_minutes: 400}")
        => "13:14", "waits at most 2 days";
    hook_timeout: edit(SERVER, "application_start: scripts/start.sh", "application_start: {location: scripts/start.sh, timeout: 7200}")
        => "18:64", "must be from 1 to 3600";
    server_setting_on_lambda: edit(LAMBDA, "    lambda:", "    os: windows\n    lambda:")
        => "14:5", "`os` is for platform server";
    secret_reference: edit(MINIMAL, "  commands:", "  secrets:\n    DB_PASSWORD: vault:db\n  commands:")
        => "8:18", "is not a secret reference";
    secrets_manager_reference: edit(MINIMAL, "  commands:", "  secrets:\n    DB_PASSWORD: secretsmanager:db:password:AWSCURRENT:v1\n  commands:")
        => "8:18", "give a version stage or a version id, not both";
    deploy_and_environments: format!("{MINIMAL}environments:\n  - name: prod\n    deploy: {{s3: {{bucket: hello-web-prod}}}}\n")
        => "11:1", "both `deploy` and `environments` are given";
    neither_deploy_nor_environments: edit(MINIMAL, "deploy:\n  s3:\n    bucket: hello-web-site\n", "")
        => "1:1", "no deploy stage";
    two_sources: edit(MINIMAL, "    repository: hello-web\n", "    repository: hello-web\n  s3: {bucket: hello-src, key: app.zip}\n")
        => "6:3", "`s3` and `codecommit` (line 4) both given";
    two_deploy_kinds: format!("{MINIMAL}  codedeploy: {{platform: lambda}}\n")
        => "11:3", "`codedeploy` and `s3` (line 9) both given";
    duplicate_environment: environments_with("prod").replace("name: staging", "name: prod")
        => "12:11", "environment `prod` is already defined (line 9)";
    reserved_stage_name: environments_with("Build")
        => "12:11", "is the name of a stage pipewright creates";
    environments_disagree_on_appspec: format!(
        "{}  - name: dr\n    deploy:\n      codedeploy:\n        platform: server\n        targets: {{ec2_tags: {{app: dr}}}}\n        files: [{{source: /, destination: /opt/dr}}]\n",
        server_environment("prod"))
        => "23:9", "`files` differs from environment `prod`";
    site_bucket_shared: environments_with("prod").replace("hello-web-prod", "hello-web-staging")
        => "14:20", "is already the site of environment `staging`";
}

/// Two environments: `staging` (S3) and a second one named `second`.
fn environments_with(second: &str) -> String {
    edit(
        MINIMAL,
        "deploy:\n  s3:\n    bucket: hello-web-site\n",
        &format!(
            "environments:\n  - name: staging\n    deploy:\n      s3: {{bucket: hello-web-staging}}\n  - name: {second}\n    deploy:\n      s3: {{bucket: hello-web-prod}}\n"
        ),
    )
}

/// A staging S3 stage, then a lambda CodeDeploy stage named `second`.
fn lambda_environment(second: &str) -> String {
    edit(
        MINIMAL,
        "deploy:\n  s3:\n    bucket: hello-web-site\n",
        &format!(
            "environments:\n  - name: {second}\n    deploy:\n      codedeploy:\n        platform: lambda\n        lambda: {{function: hello-fn, alias: live}}\n  - name: staging\n    deploy:\n      s3: {{bucket: hello-web-staging}}\n"
        ),
    )
}

/// A server CodeDeploy stage named `first`, then a staging S3 stage.
fn server_environment(first: &str) -> String {
    edit(
        MINIMAL,
        "deploy:\n  s3:\n    bucket: hello-web-site\n",
        &format!(
            "environments:\n  - name: {first}\n    deploy:\n      codedeploy:\n        platform: server\n        targets: {{ec2_tags: {{app: web}}}}\n        files: [{{source: /, destination: /opt/web}}]\n  - name: staging\n    deploy:\n      s3: {{bucket: hello-web-staging}}\n"
        ),
    )
}

/// Nine levels of nine aliases: a billion "lol"s if expanded.
fn billion_laughs() -> String {
    let mut yaml = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        let uses = vec![format!("*{}", pair[0]); 9].join(",");
        let _ = writeln!(yaml, "{}: &{} [{uses}]", pair[1], pair[1]);
    }
    yaml
}

/// `MINIMAL` named `café` in Latin-1: one byte 0xE9 that is not UTF-8.
fn latin1_name() -> Vec<u8> {
    MINIMAL
        .replacen("hello-web", "caf\u{7f}", 1)
        .bytes()
        .map(|b| if b == 0x7f { 0xE9 } else { b })
        .collect()
}

#[test]
fn several_errors_are_all_reported_in_one_run() {
    let spec = "version: 2\nname: Hello\nsource:\n  codecommit:\n    repository: hello\n    brnch: main\nbuild:\n  commands: {a: b}\n  compute: huge\ndeploy:\n  codedeploy:\n    platform: server\n    strategy: canary\n";
    let out = Test::new().spec(spec).args(["validate"]).run().code(2);
    for at in ["1:10", "2:7", "6:5", "8:13", "9:12", "11:3", "13:15"] {
        out.stderr_has(&format!("pipewright.yml:{at}: "));
    }
    out.stderr_has("pipewright.yml is not valid: 7 errors");
}

#[test]
fn errors_are_listed_in_file_order() {
    let spec = edit(MINIMAL, "name: hello-web", "name: Hello")
        .replace("bucket: hello-web-site", "bucket: X");
    let out = Test::new().spec(&spec).args(["validate"]).run().code(2);
    let first = out.stderr.find("pipewright.yml:2:7:").expect("name error");
    let second = out
        .stderr
        .find("pipewright.yml:10:13:")
        .expect("bucket error");
    assert!(first < second, "{}", out.stderr);
}

#[test]
fn valid_specs_exit_zero_with_a_summary() {
    for (spec, summary) in [
        (
            MINIMAL,
            "pipeline hello-web, source codecommit, build, 1 deploy stage (s3)",
        ),
        (
            LAMBDA,
            "pipeline hello-fn, source s3, build, 1 deploy stage (codedeploy lambda canary)",
        ),
        (
            ECS,
            "pipeline hello-svc, source codecommit, build, 1 deploy stage (codedeploy ecs blue-green)",
        ),
        (
            SERVER,
            "pipeline hello-srv, source codecommit, build, 1 deploy stage (codedeploy server rolling)",
        ),
    ] {
        Test::new()
            .spec(spec)
            .file("scripts/start.sh", "#!/bin/sh\n")
            .args(["validate"])
            .run()
            .success()
            .stdout_has(&format!("pipewright.yml is valid: {summary}"))
            .stderr_lacks("⚠");
    }
}

#[test]
fn the_full_spec_sets_every_field_and_is_valid() {
    let mut test = Test::new().spec(FULL);
    for script in FULL_SCRIPTS {
        test = test.file(script, "#!/bin/sh\n");
    }
    test.args(["validate"])
        .run()
        .success()
        .stdout_has("source github, build, 3 deploy stages (staging: s3, prod: codedeploy server blue-green, prod-eu: codedeploy server rolling)")
        .stderr_lacks("⚠");
}

#[test]
fn a_missing_hook_script_is_a_warning() {
    let out = Test::new().spec(SERVER).args(["validate"]).run().success();
    out.stderr_has("pipewright.yml:18:26: hook script `scripts/start.sh` does not exist")
        .stdout_has("; 1 warning");
}

#[test]
fn strict_turns_warnings_into_errors() {
    Test::new()
        .spec(SERVER)
        .args(["validate", "--strict"])
        .run()
        .code(2)
        .stderr_has("pipewright.yml:18:26: hook script `scripts/start.sh` does not exist")
        .stderr_has("not valid: 1 error");
}

/// `MINIMAL` whose build grants `permissions` (YAML under `build.permissions`, indented 4).
fn with_permissions(permissions: &str) -> String {
    edit(
        MINIMAL,
        "  commands:",
        &format!("  permissions:\n{permissions}  commands:"),
    )
}

#[test]
fn build_permissions_are_iam_actions_on_arns() {
    Test::new()
        .spec(&with_permissions(
            "    statements:\n      - actions: [GetItem]\n        resources: [table/orders]\n",
        ))
        .args(["validate"])
        .run()
        .code(2)
        .stderr_has("pipewright.yml:9:19: `GetItem` is not an IAM action")
        .stderr_has("pipewright.yml:10:21: `table/orders` is not an ARN")
        .stderr_has("not valid: 2 errors");
    Test::new()
        .spec(&with_permissions("    ecr_push: [My_Repo]\n"))
        .args(["validate"])
        .run()
        .code(2)
        .stderr_has("pipewright.yml:8:16: `My_Repo`: not an ECR repository name");
}

#[test]
fn a_star_resource_passes_but_strict_questions_it() {
    let spec = with_permissions(
        "    statements:\n      - actions: [dynamodb:GetItem]\n        resources: [\"*\"]\n",
    );
    Test::new()
        .spec(&spec)
        .args(["validate"])
        .run()
        .success()
        .stderr_has("pipewright.yml:10:21: `*` lets these actions reach every resource")
        .stdout_has("; 1 warning");
    Test::new()
        .spec(&spec)
        .args(["validate", "--strict"])
        .run()
        .code(2)
        .stderr_has("not valid: 1 error");
}

#[test]
fn a_secret_looking_env_value_is_refused_and_never_echoed() {
    let spec = edit(
        MINIMAL,
        "  commands:",
        "  env:\n    AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE\n  commands:",
    );
    Test::new()
        .spec(&spec)
        .args(["validate"])
        .run()
        .code(2)
        .stderr_has(
            "pipewright.yml:8:24: `AWS_ACCESS_KEY_ID` looks like a secret (an AWS access key id)",
        )
        .stderr_has("build.secrets")
        .stderr_lacks("AKIAIOSFODNN7EXAMPLE");
}

#[test]
fn json_output_lists_errors_with_positions() {
    let spec = edit(MINIMAL, "  codecommit:", "  codecommit:\n    brnch: main");
    let out = Test::new()
        .spec(&spec)
        .args(["validate", "--output", "json"])
        .run()
        .code(2);
    let report = out.json();
    assert_eq!(report["valid"], false);
    assert_eq!(report["file"], "pipewright.yml");
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{report:#}");
    assert_eq!(errors[0]["line"], 5);
    assert_eq!(errors[0]["column"], 5);
    assert_eq!(errors[0]["path"], "source.codecommit.brnch");
    assert_eq!(
        errors[0]["message"],
        "unknown key `brnch` in `source.codecommit`"
    );
    assert_eq!(errors[0]["hint"], "did you mean `branch`?");
    assert_eq!(report["warnings"], serde_json::json!([]));
}

#[test]
fn json_output_of_a_valid_spec_lists_warnings() {
    let out = Test::new()
        .spec(SERVER)
        .args(["validate", "--output", "json"])
        .run()
        .success();
    let report = out.json();
    assert_eq!(report["valid"], true);
    assert_eq!(report["errors"], serde_json::json!([]));
    assert_eq!(report["warnings"][0]["line"], 18);
    assert_eq!(
        report["warnings"][0]["path"],
        "deploy.codedeploy.hooks.application_start"
    );
}

#[test]
fn a_missing_file_suggests_init() {
    Test::new()
        .args(["validate", "-f", "nowhere.yml"])
        .run()
        .code(2)
        .stderr_has("nowhere.yml: cannot read the spec: no such file")
        .stderr_has("pipewright init");
}

#[test]
fn the_file_is_named_as_given() {
    Test::new()
        .file("ci/pipe.yml", "version: 2\n")
        .args(["validate", "-f", "ci/pipe.yml"])
        .run()
        .code(2)
        .stderr_has("ci/pipe.yml:1:10: `version` must be 1, found 2");
}

#[test]
fn control_characters_never_reach_the_terminal() {
    let spec = edit(MINIMAL, "name: hello-web", "name: \"\\e[31mred\"");
    let out = Test::new().spec(&spec).args(["validate"]).run().code(2);
    assert!(!out.stderr.contains('\u{1b}'), "{:?}", out.stderr);
    out.stderr_has("\\u{1b}");
}

#[test]
fn every_example_validates() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let Ok(entries) = std::fs::read_dir(&examples) else {
        return; // the examples land with `init` and the templates
    };
    for example in entries.flatten() {
        let spec = example.path().join("pipewright.yml");
        if !spec.is_file() {
            continue;
        }
        Test::new()
            .args(["validate", "--strict", "-f"])
            .args([spec.display().to_string()])
            .run()
            .success()
            .stdout_has("is valid");
    }
}
