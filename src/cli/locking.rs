//! Holding the pipeline's lock around a change (see `aws::lock` for why it lives in AWS).

use std::time::Duration;

use crate::apply;
use crate::aws::Clients;
use crate::aws::lock::{self, Lock, LockError};
use crate::error::{Error, Result};
use crate::model::{Model, Resource, ResourceId};
use crate::output::Output;

/// Take the lock in the artifact bucket. `up` creates the bucket first when it does not exist
/// yet (it is the first resource any pipeline needs); `down` passes `create: false` and gets
/// `None` when there is no bucket to lock. Says so when it has to wait.
pub(crate) async fn take(
    clients: &Clients,
    model: &Model,
    command: &str,
    wait_secs: u64,
    create: bool,
    creating: &[ResourceId],
    out: Output,
) -> Result<Option<Lock>> {
    let Some(bucket) = model.resources.iter().find(|r| {
        matches!(r, Resource::Bucket(b) if b.purpose == Some(crate::model::BucketPurpose::Artifacts))
    }) else {
        return Err(Error::failed("the model has no artifact bucket", None));
    };
    let name = bucket.name().to_owned();
    if create {
        apply::converge_one(clients, bucket, &apply::Options::new(&model.owner, 1))
            .await
            .map_err(|e| super::session::aws_error(&e, clients))?;
    } else if crate::aws::read(clients, &bucket.id())
        .await
        .map_err(|e| super::session::aws_error(&e, clients))?
        .is_none()
    {
        return Ok(None);
    }
    let first = lock::acquire(clients, &name, command, creating, Duration::ZERO).await;
    let result = match first {
        Err(LockError::Held(holder)) if wait_secs > 0 => {
            if !out.quiet && !out.is_json() {
                eprintln!(
                    "Waiting up to {wait_secs}s: pipeline {} is locked by {holder}",
                    model.owner
                );
            }
            lock::acquire(
                clients,
                &name,
                command,
                creating,
                Duration::from_secs(wait_secs),
            )
            .await
        }
        other => other,
    };
    result.map(Some).map_err(|err| match err {
        LockError::Held(holder) => Error::failed(
            format!(
                "pipeline {} is locked by {holder}; nothing was changed",
                model.owner
            ),
            Some(
                "wait for that run to finish (or pass --lock-wait SECONDS); a lock whose process \
                 died is taken over automatically"
                    .to_owned(),
            ),
        ),
        LockError::Aws(e) => super::session::aws_error(&e, clients),
    })
}
