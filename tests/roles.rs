//! The roles `up` creates, read back with boto3: each grants exactly what its pipeline calls.
//! Every permission the AWS page of each step lists is there (a pipeline run on the strict
//! emulator proves they suffice, see `strict_emulator`), and nothing else: the (action, resource)
//! pairs of each role's policy must equal the table below, written from those pages, so a role
//! that loses `logs:PutLogEvents`, or gains `iam:PassRole` on `role/*`, fails here.

use std::collections::BTreeSet;

use crate::support::emulator::boto3_output;
use crate::support::{Scope, Test};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

/// Every `action resource` pair each role's inline policy allows, and its trust policy's
/// condition, read with boto3.
fn granted(name: &str, roles: &[&str]) -> serde_json::Value {
    let roles: Vec<String> = roles.iter().map(|r| format!("'{name}-{r}'")).collect();
    let out = boto3_output(&format!(
        "import json\n\
         iam = client('iam')\n\
         out = {{}}\n\
         for role in [{}]:\n\
         \x20   doc = iam.get_role_policy(RoleName=role, PolicyName='pipewright')['PolicyDocument']\n\
         \x20   pairs = set()\n\
         \x20   for s in doc['Statement']:\n\
         \x20       assert s['Effect'] == 'Allow', s\n\
         \x20       acts = s['Action'] if isinstance(s['Action'], list) else [s['Action']]\n\
         \x20       ress = s['Resource'] if isinstance(s['Resource'], list) else [s['Resource']]\n\
         \x20       pairs |= {{f'{{a}} {{r}}' for a in acts for r in ress}}\n\
         \x20   trust = iam.get_role(RoleName=role)['Role']['AssumeRolePolicyDocument']['Statement'][0]\n\
         \x20   out[role.split('-', 1)[1]] = {{'pairs': sorted(pairs), 'condition': trust.get('Condition')}}\n\
         print(json.dumps(out))\n",
        roles.join(", ")
    ));
    serde_json::from_str(&out).expect("boto3 printed JSON")
}

fn pairs(granted: &serde_json::Value, role: &str) -> BTreeSet<String> {
    granted[role]["pairs"]
        .as_array()
        .unwrap_or_else(|| panic!("no policy for {role}: {granted}"))
        .iter()
        .map(|p| p.as_str().unwrap_or_default().to_owned())
        .collect()
}

/// `actions` × `resources` as `action resource` pairs.
fn each(actions: &[&str], resources: &[String]) -> Vec<String> {
    actions
        .iter()
        .flat_map(|a| resources.iter().map(move |r| format!("{a} {r}")))
        .collect()
}

fn assert_exactly(granted: &serde_json::Value, role: &str, expected: Vec<String>) {
    let expected: BTreeSet<String> = expected.into_iter().collect();
    let actual = pairs(granted, role);
    let missing: Vec<_> = expected.difference(&actual).collect();
    let extra: Vec<_> = actual.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{role}: missing {missing:#?}\nbroader than needed {extra:#?}"
    );
}

/// The static site: a CodeCommit source, a build, an S3 deploy, the EventBridge rule.
#[test]
fn each_role_of_the_static_site_grants_exactly_what_its_pipeline_calls() {
    let scope = Scope::new();
    let n = scope.name.clone();
    Test::new()
        .example("static-site", &n)
        .emulator(&scope)
        .args(["up", "--yes"])
        .run()
        .success();
    let got = granted(&n, &["codebuild-role", "codepipeline-role", "events-role"]);
    let artifacts = format!("arn:aws:s3:::{n}-artifacts-{ACCOUNT}-{REGION}");
    let group = format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/codebuild/{n}-build");
    // CodeBuild's service role page: logs (stream and events in the build's group), the
    // pipeline's artifacts in and out, the bucket's location and ACL.
    let mut codebuild = each(
        &["logs:CreateLogStream", "logs:PutLogEvents"],
        &[group.clone(), format!("{group}:*")],
    );
    codebuild.extend(each(
        &["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
        &[format!("{artifacts}/*")],
    ));
    codebuild.extend(each(
        &["s3:GetBucketAcl", "s3:GetBucketLocation"],
        std::slice::from_ref(&artifacts),
    ));
    assert_exactly(&got, "codebuild-role", codebuild);
    // CodePipeline's service role page and the CodeCommit, CodeBuild and S3 deploy action pages.
    let mut pipeline = each(
        &["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
        &[format!("{artifacts}/*")],
    );
    pipeline.extend(each(
        &[
            "s3:GetBucketVersioning",
            "s3:GetBucketAcl",
            "s3:GetBucketLocation",
        ],
        std::slice::from_ref(&artifacts),
    ));
    pipeline.extend(each(
        &["codebuild:BatchGetBuilds", "codebuild:StartBuild"],
        &[format!(
            "arn:aws:codebuild:{REGION}:{ACCOUNT}:project/{n}-build"
        )],
    ));
    pipeline.extend(each(
        &[
            "codecommit:GetBranch",
            "codecommit:GetCommit",
            "codecommit:GetRepository",
            "codecommit:UploadArchive",
            "codecommit:GetUploadArchiveStatus",
            "codecommit:CancelUploadArchive",
        ],
        &[format!("arn:aws:codecommit:{REGION}:{ACCOUNT}:{n}")],
    ));
    pipeline.extend(each(
        &["s3:PutObject"],
        &[format!("arn:aws:s3:::{n}-site/*")],
    ));
    assert_exactly(&got, "codepipeline-role", pipeline);
    assert_exactly(
        &got,
        "events-role",
        each(
            &["codepipeline:StartPipelineExecution"],
            &[format!(
                "arn:aws:codepipeline:{REGION}:{ACCOUNT}:{n}-pipeline"
            )],
        ),
    );
    // Every role trusts its service for this account only; CodeBuild and CodePipeline for
    // this project and pipeline only.
    for role in ["codebuild-role", "codepipeline-role", "events-role"] {
        assert_eq!(
            got[role]["condition"]["StringEquals"]["aws:SourceAccount"], ACCOUNT,
            "{role}: {got}"
        );
    }
    assert_eq!(
        got["codebuild-role"]["condition"]["ArnLike"]["aws:SourceArn"],
        format!("arn:aws:codebuild:{REGION}:{ACCOUNT}:project/{n}-build")
    );
    assert_eq!(
        got["codepipeline-role"]["condition"]["ArnLike"]["aws:SourceArn"],
        format!("arn:aws:codepipeline:{REGION}:{ACCOUNT}:{n}-pipeline")
    );
}

/// The Lambda canary: the pipeline role holds the Lambda deploy action's list on this function,
/// its versions and its alias; the build role only what a build needs (it deploys nothing).
#[test]
fn the_lambda_pipeline_role_holds_the_deploy_actions_permissions_on_its_function_only() {
    let scope = Scope::new();
    let n = scope.name.clone();
    Test::new()
        .example("lambda-canary", &n)
        .emulator(&scope)
        .args(["up", "--yes"])
        .run()
        .success();
    let got = granted(&n, &["codebuild-role", "codepipeline-role"]);
    let function = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{n}");
    let lambda: BTreeSet<String> = pairs(&got, "codepipeline-role")
        .into_iter()
        .filter(|p| p.starts_with("lambda:") || p.starts_with("cloudwatch:"))
        .collect();
    // https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-LambdaDeploy.html
    let mut expected = each(
        &["lambda:GetFunctionConfiguration", "lambda:PublishVersion"],
        &[function.clone(), format!("{function}:*")],
    );
    expected.extend(each(
        &["lambda:UpdateFunctionCode"],
        std::slice::from_ref(&function),
    ));
    expected.extend(each(
        &["lambda:GetAlias", "lambda:UpdateAlias"],
        &[format!("{function}:live")],
    ));
    let expected: BTreeSet<String> = expected.into_iter().collect();
    assert_eq!(lambda, expected);
    assert!(
        pairs(&got, "codebuild-role")
            .iter()
            .all(|p| !p.starts_with("lambda:")),
        "the build deploys nothing: {got}"
    );
}

/// ECS and EC2 blue/green pass roles: exactly the ones the spec names, never `role/*`; EC2
/// blue/green manages its own Auto Scaling group and this deployment group's copies only.
#[test]
fn pass_role_names_exact_roles_and_auto_scaling_stays_in_its_groups() {
    for (kind, role, passes) in [
        (
            "ecs-blue-green",
            "codepipeline-role",
            "arn:aws:iam::123456789012:role/ecsTaskExecutionRole".to_owned(),
        ),
        ("ec2-blue-green", "codedeploy-role", String::new()),
    ] {
        let scope = Scope::new();
        let n = scope.name.clone();
        Test::new()
            .example(kind, &n)
            .emulator(&scope)
            .args(["up", "--yes"])
            .run()
            .success();
        let got = granted(&n, &[role]);
        let expected = if passes.is_empty() {
            format!("arn:aws:iam::{ACCOUNT}:role/{n}-instance")
        } else {
            passes
        };
        let passed: Vec<String> = pairs(&got, role)
            .into_iter()
            .filter_map(|p| p.strip_prefix("iam:PassRole ").map(str::to_owned))
            .collect();
        assert_eq!(passed, vec![expected], "{kind}");
        assert!(
            pairs(&got, role).iter().all(|p| !p.ends_with(":role/*")),
            "{kind}: {got}"
        );
        if kind == "ec2-blue-green" {
            let groups: BTreeSet<String> = pairs(&got, role)
                .into_iter()
                .filter(|p| p.starts_with("autoscaling:CreateAutoScalingGroup "))
                .collect();
            let group = |name: &str| {
                format!(
                    "autoscaling:CreateAutoScalingGroup arn:aws:autoscaling:{REGION}:{ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/{name}"
                )
            };
            let expected: BTreeSet<String> = [
                group(&format!("{n}-asg")),
                group(&format!("CodeDeploy_{n}-group_*")),
            ]
            .into_iter()
            .collect();
            assert_eq!(groups, expected, "{got}");
        }
    }
}
