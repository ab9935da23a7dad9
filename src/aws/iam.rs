//! IAM roles with one inline policy.

use aws_sdk_iam::Client;
use aws_sdk_iam::types::Tag;

use super::error::{absent_is_none, ignore_not_found};
use super::{AwsError, ErrorKind, SdkResultExt, tags};
use crate::model::{Kind, Live, Owner, Resource, ResourceId, Role, RolePolicy, Tags};

fn role_id(name: &str) -> ResourceId {
    ResourceId::new(Kind::Role, name)
}

/// `IAM role policy <role>/pipewright`: the policy's own name is part of what it is about.
fn policy_subject(role: &str) -> String {
    format!(
        "{}/{}",
        ResourceId::new(Kind::RolePolicy, role),
        RolePolicy::NAME
    )
}

pub(super) async fn read(client: &Client, name: &str) -> Result<Option<Live>, AwsError> {
    let (role, role_tags) = tokio::join!(
        client.get_role().role_name(name).send(),
        read_tags(client, name),
    );
    let Some(role) = absent_is_none(role.about(role_id(name)))? else {
        return Ok(None);
    };
    let Some(role) = role.role() else {
        return Ok(None);
    };
    Ok(Some(Live::tagged(Resource::Role(Role {
        name: name.to_owned(),
        description: role.description().unwrap_or_default().to_owned(),
        trust: role
            .assume_role_policy_document()
            .map_or(serde_json::Value::Null, decode_document),
        tags: role_tags?,
    }))))
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
    let Some(policy) = absent_is_none(policy.about(policy_subject(role)))? else {
        return Ok(None);
    };
    let Some(tags) = absent_is_none(role_tags)? else {
        return Ok(None);
    };
    let policy = Resource::RolePolicy(RolePolicy {
        role: role.to_owned(),
        document: decode_document(policy.policy_document()),
    });
    Ok(Some(Live::new(policy, Owner::of(&tags))))
}

async fn read_tags(client: &Client, name: &str) -> Result<Tags, AwsError> {
    let out = client
        .list_role_tags()
        .role_name(name)
        .send()
        .await
        .about(role_id(name))?;
    Ok(out
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect())
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
        .about(role_id(&role.name))?;
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
        .about(policy_subject(&policy.role))?;
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
            .about(policy_subject(role)),
    )
}

pub(super) async fn update(client: &Client, desired: &Role, live: &Role) -> Result<(), AwsError> {
    let id = role_id(&desired.name);
    if desired.trust != live.trust {
        client
            .update_assume_role_policy()
            .role_name(&desired.name)
            .policy_document(desired.trust.to_string())
            .send()
            .await
            .about(&id)?;
    }
    if desired.description != live.description {
        client
            .update_role()
            .role_name(&desired.name)
            .description(&desired.description)
            .send()
            .await
            .about(&id)?;
    }
    tags::add_missing(&desired.tags, &live.tags, |missing| async move {
        client
            .tag_role()
            .role_name(&desired.name)
            .set_tags(Some(iam_tags(&missing)))
            .send()
            .await
            .about(&id)
            .map(drop)
    })
    .await
}

/// Inline policies and attachments must go before the role can; both are listed at once.
pub(super) async fn delete(client: &Client, name: &str) -> Result<(), AwsError> {
    let id = role_id(name);
    let (inline, attached) = tokio::join!(
        client.list_role_policies().role_name(name).send(),
        client.list_attached_role_policies().role_name(name).send(),
    );
    let inline = match inline.about(&id) {
        Ok(out) => out.policy_names().to_vec(),
        Err(err) if err.is(ErrorKind::NotFound) => return Ok(()),
        Err(err) => return Err(err),
    };
    let attached: Vec<String> = match attached.about(&id) {
        Ok(out) => out
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_owned))
            .collect(),
        Err(err) if err.is(ErrorKind::NotFound) => return Ok(()),
        Err(err) => return Err(err),
    };
    let deletes = inline.iter().map(|policy| {
        let id = &id;
        async move {
            ignore_not_found(
                client
                    .delete_role_policy()
                    .role_name(name)
                    .policy_name(policy)
                    .send()
                    .await
                    .about(id),
            )
        }
    });
    let detaches = attached.iter().map(|arn| {
        let id = &id;
        async move {
            ignore_not_found(
                client
                    .detach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .about(id),
            )
        }
    });
    let (inline_results, attached_results) = tokio::join!(
        futures::future::join_all(deletes),
        futures::future::join_all(detaches)
    );
    for result in inline_results.into_iter().chain(attached_results) {
        result?;
    }
    ignore_not_found(client.delete_role().role_name(name).send().await.about(&id))
}
