//! Every resource name the spec produces, checked against the owning service's rules.
//!
//! Names, and the rule each follows, come from [`crate::spec::Names`] (never re-derived here), so
//! what validates is what `up` creates; this file only says what is wrong, and where. Most of them grow from `name`, so when several are too long the problem is
//! reported once, at `name`, with the length that makes all of them fit.

use super::Rules;
use crate::spec::Derived;
use crate::spec::model::{Deploy, Strategy};
use crate::spec::names::LONGEST_REGION_LEN;
use crate::spec::names::rules::{self as aws_names, Verdict};
use crate::spec::path::Path;

/// Any 12-digit account id: only the artifact bucket's length depends on it.
const SAMPLE_ACCOUNT: &str = "123456789012";

/// A derived name as validation shows it, with its verdict.
struct Checked {
    derived: Derived,
    /// How to show the name (the artifact bucket's account and Region are placeholders).
    shown: String,
    /// What the length was counted with, when `shown` has placeholders.
    note: &'static str,
    verdict: Verdict,
}

impl Checked {
    fn new(derived: Derived) -> Self {
        Self {
            verdict: derived.rule.check(&derived.name),
            shown: derived.name.clone(),
            note: "",
            derived,
        }
    }
}

pub(super) fn check(r: &mut Rules<'_>) {
    pipeline_wide(r);
    per_stage(r);
}

/// The names that depend only on `name` (and the Region).
fn pipeline_wide(r: &mut Rules<'_>) {
    let spec = r.spec;
    let names = spec.names();
    let region = spec
        .region
        .as_deref()
        .filter(|region| aws_names::region(region).is_ok())
        .map_or_else(|| "x".repeat(LONGEST_REGION_LEN), str::to_owned);
    let (shown_region, note) = if spec.region.is_some() {
        (region.clone(), " (counting a 12-digit account id)")
    } else {
        (
            "<region>".to_owned(),
            " (counting a 12-digit account id and the longest Region name; setting `region` may leave more room)",
        )
    };
    let artifact_bucket = names.artifact_bucket(SAMPLE_ACCOUNT, &region);
    let derived: Vec<Checked> = names
        .pipeline_wide(spec, SAMPLE_ACCOUNT, &region)
        .into_iter()
        .map(|derived| {
            let shown_as_placeholders = derived.name == artifact_bucket;
            let mut checked = Checked::new(derived);
            if shown_as_placeholders {
                checked.shown = names.artifact_bucket("<account>", &shown_region);
                checked.note = note;
            }
            checked
        })
        .collect();
    if super::top::name_shape(&spec.name).is_none() {
        report(r, &Path::root().key("name"), &spec.name, &derived, "`name`");
    }
    for group in spec.build.reports.keys() {
        let derived = [Checked::new(names.report_group(group))];
        let path = Path::root().key("build").key("reports").key(group);
        report_at_key(r, &path, group, &derived, "the report name");
    }
}

/// The deployment group (and custom config) of each CodeDeploy stage.
fn per_stage(r: &mut Rules<'_>) {
    let spec = r.spec;
    let names = spec.names();
    let several = spec.deploy.is_none();
    for (i, stage) in spec.stages().iter().enumerate() {
        let Deploy::Codedeploy(cd) = stage.deploy else {
            continue;
        };
        let custom = cd.traffic.is_some()
            || (cd.minimum_healthy.is_some() && cd.strategy == Strategy::Rolling);
        let derived: Vec<Checked> = names
            .of_codedeploy_stage(stage.name, custom)
            .into_iter()
            .map(Checked::new)
            .collect();
        if several {
            let path = Path::root().key("environments").index(i).key("name");
            report(r, &path, stage.name, &derived, "the environment name");
        } else if super::top::name_shape(&spec.name).is_none() {
            report(r, &Path::root().key("name"), &spec.name, &derived, "`name`");
        }
    }
}

/// One problem for all failing names grown from `source` (reported at the value at `path`).
fn report(r: &mut Rules<'_>, path: &Path, source: &str, derived: &[Checked], field: &str) {
    if let Some((message, hint)) = problem(source, derived, field) {
        r.error(path, message, hint);
    }
}

/// The same, reported at the key of `path` (the name is a mapping key).
fn report_at_key(r: &mut Rules<'_>, path: &Path, source: &str, derived: &[Checked], field: &str) {
    if let Some((message, hint)) = problem(source, derived, field) {
        r.error_at_key(path, message, hint);
    }
}

fn problem(source: &str, derived: &[Checked], field: &str) -> Option<(String, String)> {
    let failing: Vec<&Checked> = derived.iter().filter(|d| d.verdict.is_err()).collect();
    let first = failing.first()?;
    let source_len = source.chars().count();
    let fits = derived
        .iter()
        .map(|d| {
            let grown = d.derived.name.chars().count().saturating_sub(source_len);
            d.derived.rule.max.saturating_sub(grown)
        })
        .min()
        .unwrap_or(0);
    let too_long = failing
        .iter()
        .any(|d| d.derived.name.chars().count() > d.derived.rule.max);
    let reason = first.verdict.clone().err().unwrap_or_default();
    let mut message = format!(
        "{} name `{}` would be refused: {reason}",
        first.derived.what, first.shown
    );
    message.push_str(first.note);
    if failing.len() > 1 {
        let others: Vec<&str> = failing.iter().skip(1).map(|d| d.derived.what).collect();
        message = format!("{message} (and {})", others.join(", "));
    }
    let hint = if too_long {
        format!("shorten {field} to at most {fits} characters: it is part of these names")
    } else {
        format!("change {field}: it is part of these names")
    };
    Some((message, hint))
}
