//! CloudWatch log groups. pipewright creates the build's log group itself (CodeBuild would create
//! it lazily and nobody would ever delete it) so that `down` leaves nothing behind.

use aws_sdk_cloudwatchlogs::Client;

use super::error::{absent_is_none, ignore_not_found};
use super::{AwsError, SdkResultExt, tags};
use crate::model::{Kind, Live, LogGroup, Resource, ResourceId, Tags};

fn group_id(name: &str) -> ResourceId {
    ResourceId::new(Kind::LogGroup, name)
}

/// The group and its tags are read at once (the ARN is computed, not looked up).
pub(super) async fn read(clients: &super::Clients, name: &str) -> Result<Option<Live>, AwsError> {
    let client = &clients.logs;
    let id = group_id(name);
    let arn = clients.target().log_group_arn(name);
    let (groups, tags) = tokio::join!(
        client
            .describe_log_groups()
            .log_group_name_prefix(name)
            .send(),
        client.list_tags_for_resource().resource_arn(&arn).send(),
    );
    let groups = groups.about(&id)?;
    let Some(group) = groups
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
    else {
        return Ok(None);
    };
    let Some(tags) = absent_is_none(tags.about(&id))? else {
        return Ok(None);
    };
    let tags: Tags = tags
        .tags()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .collect();
    Ok(Some(Live::tagged(Resource::LogGroup(LogGroup {
        name: name.to_owned(),
        retention_days: group
            .retention_in_days()
            .and_then(|d| u32::try_from(d).ok())
            .unwrap_or(0),
        tags,
    }))))
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
        .about(group_id(&group.name))?;
    put_retention(client, group).await
}

async fn put_retention(client: &Client, group: &LogGroup) -> Result<(), AwsError> {
    client
        .put_retention_policy()
        .log_group_name(&group.name)
        .retention_in_days(i32::try_from(group.retention_days).unwrap_or(i32::MAX))
        .send()
        .await
        .about(group_id(&group.name))?;
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
    let name = &desired.name;
    let id = group_id(name);
    tags::add_missing(&desired.tags, &live.tags, |missing| async move {
        let groups = client
            .describe_log_groups()
            .log_group_name_prefix(name)
            .send()
            .await
            .about(&id)?;
        let Some(group) = groups
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name.as_str()))
        else {
            return Ok(());
        };
        client
            .tag_resource()
            .resource_arn(group_arn(group))
            .set_tags(Some(missing.into_iter().collect()))
            .send()
            .await
            .about(&id)
            .map(drop)
    })
    .await
}

pub(super) async fn delete(client: &Client, name: &str) -> Result<(), AwsError> {
    ignore_not_found(
        client
            .delete_log_group()
            .log_group_name(name)
            .send()
            .await
            .about(group_id(name)),
    )
}
