//! S3 buckets: the artifact bucket and site buckets, each a bundle of sub-configurations
//! (versioning, public access block, encryption, policy, lifecycle, website, tags) that S3 stores
//! and returns separately — read concurrently, written only where they differ.

use aws_sdk_s3::Client;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint,
    BucketVersioningStatus, CreateBucketConfiguration, Delete, ErrorDocument, ExpirationStatus,
    IndexDocument, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter,
    NoncurrentVersionExpiration, ObjectIdentifier, PublicAccessBlockConfiguration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule, Tag, Tagging, VersioningConfiguration, WebsiteConfiguration,
};

use super::error::{absent_is_none, ignore_not_found, invalid_request};
use super::{AwsError, DeleteOptions, ErrorKind, SdkResultExt};
use crate::model::{Bucket, Kind, Lifecycle, Live, Resource, ResourceId, Tags, Website};

/// DeleteObjects takes at most this many keys per call.
const DELETE_BATCH: usize = 1000;

fn bucket_id(name: &str) -> ResourceId {
    ResourceId::new(Kind::Bucket, name)
}

fn invalid(operation: &'static str, name: &str, err: &impl std::fmt::Display) -> AwsError {
    invalid_request(operation, bucket_id(name).to_string(), err)
}

/// All eight reads at once: whether the bucket exists (HeadBucket) decides what the others mean,
/// so a missing bucket costs seven wasted calls, an existing one a round trip less.
pub(super) async fn read(client: &Client, name: &str) -> Result<Option<Live>, AwsError> {
    let (head, tagging, versioning, public_access, encryption, policy, lifecycle, website) = tokio::join!(
        client.head_bucket().bucket(name).send(),
        client.get_bucket_tagging().bucket(name).send(),
        client.get_bucket_versioning().bucket(name).send(),
        client.get_public_access_block().bucket(name).send(),
        client.get_bucket_encryption().bucket(name).send(),
        client.get_bucket_policy().bucket(name).send(),
        client
            .get_bucket_lifecycle_configuration()
            .bucket(name)
            .send(),
        client.get_bucket_website().bucket(name).send(),
    );
    let id = bucket_id(name);
    if let Err(err) = head.about(&id) {
        return match err.kind {
            ErrorKind::NotFound => Ok(None),
            // A 403 on HeadBucket: the name exists in another account.
            ErrorKind::AccessDenied => Err(AwsError {
                kind: ErrorKind::NameTakenElsewhere,
                message: "the bucket exists but belongs to another AWS account".to_owned(),
                ..err
            }),
            _ => Err(err),
        };
    }
    let tags: Tags = absent_is_none(tagging.about(&id))?
        .map(|out| {
            out.tag_set()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let versioning = versioning.about(&id)?.status() == Some(&BucketVersioningStatus::Enabled);
    let block_public_access = absent_is_none(public_access.about(&id))?
        .and_then(|out| out.public_access_block_configuration().cloned())
        .is_some_and(|c| blocks_all(&c));
    let by_default = absent_is_none(encryption.about(&id))?
        .and_then(|out| out.server_side_encryption_configuration().cloned())
        .and_then(|c| {
            c.rules()
                .iter()
                .find_map(|r| r.apply_server_side_encryption_by_default().cloned())
        });
    let encryption = by_default.is_some();
    let kms_key = by_default
        .filter(|d| *d.sse_algorithm() == ServerSideEncryption::AwsKms)
        .and_then(|d| d.kms_master_key_id().map(str::to_owned));
    let policy = absent_is_none(policy.about(&id))?
        .and_then(|out| out.policy().map(str::to_owned))
        .map(|text| serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)));
    let lifecycle = absent_is_none(lifecycle.about(&id))?
        .and_then(|out| out.rules().iter().find_map(pipewright_lifecycle));
    let website = absent_is_none(website.about(&id))?.and_then(|out| {
        out.index_document().map(|index| Website {
            index: index.suffix().to_owned(),
            error: out.error_document().map(|e| e.key().to_owned()),
        })
    });
    Ok(Some(Live::tagged(Resource::Bucket(Bucket {
        name: name.to_owned(),
        purpose: None,
        versioning,
        block_public_access,
        encryption,
        kms_key,
        policy,
        lifecycle,
        website,
        tags,
    }))))
}

/// All four Block Public Access settings on.
fn blocks_all(c: &PublicAccessBlockConfiguration) -> bool {
    c.block_public_acls() == Some(true)
        && c.ignore_public_acls() == Some(true)
        && c.block_public_policy() == Some(true)
        && c.restrict_public_buckets() == Some(true)
}

/// The one lifecycle rule pipewright owns, in the model's shape (other rules are the user's).
fn pipewright_lifecycle(rule: &LifecycleRule) -> Option<Lifecycle> {
    (rule.id() == Some(Lifecycle::RULE_ID)).then(|| Lifecycle {
        expire_days: days(rule.expiration().and_then(LifecycleExpiration::days)),
        noncurrent_expire_days: days(
            rule.noncurrent_version_expiration()
                .and_then(NoncurrentVersionExpiration::noncurrent_days),
        ),
        abort_multipart_days: days(
            rule.abort_incomplete_multipart_upload()
                .and_then(AbortIncompleteMultipartUpload::days_after_initiation),
        ),
    })
}

fn days(value: Option<i32>) -> u32 {
    value.and_then(|d| u32::try_from(d).ok()).unwrap_or(0)
}

pub(super) async fn create(client: &Client, bucket: &Bucket, region: &str) -> Result<(), AwsError> {
    create_bare(client, &bucket.name, region).await?;
    let blank = Bucket {
        name: bucket.name.clone(),
        purpose: bucket.purpose,
        versioning: false,
        // New AWS buckets block public access by default (since April 2023), emulators do not:
        // always write the setting, so a public site lifts the block before its policy.
        block_public_access: !bucket.block_public_access,
        encryption: false,
        kms_key: None,
        policy: None,
        lifecycle: None,
        website: None,
        tags: Tags::new(),
    };
    update(client, bucket, &blank).await
}

/// CreateBucket alone; `true` when this call created it (`false`: it was already ours).
pub async fn create_bare(client: &Client, name: &str, region: &str) -> Result<bool, AwsError> {
    let mut request = client.create_bucket().bucket(name);
    // us-east-1 is the one Region that refuses an explicit location constraint.
    if region != "us-east-1" {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    match request.send().await.about(bucket_id(name)) {
        Ok(_) => Ok(true),
        // Ours already: a retried call whose first response was lost, or a concurrent run.
        Err(err) if err.code.as_deref() == Some("BucketAlreadyOwnedByYou") => Ok(false),
        Err(err) => Err(err),
    }
}

/// Writes each sub-configuration that differs; they are independent, so they go concurrently,
/// except that a public policy must wait for the public access block to be lifted.
pub(super) async fn update(
    client: &Client,
    desired: &Bucket,
    live: &Bucket,
) -> Result<(), AwsError> {
    let name = desired.name.as_str();
    let access_and_policy = async {
        let block = async {
            if desired.block_public_access != live.block_public_access {
                put_public_access_block(client, name, desired.block_public_access).await?;
            }
            Ok::<(), AwsError>(())
        };
        let policy = async {
            if desired.policy != live.policy {
                put_policy(client, name, desired.policy.as_ref()).await?;
            }
            Ok::<(), AwsError>(())
        };
        if desired.block_public_access {
            // A private bucket's block and its (non-public) policy do not depend on each other.
            let (block, policy) = tokio::join!(block, policy);
            block.and(policy)
        } else {
            // A public policy is refused while the block is on: lift it first.
            block.await?;
            policy.await
        }
    };
    let versioning = async {
        if desired.versioning != live.versioning {
            put_versioning(client, name, desired.versioning).await?;
        }
        Ok(())
    };
    let encryption = async {
        if desired.encryption && (!live.encryption || desired.kms_key != live.kms_key) {
            put_encryption(client, name, desired.kms_key.as_deref()).await?;
        }
        Ok(())
    };
    let lifecycle = async {
        if desired.lifecycle != live.lifecycle {
            put_lifecycle(client, name, desired.lifecycle.as_ref()).await?;
        }
        Ok(())
    };
    let website = async {
        if desired.website != live.website {
            put_website(client, name, desired.website.as_ref()).await?;
        }
        Ok(())
    };
    let tagging = async {
        if !super::tags::to_set(&desired.tags, &live.tags).is_empty() {
            // PutBucketTagging replaces the whole set: keep the user's own tags.
            let mut all = live.tags.clone();
            all.extend(desired.tags.clone());
            put_tags(client, name, &all).await?;
        }
        Ok(())
    };
    let results = tokio::join!(
        access_and_policy,
        versioning,
        encryption,
        lifecycle,
        website,
        tagging
    );
    results.0?;
    results.1?;
    results.2?;
    results.3?;
    results.4?;
    results.5?;
    Ok(())
}

async fn put_public_access_block(client: &Client, name: &str, block: bool) -> Result<(), AwsError> {
    client
        .put_public_access_block()
        .bucket(name)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(block)
                .ignore_public_acls(block)
                .block_public_policy(block)
                .restrict_public_buckets(block)
                .build(),
        )
        .send()
        .await
        .about(bucket_id(name))?;
    Ok(())
}

async fn put_policy(
    client: &Client,
    name: &str,
    policy: Option<&serde_json::Value>,
) -> Result<(), AwsError> {
    match policy {
        Some(policy) => {
            client
                .put_bucket_policy()
                .bucket(name)
                .policy(policy.to_string())
                .send()
                .await
                .about(bucket_id(name))?;
            Ok(())
        }
        None => ignore_not_found(
            client
                .delete_bucket_policy()
                .bucket(name)
                .send()
                .await
                .about(bucket_id(name)),
        ),
    }
}

async fn put_versioning(client: &Client, name: &str, enabled: bool) -> Result<(), AwsError> {
    let status = if enabled {
        BucketVersioningStatus::Enabled
    } else {
        BucketVersioningStatus::Suspended
    };
    client
        .put_bucket_versioning()
        .bucket(name)
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .about(bucket_id(name))?;
    Ok(())
}

/// SSE-S3, or SSE-KMS with the customer-managed key (with an S3 Bucket Key, which cuts the KMS
/// requests, and so their cost, per object).
async fn put_encryption(
    client: &Client,
    name: &str,
    kms_key: Option<&str>,
) -> Result<(), AwsError> {
    let by_default = match kms_key {
        Some(key) => ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::AwsKms)
            .kms_master_key_id(key),
        None => {
            ServerSideEncryptionByDefault::builder().sse_algorithm(ServerSideEncryption::Aes256)
        }
    }
    .build()
    .map_err(|e| invalid("PutBucketEncryption", name, &e))?;
    let configuration = ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(by_default)
                .bucket_key_enabled(kms_key.is_some())
                .build(),
        )
        .build()
        .map_err(|e| invalid("PutBucketEncryption", name, &e))?;
    client
        .put_bucket_encryption()
        .bucket(name)
        .server_side_encryption_configuration(configuration)
        .send()
        .await
        .about(bucket_id(name))?;
    Ok(())
}

async fn put_lifecycle(
    client: &Client,
    name: &str,
    lifecycle: Option<&Lifecycle>,
) -> Result<(), AwsError> {
    let Some(lifecycle) = lifecycle else {
        return ignore_not_found(
            client
                .delete_bucket_lifecycle()
                .bucket(name)
                .send()
                .await
                .about(bucket_id(name)),
        );
    };
    let to_i32 = |d: u32| i32::try_from(d).unwrap_or(i32::MAX);
    let rule = LifecycleRule::builder()
        .id(Lifecycle::RULE_ID)
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .expiration(
            LifecycleExpiration::builder()
                .days(to_i32(lifecycle.expire_days))
                .build(),
        )
        .noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(to_i32(lifecycle.noncurrent_expire_days))
                .build(),
        )
        .abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(to_i32(lifecycle.abort_multipart_days))
                .build(),
        )
        .build()
        .map_err(|e| invalid("PutBucketLifecycleConfiguration", name, &e))?;
    let configuration = BucketLifecycleConfiguration::builder()
        .rules(rule)
        .build()
        .map_err(|e| invalid("PutBucketLifecycleConfiguration", name, &e))?;
    client
        .put_bucket_lifecycle_configuration()
        .bucket(name)
        .lifecycle_configuration(configuration)
        .send()
        .await
        .about(bucket_id(name))?;
    Ok(())
}

async fn put_website(
    client: &Client,
    name: &str,
    website: Option<&Website>,
) -> Result<(), AwsError> {
    let Some(website) = website else {
        return ignore_not_found(
            client
                .delete_bucket_website()
                .bucket(name)
                .send()
                .await
                .about(bucket_id(name)),
        );
    };
    let mut configuration = WebsiteConfiguration::builder().index_document(
        IndexDocument::builder()
            .suffix(&website.index)
            .build()
            .map_err(|e| invalid("PutBucketWebsite", name, &e))?,
    );
    if let Some(error) = &website.error {
        configuration = configuration.error_document(
            ErrorDocument::builder()
                .key(error)
                .build()
                .map_err(|e| invalid("PutBucketWebsite", name, &e))?,
        );
    }
    client
        .put_bucket_website()
        .bucket(name)
        .website_configuration(configuration.build())
        .send()
        .await
        .about(bucket_id(name))?;
    Ok(())
}

/// Replace a bucket's tags.
pub async fn put_tags(client: &Client, name: &str, tags: &Tags) -> Result<(), AwsError> {
    let tag_set = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid("PutBucketTagging", name, &e))?;
    client
        .put_bucket_tagging()
        .bucket(name)
        .tagging(
            Tagging::builder()
                .set_tag_set(Some(tag_set))
                .build()
                .map_err(|e| invalid("PutBucketTagging", name, &e))?,
        )
        .send()
        .await
        .about(bucket_id(name))?;
    Ok(())
}

/// Empties the bucket — every object version and delete marker, in batches of 1000 — then
/// deletes it.
pub(super) async fn delete(
    client: &Client,
    name: &str,
    _options: DeleteOptions,
) -> Result<(), AwsError> {
    match empty(client, name).await {
        Ok(()) => {}
        Err(err) if err.is(ErrorKind::NotFound) => return Ok(()),
        Err(err) => return Err(err),
    }
    ignore_not_found(
        client
            .delete_bucket()
            .bucket(name)
            .send()
            .await
            .about(bucket_id(name)),
    )
}

async fn empty(client: &Client, name: &str) -> Result<(), AwsError> {
    let mut key_marker: Option<String> = None;
    let mut version_marker: Option<String> = None;
    loop {
        let page = client
            .list_object_versions()
            .bucket(name)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .max_keys(i32::try_from(DELETE_BATCH).unwrap_or(1000))
            .send()
            .await
            .about(bucket_id(name))?;
        let mut identifiers = Vec::new();
        for version in page.versions() {
            if let Some(key) = version.key() {
                identifiers.push((key.to_owned(), version.version_id().map(str::to_owned)));
            }
        }
        for marker in page.delete_markers() {
            if let Some(key) = marker.key() {
                identifiers.push((key.to_owned(), marker.version_id().map(str::to_owned)));
            }
        }
        for chunk in identifiers.chunks(DELETE_BATCH) {
            let objects = chunk
                .iter()
                .map(|(key, version)| {
                    ObjectIdentifier::builder()
                        .key(key)
                        .set_version_id(version.clone())
                        .build()
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| invalid("DeleteObjects", name, &e))?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| invalid("DeleteObjects", name, &e))?;
            let out = client
                .delete_objects()
                .bucket(name)
                .delete(delete)
                .send()
                .await
                .about(bucket_id(name))?;
            if let Some(error) = out.errors().first() {
                return Err(AwsError {
                    operation: "DeleteObjects",
                    subject: bucket_id(name).to_string(),
                    code: error.code().map(str::to_owned),
                    message: format!(
                        "could not delete {}: {}",
                        error.key().unwrap_or("an object"),
                        error.message().unwrap_or("unknown error")
                    ),
                    kind: ErrorKind::Other,
                });
            }
        }
        if page.is_truncated() == Some(true) {
            key_marker = page.next_key_marker().map(str::to_owned);
            version_marker = page.next_version_id_marker().map(str::to_owned);
        } else {
            return Ok(());
        }
    }
}

/// Keys of the current objects in a bucket (all pages).
pub async fn list_keys(client: &Client, name: &str) -> Result<Vec<String>, AwsError> {
    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_objects_v2()
            .bucket(name)
            .set_continuation_token(token.clone())
            .send()
            .await
            .about(bucket_id(name))?;
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
        match page.next_continuation_token() {
            Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_owned()),
            _ => return Ok(keys),
        }
    }
}

/// One object's bytes.
pub async fn get_bytes(client: &Client, name: &str, key: &str) -> Result<Vec<u8>, AwsError> {
    let out = client
        .get_object()
        .bucket(name)
        .key(key)
        .send()
        .await
        .about(format!("s3://{name}/{key}"))?;
    out.body
        .collect()
        .await
        .map(|b| b.into_bytes().to_vec())
        .map_err(|e| AwsError {
            operation: "GetObject",
            subject: format!("s3://{name}/{key}"),
            code: None,
            message: e.to_string(),
            kind: ErrorKind::Unreachable,
        })
}
