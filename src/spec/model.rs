//! The typed shape of `pipewright.yml` (spec version 1).
//!
//! These types are the single source of truth for the spec: serde reads them, schemars turns them
//! into the JSON Schema that editors use and that [`super::structure`] walks to report every
//! structural error with its line and column. Semantic rules that a schema cannot express live in
//! [`super::validate`]. Nothing here knows about AWS SDK types.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A whole `pipewright.yml`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Spec format version. Only `1` exists.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// Pipeline name: prefixes every resource pipewright creates (`<name>-build`, `<name>-pipeline`, …).
    /// Lowercase letters, digits and hyphens; starts with a letter.
    #[schemars(regex(pattern = r"^[a-z]([a-z0-9]|-[a-z0-9])*$"))]
    pub name: String,
    /// AWS Region. When absent, the profile's or the environment's Region is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Tags added to every resource, beside pipewright's own `pipewright:pipeline` tag.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Where the code comes from: exactly one of `codecommit`, `github`, `s3`.
    pub source: Source,
    /// How the code is built (a CodeBuild project).
    pub build: Build,
    /// Where the build goes: exactly one of `s3`, `codedeploy`. Use `environments` instead for several
    /// deploy stages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy: Option<Deploy>,
    /// Several deploy stages, deployed in order (instead of `deploy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub environments: Option<Vec<Environment>>,
    /// A folder (relative to this file) holding templates that replace the built-in ones
    /// (`buildspec.yml.j2`, `appspec-server.yml.j2`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub templates: Option<String>,
    /// A customer-managed KMS key (its key ARN) for the artifact bucket, the build's artifacts
    /// and the pipeline's artifact store, instead of S3-managed keys. The build and pipeline
    /// roles get `kms:Decrypt` and `kms:GenerateDataKey` on it, which also lets the build read
    /// secrets encrypted with it. The key's policy must let the account's IAM policies use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key: Option<String>,
}

/// Where the pipeline's source comes from.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Source {
    /// An AWS CodeCommit repository (created by `up` when missing).
    Codecommit(CodeCommitSource),
    /// A GitHub repository reached through an existing CodeStar connection.
    Github(GithubSource),
    /// A zip object in a versioned S3 bucket.
    S3(S3Source),
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeCommitSource {
    /// Repository name.
    pub repository: String,
    /// Branch that triggers the pipeline.
    #[serde(default = "default_branch")]
    pub branch: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GithubSource {
    /// `owner/repo`.
    pub repository: String,
    /// Branch that triggers the pipeline.
    #[serde(default = "default_branch")]
    pub branch: String,
    /// ARN of an existing CodeStar (CodeConnections) connection to GitHub.
    pub connection: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3Source {
    /// Bucket holding the source zip; it must have versioning enabled.
    pub bucket: String,
    /// Object key of the source zip.
    pub key: String,
}

fn default_branch() -> String {
    "main".to_owned()
}

/// The CodeBuild project and the generated buildspec.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Build {
    /// Build image.
    #[serde(default = "default_image")]
    pub image: String,
    /// Compute size.
    #[serde(default)]
    pub compute: Compute,
    /// Run the build container privileged (needed for `docker build`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub privileged: bool,
    /// Runtime versions installed in the `install` phase (`nodejs: "20"`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub runtimes: BTreeMap<String, String>,
    /// Plain environment variables. Never put secret values here: use `secrets`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Secret environment variables, by reference: `ssm:/param/name` or
    /// `secretsmanager:secret-id[:json-key[:version-stage[:version-id]]]`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, String>,
    /// Commands of the `install` phase.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub install: Vec<String>,
    /// Commands of the `pre_build` phase.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pre_build: Vec<String>,
    /// Commands of the `build` phase.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
    /// Commands of the `post_build` phase.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post_build: Vec<String>,
    /// What the build produces.
    #[serde(default)]
    pub artifacts: Artifacts,
    /// Test report groups.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reports: BTreeMap<String, Report>,
    /// Paths cached between builds (S3 cache).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cache: Vec<String>,
    /// Build timeout, 5 to 2160 minutes.
    #[serde(default = "default_timeout")]
    #[schemars(range(min = 5, max = 2160))]
    pub timeout_minutes: u32,
    /// Days CloudWatch keeps the build logs: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400,
    /// 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653.
    #[serde(default = "default_log_retention")]
    pub log_retention_days: u32,
    /// `generated` (the buildspec is rendered by pipewright and kept inline in the project) or a
    /// path inside the repository.
    #[serde(default = "default_buildspec")]
    pub buildspec: String,
    /// What the build's own commands may call on AWS (the build role's extra permissions): named
    /// shorthands that expand to the least privilege AWS documents, and IAM statements.
    #[serde(default, skip_serializing_if = "BuildPermissions::is_empty")]
    pub permissions: BuildPermissions,
}

/// Extra permissions of the build role, for what the build's commands call (`aws ecr ...`,
/// `aws lambda ...`, `aws s3 cp ...`). Each shorthand names resources; pipewright grants the
/// actions AWS's documentation lists for that task, on exactly those resources.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BuildPermissions {
    /// ECR repositories (names) the build pushes images to: `ecr:GetAuthorizationToken`, and the
    /// layer upload and `PutImage` actions on each repository.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ecr_push: Vec<String>,
    /// ECR repositories (names) the build pulls images from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ecr_pull: Vec<String>,
    /// Lambda functions (names) whose code the build updates and publishes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lambda_update: Vec<String>,
    /// S3 locations the build reads: `bucket` or `bucket/prefix`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub s3_read: Vec<String>,
    /// S3 locations the build writes: `bucket` or `bucket/prefix`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub s3_write: Vec<String>,
    /// IAM statements for anything else: `service:Action` names and resource ARNs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<PermissionStatement>,
}

impl BuildPermissions {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// One IAM `Allow` statement of the build role.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionStatement {
    /// Actions as IAM names them: `dynamodb:GetItem`, `sqs:SendMessage`.
    #[schemars(length(min = 1))]
    pub actions: Vec<String>,
    /// Resource ARNs (`arn:aws:dynamodb:us-east-1:123456789012:table/orders`); `*` only where you
    /// mean every resource (`validate --strict` warns).
    #[schemars(length(min = 1))]
    pub resources: Vec<String>,
}

fn default_image() -> String {
    "aws/codebuild/standard:7.0".to_owned()
}
fn default_timeout() -> u32 {
    15
}
fn default_log_retention() -> u32 {
    30
}
fn default_buildspec() -> String {
    BUILDSPEC_GENERATED.to_owned()
}
/// The `build.buildspec` value meaning "pipewright renders the buildspec".
pub const BUILDSPEC_GENERATED: &str = "generated";

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if takes a reference
fn is_false(value: &bool) -> bool {
    !*value
}
#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if takes a reference
fn is_true(value: &bool) -> bool {
    *value
}
fn default_true() -> bool {
    true
}

impl Build {
    /// True when pipewright renders the buildspec (rather than reading one from the repository).
    #[must_use]
    pub fn buildspec_is_generated(&self) -> bool {
        self.buildspec == BUILDSPEC_GENERATED
    }
}

/// CodeBuild compute sizes (`BUILD_GENERAL1_*`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Compute {
    /// 2 vCPUs, 4 GiB memory.
    #[default]
    Small,
    /// 4 vCPUs, 8 GiB memory.
    Medium,
    /// 8 vCPUs, 16 GiB memory.
    Large,
    /// 72 vCPUs, 144 GiB memory (Linux x86 images only).
    #[serde(rename = "2xlarge")]
    XLarge2,
}

impl Compute {
    /// The CodeBuild `computeType` value.
    #[must_use]
    pub fn codebuild_type(self) -> &'static str {
        match self {
            Compute::Small => "BUILD_GENERAL1_SMALL",
            Compute::Medium => "BUILD_GENERAL1_MEDIUM",
            Compute::Large => "BUILD_GENERAL1_LARGE",
            Compute::XLarge2 => "BUILD_GENERAL1_2XLARGE",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Artifacts {
    /// Folder (relative to the source root) the `files` globs are relative to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_directory: Option<String>,
    /// Globs of the files to keep.
    #[serde(default = "default_artifact_files")]
    #[schemars(length(min = 1))]
    pub files: Vec<String>,
    /// Drop the folder part of each path.
    #[serde(default, skip_serializing_if = "is_false")]
    pub discard_paths: bool,
}

impl Default for Artifacts {
    fn default() -> Self {
        Self {
            base_directory: None,
            files: default_artifact_files(),
            discard_paths: false,
        }
    }
}

fn default_artifact_files() -> Vec<String> {
    vec!["**/*".to_owned()]
}

/// A CodeBuild report group fed by test result files.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// Globs of the test result files.
    #[schemars(length(min = 1))]
    pub files: Vec<String>,
    /// Format of the result files.
    #[serde(default)]
    pub format: ReportFormat,
    /// Folder (relative to the source root) the `files` globs are relative to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_directory: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReportFormat {
    #[default]
    Junitxml,
    Cucumberjson,
    Nunitxml,
    Nunit3xml,
    Testngxml,
    Visualstudiotrx,
    Clovercml,
    Coberturaxml,
    Jacocoxml,
    Simplecov,
}

/// One deploy target.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Deploy {
    /// Copy the build output into an S3 bucket (a static website).
    S3(S3Deploy),
    /// Deploy with CodeDeploy to EC2/on-premises servers, Lambda or ECS.
    Codedeploy(Box<CodeDeploy>),
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3Deploy {
    /// The site bucket (created and owned by pipewright).
    pub bucket: String,
    /// Serve the bucket as a website.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<Website>,
    /// Allow public reads. Off by default: the bucket stays private.
    #[serde(default, skip_serializing_if = "is_false")]
    pub public: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Website {
    /// Object served for a folder (`index.html`).
    #[serde(default = "default_index")]
    pub index: String,
    /// Object served on errors (`404.html`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn default_index() -> String {
    "index.html".to_owned()
}

/// A CodeDeploy application, deployment group and the `appspec.yml` that drives it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeDeploy {
    /// `server` (EC2/on-premises), `lambda` or `ecs`.
    pub platform: Platform,
    /// How traffic or instances move to the new revision.
    #[serde(default)]
    pub strategy: Strategy,
    /// Canary/linear traffic shifting (lambda, ecs). Default 10 % every/after 5 minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic: Option<Traffic>,
    /// Custom minimum healthy hosts for a rolling server deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_healthy: Option<MinimumHealthy>,
    /// The servers to deploy to (server platform).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Targets>,
    /// Load balancer target groups (blue-green on servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<LoadBalancer>,
    /// Blue-green with `autoscaling_groups`: the IAM role of the instance profile in the groups'
    /// launch template. CodeDeploy passes it to the copies it launches, and is allowed to pass
    /// exactly this role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_role: Option<String>,
    /// OS of the servers (server platform).
    #[serde(default)]
    pub os: Os,
    /// Files copied onto the server (server platform). Default: everything to `/opt/<name>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileMapping>,
    /// What the agent does when a destination file already exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_exists_behavior: Option<FileExistsBehavior>,
    /// Lifecycle hooks: script paths in the repository (server) or Lambda function names (ecs).
    /// Lambda deployments take none: the Lambda deploy action invokes no hooks.
    #[serde(default, skip_serializing_if = "Hooks::is_empty")]
    pub hooks: Hooks,
    /// The Lambda function and alias to shift (lambda platform).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda: Option<LambdaTarget>,
    /// The ECS service to shift (ecs platform).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecs: Option<EcsTarget>,
    /// Roll back automatically when a deployment fails (or an alarm fires).
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub auto_rollback: bool,
    /// CloudWatch alarm names that stop the deployment (at most 10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub alarms: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// EC2 instances or on-premises servers running the CodeDeploy agent.
    Server,
    /// A Lambda function alias.
    Lambda,
    /// An ECS service behind a load balancer (blue/green).
    Ecs,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Everything at once (any platform).
    #[default]
    AllAtOnce,
    /// One server at a time, or `minimum_healthy` at a time (server).
    Rolling,
    /// Half of the servers at a time (server).
    HalfAtATime,
    /// New servers or tasks behind the load balancer, then traffic moves over (server, ecs).
    BlueGreen,
    /// `traffic.percent` first, the rest after `traffic.interval_minutes` (lambda, ecs).
    Canary,
    /// `traffic.percent` more every `traffic.interval_minutes` (lambda, ecs).
    Linear,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Traffic {
    /// Percent of traffic moved at each step (1–99).
    #[schemars(range(min = 1, max = 99))]
    pub percent: u32,
    /// Minutes between steps (1–2880).
    #[schemars(range(min = 1, max = 2880))]
    pub interval_minutes: u32,
}

impl Traffic {
    /// A canary without `traffic`: 10 % first, the rest 5 minutes later.
    pub const DEFAULT_CANARY: Traffic = Traffic {
        percent: 10,
        interval_minutes: 5,
    };
    /// A linear deployment without `traffic`: 10 % more every minute.
    pub const DEFAULT_LINEAR: Traffic = Traffic {
        percent: 10,
        interval_minutes: 1,
    };
}

impl CodeDeploy {
    /// Whether the CodeDeploy service runs this deployment (servers and ECS). A Lambda
    /// deployment goes through CodePipeline's own Lambda deploy action instead: no CodeDeploy
    /// application, group or appspec (README, "Lambda").
    #[must_use]
    pub fn runs_on_codedeploy(&self) -> bool {
        self.platform != Platform::Lambda
    }

    /// The traffic steps a canary or linear strategy means: the spec's `traffic`, else the
    /// defaults above (the one place they are decided); `None` for the other strategies.
    #[must_use]
    pub fn traffic_steps(&self) -> Option<Traffic> {
        match self.strategy {
            Strategy::Canary => Some(self.traffic.unwrap_or(Traffic::DEFAULT_CANARY)),
            Strategy::Linear => Some(self.traffic.unwrap_or(Traffic::DEFAULT_LINEAR)),
            _ => None,
        }
    }
}

/// Minimum healthy hosts during an in-place deployment: a count or a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum MinimumHealthy {
    /// At least this many servers stay healthy.
    Hosts(u32),
    /// At least this percentage of the servers stays healthy (0–99).
    Percent(#[schemars(range(max = 99))] u32),
}

/// The servers a deployment group reaches: exactly one of these.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Targets {
    /// EC2 instances carrying all of these tags.
    Ec2Tags(BTreeMap<String, String>),
    /// Auto Scaling groups by name.
    AutoscalingGroups(Vec<String>),
    /// Registered on-premises instances carrying all of these tags.
    OnPremisesTags(BTreeMap<String, String>),
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancer {
    /// Target group names.
    #[schemars(length(min = 1))]
    pub target_groups: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Os {
    /// Linux servers.
    #[default]
    Linux,
    /// Windows servers.
    Windows,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileMapping {
    /// Path in the build output (`/` for all of it).
    pub source: String,
    /// Absolute path on the server.
    pub destination: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FileExistsBehavior {
    Disallow,
    Overwrite,
    Retain,
}

/// CodeDeploy lifecycle hooks, by event. Server hooks name scripts in the repository; ecs hooks
/// name Lambda functions.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hooks {
    /// ApplicationStop: stop the running application (server; skipped on a first deployment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_stop: Option<Hook>,
    /// BeforeInstall: before the files are copied (server) or the new task set is created (ecs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_install: Option<Hook>,
    /// AfterInstall: after the files are copied (server) or the task set is created (ecs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_install: Option<Hook>,
    /// ApplicationStart: start the application (server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_start: Option<Hook>,
    /// ValidateService: check the deployment worked (server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate_service: Option<Hook>,
    /// BeforeBlockTraffic: before the load balancer stops sending traffic (server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_block_traffic: Option<Hook>,
    /// AfterBlockTraffic: after the load balancer stopped sending traffic (server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_block_traffic: Option<Hook>,
    /// BeforeAllowTraffic: before traffic moves to the new revision (server, lambda, ecs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_allow_traffic: Option<Hook>,
    /// AfterAllowTraffic: after traffic moved to the new revision (server, lambda, ecs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_allow_traffic: Option<Hook>,
    /// AfterAllowTestTraffic: after the test listener serves the new tasks (ecs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_allow_test_traffic: Option<Hook>,
}

impl Hooks {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// `(spec key, AppSpec event name, hook)` for every hook set, in lifecycle order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &'static str, &Hook)> {
        [
            (
                "application_stop",
                "ApplicationStop",
                &self.application_stop,
            ),
            (
                "before_block_traffic",
                "BeforeBlockTraffic",
                &self.before_block_traffic,
            ),
            (
                "after_block_traffic",
                "AfterBlockTraffic",
                &self.after_block_traffic,
            ),
            ("before_install", "BeforeInstall", &self.before_install),
            ("after_install", "AfterInstall", &self.after_install),
            (
                "after_allow_test_traffic",
                "AfterAllowTestTraffic",
                &self.after_allow_test_traffic,
            ),
            (
                "application_start",
                "ApplicationStart",
                &self.application_start,
            ),
            (
                "validate_service",
                "ValidateService",
                &self.validate_service,
            ),
            (
                "before_allow_traffic",
                "BeforeAllowTraffic",
                &self.before_allow_traffic,
            ),
            (
                "after_allow_traffic",
                "AfterAllowTraffic",
                &self.after_allow_traffic,
            ),
        ]
        .into_iter()
        .filter_map(|(key, event, hook)| hook.as_ref().map(|h| (key, event, h)))
    }
}

/// A hook: a script path / function name, or the long form with a timeout and user.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Hook {
    Path(String),
    Detailed(HookDetail),
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HookDetail {
    /// Script path in the repository (server) or Lambda function name (lambda, ecs).
    pub location: String,
    /// Seconds before the hook is failed (server only, ≤ 3600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3600))]
    pub timeout: Option<u32>,
    /// User the script runs as (server, linux only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runas: Option<String>,
}

impl Hook {
    #[must_use]
    pub fn location(&self) -> &str {
        match self {
            Hook::Path(path) => path,
            Hook::Detailed(detail) => &detail.location,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LambdaTarget {
    /// Function name.
    pub function: String,
    /// Alias whose traffic CodeDeploy shifts.
    pub alias: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EcsTarget {
    /// Cluster name.
    pub cluster: String,
    /// Service name (created with the CODE_DEPLOY deployment controller).
    pub service: String,
    /// Container that receives traffic.
    pub container: String,
    /// Container port.
    #[schemars(range(min = 1))]
    pub port: u16,
    /// Exactly two target groups: blue and green.
    pub target_groups: Vec<String>,
    /// Production listener ARN.
    pub listener: String,
    /// Optional test listener ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_listener: Option<String>,
    /// The task definition's task role (`taskRoleArn` in taskdef.json), by name: the pipeline and
    /// CodeDeploy may pass exactly this role to ECS tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_role: Option<String>,
    /// The task definition's execution role (`executionRoleArn` in taskdef.json), by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role: Option<String>,
}

impl EcsTarget {
    /// The roles the task definition names (task, execution), as the spec declares them.
    pub fn task_roles(&self) -> impl Iterator<Item = &str> {
        [&self.task_role, &self.execution_role]
            .into_iter()
            .filter_map(|r| r.as_deref())
    }
}

/// One deploy stage of several.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Stage name (`staging`, `prod`).
    pub name: String,
    /// Wait for a manual approval before deploying.
    #[serde(default, skip_serializing_if = "is_false")]
    pub approval: bool,
    /// Where this stage deploys: exactly one of `s3`, `codedeploy`.
    pub deploy: Deploy,
}

impl Spec {
    /// Deploy stages in order: `deploy` as one stage named `Deploy`, or each environment.
    #[must_use]
    pub fn stages(&self) -> Vec<DeployStage<'_>> {
        match (&self.deploy, &self.environments) {
            (Some(deploy), _) => vec![DeployStage {
                name: "Deploy",
                approval: false,
                deploy,
            }],
            (None, Some(envs)) => envs
                .iter()
                .map(|env| DeployStage {
                    name: &env.name,
                    approval: env.approval,
                    deploy: &env.deploy,
                })
                .collect(),
            (None, None) => Vec::new(),
        }
    }
}

impl DeployStage<'_> {
    /// The stage's deployment when the CodeDeploy service runs it (see
    /// [`CodeDeploy::runs_on_codedeploy`]).
    #[must_use]
    pub fn codedeploy(&self) -> Option<&CodeDeploy> {
        match self.deploy {
            Deploy::Codedeploy(cd) if cd.runs_on_codedeploy() => Some(cd),
            _ => None,
        }
    }
}

/// A deploy stage as the rest of pipewright sees it, whichever way the spec wrote it.
#[derive(Debug, Clone, Copy)]
pub struct DeployStage<'a> {
    pub name: &'a str,
    pub approval: bool,
    pub deploy: &'a Deploy,
}
