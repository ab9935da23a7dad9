//! CloudWatch log groups. pipewright creates the build's log group itself (CodeBuild would create
//! it lazily and nobody would ever delete it) so that `down` leaves nothing behind.

use aws_sdk_cloudwatchlogs::Client;

use super::error::ignore_not_found;
use super::{AwsError, ErrorKind, tags};
use crate::model::{Facts, Live, LogGroup, Owner, Resource, Tags};

fn subject(name: &str) -> String {
    format!("log group {name}")
}

/// The group and its tags are read at once (the ARN is computed, not looked up).
pub(super) async fn read(clients: &super::Clients, name: &str) -> Result<Option<Live>, AwsError> {
    let client = &clients.logs;
    let arn = clients.target().log_group_arn(name);
    let (groups, tags) = tokio::join!(
        client
            .describe_log_groups()
            .log_group_name_prefix(name)
            .send(),
        client.list_tags_for_resource().resource_arn(&arn).send(),
    );
    let groups = groups.map_err(|e| AwsError::from_sdk("DescribeLogGroups", subject(name), &e))?;
    let Some(group) = groups
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
    else {
        return Ok(None);
    };
    let tags: Tags = match tags {
        Ok(out) => out
            .tags()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect(),
        Err(e) => {
            let err = AwsError::from_sdk("ListTagsForResource", subject(name), &e);
            if err.is(ErrorKind::NotFound) {
                return Ok(None);
            }
            return Err(err);
        }
    };
    Ok(Some(Live {
        owner: Owner::of(&tags),
        resource: Resource::LogGroup(LogGroup {
            name: name.to_owned(),
            retention_days: group
                .retention_in_days()
                .and_then(|d| u32::try_from(d).ok())
                .unwrap_or(0),
            tags,
        }),
        facts: Facts::default(),
    }))
}

/// The group's ARN without the `:*` that DescribeLogGroups' `arn` field carries.
fn group_arn(group: &aws_sdk_cloudwatchlogs::types::LogGroup) -> String {
    group
        .log_group_arn()
        .or(group.arn())
        .unwrap_or_default()
        .trim_end_matches(":*")
        .to_owned()
}

pub(super) async fn create(client: &Client, group: &LogGroup) -> Result<(), AwsError> {
    client
        .create_log_group()
        .log_group_name(&group.name)
        .set_tags(Some(group.tags.clone().into_iter().collect()))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("CreateLogGroup", subject(&group.name), &e))?;
    put_retention(client, group).await
}

async fn put_retention(client: &Client, group: &LogGroup) -> Result<(), AwsError> {
    client
        .put_retention_policy()
        .log_group_name(&group.name)
        .retention_in_days(i32::try_from(group.retention_days).unwrap_or(i32::MAX))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("PutRetentionPolicy", subject(&group.name), &e))?;
    Ok(())
}

pub(super) async fn update(
    client: &Client,
    desired: &LogGroup,
    live: &LogGroup,
) -> Result<(), AwsError> {
    if desired.retention_days != live.retention_days {
        put_retention(client, desired).await?;
    }
    let missing = tags::to_set(&desired.tags, &live.tags);
    if !missing.is_empty() {
        let name = &desired.name;
        let groups = client
            .describe_log_groups()
            .log_group_name_prefix(name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeLogGroups", subject(name), &e))?;
        if let Some(group) = groups
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name.as_str()))
        {
            client
                .tag_resource()
                .resource_arn(group_arn(group))
                .set_tags(Some(missing.into_iter().collect()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("TagResource", subject(name), &e))?;
        }
    }
    Ok(())
}

pub(super) async fn delete(client: &Client, name: &str) -> Result<(), AwsError> {
    ignore_not_found(
        client
            .delete_log_group()
            .log_group_name(name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DeleteLogGroup", subject(name), &e)),
    )
}
