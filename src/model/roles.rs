//! The service roles: one per AWS service that acts for the pipeline, each trusting that one
//! service and allowed exactly what this pipeline's resources need.

use serde_json::json;

use super::policy::{Statement, document, trust};
use super::{Ctx, Model, Resource, Role, RolePolicy, role_id};
use crate::spec::{CodeDeploy, Deploy, Platform, Source, Targets};

pub(super) fn add(ctx: &Ctx<'_>, model: &mut Model) {
    let names = &ctx.names;
    push(
        ctx,
        model,
        names.codebuild_role(),
        "codebuild",
        "CodeBuild runs the build of",
        document(&codebuild_statements(ctx)),
    );
    push(
        ctx,
        model,
        names.codepipeline_role(),
        "codepipeline",
        "CodePipeline runs",
        document(&codepipeline_statements(ctx)),
    );
    if let Some(deploy) = ctx.codedeploy() {
        push(
            ctx,
            model,
            names.codedeploy_role(),
            "codedeploy",
            "CodeDeploy deploys",
            document(&codedeploy_statements(ctx, deploy)),
        );
    }
    if ctx.spec.codecommit_repository().is_some() {
        let pipeline_arn = ctx.target.pipeline_arn(&names.pipeline());
        push(
            ctx,
            model,
            names.events_role(),
            "events",
            "EventBridge starts",
            document(&[Statement::allow(
                "StartPipeline",
                &["codepipeline:StartPipelineExecution"],
                vec![pipeline_arn],
            )]),
        );
    }
}

/// A role and its policy (which needs the role).
fn push(
    ctx: &Ctx<'_>,
    model: &mut Model,
    name: String,
    service: &str,
    purpose: &str,
    policy: serde_json::Value,
) {
    model.push(
        Resource::Role(Role {
            name: name.clone(),
            description: format!("{purpose} the {} pipeline (pipewright)", ctx.names.base()),
            trust: trust(&ctx.target.service_principal(service)),
            tags: ctx.tags.clone(),
        }),
        &[],
    );
    model.push(
        Resource::RolePolicy(RolePolicy {
            role: name.clone(),
            document: policy,
        }),
        &[role_id(name)],
    );
}

fn artifact_object_arns(ctx: &Ctx<'_>) -> (String, String) {
    let bucket = ctx.target.bucket_arn(&ctx.artifact_bucket);
    let objects = format!("{bucket}/*");
    (bucket, objects)
}

fn codebuild_statements(ctx: &Ctx<'_>) -> Vec<Statement> {
    let t = ctx.target;
    let log_group = t.log_group_arn(&ctx.names.log_group());
    let (bucket, objects) = artifact_object_arns(ctx);
    let mut statements = vec![
        Statement::allow(
            "WriteBuildLogs",
            &["logs:CreateLogStream", "logs:PutLogEvents"],
            vec![log_group.clone(), format!("{log_group}:*")],
        ),
        Statement::allow(
            "ReadWriteArtifacts",
            &["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
            vec![objects],
        ),
        Statement::allow(
            "LocateArtifactBucket",
            &["s3:GetBucketAcl", "s3:GetBucketLocation"],
            vec![bucket],
        ),
    ];
    if !ctx.spec.build.reports.is_empty() {
        let project = ctx.names.build_project();
        statements.push(Statement::allow(
            "WriteTestReports",
            &[
                "codebuild:CreateReportGroup",
                "codebuild:CreateReport",
                "codebuild:UpdateReport",
                "codebuild:BatchPutTestCases",
                "codebuild:BatchPutCodeCoverages",
            ],
            vec![format!(
                "arn:{}:codebuild:{}:{}:report-group/{project}-*",
                t.partition, t.region, t.account_id
            )],
        ));
    }
    // The generated Lambda bundle resolves CurrentVersion/TargetVersion during the build.
    if let Some(deploy) = ctx.codedeploy()
        && deploy.platform == Platform::Lambda
        && let Some(lambda) = &deploy.lambda
    {
        let function = lambda_arn(ctx, &lambda.function);
        statements.push(Statement::allow(
            "PublishLambdaVersion",
            &[
                "lambda:GetFunction",
                "lambda:GetAlias",
                "lambda:PublishVersion",
                "lambda:UpdateFunctionCode",
            ],
            vec![function.clone(), format!("{function}:*")],
        ));
    }
    let mut parameters = Vec::new();
    let mut secrets = Vec::new();
    for reference in ctx.spec.build.secrets.values() {
        if let Some(name) = reference.strip_prefix("ssm:") {
            parameters.push(t.ssm_parameter_arn(name));
        } else if let Some(rest) = reference.strip_prefix("secretsmanager:") {
            let secret_id = secret_id_of(rest);
            secrets.push(t.secret_arn_pattern(secret_id));
        }
    }
    parameters.sort();
    parameters.dedup();
    secrets.sort();
    secrets.dedup();
    statements.push(Statement::allow(
        "ReadParameters",
        &["ssm:GetParameters"],
        parameters,
    ));
    statements.push(Statement::allow(
        "ReadSecrets",
        &["secretsmanager:GetSecretValue"],
        secrets,
    ));
    statements
}

/// The secret id of `id[:json-key[:stage[:version]]]`; a full ARN keeps its own colons.
pub(crate) fn secret_id_of(reference: &str) -> &str {
    if reference.starts_with("arn:") {
        // arn:partition:secretsmanager:region:account:secret:name-suffix[:json-key...]
        let end = reference
            .match_indices(':')
            .nth(6)
            .map_or(reference.len(), |(i, _)| i);
        &reference[..end]
    } else {
        reference.split(':').next().unwrap_or(reference)
    }
}

fn codepipeline_statements(ctx: &Ctx<'_>) -> Vec<Statement> {
    let t = ctx.target;
    let names = &ctx.names;
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
            vec![t.project_arn(&names.build_project())],
        ),
    ];
    match &ctx.spec.source {
        Source::Codecommit(cc) => statements.push(Statement::allow(
            "ReadSource",
            &[
                "codecommit:GetBranch",
                "codecommit:GetCommit",
                "codecommit:GetRepository",
                "codecommit:UploadArchive",
                "codecommit:GetUploadArchiveStatus",
                "codecommit:CancelUploadArchive",
            ],
            vec![t.repository_arn(&cc.repository)],
        )),
        Source::Github(gh) => {
            // AWS renamed CodeStar Connections to CodeConnections: one connection has an ARN in
            // each service's form, and each service's action checks its own form.
            let legacy = gh
                .connection
                .replacen(":codeconnections:", ":codestar-connections:", 1);
            let current = gh
                .connection
                .replacen(":codestar-connections:", ":codeconnections:", 1);
            statements.push(Statement::allow(
                "UseConnection",
                &["codestar-connections:UseConnection"],
                vec![legacy],
            ));
            statements.push(Statement::allow(
                "UseCodeConnection",
                &["codeconnections:UseConnection"],
                vec![current],
            ));
        }
        Source::S3(s3) => {
            statements.push(Statement::allow(
                "ReadSourceObject",
                &["s3:GetObject", "s3:GetObjectVersion"],
                vec![format!("{}/{}", t.bucket_arn(&s3.bucket), s3.key)],
            ));
            statements.push(Statement::allow(
                "CheckSourceVersioning",
                &["s3:GetBucketVersioning"],
                vec![t.bucket_arn(&s3.bucket)],
            ));
        }
    }
    let site_objects: Vec<String> = ctx
        .spec
        .site_buckets()
        .map(|b| format!("{}/*", t.bucket_arn(b)))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    statements.push(Statement::allow(
        "DeploySite",
        &["s3:PutObject", "s3:PutObjectAcl"],
        site_objects,
    ));
    if let Some(deploy) = ctx.codedeploy() {
        let app = names.codedeploy_application();
        let groups: Vec<String> = ctx
            .spec
            .stages()
            .iter()
            .filter(|s| matches!(s.deploy, Deploy::Codedeploy(_)))
            .map(|s| t.deployment_group_arn(&app, &names.deployment_group(s.name)))
            .collect();
        statements.push(Statement::allow(
            "Deploy",
            &["codedeploy:CreateDeployment", "codedeploy:GetDeployment"],
            groups,
        ));
        statements.push(Statement::allow(
            "RegisterRevision",
            &[
                "codedeploy:GetApplication",
                "codedeploy:GetApplicationRevision",
                "codedeploy:RegisterApplicationRevision",
            ],
            vec![t.application_arn(&app)],
        ));
        statements.push(Statement::allow(
            "ReadDeploymentConfig",
            &["codedeploy:GetDeploymentConfig"],
            super::codedeploy::config_names(ctx)
                .into_iter()
                .map(|c| t.deployment_config_arn(&c))
                .collect(),
        ));
        if deploy.platform == Platform::Ecs {
            // The family comes from taskdef.json in the repository, unknown here: any task
            // definition of this account and Region.
            statements.push(Statement::allow(
                "RegisterTaskDefinition",
                &["ecs:RegisterTaskDefinition"],
                vec![format!(
                    "arn:{}:ecs:{}:{}:task-definition/*",
                    t.partition, t.region, t.account_id
                )],
            ));
            statements.push(
                Statement::allow(
                    "PassTaskRoles",
                    &["iam:PassRole"],
                    vec![format!("arn:{}:iam::{}:role/*", t.partition, t.account_id)],
                )
                .condition(json!({
                    "StringEquals": { "iam:PassedToService": t.service_principal("ecs-tasks") }
                })),
            );
        }
    }
    statements
}

fn codedeploy_statements(ctx: &Ctx<'_>, deploy: &CodeDeploy) -> Vec<Statement> {
    let t = ctx.target;
    let mut statements = Vec::new();
    let hook_functions: Vec<String> = match deploy.platform {
        Platform::Server => Vec::new(),
        Platform::Lambda | Platform::Ecs => deploy
            .hooks
            .iter()
            .map(|(_, _, hook)| lambda_arn(ctx, hook.location()))
            .collect(),
    };
    match deploy.platform {
        Platform::Server => {
            statements.push(Statement::allow_star_only(
                "FindInstances",
                &[
                    "ec2:DescribeInstances",
                    "ec2:DescribeInstanceStatus",
                    "tag:GetResources",
                ],
            ));
            if let Some(Targets::AutoscalingGroups(groups)) = &deploy.targets {
                statements.push(Statement::allow_star_only(
                    "ReadAutoScaling",
                    &[
                        "autoscaling:DescribeAutoScalingGroups",
                        "autoscaling:DescribeLifecycleHooks",
                        "autoscaling:DescribeAutoScalingInstances",
                        "autoscaling:DescribeScalingActivities",
                    ],
                ));
                let mut arns: Vec<String> = groups
                    .iter()
                    .map(|g| autoscaling_group_arn(ctx, g))
                    .collect();
                // Blue/green copies are named by CodeDeploy after the deployment group.
                arns.push(autoscaling_group_arn(ctx, "CodeDeploy_*"));
                statements.push(Statement::allow(
                    "ManageAutoScaling",
                    &[
                        "autoscaling:CompleteLifecycleAction",
                        "autoscaling:PutLifecycleHook",
                        "autoscaling:DeleteLifecycleHook",
                        "autoscaling:RecordLifecycleActionHeartbeat",
                        "autoscaling:UpdateAutoScalingGroup",
                        "autoscaling:EnterStandby",
                        "autoscaling:ExitStandby",
                        "autoscaling:SuspendProcesses",
                        "autoscaling:ResumeProcesses",
                        "autoscaling:CreateAutoScalingGroup",
                        "autoscaling:DeleteAutoScalingGroup",
                    ],
                    arns,
                ));
            }
            if let Some(lb) = &deploy.load_balancer {
                statements.push(Statement::allow_star_only(
                    "ReadLoadBalancing",
                    &[
                        "elasticloadbalancing:DescribeTargetGroups",
                        "elasticloadbalancing:DescribeTargetHealth",
                    ],
                ));
                statements.push(Statement::allow(
                    "RouteTraffic",
                    &[
                        "elasticloadbalancing:RegisterTargets",
                        "elasticloadbalancing:DeregisterTargets",
                    ],
                    lb.target_groups
                        .iter()
                        .map(|tg| target_group_arn(ctx, tg))
                        .collect(),
                ));
            }
        }
        Platform::Lambda => {
            if let Some(lambda) = &deploy.lambda {
                let function = lambda_arn(ctx, &lambda.function);
                statements.push(Statement::allow(
                    "ShiftAlias",
                    &[
                        "lambda:GetFunction",
                        "lambda:GetAlias",
                        "lambda:UpdateAlias",
                        "lambda:GetProvisionedConcurrencyConfig",
                    ],
                    vec![function.clone(), format!("{function}:*")],
                ));
            }
        }
        Platform::Ecs => {
            if let Some(ecs) = &deploy.ecs {
                let prefix = format!("arn:{}:ecs:{}:{}", t.partition, t.region, t.account_id);
                statements.push(Statement::allow_star_only(
                    "CreateTaskSet",
                    &["ecs:CreateTaskSet"],
                ));
                statements.push(Statement::allow(
                    "ShiftService",
                    &[
                        "ecs:DescribeServices",
                        "ecs:UpdateServicePrimaryTaskSet",
                        "ecs:DeleteTaskSet",
                    ],
                    vec![
                        format!("{prefix}:service/{}/{}", ecs.cluster, ecs.service),
                        format!("{prefix}:task-set/{}/{}/*", ecs.cluster, ecs.service),
                    ],
                ));
                statements.push(Statement::allow_star_only(
                    "ReadLoadBalancing",
                    &[
                        "elasticloadbalancing:DescribeTargetGroups",
                        "elasticloadbalancing:DescribeListeners",
                        "elasticloadbalancing:DescribeRules",
                        "elasticloadbalancing:DescribeTargetHealth",
                    ],
                ));
                let mut listeners = vec![ecs.listener.clone()];
                listeners.extend(ecs.test_listener.clone());
                // AWS lists both the `app` and `net` forms as required resource types of
                // ModifyListener/ModifyRule, and policy linters insist on one of each. The other
                // form of the same listener (same random ids) names nothing that exists: no
                // privilege is added.
                let counterparts: Vec<String> = listeners
                    .iter()
                    .filter_map(|l| other_listener_form(l))
                    .collect();
                listeners.extend(counterparts);
                let rules = listeners.iter().map(|l| listener_rules_arn(l)).collect();
                statements.push(Statement::allow(
                    "RerouteListeners",
                    &["elasticloadbalancing:ModifyListener"],
                    listeners,
                ));
                statements.push(Statement::allow(
                    "RerouteListenerRules",
                    &["elasticloadbalancing:ModifyRule"],
                    rules,
                ));
                statements.push(
                    Statement::allow(
                        "PassTaskRoles",
                        &["iam:PassRole"],
                        vec![format!("arn:{}:iam::{}:role/*", t.partition, t.account_id)],
                    )
                    .condition(json!({
                        "StringEquals": { "iam:PassedToService": t.service_principal("ecs-tasks") }
                    })),
                );
            }
        }
    }
    statements.push(Statement::allow(
        "InvokeHooks",
        &["lambda:InvokeFunction"],
        hook_functions,
    ));
    if !deploy.alarms.is_empty() {
        statements.push(Statement::allow_star_only(
            "WatchAlarms",
            &["cloudwatch:DescribeAlarms"],
        ));
    }
    statements
}

fn lambda_arn(ctx: &Ctx<'_>, function: &str) -> String {
    if function.starts_with("arn:") {
        return function.to_owned();
    }
    let t = ctx.target;
    format!(
        "arn:{}:lambda:{}:{}:function:{function}",
        t.partition, t.region, t.account_id
    )
}

fn autoscaling_group_arn(ctx: &Ctx<'_>, group: &str) -> String {
    let t = ctx.target;
    format!(
        "arn:{}:autoscaling:{}:{}:autoScalingGroup:*:autoScalingGroupName/{group}",
        t.partition, t.region, t.account_id
    )
}

fn target_group_arn(ctx: &Ctx<'_>, name: &str) -> String {
    if name.starts_with("arn:") {
        return name.to_owned();
    }
    let t = ctx.target;
    format!(
        "arn:{}:elasticloadbalancing:{}:{}:targetgroup/{name}/*",
        t.partition, t.region, t.account_id
    )
}

/// `…:listener/app/…` ↔ `…:listener/net/…`.
fn other_listener_form(listener: &str) -> Option<String> {
    if listener.contains(":listener/app/") {
        Some(listener.replacen(":listener/app/", ":listener/net/", 1))
    } else if listener.contains(":listener/net/") {
        Some(listener.replacen(":listener/net/", ":listener/app/", 1))
    } else {
        None
    }
}

/// `…:listener/app/lb/id/lid` → `…:listener-rule/app/lb/id/lid/*`.
fn listener_rules_arn(listener: &str) -> String {
    format!(
        "{}/*",
        listener.replacen(":listener/", ":listener-rule/", 1)
    )
}

#[cfg(test)]
mod tests {
    use super::secret_id_of;

    #[test]
    fn secret_ids_drop_the_json_key_and_version() {
        assert_eq!(secret_id_of("prod/db:password"), "prod/db");
        assert_eq!(secret_id_of("prod/db"), "prod/db");
        assert_eq!(
            secret_id_of("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password"),
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
        );
    }
}
