//! Deploy stages: `deploy` xor `environments`, environment names, and what stages must share.

use std::collections::HashMap;

use super::{Rules, deploy, word};
use crate::spec::model::{CodeDeploy, Deploy};
use crate::spec::names::rules as aws_names;
use crate::spec::path::Path;

/// Stage names pipewright gives its own stages.
const RESERVED_STAGES: [&str; 2] = ["Source", "Build"];

pub(super) fn check(r: &mut Rules<'_>) {
    let spec = r.spec;
    match (&spec.deploy, &spec.environments) {
        (Some(_), Some(_)) => r.error_at_key(
            &Path::root().key("environments"),
            "both `deploy` and `environments` are given",
            "use `deploy` for a single stage, or `environments` for several, not both",
        ),
        // Written but invalid: the structure pass has said why.
        (None, None)
            if r.written(&Path::root().key("deploy"))
                || r.written(&Path::root().key("environments")) => {}
        (None, None) => r.error(
            &Path::root().key("deploy"),
            "the spec has no deploy stage: add `deploy` or `environments`",
            "e.g. `deploy: {s3: {bucket: my-site}}`, or `environments:` with one item per stage",
        ),
        (Some(single), None) => deploy::check(r, single, &Path::root().key("deploy")),
        (None, Some(environments)) => {
            for (i, env) in environments.iter().enumerate() {
                deploy::check(
                    r,
                    &env.deploy,
                    &Path::root().key("environments").index(i).key("deploy"),
                );
            }
            environment_names(r);
            shared_appspec(r);
        }
    }
    distinct_site_buckets(r);
}

fn environment_names(r: &mut Rules<'_>) {
    let spec = r.spec;
    let Some(environments) = &spec.environments else {
        return;
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, env) in environments.iter().enumerate() {
        let path = Path::root().key("environments").index(i).key("name");
        if let Err(problem) = aws_names::codepipeline_name(&env.name, "a stage name") {
            r.error(
                &path,
                format!("`{}`: {problem}", env.name),
                "name the stage like `staging` or `prod`",
            );
            continue;
        }
        if RESERVED_STAGES
            .iter()
            .any(|s| s.eq_ignore_ascii_case(&env.name))
        {
            r.error(
                &path,
                format!("`{}` is the name of a stage pipewright creates", env.name),
                "choose another name, like `staging` or `prod`",
            );
        }
        let key = env.name.to_ascii_lowercase();
        if let Some(&first) = seen.get(&key) {
            let line = r
                .tree
                .locate(&Path::root().key("environments").index(first).key("name"))
                .line;
            r.error(
                &path,
                format!(
                    "environment `{}` is already defined (line {line})",
                    env.name
                ),
                "give every environment its own name",
            );
        } else {
            seen.insert(key, i);
        }
    }
}

/// What goes into `appspec.yml`, which one build artifact carries to every CodeDeploy stage.
fn appspec_shape(cd: &CodeDeploy) -> Vec<(&'static str, String)> {
    let mut shape = vec![
        ("platform", word(&cd.platform)),
        ("os", word(&cd.os)),
        ("files", json(&cd.files)),
        ("file_exists_behavior", json(&cd.file_exists_behavior)),
        ("hooks", json(&cd.hooks)),
    ];
    if let Some(lambda) = &cd.lambda {
        shape.push(("lambda", json(lambda)));
    }
    if let Some(ecs) = &cd.ecs {
        shape.push(("ecs.container", ecs.container.clone()));
        shape.push(("ecs.port", ecs.port.to_string()));
    }
    shape
}

fn shared_appspec(r: &mut Rules<'_>) {
    let spec = r.spec;
    let Some(environments) = &spec.environments else {
        return;
    };
    let mut first: Option<(&str, Vec<(&'static str, String)>)> = None;
    for (i, env) in environments.iter().enumerate() {
        let Deploy::Codedeploy(cd) = &env.deploy else {
            continue;
        };
        if cd.platform == crate::spec::Platform::Lambda {
            continue; // no appspec: each stage's Lambda action names its own function
        }
        let shape = appspec_shape(cd);
        let Some((first_name, first_shape)) = &first else {
            first = Some((&env.name, shape));
            continue;
        };
        let differs = shape
            .iter()
            .find(|(key, value)| {
                first_shape.iter().find(|(k, _)| k == key).map(|(_, v)| v) != Some(value)
            })
            .or_else(|| {
                first_shape
                    .iter()
                    .find(|(key, _)| !shape.iter().any(|(k, _)| k == key))
            });
        if let Some((key, _)) = differs {
            let key = key.split('.').next().unwrap_or(key);
            let path = Path::root()
                .key("environments")
                .index(i)
                .key("deploy")
                .key("codedeploy")
                .key(key);
            r.error_at_key(
                &path,
                format!(
                    "`{key}` differs from environment `{first_name}`: one appspec.yml ships in the build artifact, so every CodeDeploy environment must agree on platform, os, files, hooks and the lambda/ecs target"
                ),
                format!("make `{key}` the same as in `{first_name}`"),
            );
        }
    }
}

fn distinct_site_buckets(r: &mut Rules<'_>) {
    let spec = r.spec;
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, stage) in spec.stages().iter().enumerate() {
        let Deploy::S3(s3) = stage.deploy else {
            continue;
        };
        if let Some(&first) = seen.get(s3.bucket.as_str()) {
            let path = Path::root()
                .key("environments")
                .index(i)
                .key("deploy")
                .key("s3")
                .key("bucket");
            let first_name = spec.stages().get(first).map_or("", |s| s.name).to_owned();
            r.error(
                &path,
                format!(
                    "bucket `{}` is already the site of environment `{first_name}`",
                    s3.bucket
                ),
                "give each environment its own bucket",
            );
        } else {
            seen.insert(&s3.bucket, i);
        }
    }
}

/// Compact JSON of a setting, to compare two stages' settings.
fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
