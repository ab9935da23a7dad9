//! Preconditions on things the user owns and pipewright only uses: checked before any write,
//! so a pipeline is never half-created around a connection nobody approved.

use aws_sdk_codestarconnections::types::ConnectionStatus;

use super::{AwsError, Clients, ErrorKind, SdkResultExt, s3_source};
use crate::model::Check;

/// Why a check failed, with the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmet {
    pub problem: String,
    pub fix: String,
}

/// `Ok(None)` when the precondition holds.
pub async fn check(clients: &Clients, check: &Check) -> Result<Option<Unmet>, AwsError> {
    match check {
        Check::ConnectionAvailable { arn } => {
            let out = clients
                .connections
                .get_connection()
                .connection_arn(arn)
                .send()
                .await
                .about(format_args!("connection {arn}"));
            let out = match out {
                Ok(out) => out,
                Err(err) if err.is(ErrorKind::NotFound) => {
                    return Ok(Some(Unmet {
                        problem: format!("the CodeStar connection {arn} does not exist"),
                        fix: "create a GitHub connection in the console (Developer Tools → \
                              Settings → Connections) and put its ARN in `source.github.connection`"
                            .to_owned(),
                    }));
                }
                Err(err) => return Err(err),
            };
            let status = out.connection().and_then(|c| c.connection_status());
            Ok(match status {
                Some(ConnectionStatus::Available) => None,
                Some(ConnectionStatus::Pending) => Some(Unmet {
                    problem: format!("the CodeStar connection {arn} is still PENDING"),
                    fix: format!(
                        "approve it once in the console: https://{}.console.aws.amazon.com/codesuite/settings/connections?region={} (choose the connection, then \"Update pending connection\"), then run this again",
                        clients.region, clients.region
                    ),
                }),
                other => Some(Unmet {
                    problem: format!(
                        "the CodeStar connection {arn} is {}",
                        other.map_or("in an unknown state", ConnectionStatus::as_str)
                    ),
                    fix: "recreate the connection in the console and update `source.github.connection`"
                        .to_owned(),
                }),
            })
        }
        Check::SourceBucketVersioned { bucket, key } => {
            let out = s3_source::versioned(&clients.s3, bucket).await;
            match out {
                Ok(true) => Ok(None),
                Ok(false) => Ok(Some(Unmet {
                    problem: format!("the source bucket {bucket} does not keep versions"),
                    fix: format!(
                        "CodePipeline reads s3://{bucket}/{key} by version: run `aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration Status=Enabled`"
                    ),
                })),
                Err(err) if err.is(ErrorKind::NotFound) => Ok(Some(Unmet {
                    problem: format!("the source bucket {bucket} does not exist"),
                    fix: format!(
                        "create it with versioning on, then `pipewright push` uploads s3://{bucket}/{key}"
                    ),
                })),
                Err(err) => Err(err),
            }
        }
    }
}
