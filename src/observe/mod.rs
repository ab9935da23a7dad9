//! Reading the live state a plan needs, concurrently.
//!
//! Three sources of ids: the desired model, the fixed names any pipeline of this name may own
//! ([`Model::candidates`]), and what AWS itself says was made (the deployment groups of our
//! application, our custom deployment configs, and every resource the live pipeline refers to).
//! With no local state file, this is how a resource an older spec created is found again.

mod foreign;

use std::collections::BTreeSet;

use futures::stream::{self, StreamExt};

use crate::aws::{self, AwsError, Clients, ErrorKind};
use crate::model::{Kind, Live, LiveState, Model, Resource, ResourceId};

pub use foreign::{ForeignObjects, foreign_objects};

/// Read everything; every read error is returned (a plan on partial knowledge is unsafe).
pub async fn observe(
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
