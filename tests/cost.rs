//! `pipewright cost`: every line computed by hand, at and just over each free-tier boundary.
//!
//! Prices (us-east-1, `src/cost/prices.json`): CodePipeline V2 $0.002 per action minute, 100
//! free; CodeBuild Linux small $0.005/min (100 free), medium $0.01, 2xlarge $0.20; CodeDeploy
//! on-premises $0.02 per instance update; CodeCommit $1 per active user beyond 5; S3 Standard
//! $0.023/GB-month, $0.005 per 1,000 PUTs, $0.0004 per 1,000 GETs; CloudWatch Logs $0.50/GB
//! ingested, $0.03/GB-month stored, 5 GB free in all. 1 GB = 1,024 MB = 1,048,576 KB.

use serde_json::Value;

use crate::support::Test;

/// A static site from CodeCommit: Source (1 min), Build (the build minutes), Deploy to S3 (1 min).
const SITE: &str = "\
version: 1
name: costsite
region: us-east-1
source:
  codecommit:
    repository: costsite
build:
  commands: [mkdir -p dist, cp -r site/. dist/]
  artifacts:
    base_directory: dist
deploy:
  s3:
    bucket: costsite-site
";

const GITHUB_SITE: &str = "\
version: 1
name: costgh
region: us-east-1
source:
  github:
    repository: me/costgh
    connection: arn:aws:codeconnections:us-east-1:123456789012:connection/00000000-0000-0000-0000-000000000000
build:
  commands: [echo built]
deploy:
  s3:
    bucket: costgh-site
";

fn with_compute(compute: &str) -> String {
    SITE.replace("build:\n", &format!("build:\n  compute: {compute}\n"))
}

fn with_retention(days: u32) -> String {
    SITE.replace(
        "build:\n",
        &format!("build:\n  log_retention_days: {days}\n"),
    )
}

/// Servers deployed by CodeDeploy; `targets` is the YAML of `targets:`.
fn servers(strategy: &str, targets: &str) -> String {
    format!(
        "\
version: 1
name: costsrv
region: us-east-1
source:
  codecommit:
    repository: costsrv
build:
  commands: [echo built]
deploy:
  codedeploy:
    platform: server
    strategy: {strategy}
    targets:
{targets}
    hooks:
      application_start: scripts/start.sh
"
    )
}

const LAMBDA: &str = "\
version: 1
name: costfn
region: us-east-1
source:
  codecommit:
    repository: costfn
build:
  commands: [echo built]
deploy:
  codedeploy:
    platform: lambda
    strategy: STRATEGY
    lambda:
      function: costfn
      alias: live
";

/// `pipewright cost --output json` with `args`, which must succeed.
fn cost(spec: &str, args: &[&str]) -> Value {
    Test::new()
        .spec(spec)
        .file("scripts/start.sh", "#!/bin/sh\n")
        .args(["cost", "--output", "json"])
        .args(args.iter().copied())
        .run()
        .success()
        .json()
}

/// The line of `service` whose item starts with `item`.
fn line<'a>(estimate: &'a Value, service: &str, item: &str) -> &'a Value {
    estimate["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["service"] == service && l["item"].as_str().unwrap().starts_with(item))
        .unwrap_or_else(|| panic!("no {service} {item} line in {estimate:#}"))
}

fn has_line(estimate: &Value, service: &str) -> bool {
    estimate["lines"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["service"] == service)
}

fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{value} is not a number"))
}

/// Quantity, free quantity and monthly dollars of a line, each to a millionth.
fn check(line: &Value, quantity: f64, free: f64, usd: f64) {
    // Amounts are rounded to a millionth: allow that rounding.
    let close = |a: f64, b: f64| (a - b).abs() < 2e-6;
    assert!(
        close(number(&line["quantity"]), quantity),
        "quantity, expected {quantity}: {line:#}"
    );
    assert!(
        close(number(&line["free_quantity"]), free),
        "free quantity, expected {free}: {line:#}"
    );
    assert!(
        close(number(&line["monthly_usd"]), usd),
        "monthly_usd, expected {usd}: {line:#}"
    );
    assert_eq!(
        line["free_tier_applied"],
        Value::Bool(free > 0.0),
        "{line:#}"
    );
}

// ---- CodePipeline V2: action minutes, 100 free -------------------------------------------

#[test]
fn codepipeline_exactly_100_action_minutes_is_free() {
    // 20 executions × (source 1 + build 3 + deploy 1) = 100.
    let e = cost(SITE, &["--builds-per-month", "20", "--build-minutes", "3"]);
    check(
        line(&e, "CodePipeline", "V2 action-execution minutes"),
        100.0,
        100.0,
        0.0,
    );
}

#[test]
fn codepipeline_101_action_minutes_bills_one() {
    // 1 execution × (1 + 99 + 1) = 101 → 1 × $0.002.
    let e = cost(SITE, &["--builds-per-month", "1", "--build-minutes", "99"]);
    check(line(&e, "CodePipeline", "V2"), 101.0, 100.0, 0.002);
}

#[test]
fn codepipeline_default_usage() {
    // 100 × (1 + 5 + 1) = 700 → 600 × $0.002 = $1.20.
    let e = cost(SITE, &[]);
    check(line(&e, "CodePipeline", "V2"), 700.0, 100.0, 1.2);
}

#[test]
fn codepipeline_rounds_each_build_up_to_the_minute() {
    // 10 × (1 + ceil(4.2) = 5 + 1) = 70 minutes; without the free tier 70 × $0.002 = $0.14.
    let e = cost(
        SITE,
        &[
            "--builds-per-month",
            "10",
            "--build-minutes",
            "4.2",
            "--no-free-tier",
        ],
    );
    check(line(&e, "CodePipeline", "V2"), 70.0, 0.0, 0.14);
}

#[test]
fn codepipeline_deploys_count_apart_from_builds() {
    // 100 × (1 + 5) + 40 × 1 = 640 → 540 × $0.002 = $1.08.
    let e = cost(SITE, &["--deploys-per-month", "40"]);
    check(line(&e, "CodePipeline", "V2"), 640.0, 100.0, 1.08);
}

#[test]
fn codepipeline_source_and_deploy_minutes_are_flags() {
    // 10 × (2 + 5 + 4) = 110 → 10 × $0.002 = $0.02.
    let e = cost(
        SITE,
        &[
            "--builds-per-month",
            "10",
            "--source-minutes",
            "2",
            "--deploy-minutes",
            "4",
        ],
    );
    check(line(&e, "CodePipeline", "V2"), 110.0, 100.0, 0.02);
}

#[test]
fn codepipeline_lambda_canary_waits_for_the_traffic_shift() {
    // canary 10 % then the rest after 5 minutes: 1 + 5 = 6 per deploy.
    // 10 × (1 + 5 + 6) = 120 → 20 × $0.002 = $0.04.
    let e = cost(
        &LAMBDA.replace("STRATEGY", "canary"),
        &["--builds-per-month", "10"],
    );
    check(line(&e, "CodePipeline", "V2"), 120.0, 100.0, 0.04);
    // linear 10 % every minute: 9 more steps, 1 + 9 = 10 per deploy: 10 × 16 = 160.
    let e = cost(
        &LAMBDA.replace("STRATEGY", "linear"),
        &["--builds-per-month", "10"],
    );
    check(line(&e, "CodePipeline", "V2"), 160.0, 100.0, 0.12);
}

#[test]
fn codepipeline_rolling_servers_take_a_batch_per_instance() {
    // one at a time, 4 instances × 2 min = 8 per deploy: 10 × (1 + 5 + 8) = 140 → $0.08.
    let spec = servers("rolling", "      ec2_tags:\n        app: costsrv\n");
    let e = cost(&spec, &["--builds-per-month", "10", "--instances", "4"]);
    check(line(&e, "CodePipeline", "V2"), 140.0, 100.0, 0.08);
}

#[test]
fn codepipeline_does_not_charge_approvals() {
    let spec = SITE.replace(
        "deploy:\n  s3:\n    bucket: costsite-site\n",
        "environments:\n  - name: staging\n    deploy:\n      s3:\n        bucket: costsite-staging\n  - name: prod\n    approval: true\n    deploy:\n      s3:\n        bucket: costsite-prod\n",
    );
    // 10 × (1 + 5 + 1 staging + 0 approval + 1 prod) = 80.
    let e = cost(&spec, &["--builds-per-month", "10", "--no-free-tier"]);
    check(line(&e, "CodePipeline", "V2"), 80.0, 0.0, 0.16);
    let notes = e["notes"].to_string();
    assert!(notes.contains("approval"), "{notes}");
}

// ---- CodeBuild: minutes × compute price, 100 free on small ------------------------------

#[test]
fn codebuild_exactly_100_small_minutes_is_free() {
    let e = cost(SITE, &["--builds-per-month", "20", "--build-minutes", "5"]);
    check(
        line(&e, "CodeBuild", "BUILD_GENERAL1_SMALL"),
        100.0,
        100.0,
        0.0,
    );
}

#[test]
fn codebuild_101_small_minutes_bills_one() {
    let e = cost(SITE, &["--builds-per-month", "101", "--build-minutes", "1"]);
    check(
        line(&e, "CodeBuild", "BUILD_GENERAL1_SMALL"),
        101.0,
        100.0,
        0.005,
    );
}

#[test]
fn codebuild_bills_whole_minutes_per_build() {
    // 40 builds × ceil(2.5) = 120 minutes → 20 × $0.005 = $0.10.
    let e = cost(
        SITE,
        &["--builds-per-month", "40", "--build-minutes", "2.5"],
    );
    check(
        line(&e, "CodeBuild", "BUILD_GENERAL1_SMALL"),
        120.0,
        100.0,
        0.1,
    );
}

#[test]
fn codebuild_medium_has_no_free_minutes() {
    // 20 × 5 = 100 minutes × $0.01 = $1.00.
    let e = cost(
        &with_compute("medium"),
        &["--builds-per-month", "20", "--build-minutes", "5"],
    );
    check(
        line(&e, "CodeBuild", "BUILD_GENERAL1_MEDIUM"),
        100.0,
        0.0,
        1.0,
    );
}

#[test]
fn codebuild_2xlarge_is_priced_and_flagged_unconfirmed() {
    // 10 × 10 = 100 minutes × $0.20 = $20.00.
    let e = cost(
        &with_compute("2xlarge"),
        &["--builds-per-month", "10", "--build-minutes", "10"],
    );
    check(
        line(&e, "CodeBuild", "BUILD_GENERAL1_2XLARGE"),
        100.0,
        0.0,
        20.0,
    );
    assert!(e["notes"].to_string().contains("NOT CONFIRMED"), "{e:#}");
}

// ---- CodeDeploy: free on AWS compute, $0.02 per on-premises instance update -------------

#[test]
fn codedeploy_to_ec2_is_free() {
    let spec = servers("all-at-once", "      ec2_tags:\n        app: costsrv\n");
    let e = cost(&spec, &["--deploys-per-month", "30", "--instances", "5"]);
    check(line(&e, "CodeDeploy", "deployments to EC2"), 30.0, 0.0, 0.0);
}

#[test]
fn codedeploy_on_premises_bills_every_instance_update() {
    // 10 deployments × 3 instances = 30 updates × $0.02 = $0.60; no free tier.
    let spec = servers(
        "all-at-once",
        "      on_premises_tags:\n        app: costsrv\n",
    );
    let e = cost(&spec, &["--deploys-per-month", "10", "--instances", "3"]);
    check(
        line(&e, "CodeDeploy", "on-premises instance updates"),
        30.0,
        0.0,
        0.6,
    );
}

#[test]
fn codedeploy_is_absent_for_s3_deploys() {
    assert!(!has_line(&cost(SITE, &[]), "CodeDeploy"));
}

// ---- CodeCommit: active users beyond 5, the pipeline's role counts ----------------------

#[test]
fn codecommit_four_people_and_the_pipeline_are_free() {
    let e = cost(SITE, &["--users", "4"]);
    check(line(&e, "CodeCommit", "active users"), 5.0, 5.0, 0.0);
}

#[test]
fn codecommit_five_people_and_the_pipeline_bill_one_user() {
    let e = cost(SITE, &["--users", "5"]);
    check(line(&e, "CodeCommit", "active users"), 6.0, 5.0, 1.0);
}

#[test]
fn codecommit_is_absent_for_a_github_source() {
    assert!(!has_line(&cost(GITHUB_SITE, &[]), "CodeCommit"));
}

// ---- S3: artifacts kept by the lifecycle rule, requests ---------------------------------

#[test]
fn s3_artifact_storage_follows_the_lifecycle_rule() {
    // 15 executions × 2 artifacts × 1,024 MB = 30 GB a month, each kept 30 + 7 days:
    // 30 × 37/30 = 37 GB-month × $0.023 = $0.851.
    let e = cost(SITE, &["--builds-per-month", "15", "--artifact-mb", "1024"]);
    check(line(&e, "S3", "artifact storage"), 37.0, 0.0, 0.851);
}

#[test]
fn s3_requests() {
    // PUT: 100 × 2 artifacts + 100 deploys × 20 files = 2,200 → 2.2k × $0.005 = $0.011.
    // GET: build reads SourceOutput 100 + deploy reads BuildOutput 100 = 200 → $0.00008.
    let e = cost(SITE, &[]);
    check(line(&e, "S3", "PUT requests"), 2.2, 0.0, 0.011);
    check(line(&e, "S3", "GET requests"), 0.2, 0.0, 0.000_08);
}

#[test]
fn s3_server_instances_download_the_revision() {
    // GET: 200 by actions + 100 deploys × 3 instances = 500 → 0.5k × $0.0004 = $0.0002.
    let spec = servers("all-at-once", "      ec2_tags:\n        app: costsrv\n");
    let e = cost(&spec, &["--instances", "3"]);
    check(line(&e, "S3", "GET requests"), 0.5, 0.0, 0.0002);
    // No S3 deploy: only the 200 artifact uploads.
    check(line(&e, "S3", "PUT requests"), 0.2, 0.0, 0.001);
}

// ---- CloudWatch Logs: ingestion and storage at the retention, 5 GB free in all ----------

#[test]
fn logs_exactly_5_gb_ingested_is_free_and_storage_bills() {
    // 1,024 builds × 5 min × 1,024 KB = 5 GB ingested: free. Kept 30 days: 5 GB-month, the
    // allowance is used up → 5 × $0.03 = $0.15.
    let e = cost(
        SITE,
        &["--builds-per-month", "1024", "--log-kb-per-minute", "1024"],
    );
    check(
        line(&e, "CloudWatch Logs", "build log ingestion"),
        5.0,
        5.0,
        0.0,
    );
    check(
        line(&e, "CloudWatch Logs", "build log storage"),
        5.0,
        0.0,
        0.15,
    );
}

#[test]
fn logs_just_over_5_gb_bills_the_excess() {
    // 1,025 × 5 × 1,024 KB = 5.0048828125 GB → 0.0048828125 × $0.50 = $0.00244140625.
    // Storage 5.0048828125 GB-month × $0.03 = $0.150146484375.
    let e = cost(
        SITE,
        &["--builds-per-month", "1025", "--log-kb-per-minute", "1024"],
    );
    check(
        line(&e, "CloudWatch Logs", "build log ingestion"),
        5.004_882_812_5,
        5.0,
        0.002_441,
    );
    check(
        line(&e, "CloudWatch Logs", "build log storage"),
        5.004_882_812_5,
        0.0,
        0.150_146,
    );
}

#[test]
fn logs_storage_follows_the_retention_and_shares_the_allowance() {
    // 300 × 10 min × 1,024 KB = 3,000 MB = 2.9296875 GB ingested (free), kept 90 days:
    // 3 × 2.9296875 = 8.7890625 GB-month, of which 5 − 2.9296875 = 2.0703125 free →
    // 6.71875 × $0.03 = $0.2015625.
    let e = cost(
        &with_retention(90),
        &[
            "--builds-per-month",
            "300",
            "--build-minutes",
            "10",
            "--log-kb-per-minute",
            "1024",
        ],
    );
    check(
        line(&e, "CloudWatch Logs", "build log ingestion"),
        2.929_687_5,
        2.929_687_5,
        0.0,
    );
    check(
        line(&e, "CloudWatch Logs", "build log storage"),
        8.789_062_5,
        2.070_312_5,
        0.201_563,
    );
}

#[test]
fn no_free_tier_bills_everything() {
    // Defaults: CodePipeline 700 × $0.002 = $1.40; CodeBuild 500 × $0.005 = $2.50;
    // CodeCommit 2 users × $1 = $2.00; logs 100 × 5 × 50 KB = 0.0238418579 GB × $0.50.
    let e = cost(SITE, &["--no-free-tier"]);
    check(line(&e, "CodePipeline", "V2"), 700.0, 0.0, 1.4);
    check(
        line(&e, "CodeBuild", "BUILD_GENERAL1_SMALL"),
        500.0,
        0.0,
        2.5,
    );
    check(line(&e, "CodeCommit", "active users"), 2.0, 0.0, 2.0);
    check(
        line(&e, "CloudWatch Logs", "build log ingestion"),
        0.023_842,
        0.0,
        0.011_921,
    );
    assert_eq!(e["free_tier"], false);
}

// ---- The whole estimate -----------------------------------------------------------------

#[test]
fn the_total_is_the_sum_of_the_lines() {
    let e = cost(SITE, &["--users", "7", "--builds-per-month", "300"]);
    let sum: f64 = e["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| number(&l["monthly_usd"]))
        .sum();
    assert!((number(&e["total_usd"]) - sum).abs() < 1e-6, "{e:#}");
    assert_eq!(e["estimate"], true);
    assert_eq!(e["currency"], "USD");
    assert_eq!(e["account"], "123456789012");
}

#[test]
fn every_line_names_its_price_source_and_date() {
    let e = cost(SITE, &[]);
    for line in e["lines"].as_array().unwrap() {
        assert!(
            line["price_source"]
                .as_str()
                .unwrap()
                .starts_with("https://"),
            "{line:#}"
        );
        assert_eq!(
            line["price_read_on"].as_str().unwrap().len(),
            10,
            "{line:#}"
        );
    }
    let flags: Vec<&str> = e["assumptions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["flag"].as_str())
        .collect();
    for flag in [
        "--builds-per-month",
        "--build-minutes",
        "--deploys-per-month",
        "--users",
        "--artifact-mb",
        "--log-kb-per-minute",
        "--deploy-minutes",
        "--site-files",
    ] {
        assert!(flags.contains(&flag), "{flag} missing from {flags:?}");
    }
}

#[test]
fn a_region_without_prices_says_whose_prices_it_uses() {
    let e = cost(&SITE.replace("us-east-1", "eu-west-3"), &[]);
    assert_eq!(e["region"], "eu-west-3");
    assert_eq!(e["prices_region"], "us-east-1");
    assert!(
        e["notes"].to_string().contains("no prices for eu-west-3"),
        "{e:#}"
    );
    let e = cost(SITE, &["--region", "ap-south-1"]);
    assert_eq!(e["region"], "ap-south-1");
}

#[test]
fn no_region_anywhere_means_us_east_1_and_says_so() {
    let out = Test::new()
        .spec(&SITE.replace("region: us-east-1\n", ""))
        .args(["cost"])
        .run()
        .success();
    out.stdout_has("in us-east-1");
    out.stderr_has("us-east-1 assumed");
}

#[test]
fn the_human_estimate_is_a_table_that_says_it_is_an_estimate() {
    let out = Test::new()
        .example("static-site", "static-site")
        .args(["cost"])
        .run()
        .success();
    out.stdout_has("an estimate, not a quote");
    out.stdout_has("account 123456789012 is a placeholder");
    out.stdout_has("Free tier: monthly allowances applied to CodePipeline, CodeBuild, CodeCommit");
    out.stdout_has("--builds-per-month");
    insta::assert_snapshot!("cost-static-site", out.stdout);
}

#[test]
fn bad_numbers_are_usage_errors_naming_the_flag() {
    for (flag, value) in [
        ("--build-minutes", "0"),
        ("--build-minutes", "3000"),
        ("--build-minutes", "NaN"),
        ("--artifact-mb", "-1"),
    ] {
        Test::new()
            .spec(SITE)
            .args(["cost".to_owned(), format!("{flag}={value}")])
            .run()
            .code(2)
            .stderr_has(flag);
    }
}

#[test]
fn every_example_is_estimated() {
    for kind in crate::init::KINDS {
        let out = Test::new()
            .example(kind, kind)
            .args(["cost", "--output", "json"])
            .run()
            .success();
        let e = out.json();
        assert!(number(&e["total_usd"]) >= 0.0, "{kind}");
        assert!(has_line(&e, "CodePipeline"), "{kind}");
        assert!(has_line(&e, "CodeBuild"), "{kind}");
    }
}
