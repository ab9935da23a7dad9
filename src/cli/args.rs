//! What the user can type: clap definitions, and their conversion into the settings values the
//! layers below own ([`AwsSettings`], [`Output`]), so nothing below `cli` reads an argument.
//!
//! Like ripgrep's "low args", these types only describe and check what was typed; the command
//! modules resolve them into what the program runs with.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::aws::AwsSettings;
use crate::output::{Format, Output};

pub(crate) const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  the operation or the pipeline failed
  2  bad usage or an invalid spec
  3  changes pending (only with `plan --detailed-exitcode`)
  130 interrupted (Ctrl-C)";

/// Turn one pipewright.yml into a complete AWS delivery pipeline, and back out again.
#[derive(Debug, Parser)]
#[command(name = "pipewright", version, about, after_help = EXIT_CODES, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// The spec file.
    #[arg(
        short = 'f',
        long = "file",
        global = true,
        default_value = "pipewright.yml"
    )]
    pub file: PathBuf,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Human)]
    pub output: OutputFormat,
    /// Never colour the output (also when NO_COLOR is set or stdout is not a terminal).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Say more (repeat for more detail).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print only errors and the final result.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

/// Where and as whom AWS is reached; resolved once into an SDK config (see `aws::clients`).
#[derive(Debug, Clone, Default, Args)]
pub struct AwsArgs {
    /// AWS profile (else AWS_PROFILE / default).
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// AWS Region (else the spec's `region`, AWS_REGION, the profile; us-east-1 with
    /// --localstack).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Send every AWS call to this endpoint (an emulator).
    #[arg(long, global = true, env = "AWS_ENDPOINT_URL", value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Use a local emulator: http://localhost:4566 (unless AWS_ENDPOINT_URL or --endpoint-url
    /// says where), test credentials when none are configured, and Region us-east-1 when none
    /// is set, as LocalStack's own tools do.
    #[arg(long, global = true)]
    pub localstack: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
}

impl GlobalArgs {
    /// The output settings these flags ask for.
    #[must_use]
    pub fn output(&self) -> Output {
        let format = match self.output {
            OutputFormat::Human => Format::Human,
            OutputFormat::Json => Format::Json,
        };
        Output::resolve(format, self.no_color, self.quiet, self.verbose)
    }
}

impl AwsArgs {
    /// How to reach AWS, with the spec's `region` under `--region`.
    #[must_use]
    pub fn settings(&self, spec_region: Option<&str>) -> AwsSettings {
        AwsSettings::new(
            self.profile.clone(),
            self.region.clone(),
            self.endpoint_url.clone(),
            self.localstack,
        )
        .or_spec_region(spec_region)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented starter pipewright.yml (and hook scripts where the kind needs them).
    Init(InitArgs),
    /// Check the spec without calling AWS.
    Validate(ValidateArgs),
    /// Generate buildspec.yml (and appspec.yml for CodeDeploy) from the spec.
    Render(RenderArgs),
    /// Print the spec's JSON Schema (draft-07), for editors.
    Schema,
    /// Print shell completions.
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a folder that `man` reads.
    Man(ManArgs),
    /// Show what `up` would change.
    Plan(PlanArgs),
    /// Create or update the pipeline so that AWS matches the spec.
    Up(UpArgs),
    /// Remove everything this pipeline owns (the source repository is kept).
    Down(DownArgs),
    /// Commit a folder to the source branch (or upload it for an S3 source).
    Push(PushArgs),
    /// Show the pipeline's stages and the latest status of each action.
    Status(StatusArgs),
    /// Start the pipeline and follow it to the end.
    Run(RunArgs),
    /// Show why the pipeline failed: the failing action and its log lines.
    Logs(LogsArgs),
    /// Estimate the pipeline's monthly cost.
    Cost(CostArgs),
    /// Draw the pipeline and the resources behind it.
    Graph(GraphArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InitKind {
    StaticSite,
    Ec2Rolling,
    Ec2BlueGreen,
    LambdaCanary,
    EcsBlueGreen,
    GithubSource,
}

impl InitKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            InitKind::StaticSite => "static-site",
            InitKind::Ec2Rolling => "ec2-rolling",
            InitKind::Ec2BlueGreen => "ec2-blue-green",
            InitKind::LambdaCanary => "lambda-canary",
            InitKind::EcsBlueGreen => "ecs-blue-green",
            InitKind::GithubSource => "github-source",
        }
    }
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// What kind of pipeline to start from.
    #[arg(long, value_enum, default_value_t = InitKind::StaticSite)]
    pub kind: InitKind,
    /// Pipeline name (default: the current folder's name, made valid).
    #[arg(long)]
    pub name: Option<String>,
    /// Overwrite existing files.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Treat warnings as errors.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Folder to write into (default: the spec's folder).
    #[arg(long, value_name = "DIR", conflicts_with = "stdout")]
    pub out: Option<PathBuf>,
    /// Print the files instead of writing them.
    #[arg(long)]
    pub stdout: bool,
    /// Write nothing; exit 1 with a diff when the files on disk differ (for CI).
    #[arg(long, conflicts_with = "stdout")]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write pipewright.1 and a page per command (pipewright-up.1, …) into this folder, creating
    /// it, instead of printing pipewright.1.
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Exit 3 when there are changes (0 when none).
    #[arg(long)]
    pub detailed_exitcode: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub yes: bool,
    /// How many AWS calls may run at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
    /// Seconds to wait for another `up`/`down` of this pipeline to finish before giving up.
    #[arg(long, default_value_t = 120, value_name = "SECONDS")]
    pub lock_wait: u64,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub apply: ApplyArgs,
    /// Use an existing same-named CodeCommit repository that pipewright did not create.
    #[arg(long)]
    pub adopt: bool,
}

#[derive(Debug, Args)]
pub struct DownArgs {
    #[command(flatten)]
    pub apply: ApplyArgs,
    /// Show what would be removed, remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also delete the CodeCommit source repository (asks first when it has commits).
    #[arg(long)]
    pub delete_repo: bool,
    /// Empty buckets even when they hold objects pipewright did not write.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// Folder to push (default: the spec's folder).
    pub dir: Option<PathBuf>,
    /// Commit message.
    #[arg(short, long, default_value = "Pushed by pipewright")]
    pub message: String,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Redraw until the current execution ends.
    #[arg(long)]
    pub watch: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Print the execution id and return at once.
    #[arg(long, conflicts_with = "stop")]
    pub no_wait: bool,
    /// Stop the running execution instead of starting one.
    #[arg(long)]
    pub stop: bool,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// A pipeline execution id (default: the latest that failed, else the latest).
    #[arg(long)]
    pub execution: Option<String>,
    /// Only this stage.
    #[arg(long)]
    pub stage: Option<String>,
    /// Only this action.
    #[arg(long)]
    pub action: Option<String>,
    /// Only lines newer than this: `10m`, `2h`, `1d` or an ISO 8601 time.
    #[arg(long)]
    pub since: Option<String>,
    /// Keep printing new lines as they are written.
    #[arg(long)]
    pub follow: bool,
    /// With --follow: stop when the execution ends, with its exit status.
    #[arg(long, requires = "follow")]
    pub until_done: bool,
    /// How many lines before the failure to show.
    #[arg(long, default_value_t = 50, conflicts_with = "all")]
    pub lines: usize,
    /// The whole log.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct CostArgs {
    /// Pipeline executions per month.
    #[arg(long, default_value_t = 100)]
    pub builds_per_month: u32,
    /// Minutes per build.
    #[arg(long, default_value_t = 5.0)]
    pub build_minutes: f64,
    /// Deployments per month (default: one per build).
    #[arg(long)]
    pub deploys_per_month: Option<u32>,
    /// Active CodeCommit users.
    #[arg(long, default_value_t = 1)]
    pub users: u32,
    /// Instances in each server deployment group (on-premises updates, rolling batches).
    #[arg(long, default_value_t = 1)]
    pub instances: u32,
    /// Minutes a source action runs (CodePipeline rounds each action up to the minute).
    #[arg(long, default_value_t = 1)]
    pub source_minutes: u32,
    /// Minutes each deploy action runs (default: a guess from the platform and strategy).
    #[arg(long)]
    pub deploy_minutes: Option<u32>,
    /// Size of each pipeline artifact in MB (the source zip, the build output).
    #[arg(long, default_value_t = 10.0)]
    pub artifact_mb: f64,
    /// Build log written per build minute, in KB.
    #[arg(long, default_value_t = 50.0)]
    pub log_kb_per_minute: f64,
    /// Files an S3 deploy copies into the site bucket.
    #[arg(long, default_value_t = 20)]
    pub site_files: u32,
    /// Ignore the monthly free allowances (they are per account, shared with everything in it).
    #[arg(long)]
    pub no_free_tier: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Terminal,
    Mermaid,
    Dot,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// `terminal` (box drawing), `mermaid` (pastes into GitHub markdown) or `dot` (Graphviz).
    #[arg(long, value_enum, default_value_t = GraphFormat::Terminal)]
    pub format: GraphFormat,
    /// Terminal format: plain ASCII instead of box-drawing characters.
    #[arg(long)]
    pub ascii: bool,
}
