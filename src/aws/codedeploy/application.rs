//! The CodeDeploy application: its compute platform cannot change (the plan replaces it), so an
//! update only ever adds missing tags.

use aws_sdk_codedeploy::Client;
use aws_sdk_codedeploy::types::ComputePlatform;

use super::{absent_is_none, read_tags, sdk_tags, tag_missing};
use crate::aws::error::ignore_not_found;
use crate::aws::{AwsError, Clients, SdkResultExt};
use crate::model::{self, Application, Kind, Live, Resource, ResourceId};

fn application_id(name: &str) -> ResourceId {
    ResourceId::new(Kind::Application, name)
}

pub(in crate::aws) async fn read(clients: &Clients, name: &str) -> Result<Option<Live>, AwsError> {
    let client = &clients.codedeploy;
    let arn = clients.target().application_arn(name);
    let id = application_id(name);
    // The application and its tags at once: the ARN is computed, not looked up.
    let (found, tags) = tokio::join!(
        client.get_application().application_name(name).send(),
        read_tags(client, &arn, &id)
    );
    let found = absent_is_none(found.about(&id))?;
    let Some(info) = found.as_ref().and_then(|out| out.application()) else {
        return Ok(None);
    };
    let Some(tags) = absent_is_none(tags)? else {
        return Ok(None);
    };
    Ok(Some(Live::tagged(Resource::Application(Application {
        name: name.to_owned(),
        // AWS reports `Server` for applications created without a platform.
        platform: info
            .compute_platform()
            .map_or(model::ComputePlatform::Server, |p| {
                model::ComputePlatform::from_aws(p.as_str())
            }),
        tags,
    }))))
}

pub(in crate::aws) async fn create(
    client: &Client,
    application: &Application,
) -> Result<(), AwsError> {
    client
        .create_application()
        .application_name(&application.name)
        .compute_platform(ComputePlatform::from(application.platform.as_str()))
        .set_tags(Some(sdk_tags(&application.tags)))
        .send()
        .await
        .about(application_id(&application.name))?;
    Ok(())
}

pub(in crate::aws) async fn update(
    clients: &Clients,
    desired: &Application,
    live: &Application,
) -> Result<(), AwsError> {
    tag_missing(
        &clients.codedeploy,
        &clients.target().application_arn(&desired.name),
        &desired.tags,
        &live.tags,
        &application_id(&desired.name),
    )
    .await
}

/// Deleting the application deletes its deployment groups too.
pub(in crate::aws) async fn delete(client: &Client, name: &str) -> Result<(), AwsError> {
    ignore_not_found(
        client
            .delete_application()
            .application_name(name)
            .send()
            .await
            .about(application_id(name)),
    )
}
