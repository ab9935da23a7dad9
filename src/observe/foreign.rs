//! Objects pipewright did not write, so `down` never empties a bucket of something it cannot
//! account for.
//!
//! The artifact bucket holds only what the pipeline writes: CodePipeline's artifacts under
//! `<pipeline name[:20]>/`, the build cache, and pipewright's own `pipewright/` objects. A site
//! bucket holds what the deploy action extracted from a build artifact, so an object is ours when
//! some build artifact still kept in the artifact bucket contains it.

use std::collections::BTreeSet;
use std::io::Cursor;

use futures::StreamExt;

use crate::aws::{AwsError, Clients, s3};
use crate::model::{BUILD_ARTIFACT, BucketPurpose, ForeignObjects};

/// How many build artifacts are opened to account for a site bucket's objects.
const MAX_ARTIFACTS: usize = 50;
const FETCHES_AT_ONCE: usize = 8;

/// The prefix CodePipeline stores this pipeline's artifacts under.
fn artifact_prefix(pipeline: &str) -> String {
    format!("{}/", pipeline.chars().take(20).collect::<String>())
}

fn artifact_key_is_ours(key: &str, pipeline: &str, base_name: &str) -> bool {
    key.starts_with("pipewright/")
        || key.starts_with(&artifact_prefix(pipeline))
        || key.starts_with(&format!("{base_name}/cache/"))
}

/// The objects in `bucket` that pipewright cannot account for.
pub(super) async fn foreign_objects(
    clients: &Clients,
    bucket: &str,
    purpose: BucketPurpose,
    artifact_bucket: &str,
    pipeline: &str,
    base_name: &str,
) -> Result<ForeignObjects, AwsError> {
    let keys = s3::list_keys(&clients.s3, bucket).await?;
    let foreign: Vec<String> = match purpose {
        BucketPurpose::Artifacts => keys
            .into_iter()
            .filter(|k| !artifact_key_is_ours(k, pipeline, base_name))
            .collect(),
        BucketPurpose::Site => {
            if keys.is_empty() {
                Vec::new()
            } else {
                let built = built_files(clients, artifact_bucket, pipeline).await?;
                keys.into_iter().filter(|k| !built.contains(k)).collect()
            }
        }
    };
    Ok(ForeignObjects {
        count: foreign.len(),
        examples: foreign.into_iter().take(3).collect(),
    })
}

/// Every file name in the build artifacts still kept in the artifact bucket.
async fn built_files(
    clients: &Clients,
    artifact_bucket: &str,
    pipeline: &str,
) -> Result<BTreeSet<String>, AwsError> {
    let prefix = format!(
        "{}{}/",
        artifact_prefix(pipeline),
        BUILD_ARTIFACT.chars().take(10).collect::<String>()
    );
    let keys = match s3::list_keys(&clients.s3, artifact_bucket).await {
        Ok(keys) => keys,
        // No artifact bucket (a partial `down`): nothing can be accounted for.
        Err(err) if err.is(crate::aws::ErrorKind::NotFound) => return Ok(BTreeSet::new()),
        Err(err) => return Err(err),
    };
    // The zips are fetched side by side: each is one round trip, and a site bucket is
    // usually checked right after a run has left several.
    let zips = keys
        .iter()
        .filter(|k| k.starts_with(&prefix))
        .take(MAX_ARTIFACTS)
        .map(|key| s3::get_bytes(&clients.s3, artifact_bucket, key));
    let mut fetched = futures::stream::iter(zips).buffer_unordered(FETCHES_AT_ONCE);
    let mut files = BTreeSet::new();
    while let Some(bytes) = fetched.next().await {
        if let Ok(archive) = zip::ZipArchive::new(Cursor::new(bytes?)) {
            files.extend(
                archive
                    .file_names()
                    .filter_map(Result::ok)
                    .map(std::borrow::Cow::into_owned),
            );
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_keys_are_recognised_by_prefix() {
        let pipeline = "a-very-long-pipeline-name-pipeline";
        assert!(artifact_key_is_ours(
            "a-very-long-pipeline/BuildOutpu/abc",
            pipeline,
            "x"
        ));
        assert!(artifact_key_is_ours("pipewright/lock.json", pipeline, "x"));
        assert!(artifact_key_is_ours("x/cache/blob", pipeline, "x"));
        assert!(!artifact_key_is_ours("backups/db.sql", pipeline, "x"));
    }
}
