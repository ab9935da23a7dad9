//! Where code and artifacts are kept: the artifact bucket, site buckets, the CodeCommit repository.

use super::policy::{self, document};
use super::{Bucket, BucketPurpose, Ctx, Lifecycle, Model, Repository, Resource, Website};
use crate::spec::Deploy;

/// Days before current artifacts expire, superseded versions expire, and stale uploads abort.
const ARTIFACT_EXPIRY: Lifecycle = Lifecycle {
    expire_days: 30,
    noncurrent_expire_days: 7,
    abort_multipart_days: 1,
};

pub(super) fn add(ctx: &Ctx<'_>, model: &mut Model) {
    model.push(Resource::Bucket(artifact_bucket(ctx)), &[]);
    for stage in ctx.spec.stages() {
        if let Deploy::S3(site) = stage.deploy {
            // The same bucket may serve several stages; it is one resource.
            if model
                .get(&crate::model::ResourceId::new(
                    super::Kind::Bucket,
                    &site.bucket,
                ))
                .is_none()
            {
                model.push(Resource::Bucket(site_bucket(ctx, site)), &[]);
            }
        }
    }
    if let Some(repository) = ctx.spec.codecommit_repository() {
        model.push(
            Resource::Repository(Repository {
                name: repository.to_owned(),
                description: format!("Source of the {} pipeline (pipewright)", ctx.names.base()),
                tags: ctx.tags.clone(),
            }),
            &[],
        );
    }
}

/// Private, versioned, encrypted, TLS-only, with old artifacts expiring.
fn artifact_bucket(ctx: &Ctx<'_>) -> Bucket {
    let arn = ctx.target.bucket_arn(&ctx.artifact_bucket);
    Bucket {
        name: ctx.artifact_bucket.clone(),
        purpose: Some(BucketPurpose::Artifacts),
        versioning: true,
        block_public_access: true,
        encryption: true,
        kms_key: ctx.spec.kms_key.clone(),
        policy: Some(document(&[policy::deny_insecure_transport(&arn)])),
        lifecycle: Some(ARTIFACT_EXPIRY),
        website: None,
        tags: ctx.tags.clone(),
    }
}

/// Private by default. A public website cannot be TLS-only: S3 website endpoints speak HTTP.
fn site_bucket(ctx: &Ctx<'_>, site: &crate::spec::S3Deploy) -> Bucket {
    let arn = ctx.target.bucket_arn(&site.bucket);
    let policy = if site.public {
        document(&[policy::public_read(&arn)])
    } else {
        document(&[policy::deny_insecure_transport(&arn)])
    };
    Bucket {
        name: site.bucket.clone(),
        purpose: Some(BucketPurpose::Site),
        versioning: false,
        block_public_access: !site.public,
        encryption: true,
        kms_key: None,
        policy: Some(policy),
        lifecycle: None,
        website: site.website.as_ref().map(|w| Website {
            index: w.index.clone(),
            error: w.error.clone(),
        }),
        tags: ctx.tags.clone(),
    }
}
