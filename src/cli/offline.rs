//! What `cost` and `graph` share: the spec and its desired model, built without calling AWS, for
//! [`PLACEHOLDER_ACCOUNT`] in the Region [`AwsSettings::offline_region`] resolves. Both commands
//! say when the Region was assumed, so a guessed Region is never silent.
//!
//! [`AwsSettings::offline_region`]: crate::aws::AwsSettings::offline_region

use super::Context;
use crate::aws::{DEFAULT_REGION, PLACEHOLDER_ACCOUNT};
use crate::error::Result;
use crate::model::{Model, Target};
use crate::spec::{self, LoadedSpec};

/// The spec and the desired model, built without AWS.
pub(crate) struct Offline {
    pub loaded: LoadedSpec,
    pub model: Model,
    /// True when no flag, spec field or environment variable named the Region.
    pub region_guessed: bool,
}

impl Offline {
    /// Load the spec and build its model (warnings on stderr unless `--quiet`).
    pub(crate) fn load(ctx: &Context) -> Result<Self> {
        let loaded = spec::load(&ctx.global.file)?;
        if !ctx.out.quiet {
            for warning in &loaded.warnings {
                eprintln!("warning: {warning}");
            }
        }
        let region = ctx
            .global
            .aws
            .settings(loaded.spec.region.as_deref())
            .offline_region();
        let target = Target::new(PLACEHOLDER_ACCOUNT, region.name);
        let model = crate::render::desired_model(&loaded, &target)?;
        Ok(Self {
            loaded,
            model,
            region_guessed: region.guessed,
        })
    }

    /// Say on stderr that the Region was assumed (unless `--quiet`).
    pub(crate) fn note_region(&self, ctx: &Context) {
        if self.region_guessed && !ctx.out.quiet {
            eprintln!(
                "note: no Region in the spec, --region or AWS_REGION: {DEFAULT_REGION} assumed"
            );
        }
    }
}
