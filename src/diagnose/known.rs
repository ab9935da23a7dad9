//! Known failures, in plain words: one table, used by `up`/`down` for AWS call errors and by
//! `logs`/`run` for pipeline failures (reference §3).

use crate::aws::error::is_iam_propagation;
use std::path::Path;

use crate::aws::{AwsError, ErrorKind, LOCALSTACK_ENDPOINT};

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

/// An explanation for a message, if it is a known one.
#[must_use]
pub fn message(text: &str) -> Option<Explanation> {
    let (summary, fix) = if is_iam_propagation(text) {
        IAM_PROPAGATION
    } else {
        KNOWN
            .iter()
            .find(|(needle, _, _)| text.contains(needle))
            .map(|(_, summary, fix)| (*summary, *fix))?
    };
    Some(Explanation {
        summary: summary.to_owned(),
        fix: fix.to_owned(),
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
        ErrorKind::Unreachable => Some((format!("cannot reach {endpoint}"), unreachable(endpoint))),
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
            format!(
                "use the bundled emulator ({}) or real AWS",
                emulator_start(LOCALSTACK_ENDPOINT)
            ),
        )),
        _ => None,
    };
    by_kind
        .map(|(summary, fix)| Explanation { summary, fix })
        .or_else(|| message(&err.message))
}

/// What to do when nothing answers at `endpoint`: start the emulator when it is a local one
/// (the usual cause), else check the address and the network.
fn unreachable(endpoint: &str) -> String {
    let local = ["://localhost", "://127.", "://[::1]"]
        .iter()
        .any(|host| endpoint.contains(host));
    if local {
        format!(
            "nothing listens there: start the emulator ({}) or LocalStack (`localstack start`), \
             or point --endpoint-url / AWS_ENDPOINT_URL at the one you run",
            emulator_start(endpoint)
        )
    } else {
        "check the endpoint (--endpoint-url, AWS_ENDPOINT_URL) and the network".to_owned()
    }
}

/// The command that starts the bundled emulator on `endpoint`'s port, runnable from any
/// folder: the script's absolute path when this binary was built from a clone that still has
/// it, else where to find it.
#[must_use]
pub fn emulator_start(endpoint: &str) -> String {
    let port = endpoint
        .rsplit_once(':')
        .and_then(|(_, rest)| rest.trim_end_matches('/').parse::<u16>().ok())
        .filter(|port| *port != 4566)
        .map(|port| format!(" --port {port}"))
        .unwrap_or_default();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("localstack/emulator");
    if script.is_file() {
        format!("`{} start{port}`", script.display())
    } else {
        format!("`localstack/emulator start{port}` in a clone of pipewright")
    }
}
