//! The build: image and compute, environment variables and secrets, paths, reports, logs.

use super::{Rules, word};
use crate::spec::model::{BUILDSPEC_GENERATED, Compute};
use crate::spec::names::rules as aws_names;
use crate::spec::path::Path;
use crate::spec::secret_ref::SecretRef;

/// The retention periods CloudWatch Logs accepts (`PutRetentionPolicy`).
const LOG_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

pub(super) fn check(r: &mut Rules<'_>) {
    let base = Path::root().key("build");
    image_and_compute(r, &base);
    variables(r, &base);
    paths(r, &base);
    log_retention(r, &base);
    super::permissions::check(r, &base.key("permissions"));
}

fn image_and_compute(r: &mut Rules<'_>, base: &Path) {
    let spec = r.spec;
    let build = &spec.build;
    let image = build.image.as_str();
    let compute = build.compute;
    if let Err(problem) = image_shape(image) {
        r.error(
            &base.key("image"),
            format!("`{image}` is not a build image: {problem}"),
            "use a CodeBuild image like `aws/codebuild/standard:7.0` or a registry image like `public.ecr.aws/docker/library/node:20`",
        );
        return;
    }
    let lower = image.to_ascii_lowercase();
    let arm = lower.contains("aarch64") || lower.contains("arm64");
    let windows = lower.contains("windows");
    if compute == Compute::XLarge2 && (arm || windows) {
        r.error(
            &base.key("compute"),
            format!(
                "compute `{}` runs only Linux x86 images, not `{image}`",
                word(&compute)
            ),
            "use `large`, or a Linux x86 image such as `aws/codebuild/standard:7.0`",
        );
    }
    if compute == Compute::Small && windows {
        r.error(
            &base.key("compute"),
            format!("compute `small` cannot run the Windows image `{image}`"),
            "Windows builds need `medium` or `large`",
        );
    }
}

/// `aws/codebuild/<name>:<tag>` or `[registry/]repository[:tag|@digest]`.
fn image_shape(image: &str) -> Result<(), String> {
    if image.is_empty() || image.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("an image name has no spaces".to_owned());
    }
    if let Some(managed) = image.strip_prefix("aws/codebuild/") {
        let ok = managed
            .split_once(':')
            .is_some_and(|(name, tag)| !name.is_empty() && !tag.is_empty() && !tag.contains(':'));
        return if ok {
            Ok(())
        } else {
            Err("a CodeBuild image needs a version, like `aws/codebuild/standard:7.0`".to_owned())
        };
    }
    let (name, _digest) = image.split_once('@').unwrap_or((image, ""));
    let repository = match name.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => {
            if tag.is_empty() || tag.len() > 128 {
                return Err("the tag after `:` is empty or too long".to_owned());
            }
            repository
        }
        _ => name,
    };
    let path = match repository.split_once('/') {
        Some((host, rest)) if host.contains(['.', ':']) || host == "localhost" => rest,
        _ => repository,
    };
    let ok = !path.is_empty()
        && path.split('/').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        });
    if ok {
        Ok(())
    } else {
        Err("a registry image is lowercase `[registry/]repository[:tag]`".to_owned())
    }
}

fn variables(r: &mut Rules<'_>, base: &Path) {
    let spec = r.spec;
    let build = &spec.build;
    for (name, value) in &build.env {
        let path = base.key("env").key(name);
        if let Err(problem) = aws_names::env_var(name) {
            r.error_at_key(&path, format!("`{name}`: {problem}"), "rename the variable");
        }
        if let Some(why) = looks_secret(name, value) {
            r.error(
                &path,
                format!("`{name}` looks like a secret ({why}) written in the spec"),
                format!(
                    "store it in SSM Parameter Store or Secrets Manager and reference it under `build.secrets`, e.g. `{name}: ssm:/{}/{}`",
                    spec.name,
                    name.to_ascii_lowercase().replace('_', "-")
                ),
            );
        }
    }
    for (name, reference) in &build.secrets {
        let path = base.key("secrets").key(name);
        if let Err(problem) = aws_names::env_var(name) {
            r.error_at_key(&path, format!("`{name}`: {problem}"), "rename the variable");
        }
        if build.env.contains_key(name) {
            r.error_at_key(
                &path,
                format!("`{name}` is both in `build.env` and in `build.secrets`"),
                "keep one of them",
            );
        }
        if let Err(problem) = SecretRef::parse(reference) {
            // Never quote the value: when it is not a reference it may be the secret itself.
            r.error(
                &path,
                format!("`{name}` is not a secret reference: {problem}"),
                "use `ssm:/parameter/name` or `secretsmanager:secret-id[:json-key]`",
            );
        }
    }
}

/// Why a plain environment value looks like a secret, if it does.
fn looks_secret(name: &str, value: &str) -> Option<&'static str> {
    let upper = name.to_ascii_uppercase();
    let value = value.trim();
    if value.is_empty() || value.starts_with("ssm:") || value.starts_with("secretsmanager:") {
        return None;
    }
    let access_key = value.len() == 20
        && (value.starts_with("AKIA") || value.starts_with("ASIA"))
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if access_key {
        return Some("an AWS access key id");
    }
    if value.contains("PRIVATE KEY-----") {
        return Some("a private key");
    }
    for prefix in [
        "ghp_",
        "gho_",
        "github_pat_",
        "glpat-",
        "xoxb-",
        "xoxp-",
        "sk_live_",
    ] {
        if value.starts_with(prefix) {
            return Some("an access token");
        }
    }
    let secret_name = [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "CREDENTIAL",
    ]
    .iter()
    .any(|word| upper.contains(word));
    if secret_name && value.len() >= 6 && !value.contains("${") {
        return Some("its name says so");
    }
    let dense = value.len() >= 32
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+/=_-".contains(c))
        && value.chars().any(|c| c.is_ascii_digit())
        && value.chars().any(|c| c.is_ascii_alphabetic());
    if dense {
        return Some("a long random-looking value");
    }
    None
}

fn paths(r: &mut Rules<'_>, base: &Path) {
    let spec = r.spec;
    let build = &spec.build;
    if build.buildspec != BUILDSPEC_GENERATED
        && let Err(problem) = aws_names::relative_path(&build.buildspec)
    {
        r.error(
            &base.key("buildspec"),
            format!("`buildspec`: {problem}"),
            format!("write `{BUILDSPEC_GENERATED}` to let pipewright render it, or a path in the repository like `buildspec.yml`"),
        );
    }
    if let Some(dir) = &build.artifacts.base_directory
        && let Err(problem) = aws_names::relative_path(dir)
    {
        r.error(
            &base.key("artifacts").key("base_directory"),
            format!("`base_directory`: {problem}"),
            "name a folder of the build's output, like `dist`",
        );
    }
    for (i, glob) in build.artifacts.files.iter().enumerate() {
        if glob.trim().is_empty() {
            r.error(
                &base.key("artifacts").key("files").index(i),
                "an empty artifact pattern",
                "write a glob like `**/*` or remove the item",
            );
        }
    }
    for (i, path) in build.cache.iter().enumerate() {
        if path.trim().is_empty() {
            r.error(
                &base.key("cache").index(i),
                "an empty cache path",
                "write a path like `node_modules/**/*` or remove the item",
            );
        }
    }
    for (group, report) in &build.reports {
        if let Some(dir) = &report.base_directory
            && let Err(problem) = aws_names::relative_path(dir)
        {
            r.error(
                &base.key("reports").key(group).key("base_directory"),
                format!("`base_directory`: {problem}"),
                "name a folder of the build's output, like `reports`",
            );
        }
    }
}

fn log_retention(r: &mut Rules<'_>, base: &Path) {
    let days = r.spec.build.log_retention_days;
    if !LOG_RETENTION_DAYS.contains(&days) {
        let nearest = LOG_RETENTION_DAYS
            .iter()
            .min_by_key(|allowed| allowed.abs_diff(days))
            .copied()
            .unwrap_or(30);
        r.error(
            &base.key("log_retention_days"),
            format!("CloudWatch Logs cannot keep logs for {days} days"),
            format!(
                "use one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (nearest: {nearest})"
            ),
        );
    }
}

/// Where secret values sit in the text, so error snippets can show `*****` instead: the values
/// of `build.secrets` that are not references, and `build.env` values that look like secrets.
pub(crate) fn secret_spans(tree: &crate::spec::node::Node) -> Vec<crate::spec::source::Span> {
    use crate::spec::node::Kind;
    let mut spans = Vec::new();
    let Some(build) = tree.get("build") else {
        return spans;
    };
    for (field, is_secret) in [
        (
            "secrets",
            (|_: &str, v: &str| SecretRef::parse(v).is_err()) as fn(&str, &str) -> bool,
        ),
        ("env", |k: &str, v: &str| looks_secret(k, v).is_some()),
    ] {
        let Some(crate::spec::node::Node {
            kind: Kind::Map(entries),
            ..
        }) = build.get(field)
        else {
            continue;
        };
        for entry in entries {
            if let (Some(key), Kind::Scalar(value)) = (entry.key.as_key(), &entry.value.kind)
                && is_secret(key, &value.text)
            {
                spans.push(entry.value.span);
            }
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images() {
        for good in [
            "aws/codebuild/standard:7.0",
            "aws/codebuild/amazonlinux2-aarch64-standard:3.0",
            "node:20",
            "public.ecr.aws/docker/library/node:20-alpine",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/builder:latest",
            "localhost:5000/x@sha256:abc",
        ] {
            assert!(image_shape(good).is_ok(), "{good}");
        }
        for bad in [
            "aws/codebuild/standard",
            "Node:20",
            "node:",
            "has space",
            "",
        ] {
            assert!(image_shape(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secret_looking_values() {
        assert!(looks_secret("AWS_KEY", "AKIAIOSFODNN7EXAMPLE").is_some());
        assert!(looks_secret("DB_PASSWORD", "hunter22").is_some());
        assert!(looks_secret("X", "ghp_abcdefghijklmnop").is_some());
        assert!(looks_secret("SIG", "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdo").is_some());
        assert!(looks_secret("NODE_ENV", "production").is_none());
        assert!(looks_secret("TOKEN_URL_PATH", "").is_none());
        assert!(looks_secret("API_URL", "https://example.com/api/v1").is_none());
    }
}
