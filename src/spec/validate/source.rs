//! The source: repository and branch names, the GitHub connection, the S3 source object.

use super::Rules;
use crate::spec::model::Source;
use crate::spec::names::rules as aws_names;
use crate::spec::path::Path;

pub(super) fn check(r: &mut Rules<'_>) {
    let base = Path::root().key("source");
    let spec = r.spec;
    match &spec.source {
        Source::Codecommit(cc) => {
            let path = base.key("codecommit");
            if let Err(problem) = aws_names::codecommit_repository(&cc.repository) {
                r.error(
                    &path.key("repository"),
                    format!(
                        "`{}` is not a valid repository name: {problem}",
                        cc.repository
                    ),
                    "CodeCommit repository names look like `hello-web`",
                );
            }
            branch(r, &cc.branch, &path.key("branch"));
        }
        Source::Github(gh) => {
            let path = base.key("github");
            if let Err(problem) = github_repository(&gh.repository) {
                r.error(
                    &path.key("repository"),
                    problem,
                    "write the repository as `owner/repo`, as in its GitHub URL",
                );
            }
            branch(r, &gh.branch, &path.key("branch"));
            if let Err(problem) = connection_arn(&gh.connection) {
                r.error(
                    &path.key("connection"),
                    problem,
                    "copy the ARN from Developer Tools → Settings → Connections (status Available)",
                );
            }
        }
        Source::S3(s3) => {
            let path = base.key("s3");
            if let Err(problem) = aws_names::s3_bucket(&s3.bucket) {
                r.error(
                    &path.key("bucket"),
                    format!("`{}` is not a valid bucket name: {problem}", s3.bucket),
                    "name the existing, versioned bucket that receives the source zip",
                );
            }
            let key = s3.key.as_str();
            let problem = if key.is_empty() {
                Some("the object key is empty")
            } else if key.len() > 1024 {
                Some("an S3 object key has at most 1024 bytes")
            } else if key.starts_with('/') {
                Some("an S3 object key does not start with `/`")
            } else {
                None
            };
            if let Some(problem) = problem {
                r.error(
                    &path.key("key"),
                    problem,
                    "write the key like `source/app.zip`",
                );
            }
            let site_buckets: Vec<&str> = spec.site_buckets().collect();
            if site_buckets.contains(&s3.bucket.as_str()) {
                r.error(
                    &path.key("bucket"),
                    "the source bucket is also a deploy bucket: every deploy would overwrite the source",
                    "deploy to another bucket",
                );
            }
        }
    }
}

fn branch(r: &mut Rules<'_>, branch: &str, path: &Path) {
    if let Err(problem) = aws_names::git_branch(branch) {
        r.error(
            path,
            format!("`{branch}` is not a valid branch name: {problem}"),
            "name the branch whose pushes start the pipeline, like `main`",
        );
    }
}

/// `owner/repo`: GitHub's rules for user/organisation and repository names.
fn github_repository(text: &str) -> Result<(), String> {
    let Some((owner, repo)) = text.split_once('/') else {
        return Err(format!("`{text}` is not `owner/repo`"));
    };
    let owner_ok = (1..=39).contains(&owner.len())
        && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !owner.starts_with('-')
        && !owner.ends_with('-');
    let repo_ok = (1..=100).contains(&repo.len())
        && repo
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        && repo != "."
        && repo != "..";
    if !owner_ok {
        Err(format!(
            "`{owner}` is not a GitHub user or organisation name"
        ))
    } else if !repo_ok {
        Err(format!("`{repo}` is not a GitHub repository name"))
    } else {
        Ok(())
    }
}

/// `arn:aws:codestar-connections:<region>:<account>:connection/<id>` (or `codeconnections`).
fn connection_arn(text: &str) -> Result<(), String> {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let ok = match parts.as_slice() {
        ["arn", partition, service, region, account, resource] => {
            partition.starts_with("aws")
                && matches!(*service, "codestar-connections" | "codeconnections")
                && aws_names::region(region).is_ok()
                && account.len() == 12
                && account.chars().all(|c| c.is_ascii_digit())
                && resource
                    .strip_prefix("connection/")
                    .is_some_and(|id| !id.is_empty() && !id.contains('/'))
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{text}` is not a connection ARN: expected `arn:aws:codeconnections:<region>:<account>:connection/<id>`"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_repositories() {
        assert!(github_repository("octo-org/hello.web").is_ok());
        assert!(github_repository("hello").is_err());
        assert!(github_repository("-x/y").is_err());
        assert!(github_repository("a/b/c").is_err());
    }

    #[test]
    fn connection_arns() {
        assert!(
            connection_arn(
                "arn:aws:codestar-connections:eu-west-1:123456789012:connection/0a1b2c3d-aaaa"
            )
            .is_ok()
        );
        assert!(
            connection_arn("arn:aws:codeconnections:us-east-1:123456789012:connection/x").is_ok()
        );
        assert!(connection_arn("arn:aws:s3:::bucket").is_err());
        assert!(connection_arn("arn:aws:codeconnections:us-east-1:1234:connection/x").is_err());
    }
}
