//! One deploy stage: an S3 site or a CodeDeploy deployment, with strategy-vs-platform rules.

use super::{Rules, word};
use crate::spec::model::{
    CodeDeploy, Deploy, EcsTarget, Hook, LambdaTarget, Os, Platform, S3Deploy, Strategy, Targets,
};
use crate::spec::names::rules as aws_names;
use crate::spec::path::Path;

/// Hook events each platform runs (spec keys).
const SERVER_HOOKS: [&str; 9] = [
    "application_stop",
    "before_install",
    "after_install",
    "application_start",
    "validate_service",
    "before_block_traffic",
    "after_block_traffic",
    "before_allow_traffic",
    "after_allow_traffic",
];
const TRAFFIC_HOOKS: [&str; 4] = [
    "before_block_traffic",
    "after_block_traffic",
    "before_allow_traffic",
    "after_allow_traffic",
];
const LAMBDA_HOOKS: [&str; 2] = ["before_allow_traffic", "after_allow_traffic"];
const ECS_HOOKS: [&str; 5] = [
    "before_install",
    "after_install",
    "after_allow_test_traffic",
    "before_allow_traffic",
    "after_allow_traffic",
];

/// Check the deploy block at `path` (`deploy` or `environments[i].deploy`).
pub(super) fn check(r: &mut Rules<'_>, deploy: &Deploy, path: &Path) {
    match deploy {
        Deploy::S3(s3) => s3_site(r, s3, &path.key("s3")),
        Deploy::Codedeploy(cd) => codedeploy(r, cd, &path.key("codedeploy")),
    }
}

fn s3_site(r: &mut Rules<'_>, s3: &S3Deploy, path: &Path) {
    if let Err(problem) = aws_names::s3_bucket(&s3.bucket) {
        r.error(
            &path.key("bucket"),
            format!("`{}` is not a valid bucket name: {problem}", s3.bucket),
            "bucket names are global and lowercase, like `hello-web-site-eu`",
        );
    } else if s3
        .bucket
        .starts_with(&format!("{}-artifacts-", r.spec.name))
    {
        r.error(
            &path.key("bucket"),
            "the site bucket has the artifact bucket's name: builds would be published with pipeline internals",
            "choose another bucket name",
        );
    }
    if let Some(website) = &s3.website {
        for (key, object) in [
            ("index", Some(&website.index)),
            ("error", website.error.as_ref()),
        ] {
            if let Some(object) = object
                && (object.is_empty() || object.starts_with('/'))
            {
                r.error(
                    &path.key("website").key(key),
                    format!("`{object}` is not an object key in the bucket"),
                    "write a key relative to the bucket root, like `index.html`",
                );
            }
        }
    }
}

fn codedeploy(r: &mut Rules<'_>, cd: &CodeDeploy, path: &Path) {
    strategy(r, cd, path);
    only_for_platform(r, cd, path);
    match cd.platform {
        Platform::Server => server(r, cd, path),
        Platform::Lambda => match &cd.lambda {
            Some(lambda) => {
                lambda_target(r, lambda, &path.key("lambda"));
                lambda_action(r, cd, path);
            }
            None => r.error(
                &path.key("lambda"),
                "a lambda deployment needs a `lambda` block",
                "add `lambda:` with `function` and `alias` (the alias whose traffic shifts)",
            ),
        },
        Platform::Ecs => match &cd.ecs {
            Some(ecs) => ecs_target(r, ecs, &path.key("ecs")),
            None => r.error(
                &path.key("ecs"),
                "an ecs deployment needs an `ecs` block",
                "add `ecs:` with cluster, service, container, port, two target_groups and listener",
            ),
        },
    }
    hooks(r, cd, path);
    for (i, alarm) in cd.alarms.iter().enumerate() {
        if alarm.is_empty() || alarm.chars().count() > 255 {
            r.error(
                &path.key("alarms").index(i),
                "a CloudWatch alarm name has 1 to 255 characters",
                "name an existing alarm",
            );
        }
    }
}

fn strategy(r: &mut Rules<'_>, cd: &CodeDeploy, path: &Path) {
    use Strategy::{AllAtOnce, BlueGreen, Canary, HalfAtATime, Linear, Rolling};
    let allowed: &[Strategy] = match cd.platform {
        Platform::Server => &[AllAtOnce, Rolling, HalfAtATime, BlueGreen],
        Platform::Lambda => &[AllAtOnce, Canary, Linear],
        Platform::Ecs => &[AllAtOnce, BlueGreen, Canary, Linear],
    };
    if !allowed.contains(&cd.strategy) {
        let why = match cd.strategy {
            Canary | Linear => {
                "canary and linear shift traffic, which only lambda and ecs deployments do"
            }
            Rolling | HalfAtATime => {
                "rolling and half-at-a-time replace servers in batches, which only server deployments have"
            }
            BlueGreen => {
                "lambda deployments always shift traffic between versions: use canary, linear or all-at-once"
            }
            AllAtOnce => "",
        };
        let names: Vec<String> = allowed.iter().map(word).collect();
        r.error(
            &path.key("strategy"),
            format!(
                "strategy `{}` does not apply to platform `{}`: {why}",
                word(&cd.strategy),
                word(&cd.platform)
            ),
            format!(
                "for {} use {}",
                word(&cd.platform),
                crate::spec::suggest::one_of(&names)
            ),
        );
    }
    if cd.traffic.is_some() && !matches!(cd.strategy, Canary | Linear) {
        r.error_at_key(
            &path.key("traffic"),
            format!(
                "`traffic` only applies to strategy canary or linear, not `{}`",
                word(&cd.strategy)
            ),
            "remove `traffic`, or set `strategy: canary` (or `linear`)",
        );
    }
    if cd.minimum_healthy.is_some() && cd.strategy != Rolling {
        r.error_at_key(
            &path.key("minimum_healthy"),
            format!(
                "`minimum_healthy` only applies to strategy rolling, not `{}`",
                word(&cd.strategy)
            ),
            "remove `minimum_healthy`, or set `strategy: rolling` on a server deployment",
        );
    }
}

/// Settings that belong to one platform only.
fn only_for_platform(r: &mut Rules<'_>, cd: &CodeDeploy, path: &Path) {
    let server_only = [
        ("targets", cd.targets.is_some()),
        ("load_balancer", cd.load_balancer.is_some()),
        ("instance_role", cd.instance_role.is_some()),
        ("files", !cd.files.is_empty()),
        ("file_exists_behavior", cd.file_exists_behavior.is_some()),
        ("os", r.written(&path.key("os"))),
    ];
    let checks: Vec<(&str, bool, &str)> = server_only
        .into_iter()
        .map(|(key, set)| (key, set, "server"))
        .chain([
            ("lambda", cd.lambda.is_some(), "lambda"),
            ("ecs", cd.ecs.is_some(), "ecs"),
        ])
        .collect();
    let platform = word(&cd.platform);
    for (key, set, owner) in checks {
        if set && owner != platform {
            r.error_at_key(
                &path.key(key),
                format!("`{key}` is for platform {owner}, but this deployment is `{platform}`"),
                format!("remove `{key}`, or set `platform: {owner}`"),
            );
        }
    }
}

fn server(r: &mut Rules<'_>, cd: &CodeDeploy, path: &Path) {
    let blue_green = cd.strategy == Strategy::BlueGreen;
    match &cd.targets {
        None => r.error(
            &path.key("targets"),
            "a server deployment needs `targets`",
            "add `targets:` with `ec2_tags`, `autoscaling_groups` or `on_premises_tags`",
        ),
        Some(targets) => server_targets(r, targets, &path.key("targets"), blue_green),
    }
    let copies_groups = blue_green && matches!(cd.targets, Some(Targets::AutoscalingGroups(_)));
    match &cd.instance_role {
        None if copies_groups => r.error(
            &path.key("instance_role"),
            "blue-green copies the Auto Scaling group, whose new instances run as its launch \
             template's instance profile: CodeDeploy must be allowed to pass that role",
            "add `instance_role: <role name>` (the role in the launch template's instance profile)",
        ),
        Some(role) => {
            if let Err(problem) = aws_names::iam_role(role) {
                r.error(
                    &path.key("instance_role"),
                    format!("`{role}`: {problem}"),
                    "name the role, not its ARN",
                );
            }
        }
        None => {}
    }
    if blue_green && cd.load_balancer.is_none() {
        r.error(
            &path.key("load_balancer"),
            "blue-green on servers needs a `load_balancer` to move traffic to the new instances",
            "add `load_balancer:` with `target_groups: [<target group name>]`",
        );
    }
    if let Some(lb) = &cd.load_balancer {
        for (i, group) in lb.target_groups.iter().enumerate() {
            target_group(
                r,
                group,
                &path.key("load_balancer").key("target_groups").index(i),
            );
        }
    }
    for (i, file) in cd.files.iter().enumerate() {
        let item = path.key("files").index(i);
        if file.source != "/"
            && let Err(problem) = aws_names::relative_path(&file.source)
        {
            r.error(
                &item.key("source"),
                format!("`source`: {problem}"),
                "write a path in the build output, or `/` for all of it",
            );
        }
        let absolute = match cd.os {
            Os::Linux => file.destination.starts_with('/'),
            Os::Windows => file
                .destination
                .get(1..3)
                .is_some_and(|s| s == ":\\" || s == ":/"),
        };
        if !absolute {
            r.error(
                &item.key("destination"),
                format!(
                    "`{}` is not an absolute path on the server",
                    file.destination
                ),
                match cd.os {
                    Os::Linux => "write an absolute path like `/opt/app`",
                    Os::Windows => "write an absolute path like `C:\\app`",
                },
            );
        }
    }
}

fn server_targets(r: &mut Rules<'_>, targets: &Targets, path: &Path, blue_green: bool) {
    let (key, empty) = match targets {
        Targets::Ec2Tags(tags) => ("ec2_tags", tags.is_empty()),
        Targets::AutoscalingGroups(groups) => ("autoscaling_groups", groups.is_empty()),
        Targets::OnPremisesTags(tags) => ("on_premises_tags", tags.is_empty()),
    };
    if empty {
        r.error(
            &path.key(key),
            format!("`{key}` is empty: the deployment would reach no server"),
            "list at least one tag or group",
        );
    }
    // CodePipeline's CodeDeploy action starts a deployment with no target instances, and the
    // replacement fleet of a blue/green deployment over tagged instances must be named in each
    // CreateDeployment (targetInstances); only copying an Auto Scaling group works from a pipeline.
    // https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeployment.html
    if blue_green && matches!(targets, Targets::Ec2Tags(_)) {
        r.error_at_key(
            &path.key(key),
            "blue-green with `ec2_tags` needs the replacement instances named in each deployment, \
             which CodePipeline's CodeDeploy action cannot do",
            "use `autoscaling_groups` (CodeDeploy copies the group for each deployment), or strategy rolling",
        );
    }
    if blue_green && matches!(targets, Targets::OnPremisesTags(_)) {
        r.error_at_key(
            &path.key(key),
            "blue-green cannot replace on-premises servers",
            "use `ec2_tags` or `autoscaling_groups`, or strategy rolling",
        );
    }
    if let Targets::AutoscalingGroups(groups) = targets {
        for (i, group) in groups.iter().enumerate() {
            if group.is_empty() || group.chars().count() > 255 {
                r.error(
                    &path.key(key).index(i),
                    "an Auto Scaling group name has 1 to 255 characters",
                    "name an existing Auto Scaling group",
                );
            }
        }
    }
}

/// Elastic Load Balancing target group names: 1–32 letters, digits and `-`.
fn target_group(r: &mut Rules<'_>, name: &str, path: &Path) {
    let ok = (1..=32).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if !ok {
        r.error(
            path,
            format!("`{name}` is not a target group name"),
            "target group names have 1 to 32 letters, digits and `-` (the name, not the ARN)",
        );
    }
}

/// What the route a pipeline deploys Lambda by (CodePipeline's Lambda deploy action, see
/// `model/pipeline.rs`) can and cannot do.
/// <https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-LambdaDeploy.html>
fn lambda_action(r: &mut Rules<'_>, cd: &CodeDeploy, path: &Path) {
    if !cd.hooks.is_empty() {
        r.error_at_key(
            &path.key("hooks"),
            "lambda deployments run no lifecycle hooks: pipewright deploys Lambda with CodePipeline's \
             Lambda deploy action, which shifts the alias and watches `alarms` but invokes no hook functions",
            "remove `hooks`, and give the checks a CloudWatch alarm under `alarms` (the action rolls \
             the alias back when one fires)",
        );
    }
    if !cd.auto_rollback {
        r.warning(
            &path.key("auto_rollback"),
            "the Lambda deploy action always puts the alias back on its previous version when it \
             fails or an alarm fires: `auto_rollback: false` changes nothing",
            "remove `auto_rollback`",
        );
    }
    // "The maximum total wait time is 2 days" (DeployStrategy, same page).
    if let Some(steps) = cd.traffic_steps() {
        let waits = if cd.strategy == Strategy::Canary {
            1
        } else {
            (100 - 1) / steps.percent.max(1)
        };
        let total = steps.interval_minutes.saturating_mul(waits);
        if total > 2 * 24 * 60 {
            r.error(
                &path.key("traffic"),
                format!("this shift waits {total} minutes in all; the Lambda deploy action waits at most 2 days (2880 minutes)"),
                "raise `percent` or shorten `interval_minutes`",
            );
        }
    }
}

fn lambda_target(r: &mut Rules<'_>, lambda: &LambdaTarget, path: &Path) {
    if !is_lambda_function(&lambda.function) {
        r.error(
            &path.key("function"),
            format!("`{}` is not a Lambda function name", lambda.function),
            "write the function's name (1–64 letters, digits, `-`, `_`) or its ARN",
        );
    }
    let alias = &lambda.alias;
    let ok = (1..=128).contains(&alias.len())
        && alias
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !alias.chars().all(|c| c.is_ascii_digit());
    if !ok {
        r.error(
            &path.key("alias"),
            format!("`{alias}` is not a Lambda alias name"),
            "an alias has letters, digits, `-` and `_`, and is not only digits (like `live`)",
        );
    }
}

fn is_lambda_function(name: &str) -> bool {
    if name.starts_with("arn:") {
        return name.contains(":lambda:") && name.contains(":function:");
    }
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The roles taskdef.json (beside the spec) names must be the ones the spec declares: the
/// pipeline and CodeDeploy may pass exactly those, so any other would be refused mid-deploy.
fn taskdef_roles(r: &mut Rules<'_>, ecs: &EcsTarget, path: &Path) {
    let Ok(text) = std::fs::read_to_string(r.base_dir.join("taskdef.json")) else {
        return;
    };
    let Ok(taskdef) = serde_json::from_str::<serde_json::Value>(&text) else {
        return;
    };
    for (field, key, declared) in [
        ("taskRoleArn", "task_role", &ecs.task_role),
        ("executionRoleArn", "execution_role", &ecs.execution_role),
    ] {
        let named = taskdef
            .get(field)
            .and_then(serde_json::Value::as_str)
            .map(|arn| arn.rsplit('/').next().unwrap_or(arn));
        if named != declared.as_deref() {
            let message = match (named, declared) {
                (Some(role), _) => format!(
                    "taskdef.json's {field} names the role `{role}`: the deploy passes it to ECS, and may pass only the roles the spec names"
                ),
                (None, Some(role)) => {
                    format!("`{role}` is not the {field} of taskdef.json, which names none")
                }
                (None, None) => continue,
            };
            r.error_at_key(
                &path.key(key),
                message,
                match named {
                    Some(role) => format!("set `{key}: {role}`"),
                    None => format!("remove `{key}`, or add {field} to taskdef.json"),
                },
            );
        }
    }
}

fn ecs_target(r: &mut Rules<'_>, ecs: &EcsTarget, path: &Path) {
    match ecs.target_groups.as_slice() {
        [blue, green] if blue == green => r.error(
            &path.key("target_groups").index(1),
            "the two target groups are the same",
            "blue and green need two different target groups",
        ),
        [_, _] => {}
        groups => r.error(
            &path.key("target_groups"),
            format!(
                "an ecs deployment needs exactly two target groups (blue and green), found {}",
                groups.len()
            ),
            "list the two target groups behind the listener, e.g. `[web-blue, web-green]`",
        ),
    }
    for (i, group) in ecs.target_groups.iter().enumerate() {
        target_group(r, group, &path.key("target_groups").index(i));
    }
    for (key, value) in [
        ("listener", Some(&ecs.listener)),
        ("test_listener", ecs.test_listener.as_ref()),
    ] {
        if let Some(arn) = value
            && !is_listener_arn(arn)
        {
            r.error(
                &path.key(key),
                format!("`{arn}` is not a load balancer listener ARN"),
                "copy the listener ARN: `arn:aws:elasticloadbalancing:<region>:<account>:listener/app/<lb>/<id>/<id>`",
            );
        }
    }
    taskdef_roles(r, ecs, path);
    if ecs.test_listener.as_ref() == Some(&ecs.listener) {
        r.error(
            &path.key("test_listener"),
            "the test listener is the production listener",
            "use a second listener (another port) for test traffic, or remove `test_listener`",
        );
    }
    for (key, value) in [
        ("cluster", &ecs.cluster),
        ("service", &ecs.service),
        ("container", &ecs.container),
    ] {
        if value.trim().is_empty() {
            r.error(
                &path.key(key),
                format!("`{key}` is empty"),
                format!("name the ECS {key}"),
            );
        }
    }
}

fn is_listener_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "elasticloadbalancing", region, account, resource]
        if partition.starts_with("aws")
            && aws_names::region(region).is_ok()
            && account.len() == 12
            && account.chars().all(|c| c.is_ascii_digit())
            && resource.starts_with("listener/"))
}

fn hooks(r: &mut Rules<'_>, cd: &CodeDeploy, path: &Path) {
    let allowed: &[&str] = match cd.platform {
        Platform::Server => &SERVER_HOOKS,
        Platform::Lambda => &LAMBDA_HOOKS,
        Platform::Ecs => &ECS_HOOKS,
    };
    let platform = word(&cd.platform);
    for (key, _event, hook) in cd.hooks.iter() {
        let hook_path = path.key("hooks").key(key);
        if !allowed.contains(&key) {
            r.error_at_key(
                &hook_path,
                format!("platform {platform} has no `{key}` hook"),
                format!(
                    "{platform} hooks: {}",
                    crate::spec::suggest::one_of(allowed)
                ),
            );
            continue;
        }
        if cd.platform == Platform::Server
            && TRAFFIC_HOOKS.contains(&key)
            && cd.load_balancer.is_none()
        {
            r.error_at_key(
                &hook_path,
                format!("`{key}` runs only when a load balancer moves traffic"),
                "add `load_balancer`, or use the install/start/validate hooks",
            );
        }
        let location_path = match hook {
            Hook::Path(_) => hook_path.clone(),
            Hook::Detailed(_) => hook_path.key("location"),
        };
        match cd.platform {
            Platform::Server => server_hook(r, cd, hook, &hook_path, &location_path),
            Platform::Lambda | Platform::Ecs => {
                if !is_lambda_function(hook.location()) {
                    r.error(
                        &location_path,
                        format!("`{}` is not a Lambda function name", hook.location()),
                        format!("{platform} hooks name the Lambda function CodeDeploy invokes"),
                    );
                }
                if let Hook::Detailed(detail) = hook
                    && (detail.timeout.is_some() || detail.runas.is_some())
                {
                    r.error_at_key(
                        &hook_path.key(if detail.timeout.is_some() {
                            "timeout"
                        } else {
                            "runas"
                        }),
                        "`timeout` and `runas` apply to server hook scripts only",
                        "a Lambda hook's time limit is the function's own timeout",
                    );
                }
            }
        }
    }
}

fn server_hook(
    r: &mut Rules<'_>,
    cd: &CodeDeploy,
    hook: &Hook,
    hook_path: &Path,
    location_path: &Path,
) {
    let location = hook.location();
    if let Err(problem) = aws_names::relative_path(location) {
        r.error(
            location_path,
            format!("hook script `{location}`: {problem}"),
            "write the script's path in the repository, like `scripts/start.sh`",
        );
        return;
    }
    if !r.base_dir.join(location).is_file() {
        r.warning(
            location_path,
            format!("hook script `{location}` does not exist next to the spec"),
            "create it (and commit it), or fix the path: CodeDeploy fails with ScriptMissing otherwise",
        );
    }
    if let Hook::Detailed(detail) = hook
        && detail.runas.is_some()
        && cd.os == Os::Windows
    {
        r.error_at_key(
            &hook_path.key("runas"),
            "`runas` works on Linux servers only",
            "remove `runas`",
        );
    }
}
