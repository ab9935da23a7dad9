//! Holding the pipeline's lock around a change (see `aws::lock` for why it lives in AWS).

use std::time::Duration;

use crate::aws::lock::{self, Lock, LockError};
use crate::aws::{Clients, s3};
use crate::error::{Error, Result};
use crate::model::{Model, Resource, ResourceId};
use crate::output::Output;

/// The lock, and whether taking it created the artifact bucket (then no other run can have
/// acted on this pipeline before us, and the plan made before the lock still holds).
pub(crate) struct Taken {
    pub lock: Option<Lock>,
    pub created_bucket: bool,
}

/// Whether another run holds the pipeline's lock now (read only: takes nothing). What such a run
/// is in the middle of creating (a bucket not yet tagged) must not be judged foreign.
pub(crate) async fn held(clients: &Clients, model: &Model) -> Result<bool> {
    let Some(bucket) = artifact_bucket(model) else {
        return Ok(false);
    };
    let holder = lock::peek(clients, bucket.name())
        .await
        .map_err(|e| super::session::aws_error(&e, clients))?;
    Ok(holder.is_some_and(|h| h.is_live()))
}

fn artifact_bucket(model: &Model) -> Option<&Resource> {
    model.resources.iter().find(|r| {
        matches!(r, Resource::Bucket(b) if b.purpose == Some(crate::model::BucketPurpose::Artifacts))
    })
}

/// Take the lock in the artifact bucket. `up` creates the bucket first when it does not exist
/// yet (it is the first resource any pipeline needs): CreateBucket, then its tags and the lock
/// together; the rest of its configuration is the plan's to apply. `down` passes
/// `create: false` and gets no lock when there is no bucket. Says so when it has to wait.
pub(crate) async fn take(
    clients: &Clients,
    model: &Model,
    command: &str,
    wait_secs: u64,
    create: bool,
    creating: &[ResourceId],
    out: Output,
) -> Result<Taken> {
    let Some(bucket) = artifact_bucket(model) else {
        return Err(Error::failed("the model has no artifact bucket", None));
    };
    let name = bucket.name().to_owned();
    let aws_error = |e: &crate::aws::AwsError| super::session::aws_error(e, clients);
    let mut created_bucket = false;
    let first = if create {
        created_bucket = s3::create_bare(&clients.s3, &name, &clients.region)
            .await
            .map_err(|e| aws_error(&e))?;
        let tags = bucket.tags().cloned().unwrap_or_default();
        let (tagged, locked) = tokio::join!(
            s3::put_tags(&clients.s3, &name, &tags),
            lock::acquire(clients, &name, command, creating, Duration::ZERO),
        );
        tagged.map_err(|e| aws_error(&e))?;
        locked
    } else {
        match lock::acquire(clients, &name, command, creating, Duration::ZERO).await {
            // No artifact bucket: nothing of this pipeline's is left to guard.
            Err(LockError::Aws(err)) if err.is(crate::aws::ErrorKind::NotFound) => {
                return Ok(Taken {
                    lock: None,
                    created_bucket,
                });
            }
            other => other,
        }
    };
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
    let lock = result.map_err(|err| match err {
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
    })?;
    Ok(Taken {
        lock: Some(lock),
        created_bucket,
    })
}
