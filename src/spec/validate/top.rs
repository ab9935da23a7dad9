//! Top-level settings: the pipeline name's own shape, the Region, tags, the templates folder.

use super::Rules;
use crate::spec::names::rules as aws_names;
use crate::spec::path::Path;

/// AWS allows 50 tags per resource; pipewright adds its ownership tag to each.
const MAX_USER_TAGS: usize = 49;

pub(super) fn check(r: &mut Rules<'_>) {
    name(r);
    region(r);
    tags(r);
    templates(r);
    kms_key(r);
}

/// A key ARN (`arn:aws:kms:<region>:<account>:key/<id>`): IAM policies and the artifact store
/// name keys by ARN, and an alias cannot be granted. It must live in the pipeline's Region.
fn kms_key(r: &mut Rules<'_>) {
    let Some(key) = &r.spec.kms_key else {
        return;
    };
    let path = Path::root().key("kms_key");
    let parts: Vec<&str> = key.splitn(6, ':').collect();
    let well_formed = matches!(parts.as_slice(), ["arn", partition, "kms", region, account, resource]
        if partition.starts_with("aws")
            && !region.is_empty()
            && account.len() == 12
            && account.chars().all(|c| c.is_ascii_digit())
            && resource.strip_prefix("key/").is_some_and(|id| !id.is_empty() && !id.contains('*')));
    if !well_formed {
        r.error(
            &path,
            format!("`{key}` is not a KMS key ARN"),
            "copy the key's ARN: `arn:aws:kms:<region>:<account>:key/<key id>` (not an alias)",
        );
        return;
    }
    if let Some(region) = &r.spec.region
        && parts[3] != region
    {
        r.error(
            &path,
            format!("the key is in {}, the pipeline in {region}", parts[3]),
            "use a key of the pipeline's Region: S3 and CodePipeline encrypt with a key of their own Region",
        );
    }
}

/// The name's own shape; the lengths it allows are judged through the names it produces.
fn name(r: &mut Rules<'_>) {
    let name = r.spec.name.as_str();
    let path = Path::root().key("name");
    if let Some(problem) = name_shape(name) {
        let suggestion = suggest_name(name);
        let hint = if suggestion.is_empty() {
            "it prefixes every resource name: use something like `hello-web`".to_owned()
        } else {
            format!("it prefixes every resource name (S3 buckets allow little): try `{suggestion}`")
        };
        r.error(&path, problem, hint);
    }
}

/// What is wrong with the pipeline name's own shape, if anything.
pub(super) fn name_shape(name: &str) -> Option<String> {
    let starts_with_letter = name.starts_with(|c: char| c.is_ascii_lowercase());
    let bad = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'));
    if name.is_empty() {
        Some("the pipeline name is empty".to_owned())
    } else if let Some(bad) = bad {
        Some(format!(
            "the pipeline name may contain only lowercase letters, digits and `-`; found `{}`",
            bad.escape_default()
        ))
    } else if !starts_with_letter {
        Some("the pipeline name must start with a lowercase letter".to_owned())
    } else if name.ends_with('-') || name.contains("--") {
        Some("the pipeline name may not end with `-` or contain `--`".to_owned())
    } else {
        None
    }
}

/// A valid name close to what was written (`My_App` → `my-app`).
fn suggest_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-');
    out.trim_end_matches('-').to_owned()
}

fn region(r: &mut Rules<'_>) {
    let spec = r.spec;
    if let Some(region) = &spec.region
        && let Err(problem) = aws_names::region(region)
    {
        r.error(
            &Path::root().key("region"),
            format!("`{region}` is not an AWS Region: {problem}"),
            "remove `region` to use the profile's or AWS_REGION's Region",
        );
    }
}

fn tags(r: &mut Rules<'_>) {
    let base = Path::root().key("tags");
    let tags = &r.spec.tags;
    if tags.len() > MAX_USER_TAGS {
        r.error_at_key(
            &base,
            format!(
                "{} tags; AWS allows 50 per resource and pipewright adds its ownership tag",
                tags.len()
            ),
            format!("keep at most {MAX_USER_TAGS} tags"),
        );
    }
    for (key, value) in tags {
        let path = base.key(key);
        let lower = key.to_ascii_lowercase();
        let problem = if key.is_empty() || key.chars().count() > 128 {
            Some("a tag key has 1 to 128 characters".to_owned())
        } else if lower.starts_with("aws:") {
            Some("tag keys starting with `aws:` are reserved by AWS".to_owned())
        } else if lower.starts_with("pipewright:") {
            Some("tag keys starting with `pipewright:` are reserved by pipewright".to_owned())
        } else {
            bad_tag_char(key).map(|c| format!("a tag key may not contain `{}`", c.escape_default()))
        };
        if let Some(problem) = problem {
            r.error_at_key(&path, problem, "rename the tag");
        }
        let problem = if value.chars().count() > 256 {
            Some("a tag value has at most 256 characters".to_owned())
        } else {
            bad_tag_char(value)
                .map(|c| format!("a tag value may not contain `{}`", c.escape_default()))
        };
        if let Some(problem) = problem {
            r.error(
                &path,
                problem,
                "tags allow letters, digits, spaces and `_.:/=+-@`",
            );
        }
    }
}

fn bad_tag_char(text: &str) -> Option<char> {
    text.chars()
        .find(|c| !(c.is_alphanumeric() || *c == ' ' || "_.:/=+-@".contains(*c)))
}

fn templates(r: &mut Rules<'_>) {
    let spec = r.spec;
    if let Some(folder) = &spec.templates
        && let Err(problem) = aws_names::relative_path(folder)
    {
        r.error(
            &Path::root().key("templates"),
            format!("`templates`: {problem}"),
            "name a folder next to pipewright.yml, like `templates`",
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggests_a_valid_name() {
        assert_eq!(super::suggest_name("My_App"), "my-app");
        assert_eq!(super::suggest_name("1st--site-"), "st-site");
        assert_eq!(super::suggest_name("___"), "");
    }
}
