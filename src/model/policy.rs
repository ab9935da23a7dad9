//! IAM policy documents, least privilege: every statement names the exact ARNs of this pipeline's
//! resources, except for the actions AWS only defines on `*`, which are listed in
//! [`STAR_ONLY_ACTIONS`] with the reason — the one place such an exception may come from.

use serde_json::{Value, json};

/// Actions that AWS's service authorization reference defines with no resource type, so `*` is
/// the only resource a policy can name for them. Each entry: (action, why pipewright needs it).
pub const STAR_ONLY_ACTIONS: &[(&str, &str)] = &[
    (
        "ec2:DescribeInstances",
        "CodeDeploy finds the instances of a server deployment by tag",
    ),
    (
        "ec2:DescribeInstanceStatus",
        "CodeDeploy checks instance health during a server deployment",
    ),
    (
        "autoscaling:DescribeAutoScalingGroups",
        "CodeDeploy reads the Auto Scaling groups it deploys to",
    ),
    (
        "autoscaling:DescribeLifecycleHooks",
        "CodeDeploy reads its lifecycle hook on the Auto Scaling groups",
    ),
    (
        "autoscaling:DescribeAutoScalingInstances",
        "CodeDeploy maps instances to Auto Scaling groups",
    ),
    (
        "autoscaling:DescribeScalingActivities",
        "CodeDeploy watches scale-out during a blue/green deployment",
    ),
    (
        "autoscaling:DescribePolicies",
        "CodeDeploy copies the group's scaling policies to a blue/green copy",
    ),
    (
        "autoscaling:DescribeScheduledActions",
        "CodeDeploy copies the group's scheduled actions to a blue/green copy",
    ),
    (
        "autoscaling:DescribeNotificationConfigurations",
        "CodeDeploy copies the group's notifications to a blue/green copy",
    ),
    (
        "autoscaling:DescribeWarmPool",
        "CodeDeploy copies the group's warm pool to a blue/green copy",
    ),
    (
        "elasticloadbalancing:DescribeTargetGroups",
        "CodeDeploy resolves target group names to ARNs",
    ),
    (
        "elasticloadbalancing:DescribeTargetHealth",
        "CodeDeploy waits for targets to become healthy",
    ),
    (
        "elasticloadbalancing:DescribeListeners",
        "CodeDeploy reads the listeners it reroutes (ECS)",
    ),
    (
        "elasticloadbalancing:DescribeRules",
        "CodeDeploy reads the listener rules it reroutes (ECS)",
    ),
    (
        "cloudwatch:DescribeAlarms",
        "CodeDeploy polls the deployment's alarms to stop on alarm",
    ),
    (
        "ecs:CreateTaskSet",
        "CodeDeploy creates the replacement (green) task set; ECS defines no resource type for it",
    ),
    (
        "ecr:GetAuthorizationToken",
        "a build that pushes or pulls images logs in to ECR (`build.permissions.ecr_push`/`ecr_pull`)",
    ),
    (
        "tag:GetResources",
        "CodeDeploy finds on-premises instances and EC2 instances by tag",
    ),
];

/// One `Allow` (or `Deny`) statement.
#[derive(Debug, Clone)]
pub struct Statement {
    sid: String,
    effect: &'static str,
    actions: Vec<String>,
    resources: Vec<String>,
    principal: Option<Value>,
    condition: Option<Value>,
}

impl Statement {
    #[must_use]
    pub fn allow(sid: &str, actions: &[&str], resources: Vec<String>) -> Self {
        Self {
            sid: sid.to_owned(),
            effect: "Allow",
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
            resources,
            principal: None,
            condition: None,
        }
    }

    /// An allow on `*` for actions AWS defines only on `*`; panics in tests if one is not listed.
    #[must_use]
    pub fn allow_star_only(sid: &str, actions: &[&str]) -> Self {
        debug_assert!(
            actions
                .iter()
                .all(|a| STAR_ONLY_ACTIONS.iter().any(|(known, _)| known == a)),
            "{actions:?} must be listed in STAR_ONLY_ACTIONS"
        );
        Self::allow(sid, actions, vec!["*".to_owned()])
    }

    #[must_use]
    pub fn deny(sid: &str, actions: &[&str], resources: Vec<String>) -> Self {
        Self {
            effect: "Deny",
            ..Self::allow(sid, actions, resources)
        }
    }

    #[must_use]
    pub fn principal(mut self, principal: Value) -> Self {
        self.principal = Some(principal);
        self
    }

    #[must_use]
    pub fn condition(mut self, condition: Value) -> Self {
        self.condition = Some(condition);
        self
    }

    fn to_json(&self) -> Value {
        let mut statement = serde_json::Map::new();
        statement.insert("Sid".into(), json!(self.sid));
        statement.insert("Effect".into(), json!(self.effect));
        if let Some(principal) = &self.principal {
            statement.insert("Principal".into(), principal.clone());
        }
        statement.insert("Action".into(), json!(self.actions));
        statement.insert("Resource".into(), json!(self.resources));
        if let Some(condition) = &self.condition {
            statement.insert("Condition".into(), condition.clone());
        }
        Value::Object(statement)
    }
}

/// Statements of one role gathered from several sources (a CodeDeploy role serving several
/// environments): those with the same `Sid`, actions and condition become one whose resources
/// are the union (IAM wants each `Sid` once per policy); any other `Sid` clash gets a number.
#[must_use]
pub fn merge(statements: Vec<Statement>) -> Vec<Statement> {
    let mut merged: Vec<Statement> = Vec::new();
    for mut statement in statements {
        if let Some(same) = merged.iter_mut().find(|m| {
            m.sid == statement.sid
                && m.effect == statement.effect
                && m.actions == statement.actions
                && m.condition == statement.condition
                && m.principal == statement.principal
        }) {
            for resource in statement.resources {
                if !same.resources.contains(&resource) {
                    same.resources.push(resource);
                }
            }
            same.resources.sort();
            continue;
        }
        let base = statement.sid.clone();
        let mut n = 2;
        while merged.iter().any(|m| m.sid == statement.sid) {
            statement.sid = format!("{base}{n}");
            n += 1;
        }
        merged.push(statement);
    }
    merged
}

/// A policy document from statements (empty resource lists are dropped).
#[must_use]
pub fn document(statements: &[Statement]) -> Value {
    let statements: Vec<Value> = statements
        .iter()
        .filter(|s| !s.resources.is_empty() && !s.actions.is_empty())
        .map(Statement::to_json)
        .collect();
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// The trust policy letting one AWS service assume a role, for this account only
/// (`aws:SourceAccount`) and, where the service sends it, for one resource only
/// (`aws:SourceArn`): AWS's advice against the cross-service confused deputy.
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html>
#[must_use]
pub fn trust(service_principal: &str, account: &str, source_arn: Option<&str>) -> Value {
    let mut condition = json!({ "StringEquals": { "aws:SourceAccount": account } });
    if let Some(arn) = source_arn {
        condition["ArnLike"] = json!({ "aws:SourceArn": arn });
    }
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": service_principal },
            "Action": "sts:AssumeRole",
            "Condition": condition
        }]
    })
}

/// A bucket policy statement that refuses any request not made over TLS.
#[must_use]
pub fn deny_insecure_transport(bucket_arn: &str) -> Statement {
    Statement::deny(
        "DenyInsecureTransport",
        &["s3:*"],
        vec![bucket_arn.to_owned(), format!("{bucket_arn}/*")],
    )
    .principal(json!("*"))
    .condition(json!({ "Bool": { "aws:SecureTransport": "false" } }))
}

/// A bucket policy statement allowing anyone to read objects (public websites only).
#[must_use]
pub fn public_read(bucket_arn: &str) -> Statement {
    Statement::allow(
        "PublicRead",
        &["s3:GetObject"],
        vec![format!("{bucket_arn}/*")],
    )
    .principal(json!("*"))
}
