//! The CodeBuild, CodePipeline and EventBridge adapters, called as a library against the
//! emulator: `create` → an independent client sees what matters → pipewright's `read` gives back
//! exactly the model → an `update` writes only what changed → an update with nothing to change
//! writes nothing → `delete` twice (the second finds nothing and succeeds) → gone.
//!
//! Each test builds its model from an example spec renamed to its scope's unique name, so the
//! tests run in parallel on one emulator.

use aws_sdk_codepipeline::types::{ActionDeclaration, PipelineType};
use aws_sdk_eventbridge::types::RuleState;
use pipewright::aws::{self, ErrorKind};
use pipewright::model::{
    Action, ActionCategory, ActionOwner, EnvVar, EnvVarSource, Kind, OWNERSHIP_TAG, Resource,
    ResourceId,
};
use serde_json::{Value, json};

use crate::support::adapter::{Session, assert_converged, ops};
use crate::support::aws::{ACCOUNT, REGION, block_on};

impl Session {
    /// Create one of the model's roles (what a project or pipeline must be able to assume).
    fn create_role(&self, name: &str) {
        let role = self
            .model
            .get(&ResourceId::new(Kind::Role, name))
            .unwrap_or_else(|| panic!("the model has no role {name}"));
        block_on(aws::create(&self.clients, role)).expect("create the role");
    }
}

#[test]
fn a_codebuild_project_round_trips() {
    let session = Session::new("static-site");
    let names = session.loaded.spec.names();
    session.create_role(&names.codebuild_role());
    let Resource::Project(mut project) = session.desired(Kind::Project) else {
        unreachable!()
    };
    // Every variable source, to see each read back with its type.
    project.environment.variables = vec![
        EnvVar {
            name: "API_KEY".to_owned(),
            value: "/app/api-key".to_owned(),
            source: EnvVarSource::ParameterStore,
        },
        EnvVar {
            name: "DB_PASSWORD".to_owned(),
            value: "db:password".to_owned(),
            source: EnvVarSource::SecretsManager,
        },
        EnvVar {
            name: "STAGE".to_owned(),
            value: "prod".to_owned(),
            source: EnvVarSource::Plaintext,
        },
    ];
    let desired = Resource::Project(project.clone());
    session.scope.clear_requests();
    session.create(&desired);
    assert_eq!(session.writes(), ops(&["codebuild:CreateProject"]));

    let found = block_on(
        session
            .aws
            .codebuild
            .batch_get_projects()
            .names(&project.name)
            .send(),
    )
    .expect("BatchGetProjects");
    let live = &found.projects()[0];
    let source = live.source().expect("a source");
    assert_eq!(source.r#type().as_str(), "CODEPIPELINE");
    assert_eq!(source.buildspec(), Some(project.buildspec.as_str()));
    assert!(project.buildspec.contains("phases:"), "an inline buildspec");
    assert_eq!(
        live.artifacts().map(|a| a.r#type().as_str()),
        Some("CODEPIPELINE")
    );
    let environment = live.environment().expect("an environment");
    assert_eq!(environment.r#type().as_str(), "LINUX_CONTAINER");
    assert_eq!(environment.image(), project.environment.image);
    assert_eq!(environment.compute_type().as_str(), "BUILD_GENERAL1_SMALL");
    assert_eq!(
        environment
            .image_pull_credentials_type()
            .map(aws_sdk_codebuild::types::ImagePullCredentialsType::as_str),
        Some("CODEBUILD")
    );
    let variables: Vec<(&str, &str, &str)> = environment
        .environment_variables()
        .iter()
        .map(|v| {
            (
                v.name(),
                v.value(),
                v.r#type().map_or("PLAINTEXT", |t| t.as_str()),
            )
        })
        .collect();
    assert_eq!(
        variables,
        [
            ("API_KEY", "/app/api-key", "PARAMETER_STORE"),
            ("DB_PASSWORD", "db:password", "SECRETS_MANAGER"),
            ("STAGE", "prod", "PLAINTEXT"),
        ]
    );
    let logs = live
        .logs_config()
        .and_then(|l| l.cloud_watch_logs())
        .expect("CloudWatch logs");
    assert_eq!(logs.status().as_str(), "ENABLED");
    assert_eq!(logs.group_name(), Some(names.log_group().as_str()));
    assert_eq!(
        live.service_role(),
        Some(format!("arn:aws:iam::{ACCOUNT}:role/{}", names.codebuild_role()).as_str())
    );
    assert_eq!(live.cache().map(|c| c.r#type().as_str()), Some("NO_CACHE"));
    assert!(
        live.tags()
            .iter()
            .any(|t| t.key() == Some(OWNERSHIP_TAG) && t.value() == Some(&session.scope.name))
    );

    // A name already taken is AlreadyExists: the engine then re-reads and converges.
    let again = block_on(aws::create(&session.clients, &desired)).expect_err("a second create");
    assert_eq!(again.kind, ErrorKind::AlreadyExists, "{again}");

    let live = session.read(&desired);
    assert_converged(&desired, &live, &session.scope.name);
    assert_eq!(live.resource.properties(), desired.properties());

    // Someone adds their own tag; pipewright must keep it when it writes its tags.
    let mut with_user_tag = live.clone();
    block_on(
        session
            .aws
            .codebuild
            .update_project()
            .name(&project.name)
            .set_tags(Some(
                found.projects()[0]
                    .tags()
                    .iter()
                    .cloned()
                    .chain([aws_sdk_codebuild::types::Tag::builder()
                        .key("cost-center")
                        .value("42")
                        .build()])
                    .collect(),
            ))
            .send(),
    )
    .expect("add a user tag");
    if let Resource::Project(p) = &mut with_user_tag.resource {
        p.tags.insert("cost-center".to_owned(), "42".to_owned());
    }
    assert_eq!(session.read(&desired), with_user_tag);

    // Change fields and add a tag: one UpdateProject.
    let mut changed = project.clone();
    changed.timeout_minutes = 15;
    changed.environment.compute_type = "BUILD_GENERAL1_MEDIUM".to_owned();
    changed.environment.privileged = true;
    changed.cache = Some(format!(
        "{}/cache",
        session.model.artifact_bucket().unwrap()
    ));
    changed.tags.insert("team".to_owned(), "web".to_owned());
    let changed = Resource::Project(changed);
    session.scope.clear_requests();
    session.update(&changed, &with_user_tag.resource);
    assert_eq!(session.writes(), ops(&["codebuild:UpdateProject"]));
    let live = session.read(&changed);
    assert_converged(&changed, &live, &session.scope.name);
    let tags = live.resource.tags().unwrap();
    assert_eq!(tags.get("cost-center").map(String::as_str), Some("42"));
    let found = block_on(
        session
            .aws
            .codebuild
            .batch_get_projects()
            .names(&project.name)
            .send(),
    )
    .expect("BatchGetProjects");
    let after = &found.projects()[0];
    assert_eq!(after.timeout_in_minutes(), Some(15));
    assert_eq!(after.cache().map(|c| c.r#type().as_str()), Some("S3"));
    assert_eq!(
        after.environment().map(|e| e.compute_type().as_str()),
        Some("BUILD_GENERAL1_MEDIUM")
    );

    // Only a tag missing: still one UpdateProject, with every other tag kept.
    session.scope.clear_requests();
    let Resource::Project(mut retagged) = changed.clone() else {
        unreachable!()
    };
    retagged.tags.insert("owner".to_owned(), "ops".to_owned());
    let retagged = Resource::Project(retagged);
    session.update(&retagged, &live.resource);
    assert_eq!(session.writes(), ops(&["codebuild:UpdateProject"]));
    let live = session.read(&retagged);
    assert_converged(&retagged, &live, &session.scope.name);
    assert!(live.resource.tags().unwrap().contains_key("cost-center"));

    // Nothing differs: nothing is written.
    session.scope.clear_requests();
    session.update(&retagged, &live.resource);
    assert_eq!(session.writes(), []);

    session.delete_twice(&live.resource);
    let found = block_on(
        session
            .aws
            .codebuild
            .batch_get_projects()
            .names(&project.name)
            .send(),
    )
    .expect("BatchGetProjects");
    assert!(found.projects().is_empty());
    assert_eq!(found.projects_not_found(), [project.name.clone()]);
}

#[test]
fn a_role_not_assumable_yet_is_retried_as_iam_propagation() {
    let session = Session::new("static-site");
    // The roles were never created: each service answers what it answers while a new role
    // propagates, and the engine retries it.
    for (kind, wording) in [
        (
            Kind::Project,
            "CodeBuild is not authorized to perform: sts:AssumeRole",
        ),
        (
            Kind::Pipeline,
            "CodePipeline is not authorized to perform AssumeRole",
        ),
    ] {
        let err = block_on(aws::create(&session.clients, &session.desired(kind)))
            .expect_err("no role to assume");
        assert_eq!(err.kind, ErrorKind::IamPropagation, "{err}");
        assert!(err.kind.is_retryable());
        assert!(err.message.contains(wording), "{err}");
    }
}

#[test]
fn a_pipeline_round_trips() {
    let session = Session::new("static-site");
    let names = session.loaded.spec.names();
    session.create_role(&names.codepipeline_role());
    let desired = session.desired(Kind::Pipeline);
    let Resource::Pipeline(pipeline) = &desired else {
        unreachable!()
    };
    session.scope.clear_requests();
    session.create(&desired);
    assert_eq!(session.writes(), ops(&["codepipeline:CreatePipeline"]));

    let got = block_on(
        session
            .aws
            .codepipeline
            .get_pipeline()
            .name(&pipeline.name)
            .send(),
    )
    .expect("GetPipeline");
    let declaration = got.pipeline().expect("a declaration");
    assert_eq!(
        declaration.pipeline_type().map(PipelineType::as_str),
        Some("V2")
    );
    assert_eq!(declaration.role_arn(), pipeline.role);
    let store = declaration.artifact_store().expect("an artifact store");
    assert_eq!(store.r#type().as_str(), "S3");
    assert_eq!(
        store.location(),
        session.model.artifact_bucket().expect("an artifact bucket")
    );
    // stage: action (category/provider), in order.
    let stages: Vec<String> = declaration
        .stages()
        .iter()
        .flat_map(|s| {
            s.actions().iter().map(|a| {
                let t = a.action_type_id().expect("an action type");
                format!(
                    "{}: {} ({}/{})",
                    s.name(),
                    a.name(),
                    t.category().as_str(),
                    t.provider()
                )
            })
        })
        .collect();
    assert_eq!(
        stages,
        [
            "Source: Source (Source/CodeCommit)",
            "Build: Build (Build/CodeBuild)",
            "Deploy: Deploy (Deploy/S3)",
        ]
    );
    let build = &declaration.stages()[1].actions()[0];
    assert_eq!(
        build
            .configuration()
            .and_then(|c| c.get("ProjectName"))
            .map(String::as_str),
        Some(names.build_project().as_str())
    );
    assert_eq!(build.input_artifacts()[0].name(), "SourceOutput");
    assert_eq!(build.output_artifacts()[0].name(), "BuildOutput");
    assert!(declaration.triggers().is_empty());
    let arn = got
        .metadata()
        .and_then(|m| m.pipeline_arn())
        .expect("an ARN")
        .to_owned();
    let tags = block_on(
        session
            .aws
            .codepipeline
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send(),
    )
    .expect("ListTagsForResource");
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == OWNERSHIP_TAG && t.value() == session.scope.name)
    );

    let again = block_on(aws::create(&session.clients, &desired)).expect_err("a second create");
    assert_eq!(again.kind, ErrorKind::AlreadyExists, "{again}");

    let live = session.read(&desired);
    assert_converged(&desired, &live, &session.scope.name);
    assert_eq!(live.resource.properties(), desired.properties());

    // Approval before the deploy, and one more tag: UpdatePipeline + TagResource.
    let mut changed = pipeline.clone();
    let deploy_stage = &mut changed.stages[2];
    deploy_stage.actions[0].run_order = 2;
    deploy_stage.actions.insert(
        0,
        Action {
            name: "Approval".to_owned(),
            category: ActionCategory::Approval,
            owner: ActionOwner::Aws,
            provider: "Manual".to_owned(),
            version: "1".to_owned(),
            run_order: 1,
            configuration: std::collections::BTreeMap::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
        },
    );
    changed.tags.insert("team".to_owned(), "web".to_owned());
    let changed = Resource::Pipeline(changed);
    session.scope.clear_requests();
    session.update(&changed, &live.resource);
    assert_eq!(
        session.writes(),
        ops(&["codepipeline:TagResource", "codepipeline:UpdatePipeline"])
    );
    let live = session.read(&changed);
    assert_converged(&changed, &live, &session.scope.name);
    let got = block_on(
        session
            .aws
            .codepipeline
            .get_pipeline()
            .name(&pipeline.name)
            .send(),
    )
    .expect("GetPipeline");
    let deploy = &got.pipeline().unwrap().stages()[2];
    assert_eq!(
        deploy
            .actions()
            .iter()
            .map(ActionDeclaration::name)
            .collect::<Vec<_>>(),
        ["Approval", "Deploy"]
    );
    assert_eq!(
        got.pipeline()
            .unwrap()
            .pipeline_type()
            .map(PipelineType::as_str),
        Some("V2")
    );

    session.scope.clear_requests();
    session.update(&changed, &live.resource);
    assert_eq!(session.writes(), []);

    session.delete_twice(&live.resource);
    let gone = block_on(
        session
            .aws
            .codepipeline
            .get_pipeline()
            .name(&pipeline.name)
            .send(),
    )
    .expect_err("the pipeline is gone");
    assert_eq!(
        gone.as_service_error().and_then(|e| {
            use aws_sdk_codepipeline::error::ProvideErrorMetadata;
            e.code()
        }),
        Some("PipelineNotFoundException")
    );
}

#[test]
fn a_github_pipeline_round_trips_its_v2_trigger() {
    let session = Session::new("github-source");
    session.create_role(&session.loaded.spec.names().codepipeline_role());
    let desired = session.desired(Kind::Pipeline);
    let Resource::Pipeline(pipeline) = &desired else {
        unreachable!()
    };
    assert!(pipeline.trigger.is_some(), "a GitHub source has a trigger");
    session.create(&desired);

    let got = block_on(
        session
            .aws
            .codepipeline
            .get_pipeline()
            .name(&pipeline.name)
            .send(),
    )
    .expect("GetPipeline");
    let declaration = got.pipeline().unwrap();
    let trigger = &declaration.triggers()[0];
    assert_eq!(trigger.provider_type().as_str(), "CodeStarSourceConnection");
    let git = trigger.git_configuration().expect("a git configuration");
    assert_eq!(git.source_action_name(), "Source");
    assert_eq!(
        git.push()[0].branches().map(|b| b.includes().to_vec()),
        Some(vec!["main".to_owned()])
    );
    let source = declaration.stages()[0].actions()[0]
        .configuration()
        .expect("a configuration");
    assert_eq!(
        source.get("FullRepositoryId").map(String::as_str),
        Some(format!("my-org/{}", session.scope.name).as_str())
    );

    let live = session.read(&desired);
    assert_converged(&desired, &live, &session.scope.name);

    // Another branch: the trigger and the source action change together, in one UpdatePipeline.
    let mut changed = pipeline.clone();
    changed.trigger.as_mut().unwrap().branch = "release".to_owned();
    changed.stages[0].actions[0]
        .configuration
        .insert("BranchName".to_owned(), "release".to_owned());
    let changed = Resource::Pipeline(changed);
    session.scope.clear_requests();
    session.update(&changed, &live.resource);
    assert_eq!(session.writes(), ops(&["codepipeline:UpdatePipeline"]));
    let live = session.read(&changed);
    assert_converged(&changed, &live, &session.scope.name);

    // No trigger wanted any more: UpdatePipeline removes it.
    let Resource::Pipeline(mut untriggered) = changed.clone() else {
        unreachable!()
    };
    untriggered.trigger = None;
    let untriggered = Resource::Pipeline(untriggered);
    session.update(&untriggered, &live.resource);
    let live = session.read(&untriggered);
    assert_converged(&untriggered, &live, &session.scope.name);

    session.delete_twice(&live.resource);
}

#[test]
fn a_live_pipeline_names_the_resources_it_uses() {
    for (example, deployment_group) in [("static-site", false), ("ec2-rolling", true)] {
        let session = Session::new(example);
        let names = session.loaded.spec.names();
        session.create_role(&names.codepipeline_role());
        let desired = session.desired(Kind::Pipeline);
        session.create(&desired);
        let live = session.read(&desired);
        let references = &live.facts.references;
        let artifacts = session.model.artifact_bucket().unwrap();
        let mut expected = vec![
            ResourceId::new(Kind::Bucket, artifacts),
            ResourceId::new(Kind::Repository, &session.scope.name),
            ResourceId::new(Kind::Project, names.build_project()),
        ];
        if deployment_group {
            let app = names.codedeploy_application();
            expected.push(ResourceId::new(Kind::Application, &app));
            expected.push(ResourceId::new(
                Kind::DeploymentGroup,
                format!("{app}/{}", names.deployment_group("Deploy")),
            ));
        } else {
            expected.push(ResourceId::new(
                Kind::Bucket,
                format!("{}-site", session.scope.name),
            ));
        }
        expected.sort();
        assert_eq!(references, &expected, "{example}");
        // Each reference is an id `aws::read` understands: the model names the same resources.
        for id in references {
            assert!(
                session.model.get(id).is_some(),
                "{example}: {id} is not a resource of the model"
            );
        }
        session.delete_twice(&live.resource);
    }
}

#[test]
fn an_eventbridge_rule_round_trips() {
    let session = Session::new("static-site");
    let desired = session.desired(Kind::Rule);
    let Resource::Rule(rule) = &desired else {
        unreachable!()
    };
    session.scope.clear_requests();
    session.create(&desired);
    assert_eq!(
        session.writes(),
        ops(&["events:PutRule", "events:PutTargets"])
    );

    let described =
        block_on(session.aws.events.describe_rule().name(&rule.name).send()).expect("DescribeRule");
    assert_eq!(described.state().map(RuleState::as_str), Some("ENABLED"));
    assert_eq!(described.description(), Some(rule.description.as_str()));
    let pattern: Value =
        serde_json::from_str(described.event_pattern().expect("a pattern")).expect("JSON");
    assert_eq!(pattern, rule.event_pattern);
    assert_eq!(pattern["detail"]["referenceName"], json!(["main"]));
    let targets = block_on(
        session
            .aws
            .events
            .list_targets_by_rule()
            .rule(&rule.name)
            .send(),
    )
    .expect("ListTargetsByRule");
    let target = &targets.targets()[0];
    assert_eq!(targets.targets().len(), 1);
    assert_eq!(target.id(), pipewright::model::Rule::TARGET_ID);
    assert_eq!(
        target.arn(),
        format!(
            "arn:aws:codepipeline:{REGION}:{ACCOUNT}:{}-pipeline",
            session.scope.name
        )
    );
    assert_eq!(target.role_arn(), Some(rule.target_role.as_str()));
    let tags = block_on(
        session
            .aws
            .events
            .list_tags_for_resource()
            .resource_arn(described.arn().expect("an ARN"))
            .send(),
    )
    .expect("ListTagsForResource");
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == OWNERSHIP_TAG && t.value() == session.scope.name)
    );

    // A create repeated (its first response lost) rewrites our own rule to the same thing: a
    // foreign same-named rule is refused earlier, by the plan, from a read under the lock.
    block_on(aws::create(&session.clients, &desired)).expect("a repeated create converges");

    let live = session.read(&desired);
    assert_converged(&desired, &live, &session.scope.name);
    assert_eq!(live.resource.properties(), desired.properties());

    // Another branch and another role: PutRule + PutTargets, and a tag: TagResource.
    let mut changed = rule.clone();
    changed.event_pattern["detail"]["referenceName"] = json!(["release"]);
    changed.target_role = format!("arn:aws:iam::{ACCOUNT}:role/{}-other", session.scope.name);
    changed.tags.insert("team".to_owned(), "web".to_owned());
    let changed = Resource::Rule(changed);
    session.scope.clear_requests();
    session.update(&changed, &live.resource);
    assert_eq!(
        session.writes(),
        ops(&["events:PutRule", "events:PutTargets", "events:TagResource"])
    );
    let live = session.read(&changed);
    assert_converged(&changed, &live, &session.scope.name);

    // Only the target differs: PutTargets alone.
    let Resource::Rule(mut retargeted) = changed.clone() else {
        unreachable!()
    };
    retargeted.target_arn = format!("{}-next", retargeted.target_arn);
    let retargeted = Resource::Rule(retargeted);
    session.scope.clear_requests();
    session.update(&retargeted, &live.resource);
    assert_eq!(session.writes(), ops(&["events:PutTargets"]));
    let live = session.read(&retargeted);
    assert_converged(&retargeted, &live, &session.scope.name);

    session.scope.clear_requests();
    session.update(&retargeted, &live.resource);
    assert_eq!(session.writes(), []);

    // A target someone else added does not stop the delete.
    let extra = aws_sdk_eventbridge::types::Target::builder()
        .id("someone-else")
        .arn(format!("arn:aws:sqs:{REGION}:{ACCOUNT}:queue"))
        .build()
        .unwrap();
    block_on(
        session
            .aws
            .events
            .put_targets()
            .rule(&rule.name)
            .targets(extra)
            .send(),
    )
    .expect("PutTargets");
    session.delete_twice(&live.resource);
    let gone = block_on(session.aws.events.describe_rule().name(&rule.name).send())
        .expect_err("the rule is gone");
    assert_eq!(
        gone.as_service_error().and_then(|e| {
            use aws_sdk_eventbridge::error::ProvideErrorMetadata;
            e.code()
        }),
        Some("ResourceNotFoundException")
    );
}

/// Through the engine: plan → apply creates the build, pipeline and rule (and the roles and log
/// group they need) from the model, with `faults` set on the emulator meanwhile; then a second
/// plan has nothing to do and its apply writes nothing.
fn apply_twice(faults: &Value) {
    use std::sync::Arc;
    use std::time::Duration;

    use pipewright::apply::{self, Options, Silent};
    use pipewright::model::LiveState;
    use pipewright::plan::{self, Mode};

    let session = Session::new("static-site");
    let mut model = session.model.clone();
    model.resources.retain(|r| {
        matches!(
            r.kind(),
            Kind::Role | Kind::LogGroup | Kind::Project | Kind::Pipeline | Kind::Rule
        )
    });
    let observe = || -> LiveState {
        model
            .resources
            .iter()
            .filter_map(|r| {
                let live = block_on(aws::read(&session.clients, &r.id())).expect("read");
                live.map(|live| (r.id(), live))
            })
            .collect()
    };
    let apply = |plan: &plan::Plan| {
        let mut options = Options::new(&model.owner, 4);
        options.retry_initial = Duration::from_millis(10);
        let report = block_on(apply::run(
            &session.clients,
            plan,
            &model.dependencies,
            &options,
            Arc::new(Silent),
            tokio_util::sync::CancellationToken::new(),
        ));
        let failures: Vec<String> = report
            .failures()
            .map(|r| format!("{}: {:?}", r.id, r.outcome))
            .collect();
        assert!(report.succeeded(), "{failures:#?}");
    };

    let first = plan::diff(&model, &observe(), Mode::Up { adopt: false });
    assert_eq!(first.summary.create, model.resources.len());
    session.scope.configure(faults.clone());
    apply(&first);
    session
        .scope
        .configure(json!({ "fault_rate": null, "fault_phase": null }));
    if faults.get("fault_rate").is_some() {
        assert!(
            !session.scope.faults().is_empty(),
            "no fault was injected: the test proves nothing"
        );
    }

    session.scope.clear_requests();
    let second = plan::diff(&model, &observe(), Mode::Up { adopt: false });
    let pending: Vec<String> = second
        .changes
        .iter()
        .filter(|c| c.action.is_change())
        .map(|c| format!("{} {:?} {:?}", c.id, c.action, c.fields))
        .collect();
    assert!(pending.is_empty(), "a second up would change {pending:#?}");
    apply(&second);
    assert_eq!(session.writes(), []);
}

#[test]
fn a_second_apply_of_the_build_and_pipeline_writes_nothing() {
    apply_twice(&json!({}));
}

/// Creates whose responses are lost (processed, then answered with a 500) are retried: the
/// retry finds the resource there and converges it instead of failing or duplicating it.
#[test]
fn lost_create_responses_still_converge() {
    apply_twice(&json!({
        "fault_rate": 0.3,
        "fault_seed": 11,
        "fault_kinds": ["500"],
        "fault_phase": "after",
    }));
}
