//! AWS errors, classified once by error code so the rest of pipewright decides on a kind, never
//! on message text. The only message matches are AWS's IAM-propagation errors, which share their
//! codes with real misconfigurations and differ only in wording ([`is_iam_propagation`]).

use std::fmt;

// Every service crate re-exports the same smithy types; STS's are as good as any.
use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};

/// What kind of failure an AWS error is, which decides what pipewright does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The resource (or sub-configuration) does not exist.
    NotFound,
    /// A create found the name taken (by us, after a lost response, or by someone else).
    AlreadyExists,
    /// A globally unique name (S3 bucket) belongs to another account.
    NameTakenElsewhere,
    /// Rate limited beyond the SDK's retries: retry later.
    Throttled,
    /// A role just created is not visible to the service yet: retry for up to a minute.
    IamPropagation,
    /// Credentials lack a permission.
    AccessDenied,
    /// No credentials, or expired ones.
    Credentials,
    /// The endpoint could not be reached.
    Unreachable,
    /// A service quota (not a rate): retrying will not help.
    Quota,
    /// A resource is in use or being modified by something else.
    Conflict,
    /// The service failed (5xx) beyond the SDK's retries.
    ServiceFailure,
    /// The operation is not implemented by this endpoint (an emulator).
    NotImplemented,
    /// No Region configured anywhere.
    NoRegion,
    Other,
}

impl ErrorKind {
    /// Whether pipewright's own retry layer should try again.
    #[must_use]
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Throttled
                | ErrorKind::IamPropagation
                | ErrorKind::Conflict
                | ErrorKind::ServiceFailure
        )
    }
}

/// One failed AWS call, with what it was about.
#[derive(Debug, Clone)]
pub struct AwsError {
    /// The API operation, e.g. `CreateProject`.
    pub operation: &'static str,
    /// What it was about, e.g. `CodeBuild project hello-build`.
    pub subject: String,
    pub code: Option<String>,
    pub message: String,
    pub kind: ErrorKind,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}) failed", self.operation, self.subject)?;
        match &self.code {
            Some(code) => write!(f, ": {code}: {}", self.message),
            None => write!(f, ": {}", self.message),
        }
    }
}

impl std::error::Error for AwsError {}

/// One step from an SDK call's result to pipewright's: `client.get_role()….send().await
/// .about(&id)?`. The operation's name comes from the SDK's error type, never from hand-typed
/// text, and the subject says what the call was about (`IAM role hello-codebuild-role`).
pub trait SdkResultExt<T> {
    /// The result, its error classified as an [`AwsError`] about `subject` (formatted only on
    /// failure).
    fn about(self, subject: impl fmt::Display) -> Result<T, AwsError>;
}

impl<T, E> SdkResultExt<T> for Result<T, SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    fn about(self, subject: impl fmt::Display) -> Result<T, AwsError> {
        self.map_err(|err| AwsError::from_sdk(operation_of::<E>(), subject.to_string(), &err))
    }
}

/// The operation an SDK error type belongs to. The SDK generates one error type per operation,
/// named after it in that operation's module (`aws_sdk_iam::operation::get_role::GetRoleError`),
/// so the type a call returns names the call.
fn operation_of<E>() -> &'static str {
    let path = std::any::type_name::<E>();
    let last = path.rsplit("::").next().unwrap_or(path);
    last.strip_suffix("Error").unwrap_or(last)
}

impl AwsError {
    /// Classify an SDK error ([`SdkResultExt::about`] is the way in; this is its body).
    pub(crate) fn from_sdk<E>(
        operation: &'static str,
        subject: impl Into<String>,
        err: &SdkError<E, HttpResponse>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let subject = subject.into();
        match err {
            SdkError::ServiceError(service) => {
                let inner = service.err();
                let code = inner.code().map(str::to_owned);
                // An error the SDK could not model ("unhandled error") hides its cause.
                let message = inner.message().map_or_else(
                    || format!("{}", aws_sdk_sts::error::DisplayErrorContext(err)),
                    str::to_owned,
                );
                let status = service.raw().status().as_u16();
                let kind = classify(code.as_deref(), &message, status);
                Self {
                    operation,
                    subject,
                    code,
                    message,
                    kind,
                }
            }
            SdkError::DispatchFailure(failure) => {
                let chain = error_chain(err);
                let kind = if chain.contains("credential") {
                    ErrorKind::Credentials
                } else if failure.is_io() || failure.is_timeout() {
                    ErrorKind::Unreachable
                } else {
                    ErrorKind::Other
                };
                Self {
                    operation,
                    subject,
                    code: None,
                    message: error_chain(err),
                    kind,
                }
            }
            SdkError::TimeoutError(_) => Self {
                operation,
                subject,
                code: None,
                message: "the request timed out".to_owned(),
                kind: ErrorKind::Unreachable,
            },
            SdkError::ConstructionFailure(_) => {
                let message = error_chain(err);
                let kind = if message.contains("credentials") {
                    ErrorKind::Credentials
                } else {
                    ErrorKind::Other
                };
                Self {
                    operation,
                    subject,
                    code: None,
                    message,
                    kind,
                }
            }
            _ => {
                let message = error_chain(err);
                let kind = if message.contains("no credentials")
                    || message.contains("credentials provider")
                    || message.contains("expired")
                {
                    ErrorKind::Credentials
                } else {
                    ErrorKind::Other
                };
                Self {
                    operation,
                    subject,
                    code: None,
                    message,
                    kind,
                }
            }
        }
    }

    #[must_use]
    pub fn is(&self, kind: ErrorKind) -> bool {
        self.kind == kind
    }
}

/// `Ok(None)` when AWS says the thing is not there: how every read tells "absent" from "failed".
pub(crate) fn absent_is_none<T>(result: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(err) if err.is(ErrorKind::NotFound) => Ok(None),
        Err(err) => Err(err),
    }
}

/// A request builder that lacked a required field: a bug in pipewright, reported, not panicked.
pub(crate) fn invalid_request(
    operation: &'static str,
    subject: String,
    err: &impl fmt::Display,
) -> AwsError {
    AwsError {
        operation,
        subject,
        code: None,
        message: format!("pipewright built an invalid request: {err}"),
        kind: ErrorKind::Other,
    }
}

/// A delete that finds nothing to delete has done its job (a retried call, a concurrent `down`).
pub(crate) fn ignore_not_found<T>(result: Result<T, AwsError>) -> Result<(), AwsError> {
    match result {
        Ok(_) => Ok(()),
        Err(err) if err.is(ErrorKind::NotFound) => Ok(()),
        Err(err) => Err(err),
    }
}

/// The whole `source()` chain on one line: SDK errors hide the useful part several levels down.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

fn classify(code: Option<&str>, message: &str, status: u16) -> ErrorKind {
    if is_iam_propagation(message) {
        return ErrorKind::IamPropagation;
    }
    // What LocalStack (and our emulator, when told to) answers for an operation it lacks.
    if status == 501 {
        return ErrorKind::NotImplemented;
    }
    match code.unwrap_or("") {
        "NoSuchEntity"
        | "NoSuchBucket"
        | "NotFound"
        | "NoSuchKey"
        | "ResourceNotFoundException"
        | "RepositoryDoesNotExistException"
        | "ApplicationDoesNotExistException"
        | "DeploymentGroupDoesNotExistException"
        | "DeploymentConfigDoesNotExistException"
        | "PipelineNotFoundException"
        | "PipelineExecutionNotFoundException"
        | "NoSuchBucketPolicy"
        | "NoSuchLifecycleConfiguration"
        | "NoSuchWebsiteConfiguration"
        | "ServerSideEncryptionConfigurationNotFoundError"
        | "NoSuchPublicAccessBlockConfiguration"
        | "NoSuchTagSet"
        | "NoSuchTagSetError"
        | "BranchDoesNotExistException" => ErrorKind::NotFound,
        "EntityAlreadyExists"
        | "BucketAlreadyOwnedByYou"
        | "RepositoryNameExistsException"
        | "ResourceAlreadyExistsException"
        | "ApplicationAlreadyExistsException"
        | "DeploymentGroupAlreadyExistsException"
        | "DeploymentConfigAlreadyExistsException"
        | "PipelineNameInUseException" => ErrorKind::AlreadyExists,
        "BucketAlreadyExists" => ErrorKind::NameTakenElsewhere,
        "Throttling"
        | "ThrottlingException"
        | "TooManyRequestsException"
        | "SlowDown"
        | "RequestLimitExceeded"
        | "RequestThrottled"
        | "ProvisionedThroughputExceededException" => ErrorKind::Throttled,
        "LimitExceeded"
        | "LimitExceededException"
        | "AccountLimitExceededException"
        | "ServiceQuotaExceededException"
        | "TooManyBuckets" => ErrorKind::Quota,
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => {
            ErrorKind::AccessDenied
        }
        "ExpiredToken"
        | "ExpiredTokenException"
        | "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "InvalidAccessKeyId"
        | "SignatureDoesNotMatch" => ErrorKind::Credentials,
        "ConcurrentModification"
        | "ConcurrentModificationException"
        | "OperationAborted"
        | "DeleteConflict"
        | "ConflictException"
        | "DeploymentConfigInUseException"
        | "ResourceInUseException" => ErrorKind::Conflict,
        "InternalFailure"
        | "InternalError"
        | "InternalServerError"
        | "ServiceUnavailable"
        | "ServiceUnavailableException"
        | "ServiceFailure" => ErrorKind::ServiceFailure,
        _ if status >= 500 => ErrorKind::ServiceFailure,
        _ => ErrorKind::Other,
    }
}

/// AWS's wordings for "the role you just created is not visible to me yet" (reference §3): the
/// one list, for classifying a failed call and for explaining a failed action (`diagnose`).
#[must_use]
pub fn is_iam_propagation(message: &str) -> bool {
    const PATTERNS: &[&str] = &[
        "is not authorized to perform: sts:AssumeRole",
        "not authorized to perform AssumeRole",
        "does not have the permissions required to assume the role",
        "role cannot be assumed",
        "is not authorized to assume the role",
        "The role defined for the function cannot be assumed",
    ];
    PATTERNS.iter().any(|p| message.contains(p))
}

#[cfg(test)]
mod tests {
    use super::{ErrorKind, classify, operation_of};

    #[test]
    fn the_sdk_error_type_names_the_operation() {
        assert_eq!(
            operation_of::<aws_sdk_iam::operation::get_role::GetRoleError>(),
            "GetRole"
        );
        assert_eq!(
            operation_of::<aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Error>(),
            "ListObjectsV2"
        );
        assert_eq!(
            operation_of::<
                aws_sdk_codepipeline::operation::start_pipeline_execution::StartPipelineExecutionError,
            >(),
            "StartPipelineExecution"
        );
    }

    #[test]
    fn codes_decide_the_kind() {
        assert_eq!(classify(Some("NoSuchEntity"), "", 404), ErrorKind::NotFound);
        assert_eq!(
            classify(Some("BucketAlreadyExists"), "", 409),
            ErrorKind::NameTakenElsewhere
        );
        assert_eq!(
            classify(Some("LimitExceededException"), "", 400),
            ErrorKind::Quota
        );
        assert_eq!(classify(Some("Weird"), "", 503), ErrorKind::ServiceFailure);
        assert_eq!(
            classify(Some("InternalFailure"), "", 500),
            ErrorKind::ServiceFailure
        );
        assert_eq!(
            classify(Some("InternalFailure"), "", 501),
            ErrorKind::NotImplemented
        );
        assert_eq!(classify(None, "", 501), ErrorKind::NotImplemented);
    }

    #[test]
    fn iam_propagation_is_recognised_by_its_wording() {
        let message =
            "CodeBuild is not authorized to perform: sts:AssumeRole on arn:aws:iam::1:role/x";
        assert_eq!(
            classify(Some("InvalidInputException"), message, 400),
            ErrorKind::IamPropagation
        );
    }
}
