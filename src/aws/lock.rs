//! A lock that lives in AWS, so two `up`/`down` runs for one pipeline never interleave.
//!
//! There is no local state, so the lock is an object in the pipeline's own artifact bucket,
//! created with S3's conditional write (`If-None-Match: *`): exactly one writer wins. It names its
//! holder and expires, so a crashed run cannot block the pipeline forever: an expired lock, or
//! one held by a process that no longer exists on this host, is taken over (deleted with
//! `If-Match` on its ETag, so two takers cannot both win).
//!
//! The lock is also a write-ahead journal: it lists the resources the run is about to create
//! that S3 cannot tag at creation (buckets). If the run is killed between CreateBucket and
//! PutBucketTagging, the next run reads the journal and knows the untagged bucket is its own.

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

use super::error::absent_is_none;
use super::{AwsError, Clients, ErrorKind, SdkResultExt};
use crate::model::{Kind, ResourceId};

/// Where the lock lives inside the artifact bucket. Objects under `pipewright/` are pipewright's.
pub const LOCK_KEY: &str = "pipewright/lock.json";

/// How long a lock is valid without renewal; a live holder renews it every third of this.
const TTL: Duration = Duration::from_mins(10);

/// Who holds the lock, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub command: String,
    pub host: String,
    pub pid: u32,
    /// Seconds since the Unix epoch.
    pub acquired_at: u64,
    pub expires_at: u64,
    /// Resources this run creates that cannot be tagged in the same call.
    #[serde(default)]
    pub creating: Vec<ResourceId>,
}

impl Holder {
    fn now(command: &str, creating: &[ResourceId]) -> Self {
        let now = unix_now();
        Self {
            command: command.to_owned(),
            host: hostname(),
            pid: std::process::id(),
            acquired_at: now,
            expires_at: now + TTL.as_secs(),
            creating: creating.to_vec(),
        }
    }

    /// Whether a run still holds this lock (it has not expired and its process lives).
    pub fn is_live(&self) -> bool {
        !self.is_stale()
    }

    /// A lock whose holder can no longer release it.
    fn is_stale(&self) -> bool {
        if self.expires_at <= unix_now() {
            return true;
        }
        // Same host: a holder process that is gone (or is not pipewright) is dead.
        self.host == hostname() && !process_is_pipewright(self.pid)
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let age = unix_now().saturating_sub(self.acquired_at);
        write!(
            f,
            "`pipewright {}` (pid {} on {}) since {age}s ago, expiring in {}s",
            self.command,
            self.pid,
            self.host,
            self.expires_at.saturating_sub(unix_now())
        )
    }
}

/// Why the lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Someone else holds it, still after waiting.
    Held(Holder),
    Aws(AwsError),
}

impl From<AwsError> for LockError {
    fn from(err: AwsError) -> Self {
        LockError::Aws(err)
    }
}

/// A held lock; renewed in the background until [`Lock::release`].
pub struct Lock {
    clients: Clients,
    bucket: String,
    etag: std::sync::Arc<tokio::sync::Mutex<String>>,
    renewer: JoinHandle<()>,
}

/// Take the lock in `bucket`, waiting up to `wait` for another holder to finish.
pub async fn acquire(
    clients: &Clients,
    bucket: &str,
    command: &str,
    creating: &[ResourceId],
    wait: Duration,
) -> Result<Lock, LockError> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut creating = creating.to_vec();
    loop {
        let holder = Holder::now(command, &creating);
        match put(clients, bucket, &holder, None).await? {
            Put::Written(etag) => return Ok(Lock::start(clients, bucket, holder, etag)),
            Put::Taken => {}
        }
        let Some((current, etag)) = read(clients, bucket).await? else {
            continue; // released between our two calls
        };
        // Our own write, whose reply was lost and whose retry then found it: ours.
        if current.host == hostname() && current.pid == std::process::id() {
            return Ok(Lock::start(clients, bucket, current, etag));
        }
        if current.is_stale() {
            // The dead run's journal stays true until its buckets are tagged: carry it over.
            for id in current.creating {
                if !creating.contains(&id) {
                    creating.push(id);
                }
            }
            take_over(clients, bucket, &etag).await?;
            continue;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(LockError::Held(current));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

enum Put {
    Written(String),
    Taken,
}

async fn put(
    clients: &Clients,
    bucket: &str,
    holder: &Holder,
    if_match: Option<&str>,
) -> Result<Put, AwsError> {
    let body = serde_json::to_vec(holder).unwrap_or_default();
    let mut request = clients
        .s3
        .put_object()
        .bucket(bucket)
        .key(LOCK_KEY)
        .content_type("application/json")
        .body(ByteStream::from(body));
    request = match if_match {
        Some(etag) => request.if_match(etag),
        None => request.if_none_match("*"),
    };
    match request.send().await.about(lock_in(bucket)) {
        Ok(out) => Ok(Put::Written(out.e_tag().unwrap_or_default().to_owned())),
        Err(err) if is_precondition_failed(&err) => Ok(Put::Taken),
        Err(err) => Err(err),
    }
}

/// The current holder, if any (stale or not), without taking the lock.
pub async fn peek(clients: &Clients, bucket: &str) -> Result<Option<Holder>, AwsError> {
    match read(clients, bucket).await {
        Ok(found) => Ok(found.map(|(holder, _)| holder)),
        Err(err) if err.is(ErrorKind::NotFound) => Ok(None),
        Err(err) => Err(err),
    }
}

async fn read(clients: &Clients, bucket: &str) -> Result<Option<(Holder, String)>, AwsError> {
    let got = clients
        .s3
        .get_object()
        .bucket(bucket)
        .key(LOCK_KEY)
        .send()
        .await
        .about(lock_in(bucket));
    let Some(out) = absent_is_none(got)? else {
        return Ok(None);
    };
    let etag = out.e_tag().unwrap_or_default().to_owned();
    let bytes = out
        .body
        .collect()
        .await
        .map(|b| b.into_bytes().to_vec())
        .unwrap_or_default();
    // An unreadable lock is treated as stale: it cannot name a live holder.
    let holder = serde_json::from_slice(&bytes).unwrap_or(Holder {
        command: "unknown".to_owned(),
        host: String::new(),
        pid: 0,
        acquired_at: 0,
        expires_at: 0,
        creating: Vec::new(),
    });
    Ok(Some((holder, etag)))
}

/// Delete a stale lock, but only the version we looked at.
async fn take_over(clients: &Clients, bucket: &str, etag: &str) -> Result<(), AwsError> {
    let deleted = clients
        .s3
        .delete_object()
        .bucket(bucket)
        .key(LOCK_KEY)
        .if_match(etag)
        .send()
        .await
        .about(lock_in(bucket));
    match deleted {
        // Someone else took it over first; the loop tries again.
        Err(err) if is_precondition_failed(&err) || err.is(ErrorKind::NotFound) => Ok(()),
        other => other.map(drop),
    }
}

/// `lock in S3 bucket <bucket>`: what the lock's calls are about.
fn lock_in(bucket: &str) -> String {
    format!("lock in {}", ResourceId::new(Kind::Bucket, bucket))
}

fn is_precondition_failed(err: &AwsError) -> bool {
    matches!(
        err.code.as_deref(),
        Some("PreconditionFailed" | "ConditionalRequestConflict")
    )
}

impl Lock {
    fn start(clients: &Clients, bucket: &str, holder: Holder, etag: String) -> Self {
        let etag = std::sync::Arc::new(tokio::sync::Mutex::new(etag));
        let renewer = {
            let clients = clients.clone();
            let bucket = bucket.to_owned();
            let etag = std::sync::Arc::clone(&etag);
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(TTL / 3).await;
                    let mut current = etag.lock().await;
                    let holder = Holder::now(&holder.command, &holder.creating);
                    if let Ok(Put::Written(next)) =
                        put(&clients, &bucket, &holder, Some(current.as_str())).await
                    {
                        *current = next;
                    }
                }
            })
        };
        Self {
            clients: clients.clone(),
            bucket: bucket.to_owned(),
            etag,
            renewer,
        }
    }

    /// Release the lock (only if it is still ours). Failing to release is not an error: the
    /// lock expires, and a `down` may already have emptied the bucket it lived in.
    pub async fn release(self) {
        self.renewer.abort();
        let etag = self.etag.lock().await.clone();
        let _ = take_over(&self.clients, &self.bucket, &etag).await;
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".to_owned())
}

/// Whether `pid` is a live pipewright process. Where `/proc` does not exist, assume alive and
/// rely on expiry.
fn process_is_pipewright(pid: u32) -> bool {
    if !std::path::Path::new("/proc/self").exists() {
        return true;
    }
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .is_ok_and(|name| name.trim().starts_with("pipewright"))
}
