//! `build.permissions`: every action is an IAM action name, every resource an ARN (or a `*` the
//! user wrote on purpose, which `--strict` questions), every shorthand names a resource AWS
//! could have.

use super::Rules;
use crate::spec::names::rules as aws_names;
use crate::spec::path::Path;

pub(super) fn check(r: &mut Rules<'_>, base: &Path) {
    let permissions = &r.spec.build.permissions;
    for (field, names, rule) in [
        (
            "ecr_push",
            &permissions.ecr_push,
            ecr_repository as fn(&str) -> Result<(), String>,
        ),
        ("ecr_pull", &permissions.ecr_pull, ecr_repository),
        ("lambda_update", &permissions.lambda_update, lambda_function),
        ("s3_read", &permissions.s3_read, s3_location),
        ("s3_write", &permissions.s3_write, s3_location),
    ] {
        for (i, name) in names.iter().enumerate() {
            if let Err(problem) = rule(name) {
                r.error(
                    &base.key(field).index(i),
                    format!("`{name}`: {problem}"),
                    hint(field),
                );
            }
        }
    }
    for (i, statement) in permissions.statements.iter().enumerate() {
        let at = base.key("statements").index(i);
        for (j, action) in statement.actions.iter().enumerate() {
            match action_shape(action) {
                Err(problem) => r.error(
                    &at.key("actions").index(j),
                    format!("`{action}` is not an IAM action: {problem}"),
                    "write `service:Action`, as IAM names it: `dynamodb:GetItem`, `sqs:SendMessage`",
                ),
                Ok(()) if action == "*" || action.ends_with(":*") => r.warning(
                    &at.key("actions").index(j),
                    format!("`{action}` allows every action of {}", service_of(action)),
                    "name the actions the build calls: least privilege is what pipewright grants everywhere else",
                ),
                Ok(()) => {}
            }
        }
        for (j, resource) in statement.resources.iter().enumerate() {
            if resource == "*" {
                r.warning(
                    &at.key("resources").index(j),
                    "`*` lets these actions reach every resource of the account",
                    "name the resources' ARNs, unless AWS defines these actions only on `*`",
                );
            } else if let Err(problem) = arn_shape(resource) {
                r.error(
                    &at.key("resources").index(j),
                    format!("`{resource}` is not an ARN: {problem}"),
                    "write `arn:aws:<service>:<region>:<account>:<resource>`, e.g. `arn:aws:dynamodb:us-east-1:123456789012:table/orders`",
                );
            }
        }
    }
}

fn hint(field: &str) -> &'static str {
    match field {
        "ecr_push" | "ecr_pull" => "name the repository as ECR does: `my-app` or `team/my-app`",
        "lambda_update" => "name the function: letters, digits, `-` and `_`, at most 64",
        _ => "write `bucket` or `bucket/prefix`",
    }
}

fn service_of(action: &str) -> &str {
    action.split_once(':').map_or("every service", |(s, _)| s)
}

/// `service:Action`, with IAM's `*`/`?` wildcards in the action part.
pub(crate) fn action_shape(action: &str) -> Result<(), String> {
    if action == "*" {
        return Ok(());
    }
    let Some((service, name)) = action.split_once(':') else {
        return Err("no `:` between the service and the action".to_owned());
    };
    if service.is_empty()
        || !service
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(format!(
            "`{service}` is not a service prefix (lowercase, like `s3`)"
        ));
    }
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
    {
        return Err(format!("`{name}` is not an action name (like `GetObject`)"));
    }
    Ok(())
}

/// `arn:partition:service:region:account:resource` (region and account may be empty, as for S3
/// and IAM; wildcards are allowed in the resource).
pub(crate) fn arn_shape(arn: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() < 6 || parts[0] != "arn" {
        return Err("an ARN has six `:`-separated parts, starting with `arn:`".to_owned());
    }
    if !["aws", "aws-cn", "aws-us-gov", "*"].contains(&parts[1]) {
        return Err(format!("`{}` is not an AWS partition", parts[1]));
    }
    if parts[2].is_empty() {
        return Err("the service part is empty".to_owned());
    }
    let account = parts[4];
    if !(account.is_empty()
        || account == "*"
        || account == "aws"
        || (account.len() == 12 && account.chars().all(|c| c.is_ascii_digit())))
    {
        return Err(format!("`{account}` is not a 12-digit account id"));
    }
    if parts[5].is_empty() || arn.chars().any(char::is_whitespace) {
        return Err("the resource part is empty or has spaces".to_owned());
    }
    Ok(())
}

/// ECR repository names: lowercase parts separated by `/`, 2 to 256 characters.
fn ecr_repository(name: &str) -> Result<(), String> {
    let ok = (2..=256).contains(&name.len())
        && name.split('/').all(|part| {
            !part.is_empty()
                && part.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        });
    if ok {
        Ok(())
    } else {
        Err("not an ECR repository name".to_owned())
    }
}

fn lambda_function(name: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err("not a Lambda function name".to_owned())
    }
}

fn s3_location(location: &str) -> Result<(), String> {
    let bucket = location.split_once('/').map_or(location, |(b, _)| b);
    aws_names::s3_bucket(bucket).map_err(|problem| format!("bucket `{bucket}`: {problem}"))
}

#[cfg(test)]
mod tests {
    use super::{action_shape, arn_shape};

    #[test]
    fn actions_and_arns() {
        for good in ["dynamodb:GetItem", "s3:Get*", "sqs:SendMessage", "*"] {
            assert!(action_shape(good).is_ok(), "{good}");
        }
        for bad in ["GetItem", "DynamoDB:GetItem", "s3:", "s3:Get Object"] {
            assert!(action_shape(bad).is_err(), "{bad}");
        }
        for good in [
            "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
            "arn:aws:s3:::bucket/*",
            "arn:aws:iam::123456789012:role/x",
        ] {
            assert!(arn_shape(good).is_ok(), "{good}");
        }
        for bad in [
            "table/orders",
            "arn:aws:dynamodb:us-east-1:12345:table/x",
            "arn:aws::us-east-1:123456789012:x",
            "arn:aws:s3:::",
        ] {
            assert!(arn_shape(bad).is_err(), "{bad}");
        }
    }
}
