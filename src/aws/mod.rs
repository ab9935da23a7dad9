//! One adapter per AWS service. Adapters turn model resources into API calls and read live AWS
//! back into the same model types; they know nothing of the spec or of YAML.
//!
//! The functions here dispatch by resource kind, so the engine (`plan`, `apply`) sees four verbs
//! — read, create, update, delete — and never a service.

pub mod checks;
pub mod clients;
mod codebuild;
mod codecommit;
mod codedeploy;
pub mod codepipeline;
pub mod error;
mod events;
mod iam;
pub mod lock;
mod logs;
mod retry;
pub mod s3;
pub(crate) mod s3_source;
mod tags;

pub use clients::{
    AwsSettings, Clients, DEFAULT_REGION, LOCALSTACK_ENDPOINT, OfflineRegion, PLACEHOLDER_ACCOUNT,
};
pub(crate) use codecommit::commits;
pub use error::{AwsError, ErrorKind, SdkResultExt};

use crate::model::{Kind, Live, Resource, ResourceId};

/// Read one resource; `None` when it does not exist.
pub async fn read(clients: &Clients, id: &ResourceId) -> Result<Option<Live>, AwsError> {
    match id.kind {
        Kind::Role => iam::read(&clients.iam, &id.name).await,
        Kind::RolePolicy => iam::read_policy(&clients.iam, &id.name).await,
        Kind::Bucket => s3::read(&clients.s3, &id.name).await,
        Kind::Repository => codecommit::read(clients, &id.name).await,
        Kind::LogGroup => logs::read(clients, &id.name).await,
        Kind::Project => codebuild::read(&clients.codebuild, &id.name).await,
        Kind::Application => codedeploy::read_application(clients, &id.name).await,
        Kind::DeploymentConfig => codedeploy::read_config(&clients.codedeploy, &id.name).await,
        Kind::DeploymentGroup => {
            let (application, group) = split_group_id(&id.name);
            codedeploy::read_group(clients, application, group).await
        }
        Kind::Pipeline => codepipeline::read(clients, &id.name).await,
        Kind::Rule => events::read(clients, &id.name).await,
    }
}

/// Create a resource that does not exist.
pub async fn create(clients: &Clients, resource: &Resource) -> Result<(), AwsError> {
    match resource {
        Resource::Role(r) => iam::create(&clients.iam, r).await,
        Resource::RolePolicy(r) => iam::put_policy(&clients.iam, r).await,
        Resource::Bucket(r) => s3::create(&clients.s3, r, &clients.region).await,
        Resource::Repository(r) => codecommit::create(&clients.codecommit, r).await,
        Resource::LogGroup(r) => logs::create(&clients.logs, r).await,
        Resource::Project(r) => codebuild::create(&clients.codebuild, r).await,
        Resource::Application(r) => codedeploy::create_application(&clients.codedeploy, r).await,
        Resource::DeploymentConfig(r) => codedeploy::create_config(&clients.codedeploy, r).await,
        Resource::DeploymentGroup(r) => codedeploy::create_group(&clients.codedeploy, r).await,
        Resource::Pipeline(r) => codepipeline::create(&clients.codepipeline, r).await,
        Resource::Rule(r) => events::create(clients, r).await,
    }
}

/// Bring an existing resource to the desired properties, touching only what differs.
pub async fn update(
    clients: &Clients,
    desired: &Resource,
    live: &Resource,
) -> Result<(), AwsError> {
    match (desired, live) {
        (Resource::Role(d), Resource::Role(l)) => iam::update(&clients.iam, d, l).await,
        (Resource::RolePolicy(d), Resource::RolePolicy(_)) => {
            iam::put_policy(&clients.iam, d).await
        }
        (Resource::Bucket(d), Resource::Bucket(l)) => s3::update(&clients.s3, d, l).await,
        (Resource::Repository(d), Resource::Repository(l)) => {
            codecommit::update(clients, d, l).await
        }
        (Resource::LogGroup(d), Resource::LogGroup(l)) => logs::update(&clients.logs, d, l).await,
        (Resource::Project(d), Resource::Project(l)) => {
            codebuild::update(&clients.codebuild, d, l).await
        }
        (Resource::Application(d), Resource::Application(l)) => {
            codedeploy::update_application(clients, d, l).await
        }
        (Resource::DeploymentGroup(d), Resource::DeploymentGroup(l)) => {
            codedeploy::update_group(clients, d, l).await
        }
        (Resource::Pipeline(d), Resource::Pipeline(l)) => {
            codepipeline::update(&clients.codepipeline, d, l).await
        }
        (Resource::Rule(d), Resource::Rule(l)) => events::update(clients, d, l).await,
        // Deployment configs cannot change in place; the plan replaces them instead.
        _ => Err(AwsError {
            operation: "Update",
            subject: desired.id().to_string(),
            code: None,
            message: "this resource cannot be updated in place".to_owned(),
            kind: ErrorKind::Other,
        }),
    }
}

/// Options that make a delete more or less careful.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeleteOptions {
    /// Empty buckets even when they hold objects pipewright did not write.
    pub force: bool,
}

/// Delete a resource pipewright owns (buckets are emptied first).
pub async fn delete(
    clients: &Clients,
    live: &Resource,
    options: DeleteOptions,
) -> Result<(), AwsError> {
    match live {
        Resource::Role(r) => iam::delete(&clients.iam, &r.name).await,
        Resource::RolePolicy(r) => iam::delete_policy(&clients.iam, &r.role).await,
        Resource::Bucket(r) => s3::delete(&clients.s3, &r.name, options).await,
        Resource::Repository(r) => codecommit::delete(&clients.codecommit, &r.name).await,
        Resource::LogGroup(r) => logs::delete(&clients.logs, &r.name).await,
        Resource::Project(r) => codebuild::delete(&clients.codebuild, &r.name).await,
        Resource::Application(r) => {
            codedeploy::delete_application(&clients.codedeploy, &r.name).await
        }
        Resource::DeploymentConfig(r) => {
            codedeploy::delete_config(&clients.codedeploy, &r.name).await
        }
        Resource::DeploymentGroup(r) => {
            codedeploy::delete_group(&clients.codedeploy, &r.application, &r.name).await
        }
        Resource::Pipeline(r) => codepipeline::delete(&clients.codepipeline, &r.name).await,
        Resource::Rule(r) => events::delete(clients, &r.name).await,
    }
}

/// Ids of deployment groups in `application` and custom deployment configs named under `prefix`:
/// what an older spec may have created and the current one no longer names.
pub async fn discover(
    clients: &Clients,
    application: &str,
    config_prefix: &str,
) -> Result<Vec<ResourceId>, AwsError> {
    let (groups, configs) = tokio::join!(
        codedeploy::list_groups(&clients.codedeploy, application),
        codedeploy::list_configs(&clients.codedeploy, config_prefix),
    );
    let mut ids = groups?;
    ids.extend(configs?);
    Ok(ids)
}

/// A deployment group's id name is `application/group`.
#[must_use]
pub fn split_group_id(name: &str) -> (&str, &str) {
    name.split_once('/').unwrap_or(("", name))
}
