//! IAM roles with one inline policy.

use aws_sdk_iam::Client;
use aws_sdk_iam::types::Tag;

use super::error::ignore_not_found;
use super::{AwsError, ErrorKind, tags};
use crate::model::{Facts, Live, Owner, Resource, Role, RolePolicy, Tags};

fn subject(name: &str) -> String {
    format!("IAM role {name}")
}

pub(super) async fn read(client: &Client, name: &str) -> Result<Option<Live>, AwsError> {
    let (role, role_tags) = tokio::join!(
        client.get_role().role_name(name).send(),
        read_tags(client, name),
    );
    let role = match role {
        Ok(out) => out,
        Err(e) => {
            let err = AwsError::from_sdk("GetRole", subject(name), &e);
            return if err.is(ErrorKind::NotFound) {
                Ok(None)
            } else {
                Err(err)
            };
        }
    };
    let Some(role) = role.role() else {
        return Ok(None);
    };
    let tags = role_tags?;
    Ok(Some(Live {
        owner: Owner::of(&tags),
        resource: Resource::Role(Role {
            name: name.to_owned(),
            description: role.description().unwrap_or_default().to_owned(),
            trust: role
                .assume_role_policy_document()
                .map_or(serde_json::Value::Null, decode_document),
            tags,
        }),
        facts: Facts::default(),
    }))
}

/// The role's inline policy; its owner is the role's (a policy cannot be tagged).
pub(super) async fn read_policy(client: &Client, role: &str) -> Result<Option<Live>, AwsError> {
    let (policy, role_tags) = tokio::join!(
        client
            .get_role_policy()
            .role_name(role)
            .policy_name(RolePolicy::NAME)
            .send(),
        read_tags(client, role),
    );
    let document = match policy {
        Ok(out) => decode_document(out.policy_document()),
        Err(e) => {
            let err = AwsError::from_sdk("GetRolePolicy", policy_subject(role), &e);
            return if err.is(ErrorKind::NotFound) {
                Ok(None)
            } else {
                Err(err)
            };
        }
    };
    let tags = match role_tags {
        Ok(tags) => tags,
        Err(err) if err.is(ErrorKind::NotFound) => return Ok(None),
        Err(err) => return Err(err),
    };
    Ok(Some(Live {
        owner: Owner::of(&tags),
        resource: Resource::RolePolicy(RolePolicy {
            role: role.to_owned(),
            document,
        }),
        facts: Facts::default(),
    }))
}

fn policy_subject(role: &str) -> String {
    format!("IAM role policy {role}/{}", RolePolicy::NAME)
}

async fn read_tags(client: &Client, name: &str) -> Result<Tags, AwsError> {
    client
        .list_role_tags()
        .role_name(name)
        .send()
        .await
        .map(|out| {
            out.tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect()
        })
        .map_err(|e| AwsError::from_sdk("ListRoleTags", subject(name), &e))
}

/// IAM returns policy documents URL-encoded.
fn decode_document(encoded: &str) -> serde_json::Value {
    let decoded = percent_encoding::percent_decode_str(encoded).decode_utf8_lossy();
    serde_json::from_str(&decoded).unwrap_or(serde_json::Value::String(decoded.into_owned()))
}

fn iam_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

pub(super) async fn create(client: &Client, role: &Role) -> Result<(), AwsError> {
    client
        .create_role()
        .role_name(&role.name)
        .description(&role.description)
        .assume_role_policy_document(role.trust.to_string())
        .set_tags(Some(iam_tags(&role.tags)))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("CreateRole", subject(&role.name), &e))?;
    Ok(())
}

/// PutRolePolicy creates or replaces: it is both the create and the update of a role policy.
pub(super) async fn put_policy(client: &Client, policy: &RolePolicy) -> Result<(), AwsError> {
    client
        .put_role_policy()
        .role_name(&policy.role)
        .policy_name(RolePolicy::NAME)
        .policy_document(policy.document.to_string())
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("PutRolePolicy", policy_subject(&policy.role), &e))?;
    Ok(())
}

pub(super) async fn delete_policy(client: &Client, role: &str) -> Result<(), AwsError> {
    ignore_not_found(
        client
            .delete_role_policy()
            .role_name(role)
            .policy_name(RolePolicy::NAME)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DeleteRolePolicy", policy_subject(role), &e)),
    )
}

pub(super) async fn update(client: &Client, desired: &Role, live: &Role) -> Result<(), AwsError> {
    if desired.trust != live.trust {
        client
            .update_assume_role_policy()
            .role_name(&desired.name)
            .policy_document(desired.trust.to_string())
            .send()
            .await
            .map_err(|e| {
                AwsError::from_sdk("UpdateAssumeRolePolicy", subject(&desired.name), &e)
            })?;
    }
    if desired.description != live.description {
        client
            .update_role()
            .role_name(&desired.name)
            .description(&desired.description)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateRole", subject(&desired.name), &e))?;
    }
    let missing = tags::to_set(&desired.tags, &live.tags);
    if !missing.is_empty() {
        client
            .tag_role()
            .role_name(&desired.name)
            .set_tags(Some(iam_tags(&missing)))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("TagRole", subject(&desired.name), &e))?;
    }
    Ok(())
}

/// Inline policies and attachments must go before the role can; both are listed at once.
pub(super) async fn delete(client: &Client, name: &str) -> Result<(), AwsError> {
    let (inline, attached) = tokio::join!(
        client.list_role_policies().role_name(name).send(),
        client.list_attached_role_policies().role_name(name).send(),
    );
    let inline = match inline.map_err(|e| AwsError::from_sdk("ListRolePolicies", subject(name), &e))
    {
        Ok(out) => out.policy_names().to_vec(),
        Err(err) if err.is(ErrorKind::NotFound) => return Ok(()),
        Err(err) => return Err(err),
    };
    let attached: Vec<String> = match attached
        .map_err(|e| AwsError::from_sdk("ListAttachedRolePolicies", subject(name), &e))
    {
        Ok(out) => out
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_owned))
            .collect(),
        Err(err) if err.is(ErrorKind::NotFound) => return Ok(()),
        Err(err) => return Err(err),
    };
    let deletes = inline.iter().map(|policy| async move {
        ignore_not_found(
            client
                .delete_role_policy()
                .role_name(name)
                .policy_name(policy)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DeleteRolePolicy", subject(name), &e)),
        )
    });
    let detaches = attached.iter().map(|arn| async move {
        ignore_not_found(
            client
                .detach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DetachRolePolicy", subject(name), &e)),
        )
    });
    let (inline_results, attached_results) = tokio::join!(
        futures::future::join_all(deletes),
        futures::future::join_all(detaches)
    );
    for result in inline_results.into_iter().chain(attached_results) {
        result?;
    }
    ignore_not_found(
        client
            .delete_role()
            .role_name(name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DeleteRole", subject(name), &e)),
    )
}
