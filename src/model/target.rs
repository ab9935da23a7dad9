//! The account and Region a pipeline lives in, and the ARNs that follow from them.
//!
//! Every ARN pipewright needs is computed, never looked up: it lets IAM policies name exact
//! resources before those resources exist, so roles and the things they guard can be created
//! concurrently.

/// Where a pipeline is deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub account_id: String,
    pub region: String,
    /// `aws`, `aws-cn` or `aws-us-gov`.
    pub partition: String,
}

impl Target {
    #[must_use]
    pub fn new(account_id: impl Into<String>, region: impl Into<String>) -> Self {
        let region = region.into();
        let partition = if region.starts_with("cn-") {
            "aws-cn"
        } else if region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        };
        Self {
            account_id: account_id.into(),
            region,
            partition: partition.to_owned(),
        }
    }

    fn arn(&self, service: &str, regional: bool, resource: &str) -> String {
        let region = if regional { self.region.as_str() } else { "" };
        format!(
            "arn:{}:{service}:{region}:{}:{resource}",
            self.partition, self.account_id
        )
    }

    #[must_use]
    pub fn role_arn(&self, name: &str) -> String {
        self.arn("iam", false, &format!("role/{name}"))
    }

    #[must_use]
    pub fn bucket_arn(&self, name: &str) -> String {
        format!("arn:{}:s3:::{name}", self.partition)
    }

    #[must_use]
    pub fn repository_arn(&self, name: &str) -> String {
        self.arn("codecommit", true, name)
    }

    #[must_use]
    pub fn project_arn(&self, name: &str) -> String {
        self.arn("codebuild", true, &format!("project/{name}"))
    }

    #[must_use]
    pub fn log_group_arn(&self, name: &str) -> String {
        self.arn("logs", true, &format!("log-group:{name}"))
    }

    #[must_use]
    pub fn pipeline_arn(&self, name: &str) -> String {
        self.arn("codepipeline", true, name)
    }

    #[must_use]
    pub fn application_arn(&self, name: &str) -> String {
        self.arn("codedeploy", true, &format!("application:{name}"))
    }

    #[must_use]
    pub fn deployment_group_arn(&self, application: &str, group: &str) -> String {
        self.arn(
            "codedeploy",
            true,
            &format!("deploymentgroup:{application}/{group}"),
        )
    }

    #[must_use]
    pub fn deployment_config_arn(&self, name: &str) -> String {
        self.arn("codedeploy", true, &format!("deploymentconfig:{name}"))
    }

    #[must_use]
    pub fn rule_arn(&self, name: &str) -> String {
        self.arn("events", true, &format!("rule/{name}"))
    }

    /// A Lambda function by name (an ARN is kept as it is).
    #[must_use]
    pub fn lambda_arn(&self, function: &str) -> String {
        if function.starts_with("arn:") {
            return function.to_owned();
        }
        self.arn("lambda", true, &format!("function:{function}"))
    }

    /// An EC2 resource (`instance/*`, …) of this account and Region, or (`owned: false`) of no
    /// account, as AMI ARNs are.
    #[must_use]
    pub fn ec2_arn(&self, owned: bool, resource: &str) -> String {
        if owned {
            self.arn("ec2", true, resource)
        } else {
            format!("arn:{}:ec2:{}::{resource}", self.partition, self.region)
        }
    }

    /// A CloudWatch alarm by name.
    #[must_use]
    pub fn alarm_arn(&self, name: &str) -> String {
        self.arn("cloudwatch", true, &format!("alarm:{name}"))
    }

    /// An ECR repository by name.
    #[must_use]
    pub fn ecr_repository_arn(&self, name: &str) -> String {
        self.arn("ecr", true, &format!("repository/{name}"))
    }

    #[must_use]
    pub fn autoscaling_group_arn(&self, group: &str) -> String {
        self.arn(
            "autoscaling",
            true,
            &format!("autoScalingGroup:*:autoScalingGroupName/{group}"),
        )
    }

    /// A load balancer target group by name (an ARN is kept as it is); the name's random
    /// suffix is AWS's, so the pattern ends in `/*`.
    #[must_use]
    pub fn target_group_arn(&self, name: &str) -> String {
        if name.starts_with("arn:") {
            return name.to_owned();
        }
        self.arn(
            "elasticloadbalancing",
            true,
            &format!("targetgroup/{name}/*"),
        )
    }

    /// Every CodeBuild report group whose name starts with `prefix`.
    #[must_use]
    pub fn report_groups_arn(&self, prefix: &str) -> String {
        self.arn("codebuild", true, &format!("report-group/{prefix}*"))
    }

    /// An ECS resource (`service/<cluster>/<service>`, `task-definition/*`, …).
    #[must_use]
    pub fn ecs_arn(&self, resource: &str) -> String {
        self.arn("ecs", true, resource)
    }

    #[must_use]
    pub fn ssm_parameter_arn(&self, name: &str) -> String {
        let name = name.trim_start_matches('/');
        self.arn("ssm", true, &format!("parameter/{name}"))
    }

    /// A Secrets Manager secret by name: AWS appends a random 6-character suffix to secret ARNs,
    /// so policies match it with `-??????`.
    #[must_use]
    pub fn secret_arn_pattern(&self, secret_id: &str) -> String {
        if secret_id.starts_with("arn:") {
            return secret_id.to_owned();
        }
        self.arn(
            "secretsmanager",
            true,
            &format!("secret:{secret_id}-??????"),
        )
    }

    /// Service principal host, e.g. `codebuild.amazonaws.com` (`.com.cn` in China).
    #[must_use]
    pub fn service_principal(&self, service: &str) -> String {
        if self.partition == "aws-cn" {
            format!("{service}.amazonaws.com.cn")
        } else {
            format!("{service}.amazonaws.com")
        }
    }
}
