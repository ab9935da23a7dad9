//! The object an S3 source action reads: checked, compared by digest, uploaded (`pipewright
//! push` for `source: s3:`). The bucket is the user's; pipewright never creates or changes it.

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::BucketVersioningStatus;

use super::{AwsError, ErrorKind};

/// The user metadata key holding the SHA-256 of the zip pipewright uploaded.
const DIGEST_KEY: &str = "pipewright-sha256";

fn subject(bucket: &str, key: &str) -> String {
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
        .map_err(|e| {
            AwsError::from_sdk("GetBucketVersioning", format!("S3 bucket {bucket}"), &e)
        })?;
    Ok(out.status() == Some(&BucketVersioningStatus::Enabled))
}

/// The digest pipewright recorded on the current object, if there is one.
pub(crate) async fn digest(
    client: &Client,
    bucket: &str,
    key: &str,
) -> Result<Option<String>, AwsError> {
    match client.head_object().bucket(bucket).key(key).send().await {
        Ok(out) => Ok(out.metadata().and_then(|m| m.get(DIGEST_KEY)).cloned()),
        Err(e) => {
            let err = AwsError::from_sdk("HeadObject", subject(bucket, key), &e);
            if err.is(ErrorKind::NotFound) {
                Ok(None)
            } else {
                Err(err)
            }
        }
    }
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
        .map_err(|e| AwsError::from_sdk("PutObject", subject(bucket, key), &e))?;
    Ok(out.version_id().map(str::to_owned))
}
