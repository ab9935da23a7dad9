//! Every AWS resource name pipewright derives from a spec, and the AWS rule each must follow, in
//! one place ([`rules`] holds the rules themselves).
//!
//! Validation checks these names against AWS's naming rules before any call is made, and the
//! resource model uses the very same functions, so a name that validated is the name that is
//! created. Names are deterministic: there is no local state, live AWS is the state, and the names
//! (plus the ownership tag) are how pipewright finds its resources again.

pub mod rules;

use super::model::{Deploy, Source, Spec};
use rules::NameRule;

/// A name pipewright will create something under, with the AWS rule it must follow.
#[derive(Debug, Clone)]
pub struct Derived {
    /// What is named, in messages: `the CodeBuild role`.
    pub what: &'static str,
    pub name: String,
    pub rule: NameRule,
}

impl Derived {
    fn new(what: &'static str, name: String, rule: NameRule) -> Self {
        Self { what, name, rule }
    }
}

/// Length assumed for a Region when the spec names none (the longest commercial Region name,
/// `ap-southeast-3`/`ap-northeast-3`, has 14 characters).
pub const LONGEST_REGION_LEN: usize = 14;

/// Names of everything a spec produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names<'a> {
    pipeline: &'a str,
}

impl<'a> Names<'a> {
    #[must_use]
    pub fn new(spec: &'a Spec) -> Self {
        Self {
            pipeline: &spec.name,
        }
    }

    /// The spec's `name`.
    #[must_use]
    pub fn base(&self) -> &'a str {
        self.pipeline
    }

    #[must_use]
    pub fn pipeline(&self) -> String {
        format!("{}-pipeline", self.pipeline)
    }

    #[must_use]
    pub fn build_project(&self) -> String {
        format!("{}-build", self.pipeline)
    }

    /// The build's CloudWatch log group (created by pipewright so `down` can remove it).
    #[must_use]
    pub fn log_group(&self) -> String {
        format!("/aws/codebuild/{}", self.build_project())
    }

    #[must_use]
    pub fn codebuild_role(&self) -> String {
        format!("{}-codebuild-role", self.pipeline)
    }

    #[must_use]
    pub fn codepipeline_role(&self) -> String {
        format!("{}-codepipeline-role", self.pipeline)
    }

    #[must_use]
    pub fn codedeploy_role(&self) -> String {
        format!("{}-codedeploy-role", self.pipeline)
    }

    /// Role EventBridge assumes to start the pipeline on a CodeCommit push.
    #[must_use]
    pub fn events_role(&self) -> String {
        format!("{}-events-role", self.pipeline)
    }

    /// EventBridge rule that starts the pipeline when the source branch changes.
    #[must_use]
    pub fn source_rule(&self) -> String {
        format!("{}-source-change", self.pipeline)
    }

    /// The artifact bucket. Bucket names are global, so the account and Region make it unique.
    #[must_use]
    pub fn artifact_bucket(&self, account_id: &str, region: &str) -> String {
        format!("{}-artifacts-{account_id}-{region}", self.pipeline)
    }

    /// The CodeDeploy application (one per pipeline; each environment is a deployment group).
    #[must_use]
    pub fn codedeploy_application(&self) -> String {
        format!("{}-app", self.pipeline)
    }

    /// The deployment group of a deploy stage (`Deploy` for a single `deploy:` block).
    #[must_use]
    pub fn deployment_group(&self, stage: &str) -> String {
        if stage == SINGLE_STAGE {
            format!("{}-group", self.pipeline)
        } else {
            format!("{}-{stage}-group", self.pipeline)
        }
    }

    /// A custom deployment config for a stage (only when the strategy needs custom settings);
    /// the model appends `-<8 hex>` of its settings. Configs cannot be tagged, so their names
    /// carry ownership: a pipeline name has no `.`, so `<name>.` is no other pipeline's prefix.
    #[must_use]
    pub fn deployment_config(&self, stage: &str) -> String {
        format!("{}{stage}", self.deployment_config_prefix())
    }

    /// The prefix every custom deployment config of this pipeline starts with.
    #[must_use]
    pub fn deployment_config_prefix(&self) -> String {
        format!("{}.", self.pipeline)
    }

    /// The names that grow from `name` alone (the artifact bucket's also from the account and
    /// Region), for what `spec` creates.
    #[must_use]
    pub fn pipeline_wide(&self, spec: &Spec, account_id: &str, region: &str) -> Vec<Derived> {
        let mut derived = vec![
            Derived::new(
                "the artifact bucket",
                self.artifact_bucket(account_id, region),
                rules::S3_BUCKET,
            ),
            Derived::new("the pipeline", self.pipeline(), rules::PIPELINE),
            Derived::new(
                "the CodeBuild project",
                self.build_project(),
                rules::CODEBUILD_PROJECT,
            ),
            Derived::new("the build log group", self.log_group(), rules::LOG_GROUP),
            Derived::new("the CodeBuild role", self.codebuild_role(), rules::IAM_ROLE),
            Derived::new(
                "the CodePipeline role",
                self.codepipeline_role(),
                rules::IAM_ROLE,
            ),
        ];
        if matches!(spec.source, Source::Codecommit(_) | Source::S3(_)) {
            derived.push(Derived::new(
                "the EventBridge role",
                self.events_role(),
                rules::IAM_ROLE,
            ));
            derived.push(Derived::new(
                "the EventBridge rule",
                self.source_rule(),
                rules::EVENTBRIDGE_RULE,
            ));
        }
        let uses_codedeploy = spec
            .stages()
            .iter()
            .any(|stage| stage.codedeploy().is_some());
        if uses_codedeploy {
            derived.push(Derived::new(
                "the CodeDeploy role",
                self.codedeploy_role(),
                rules::IAM_ROLE,
            ));
            derived.push(Derived::new(
                "the CodeDeploy application",
                self.codedeploy_application(),
                rules::CODEDEPLOY_APPLICATION,
            ));
        }
        derived
    }

    /// The names a CodeDeploy stage adds: its deployment group, and its custom deployment
    /// config when it has one.
    #[must_use]
    pub fn of_codedeploy_stage(&self, stage: &str, custom_config: bool) -> Vec<Derived> {
        let mut derived = vec![Derived::new(
            "the deployment group",
            self.deployment_group(stage),
            rules::DEPLOYMENT_GROUP,
        )];
        if custom_config {
            derived.push(Derived::new(
                "the deployment config",
                self.deployment_config(stage),
                rules::DEPLOYMENT_CONFIG,
            ));
        }
        derived
    }

    /// The report group CodeBuild creates for a report (`<project>-<report>`).
    #[must_use]
    pub fn report_group(&self, report: &str) -> Derived {
        Derived::new(
            "the report group",
            format!("{}-{report}", self.build_project()),
            rules::CODEBUILD_REPORT_GROUP,
        )
    }
}

/// Stage name used when the spec has a single `deploy:` block.
pub const SINGLE_STAGE: &str = "Deploy";

impl Spec {
    #[must_use]
    pub fn names(&self) -> Names<'_> {
        Names::new(self)
    }

    /// The CodeCommit repository name, when the source is CodeCommit.
    #[must_use]
    pub fn codecommit_repository(&self) -> Option<&str> {
        match &self.source {
            Source::Codecommit(cc) => Some(&cc.repository),
            _ => None,
        }
    }

    /// Site buckets named by S3 deploy stages.
    pub fn site_buckets(&self) -> impl Iterator<Item = &str> {
        self.stages()
            .into_iter()
            .filter_map(|stage| match stage.deploy {
                Deploy::S3(s3) => Some(s3.bucket.as_str()),
                Deploy::Codedeploy(_) => None,
            })
    }
}
