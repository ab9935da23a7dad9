//! The CodePipeline role: move artifacts, run the build, read the source its provider names,
//! and hand the deploy to S3 or CodeDeploy.

use super::super::Ctx;
use super::super::policy::Statement;
use super::{artifact_object_arns, pass_task_roles};
use crate::spec::{CodeDeploy, GithubSource, LambdaTarget, Platform, S3Source, Source};

pub(super) fn statements(ctx: &Ctx<'_>) -> Vec<Statement> {
    let t = ctx.target;
    let (bucket, objects) = artifact_object_arns(ctx);
    let mut statements = vec![
        Statement::allow(
            "ReadWriteArtifacts",
            &["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
            vec![objects],
        ),
        Statement::allow(
            "InspectArtifactBucket",
            &[
                "s3:GetBucketVersioning",
                "s3:GetBucketAcl",
                "s3:GetBucketLocation",
            ],
            vec![bucket],
        ),
        Statement::allow(
            "RunBuild",
            &["codebuild:BatchGetBuilds", "codebuild:StartBuild"],
            vec![t.project_arn(&ctx.names.build_project())],
        ),
    ];
    statements.extend(match &ctx.spec.source {
        Source::Codecommit(cc) => vec![codecommit_source(ctx, &cc.repository)],
        Source::Github(gh) => github_source(gh),
        Source::S3(s3) => s3_source(ctx, s3),
    });
    statements.push(s3_deploy(ctx));
    if let Some(deploy) = ctx.codedeploy() {
        statements.extend(codedeploy_deploy(ctx, deploy));
    }
    statements.extend(lambda_deploys(ctx));
    statements.push(super::use_key(ctx));
    statements
}

/// CodePipeline's Lambda deploy action, with the pipeline's role: read the function, upload the
/// build's output as its code and publish it, move the alias, watch the alarms. The page's
/// "Service role policy permissions for the Lambda deploy action", each on this pipeline's
/// function, alias and alarms only.
/// <https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-LambdaDeploy.html>
fn lambda_deploys(ctx: &Ctx<'_>) -> Vec<Statement> {
    let t = ctx.target;
    let (mut functions, mut versions, mut aliases, mut alarms) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for stage in ctx.spec.stages() {
        let crate::spec::Deploy::Codedeploy(cd) = stage.deploy else {
            continue;
        };
        let (false, Some(LambdaTarget { function, alias })) = (cd.runs_on_codedeploy(), &cd.lambda)
        else {
            continue;
        };
        let arn = t.lambda_arn(function);
        versions.push(format!("{arn}:*"));
        aliases.push(format!("{arn}:{alias}"));
        functions.push(arn);
        alarms.extend(cd.alarms.iter().map(|a| t.alarm_arn(a)));
    }
    for list in [&mut functions, &mut versions, &mut aliases, &mut alarms] {
        list.sort();
        list.dedup();
    }
    let both: Vec<String> = functions.iter().chain(&versions).cloned().collect();
    vec![
        Statement::allow(
            "ReadFunction",
            &["lambda:GetFunctionConfiguration"],
            both.clone(),
        ),
        Statement::allow(
            "UpdateFunctionCode",
            &["lambda:UpdateFunctionCode"],
            functions,
        ),
        Statement::allow("PublishVersion", &["lambda:PublishVersion"], both),
        Statement::allow(
            "ShiftAlias",
            &["lambda:GetAlias", "lambda:UpdateAlias"],
            aliases,
        ),
        Statement::allow("WatchAlarms", &["cloudwatch:DescribeAlarms"], alarms),
    ]
}

/// The CodeCommit source action fetches the branch as an archive.
fn codecommit_source(ctx: &Ctx<'_>, repository: &str) -> Statement {
    Statement::allow(
        "ReadSource",
        &[
            "codecommit:GetBranch",
            "codecommit:GetCommit",
            "codecommit:GetRepository",
            "codecommit:UploadArchive",
            "codecommit:GetUploadArchiveStatus",
            "codecommit:CancelUploadArchive",
        ],
        vec![ctx.target.repository_arn(repository)],
    )
}

/// A GitHub source goes through the connection. AWS renamed CodeStar Connections to
/// CodeConnections: one connection has an ARN in each service's form, and each service's action
/// checks its own form.
fn github_source(github: &GithubSource) -> Vec<Statement> {
    let legacy = github
        .connection
        .replacen(":codeconnections:", ":codestar-connections:", 1);
    let current = github
        .connection
        .replacen(":codestar-connections:", ":codeconnections:", 1);
    vec![
        Statement::allow(
            "UseConnection",
            &["codestar-connections:UseConnection"],
            vec![legacy],
        ),
        Statement::allow(
            "UseCodeConnection",
            &["codeconnections:UseConnection"],
            vec![current],
        ),
    ]
}

/// The S3 source action reads one object by version.
fn s3_source(ctx: &Ctx<'_>, s3: &S3Source) -> Vec<Statement> {
    let t = ctx.target;
    vec![
        Statement::allow(
            "ReadSourceObject",
            &["s3:GetObject", "s3:GetObjectVersion"],
            vec![format!("{}/{}", t.bucket_arn(&s3.bucket), s3.key)],
        ),
        Statement::allow(
            "CheckSourceVersioning",
            &["s3:GetBucketVersioning"],
            vec![t.bucket_arn(&s3.bucket)],
        ),
    ]
}

/// S3 deploy actions write into their site buckets (no statement when there are none). They
/// set no `CannedACL` (site buckets keep ACLs disabled), so `s3:PutObjectAcl` is not needed.
/// <https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-S3Deploy.html>
fn s3_deploy(ctx: &Ctx<'_>) -> Statement {
    let site_objects: Vec<String> = ctx
        .spec
        .site_buckets()
        .map(|b| format!("{}/*", ctx.target.bucket_arn(b)))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    Statement::allow("DeploySite", &["s3:PutObject"], site_objects)
}

/// CodeDeploy deploy actions start deployments of this pipeline's groups; the ECS action also
/// registers the task definition it deploys.
fn codedeploy_deploy(ctx: &Ctx<'_>, deploy: &CodeDeploy) -> Vec<Statement> {
    let t = ctx.target;
    let names = &ctx.names;
    let app = names.codedeploy_application();
    let groups: Vec<String> = ctx
        .codedeploy_stages()
        .map(|(s, _)| t.deployment_group_arn(&app, &names.deployment_group(s.name)))
        .collect();
    let mut statements = vec![
        Statement::allow(
            "Deploy",
            &["codedeploy:CreateDeployment", "codedeploy:GetDeployment"],
            groups,
        ),
        Statement::allow(
            "RegisterRevision",
            &[
                "codedeploy:GetApplication",
                "codedeploy:GetApplicationRevision",
                "codedeploy:RegisterApplicationRevision",
            ],
            vec![t.application_arn(&app)],
        ),
        Statement::allow(
            "ReadDeploymentConfig",
            &["codedeploy:GetDeploymentConfig"],
            super::super::codedeploy::config_names(ctx)
                .into_iter()
                .map(|c| t.deployment_config_arn(&c))
                .collect(),
        ),
    ];
    if deploy.platform == Platform::Ecs {
        // The family comes from taskdef.json in the repository, unknown here: any task
        // definition of this account and Region.
        statements.push(Statement::allow(
            "RegisterTaskDefinition",
            &["ecs:RegisterTaskDefinition"],
            vec![t.ecs_arn("task-definition/*")],
        ));
        let roles = ctx
            .codedeploy_stages()
            .filter_map(|(_, cd)| cd.ecs.as_ref())
            .flat_map(crate::spec::EcsTarget::task_roles);
        statements.push(pass_task_roles(t, roles));
    }
    statements
}
