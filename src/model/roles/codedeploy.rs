//! The CodeDeploy role: what CodeDeploy itself does for each platform (find and update
//! instances and Auto Scaling groups, shift a Lambda alias, replace an ECS task set), plus the
//! lifecycle hooks and alarms the spec names.

use super::super::Ctx;
use super::super::policy::Statement;
use super::{listener_rules_arn, other_listener_form, pass_task_roles};
use crate::spec::{CodeDeploy, EcsTarget, LambdaTarget, LoadBalancer, Platform, Strategy, Targets};

pub(super) fn statements(ctx: &Ctx<'_>, stage: &str, deploy: &CodeDeploy) -> Vec<Statement> {
    let mut statements = match deploy.platform {
        Platform::Server => server(ctx, stage, deploy),
        Platform::Lambda => deploy
            .lambda
            .as_ref()
            .map(|lambda| lambda_alias(ctx, lambda))
            .into_iter()
            .collect(),
        Platform::Ecs => deploy
            .ecs
            .as_ref()
            .map(|ecs| ecs_service(ctx, ecs))
            .unwrap_or_default(),
    };
    let hook_functions: Vec<String> = match deploy.platform {
        Platform::Server => Vec::new(),
        Platform::Lambda | Platform::Ecs => deploy
            .hooks
            .iter()
            .map(|(_, _, hook)| ctx.target.lambda_arn(hook.location()))
            .collect(),
    };
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

/// EC2/on-premises: find the instances, and manage the Auto Scaling groups and target groups
/// the spec names.
fn server(ctx: &Ctx<'_>, stage: &str, deploy: &CodeDeploy) -> Vec<Statement> {
    let mut statements = vec![Statement::allow_star_only(
        "FindInstances",
        &[
            "ec2:DescribeInstances",
            "ec2:DescribeInstanceStatus",
            "tag:GetResources",
        ],
    )];
    if let Some(Targets::AutoscalingGroups(groups)) = &deploy.targets {
        let group = ctx.names.deployment_group(stage);
        statements.extend(autoscaling(ctx, &group, groups));
        if deploy.strategy == Strategy::BlueGreen {
            statements.extend(copy_fleet(ctx, deploy));
        }
    }
    if let Some(lb) = &deploy.load_balancer {
        statements.extend(server_load_balancing(ctx, lb));
    }
    statements
}

/// The Auto Scaling actions of AWS's managed `AWSCodeDeployRole` policy, on this pipeline's
/// groups and on the copies a blue/green deployment of this group makes
/// (`CodeDeploy_<deployment group>_<deployment id>`), never on other pipelines' groups.
/// <https://docs.aws.amazon.com/codedeploy/latest/userguide/getting-started-create-service-role.html>
fn autoscaling(ctx: &Ctx<'_>, deployment_group: &str, groups: &[String]) -> [Statement; 2] {
    let mut arns: Vec<String> = groups
        .iter()
        .map(|g| ctx.target.autoscaling_group_arn(g))
        .collect();
    arns.push(
        ctx.target
            .autoscaling_group_arn(&format!("CodeDeploy_{deployment_group}_*")),
    );
    [
        Statement::allow_star_only(
            "ReadAutoScaling",
            &[
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeLifecycleHooks",
                "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeScalingActivities",
                "autoscaling:DescribePolicies",
                "autoscaling:DescribeScheduledActions",
                "autoscaling:DescribeNotificationConfigurations",
                "autoscaling:DescribeWarmPool",
            ],
        ),
        Statement::allow(
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
                "autoscaling:CreateOrUpdateTags",
                "autoscaling:EnableMetricsCollection",
                "autoscaling:AttachLoadBalancers",
                "autoscaling:AttachLoadBalancerTargetGroups",
                "autoscaling:PutScalingPolicy",
                "autoscaling:PutScheduledUpdateGroupAction",
                "autoscaling:PutNotificationConfiguration",
                "autoscaling:PutWarmPool",
            ],
            arns,
        ),
    ]
}

/// Copying the group launches instances from its launch template as CodeDeploy's role
/// (`ec2:RunInstances`, `ec2:CreateTags`, `iam:PassRole` of the template's instance profile role),
/// and a successful deployment terminates the original fleet (`ec2:TerminateInstances`): the
/// list on AWS's CodeDeploy service-role page, in this account and Region only, passing only the
/// role the spec names, to EC2 only.
fn copy_fleet(ctx: &Ctx<'_>, deploy: &CodeDeploy) -> Vec<Statement> {
    let t = ctx.target;
    let mut statements = vec![
        Statement::allow(
            "LaunchCopies",
            &["ec2:RunInstances"],
            vec![
                t.ec2_arn(true, "*"),
                // AMIs have no account in their ARN.
                t.ec2_arn(false, "image/*"),
            ],
        ),
        Statement::allow(
            "TagCopies",
            &["ec2:CreateTags"],
            vec![
                t.ec2_arn(true, "instance/*"),
                t.ec2_arn(true, "volume/*"),
                t.ec2_arn(true, "network-interface/*"),
            ],
        ),
        Statement::allow(
            "RetireOriginals",
            &["ec2:TerminateInstances"],
            vec![t.ec2_arn(true, "instance/*")],
        ),
    ];
    if let Some(role) = &deploy.instance_role {
        statements.push(
            Statement::allow(
                "PassInstanceRole",
                &["iam:PassRole"],
                vec![t.role_arn(role)],
            )
            .condition(serde_json::json!({
                "StringEquals": { "iam:PassedToService": t.service_principal("ec2") }
            })),
        );
    }
    statements
}

fn server_load_balancing(ctx: &Ctx<'_>, lb: &LoadBalancer) -> [Statement; 2] {
    [
        Statement::allow_star_only(
            "ReadLoadBalancing",
            &[
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetHealth",
            ],
        ),
        Statement::allow(
            "RouteTraffic",
            &[
                "elasticloadbalancing:RegisterTargets",
                "elasticloadbalancing:DeregisterTargets",
            ],
            lb.target_groups
                .iter()
                .map(|tg| ctx.target.target_group_arn(tg))
                .collect(),
        ),
    ]
}

/// Lambda: move the alias from the current version to the target one.
fn lambda_alias(ctx: &Ctx<'_>, lambda: &LambdaTarget) -> Statement {
    let function = ctx.target.lambda_arn(&lambda.function);
    Statement::allow(
        "ShiftAlias",
        &[
            "lambda:GetFunction",
            "lambda:GetAlias",
            "lambda:UpdateAlias",
            "lambda:GetProvisionedConcurrencyConfig",
        ],
        vec![function.clone(), format!("{function}:*")],
    )
}

/// ECS: create the green task set, reroute the listeners to it, retire the blue one.
fn ecs_service(ctx: &Ctx<'_>, ecs: &EcsTarget) -> Vec<Statement> {
    let t = ctx.target;
    let mut listeners = vec![ecs.listener.clone()];
    listeners.extend(ecs.test_listener.clone());
    // AWS lists both the `app` and `net` forms as required resource types of
    // ModifyListener/ModifyRule, and policy linters insist on one of each. The other form of
    // the same listener (same random ids) names nothing that exists: no privilege is added.
    let counterparts: Vec<String> = listeners
        .iter()
        .filter_map(|l| other_listener_form(l))
        .collect();
    listeners.extend(counterparts);
    let rules = listeners.iter().map(|l| listener_rules_arn(l)).collect();
    vec![
        Statement::allow_star_only("CreateTaskSet", &["ecs:CreateTaskSet"]),
        Statement::allow(
            "ShiftService",
            &[
                "ecs:DescribeServices",
                "ecs:UpdateServicePrimaryTaskSet",
                "ecs:DeleteTaskSet",
            ],
            vec![
                t.ecs_arn(&format!("service/{}/{}", ecs.cluster, ecs.service)),
                t.ecs_arn(&format!("task-set/{}/{}/*", ecs.cluster, ecs.service)),
            ],
        ),
        Statement::allow_star_only(
            "ReadLoadBalancing",
            &[
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeTargetHealth",
            ],
        ),
        Statement::allow(
            "RerouteListeners",
            &["elasticloadbalancing:ModifyListener"],
            listeners,
        ),
        Statement::allow(
            "RerouteListenerRules",
            &["elasticloadbalancing:ModifyRule"],
            rules,
        ),
        pass_task_roles(t, ecs.task_roles()),
    ]
}
