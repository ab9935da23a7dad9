//! AWS's naming rules, one function per kind of name, each saying what is wrong in words.
//!
//! These run before any AWS call so a spec that validates does not fail halfway through `up`
//! on a name AWS refuses. Each rule is the documented constraint of the service's API
//! (`CreateBucket`, `CreateRole`, `CreateProject`, …); no regex engine is needed for them. The
//! rules for names pipewright derives are also values ([`NameRule`]) carrying their longest
//! length, so validation can say how short `name` must be without repeating any number.

/// Why a name is refused.
pub type Verdict = Result<(), String>;

/// The rule a derived name follows: the whole check, and the longest name it allows.
#[derive(Debug, Clone, Copy)]
pub struct NameRule {
    pub max: usize,
    check: fn(&str) -> Verdict,
}

impl NameRule {
    pub fn check(self, name: &str) -> Verdict {
        (self.check)(name)
    }
}

pub const S3_BUCKET: NameRule = NameRule {
    max: 63,
    check: s3_bucket,
};
pub const IAM_ROLE: NameRule = NameRule {
    max: 64,
    check: iam_role,
};
pub const CODEBUILD_PROJECT: NameRule = NameRule {
    max: 255,
    check: codebuild_project,
};
pub const CODEBUILD_REPORT_GROUP: NameRule = NameRule {
    max: 128,
    check: codebuild_report_group,
};
pub const PIPELINE: NameRule = NameRule {
    max: CODEPIPELINE_MAX,
    check: |name| codepipeline_name(name, "a pipeline name"),
};
pub const EVENTBRIDGE_RULE: NameRule = NameRule {
    max: 64,
    check: eventbridge_rule,
};
pub const LOG_GROUP: NameRule = NameRule {
    max: 512,
    check: log_group,
};
pub const CODEDEPLOY_APPLICATION: NameRule = NameRule {
    max: CODEDEPLOY_MAX,
    check: |name| codedeploy_name(name, "a CodeDeploy application name"),
};
pub const DEPLOYMENT_GROUP: NameRule = NameRule {
    max: CODEDEPLOY_MAX,
    check: |name| codedeploy_name(name, "a deployment group name"),
};
pub const DEPLOYMENT_CONFIG: NameRule = NameRule {
    max: CODEDEPLOY_MAX,
    check: |name| codedeploy_name(name, "a deployment config name"),
};

/// CodePipeline's pipeline, stage and action names.
const CODEPIPELINE_MAX: usize = 100;
/// CodeDeploy's application, deployment group and deployment config names.
const CODEDEPLOY_MAX: usize = 100;

fn length(name: &str, min: usize, max: usize, what: &str) -> Verdict {
    let len = name.chars().count();
    if len < min {
        Err(format!(
            "{what} must have at least {min} characters, found {len}"
        ))
    } else if len > max {
        Err(format!(
            "{what} may have at most {max} characters, found {len}"
        ))
    } else {
        Ok(())
    }
}

fn only(name: &str, allowed: impl Fn(char) -> bool, what: &str, allowed_words: &str) -> Verdict {
    match name.chars().find(|&c| !allowed(c)) {
        Some(bad) => Err(format!(
            "{what} may contain only {allowed_words}; found `{}`",
            bad.escape_default()
        )),
        None => Ok(()),
    }
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// S3 general purpose bucket names.
pub fn s3_bucket(name: &str) -> Verdict {
    const WHAT: &str = "an S3 bucket name";
    length(name, 3, S3_BUCKET.max, WHAT)?;
    only(
        name,
        |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.',
        WHAT,
        "lowercase letters, digits, `-` and `.`",
    )?;
    let first_last_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !first_last_ok(name.chars().next()) || !first_last_ok(name.chars().last()) {
        return Err(format!("{WHAT} must start and end with a letter or digit"));
    }
    if name.contains("..") {
        return Err(format!("{WHAT} may not contain `..`"));
    }
    if name.contains(".-") || name.contains("-.") {
        return Err(format!("{WHAT} may not have `.` next to `-`"));
    }
    if looks_like_ipv4(name) {
        return Err(format!("{WHAT} may not look like an IP address"));
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if name.starts_with(prefix) {
            return Err(format!("{WHAT} may not start with `{prefix}`"));
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if name.ends_with(suffix) {
            return Err(format!("{WHAT} may not end with `{suffix}`"));
        }
    }
    Ok(())
}

fn looks_like_ipv4(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.chars().all(|c| c.is_ascii_digit()))
}

/// IAM role names.
pub fn iam_role(name: &str) -> Verdict {
    const WHAT: &str = "an IAM role name";
    length(name, 1, IAM_ROLE.max, WHAT)?;
    only(
        name,
        |c| is_word(c) || "+=,.@-".contains(c),
        WHAT,
        "letters, digits and `_+=,.@-`",
    )
}

/// CodeBuild project names.
pub fn codebuild_project(name: &str) -> Verdict {
    const WHAT: &str = "a CodeBuild project name";
    length(name, 2, CODEBUILD_PROJECT.max, WHAT)?;
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(format!("{WHAT} must start with a letter or digit"));
    }
    only(
        name,
        |c| is_word(c) || c == '-',
        WHAT,
        "letters, digits, `-` and `_`",
    )
}

/// CodeBuild report group names (`<project>-<report>` once CodeBuild creates it).
pub fn codebuild_report_group(name: &str) -> Verdict {
    const WHAT: &str = "a CodeBuild report group name";
    length(name, 2, CODEBUILD_REPORT_GROUP.max, WHAT)?;
    only(
        name,
        |c| is_word(c) || c == '-',
        WHAT,
        "letters, digits, `-` and `_`",
    )
}

/// CodePipeline pipeline names (also stage and action names, which share the rule).
pub fn codepipeline_name(name: &str, what: &str) -> Verdict {
    length(name, 1, CODEPIPELINE_MAX, what)?;
    only(
        name,
        |c| is_word(c) || ".@-".contains(c),
        what,
        "letters, digits and `.@-_`",
    )
}

/// CodeCommit repository names.
pub fn codecommit_repository(name: &str) -> Verdict {
    const WHAT: &str = "a CodeCommit repository name";
    length(name, 1, 100, WHAT)?;
    only(
        name,
        |c| is_word(c) || c == '.' || c == '-',
        WHAT,
        "letters, digits, `.`, `-` and `_`",
    )?;
    if name.to_ascii_lowercase().ends_with(".git") {
        return Err(format!("{WHAT} may not end with `.git`"));
    }
    if name == "." || name == ".." {
        return Err(format!("{WHAT} may not be `.` or `..`"));
    }
    Ok(())
}

/// CodeDeploy application, deployment group and deployment config names.
pub fn codedeploy_name(name: &str, what: &str) -> Verdict {
    length(name, 1, CODEDEPLOY_MAX, what)?;
    only(name, |c| !c.is_control(), what, "printable characters")
}

/// EventBridge rule names.
pub fn eventbridge_rule(name: &str) -> Verdict {
    const WHAT: &str = "an EventBridge rule name";
    length(name, 1, EVENTBRIDGE_RULE.max, WHAT)?;
    only(
        name,
        |c| is_word(c) || c == '.' || c == '-',
        WHAT,
        "letters, digits, `.`, `-` and `_`",
    )
}

/// CloudWatch Logs log group names.
pub fn log_group(name: &str) -> Verdict {
    const WHAT: &str = "a CloudWatch log group name";
    length(name, 1, LOG_GROUP.max, WHAT)?;
    only(
        name,
        |c| is_word(c) || "./#-".contains(c),
        WHAT,
        "letters, digits and `._/#-`",
    )
}

/// AWS Region names (`eu-west-1`, `us-gov-west-1`, `cn-north-1`).
pub fn region(name: &str) -> Verdict {
    let parts: Vec<&str> = name.split('-').collect();
    let ok = parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts.last().is_some_and(|p| {
            !p.is_empty() && p.len() <= 2 && p.chars().all(|c| c.is_ascii_digit())
        });
    if ok {
        Ok(())
    } else {
        Err("an AWS Region looks like `eu-west-1` or `us-east-2`".to_owned())
    }
}

/// Git branch names, as `git check-ref-format --branch` accepts them.
pub fn git_branch(name: &str) -> Verdict {
    const WHAT: &str = "a branch name";
    if name.is_empty() {
        return Err(format!("{WHAT} may not be empty"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| c.is_control() || c.is_whitespace() || "~^:?*[\\".contains(*c))
    {
        return Err(format!("{WHAT} may not contain `{}`", bad.escape_default()));
    }
    if name.starts_with('-') || name.starts_with('/') || name.ends_with('/') {
        return Err(format!(
            "{WHAT} may not start with `-` or `/`, nor end with `/`"
        ));
    }
    if name.contains("..") || name.contains("@{") || name.contains("//") {
        return Err(format!("{WHAT} may not contain `..`, `//` or `@{{`"));
    }
    if name.ends_with('.')
        || std::path::Path::new(name)
            .extension()
            .is_some_and(|e| e == "lock")
        || name == "@"
    {
        return Err(format!(
            "{WHAT} may not end with `.` or `.lock`, nor be `@`"
        ));
    }
    if name.split('/').any(|part| part.starts_with('.')) {
        return Err(format!("{WHAT} may not have a part starting with `.`"));
    }
    Ok(())
}

/// Environment variable names a build can set.
pub fn env_var(name: &str) -> Verdict {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok || !chars.all(is_word) {
        return Err(
            "an environment variable name has letters, digits and `_` and does not start with a digit"
                .to_owned(),
        );
    }
    if name.to_ascii_uppercase().starts_with("CODEBUILD_") {
        return Err("names starting with `CODEBUILD_` are reserved by CodeBuild".to_owned());
    }
    Ok(())
}

/// A path inside the repository or the spec's folder: relative and staying inside.
pub fn relative_path(path: &str) -> Verdict {
    if path.trim().is_empty() {
        return Err("the path is empty".to_owned());
    }
    if path.starts_with('/') || path.starts_with('\\') || path.get(1..3) == Some(":\\") {
        return Err("the path must be relative, not absolute".to_owned());
    }
    if path.split(['/', '\\']).any(|part| part == "..") {
        return Err("the path may not leave its folder with `..`".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_bucket_rules() {
        assert!(s3_bucket("my-site.example").is_ok());
        for bad in [
            "ab",
            "My-Bucket",
            "-lead",
            "trail-",
            "a..b",
            "192.168.1.1",
            "xn--abc",
            "site-s3alias",
            "a_b",
            &"a".repeat(64),
        ] {
            assert!(s3_bucket(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn iam_and_codebuild_rules() {
        assert!(iam_role("hello-codebuild-role").is_ok());
        assert!(iam_role(&"r".repeat(65)).is_err());
        assert!(iam_role("has space").is_err());
        assert!(codebuild_project("hello-build").is_ok());
        assert!(codebuild_project("-x").is_err());
        assert!(codebuild_project("a").is_err());
        assert!(codebuild_project("a.b").is_err());
    }

    #[test]
    fn pipeline_repository_and_rule_names() {
        assert!(codepipeline_name("hello.pipe@1_x-y", "a pipeline name").is_ok());
        assert!(codepipeline_name("a b", "a pipeline name").is_err());
        assert!(codecommit_repository("web.app_1-x").is_ok());
        assert!(codecommit_repository("web.git").is_err());
        assert!(codecommit_repository("a/b").is_err());
        assert!(eventbridge_rule(&"e".repeat(65)).is_err());
        assert!(codedeploy_name(&"d".repeat(101), "a CodeDeploy application name").is_err());
    }

    #[test]
    fn regions_branches_and_env_vars() {
        for good in ["eu-west-1", "us-gov-west-1", "ap-southeast-3", "cn-north-1"] {
            assert!(region(good).is_ok(), "{good}");
        }
        for bad in ["eu-west", "EU-WEST-1", "euwest1", "eu--1", "e-west-1"] {
            assert!(region(bad).is_err(), "{bad}");
        }
        assert!(git_branch("feature/x-1").is_ok());
        for bad in ["a b", "a..b", "-x", "x.lock", "x/", "a:b", ".hidden"] {
            assert!(git_branch(bad).is_err(), "{bad}");
        }
        assert!(env_var("NODE_ENV").is_ok());
        assert!(env_var("1X").is_err());
        assert!(env_var("A-B").is_err());
        assert!(env_var("CODEBUILD_X").is_err());
    }

    #[test]
    fn relative_paths() {
        assert!(relative_path("scripts/start.sh").is_ok());
        assert!(relative_path("/etc/passwd").is_err());
        assert!(relative_path("../x").is_err());
        assert!(relative_path("C:\\x").is_err());
        assert!(relative_path(" ").is_err());
    }
}
