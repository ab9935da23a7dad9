//! `pipewright cost`: the monthly cost estimate of the spec's pipeline, offline.
//!
//! Also home of [`offline_model`], the desired model `cost` and `graph` build without calling
//! AWS: a placeholder account, and the Region from `--region`, the spec, `AWS_REGION` or
//! `us-east-1`, in that order. Both commands say which, so a guessed Region is never silent.

use super::Context;
use super::args::CostArgs;
use crate::cost::{Estimate, PriceFile, Usage};
use crate::error::{Error, Result};
use crate::model::{Inputs, Model, Target};
use crate::render::Renderer;
use crate::spec::{self, LoadedSpec};

/// The account offline commands build the model for: AWS's documentation example account.
pub(crate) const PLACEHOLDER_ACCOUNT: &str = "123456789012";
/// The Region offline commands use when nothing names one.
pub(crate) const DEFAULT_REGION: &str = "us-east-1";
/// CodeBuild's longest build timeout: a longer build is a typo.
const MAX_BUILD_MINUTES: f64 = 2160.0;

pub(crate) fn run(ctx: &Context, args: &CostArgs) -> Result<()> {
    let usage = usage(args)?;
    let offline = offline_model(ctx)?;
    let prices = PriceFile::embedded();
    let estimate = Estimate::compute(
        &offline.loaded.spec,
        &offline.model,
        &usage,
        prices.select(&offline.model.target.region),
        &prices.read_on(),
    );
    let text = if ctx.out.is_json() {
        serde_json::to_string_pretty(&estimate).unwrap_or_default()
    } else {
        estimate.to_string()
    };
    offline.note_region(ctx);
    emit(&(text + "\n"))
}

/// Write to stdout; a closed pipe (`cost | head`) is not an error.
pub(crate) fn emit(text: &str) -> Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::io("write to stdout")(e))
        }
        _ => Ok(()),
    }
}

/// High args: the flags checked and resolved into what the estimate runs with.
fn usage(args: &CostArgs) -> Result<Usage> {
    let bad = |flag: &str, value: f64, rule: &str| {
        Error::usage(
            format!("--{flag} {value} is not a usable value"),
            Some(format!("--{flag} takes {rule}")),
        )
    };
    if !(args.build_minutes.is_finite()
        && args.build_minutes > 0.0
        && args.build_minutes <= MAX_BUILD_MINUTES)
    {
        return Err(bad(
            "build-minutes",
            args.build_minutes,
            "minutes above 0, at most 2160 (CodeBuild's longest timeout)",
        ));
    }
    for (flag, value) in [
        ("artifact-mb", args.artifact_mb),
        ("log-kb-per-minute", args.log_kb_per_minute),
    ] {
        if !(value.is_finite() && value >= 0.0) {
            return Err(bad(flag, value, "a number of 0 or more"));
        }
    }
    Ok(Usage {
        builds_per_month: args.builds_per_month,
        build_minutes: args.build_minutes,
        deploys_per_month: args.deploys_per_month.unwrap_or(args.builds_per_month),
        users: args.users,
        instances: args.instances,
        source_minutes: args.source_minutes,
        deploy_minutes: args.deploy_minutes,
        artifact_mb: args.artifact_mb,
        log_kb_per_build_minute: args.log_kb_per_minute,
        site_files: args.site_files,
        free_tier: !args.no_free_tier,
    })
}

/// The spec and the desired model, built without AWS.
pub(crate) struct Offline {
    pub loaded: LoadedSpec,
    pub model: Model,
    /// True when no flag, spec field or environment variable named the Region.
    pub region_guessed: bool,
}

impl Offline {
    /// Say on stderr that the Region was assumed (unless `--quiet`).
    pub(crate) fn note_region(&self, ctx: &Context) {
        if self.region_guessed && !ctx.out.quiet {
            eprintln!(
                "note: no Region in the spec, --region or AWS_REGION: {DEFAULT_REGION} assumed"
            );
        }
    }
}

/// Load the spec and build its model for [`PLACEHOLDER_ACCOUNT`] in the resolved Region.
pub(crate) fn offline_model(ctx: &Context) -> Result<Offline> {
    let loaded = spec::load(&ctx.global.file)?;
    if !ctx.out.quiet {
        for warning in &loaded.warnings {
            eprintln!("warning: {warning}");
        }
    }
    let buildspec = Renderer::for_spec(&loaded)?.buildspec(&loaded.spec)?;
    let environment = ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .into_iter()
        .find_map(|key| std::env::var(key).ok().filter(|v| !v.is_empty()));
    let named = ctx
        .global
        .aws
        .region
        .clone()
        .or_else(|| loaded.spec.region.clone())
        .or(environment);
    let region_guessed = named.is_none();
    let region = named.unwrap_or_else(|| DEFAULT_REGION.to_owned());
    let target = Target::new(PLACEHOLDER_ACCOUNT, region);
    let model = Model::desired(&Inputs {
        spec: &loaded.spec,
        target: &target,
        buildspec: &buildspec,
    });
    Ok(Offline {
        loaded,
        model,
        region_guessed,
    })
}
