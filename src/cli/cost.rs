//! `pipewright cost`: the monthly cost estimate of the spec's pipeline, offline.

use super::Context;
use super::args::CostArgs;
use super::offline::Offline;
use super::stdout::emit;
use crate::cost::{Estimate, PriceFile, Usage};
use crate::error::{Error, Result};
/// CodeBuild's longest build timeout: a longer build is a typo.
const MAX_BUILD_MINUTES: f64 = 2160.0;

pub(crate) fn run(ctx: &Context, args: &CostArgs) -> Result<()> {
    let usage = usage(args)?;
    let offline = Offline::load(ctx)?;
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
        estimate.to_string().trim_end().to_owned()
    };
    offline.note_region(ctx);
    emit(&(text + "\n"), "write to stdout")
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
