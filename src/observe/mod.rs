//! Reading the live state a plan needs, concurrently, with every owner resolved.
//!
//! Three sources of ids: the desired model, the fixed names any pipeline of this name may own
//! ([`Model::candidates`]), and what AWS itself says was made (the deployment groups of our
//! application, our custom deployment configs, and every resource the live pipeline refers to).
//! With no local state file, this is how a resource an older spec created is found again.
//!
//! Ownership is decided here, once (`owners.rs`): everything above (`plan`, `apply`, `down`) asks
//! [`Live::owner`](crate::model::Live::owner) and never looks at tags itself.

mod foreign;
mod owners;

use std::collections::BTreeSet;

use futures::stream::{self, StreamExt};

use crate::aws::{self, AwsError, Clients, ErrorKind};
use crate::model::{Kind, Live, LiveState, Model, Resource, ResourceId};
use crate::spec::Spec;

/// What to observe.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub spec: &'a Spec,
    /// The desired model of `spec`.
    pub model: &'a Model,
    /// Reads in flight at once (twice this many).
    pub parallelism: usize,
    /// Look inside the buckets pipewright owns for objects it did not write
    /// ([`Facts::foreign_objects`](crate::model::Facts::foreign_objects)): what `down` needs
    /// before it deletes a bucket, unless `--force`.
    pub bucket_contents: bool,
}

/// Why the live state could not be known. A plan on partial knowledge is unsafe, so there is no
/// partial result.
#[derive(Debug)]
pub enum ObserveError {
    /// Reading resources failed: the first error, and how many more there were.
    Read { first: AwsError, more: usize },
    /// Looking inside a bucket (to decide who owns it or what it holds) failed.
    Contents(AwsError),
}

/// Read everything this pipeline may own, and resolve who owns each.
pub async fn observe(clients: &Clients, request: &Request<'_>) -> Result<LiveState, ObserveError> {
    let Request { spec, model, .. } = *request;
    let names = spec.names();
    let candidates = Model::candidates(spec, &model.target);
    let artifact_bucket = model.artifact_bucket().unwrap_or_default();
    let application = names.codedeploy_application();
    let config_prefix = names.deployment_config_prefix();
    let (state, journal) = tokio::join!(
        read_all(
            clients,
            model,
            &candidates,
            &application,
            &config_prefix,
            request.parallelism,
        ),
        aws::lock::peek(clients, artifact_bucket),
    );
    let mut state = state.map_err(|mut errors| ObserveError::Read {
        more: errors.len() - 1,
        first: errors.swap_remove(0),
    })?;
    let buckets = owners::Buckets {
        clients,
        artifact_bucket,
        pipeline: names.pipeline(),
        base_name: names.base(),
    };
    // An unreadable lock names no journal: ownership then rests on tags and contents.
    let journal = journal.ok().flatten().map(|holder| holder.creating);
    owners::resolve(&mut state, &model.owner, journal.as_deref(), &buckets)
        .await
        .map_err(ObserveError::Contents)?;
    if request.bucket_contents {
        owners::inspect(&mut state, &model.owner, &buckets)
            .await
            .map_err(ObserveError::Contents)?;
    }
    Ok(state)
}

/// Read every resource; every read error is returned (a plan on partial knowledge is unsafe).
async fn read_all(
    clients: &Clients,
    model: &Model,
    candidates: &[ResourceId],
    application: &str,
    config_prefix: &str,
    parallelism: usize,
) -> Result<LiveState, Vec<AwsError>> {
    let mut ids: BTreeSet<ResourceId> = model.resources.iter().map(Resource::id).collect();
    ids.extend(candidates.iter().cloned());

    // Discovery (what an older spec made) runs alongside the first round of reads; what it
    // finds that no other source named is read in the next round, with the pipeline's references.
    let first: Vec<ResourceId> = ids.iter().cloned().collect();
    let (discovered, results) = tokio::join!(
        aws::discover(clients, application, config_prefix),
        read_round(clients, first, parallelism),
    );
    let discovered = match discovered {
        Ok(found) => found,
        // An emulator without ListDeploymentConfigs or a missing application: nothing to find.
        Err(err) if matches!(err.kind, ErrorKind::NotFound | ErrorKind::NotImplemented) => {
            Vec::new()
        }
        Err(err) => return Err(vec![err]),
    };

    let mut state = LiveState::new();
    let mut errors = Vec::new();
    let mut seen = ids;
    let mut pending: Vec<ResourceId> = discovered
        .into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect();
    let mut results = results;
    loop {
        for (id, result) in results {
            match result {
                Ok(Some(live)) => {
                    if id.kind == Kind::Pipeline && live.owner.is(&model.owner) {
                        for reference in &live.facts.references {
                            if seen.insert(reference.clone()) {
                                pending.push(reference.clone());
                            }
                        }
                    }
                    state.insert(id, live);
                }
                Ok(None) => {}
                Err(err) => errors.push(err),
            }
        }
        if pending.is_empty() {
            break;
        }
        results = read_round(clients, std::mem::take(&mut pending), parallelism).await;
    }
    if errors.is_empty() {
        Ok(state)
    } else {
        Err(errors)
    }
}

/// Read a set of resources concurrently.
async fn read_round(
    clients: &Clients,
    ids: Vec<ResourceId>,
    parallelism: usize,
) -> Vec<(ResourceId, Result<Option<Live>, AwsError>)> {
    stream::iter(ids)
        .map(|id| async move {
            let result = aws::read(clients, &id).await;
            (id, result)
        })
        .buffer_unordered(parallelism.max(1) * 2)
        .collect()
        .await
}
