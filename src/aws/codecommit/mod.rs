//! CodeCommit: the source repository (the user's code: deleted only with `down --delete-repo`),
//! and in [`commits`] the few Git-data calls `pipewright push` needs.

pub(crate) mod commits;

use aws_sdk_codecommit::Client;

use super::error::{absent_is_none, ignore_not_found};
use super::{AwsError, Clients, SdkResultExt, tags};
use crate::model::{Facts, Kind, Live, Repository, Resource, ResourceId, Tags};

fn repository_id(name: &str) -> ResourceId {
    ResourceId::new(Kind::Repository, name)
}

pub(super) async fn read(clients: &Clients, name: &str) -> Result<Option<Live>, AwsError> {
    let client = &clients.codecommit;
    let arn = clients.target().repository_arn(name);
    // The repository and its tags at once: the ARN is computed, not looked up.
    let (got, tags) = tokio::join!(
        client.get_repository().repository_name(name).send(),
        read_tags(client, &arn, name)
    );
    let Some(metadata) = absent_is_none(got.about(repository_id(name)))?
        .and_then(|out| out.repository_metadata().cloned())
    else {
        return Ok(None);
    };
    // A default branch exists once anything was committed. Without one it is unknown here (a
    // branch made some other way): `down --delete-repo` then asks, as it does for commits.
    let has_commits = metadata.default_branch().is_some().then_some(true);
    let Some(tags) = absent_is_none(tags)? else {
        return Ok(None);
    };
    let repository = Resource::Repository(Repository {
        name: name.to_owned(),
        description: metadata
            .repository_description()
            .unwrap_or_default()
            .to_owned(),
        tags,
    });
    Ok(Some(Live::tagged(repository).with_facts(Facts {
        clone_url_http: metadata.clone_url_http().map(str::to_owned),
        clone_url_ssh: metadata.clone_url_ssh().map(str::to_owned),
        has_commits,
        ..Facts::default()
    })))
}

async fn read_tags(client: &Client, arn: &str, name: &str) -> Result<Tags, AwsError> {
    let mut tags = Tags::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_tags_for_resource()
            .resource_arn(arn)
            .set_next_token(token.take())
            .send()
            .await
            .about(repository_id(name))?;
        if let Some(found) = page.tags() {
            tags.extend(found.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if token.is_none() {
            return Ok(tags);
        }
    }
}

/// `OperationNotAllowedException` ("CreateRepository request is not allowed …", an account
/// CodeCommit is closed to) keeps its message: `diagnose::known` explains it.
pub(super) async fn create(client: &Client, repository: &Repository) -> Result<(), AwsError> {
    client
        .create_repository()
        .repository_name(&repository.name)
        .repository_description(&repository.description)
        .set_tags(Some(repository.tags.clone().into_iter().collect()))
        .send()
        .await
        .about(repository_id(&repository.name))?;
    Ok(())
}

pub(super) async fn update(
    clients: &Clients,
    desired: &Repository,
    live: &Repository,
) -> Result<(), AwsError> {
    let client = &clients.codecommit;
    let name = &desired.name;
    if desired.description != live.description {
        client
            .update_repository_description()
            .repository_name(name)
            .repository_description(&desired.description)
            .send()
            .await
            .about(repository_id(name))?;
    }
    tags::add_missing(&desired.tags, &live.tags, |missing| async move {
        client
            .tag_resource()
            .resource_arn(clients.target().repository_arn(name))
            .set_tags(Some(missing.into_iter().collect()))
            .send()
            .await
            .about(repository_id(name))
            .map(drop)
    })
    .await
}

/// Only reached with `down --delete-repo` (the plan keeps the repository otherwise). AWS answers
/// a repository already gone with a null id, not an error.
pub(super) async fn delete(client: &Client, name: &str) -> Result<(), AwsError> {
    ignore_not_found(
        client
            .delete_repository()
            .repository_name(name)
            .send()
            .await
            .about(repository_id(name)),
    )
}
