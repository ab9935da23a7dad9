//! The object an S3 source action reads: checked, compared by digest, uploaded (`pipewright
//! push` for `source: s3:`). The bucket is the user's; pipewright never creates it, and changes
//! only its EventBridge delivery, which the source's rule needs (see `model::Rule`).

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketVersioningStatus, EventBridgeConfiguration, NotificationConfiguration,
};

use super::error::absent_is_none;
use super::{AwsError, SdkResultExt};
use crate::model::{Kind, ResourceId};

/// The user metadata key holding the SHA-256 of the zip pipewright uploaded.
const DIGEST_KEY: &str = "pipewright-sha256";

fn object(bucket: &str, key: &str) -> String {
    format!("s3://{bucket}/{key}")
}

/// Whether the bucket keeps versions (CodePipeline's S3 source needs them). A missing bucket is
/// a `NotFound` error.
pub(crate) async fn versioned(client: &Client, bucket: &str) -> Result<bool, AwsError> {
    let out = client
        .get_bucket_versioning()
        .bucket(bucket)
        .send()
        .await
        .about(ResourceId::new(Kind::Bucket, bucket))?;
    Ok(out.status() == Some(&BucketVersioningStatus::Enabled))
}

/// The digest pipewright recorded on the current object, if there is one.
pub(crate) async fn digest(
    client: &Client,
    bucket: &str,
    key: &str,
) -> Result<Option<String>, AwsError> {
    let head = client.head_object().bucket(bucket).key(key).send().await;
    Ok(absent_is_none(head.about(object(bucket, key)))?
        .and_then(|out| out.metadata().and_then(|m| m.get(DIGEST_KEY)).cloned()))
}

/// Upload the zip; returns the new version id (when the bucket is versioned).
pub(crate) async fn upload(
    client: &Client,
    bucket: &str,
    key: &str,
    zip: Vec<u8>,
    sha256: &str,
) -> Result<Option<String>, AwsError> {
    let out = client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("application/zip")
        .metadata(DIGEST_KEY, sha256)
        .body(ByteStream::from(zip))
        .send()
        .await
        .about(object(bucket, key))?;
    Ok(out.version_id().map(str::to_owned))
}

/// Whether the bucket sends its object events to EventBridge (what an S3 source's rule needs).
pub(crate) async fn eventbridge_on(client: &Client, bucket: &str) -> Result<bool, AwsError> {
    let out = client
        .get_bucket_notification_configuration()
        .bucket(bucket)
        .send()
        .await
        .about(ResourceId::new(Kind::Bucket, bucket))?;
    Ok(out.event_bridge_configuration().is_some())
}

/// Turn the bucket's EventBridge delivery on or off, keeping every other notification of the
/// bucket as it is (the call replaces the whole configuration). Returns whether it changed.
pub(crate) async fn set_eventbridge(
    client: &Client,
    bucket: &str,
    on: bool,
) -> Result<bool, AwsError> {
    let id = ResourceId::new(Kind::Bucket, bucket);
    let current = client
        .get_bucket_notification_configuration()
        .bucket(bucket)
        .send()
        .await
        .about(&id)?;
    if current.event_bridge_configuration().is_some() == on {
        return Ok(false);
    }
    let configuration = NotificationConfiguration::builder()
        .set_topic_configurations(Some(current.topic_configurations().to_vec()))
        .set_queue_configurations(Some(current.queue_configurations().to_vec()))
        .set_lambda_function_configurations(Some(current.lambda_function_configurations().to_vec()))
        .set_event_bridge_configuration(on.then(|| EventBridgeConfiguration::builder().build()))
        .build();
    client
        .put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(configuration)
        .send()
        .await
        .about(&id)?;
    Ok(true)
}
