//! Properties of the whole render: the built-in templates add nothing of their own, output always
//! parses back into the typed structs, and spec problems name the field to fix.

use proptest::prelude::*;

use super::bundle::bundle;
use super::templates::Templates;
use super::yaml::{from_yaml, to_yaml};
use super::*;

fn spec(yaml: &str) -> Spec {
    serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("test spec: {e}"))
}

const SERVER: &str = "
version: 1
name: hello
source: {codecommit: {repository: hello}}
build:
  runtimes: {nodejs: '20', python: '3.10'}
  env: {GREETING: 'on', EMPTY: ''}
  secrets: {API_KEY: 'ssm:/hello/api-key', DB_PASS: 'secretsmanager:prod/db:password'}
  install: [npm ci]
  pre_build: [echo pre]
  commands: ['mkdir -p dist && cp -r app/. dist/']
  post_build: [echo post]
  artifacts: {base_directory: dist}
  reports: {unit: {files: ['reports/*.xml'], format: JUNITXML}}
  cache: ['/root/.npm/**/*']
deploy:
  codedeploy:
    platform: server
    targets: {ec2_tags: {app: hello}}
    hooks:
      validate_service: scripts/validate.sh
      application_start: {location: ./scripts/start.sh, timeout: 300, runas: root}
      application_stop: scripts/stop.sh
";

const LAMBDA: &str = "
version: 1
name: fn
source: {codecommit: {repository: fn}}
build: {commands: [echo build]}
deploy:
  codedeploy:
    platform: lambda
    strategy: canary
    lambda: {function: hello, alias: live}
";

const ECS: &str = "
version: 1
name: svc
source: {codecommit: {repository: svc}}
build: {commands: [echo build]}
deploy:
  codedeploy:
    platform: ecs
    strategy: blue-green
    ecs:
      cluster: c
      service: s
      container: web
      port: 8080
      target_groups: [blue, green]
      listener: arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/x/1/2
    hooks: {after_allow_test_traffic: smoke}
";

const STATIC: &str = "
version: 1
name: site
source: {codecommit: {repository: site}}
build: {}
deploy: {s3: {bucket: site-bucket}}
";

/// With the built-in templates the output is exactly the typed struct, written canonically.
#[test]
fn built_in_templates_reproduce_the_typed_structs() {
    for yaml in [SERVER, LAMBDA, ECS, STATIC] {
        let spec = spec(yaml);
        let out = Renderer::built_in().generate(&spec).unwrap();
        let typed_appspec = AppSpec::from_spec(&spec).unwrap();
        let expected_appspec = typed_appspec
            .as_ref()
            .map(|a| with_header(&to_yaml(a, "appspec").unwrap()));
        assert_eq!(out.appspec, expected_appspec, "{yaml}");
        let bundle = bundle(&spec, typed_appspec.as_ref(), out.appspec.as_deref()).unwrap();
        let typed = BuildSpec::from_spec(&spec, &bundle).unwrap();
        assert_eq!(
            out.buildspec,
            with_header(&to_yaml(&typed, "buildspec").unwrap()),
            "{yaml}"
        );
        let back: BuildSpec = from_yaml(&out.buildspec).unwrap();
        assert_eq!(back, typed);
    }
}

#[test]
fn secrets_are_references_and_runtimes_strings() {
    let text = buildspec(&spec(SERVER)).unwrap();
    assert!(
        text.contains("  parameter-store:\n    API_KEY: /hello/api-key\n"),
        "{text}"
    );
    assert!(
        text.contains("  secrets-manager:\n    DB_PASS: prod/db:password\n"),
        "{text}"
    );
    assert!(
        text.contains("  variables:\n    EMPTY: \"\"\n    GREETING: \"on\"\n"),
        "{text}"
    );
    assert!(
        text.contains("      nodejs: \"20\"\n      python: \"3.10\"\n"),
        "{text}"
    );
    assert!(!text.contains("ssm:"), "{text}");
}

#[test]
fn server_hooks_follow_the_lifecycle_and_bundle_runs_last() {
    let spec = spec(SERVER);
    let text = appspec(&spec).unwrap().unwrap();
    let stop = text.find("ApplicationStop").unwrap();
    let start = text.find("ApplicationStart").unwrap();
    let validate = text.find("ValidateService").unwrap();
    assert!(stop < start && start < validate, "{text}");
    assert!(text.contains("location: scripts/start.sh\n"), "{text}");
    assert!(text.contains("\nversion: 0.0\n"), "{text}");

    let build: BuildSpec = from_yaml(&buildspec(&spec).unwrap()).unwrap();
    let post = build.phases.post_build.unwrap().commands;
    assert_eq!(post[0], "echo post", "the user's post_build runs first");
    assert!(
        post.last()
            .unwrap()
            .starts_with("cat > dist/appspec.yml <<'PIPEWRIGHT_APPSPEC'\n")
    );
    assert!(post.last().unwrap().contains(&text));
}

#[test]
fn lambda_and_ecs_appspecs() {
    // Lambda deploys through CodePipeline's Lambda action: no appspec, and a build that only
    // packages the code (it never publishes or shifts anything itself).
    assert_eq!(appspec(&spec(LAMBDA)).unwrap(), None);
    let build = buildspec(&spec(LAMBDA)).unwrap();
    assert!(!build.contains("aws lambda"), "{build}");

    let ecs = appspec(&spec(ECS)).unwrap().unwrap();
    assert!(ecs.contains("TaskDefinition: <TASK_DEFINITION>"), "{ecs}");
    assert!(ecs.contains("ContainerPort: 8080\n"), "{ecs}");
    assert!(
        ecs.contains("Hooks:\n  - AfterAllowTestTraffic: smoke\n"),
        "{ecs}"
    );
}

#[test]
fn a_spec_without_commands_still_has_a_phase() {
    let build: BuildSpec = from_yaml(&buildspec(&spec(STATIC)).unwrap()).unwrap();
    assert!(build.phases.build.is_some());
    assert_eq!(appspec(&spec(STATIC)).unwrap(), None);
}

#[test]
fn spec_problems_name_the_field() {
    let cases = [
        (
            SERVER.replace("'ssm:/hello/api-key'", "hunter2"),
            "build.secrets.API_KEY",
        ),
        (
            SERVER.replace("application_stop:", "after_allow_test_traffic:"),
            "deploy.codedeploy.hooks.after_allow_test_traffic",
        ),
        (
            SERVER.replace("./scripts/start.sh", "../start.sh"),
            "deploy.codedeploy.hooks.application_start",
        ),
        (
            SERVER.replace(
                "base_directory: dist}",
                "base_directory: dist, discard_paths: true}",
            ),
            "build.artifacts.discard_paths",
        ),
        (
            STATIC.replace("build: {}", "build: {}\ntemplates: tpl"),
            "templates",
        ),
    ];
    for (yaml, field) in cases {
        let err = buildspec(&spec(&yaml)).unwrap_err();
        assert!(err.to_string().starts_with(field), "{field}: {err}");
    }
}

#[test]
fn environments_must_agree_on_the_appspec() {
    let yaml = "
version: 1
name: multi
source: {codecommit: {repository: multi}}
build: {commands: [echo]}
environments:
  - name: staging
    deploy: {codedeploy: {platform: server, hooks: {application_start: a.sh}}}
  - name: prod
    approval: true
    deploy: {codedeploy: {platform: server, hooks: {application_start: b.sh}}}
";
    let err = appspec(&spec(yaml)).unwrap_err().to_string();
    assert!(
        err.starts_with("environments[1].deploy.codedeploy"),
        "{err}"
    );
    let same = yaml.replace("b.sh", "a.sh");
    assert!(appspec(&spec(&same)).unwrap().is_some());
}

#[test]
fn artifact_files_gain_what_codedeploy_needs() {
    let yaml = SERVER.replace(
        "artifacts: {base_directory: dist}",
        "artifacts: {base_directory: dist, files: ['app/**/*', 'scripts/*']}",
    );
    let build: BuildSpec = from_yaml(&buildspec(&spec(&yaml)).unwrap()).unwrap();
    assert_eq!(
        build.artifacts.unwrap().files,
        ["app/**/*", "scripts/*", "appspec.yml"]
    );
}

#[test]
fn built_in_templates_need_no_folder() {
    assert!(
        Templates::built_in()
            .display(templates::BUILDSPEC)
            .contains("built-in")
    );
}

proptest! {
    /// Whatever the commands and values, the rendered buildspec reads back as the same data.
    #[test]
    fn any_commands_survive_the_template(
        commands in proptest::collection::vec(any::<String>(), 1..5),
        values in proptest::collection::btree_map("[A-Z][A-Z0-9_]{0,8}", any::<String>(), 0..4),
    ) {
        let mut spec = spec(STATIC);
        spec.build.commands.clone_from(&commands);
        spec.build.env = values;
        let text = buildspec(&spec).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back: BuildSpec = from_yaml(&text).map_err(|e| TestCaseError::fail(format!("{e:?}\n{text}")))?;
        prop_assert_eq!(back.phases.build.unwrap().commands, commands);
        prop_assert_eq!(back.env.variables, spec.build.env);
    }
}
