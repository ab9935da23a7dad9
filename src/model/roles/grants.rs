//! `build.permissions`: what each shorthand grants the build role, and the other way round,
//! which spec lines grant a permission a build was refused (for `pipewright logs`).
//!
//! The shorthands expand to the lists AWS documents for the task:
//! - pushing an image: <https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html>
//!   (`ecr:GetAuthorizationToken` on `*`; `BatchCheckLayerAvailability`, `InitiateLayerUpload`,
//!   `UploadLayerPart`, `CompleteLayerUpload`, `PutImage`, `BatchGetImage` on the repository);
//! - pulling one: <https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html>
//!   (`BatchGetImage`, `GetDownloadUrlForLayer`, `BatchCheckLayerAvailability`);
//! - updating a function's code: <https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html>
//!   (`UpdateFunctionCode`, `PublishVersion` on the function; `GetFunction` and
//!   `GetFunctionConfiguration`, which `aws lambda wait function-updated` polls, on it and its versions);
//! - S3: `s3:GetObject` (and `s3:ListBucket` on the bucket) to read, `s3:PutObject` to write, on the
//!   location's objects only.

use super::super::Target;
use super::super::policy::Statement;
use crate::spec::BuildPermissions;

const ECR_PUSH: &[&str] = &[
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
    "ecr:BatchGetImage",
];
const ECR_PULL: &[&str] = &[
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchCheckLayerAvailability",
];
const LAMBDA_UPDATE: &[&str] = &[
    "lambda:GetFunction",
    "lambda:GetFunctionConfiguration",
    "lambda:UpdateFunctionCode",
    "lambda:PublishVersion",
];

/// The build role's statements for `build.permissions`.
pub(super) fn statements(t: &Target, permissions: &BuildPermissions) -> Vec<Statement> {
    let mut statements = Vec::new();
    if !permissions.ecr_push.is_empty() || !permissions.ecr_pull.is_empty() {
        statements.push(Statement::allow_star_only(
            "EcrLogin",
            &["ecr:GetAuthorizationToken"],
        ));
    }
    let repositories = |names: &[String]| -> Vec<String> {
        names.iter().map(|n| t.ecr_repository_arn(n)).collect()
    };
    statements.push(Statement::allow(
        "EcrPush",
        ECR_PUSH,
        repositories(&permissions.ecr_push),
    ));
    statements.push(Statement::allow(
        "EcrPull",
        ECR_PULL,
        repositories(&permissions.ecr_pull),
    ));
    let functions: Vec<String> = permissions
        .lambda_update
        .iter()
        .flat_map(|f| {
            let arn = t.lambda_arn(f);
            [arn.clone(), format!("{arn}:*")]
        })
        .collect();
    statements.push(Statement::allow("LambdaUpdate", LAMBDA_UPDATE, functions));
    let objects = |locations: &[String]| -> Vec<String> {
        locations.iter().map(|l| s3_objects(t, l)).collect()
    };
    statements.push(Statement::allow(
        "S3Read",
        &["s3:GetObject"],
        objects(&permissions.s3_read),
    ));
    statements.push(Statement::allow(
        "S3List",
        &["s3:ListBucket"],
        permissions
            .s3_read
            .iter()
            .map(|l| t.bucket_arn(l.split_once('/').map_or(l.as_str(), |(b, _)| b)))
            .collect(),
    ));
    statements.push(Statement::allow(
        "S3Write",
        &["s3:PutObject"],
        objects(&permissions.s3_write),
    ));
    for (i, statement) in permissions.statements.iter().enumerate() {
        let actions: Vec<&str> = statement.actions.iter().map(String::as_str).collect();
        statements.push(Statement::allow(
            &format!("Spec{}", i + 1),
            &actions,
            statement.resources.clone(),
        ));
    }
    statements
}

/// `bucket` → every object; `bucket/prefix` → the objects under it.
fn s3_objects(t: &Target, location: &str) -> String {
    match location.split_once('/') {
        Some((bucket, prefix)) => {
            format!("{}/{}*", t.bucket_arn(bucket), prefix.trim_end_matches('*'))
        }
        None => format!("{}/*", t.bucket_arn(location)),
    }
}

/// The `build.permissions` lines that grant `action` on `resource` (an ARN as AWS printed it in
/// its refusal): a shorthand where one covers it, else a statement.
#[must_use]
pub fn snippet_for(action: &str, resource: &str) -> String {
    let named = |prefix: &str| resource.split_once(prefix).map(|(_, rest)| rest.to_owned());
    let shorthand = if action == "ecr:GetAuthorizationToken" {
        Some(("ecr_push", "<repository>".to_owned()))
    } else if ECR_PUSH.contains(&action) {
        named(":repository/").map(|r| ("ecr_push", r))
    } else if ECR_PULL.contains(&action) {
        named(":repository/").map(|r| ("ecr_pull", r))
    } else if LAMBDA_UPDATE.contains(&action) {
        named(":function:").map(|f| {
            let name = f.split(':').next().unwrap_or(&f).to_owned();
            ("lambda_update", name)
        })
    } else if action == "s3:GetObject" || action == "s3:PutObject" {
        named(":::").map(|location| {
            let field = if action == "s3:GetObject" {
                "s3_read"
            } else {
                "s3_write"
            };
            (field, location)
        })
    } else {
        None
    };
    match shorthand {
        Some((field, value)) => {
            format!("build:\n  permissions:\n    {field}: [{value}]")
        }
        None => format!(
            "build:\n  permissions:\n    statements:\n      - actions: [{action}]\n        resources: [\"{resource}\"]"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::snippet_for;

    #[test]
    fn a_refused_permission_names_the_shorthand_that_grants_it() {
        assert_eq!(
            snippet_for(
                "ecr:PutImage",
                "arn:aws:ecr:us-east-1:123456789012:repository/web"
            ),
            "build:\n  permissions:\n    ecr_push: [web]"
        );
        assert_eq!(
            snippet_for(
                "lambda:GetFunctionConfiguration",
                "arn:aws:lambda:us-east-1:123456789012:function:api"
            ),
            "build:\n  permissions:\n    lambda_update: [api]"
        );
        assert!(
            snippet_for(
                "dynamodb:GetItem",
                "arn:aws:dynamodb:us-east-1:123456789012:table/t"
            )
            .contains("- actions: [dynamodb:GetItem]")
        );
    }
}
