//! Who owns each live resource: the one place it is decided.
//!
//! A resource's own ownership tag decides, except where a killed run can leave a resource of
//! ours untagged: S3 cannot tag a bucket in the call that creates it. Two pieces of evidence
//! cover that gap, both for buckets only:
//! - the lock's journal (`aws::lock`), which lists the buckets a run was about to create;
//! - the artifact bucket's name, which is this pipeline's alone: untagged, holding nothing but
//!   what pipewright writes, it is a bucket a killed run created before tagging it.

use crate::aws::{AwsError, Clients};
use crate::model::{BucketPurpose, Kind, LiveState, Owner, ResourceId};

use super::foreign::foreign_objects;

/// What looking inside this pipeline's buckets needs.
pub(super) struct Buckets<'a> {
    pub clients: &'a Clients,
    pub artifact_bucket: &'a str,
    /// The CodePipeline pipeline's name (its artifacts are stored under a prefix of it).
    pub pipeline: String,
    /// The spec's `name` (the build cache's prefix).
    pub base_name: &'a str,
}

impl Buckets<'_> {
    fn purpose(&self, bucket: &str) -> BucketPurpose {
        if bucket == self.artifact_bucket {
            BucketPurpose::Artifacts
        } else {
            BucketPurpose::Site
        }
    }

    async fn foreign(&self, bucket: &str) -> Result<crate::model::ForeignObjects, AwsError> {
        foreign_objects(
            self.clients,
            bucket,
            self.purpose(bucket),
            self.artifact_bucket,
            &self.pipeline,
            self.base_name,
        )
        .await
    }
}

/// Resolve every owner `state` holds for the pipeline named `owner`.
pub(super) async fn resolve(
    state: &mut LiveState,
    owner: &str,
    journal: Option<&[ResourceId]>,
    buckets: &Buckets<'_>,
) -> Result<(), AwsError> {
    let ours = || Owner::Pipeline(owner.to_owned());
    for id in journal.unwrap_or_default() {
        if let Some(live) = state.get_mut(id)
            && live.owner == Owner::Untagged
        {
            live.owner = ours();
        }
    }
    let artifacts = ResourceId::new(Kind::Bucket, buckets.artifact_bucket);
    if let Some(live) = state.get_mut(&artifacts)
        && live.owner == Owner::Untagged
        && buckets.foreign(buckets.artifact_bucket).await?.count == 0
    {
        live.owner = ours();
    }
    Ok(())
}

/// Record, for every bucket the pipeline owns, the objects pipewright did not write.
pub(super) async fn inspect(
    state: &mut LiveState,
    owner: &str,
    buckets: &Buckets<'_>,
) -> Result<(), AwsError> {
    let ours: Vec<ResourceId> = state
        .iter()
        .filter(|(id, live)| id.kind == Kind::Bucket && live.owner.is(owner))
        .map(|(id, _)| id.clone())
        .collect();
    let found = futures::future::join_all(ours.iter().map(|id| buckets.foreign(&id.name))).await;
    for (id, foreign) in ours.iter().zip(found) {
        let foreign = foreign?;
        if let Some(live) = state.get_mut(id) {
            live.facts.foreign_objects = Some(foreign);
        }
    }
    Ok(())
}
