//! Known failures, in plain words: one table, used by `up`/`down` for AWS call errors and by
//! `logs`/`run`/`status` for pipeline failures (reference §3). Every explanation ends with the
//! AWS documentation page that explains it, because people fix pipelines from the log and
//! AWS's documentation side by side.

use std::path::Path;

use crate::aws::error::is_iam_propagation;
use crate::aws::{AwsError, ErrorKind, LOCALSTACK_ENDPOINT};
use crate::model::snippet_for;

/// What went wrong, what to do about it, and where AWS explains it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Explanation {
    pub summary: String,
    pub fix: String,
    /// The page on docs.aws.amazon.com that explains this failure.
    pub docs: String,
}

impl Explanation {
    fn new(summary: impl Into<String>, fix: impl Into<String>, docs: &str) -> Self {
        Self {
            summary: summary.into(),
            fix: fix.into(),
            docs: docs.to_owned(),
        }
    }

    /// The fix and the page, as one hint (for an error's `help:`).
    #[must_use]
    pub fn hint(&self) -> String {
        format!("{}\ndocs: {}", self.fix, self.docs)
    }
}

/// One known message: the text that identifies it, and its explanation.
struct Known {
    needle: &'static str,
    summary: &'static str,
    fix: &'static str,
    docs: &'static str,
}

/// The pages the table cites (each checked against AWS's documentation).
mod docs {
    pub(super) const IAM_EVENTUAL_CONSISTENCY: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency";
    pub(super) const BUILDSPEC_LOCATION: &str = "https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html#build-spec-ref-name-storage";
    pub(super) const BUILDSPEC_SYNTAX: &str = "https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html#build-spec-ref-syntax";
    pub(super) const BUILD_PHASES: &str = "https://docs.aws.amazon.com/codebuild/latest/userguide/view-build-details.html#view-build-details-phases";
    pub(super) const CODEBUILD_SERVICE_ROLE: &str =
        "https://docs.aws.amazon.com/codebuild/latest/userguide/setting-up-service-role.html";
    pub(super) const CODEPIPELINE_TROUBLESHOOTING: &str =
        "https://docs.aws.amazon.com/codepipeline/latest/userguide/troubleshooting.html";
    pub(super) const PIPELINE_STARTS: &str =
        "https://docs.aws.amazon.com/codepipeline/latest/userguide/pipelines-about-starting.html";
    pub(super) const CONNECTION_SOURCE: &str = "https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodestarConnectionSource.html";
    pub(super) const APPSPEC: &str =
        "https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file.html";
    pub(super) const APPSPEC_HOOKS: &str = "https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html";
    pub(super) const EXISTING_CONTENT: &str = "https://docs.aws.amazon.com/codedeploy/latest/userguide/deployments-rollback-and-redeploy.html#deployments-rollback-and-redeploy-content-options";
    pub(super) const CODEDEPLOY_AGENT: &str = "https://docs.aws.amazon.com/codedeploy/latest/userguide/codedeploy-agent-operations-verify.html";
    pub(super) const ENDPOINTS: &str =
        "https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html";
    pub(super) const CREDENTIALS: &str =
        "https://docs.aws.amazon.com/sdkref/latest/guide/access.html";
    pub(super) const REGION: &str =
        "https://docs.aws.amazon.com/sdkref/latest/guide/feature-region.html";
    pub(super) const ACCESS_DENIED: &str =
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html";
    pub(super) const BUCKET_NAMES: &str =
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html";
    pub(super) const WEBSITE_ACCESS: &str =
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/WebsiteAccessPermissionsReqd.html";
    pub(super) const QUOTAS: &str =
        "https://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html";
}

/// AWS's wordings for a new role not visible yet are `aws::error::is_iam_propagation`'s; this is
/// what they mean to the user.
const IAM_PROPAGATION: Known = Known {
    needle: "",
    summary: "a new IAM role was not visible to the service yet",
    fix: "pipewright retries this for about a minute; if it persists, check the role's trust policy",
    docs: docs::IAM_EVENTUAL_CONSISTENCY,
};

/// Messages AWS (or a build) prints, and what they mean. Matched as substrings, after the
/// IAM-propagation wordings.
const KNOWN: &[Known] = &[
    Known {
        needle: "YAML_FILE_ERROR",
        summary: "the buildspec is missing from the source or is not valid YAML (tabs are not allowed)",
        fix: "run `pipewright render` and commit buildspec.yml, or use `buildspec: generated`",
        docs: docs::BUILDSPEC_LOCATION,
    },
    Known {
        needle: "no matching artifact paths found",
        summary: "the build produced no file matching `build.artifacts`",
        fix: "check `artifacts.base_directory` and `artifacts.files` against what the build writes",
        docs: docs::BUILDSPEC_SYNTAX,
    },
    Known {
        needle: "not authorized to perform: ssm:GetParameters",
        summary: "the build role cannot read a parameter named in `build.secrets`",
        fix: "check the parameter name in the spec; pipewright grants access to exactly the names listed",
        docs: docs::CODEBUILD_SERVICE_ROLE,
    },
    Known {
        needle: "secretsmanager:GetSecretValue",
        summary: "the build role cannot read a secret named in `build.secrets`",
        fix: "check the secret id in the spec; pipewright grants access to exactly the ids listed",
        docs: docs::CODEBUILD_SERVICE_ROLE,
    },
    Known {
        needle: "S3 access denied",
        summary: "the pipeline role cannot use the artifact bucket",
        fix: "run `pipewright up` to restore the role's policy",
        docs: docs::CODEPIPELINE_TROUBLESHOOTING,
    },
    Known {
        needle: "did not find an AppSpec file",
        summary: "appspec.yml is not at the root of the build artifact",
        fix: "keep `buildspec: generated` (it places appspec.yml), or copy appspec.yml to the artifact root",
        docs: docs::APPSPEC,
    },
    Known {
        needle: "no AppSpec file was found",
        summary: "appspec.yml is not at the root of the build artifact",
        fix: "keep `buildspec: generated` (it places appspec.yml), or copy appspec.yml to the artifact root",
        docs: docs::APPSPEC,
    },
    Known {
        needle: "Script does not exist at specified location",
        summary: "a hook script named in the appspec is not in the bundle",
        fix: "check `deploy.codedeploy.hooks` paths against the repository",
        docs: docs::APPSPEC_HOOKS,
    },
    Known {
        needle: "file already exists at this location",
        summary: "a file the deployment installs already exists on the instance",
        fix: "set `file_exists_behavior: OVERWRITE` under `deploy.codedeploy`",
        docs: docs::EXISTING_CONTENT,
    },
    Known {
        needle: "CreateRepository request is not allowed",
        summary: "CodeCommit is closed to new customers in this account",
        fix: "use a GitHub source (`source: github:` with a CodeStar connection) instead",
        docs: docs::CONNECTION_SOURCE,
    },
    // Generic: last, so that the specific entries above win.
    Known {
        needle: "COMMAND_EXECUTION_ERROR",
        summary: "a build command exited with a non-zero status",
        fix: "the lines above are the build's commands and their output; run the failing one \
              locally to reproduce it",
        docs: docs::BUILD_PHASES,
    },
];

impl Known {
    fn explanation(&self) -> Explanation {
        Explanation::new(self.summary, self.fix, self.docs)
    }
}

/// An explanation for a message, if it is a known one: the specific entries of [`KNOWN`], then
/// an access denial, then the generic last entry.
#[must_use]
pub fn message(text: &str) -> Option<Explanation> {
    if is_iam_propagation(text) {
        return Some(IAM_PROPAGATION.explanation());
    }
    let (generic, specific) = KNOWN.split_last()?;
    specific
        .iter()
        .find(|known| text.contains(known.needle))
        .map(Known::explanation)
        .or_else(|| access_denied(text))
        .or_else(|| text.contains(generic.needle).then(|| generic.explanation()))
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
        return Some(Explanation::new(
            format!(
                "a build command called {action} on {resource}, which the build role ({role}) \
                 is not allowed to do"
            ),
            format!(
                "grant it in pipewright.yml, then run `pipewright up`:\n{}",
                snippet_for(action, resource)
                    .lines()
                    .map(|line| format!("    {line}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            docs::CODEBUILD_SERVICE_ROLE,
        ));
    }
    Some(Explanation::new(
        format!("the role {role} is not allowed {action} on {resource}"),
        "pipewright grants its roles what their steps need: run `pipewright up` to restore \
         the role's policy (`pipewright plan` shows what differs)",
        docs::ACCESS_DENIED,
    ))
}

/// A failed deployment whose lifecycle events were all Skipped: nothing ran on the instances.
#[must_use]
pub fn agent_not_running() -> Explanation {
    Explanation::new(
        "no lifecycle event ran on the instances: the CodeDeploy agent is not installed or not \
         running, or the instances have no instance profile",
        "install and start the CodeDeploy agent (sudo service codedeploy-agent status) and \
         attach an instance profile that can read the artifact bucket",
        docs::CODEDEPLOY_AGENT,
    )
}

/// No Region anywhere: the hint for the usage error.
#[must_use]
pub fn no_region() -> Explanation {
    Explanation::new(
        "no AWS Region is set",
        "set `region:` in the spec, pass --region, or export AWS_REGION (--localstack assumes \
         us-east-1)",
        docs::REGION,
    )
}

/// An explanation for a failed AWS call: by kind first, then by known message.
#[must_use]
pub fn aws(err: &AwsError, endpoint: &str) -> Option<Explanation> {
    let by_kind = match err.kind {
        ErrorKind::Unreachable => Explanation::new(
            format!("cannot reach {endpoint}"),
            unreachable(endpoint),
            docs::ENDPOINTS,
        ),
        ErrorKind::Credentials => Explanation::new(
            "no valid AWS credentials",
            "set AWS_PROFILE (run `aws sso login` for SSO profiles), or export AWS_ACCESS_KEY_ID \
             and AWS_SECRET_ACCESS_KEY",
            docs::CREDENTIALS,
        ),
        ErrorKind::AccessDenied => Explanation::new(
            format!("the credentials may not call {}", err.operation),
            "use a profile allowed to manage IAM, S3, CodeCommit, CodeBuild, CodeDeploy, \
             CodePipeline, EventBridge and CloudWatch Logs",
            docs::ACCESS_DENIED,
        ),
        ErrorKind::NameTakenElsewhere => Explanation::new(
            format!(
                "{} is taken by another AWS account (bucket names are global)",
                err.subject
            ),
            "choose another bucket name in the spec",
            docs::BUCKET_NAMES,
        ),
        ErrorKind::Quota => Explanation::new(
            "an AWS service quota is reached",
            "delete unused resources of this kind or ask AWS for a higher quota",
            docs::QUOTAS,
        ),
        ErrorKind::NotImplemented => Explanation::new(
            format!("{} does not implement {}", endpoint, err.operation),
            format!(
                "use the bundled emulator ({}) or real AWS",
                emulator_start(LOCALSTACK_ENDPOINT)
            ),
            docs::ENDPOINTS,
        ),
        ErrorKind::NoRegion => no_region(),
        _ => return message(&err.message),
    };
    Some(by_kind)
}

/// A CodeCommit source action that found no commit on its branch: the first execution, which
/// CodePipeline starts as soon as a pipeline is created, before anything was pushed. `still`:
/// the branch has no commit now either.
#[must_use]
pub fn nothing_pushed(branch: &str, still: bool) -> Explanation {
    if still {
        Explanation::new(
            format!("nothing has been pushed to {branch} yet"),
            "run `pipewright push`: it commits this folder to the branch and the pipeline starts \
             (CodePipeline ran this execution when the pipeline was created)",
            docs::PIPELINE_STARTS,
        )
    } else {
        Explanation::new(
            format!("nothing had been pushed to {branch} when this execution ran"),
            "nothing to fix: CodePipeline ran it when the pipeline was created, and a push has \
             started it again since (`pipewright status` shows the latest execution)",
            docs::PIPELINE_STARTS,
        )
    }
}

/// A website bucket that is not public: its website endpoint answers every request with 403.
#[must_use]
pub fn private_website(bucket: &str) -> Explanation {
    Explanation::new(
        format!("bucket {bucket} allows no anonymous reads, so its website answers 403"),
        "set `public: true` under `deploy.s3` to serve it to everyone",
        docs::WEBSITE_ACCESS,
    )
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

#[cfg(test)]
mod tests {
    use super::{ErrorKind, IAM_PROPAGATION, KNOWN};
    use crate::aws::AwsError;

    fn is_aws_page(url: &str) -> bool {
        url.starts_with("https://docs.aws.amazon.com/") && !url.contains(' ')
    }

    #[test]
    fn every_known_failure_ends_with_an_aws_documentation_page() {
        for known in KNOWN.iter().chain([&IAM_PROPAGATION]) {
            assert!(
                is_aws_page(known.docs),
                "{}: {:?}",
                known.summary,
                known.docs
            );
        }
        let kinds = [
            ErrorKind::Unreachable,
            ErrorKind::Credentials,
            ErrorKind::AccessDenied,
            ErrorKind::NameTakenElsewhere,
            ErrorKind::Quota,
            ErrorKind::NotImplemented,
            ErrorKind::NoRegion,
        ];
        for kind in kinds {
            let err = AwsError {
                operation: "CreateBucket",
                subject: "S3 bucket b".to_owned(),
                code: None,
                message: String::new(),
                kind,
            };
            let explained = super::aws(&err, "http://localhost:4566").expect("explained");
            assert!(is_aws_page(&explained.docs), "{kind:?}: {explained:?}");
            assert!(explained.hint().ends_with(&explained.docs));
        }
        for explained in [
            super::agent_not_running(),
            super::no_region(),
            super::nothing_pushed("main", true),
            super::nothing_pushed("main", false),
            super::private_website("site"),
        ] {
            assert!(is_aws_page(&explained.docs), "{explained:?}");
        }
    }

    #[test]
    fn a_message_is_explained_by_its_most_specific_entry() {
        let yaml = super::message("YAML_FILE_ERROR: bad").expect("known");
        assert!(yaml.docs.contains("build-spec-ref"), "{yaml:?}");
        let iam = super::message("CodeBuild is not authorized to perform: sts:AssumeRole on x")
            .expect("known");
        assert!(iam.docs.contains("eventual-consistency"), "{iam:?}");
        assert!(super::message("something nobody has seen").is_none());
    }
}

#[cfg(test)]
mod access_denied_tests {
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
        assert!(
            explained.docs.starts_with("https://docs.aws.amazon.com/"),
            "{explained:?}"
        );
        let build = DENIED.replace("web-codepipeline-role", "web-codebuild-role");
        let explained = access_denied(&build).expect("explained");
        assert!(
            explained.docs.contains("setting-up-service-role"),
            "{explained:?}"
        );
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
