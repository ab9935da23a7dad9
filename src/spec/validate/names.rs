//! Every resource name the spec produces, checked against the owning service's rules.
//!
//! Names come from [`crate::spec::Names`] (never re-derived here), so what validates is what
//! `up` creates. Most of them grow from `name`, so when several are too long the problem is
//! reported once, at `name`, with the length that makes all of them fit.

use super::Rules;
use crate::spec::aws_names::{self, Verdict};
use crate::spec::model::{Deploy, Source, Strategy};
use crate::spec::names::LONGEST_REGION_LEN;
use crate::spec::path::Path;

/// Any 12-digit account id: only the artifact bucket's length depends on it.
const SAMPLE_ACCOUNT: &str = "123456789012";

/// A derived name, the rule it must follow and the longest it may be.
struct Derived {
    what: String,
    name: String,
    /// How to show the name (the artifact bucket's account and Region are placeholders).
    shown: String,
    /// What the length was counted with, when `shown` has placeholders.
    note: &'static str,
    verdict: Verdict,
    limit: usize,
}

impl Derived {
    fn new(what: &str, name: String, rule: impl Fn(&str) -> Verdict, limit: usize) -> Self {
        Self {
            what: what.to_owned(),
            verdict: rule(&name),
            shown: name.clone(),
            note: "",
            name,
            limit,
        }
    }

    #[must_use]
    fn shown_as(mut self, shown: String, note: &'static str) -> Self {
        self.shown = shown;
        self.note = note;
        self
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
    let mut derived = vec![
        Derived::new(
            "the artifact bucket",
            names.artifact_bucket(SAMPLE_ACCOUNT, &region),
            aws_names::s3_bucket,
            63,
        )
        .shown_as(names.artifact_bucket("<account>", &shown_region), note),
        Derived::new(
            "the pipeline",
            names.pipeline(),
            |n| aws_names::codepipeline_name(n, "a pipeline name"),
            100,
        ),
        Derived::new(
            "the CodeBuild project",
            names.build_project(),
            aws_names::codebuild_project,
            255,
        ),
        Derived::new(
            "the build log group",
            names.log_group(),
            aws_names::log_group,
            512,
        ),
        Derived::new(
            "the CodeBuild role",
            names.codebuild_role(),
            aws_names::iam_role,
            64,
        ),
        Derived::new(
            "the CodePipeline role",
            names.codepipeline_role(),
            aws_names::iam_role,
            64,
        ),
    ];
    if matches!(spec.source, Source::Codecommit(_)) {
        derived.push(Derived::new(
            "the EventBridge role",
            names.events_role(),
            aws_names::iam_role,
            64,
        ));
        derived.push(Derived::new(
            "the EventBridge rule",
            names.source_rule(),
            aws_names::eventbridge_rule,
            64,
        ));
    }
    let uses_codedeploy = spec
        .stages()
        .iter()
        .any(|stage| matches!(stage.deploy, Deploy::Codedeploy(_)));
    if uses_codedeploy {
        derived.push(Derived::new(
            "the CodeDeploy role",
            names.codedeploy_role(),
            aws_names::iam_role,
            64,
        ));
        derived.push(Derived::new(
            "the CodeDeploy application",
            names.codedeploy_application(),
            |n| aws_names::codedeploy_name(n, "a CodeDeploy application name"),
            100,
        ));
    }
    if super::top::name_shape(&spec.name).is_none() {
        report(r, &Path::root().key("name"), &spec.name, &derived, "`name`");
    }
    for group in spec.build.reports.keys() {
        let derived = [Derived::new(
            "the report group",
            format!("{}-{group}", names.build_project()),
            aws_names::codebuild_report_group,
            128,
        )];
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
        let mut derived = vec![Derived::new(
            "the deployment group",
            names.deployment_group(stage.name),
            |n| aws_names::codedeploy_name(n, "a deployment group name"),
            100,
        )];
        let custom = cd.traffic.is_some()
            || (cd.minimum_healthy.is_some() && cd.strategy == Strategy::Rolling);
        if custom {
            derived.push(Derived::new(
                "the deployment config",
                names.deployment_config(stage.name),
                |n| aws_names::codedeploy_name(n, "a deployment config name"),
                100,
            ));
        }
        if several {
            let path = Path::root().key("environments").index(i).key("name");
            report(r, &path, stage.name, &derived, "the environment name");
        } else if super::top::name_shape(&spec.name).is_none() {
            report(r, &Path::root().key("name"), &spec.name, &derived, "`name`");
        }
    }
}

/// One problem for all failing names grown from `source` (reported at the value at `path`).
fn report(r: &mut Rules<'_>, path: &Path, source: &str, derived: &[Derived], field: &str) {
    if let Some((message, hint)) = problem(source, derived, field) {
        r.error(path, message, hint);
    }
}

/// The same, reported at the key of `path` (the name is a mapping key).
fn report_at_key(r: &mut Rules<'_>, path: &Path, source: &str, derived: &[Derived], field: &str) {
    if let Some((message, hint)) = problem(source, derived, field) {
        r.error_at_key(path, message, hint);
    }
}

fn problem(source: &str, derived: &[Derived], field: &str) -> Option<(String, String)> {
    let failing: Vec<&Derived> = derived.iter().filter(|d| d.verdict.is_err()).collect();
    let first = failing.first()?;
    let source_len = source.chars().count();
    let fits = derived
        .iter()
        .map(|d| {
            let grown = d.name.chars().count().saturating_sub(source_len);
            d.limit.saturating_sub(grown)
        })
        .min()
        .unwrap_or(0);
    let too_long = failing.iter().any(|d| d.name.chars().count() > d.limit);
    let reason = first.verdict.clone().err().unwrap_or_default();
    let mut message = format!(
        "{} name `{}` would be refused: {reason}",
        first.what, first.shown
    );
    message.push_str(first.note);
    if failing.len() > 1 {
        let others: Vec<&str> = failing.iter().skip(1).map(|d| d.what.as_str()).collect();
        message = format!("{message} (and {})", others.join(", "));
    }
    let hint = if too_long {
        format!("shorten {field} to at most {fits} characters: it is part of these names")
    } else {
        format!("change {field}: it is part of these names")
    };
    Some((message, hint))
}
