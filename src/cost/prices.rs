//! The price data: one JSON file in the repository (`src/cost/prices.json`), embedded in the
//! binary and parsed into typed structs.
//!
//! Prices change and are read by hand, so every figure carries its `source` and the date it was
//! `read_on`, and a figure that could not be confirmed says so in its `note`. A Region without
//! its own entry uses the default Region's prices, and the estimate says so: a wrong Region is
//! visible, never silent. The unit tests here validate the whole file.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::spec::Compute;

const PRICES_JSON: &str = include_str!("prices.json");

/// The whole price file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceFile {
    /// What the file is, for people reading it.
    pub about: String,
    pub currency: String,
    /// The Region whose prices stand in for Regions the file does not list.
    pub default_region: String,
    pub regions: BTreeMap<String, RegionPrices>,
}

/// Every price the estimate needs, in one Region.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionPrices {
    pub codepipeline: CodePipelinePrices,
    pub codebuild: CodeBuildPrices,
    pub codedeploy: CodeDeployPrices,
    pub codecommit: CodeCommitPrices,
    pub s3: S3Prices,
    pub logs: LogsPrices,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodePipelinePrices {
    pub v2_action_minute: Price,
    pub v2_free_action_minutes: Allowance,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeBuildPrices {
    /// By CodeBuild `computeType` (`BUILD_GENERAL1_SMALL`, …), Linux containers.
    pub linux_minute: BTreeMap<String, Price>,
    pub free_small_minutes: Allowance,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeDeployPrices {
    pub aws_compute_update: Price,
    pub on_premises_instance_update: Price,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeCommitPrices {
    pub active_user_month: Price,
    pub free_active_users: Allowance,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Prices {
    pub standard_gb_month: Price,
    pub put_1000: Price,
    pub get_1000: Price,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsPrices {
    pub ingestion_gb: Price,
    pub storage_gb_month: Price,
    pub free_gb: Allowance,
}

/// A price per unit, with where and when it was read.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub usd: f64,
    pub unit: String,
    pub source: String,
    pub read_on: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A free monthly allowance, with where and when it was read.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Allowance {
    pub quantity: f64,
    pub unit: String,
    pub source: String,
    pub read_on: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The prices chosen for a Region.
#[derive(Debug, Clone, Copy)]
pub struct Selected<'a> {
    /// The Region the estimate is for.
    pub region: &'a str,
    /// The Region whose prices are used (the default one when `region` has no entry).
    pub prices_region: &'a str,
    pub prices: &'a RegionPrices,
}

impl Selected<'_> {
    /// Whether another Region's prices stand in for this one.
    #[must_use]
    pub fn is_fallback(&self) -> bool {
        self.region != self.prices_region
    }
}

impl PriceFile {
    /// The price file compiled into the binary.
    #[must_use]
    pub fn embedded() -> &'static PriceFile {
        static FILE: OnceLock<PriceFile> = OnceLock::new();
        FILE.get_or_init(|| {
            let file: PriceFile = serde_json::from_str(PRICES_JSON)
                .expect("src/cost/prices.json parses (checked by its unit test)");
            file
        })
    }

    /// The prices for `region`, or the default Region's when the file has none for it.
    #[must_use]
    pub fn select<'a>(&'a self, region: &'a str) -> Selected<'a> {
        match self.regions.get_key_value(region) {
            Some((name, prices)) => Selected {
                region,
                prices_region: name,
                prices,
            },
            None => Selected {
                region,
                prices_region: &self.default_region,
                prices: &self.regions[&self.default_region],
            },
        }
    }

    /// The latest `read_on` date of any figure: how fresh the file is.
    #[must_use]
    pub fn read_on(&self) -> String {
        self.dates().into_iter().max().unwrap_or_default()
    }

    fn dates(&self) -> Vec<String> {
        let mut dates = Vec::new();
        for region in self.regions.values() {
            region.visit(&mut |entry| dates.push(entry.read_on.to_owned()));
        }
        dates
    }

    /// Every problem with the file; empty when it is usable.
    #[must_use]
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.currency != "USD" {
            problems.push(format!("currency is {:?}, expected \"USD\"", self.currency));
        }
        if !self.regions.contains_key(&self.default_region) {
            problems.push(format!(
                "default_region {:?} has no prices",
                self.default_region
            ));
        }
        for (name, region) in &self.regions {
            for compute in [
                Compute::Small,
                Compute::Medium,
                Compute::Large,
                Compute::XLarge2,
            ] {
                if !region
                    .codebuild
                    .linux_minute
                    .contains_key(compute.codebuild_type())
                {
                    problems.push(format!(
                        "{name}: codebuild.linux_minute lacks {}",
                        compute.codebuild_type()
                    ));
                }
            }
            region.visit(&mut |entry| {
                let what = format!("{name}: {}", entry.path);
                if !(entry.value.is_finite() && entry.value >= 0.0) {
                    problems.push(format!("{what}: {} is not a price", entry.value));
                }
                if entry.unit.trim().is_empty() {
                    problems.push(format!("{what}: no unit"));
                }
                if !entry.source.starts_with("https://") {
                    problems.push(format!("{what}: source {:?} is not a URL", entry.source));
                }
                if !is_date(entry.read_on) {
                    problems.push(format!(
                        "{what}: read_on {:?} is not YYYY-MM-DD",
                        entry.read_on
                    ));
                }
            });
        }
        problems
    }
}

/// One figure of the file, for checks that apply to all of them.
struct Entry<'a> {
    path: String,
    value: f64,
    unit: &'a str,
    source: &'a str,
    read_on: &'a str,
}

impl RegionPrices {
    /// The CodeBuild per-minute price of a compute type (Linux).
    #[must_use]
    pub fn codebuild_minute(&self, compute_type: &str) -> Option<&Price> {
        self.codebuild.linux_minute.get(compute_type)
    }

    fn visit<'a>(&'a self, f: &mut dyn FnMut(Entry<'a>)) {
        let price = |path: &str, p: &'a Price| Entry {
            path: path.to_owned(),
            value: p.usd,
            unit: &p.unit,
            source: &p.source,
            read_on: &p.read_on,
        };
        let allowance = |path: &str, a: &'a Allowance| Entry {
            path: path.to_owned(),
            value: a.quantity,
            unit: &a.unit,
            source: &a.source,
            read_on: &a.read_on,
        };
        f(price(
            "codepipeline.v2_action_minute",
            &self.codepipeline.v2_action_minute,
        ));
        f(allowance(
            "codepipeline.v2_free_action_minutes",
            &self.codepipeline.v2_free_action_minutes,
        ));
        for (compute, p) in &self.codebuild.linux_minute {
            f(price(&format!("codebuild.linux_minute.{compute}"), p));
        }
        f(allowance(
            "codebuild.free_small_minutes",
            &self.codebuild.free_small_minutes,
        ));
        f(price(
            "codedeploy.aws_compute_update",
            &self.codedeploy.aws_compute_update,
        ));
        f(price(
            "codedeploy.on_premises_instance_update",
            &self.codedeploy.on_premises_instance_update,
        ));
        f(price(
            "codecommit.active_user_month",
            &self.codecommit.active_user_month,
        ));
        f(allowance(
            "codecommit.free_active_users",
            &self.codecommit.free_active_users,
        ));
        f(price("s3.standard_gb_month", &self.s3.standard_gb_month));
        f(price("s3.put_1000", &self.s3.put_1000));
        f(price("s3.get_1000", &self.s3.get_1000));
        f(price("logs.ingestion_gb", &self.logs.ingestion_gb));
        f(price("logs.storage_gb_month", &self.logs.storage_gb_month));
        f(allowance("logs.free_gb", &self.logs.free_gb));
    }
}

/// `YYYY-MM-DD` with a plausible month and day.
fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return false;
    };
    let number = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    matches!(
        (number(year, 4), number(month, 2), number(day, 2)),
        (Some(2000..), Some(1..=12), Some(1..=31))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_file_parses_and_is_valid() {
        let file: PriceFile = serde_json::from_str(PRICES_JSON).expect("prices.json parses");
        assert_eq!(file.problems(), Vec::<String>::new());
    }

    #[test]
    fn figures_match_reference_section_8() {
        let us = PriceFile::embedded().select("us-east-1").prices;
        assert!((us.codepipeline.v2_action_minute.usd - 0.002).abs() < 1e-12);
        assert!((us.codepipeline.v2_free_action_minutes.quantity - 100.0).abs() < 1e-12);
        let small = us.codebuild_minute("BUILD_GENERAL1_SMALL").unwrap();
        assert!((small.usd - 0.005).abs() < 1e-12);
        assert!((us.codebuild.free_small_minutes.quantity - 100.0).abs() < 1e-12);
        assert!((us.codedeploy.on_premises_instance_update.usd - 0.02).abs() < 1e-12);
        assert!(us.codedeploy.aws_compute_update.usd.abs() < 1e-12);
        assert!((us.codecommit.active_user_month.usd - 1.0).abs() < 1e-12);
        assert!((us.codecommit.free_active_users.quantity - 5.0).abs() < 1e-12);
    }

    #[test]
    fn an_unlisted_region_falls_back_to_the_default_visibly() {
        let file = PriceFile::embedded();
        let selected = file.select("eu-west-3");
        assert_eq!(selected.region, "eu-west-3");
        assert_eq!(selected.prices_region, "us-east-1");
        assert!(selected.is_fallback());
        assert!(!file.select("us-east-1").is_fallback());
    }

    #[test]
    fn problems_name_the_bad_figure() {
        let mut file: PriceFile = serde_json::from_str(PRICES_JSON).unwrap();
        let us = file.regions.get_mut("us-east-1").unwrap();
        us.s3.put_1000.usd = -1.0;
        us.s3.get_1000.source = "somewhere".to_owned();
        us.logs.free_gb.read_on = "26/11/2026".to_owned();
        us.codebuild.linux_minute.remove("BUILD_GENERAL1_LARGE");
        file.default_region = "mars-1".to_owned();
        let problems = file.problems().join("\n");
        for expected in [
            "us-east-1: s3.put_1000: -1 is not a price",
            "us-east-1: s3.get_1000: source \"somewhere\" is not a URL",
            "us-east-1: logs.free_gb: read_on \"26/11/2026\" is not YYYY-MM-DD",
            "us-east-1: codebuild.linux_minute lacks BUILD_GENERAL1_LARGE",
            "default_region \"mars-1\" has no prices",
        ] {
            assert!(problems.contains(expected), "{expected}\n---\n{problems}");
        }
    }

    #[test]
    fn dates_are_checked() {
        assert!(is_date("2026-11-26"));
        assert!(!is_date("2026-13-01"));
        assert!(!is_date("2026-1-01"));
        assert!(!is_date("yesterday"));
    }
}
