//! The estimate itself: pure arithmetic over the desired model, the usage assumptions and the
//! prices. No I/O, no AWS, no clock: every line can be computed by hand, and the tests do.
//!
//! Each line is `(quantity − free) × unit price`. Quantities come from the model (which actions
//! the pipeline runs, the project's compute type, the artifact bucket's lifecycle rule, the log
//! group's retention) and from [`Usage`], whose every field is a flag of `pipewright cost`.

use std::fmt::Write as _;

use serde::Serialize;

use super::prices::{Allowance, Price, Selected};
use crate::model::{ActionCategory, Kind, Model, Pipeline, Resource, ResourceId};
use crate::spec::{CodeDeploy, Deploy, DeployStage, Platform, Spec, Strategy};

/// Days in the month the estimate is for (storage kept N days costs N/30 of a GB-month).
pub const DAYS_PER_MONTH: f64 = 30.0;
/// A CodeDeploy batch of instances: install, hooks, validation.
pub const MINUTES_PER_BATCH: u32 = 2;
/// Launching the replacement fleet of a server blue/green deployment (a copied Auto Scaling
/// group) or the replacement task set of an ECS one.
pub const GREEN_FLEET_MINUTES: u32 = 5;
/// Minutes an S3 deploy action takes to copy the artifact into the bucket (rounded up).
pub const S3_DEPLOY_MINUTES: u32 = 1;
/// Lambda alias update around the traffic shift.
pub const LAMBDA_DEPLOY_MINUTES: u32 = 1;

const MB_PER_GB: f64 = 1024.0;
const KB_PER_GB: f64 = 1024.0 * 1024.0;

/// What the user expects the pipeline to do in a month: every field is a flag.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Usage {
    /// Pipeline executions (each one builds).
    pub builds_per_month: u32,
    /// Minutes one build runs.
    pub build_minutes: f64,
    /// Executions that reach the deploy stages (each deploys every stage).
    pub deploys_per_month: u32,
    /// People (IAM identities) using the CodeCommit repository.
    pub users: u32,
    /// Instances in each server deployment group.
    pub instances: u32,
    /// Minutes a source action takes (rounded up).
    pub source_minutes: u32,
    /// Minutes each deploy action takes, instead of pipewright's per-platform guess.
    pub deploy_minutes: Option<u32>,
    /// Size of each artifact (source zip, build output).
    pub artifact_mb: f64,
    /// Build log written per build minute.
    pub log_kb_per_build_minute: f64,
    /// Files an S3 deploy copies into the bucket.
    pub site_files: u32,
    /// Apply the monthly free allowances.
    pub free_tier: bool,
}

impl Default for Usage {
    fn default() -> Self {
        Self {
            builds_per_month: 100,
            build_minutes: 5.0,
            deploys_per_month: 100,
            users: 1,
            instances: 1,
            source_minutes: 1,
            deploy_minutes: None,
            artifact_mb: 10.0,
            log_kb_per_build_minute: 50.0,
            site_files: 20,
            free_tier: true,
        }
    }
}

/// The monthly cost of one pipeline, line by line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    /// Always true: this is an estimate, not a quote or a bill.
    pub estimate: bool,
    pub currency: String,
    pub pipeline: String,
    pub region: String,
    /// The Region whose prices were used (differs from `region` when the price file has none).
    pub prices_region: String,
    /// The latest date any price was read on.
    pub prices_read_on: String,
    /// The account the model was built for (a placeholder: `cost` calls no AWS API).
    pub account: String,
    pub lines: Vec<Line>,
    pub total_usd: f64,
    pub free_tier: bool,
    pub assumptions: Vec<Assumption>,
    pub notes: Vec<String>,
}

/// One billed item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    pub service: String,
    pub item: String,
    /// How the quantity was reached.
    pub detail: String,
    pub quantity: f64,
    pub unit: String,
    /// The part of `quantity` a free allowance covers.
    pub free_quantity: f64,
    pub free_tier_applied: bool,
    pub unit_price: f64,
    pub price_unit: String,
    pub monthly_usd: f64,
    pub price_source: String,
    pub price_read_on: String,
}

/// A usage figure the estimate rests on, and the flag that changes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assumption {
    pub what: String,
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
}

impl Estimate {
    /// Estimate the monthly cost of `model` (built from `spec`) under `usage`.
    #[must_use]
    pub fn compute(
        spec: &Spec,
        model: &Model,
        usage: &Usage,
        prices: Selected<'_>,
        prices_read_on: &str,
    ) -> Self {
        let mut builder = Builder {
            spec,
            model,
            usage,
            prices: prices.prices,
            lines: Vec::new(),
            assumptions: Vec::new(),
            notes: Vec::new(),
        };
        builder.codepipeline();
        builder.codebuild();
        builder.codedeploy();
        builder.codecommit();
        builder.s3();
        builder.logs();
        builder.common_notes(prices);
        let total = round(builder.lines.iter().map(|l| l.monthly_usd).sum());
        Estimate {
            estimate: true,
            currency: "USD".to_owned(),
            pipeline: pipeline(model).map_or_else(String::new, |p| p.name.clone()),
            region: prices.region.to_owned(),
            prices_region: prices.prices_region.to_owned(),
            prices_read_on: prices_read_on.to_owned(),
            account: model.target.account_id.clone(),
            lines: builder.lines,
            total_usd: total,
            free_tier: usage.free_tier,
            assumptions: builder.assumptions,
            notes: builder.notes,
        }
    }

    /// The line of a service whose item starts with `item`, for tests and callers.
    #[must_use]
    pub fn line(&self, service: &str, item: &str) -> Option<&Line> {
        self.lines
            .iter()
            .find(|l| l.service == service && l.item.starts_with(item))
    }
}

struct Builder<'a> {
    spec: &'a Spec,
    model: &'a Model,
    usage: &'a Usage,
    prices: &'a super::prices::RegionPrices,
    lines: Vec<Line>,
    assumptions: Vec<Assumption>,
    notes: Vec<String>,
}

/// A line before its cost is worked out.
struct Draft<'p> {
    service: &'static str,
    item: String,
    detail: String,
    quantity: f64,
    unit: &'static str,
    free: Option<&'p Allowance>,
    price: &'p Price,
    price_unit: &'static str,
    /// Prices per 1,000 requests take quantities in thousands.
    per: f64,
}

impl Builder<'_> {
    fn assume(&mut self, what: impl Into<String>, value: impl Into<String>, flag: Option<&str>) {
        self.assumptions.push(Assumption {
            what: what.into(),
            value: value.into(),
            flag: flag.map(str::to_owned),
        });
    }

    fn push(&mut self, draft: Draft<'_>) {
        let quantity = draft.quantity / draft.per;
        let free = match draft.free {
            Some(allowance) if self.usage.free_tier => quantity.min(allowance.quantity),
            _ => 0.0,
        };
        self.push_with_free(draft, quantity, free);
    }

    fn push_with_free(&mut self, draft: Draft<'_>, quantity: f64, free: f64) {
        let billable = (quantity - free).max(0.0);
        self.lines.push(Line {
            service: draft.service.to_owned(),
            item: draft.item,
            detail: draft.detail,
            quantity: round(quantity),
            unit: draft.unit.to_owned(),
            free_quantity: round(free),
            free_tier_applied: free > 0.0,
            unit_price: draft.price.usd,
            price_unit: draft.price_unit.to_owned(),
            monthly_usd: round(billable * draft.price.usd),
            price_source: draft.price.source.clone(),
            price_read_on: draft.price.read_on.clone(),
        });
    }

    /// V2: every action execution is billed by the minute, rounded up, except approvals.
    fn codepipeline(&mut self) {
        let usage = self.usage;
        self.assume(
            "pipeline executions a month (each one builds)",
            usage.builds_per_month.to_string(),
            Some("--builds-per-month"),
        );
        self.assume(
            "executions that reach the deploy stages",
            usage.deploys_per_month.to_string(),
            Some("--deploys-per-month"),
        );
        self.assume(
            "minutes a source action runs",
            usage.source_minutes.to_string(),
            Some("--source-minutes"),
        );
        let Some(pipeline) = pipeline(self.model) else {
            return;
        };
        let mut total = 0.0;
        let mut parts = Vec::new();
        let mut approvals = 0;
        for stage in &pipeline.stages {
            for action in &stage.actions {
                let (executions, minutes) = match action.category {
                    ActionCategory::Source => (usage.builds_per_month, usage.source_minutes),
                    ActionCategory::Build => (usage.builds_per_month, build_minutes_billed(usage)),
                    ActionCategory::Approval => {
                        approvals += 1;
                        continue;
                    }
                    _ => {
                        let minutes = self.deploy_minutes(&stage.name);
                        (usage.deploys_per_month, minutes)
                    }
                };
                total += f64::from(executions) * f64::from(minutes);
                let name = if stage.name == action.name {
                    stage.name.clone()
                } else {
                    format!("{}/{}", stage.name, action.name)
                };
                parts.push(format!("{name} {executions} × {minutes} min"));
            }
        }
        if approvals > 0 {
            self.notes.push(format!(
                "Manual approval actions ({approvals}) are not charged by CodePipeline."
            ));
        }
        let prices = &self.prices.codepipeline;
        self.push(Draft {
            service: "CodePipeline",
            item: "V2 action-execution minutes".to_owned(),
            detail: parts.join(", "),
            quantity: total,
            unit: "min",
            free: Some(&prices.v2_free_action_minutes),
            price: &prices.v2_action_minute,
            price_unit: "min",
            per: 1.0,
        });
    }

    /// How long one execution of a deploy stage's deploy action runs, and why.
    fn deploy_minutes(&mut self, stage_name: &str) -> u32 {
        let stages = self.spec.stages();
        let Some(stage) = stages.iter().find(|s| s.name == stage_name) else {
            return S3_DEPLOY_MINUTES;
        };
        let (minutes, why) = match self.usage.deploy_minutes {
            Some(minutes) => (minutes, "as given".to_owned()),
            None => self.guess_deploy_minutes(stage),
        };
        self.assume(
            format!("minutes the {stage_name} deploy action runs ({why})"),
            minutes.to_string(),
            Some("--deploy-minutes"),
        );
        minutes
    }

    fn guess_deploy_minutes(&self, stage: &DeployStage<'_>) -> (u32, String) {
        let cd = match stage.deploy {
            Deploy::S3(_) => return (S3_DEPLOY_MINUTES, "S3 copy".to_owned()),
            Deploy::Codedeploy(cd) => cd.as_ref(),
        };
        let terminate = self.terminate_after_minutes(stage.name);
        let shift = traffic_shift_minutes(cd);
        match cd.platform {
            Platform::Lambda => (
                LAMBDA_DEPLOY_MINUTES + shift,
                format!("{LAMBDA_DEPLOY_MINUTES} + {shift} of traffic shifting"),
            ),
            Platform::Ecs => (
                GREEN_FLEET_MINUTES + shift + terminate,
                format!(
                    "{GREEN_FLEET_MINUTES} to start the new task set + {shift} of traffic \
                     shifting + {terminate} before the old one stops"
                ),
            ),
            Platform::Server if cd.strategy == Strategy::BlueGreen => (
                GREEN_FLEET_MINUTES + MINUTES_PER_BATCH + terminate,
                format!(
                    "{GREEN_FLEET_MINUTES} to launch the new fleet + {MINUTES_PER_BATCH} to \
                     install + {terminate} before the old one ends"
                ),
            ),
            Platform::Server => {
                let batches = batches(cd, self.usage.instances);
                (
                    batches * MINUTES_PER_BATCH,
                    format!("{batches} batch(es) × {MINUTES_PER_BATCH} min"),
                )
            }
        }
    }

    /// The blue/green termination wait of a stage's deployment group, from the model.
    fn terminate_after_minutes(&self, stage: &str) -> u32 {
        deployment_group(self.spec, self.model, stage)
            .and_then(|g| g.blue_green.as_ref())
            .map_or(0, |bg| bg.terminate_after_minutes)
    }

    /// Minutes × the price of the project's compute type; 100 free minutes on small.
    fn codebuild(&mut self) {
        let usage = self.usage;
        self.assume(
            "minutes one build runs (billed rounded up to the minute)",
            trim(usage.build_minutes),
            Some("--build-minutes"),
        );
        let Some(project) = self.model.resources.iter().find_map(|r| match r {
            Resource::Project(p) => Some(p),
            _ => None,
        }) else {
            return;
        };
        let compute = project.environment.compute_type.as_str();
        let Some(price) = self.prices.codebuild_minute(compute) else {
            self.notes.push(format!(
                "No price for CodeBuild compute type {compute}: the build is not estimated."
            ));
            return;
        };
        if let Some(note) = price
            .note
            .as_deref()
            .filter(|n| n.starts_with("NOT CONFIRMED"))
        {
            self.notes.push(format!("CodeBuild {compute}: {note}"));
        }
        let minutes = build_minutes_billed(usage);
        let prices = self.prices;
        let free =
            (compute == "BUILD_GENERAL1_SMALL").then_some(&prices.codebuild.free_small_minutes);
        self.push(Draft {
            service: "CodeBuild",
            item: format!("{compute} minutes"),
            detail: format!("Linux builds, {} × {minutes} min", usage.builds_per_month),
            quantity: f64::from(usage.builds_per_month) * f64::from(minutes),
            unit: "min",
            free,
            price,
            price_unit: "min",
            per: 1.0,
        });
    }

    /// Free for EC2/ECS; per instance update on-premises. (Lambda deploys through CodePipeline's
    /// Lambda action: no CodeDeploy line; its minutes are the pipeline's.)
    fn codedeploy(&mut self) {
        let usage = self.usage;
        let mut assumed_instances = false;
        for stage in self.spec.stages() {
            let Some(cd) = stage.codedeploy() else {
                continue;
            };
            let on_premises = deployment_group(self.spec, self.model, stage.name)
                .is_some_and(|g| !g.on_premises_tags.is_empty());
            if cd.platform == Platform::Server && !assumed_instances {
                assumed_instances = true;
                self.assume(
                    "instances in each server deployment group",
                    usage.instances.to_string(),
                    Some("--instances"),
                );
            }
            let prices = &self.prices.codedeploy;
            if on_premises {
                self.push(Draft {
                    service: "CodeDeploy",
                    item: format!("on-premises instance updates ({})", stage.name),
                    detail: format!(
                        "{} deployments × {} instances",
                        usage.deploys_per_month, usage.instances
                    ),
                    quantity: f64::from(usage.deploys_per_month) * f64::from(usage.instances),
                    unit: "updates",
                    free: None,
                    price: &prices.on_premises_instance_update,
                    price_unit: "update",
                    per: 1.0,
                });
            } else {
                let target = if cd.platform == Platform::Ecs {
                    "ECS"
                } else {
                    "EC2"
                };
                self.push(Draft {
                    service: "CodeDeploy",
                    item: format!("deployments to {target} ({})", stage.name),
                    detail: "no charge for EC2, Lambda and ECS".to_owned(),
                    quantity: f64::from(usage.deploys_per_month),
                    unit: "deployments",
                    free: None,
                    price: &prices.aws_compute_update,
                    price_unit: "deployment",
                    per: 1.0,
                });
            }
        }
    }

    /// Active users beyond the free five; the pipeline's role is one of them.
    fn codecommit(&mut self) {
        if !self
            .model
            .resources
            .iter()
            .any(|r| r.kind() == Kind::Repository)
        {
            return;
        }
        let usage = self.usage;
        self.assume(
            "people using the CodeCommit repository",
            usage.users.to_string(),
            Some("--users"),
        );
        let prices = &self.prices.codecommit;
        self.push(Draft {
            service: "CodeCommit",
            item: "active users".to_owned(),
            detail: format!(
                "{} + the pipeline's role (it reads the repository)",
                match usage.users {
                    1 => "1 person".to_owned(),
                    n => format!("{n} people"),
                }
            ),
            quantity: f64::from(usage.users) + 1.0,
            unit: "users",
            free: Some(&prices.free_active_users),
            price: &prices.active_user_month,
            price_unit: "user",
            per: 1.0,
        });
    }

    /// Artifacts kept by the lifecycle rule, and the requests that write and read them.
    fn s3(&mut self) {
        let usage = self.usage;
        self.assume(
            "size of each artifact (source zip, build output)",
            format!("{} MB", trim(usage.artifact_mb)),
            Some("--artifact-mb"),
        );
        let Some(pipeline) = pipeline(self.model) else {
            return;
        };
        let artifacts = artifact_transfers(pipeline, usage);
        let deploys = deploy_transfers(self.spec, usage);
        if deploys.site_puts > 0.0 {
            self.assume(
                "files an S3 deploy copies into the site bucket",
                usage.site_files.to_string(),
                Some("--site-files"),
            );
        }
        self.artifact_storage(artifacts.uploads);
        self.s3_requests(&artifacts, &deploys);
        if !self.spec.build.cache.is_empty() {
            self.notes.push(
                "The build cache (build.cache) is kept in the artifact bucket and is not estimated."
                    .to_owned(),
            );
        }
    }

    /// Artifacts stored as long as the artifact bucket's lifecycle rule keeps them.
    fn artifact_storage(&mut self, uploads: f64) {
        let usage = self.usage;
        let lifecycle = self.model.resources.iter().find_map(|r| match r {
            Resource::Bucket(b) => b.lifecycle,
            _ => None,
        });
        let kept_days = lifecycle.map_or(DAYS_PER_MONTH, |l| {
            f64::from(l.expire_days) + f64::from(l.noncurrent_expire_days)
        });
        let kept = lifecycle.map_or_else(
            || "kept a month".to_owned(),
            |l| {
                format!(
                    "kept {} + {} days (lifecycle rule)",
                    l.expire_days, l.noncurrent_expire_days
                )
            },
        );
        let uploaded_gb = uploads * usage.artifact_mb / MB_PER_GB;
        self.push(Draft {
            service: "S3",
            item: "artifact storage (Standard)".to_owned(),
            detail: format!(
                "{} artifacts × {} MB a month, {kept}",
                trim(uploads),
                trim(usage.artifact_mb)
            ),
            quantity: uploaded_gb * kept_days / DAYS_PER_MONTH,
            unit: "GB-month",
            free: None,
            price: &self.prices.s3.standard_gb_month,
            price_unit: "GB-month",
            per: 1.0,
        });
    }

    /// PUTs (artifact uploads, files an S3 deploy copies) and GETs (artifact downloads by
    /// actions, revision downloads by instances).
    fn s3_requests(&mut self, artifacts: &ArtifactTransfers, deploys: &DeployTransfers) {
        let prices = &self.prices.s3;
        let mut put_detail = format!("{} artifact uploads", trim(artifacts.uploads));
        if deploys.site_puts > 0.0 {
            let _ = write!(
                put_detail,
                " + {} files copied by S3 deploys",
                trim(deploys.site_puts)
            );
        }
        self.push(Draft {
            service: "S3",
            item: "PUT requests".to_owned(),
            detail: put_detail,
            quantity: artifacts.uploads + deploys.site_puts,
            unit: "1k requests",
            free: None,
            price: &prices.put_1000,
            price_unit: "1k requests",
            per: 1000.0,
        });
        let mut get_detail = format!(
            "{} artifact downloads by actions",
            trim(artifacts.downloads)
        );
        if deploys.instance_gets > 0.0 {
            let _ = write!(
                get_detail,
                " + {} revision downloads by instances",
                trim(deploys.instance_gets)
            );
        }
        self.push(Draft {
            service: "S3",
            item: "GET requests".to_owned(),
            detail: get_detail,
            quantity: artifacts.downloads + deploys.instance_gets,
            unit: "1k requests",
            free: None,
            price: &prices.get_1000,
            price_unit: "1k requests",
            per: 1000.0,
        });
    }

    /// Build logs: ingestion per GB, storage at the log group's retention; 5 GB free in all.
    fn logs(&mut self) {
        let usage = self.usage;
        self.assume(
            "build log written per build minute",
            format!("{} KB", trim(usage.log_kb_per_build_minute)),
            Some("--log-kb-per-minute"),
        );
        let Some(group) = self.model.resources.iter().find_map(|r| match r {
            Resource::LogGroup(g) => Some(g),
            _ => None,
        }) else {
            return;
        };
        let ingested =
            f64::from(usage.builds_per_month) * usage.build_minutes * usage.log_kb_per_build_minute
                / KB_PER_GB;
        let stored = ingested * f64::from(group.retention_days) / DAYS_PER_MONTH;
        let prices = &self.prices.logs;
        let allowance = if usage.free_tier {
            prices.free_gb.quantity
        } else {
            0.0
        };
        let free_ingested = ingested.min(allowance);
        let free_stored = stored.min(allowance - free_ingested);
        self.push_with_free(
            Draft {
                service: "CloudWatch Logs",
                item: "build log ingestion".to_owned(),
                detail: format!(
                    "{} builds × {} min × {} KB",
                    usage.builds_per_month,
                    trim(usage.build_minutes),
                    trim(usage.log_kb_per_build_minute)
                ),
                quantity: ingested,
                unit: "GB",
                free: None,
                price: &prices.ingestion_gb,
                price_unit: "GB",
                per: 1.0,
            },
            ingested,
            free_ingested,
        );
        self.push_with_free(
            Draft {
                service: "CloudWatch Logs",
                item: "build log storage".to_owned(),
                detail: format!(
                    "kept {} days (the log group's retention), uncompressed",
                    group.retention_days
                ),
                quantity: stored,
                unit: "GB-month",
                free: None,
                price: &prices.storage_gb_month,
                price_unit: "GB-month",
                per: 1.0,
            },
            stored,
            free_stored,
        );
    }

    fn common_notes(&mut self, prices: Selected<'_>) {
        if prices.is_fallback() {
            self.notes.push(format!(
                "pipewright's price file has no prices for {}: {} prices are used.",
                prices.region, prices.prices_region
            ));
        }
        if self.usage.free_tier {
            self.notes.push(
                "Free allowances are per account and shared by everything in it; \
                 --no-free-tier estimates without them."
                    .to_owned(),
            );
        }
        self.notes.push(
            "Not included: data transfer, KMS, EventBridge, the site bucket's storage and \
             traffic, and the compute you deploy to."
                .to_owned(),
        );
    }
}

/// Artifacts written and read in a month: each action's outputs and inputs, as often as the
/// action runs (source and build every execution, the rest every deployment).
struct ArtifactTransfers {
    uploads: f64,
    downloads: f64,
}

fn artifact_transfers(pipeline: &Pipeline, usage: &Usage) -> ArtifactTransfers {
    let (mut uploads, mut downloads) = (0.0, 0.0);
    for action in pipeline.stages.iter().flat_map(|stage| &stage.actions) {
        let executions = f64::from(match action.category {
            ActionCategory::Source | ActionCategory::Build => usage.builds_per_month,
            _ => usage.deploys_per_month,
        });
        uploads += executions * count(action.outputs.len());
        downloads += executions * count(action.inputs.len());
    }
    ArtifactTransfers { uploads, downloads }
}

/// Objects deploys move in a month: files an S3 deploy copies into its bucket, revisions each
/// server instance downloads.
struct DeployTransfers {
    site_puts: f64,
    instance_gets: f64,
}

fn deploy_transfers(spec: &Spec, usage: &Usage) -> DeployTransfers {
    let (mut site_puts, mut instance_gets) = (0.0, 0.0);
    for stage in spec.stages() {
        match stage.deploy {
            Deploy::S3(_) => {
                site_puts += f64::from(usage.deploys_per_month) * f64::from(usage.site_files);
            }
            Deploy::Codedeploy(cd) if cd.platform == Platform::Server => {
                instance_gets += f64::from(usage.deploys_per_month) * f64::from(usage.instances);
            }
            Deploy::Codedeploy(_) => {}
        }
    }
    DeployTransfers {
        site_puts,
        instance_gets,
    }
}

/// The build's billed minutes: rounded up to the whole minute.
fn build_minutes_billed(usage: &Usage) -> u32 {
    let minutes = usage.build_minutes.ceil();
    // The CLI accepts 0 < minutes ≤ 2160 (CodeBuild's longest timeout).
    if minutes <= 0.0 {
        0
    } else if minutes >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        // In range and integral: the conversion is exact.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let whole = minutes as u32;
        whole
    }
}

/// Minutes CodeDeploy spends moving traffic (the deploy action waits for all of it).
#[must_use]
pub fn traffic_shift_minutes(cd: &CodeDeploy) -> u32 {
    let Some(steps) = cd.traffic_steps() else {
        return 0;
    };
    let (percent, interval) = (steps.percent.max(1), steps.interval_minutes);
    match cd.strategy {
        // The first step at once, everything after one interval.
        Strategy::Canary => interval,
        // One step at once, then one per interval until 100 %.
        _ => (100_u32.div_ceil(percent) - 1) * interval,
    }
}

/// Batches of an in-place server deployment.
fn batches(cd: &CodeDeploy, instances: u32) -> u32 {
    let instances = instances.max(1);
    match cd.strategy {
        Strategy::HalfAtATime => instances.min(2),
        // One at a time (custom minimum healthy hosts: assume the slowest case).
        Strategy::Rolling => instances,
        _ => 1,
    }
}

fn pipeline(model: &Model) -> Option<&Pipeline> {
    model.resources.iter().find_map(|r| match r {
        Resource::Pipeline(p) => Some(p),
        _ => None,
    })
}

fn deployment_group<'m>(
    spec: &Spec,
    model: &'m Model,
    stage: &str,
) -> Option<&'m crate::model::DeploymentGroup> {
    let names = spec.names();
    let id = ResourceId::new(
        Kind::DeploymentGroup,
        format!(
            "{}/{}",
            names.codedeploy_application(),
            names.deployment_group(stage)
        ),
    );
    match model.get(&id) {
        Some(Resource::DeploymentGroup(g)) => Some(g),
        _ => None,
    }
}

fn count(n: usize) -> f64 {
    f64::from(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Six decimals: enough for a millionth of a dollar, without binary noise in JSON.
fn round(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

/// A number without trailing zeros, grouped by thousands (`5`, `2.5`, `2,000`).
fn trim(value: f64) -> String {
    super::numbers::quantity(round(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{CodeDeploy, Traffic};

    fn lambda(strategy: Strategy, traffic: Option<Traffic>) -> CodeDeploy {
        let yaml = "platform: lambda\nlambda: {function: f, alias: live}\n";
        let mut cd: CodeDeploy = serde_saphyr::from_str(yaml).unwrap();
        cd.strategy = strategy;
        cd.traffic = traffic;
        cd
    }

    #[test]
    fn traffic_shifts_last_as_long_as_their_steps() {
        assert_eq!(traffic_shift_minutes(&lambda(Strategy::AllAtOnce, None)), 0);
        assert_eq!(traffic_shift_minutes(&lambda(Strategy::Canary, None)), 5);
        assert_eq!(traffic_shift_minutes(&lambda(Strategy::Linear, None)), 9);
        let every = |percent, interval_minutes| {
            Some(Traffic {
                percent,
                interval_minutes,
            })
        };
        assert_eq!(
            traffic_shift_minutes(&lambda(Strategy::Canary, every(20, 30))),
            30
        );
        // 25 % every 3 minutes: 25, 50, 75, 100 → three intervals.
        assert_eq!(
            traffic_shift_minutes(&lambda(Strategy::Linear, every(25, 3))),
            9
        );
        // 30 % every 2 minutes: 30, 60, 90, 100 → three intervals.
        assert_eq!(
            traffic_shift_minutes(&lambda(Strategy::Linear, every(30, 2))),
            6
        );
    }

    #[test]
    fn whole_minutes_and_tidy_numbers() {
        let usage = |build_minutes| Usage {
            build_minutes,
            ..Usage::default()
        };
        assert_eq!(build_minutes_billed(&usage(5.0)), 5);
        assert_eq!(build_minutes_billed(&usage(4.01)), 5);
        assert_eq!(build_minutes_billed(&usage(0.1)), 1);
        assert_eq!(trim(2.5), "2.5");
        assert_eq!(trim(10.0), "10");
        assert_eq!(trim(2000.0), "2,000");
        assert!((round(0.1 + 0.2) - 0.3).abs() < f64::EPSILON);
    }
}
