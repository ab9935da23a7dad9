//! Known failures, in plain words: one table, used by `up`/`down` for AWS call errors and by
//! `logs`/`run` for pipeline failures (reference §3).

use crate::aws::error::is_iam_propagation;
use crate::aws::{AwsError, ErrorKind};
use crate::model::snippet_for;

/// What went wrong and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Explanation {
    pub summary: String,
    pub fix: String,
}

/// AWS's wordings for a new role not visible yet are `aws::error::is_iam_propagation`'s; this is
/// what they mean to the user.
const IAM_PROPAGATION: (&str, &str) = (
    "a new IAM role was not visible to the service yet",
    "pipewright retries this for about a minute; if it persists, check the role's trust policy",
);

/// Messages AWS (or a build) prints, and what they mean. Matched as substrings, after the
/// IAM-propagation wordings.
const KNOWN: &[(&str, &str, &str)] = &[
    (
        "YAML_FILE_ERROR",
        "the buildspec is missing from the source or is not valid YAML (tabs are not allowed)",
        "run `pipewright render` and commit buildspec.yml, or use `buildspec: generated`",
    ),
    (
        "no matching artifact paths found",
        "the build produced no file matching `build.artifacts`",
        "check `artifacts.base_directory` and `artifacts.files` against what the build writes",
    ),
    (
        "not authorized to perform: ssm:GetParameters",
        "the build role cannot read a parameter named in `build.secrets`",
        "check the parameter name in the spec; pipewright grants access to exactly the names listed",
    ),
    (
        "secretsmanager:GetSecretValue",
        "the build role cannot read a secret named in `build.secrets`",
        "check the secret id in the spec; pipewright grants access to exactly the ids listed",
    ),
    (
        "S3 access denied",
        "the pipeline role cannot use the artifact bucket",
        "run `pipewright up` to restore the role's policy",
    ),
    (
        "did not find an AppSpec file",
        "appspec.yml is not at the root of the build artifact",
        "keep `buildspec: generated` (it places appspec.yml), or copy appspec.yml to the artifact root",
    ),
    (
        "no AppSpec file was found",
        "appspec.yml is not at the root of the build artifact",
        "keep `buildspec: generated` (it places appspec.yml), or copy appspec.yml to the artifact root",
    ),
    (
        "Script does not exist at specified location",
        "a hook script named in the appspec is not in the bundle",
        "check `deploy.codedeploy.hooks` paths against the repository",
    ),
    (
        "file already exists at this location",
        "a file the deployment installs already exists on the instance",
        "set `file_exists_behavior: OVERWRITE` under `deploy.codedeploy`",
    ),
    (
        "CreateRepository request is not allowed",
        "CodeCommit is closed to new customers in this account",
        "use a GitHub source (`source: github:` with a CodeStar connection) instead",
    ),
    // Generic: last, so that the specific entries above win.
    (
        "COMMAND_EXECUTION_ERROR",
        "a build command exited with a non-zero status",
        "the log lines above are that command's output; run the command locally to reproduce it",
    ),
];

/// An explanation for a message, if it is a known one: the specific entries of [`KNOWN`], then
/// an access denial, then the generic last entry.
#[must_use]
pub fn message(text: &str) -> Option<Explanation> {
    let explain = |(summary, fix): (&str, &str)| Explanation {
        summary: summary.to_owned(),
        fix: fix.to_owned(),
    };
    if is_iam_propagation(text) {
        return Some(explain(IAM_PROPAGATION));
    }
    let (generic, specific) = KNOWN.split_last()?;
    specific
        .iter()
        .find(|(needle, _, _)| text.contains(needle))
        .map(|(_, summary, fix)| explain((summary, fix)))
        .or_else(|| access_denied(text))
        .or_else(|| {
            text.contains(generic.0)
                .then(|| explain((generic.1, generic.2)))
        })
}

/// AWS's "User: arn:aws:sts::…:assumed-role/ROLE/SESSION is not authorized to perform: ACTION on
/// resource: RESOURCE": which permission is missing, and for the build role (whose extra
/// permissions the spec grants) the `build.permissions` lines that grant it.
#[must_use]
pub fn access_denied(text: &str) -> Option<Explanation> {
    let (_, rest) = text.split_once("is not authorized to perform: ")?;
    let (action, rest) = rest.split_once(" on resource: ")?;
    let resource = rest.split_whitespace().next()?;
    let role = text
        .split_once(":assumed-role/")
        .and_then(|(_, r)| r.split('/').next())
        .unwrap_or("a service");
    if role.ends_with("-codebuild-role") {
        return Some(Explanation {
            summary: format!(
                "a build command called {action} on {resource}, which the build role ({role}) \
                 is not allowed to do"
            ),
            fix: format!(
                "grant it in pipewright.yml, then run `pipewright up`:\n{}",
                snippet_for(action, resource)
                    .lines()
                    .map(|line| format!("    {line}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        });
    }
    Some(Explanation {
        summary: format!("the role {role} is not allowed {action} on {resource}"),
        fix: "pipewright grants its roles what their steps need: run `pipewright up` to restore \
              the role's policy (`pipewright plan` shows what differs)"
            .to_owned(),
    })
}

/// A failed deployment whose lifecycle events were all Skipped: nothing ran on the instances.
#[must_use]
pub fn agent_not_running() -> Explanation {
    Explanation {
        summary: "no lifecycle event ran on the instances: the CodeDeploy agent is not installed \
                  or not running, or the instances have no instance profile"
            .to_owned(),
        fix: "install and start the CodeDeploy agent (sudo service codedeploy-agent status) and \
              attach an instance profile that can read the artifact bucket"
            .to_owned(),
    }
}

/// An explanation for a failed AWS call: by kind first, then by known message.
#[must_use]
pub fn aws(err: &AwsError, endpoint: &str) -> Option<Explanation> {
    let by_kind = match err.kind {
        ErrorKind::Unreachable => Some((
            format!("cannot reach {endpoint}"),
            "check the endpoint (--endpoint-url, AWS_ENDPOINT_URL) or start the emulator: \
             localstack/emulator start"
                .to_owned(),
        )),
        ErrorKind::Credentials => Some((
            "no valid AWS credentials".to_owned(),
            "set AWS_PROFILE (run `aws sso login` for SSO profiles), or export \
             AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                .to_owned(),
        )),
        ErrorKind::AccessDenied => Some((
            format!("the credentials may not call {}", err.operation),
            "use a profile allowed to manage IAM, S3, CodeCommit, CodeBuild, CodeDeploy, \
             CodePipeline, EventBridge and CloudWatch Logs"
                .to_owned(),
        )),
        ErrorKind::NameTakenElsewhere => Some((
            format!(
                "{} is taken by another AWS account (bucket names are global)",
                err.subject
            ),
            "choose another bucket name in the spec".to_owned(),
        )),
        ErrorKind::Quota => Some((
            "an AWS service quota is reached".to_owned(),
            "delete unused resources of this kind or ask AWS for a higher quota".to_owned(),
        )),
        ErrorKind::NotImplemented => Some((
            format!("{} does not implement {}", endpoint, err.operation),
            "use the bundled emulator (localstack/emulator start) or real AWS".to_owned(),
        )),
        _ => None,
    };
    by_kind
        .map(|(summary, fix)| Explanation { summary, fix })
        .or_else(|| message(&err.message))
}

#[cfg(test)]
mod tests {
    use super::{access_denied, message};

    const DENIED: &str = "User: arn:aws:sts::123456789012:assumed-role/web-codepipeline-role/1712 \
        is not authorized to perform: codebuild:StartBuild on resource: \
        arn:aws:codebuild:us-east-1:123456789012:project/web-build because no identity-based \
        policy allows the codebuild:StartBuild action";

    #[test]
    fn a_service_role_denial_names_the_role_and_says_up_restores_it() {
        let explained = access_denied(DENIED).expect("explained");
        assert_eq!(
            explained.summary,
            "the role web-codepipeline-role is not allowed codebuild:StartBuild on \
             arn:aws:codebuild:us-east-1:123456789012:project/web-build"
        );
        assert!(explained.fix.contains("pipewright up"), "{explained:?}");
    }

    #[test]
    fn secret_denials_keep_their_own_explanation() {
        let text = DENIED.replace("codebuild:StartBuild on", "ssm:GetParameters on");
        let explained = message(&format!(
            "not authorized to perform: ssm:GetParameters {text}"
        ));
        assert!(
            explained.is_some_and(|e| e.summary.contains("build.secrets")),
            "the build.secrets entry wins"
        );
    }
}
