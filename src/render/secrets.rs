//! Secret references (`ssm:…`, `secretsmanager:…`) as the buildspec's `env` wants them.
//!
//! A spec names where a secret lives, never its value; CodeBuild fetches the value at build time
//! with the build role. So the buildspec only ever holds the parameter name or secret id.

/// Where a secret variable's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SecretRef<'a> {
    /// A Parameter Store parameter name (`/hello/api-key`).
    ParameterStore(&'a str),
    /// A Secrets Manager reference: `secret-id[:json-key[:version-stage[:version-id]]]`.
    SecretsManager(&'a str),
}

/// `ssm:/hello/api-key` or `secretsmanager:prod/db:password`; `None` for anything else.
pub(crate) fn parse(reference: &str) -> Option<SecretRef<'_>> {
    let (scheme, target) = reference.split_once(':')?;
    let target = target.trim();
    if target.is_empty() {
        return None;
    }
    match scheme.trim() {
        "ssm" => Some(SecretRef::ParameterStore(target)),
        "secretsmanager" => Some(SecretRef::SecretsManager(target)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_keep_everything_after_the_scheme() {
        assert_eq!(
            parse("ssm:/hello/api-key"),
            Some(SecretRef::ParameterStore("/hello/api-key"))
        );
        assert_eq!(
            parse("secretsmanager:prod/db:password"),
            Some(SecretRef::SecretsManager("prod/db:password"))
        );
        assert_eq!(
            parse(
                "secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:db:password::"
            ),
            Some(SecretRef::SecretsManager(
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db:password::"
            ))
        );
    }

    #[test]
    fn values_are_not_references() {
        for value in ["hunter2", "ssm:", "vault:/x", "", ":x"] {
            assert_eq!(parse(value), None, "{value}");
        }
    }
}
