//! CodeCommit: the source repository (the user's code: deleted only with `down --delete-repo`),
//! and in [`commits`] the few Git-data calls `pipewright push` needs.

pub(crate) mod commits;

use aws_sdk_codecommit::Client;

use super::error::ignore_not_found;
use super::{AwsError, Clients, ErrorKind, tags};
use crate::model::{Facts, Live, Owner, Repository, Resource, Tags, Target};

fn subject(name: &str) -> String {
    format!("CodeCommit repository {name}")
}

fn repository_arn(clients: &Clients, name: &str) -> String {
    Target::new(clients.account_id.as_str(), clients.region.as_str()).repository_arn(name)
}

pub(super) async fn read(clients: &Clients, name: &str) -> Result<Option<Live>, AwsError> {
    let client = &clients.codecommit;
    let arn = repository_arn(clients, name);
    // The repository and its tags at once: the ARN is computed, not looked up.
    let (got, tags) = tokio::join!(
        client.get_repository().repository_name(name).send(),
        read_tags(client, &arn, name)
    );
    let metadata = match got {
        Ok(out) => out.repository_metadata().cloned(),
        Err(e) => {
            let err = AwsError::from_sdk("GetRepository", subject(name), &e);
            return if err.is(ErrorKind::NotFound) {
                Ok(None)
            } else {
                Err(err)
            };
        }
    };
    let Some(metadata) = metadata else {
        return Ok(None);
    };
    // A default branch exists once anything was committed. Without one it is unknown here (a
    // branch made some other way): `down --delete-repo` then asks, as it does for commits.
    let has_commits = metadata.default_branch().is_some().then_some(true);
    let tags = match tags {
        Ok(tags) => tags,
        Err(err) if err.is(ErrorKind::NotFound) => return Ok(None),
        Err(err) => return Err(err),
    };
    Ok(Some(Live {
        owner: Owner::of(&tags),
        resource: Resource::Repository(Repository {
            name: name.to_owned(),
            description: metadata
                .repository_description()
                .unwrap_or_default()
                .to_owned(),
            tags,
        }),
        facts: Facts {
            clone_url_http: metadata.clone_url_http().map(str::to_owned),
            clone_url_ssh: metadata.clone_url_ssh().map(str::to_owned),
            has_commits,
            references: Vec::new(),
        },
    }))
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
            .map_err(|e| AwsError::from_sdk("ListTagsForResource", subject(name), &e))?;
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
        .map_err(|e| AwsError::from_sdk("CreateRepository", subject(&repository.name), &e))?;
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
            .map_err(|e| AwsError::from_sdk("UpdateRepositoryDescription", subject(name), &e))?;
    }
    let missing = tags::to_set(&desired.tags, &live.tags);
    if !missing.is_empty() {
        client
            .tag_resource()
            .resource_arn(repository_arn(clients, name))
            .set_tags(Some(missing.into_iter().collect()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("TagResource", subject(name), &e))?;
    }
    Ok(())
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
            .map_err(|e| AwsError::from_sdk("DeleteRepository", subject(name), &e)),
    )
}
