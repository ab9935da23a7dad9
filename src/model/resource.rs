//! The resources pipewright manages, as plain data.
//!
//! Each kind is a struct holding exactly the properties pipewright sets. The desired model builds
//! them from the spec; the AWS adapters read live AWS back *into the same structs* (normalised),
//! so the plan is a comparison of two values of one type and a no-op `up` is provably no-op.
//! Serialising a resource (serde) gives the field paths the plan prints (`environment.image`).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{
    ActionCategory, ActionOwner, ComputePlatform, DeploymentStyle, GreenFleet, TrafficControl,
};

/// Tags as AWS takes them: key → value, in a stable order.
pub type Tags = BTreeMap<String, String>;

/// The kinds of resource, in the order they are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Role,
    RolePolicy,
    Bucket,
    Repository,
    LogGroup,
    Application,
    DeploymentConfig,
    Project,
    DeploymentGroup,
    Pipeline,
    Rule,
}

impl Kind {
    /// How people name this kind in messages.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Kind::Role => "IAM role",
            Kind::RolePolicy => "IAM role policy",
            Kind::Bucket => "S3 bucket",
            Kind::Repository => "CodeCommit repository",
            Kind::LogGroup => "log group",
            Kind::Application => "CodeDeploy application",
            Kind::DeploymentConfig => "deployment config",
            Kind::Project => "CodeBuild project",
            Kind::DeploymentGroup => "deployment group",
            Kind::Pipeline => "pipeline",
            Kind::Rule => "EventBridge rule",
        }
    }

    /// Creation rank: a resource only ever depends on resources of a lower rank, so deletes run
    /// from the highest rank down.
    #[must_use]
    pub fn rank(self) -> u8 {
        match self {
            Kind::Role
            | Kind::Bucket
            | Kind::Repository
            | Kind::LogGroup
            | Kind::Application
            | Kind::DeploymentConfig => 0,
            Kind::Project | Kind::DeploymentGroup | Kind::RolePolicy => 1,
            Kind::Pipeline => 2,
            Kind::Rule => 3,
        }
    }

    /// The kinds whose resources may refer to a resource of this kind, so that deleting it must
    /// wait for their changes (a pipeline stops using an old bucket before the bucket goes).
    /// AWS enforces none of these for roles, rules or pipelines, whose names are fixed per
    /// pipeline: nothing need wait for them.
    #[must_use]
    pub fn referenced_by(self) -> &'static [Kind] {
        match self {
            Kind::Bucket | Kind::Repository | Kind::Project | Kind::DeploymentGroup => {
                &[Kind::Pipeline]
            }
            Kind::LogGroup => &[Kind::Pipeline, Kind::Project],
            // A config in use cannot be deleted; an application's groups go with it.
            Kind::Application | Kind::DeploymentConfig => &[Kind::DeploymentGroup],
            // A role's inline policy goes first (DeleteRole refuses a role that has one).
            Kind::Role => &[Kind::RolePolicy],
            Kind::RolePolicy | Kind::Pipeline | Kind::Rule => &[],
        }
    }

    /// Whether AWS can carry the ownership tag on this kind. Deployment configs cannot be
    /// tagged (their names carry a content hash under the pipeline's prefix instead); a role
    /// policy is owned by its role's tag.
    #[must_use]
    pub fn taggable(self) -> bool {
        !matches!(self, Kind::DeploymentConfig | Kind::RolePolicy)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A resource's identity: its kind and name (names are unique per kind within a pipeline).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ResourceId {
    pub kind: Kind,
    pub name: String,
}

impl ResourceId {
    #[must_use]
    pub fn new(kind: Kind, name: impl Into<String>) -> Self {
        Self {
            kind,
            name: name.into(),
        }
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.label(), self.name)
    }
}

/// Any managed resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Resource {
    Role(Role),
    RolePolicy(RolePolicy),
    Bucket(Bucket),
    Repository(Repository),
    LogGroup(LogGroup),
    Application(Application),
    DeploymentConfig(DeploymentConfig),
    Project(Project),
    DeploymentGroup(DeploymentGroup),
    Pipeline(Pipeline),
    Rule(Rule),
}

impl Resource {
    #[must_use]
    pub fn kind(&self) -> Kind {
        match self {
            Resource::Role(_) => Kind::Role,
            Resource::RolePolicy(_) => Kind::RolePolicy,
            Resource::Bucket(_) => Kind::Bucket,
            Resource::Repository(_) => Kind::Repository,
            Resource::LogGroup(_) => Kind::LogGroup,
            Resource::Application(_) => Kind::Application,
            Resource::DeploymentConfig(_) => Kind::DeploymentConfig,
            Resource::Project(_) => Kind::Project,
            Resource::DeploymentGroup(_) => Kind::DeploymentGroup,
            Resource::Pipeline(_) => Kind::Pipeline,
            Resource::Rule(_) => Kind::Rule,
        }
    }

    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Resource::Role(r) => &r.name,
            Resource::RolePolicy(r) => &r.role,
            Resource::Bucket(r) => &r.name,
            Resource::Repository(r) => &r.name,
            Resource::LogGroup(r) => &r.name,
            Resource::Application(r) => &r.name,
            Resource::DeploymentConfig(r) => &r.name,
            Resource::Project(r) => &r.name,
            Resource::DeploymentGroup(r) => &r.name,
            Resource::Pipeline(r) => &r.name,
            Resource::Rule(r) => &r.name,
        }
    }

    /// The identity; a deployment group's is `application/group` (group names are per
    /// application).
    #[must_use]
    pub fn id(&self) -> ResourceId {
        match self {
            Resource::DeploymentGroup(g) => ResourceId::new(
                Kind::DeploymentGroup,
                format!("{}/{}", g.application, g.name),
            ),
            _ => ResourceId::new(self.kind(), self.name()),
        }
    }

    /// The tags pipewright sets (empty for kinds AWS cannot tag).
    #[must_use]
    pub fn tags(&self) -> Option<&Tags> {
        match self {
            Resource::Role(r) => Some(&r.tags),
            Resource::Bucket(r) => Some(&r.tags),
            Resource::Repository(r) => Some(&r.tags),
            Resource::LogGroup(r) => Some(&r.tags),
            Resource::Application(r) => Some(&r.tags),
            Resource::DeploymentConfig(_) | Resource::RolePolicy(_) => None,
            Resource::Project(r) => Some(&r.tags),
            Resource::DeploymentGroup(r) => Some(&r.tags),
            Resource::Pipeline(r) => Some(&r.tags),
            Resource::Rule(r) => Some(&r.tags),
        }
    }

    /// The properties as JSON, for diffing and printing (without the `kind` discriminator).
    #[must_use]
    pub fn properties(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(map) = value.as_object_mut() {
            map.remove("kind");
        }
        value
    }

    /// Fields of this live resource that AWS itself changed after creation, which pipewright
    /// must not change back.
    #[must_use]
    pub fn aws_managed_fields(&self) -> &'static [&'static str] {
        match self {
            Resource::DeploymentGroup(g) if g.autoscaling_groups_replaced_by_codedeploy() => {
                &["autoscaling_groups"]
            }
            _ => &[],
        }
    }

    /// Fields that cannot change in place: a change to one of them replaces the resource.
    #[must_use]
    pub fn immutable_fields(&self) -> &'static [&'static str] {
        match self {
            Resource::Application(_) => &["platform"],
            Resource::DeploymentConfig(_) => &["platform", "minimum_healthy", "traffic"],
            Resource::DeploymentGroup(_) => &["application"],
            _ => &[],
        }
    }
}

/// An IAM service role, trusting one service. Its permissions are a separate resource, a
/// [`RolePolicy`], because what needs the role to exist (CodeBuild accepts a project whose role
/// has no permissions yet) need not wait for its policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    pub description: String,
    /// The trust policy (one service principal).
    pub trust: serde_json::Value,
    pub tags: Tags,
}

/// A role's one inline least-privilege policy, named [`RolePolicy::NAME`]; owned through the
/// role's ownership tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolePolicy {
    pub role: String,
    pub document: serde_json::Value,
}

impl RolePolicy {
    /// Name of the inline policy pipewright owns on each of its roles.
    pub const NAME: &'static str = "pipewright";
}

/// What a bucket is for; decides nothing in AWS, only what `down` must be careful about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BucketPurpose {
    Artifacts,
    Site,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub name: String,
    #[serde(skip)]
    pub purpose: Option<BucketPurpose>,
    pub versioning: bool,
    /// All four S3 Block Public Access settings on.
    pub block_public_access: bool,
    /// Default encryption (SSE-S3, or SSE-KMS with `kms_key`).
    pub encryption: bool,
    /// The customer-managed KMS key of SSE-KMS default encryption (the artifact bucket, when the
    /// spec names `kms_key`).
    pub kms_key: Option<String>,
    pub policy: Option<serde_json::Value>,
    pub lifecycle: Option<Lifecycle>,
    pub website: Option<Website>,
    pub tags: Tags,
}

/// The artifact bucket's expiry rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    /// Current artifacts expire after this many days.
    pub expire_days: u32,
    /// Superseded versions expire after this many days.
    pub noncurrent_expire_days: u32,
    /// Incomplete multipart uploads are aborted after this many days.
    pub abort_multipart_days: u32,
}

impl Lifecycle {
    /// The id of the one lifecycle rule pipewright owns.
    pub const RULE_ID: &'static str = "pipewright-expire-artifacts";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Website {
    pub index: String,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repository {
    pub name: String,
    pub description: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogGroup {
    pub name: String,
    pub retention_days: u32,
    pub tags: Tags,
}

/// A CodeBuild project fed by CodePipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub name: String,
    pub description: String,
    pub service_role: String,
    /// The inline buildspec, or a path inside the source.
    pub buildspec: String,
    pub environment: BuildEnvironment,
    pub log_group: String,
    pub timeout_minutes: u32,
    /// S3 cache location (`bucket/prefix`), when the spec caches paths.
    pub cache: Option<String>,
    /// The customer-managed KMS key that encrypts the build's artifacts (else AWS's own).
    pub encryption_key: Option<String>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildEnvironment {
    pub image: String,
    pub compute_type: String,
    pub privileged: bool,
    /// Sorted by name.
    pub variables: Vec<EnvVar>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EnvVar {
    pub name: String,
    /// The value, or for secrets the reference (parameter name / secret id), never a secret.
    pub value: String,
    pub source: EnvVarSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EnvVarSource {
    Plaintext,
    ParameterStore,
    SecretsManager,
}

impl EnvVarSource {
    #[must_use]
    pub fn as_aws(self) -> &'static str {
        match self {
            EnvVarSource::Plaintext => "PLAINTEXT",
            EnvVarSource::ParameterStore => "PARAMETER_STORE",
            EnvVarSource::SecretsManager => "SECRETS_MANAGER",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub name: String,
    pub platform: ComputePlatform,
    pub tags: Tags,
}

/// A custom deployment config (only for settings no predefined config offers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentConfig {
    pub name: String,
    pub platform: ComputePlatform,
    pub minimum_healthy: Option<MinimumHealthyHosts>,
    pub traffic: Option<TrafficRouting>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinimumHealthyHosts {
    /// `HOST_COUNT` or `FLEET_PERCENT`.
    pub kind: MinimumHealthyKind,
    pub value: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MinimumHealthyKind {
    HostCount,
    FleetPercent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrafficRouting {
    pub kind: TrafficKind,
    pub percent: u32,
    pub interval_minutes: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrafficKind {
    TimeBasedCanary,
    TimeBasedLinear,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentGroup {
    pub name: String,
    pub application: String,
    pub service_role: String,
    pub config: String,
    pub style: DeploymentStyle,
    pub traffic_control: TrafficControl,
    pub ec2_tags: Tags,
    pub on_premises_tags: Tags,
    pub autoscaling_groups: Vec<String>,
    /// Target group names (server load balancing).
    pub target_groups: Vec<String>,
    pub blue_green: Option<BlueGreen>,
    pub ecs: Option<EcsGroup>,
    pub auto_rollback: bool,
    pub alarms: Vec<String>,
    pub tags: Tags,
}

impl DeploymentGroup {
    /// Blue/green on servers with copied Auto Scaling groups: after each deployment CodeDeploy
    /// points the group at the copies.
    #[must_use]
    pub fn copies_autoscaling_groups(&self) -> bool {
        self.blue_green
            .as_ref()
            .and_then(|b| b.green_fleet.as_ref())
            == Some(&GreenFleet::CopyAutoScalingGroup)
    }

    /// A live group whose Auto Scaling groups are CodeDeploy's copies
    /// (`CodeDeploy_<group>_<deployment id>`), set by a blue/green deployment.
    #[must_use]
    pub fn autoscaling_groups_replaced_by_codedeploy(&self) -> bool {
        self.copies_autoscaling_groups()
            && self
                .autoscaling_groups
                .iter()
                .any(|g| g.starts_with("CodeDeploy_"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlueGreen {
    /// Servers only (absent for ECS).
    pub green_fleet: Option<GreenFleet>,
    /// Minutes before the old (blue) fleet is terminated.
    pub terminate_after_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcsGroup {
    pub cluster: String,
    pub service: String,
    pub target_groups: Vec<String>,
    pub listener: String,
    pub test_listener: Option<String>,
}

/// A CodePipeline V2 pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pipeline {
    pub name: String,
    pub role: String,
    pub artifact_bucket: String,
    /// The customer-managed KMS key of the artifact store (else AWS's own).
    pub artifact_key: Option<String>,
    pub stages: Vec<Stage>,
    /// Git triggers (GitHub connections): the source action and its branch.
    pub trigger: Option<GitTrigger>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    pub name: String,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub name: String,
    pub category: ActionCategory,
    pub owner: ActionOwner,
    pub provider: String,
    pub version: String,
    pub run_order: i32,
    pub configuration: BTreeMap<String, String>,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitTrigger {
    pub source_action: String,
    pub branch: String,
}

/// The EventBridge rule that starts the pipeline on a push to the source branch, or on an
/// upload to the S3 source's object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub name: String,
    pub description: String,
    pub event_pattern: serde_json::Value,
    pub target_arn: String,
    pub target_role: String,
    /// The S3 source bucket whose object events must reach EventBridge for this rule to fire
    /// (its EventBridge delivery is on): `up` turns the delivery on when it is off, and records
    /// on the rule (tag [`Rule::BUCKET_EVENTS_TAG`]) that pipewright did, so that `down` turns
    /// it off again only then. Read back as `None` while the bucket's delivery is off.
    pub bucket_events: Option<String>,
    pub tags: Tags,
}

impl Rule {
    /// The id of the rule's one target.
    pub const TARGET_ID: &'static str = "pipewright-pipeline";
    /// The tag, on the rule, saying pipewright turned the source bucket's EventBridge delivery
    /// on (its value is the bucket's name).
    pub const BUCKET_EVENTS_TAG: &'static str = "pipewright:bucket-events";
}
