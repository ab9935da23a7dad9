//! Reading a build's log stream: all of it fast, or the lines before the failure.
//!
//! `GetLogEvents` pages through one stream with tokens, and a token chain is sequential: with
//! 10 000 events a page and 50 ms a round trip, a long log takes seconds of waiting for nothing.
//! So [`read_all`] runs two chains at once, forward from the head and backward from the end,
//! meeting in the middle (see there why not time windows). The forward chain prints as it reads;
//! the backward one holds a bounded number of pages, so a million-line log streams through in
//! constant memory (the forward chain simply does most of the work).
//!
//! Every call goes through one shared [`Limits`] budget; a throttling answer is retried with
//! exponential backoff and delays every reader (the client here has the SDK's own retries off so
//! that the shared limiter sees every attempt).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::Client;
use serde::Serialize;

use super::limiter::{Limits, RateLimiter};
use crate::aws::{AwsError, ErrorKind, SdkResultExt};

/// One log event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    /// Epoch milliseconds.
    pub timestamp: i64,
    /// The message without its trailing newline.
    pub message: String,
}

/// What the server hands back for one call.
#[derive(Debug, Default)]
struct Page {
    events: Vec<LogLine>,
    forward: Option<String>,
    backward: Option<String>,
}

/// A failure while reading: the AWS side, or the consumer (a closed pipe) asking to stop.
#[derive(Debug)]
pub enum ReadError {
    Aws(AwsError),
    Stopped(std::io::Error),
}

impl From<AwsError> for ReadError {
    fn from(err: AwsError) -> Self {
        ReadError::Aws(err)
    }
}

/// Events per page GetLogEvents returns at most.
pub const PAGE_EVENTS: i32 = 10_000;
/// How many events back from the failure its report is looked for.
const MARKER_SEARCH: usize = 2 * PAGE_EVENTS as usize;
/// Consecutive empty pages with fresh tokens tolerated before a chain gives up.
const MAX_EMPTY_PAGES: usize = 100;

/// A CloudWatch Logs reader sharing one rate budget; cheap to clone.
#[derive(Debug, Clone)]
pub struct Reader {
    client: Client,
    limits: Arc<Limits>,
    /// Backoff before the first retry of a throttled call.
    backoff: Duration,
}

impl Reader {
    /// A reader over a copy of `client` with the SDK's retries off (the shared limiter retries).
    #[must_use]
    pub fn new(client: &Client) -> Self {
        let config = client
            .config()
            .to_builder()
            .retry_config(aws_sdk_cloudwatchlogs::config::retry::RetryConfig::disabled())
            .build();
        Self::with_limits(Client::from_conf(config), Arc::new(Limits::default()))
    }

    #[must_use]
    pub fn with_limits(client: Client, limits: Arc<Limits>) -> Self {
        Self {
            client,
            limits,
            backoff: Duration::from_millis(200),
        }
    }

    /// Make throttling retries quick (tests).
    #[must_use]
    pub fn with_backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// Run `call` under `limiter`, retrying throttling and transient failures with backoff.
    async fn limited<T, F, Fut>(&self, limiter: &RateLimiter, mut call: F) -> Result<T, AwsError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, AwsError>>,
    {
        let mut delay = self.backoff;
        let mut attempt = 0;
        loop {
            limiter.acquire().await;
            match call().await {
                Ok(value) => return Ok(value),
                Err(err) if attempt < 10 && retryable(&err) => {
                    attempt += 1;
                    if err.is(ErrorKind::Throttled) {
                        limiter.penalize(delay);
                    }
                    let jitter = Duration::from_millis(u64::from(
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map_or(0, |d| d.subsec_nanos())
                            % 50,
                    ));
                    tokio::time::sleep(delay + jitter).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
                Err(err) => return Err(err),
            }
        }
    }

    async fn page(&self, request: &Request<'_>, token: Option<&str>) -> Result<Page, AwsError> {
        self.limited(&self.limits.get_log_events, || async {
            let out = self
                .client
                .get_log_events()
                .log_group_name(request.group)
                .log_stream_name(request.stream)
                .set_start_time(request.start)
                .set_end_time(request.end)
                .set_next_token(token.map(str::to_owned))
                .start_from_head(request.head)
                .set_limit(request.limit)
                .send()
                .await
                .about(format_args!("log stream {}", request.stream))?;
            Ok(Page {
                events: out
                    .events
                    .unwrap_or_default()
                    .into_iter()
                    .map(|e| LogLine {
                        timestamp: e.timestamp.unwrap_or(0),
                        message: trim_newline(e.message.unwrap_or_default()),
                    })
                    .collect(),
                forward: out.next_forward_token,
                backward: out.next_backward_token,
            })
        })
        .await
    }

    /// The stream's `[firstEventTimestamp, lastEventTimestamp]`, when it exists.
    pub async fn span(&self, group: &str, stream: &str) -> Result<Option<(i64, i64)>, AwsError> {
        let out = self
            .limited(&self.limits.describe_log_streams, || async {
                self.client
                    .describe_log_streams()
                    .log_group_name(group)
                    .log_stream_name_prefix(stream)
                    .send()
                    .await
                    .about(format_args!("log group {group}"))
            })
            .await?;
        Ok(out
            .log_streams()
            .iter()
            .find(|s| s.log_stream_name() == Some(stream))
            .and_then(|s| Some((s.first_event_timestamp?, s.last_event_timestamp?))))
    }

    /// Read forward from `token` (or from `start`) until the stream's current end; `None`
    /// back when nothing new was written. The returned token continues the read (tail).
    pub(crate) async fn next_page(
        &self,
        group: &str,
        stream: &str,
        start: Option<i64>,
        token: Option<&str>,
    ) -> Result<(Vec<LogLine>, Option<String>), AwsError> {
        let request = Request {
            group,
            stream,
            start,
            end: None,
            head: true,
            limit: None,
        };
        let page = self.page(&request, token).await?;
        Ok((page.events, page.forward))
    }
}

fn retryable(err: &AwsError) -> bool {
    matches!(err.kind, ErrorKind::Throttled | ErrorKind::ServiceFailure)
}

fn trim_newline(mut message: String) -> String {
    while message.ends_with('\n') || message.ends_with('\r') {
        message.pop();
    }
    message
}

struct Request<'a> {
    group: &'a str,
    stream: &'a str,
    start: Option<i64>,
    end: Option<i64>,
    head: bool,
    limit: Option<i32>,
}

/// What the backward chain has read, shared with the forward chain under one lock.
#[derive(Debug)]
struct Meeting {
    /// The backward chain holds every event at or after this timestamp.
    from: i64,
    /// The newest timestamp the forward chain has printed.
    printed: Option<i64>,
    /// The forward chain reached `from`: the backward chain stops.
    met: bool,
    /// The backward chain's pages, oldest first (each already cut to `>= from`).
    pages: VecDeque<Vec<LogLine>>,
}

/// Backward pages held at most (about 0.6 MB each): the bound on memory for any stream length.
const BACKWARD_PAGES: usize = 6;

/// Everything in the stream from `since`, in order, through `emit`; returns the line count.
///
/// Two token chains run at once: one forward from the head (printed as it arrives), one
/// backward from the end (held, at most [`BACKWARD_PAGES`] pages). They meet in the middle: the
/// backward chain owns every event at or after the oldest full millisecond it read, the forward
/// chain everything before, so no event is printed twice or skipped even when one millisecond
/// holds thousands of lines. Two chains halve the round trips of one while asking no more pages
/// than one does (plus the one where they meet): time windows would need a density estimate,
/// and build logs come in bursts that make any estimate cost extra calls against the 10 TPS
/// quota.
pub async fn read_all(
    reader: &Reader,
    group: &str,
    stream: &str,
    since: Option<i64>,
    emit: impl FnMut(&LogLine) -> std::io::Result<()>,
) -> Result<u64, ReadError> {
    let meeting = Shared(std::sync::Mutex::new(Meeting {
        from: i64::MAX,
        printed: None,
        met: false,
        pages: VecDeque::new(),
    }));
    let request = |head| Request {
        group,
        stream,
        start: since,
        end: None,
        head,
        limit: None,
    };
    let (head, tail) = (request(true), request(false));
    let (count, ()) = tokio::join!(
        forward_chain(reader, &head, &meeting, emit),
        backward_chain(reader, &tail, &meeting),
    );
    count
}

/// The meeting of the two chains, under one lock.
struct Shared(std::sync::Mutex<Meeting>);

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Meeting> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// From the head: print each page up to where the backward chain begins, then the pages the
/// backward chain holds. Returns how many lines were printed.
async fn forward_chain(
    reader: &Reader,
    request: &Request<'_>,
    meeting: &Shared,
    mut emit: impl FnMut(&LogLine) -> std::io::Result<()>,
) -> Result<u64, ReadError> {
    let mut count = 0u64;
    let mut token: Option<String> = None;
    let mut empty = 0;
    loop {
        let page = reader.page(request, token.as_deref()).await?;
        let cut = {
            let mut meet = meeting.lock();
            let cut = page
                .events
                .iter()
                .position(|e| e.timestamp >= meet.from)
                .unwrap_or(page.events.len());
            if let Some(last) = page.events[..cut].last() {
                meet.printed = Some(last.timestamp);
            }
            if cut < page.events.len() {
                meet.met = true;
            }
            cut
        };
        for line in &page.events[..cut] {
            count += 1;
            emit(line).map_err(ReadError::Stopped)?;
        }
        if cut < page.events.len() {
            break;
        }
        empty = if page.events.is_empty() { empty + 1 } else { 0 };
        if page.forward.is_none() || page.forward == token || empty > MAX_EMPTY_PAGES {
            // The end: whatever the backward chain holds starts after this.
            meeting.lock().met = true;
            break;
        }
        token = page.forward;
    }
    // The rest was read backward.
    let pages = std::mem::take(&mut meeting.lock().pages);
    for page in pages {
        for line in &page {
            count += 1;
            emit(line).map_err(ReadError::Stopped)?;
        }
    }
    Ok(count)
}

/// From the end: hold whole milliseconds of events, oldest page first, until the chains meet
/// or [`BACKWARD_PAGES`] are held. A failed read only ends this chain: the forward chain reads
/// everything on its own.
async fn backward_chain(reader: &Reader, request: &Request<'_>, meeting: &Shared) {
    let mut token: Option<String> = None;
    // Events of the oldest millisecond read so far: an older page may hold more of it, so
    // they are only owned once the next page shows where that millisecond starts.
    let mut carry: Vec<LogLine> = Vec::new();
    loop {
        let Ok(page) = reader.page(request, token.as_deref()).await else {
            return;
        };
        let done = page.events.is_empty()
            || page.backward.is_none()
            || page.backward == token
            || carry.len() > PAGE_EVENTS as usize;
        let mut events = page.events;
        events.append(&mut carry);
        let Some(oldest) = events.first().map(|e| e.timestamp) else {
            return;
        };
        let from = oldest.saturating_add(1);
        let split = events.partition_point(|e| e.timestamp < from);
        {
            let mut meet = meeting.lock();
            if meet.met || meet.printed.is_some_and(|p| p >= from) || from >= meet.from {
                return;
            }
            let kept = events.split_off(split);
            carry = events;
            meet.from = from;
            if !kept.is_empty() {
                meet.pages.push_front(kept);
            }
            if meet.pages.len() >= BACKWARD_PAGES {
                return;
            }
        }
        if done {
            return;
        }
        token = page.backward;
    }
}

/// Which lines [`read_before`] returns.
#[derive(Clone, Copy, Default)]
pub struct Window<'a> {
    /// Only lines from here (epoch ms).
    pub since: Option<i64>,
    /// Only lines up to here (epoch ms).
    pub until: Option<i64>,
    /// How many lines.
    pub lines: usize,
    /// The failure's own report: the lines end at the newest line it accepts.
    pub marker: Option<&'a dyn Fn(&str) -> bool>,
    /// The lines worth showing (the others are skipped and not counted); `None`: every line.
    pub keep: Option<&'a dyn Fn(&str) -> bool>,
}

/// The last `window.lines` events at or before `until` (and from `since`) that `keep` accepts,
/// oldest first. With a `marker` (the failure's own report), the lines end at the newest line it
/// accepts, looked for within [`MARKER_SEARCH`] events; without one, they are simply the newest.
/// Reads backward from `until`, so the log's length does not matter.
pub async fn read_before(
    reader: &Reader,
    group: &str,
    stream: &str,
    window: &Window<'_>,
) -> Result<Vec<LogLine>, AwsError> {
    let Window {
        since,
        until,
        lines,
        marker,
        keep,
    } = *window;
    if lines == 0 {
        return Ok(Vec::new());
    }
    // Newest first: while looking for the marker, everything since the newest line (bounded by
    // MARKER_SEARCH); once found (or without a marker), the marker and the lines before it.
    let mut newest_first: VecDeque<LogLine> = VecDeque::new();
    let mut found = marker.is_none();
    let mut searched = 0usize;
    let mut token: Option<String> = None;
    loop {
        // A first page just big enough; bigger ones while the marker is still to be found.
        let want = if found || token.is_none() {
            lines + 64
        } else {
            PAGE_EVENTS as usize
        };
        let request = Request {
            group,
            stream,
            start: since,
            end: until,
            head: false,
            limit: Some(i32::try_from(want).unwrap_or(PAGE_EVENTS).min(PAGE_EVENTS)),
        };
        let page = reader.page(&request, token.as_deref()).await?;
        for line in page.events.into_iter().rev() {
            if until.is_some_and(|until| line.timestamp > until) {
                continue;
            }
            if !found {
                searched += 1;
                if marker.is_some_and(|is_end| is_end(&line.message)) {
                    found = true;
                    newest_first.clear();
                }
            }
            if keep.is_some_and(|keep| !keep(&line.message)) {
                continue;
            }
            newest_first.push_back(line);
            if found && newest_first.len() >= lines {
                break;
            }
        }
        let done = found && newest_first.len() >= lines;
        if done || page.backward.is_none() || page.backward == token {
            break;
        }
        if !found && searched >= MARKER_SEARCH {
            // No marker within reach: the newest lines are the best answer.
            break;
        }
        token = page.backward;
    }
    newest_first.truncate(lines);
    Ok(newest_first.into_iter().rev().collect())
}
