//! References to secrets in `build.secrets`: `ssm:/param/name` or
//! `secretsmanager:secret-id[:json-key[:version-stage[:version-id]]]`.
//!
//! The spec never holds secret values, only where CodeBuild fetches them at build time; the
//! buildspec renderer turns a parsed reference into `env.parameter-store` or
//! `env.secrets-manager`, and the IAM layer grants read access to exactly these.

use std::fmt;

/// A parsed secret reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// An SSM Parameter Store parameter (a `SecureString`, usually).
    Ssm { name: String },
    /// A Secrets Manager secret, optionally one JSON key of it and a version.
    SecretsManager {
        /// Name or full ARN.
        id: String,
        json_key: Option<String>,
        version_stage: Option<String>,
        version_id: Option<String>,
    },
}

impl SecretRef {
    /// Parse a reference; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some(name) = text.strip_prefix("ssm:") {
            return ssm(name).map(|()| SecretRef::Ssm {
                name: name.to_owned(),
            });
        }
        if let Some(rest) = text.strip_prefix("secretsmanager:") {
            return secrets_manager(rest);
        }
        Err(
            "a secret is a reference: `ssm:/parameter/name` or `secretsmanager:secret-id[:json-key[:version-stage[:version-id]]]`"
                .to_owned(),
        )
    }

    /// The value CodeBuild's buildspec expects under `parameter-store` / `secrets-manager`.
    #[must_use]
    pub fn buildspec_value(&self) -> String {
        match self {
            SecretRef::Ssm { name } => name.clone(),
            SecretRef::SecretsManager {
                id,
                json_key,
                version_stage,
                version_id,
            } => {
                let parts = [json_key, version_stage, version_id];
                let used = parts.iter().rposition(|p| p.is_some()).map_or(0, |i| i + 1);
                let mut value = id.clone();
                for part in parts.iter().take(used) {
                    value.push(':');
                    value.push_str(part.as_deref().unwrap_or(""));
                }
                value
            }
        }
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Ssm { name } => write!(f, "ssm:{name}"),
            SecretRef::SecretsManager { .. } => {
                write!(f, "secretsmanager:{}", self.buildspec_value())
            }
        }
    }
}

fn ssm(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("`ssm:` needs a parameter name, like `ssm:/my-app/db-password`".to_owned());
    }
    if name.len() > 2048 {
        return Err("an SSM parameter name has at most 2048 characters".to_owned());
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_.-/".contains(*c)))
    {
        return Err(format!(
            "an SSM parameter name may contain only letters, digits and `_.-/`; found `{}`",
            bad.escape_default()
        ));
    }
    if name.contains("//") || (name.len() > 1 && name.ends_with('/')) {
        return Err(
            "an SSM parameter name may not have empty parts (`//`, trailing `/`)".to_owned(),
        );
    }
    let bare = name.trim_start_matches('/').to_ascii_lowercase();
    if bare.starts_with("aws") || bare.starts_with("ssm") {
        return Err("SSM parameter names may not start with `aws` or `ssm`".to_owned());
    }
    if name.matches('/').count() > 15 {
        return Err("an SSM parameter name has at most 15 levels".to_owned());
    }
    Ok(())
}

fn secrets_manager(rest: &str) -> Result<SecretRef, String> {
    let parts: Vec<&str> = rest.split(':').collect();
    // A full ARN has seven colon-separated parts of its own: arn:aws:secretsmanager:r:acct:secret:name
    let id_parts = if rest.starts_with("arn:") { 7 } else { 1 };
    if parts.len() < id_parts {
        return Err(
            "a Secrets Manager ARN looks like `arn:aws:secretsmanager:<region>:<account>:secret:<name>`"
                .to_owned(),
        );
    }
    let (id_parts, extra) = parts.split_at(id_parts);
    let id = id_parts.join(":");
    if id.is_empty() {
        return Err(
            "`secretsmanager:` needs a secret name or ARN, like `secretsmanager:prod/db:password`"
                .to_owned(),
        );
    }
    if id_parts.len() == 7 {
        if id_parts.get(2) != Some(&"secretsmanager") || id_parts.get(5) != Some(&"secret") {
            return Err(
                "a Secrets Manager ARN looks like `arn:aws:secretsmanager:<region>:<account>:secret:<name>`"
                    .to_owned(),
            );
        }
    } else if let Some(bad) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "/_+=.@-".contains(*c)))
    {
        return Err(format!(
            "a secret name may contain only letters, digits and `/_+=.@-`; found `{}`",
            bad.escape_default()
        ));
    }
    if extra.len() > 3 {
        return Err(
            "too many `:` parts: `secretsmanager:secret-id[:json-key[:version-stage[:version-id]]]`"
                .to_owned(),
        );
    }
    let part = |i: usize| {
        extra
            .get(i)
            .filter(|p| !p.is_empty())
            .map(|p| (*p).to_owned())
    };
    if part(1).is_some() && part(2).is_some() {
        return Err("give a version stage or a version id, not both".to_owned());
    }
    Ok(SecretRef::SecretsManager {
        id,
        json_key: part(0),
        version_stage: part(1),
        version_id: part(2),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_kinds() {
        assert_eq!(
            SecretRef::parse("ssm:/app/db-password"),
            Ok(SecretRef::Ssm {
                name: "/app/db-password".to_owned()
            })
        );
        let arn = "secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password";
        match SecretRef::parse(arn) {
            Ok(SecretRef::SecretsManager { id, json_key, .. }) => {
                assert!(id.ends_with(":secret:db-AbCdEf"));
                assert_eq!(json_key.as_deref(), Some("password"));
            }
            other => panic!("unexpected {other:?}"),
        }
        let staged = SecretRef::parse("secretsmanager:prod/db::AWSPREVIOUS").expect("valid");
        assert_eq!(staged.buildspec_value(), "prod/db::AWSPREVIOUS");
    }

    #[test]
    fn refuses_malformed_references() {
        for bad in [
            "plain-value",
            "ssm:",
            "ssm:/a b",
            "ssm:/aws/x",
            "secretsmanager:",
            "secretsmanager:a:b:c:d:e",
            "secretsmanager:a:k:STAGE:id",
            "secretsmanager:arn:aws:s3:::bucket",
            "vault:x",
        ] {
            assert!(SecretRef::parse(bad).is_err(), "{bad} should be refused");
        }
    }
}
