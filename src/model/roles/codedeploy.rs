//! The CodeDeploy role: what CodeDeploy itself does for each platform (find and update
//! instances and Auto Scaling groups, shift a Lambda alias, replace an ECS task set), plus the
//! lifecycle hooks and alarms the spec names.

use super::super::Ctx;
use super::super::policy::Statement;
use super::{listener_rules_arn, other_listener_form, pass_task_roles};
use crate::spec::{CodeDeploy, EcsTarget, LambdaTarget, LoadBalancer, Platform, Targets};

pub(super) fn statements(ctx: &Ctx<'_>, deploy: &CodeDeploy) -> Vec<Statement> {
    let mut statements = match deploy.platform {
        Platform::Server => server(ctx, deploy),
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
fn server(ctx: &Ctx<'_>, deploy: &CodeDeploy) -> Vec<Statement> {
    let mut statements = vec![Statement::allow_star_only(
        "FindInstances",
        &[
            "ec2:DescribeInstances",
            "ec2:DescribeInstanceStatus",
            "tag:GetResources",
        ],
    )];
    if let Some(Targets::AutoscalingGroups(groups)) = &deploy.targets {
        statements.extend(autoscaling(ctx, groups));
    }
    if let Some(lb) = &deploy.load_balancer {
        statements.extend(server_load_balancing(ctx, lb));
    }
    statements
}

fn autoscaling(ctx: &Ctx<'_>, groups: &[String]) -> [Statement; 2] {
    let mut arns: Vec<String> = groups
        .iter()
        .map(|g| ctx.target.autoscaling_group_arn(g))
        .collect();
    // Blue/green copies are named by CodeDeploy after the deployment group.
    arns.push(ctx.target.autoscaling_group_arn("CodeDeploy_*"));
    [
        Statement::allow_star_only(
            "ReadAutoScaling",
            &[
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeLifecycleHooks",
                "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeScalingActivities",
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
            ],
            arns,
        ),
    ]
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
        pass_task_roles(t),
    ]
}
