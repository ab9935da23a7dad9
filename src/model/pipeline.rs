//! The pipeline (Source → Build → [Approval] → Deploy per stage) and its change detection.

use std::collections::BTreeMap;

use serde_json::json;

use super::{
    Action, ActionCategory, ActionOwner, Ctx, GitTrigger, Kind, Model, Pipeline, Resource,
    ResourceId, Rule, Stage, policy_id, role_id,
};
use crate::spec::{
    CodeCommitSource, CodeDeploy, Deploy, DeployStage, Platform, S3Source, Source, Strategy,
};

/// Artifact names passed between actions.
pub const SOURCE_ARTIFACT: &str = "SourceOutput";
pub const BUILD_ARTIFACT: &str = "BuildOutput";
/// What CodePipeline's ECS blue/green action reads, and nothing else: taskdef.json, appspec.yml
/// and imageDetail.json (its input artifacts are limited in size; AWS's tutorial gives it these
/// three files). <https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-ECSbluegreen.html>
pub const ECS_ARTIFACT: &str = "EcsDeploy";
/// Action names (stable: `logs --action` and `status` refer to them).
pub const SOURCE_ACTION: &str = "Source";
pub const BUILD_ACTION: &str = "Build";
pub const APPROVAL_ACTION: &str = "Approval";
pub const DEPLOY_ACTION: &str = "Deploy";

pub(super) fn add(ctx: &Ctx<'_>, model: &mut Model) {
    let (pipeline, depends_on) = pipeline(ctx);
    model.push(Resource::Pipeline(pipeline), &depends_on);
    // EventBridge does not check that the target exists: only the role must, for PassRole.
    let role = role_id(ctx.names.events_role());
    match &ctx.spec.source {
        Source::Codecommit(cc) => model.push(Resource::Rule(codecommit_rule(ctx, cc)), &[role]),
        Source::S3(s3) => model.push(Resource::Rule(s3_rule(ctx, s3)), &[role]),
        Source::Github(_) => {}
    }
}

/// The pipeline, and what must exist before it is created.
fn pipeline(ctx: &Ctx<'_>) -> (Pipeline, Vec<ResourceId>) {
    let names = &ctx.names;
    let mut depends_on = vec![
        role_id(names.codepipeline_role()),
        // Creating a pipeline starts a first execution: its roles must already be allowed to
        // do their work, not merely exist.
        policy_id(names.codepipeline_role()),
        policy_id(names.codebuild_role()),
        ResourceId::new(Kind::Bucket, &ctx.artifact_bucket),
        ResourceId::new(Kind::Project, names.build_project()),
        // Creating a pipeline starts a first execution: its build must find pipewright's log
        // group, or CodeBuild creates an untagged one nobody would ever delete.
        ResourceId::new(Kind::LogGroup, names.log_group()),
    ];
    if let Some(repository) = ctx.spec.codecommit_repository() {
        depends_on.push(ResourceId::new(Kind::Repository, repository));
    }
    let mut stages = vec![source_stage(ctx), build_stage(ctx)];
    for stage in ctx.spec.stages() {
        stages.push(deploy_stage(ctx, &stage, &mut depends_on));
    }
    let trigger = match &ctx.spec.source {
        Source::Github(github) => Some(GitTrigger {
            source_action: SOURCE_ACTION.to_owned(),
            branch: github.branch.clone(),
        }),
        _ => None,
    };
    depends_on.sort();
    depends_on.dedup();
    let pipeline = Pipeline {
        name: names.pipeline(),
        role: ctx.target.role_arn(&names.codepipeline_role()),
        artifact_bucket: ctx.artifact_bucket.clone(),
        artifact_key: ctx.spec.kms_key.clone(),
        stages,
        trigger,
        tags: ctx.tags.clone(),
    };
    (pipeline, depends_on)
}

/// A deploy stage: its manual approval when asked for, then its deploy action (whose target
/// the pipeline needs first).
fn deploy_stage(ctx: &Ctx<'_>, stage: &DeployStage<'_>, depends_on: &mut Vec<ResourceId>) -> Stage {
    let mut actions = Vec::new();
    let mut run_order = 1;
    if stage.approval {
        actions.push(action(
            APPROVAL_ACTION,
            (ActionCategory::Approval, "Manual"),
            run_order,
            BTreeMap::new(),
            &[],
            &[],
        ));
        run_order += 1;
    }
    let deploy = match stage.deploy {
        Deploy::S3(site) => {
            depends_on.push(ResourceId::new(Kind::Bucket, &site.bucket));
            s3_deploy(&site.bucket, run_order)
        }
        Deploy::Codedeploy(cd) if !cd.runs_on_codedeploy() => {
            depends_on.push(policy_id(ctx.names.codepipeline_role()));
            lambda_deploy(cd, run_order)
        }
        Deploy::Codedeploy(cd) => {
            let names = &ctx.names;
            let (app, group) = (
                names.codedeploy_application(),
                names.deployment_group(stage.name),
            );
            depends_on.push(policy_id(names.codedeploy_role()));
            // A group's id is `<application>/<group>` (see `Resource::id`).
            depends_on.push(ResourceId::new(
                Kind::DeploymentGroup,
                format!("{app}/{group}"),
            ));
            codedeploy_deploy(cd.platform, &app, &group, run_order)
        }
    };
    actions.push(deploy);
    Stage {
        name: stage.name.to_owned(),
        actions,
    }
}

/// S3 deploy: the build output extracted into the bucket.
fn s3_deploy(bucket: &str, run_order: i32) -> Action {
    action(
        DEPLOY_ACTION,
        (ActionCategory::Deploy, "S3"),
        run_order,
        config(&[("BucketName", bucket), ("Extract", "true")]),
        &[BUILD_ARTIFACT],
        &[],
    )
}

/// Lambda: CodePipeline's own Lambda deploy action (V2 pipelines) takes the build's output as the
/// function's code, publishes a version and moves the alias to it by `DeployStrategy`, watching
/// `Alarms` and putting the alias back if one fires. CodePipeline's `CodeDeploy` action deploys
/// EC2/on-premises applications only, and CodeDeploy refuses a zip revision for a Lambda
/// application ("BundleType must be either YAML or JSON"), so this is the route AWS supports
/// from a pipeline. <https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-LambdaDeploy.html>
fn lambda_deploy(cd: &CodeDeploy, run_order: i32) -> Action {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(lambda) = &cd.lambda {
        pairs.push(("FunctionName", lambda.function.clone()));
        pairs.push(("FunctionAlias", lambda.alias.clone()));
    }
    pairs.push(("DeployStrategy", deploy_strategy(cd)));
    if !cd.alarms.is_empty() {
        pairs.push(("Alarms", cd.alarms.join(",")));
    }
    let configuration = pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    action(
        DEPLOY_ACTION,
        (ActionCategory::Deploy, "Lambda"),
        run_order,
        configuration,
        &[BUILD_ARTIFACT],
        &[],
    )
}

/// `AllAtOnce`, `Canary<P>Percent<M>Minutes` or `Linear<P>PercentEvery<M>Minute(s)`: the
/// action's formats, whose percentage and minutes may be any (same page).
fn deploy_strategy(cd: &CodeDeploy) -> String {
    let minutes = |m: u32| if m == 1 { "Minute" } else { "Minutes" };
    match (cd.strategy, cd.traffic_steps()) {
        (Strategy::Canary, Some(t)) => format!(
            "Canary{}Percent{}{}",
            t.percent,
            t.interval_minutes,
            minutes(t.interval_minutes)
        ),
        (Strategy::Linear, Some(t)) => format!(
            "Linear{}PercentEvery{}{}",
            t.percent,
            t.interval_minutes,
            minutes(t.interval_minutes)
        ),
        _ => "AllAtOnce".to_owned(),
    }
}

/// A CodeDeploy deployment of the group; ECS through its own provider, which registers the
/// task definition and fills in the image.
fn codedeploy_deploy(platform: Platform, app: &str, group: &str, run_order: i32) -> Action {
    let (provider, input, configuration) = if platform == Platform::Ecs {
        (
            "CodeDeployToECS",
            ECS_ARTIFACT,
            config(&[
                ("ApplicationName", app),
                ("DeploymentGroupName", group),
                ("TaskDefinitionTemplateArtifact", ECS_ARTIFACT),
                ("TaskDefinitionTemplatePath", "taskdef.json"),
                ("AppSpecTemplateArtifact", ECS_ARTIFACT),
                ("AppSpecTemplatePath", "appspec.yml"),
                // The build writes imageDetail.json; taskdef.json names <IMAGE1_NAME>.
                ("Image1ArtifactName", ECS_ARTIFACT),
                ("Image1ContainerName", "IMAGE1_NAME"),
            ]),
        )
    } else {
        (
            "CodeDeploy",
            BUILD_ARTIFACT,
            config(&[("ApplicationName", app), ("DeploymentGroupName", group)]),
        )
    };
    action(
        DEPLOY_ACTION,
        (ActionCategory::Deploy, provider),
        run_order,
        configuration,
        &[input],
        &[],
    )
}

/// The EventBridge rule that starts the pipeline when the CodeCommit branch changes.
fn codecommit_rule(ctx: &Ctx<'_>, cc: &CodeCommitSource) -> Rule {
    let names = &ctx.names;
    Rule {
        name: names.source_rule(),
        description: format!(
            "Starts {} when {} changes (pipewright)",
            names.pipeline(),
            cc.branch
        ),
        event_pattern: json!({
            "source": ["aws.codecommit"],
            "detail-type": ["CodeCommit Repository State Change"],
            "resources": [ctx.target.repository_arn(&cc.repository)],
            "detail": {
                "event": ["referenceCreated", "referenceUpdated"],
                "referenceType": ["branch"],
                "referenceName": [cc.branch],
            }
        }),
        target_arn: ctx.target.pipeline_arn(&names.pipeline()),
        target_role: ctx.target.role_arn(&names.events_role()),
        bucket_events: None,
        tags: ctx.tags.clone(),
    }
}

/// The EventBridge rule that starts the pipeline when the S3 source object is written: the
/// "Object Created" event S3 sends once the bucket's EventBridge delivery is on (the S3 source
/// action's polling is off). <https://docs.aws.amazon.com/codepipeline/latest/userguide/create-S3-source-events.html>,
/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html>
fn s3_rule(ctx: &Ctx<'_>, s3: &S3Source) -> Rule {
    let names = &ctx.names;
    Rule {
        name: names.source_rule(),
        description: format!(
            "Starts {} when s3://{}/{} is written (pipewright)",
            names.pipeline(),
            s3.bucket,
            s3.key
        ),
        event_pattern: json!({
            "source": ["aws.s3"],
            "detail-type": ["Object Created"],
            "detail": {
                "bucket": { "name": [s3.bucket] },
                "object": { "key": [s3.key] },
            }
        }),
        target_arn: ctx.target.pipeline_arn(&names.pipeline()),
        target_role: ctx.target.role_arn(&names.events_role()),
        bucket_events: Some(s3.bucket.clone()),
        tags: ctx.tags.clone(),
    }
}

fn source_stage(ctx: &Ctx<'_>) -> Stage {
    let source = match &ctx.spec.source {
        Source::Codecommit(cc) => action(
            SOURCE_ACTION,
            (ActionCategory::Source, "CodeCommit"),
            1,
            config(&[
                ("RepositoryName", &cc.repository),
                ("BranchName", &cc.branch),
                // Change events come from the EventBridge rule, as AWS recommends.
                ("PollForSourceChanges", "false"),
                ("OutputArtifactFormat", "CODE_ZIP"),
            ]),
            &[],
            &[SOURCE_ARTIFACT],
        ),
        Source::Github(gh) => action(
            SOURCE_ACTION,
            (ActionCategory::Source, "CodeStarSourceConnection"),
            1,
            config(&[
                ("ConnectionArn", &gh.connection),
                ("FullRepositoryId", &gh.repository),
                ("BranchName", &gh.branch),
                ("OutputArtifactFormat", "CODE_ZIP"),
                ("DetectChanges", "true"),
            ]),
            &[],
            &[SOURCE_ARTIFACT],
        ),
        Source::S3(s3) => action(
            SOURCE_ACTION,
            (ActionCategory::Source, "S3"),
            1,
            config(&[
                ("S3Bucket", &s3.bucket),
                ("S3ObjectKey", &s3.key),
                ("PollForSourceChanges", "false"),
            ]),
            &[],
            &[SOURCE_ARTIFACT],
        ),
    };
    Stage {
        name: "Source".to_owned(),
        actions: vec![source],
    }
}

/// The build's output artifacts: its whole output, and for an ECS deploy the small one the ECS
/// action reads (the buildspec's `secondary-artifacts` name both, see `render::buildspec`).
#[must_use]
pub fn build_outputs(spec: &crate::spec::Spec) -> Vec<&'static str> {
    let ecs = spec.stages().iter().any(|s| {
        s.codedeploy()
            .is_some_and(|cd| cd.platform == Platform::Ecs)
    });
    if ecs {
        vec![BUILD_ARTIFACT, ECS_ARTIFACT]
    } else {
        vec![BUILD_ARTIFACT]
    }
}

fn build_stage(ctx: &Ctx<'_>) -> Stage {
    Stage {
        name: "Build".to_owned(),
        actions: vec![action(
            BUILD_ACTION,
            (ActionCategory::Build, "CodeBuild"),
            1,
            config(&[("ProjectName", &ctx.names.build_project())]),
            &[SOURCE_ARTIFACT],
            &build_outputs(ctx.spec),
        )],
    }
}

fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// An action of one of AWS's own providers (every action pipewright makes is one).
fn action(
    name: &str,
    (category, provider): (ActionCategory, &str),
    run_order: i32,
    configuration: BTreeMap<String, String>,
    inputs: &[&str],
    outputs: &[&str],
) -> Action {
    Action {
        name: name.to_owned(),
        category,
        owner: ActionOwner::Aws,
        provider: provider.to_owned(),
        version: "1".to_owned(),
        run_order,
        configuration,
        inputs: inputs.iter().map(|s| (*s).to_owned()).collect(),
        outputs: outputs.iter().map(|s| (*s).to_owned()).collect(),
    }
}
