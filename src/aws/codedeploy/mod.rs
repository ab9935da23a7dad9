//! CodeDeploy: one application per pipeline, its deployment groups, and custom deployment
//! configs.
//!
//! Three resource kinds behave differently enough to get a file each:
//! - [`application`]: a name, a compute platform that never changes, and tags.
//! - [`config`]: neither updatable nor taggable; owned by its name (`<pipeline>[-<stage>]-config-
//!   <8 hex>`, the hex a hash of the settings), so a changed strategy is a new config.
//! - [`group`]: many sub-structures that AWS returns with defaults filled in; `read` folds them
//!   back into exactly the [`DeploymentGroup`](crate::model::DeploymentGroup) the model builds.
//!
//! Tags on applications and groups go through `ListTagsForResource`/`TagResource` on ARNs built
//! from the account and Region, which is why some functions take the whole
//! [`Clients`](super::Clients).

mod application;
mod config;
mod group;

pub(in crate::aws) use application::{
    create as create_application, delete as delete_application, read as read_application,
    update as update_application,
};
pub(in crate::aws) use config::{
    create as create_config, delete as delete_config, list as list_configs, read as read_config,
};
pub(in crate::aws) use group::{
    create as create_group, delete as delete_group, list as list_groups, read as read_group,
    update as update_group,
};

use aws_sdk_codedeploy::Client;
use aws_sdk_codedeploy::types::Tag;

use super::error::absent_is_none;
use super::{AwsError, SdkResultExt, tags};
use crate::model::{ResourceId, Tags};

fn sdk_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The tags on a CodeDeploy resource; a resource gone between two calls has none.
async fn read_tags(client: &Client, arn: &str, id: &ResourceId) -> Result<Tags, AwsError> {
    let listed = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .about(id);
    Ok(absent_is_none(listed)?
        .map(|out| {
            out.tags()
                .iter()
                .filter_map(|t| {
                    Some((
                        t.key()?.to_owned(),
                        t.value().unwrap_or_default().to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default())
}

/// Write the desired tags that are missing or different (others are left alone).
async fn tag_missing(
    client: &Client,
    arn: &str,
    desired: &Tags,
    live: &Tags,
    id: &ResourceId,
) -> Result<(), AwsError> {
    tags::add_missing(desired, live, |missing| async move {
        client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(sdk_tags(&missing)))
            .send()
            .await
            .about(id)
            .map(drop)
    })
    .await
}

/// AWS integers (minutes, percentages) as the model's unsigned ones.
fn unsigned(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

fn signed(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// A pagination token, treating the empty string some endpoints send as "no more pages".
fn next(token: Option<&str>) -> Option<String> {
    token.filter(|t| !t.is_empty()).map(str::to_owned)
}
