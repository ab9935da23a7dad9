//! The CodeDeploy application: its compute platform cannot change (the plan replaces it), so an
//! update only ever adds missing tags.

use aws_sdk_codedeploy::Client;
use aws_sdk_codedeploy::types::ComputePlatform;

use super::{absent_is_none, arn, read_tags, sdk_tags, tag_missing};
use crate::aws::error::ignore_not_found;
use crate::aws::{AwsError, Clients};
use crate::model::{Application, Facts, Live, Owner, Resource};

fn subject(name: &str) -> String {
    format!("CodeDeploy application {name}")
}

fn application_arn(clients: &Clients, name: &str) -> String {
    arn(clients, &format!("application:{name}"))
}

pub(in crate::aws) async fn read(clients: &Clients, name: &str) -> Result<Option<Live>, AwsError> {
    let client = &clients.codedeploy;
    let arn = application_arn(clients, name);
    let what = subject(name);
    // The application and its tags at once: the ARN is computed, not looked up.
    let (found, tags) = tokio::join!(
        client.get_application().application_name(name).send(),
        read_tags(client, &arn, &what)
    );
    let found =
        absent_is_none(found.map_err(|e| AwsError::from_sdk("GetApplication", subject(name), &e)))?;
    let Some(info) = found.as_ref().and_then(|out| out.application()) else {
        return Ok(None);
    };
    let tags = match tags {
        Ok(tags) => tags,
        Err(err) if err.is(crate::aws::ErrorKind::NotFound) => return Ok(None),
        Err(err) => return Err(err),
    };
    Ok(Some(Live {
        owner: Owner::of(&tags),
        resource: Resource::Application(Application {
            name: name.to_owned(),
            // AWS reports `Server` for applications created without a platform.
            platform: info
                .compute_platform()
                .map_or("Server", ComputePlatform::as_str)
                .to_owned(),
            tags,
        }),
        facts: Facts::default(),
    }))
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
        .map_err(|e| AwsError::from_sdk("CreateApplication", subject(&application.name), &e))?;
    Ok(())
}

pub(in crate::aws) async fn update(
    clients: &Clients,
    desired: &Application,
    live: &Application,
) -> Result<(), AwsError> {
    tag_missing(
        &clients.codedeploy,
        &application_arn(clients, &desired.name),
        &desired.tags,
        &live.tags,
        &subject(&desired.name),
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
            .map_err(|e| AwsError::from_sdk("DeleteApplication", subject(name), &e)),
    )
}
