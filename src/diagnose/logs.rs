//! Reading a build's log stream: all of it fast, or the lines before the failure.
//!
//! `GetLogEvents` pages through one stream with tokens, and a token chain is sequential: with
//! 10 000 events a page and 50 ms a round trip, a long log takes seconds of waiting for nothing.
//! So [`read_all`] reads *time windows* of the stream concurrently: a first page tells the event
//! density, the rest of `[first, end]` is cut into windows of about a page each, and each window
//! is read forward from its `startTime` until an event at or past the next window's start shows
//! up (that event belongs to the next window, which reads it itself). Windows hand their pages to
//! the printer through bounded channels, drained in window order: output is in order, nothing is
//! held beyond a few pages per window in flight, and a million-line log streams through.
//!
//! Every call goes through one shared [`Limits`] budget; a throttling answer is retried with
//! exponential backoff and delays every reader (the client here has the SDK's own retries off so
//! that the shared limiter sees every attempt).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::Client;
use serde::Serialize;
use tokio::sync::mpsc;

use super::limiter::{Limits, RateLimiter};
use crate::aws::{AwsError, ErrorKind};

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
/// Windows read at once (each holds at most two pages).
const CONCURRENT_WINDOWS: usize = 6;
/// Windows a stream is cut into at most.
const MAX_WINDOWS: i64 = 64;
/// Consecutive empty pages with fresh tokens tolerated before a window gives up.
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
                .map_err(|e| {
                    AwsError::from_sdk("GetLogEvents", format!("log stream {}", request.stream), &e)
                })?;
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
                    .map_err(|e| {
                        AwsError::from_sdk("DescribeLogStreams", format!("log group {group}"), &e)
                    })
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

/// One window `[start, stop)` of the stream (`stop: None` = to the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    start: Option<i64>,
    stop: Option<i64>,
    /// Expected events, for the page size of the first call.
    expected: Option<i64>,
}

/// Everything in the stream from `since`, in order, through `emit`; returns the line count.
/// `end_hint`: when the stream's last event is expected (the build's end), else it is asked.
pub async fn read_all(
    reader: &Reader,
    group: &str,
    stream: &str,
    since: Option<i64>,
    end_hint: Option<i64>,
    mut emit: impl FnMut(&LogLine) -> std::io::Result<()>,
) -> Result<u64, ReadError> {
    let mut count = 0u64;
    let mut push = |line: &LogLine| -> Result<(), ReadError> {
        count += 1;
        emit(line).map_err(ReadError::Stopped)
    };
    // The first page: the start of the stream, and how dense it is.
    let first = Request {
        group,
        stream,
        start: since,
        end: None,
        head: true,
        limit: None,
    };
    let probe = reader.page(&first, None).await?;
    for line in &probe.events {
        push(line)?;
    }
    let (Some(head), Some(last)) = (probe.events.first(), probe.events.last()) else {
        // Empty from `since`: one more call proves the end (the token repeats).
        drain_window(reader, group, stream, since, probe.forward, &mut push).await?;
        return Ok(count);
    };
    let end = match end_hint {
        Some(end) => Some(end),
        None => reader.span(group, stream).await?.map(|(_, last)| last),
    };
    let windows = plan(
        head.timestamp,
        last.timestamp,
        probe.events.len(),
        end.unwrap_or(last.timestamp),
    );
    if windows.len() <= 1 {
        drain_window(reader, group, stream, since, probe.forward, &mut push).await?;
        return Ok(count);
    }
    // The probe's window continues from its token, up to the second window's start.
    #[allow(clippy::cast_possible_wrap)]
    let per_ms = probe.events.len() as i64 / (last.timestamp - head.timestamp + 1).max(1);
    let probe_window = Window {
        start: since,
        stop: windows[0].start,
        // What is left of the probe's last millisecond.
        expected: Some(per_ms + 1),
    };
    let (tx_windows, mut rx_windows) =
        mpsc::channel::<mpsc::Receiver<Result<Page, AwsError>>>(CONCURRENT_WINDOWS);
    let producer = {
        let reader = reader.clone();
        let group = group.to_owned();
        let stream = stream.to_owned();
        let token = probe.forward.clone();
        tokio::spawn(async move {
            let all = std::iter::once((probe_window, token))
                .chain(windows.into_iter().map(|w| (w, None)));
            for (window, token) in all {
                let (tx, rx) = mpsc::channel(1);
                if tx_windows.send(rx).await.is_err() {
                    return;
                }
                let reader = reader.clone();
                let group = group.clone();
                let stream = stream.clone();
                tokio::spawn(async move {
                    read_window(&reader, &group, &stream, window, token, &tx).await;
                });
            }
        })
    };
    let result = async {
        while let Some(mut pages) = rx_windows.recv().await {
            while let Some(page) = pages.recv().await {
                for line in &page?.events {
                    push(line)?;
                }
            }
        }
        Ok::<(), ReadError>(())
    }
    .await;
    producer.abort();
    result.map(|()| count)
}

/// Cut `(last, end]` into windows of about one page each (the probe read up to `last`).
fn plan(head: i64, last: i64, probe_events: usize, end: i64) -> Vec<Window> {
    if end <= last || probe_events == 0 {
        return Vec::new();
    }
    let probe_span = (last - head + 1).max(1);
    #[allow(clippy::cast_possible_wrap)]
    let probe_events = probe_events as i64;
    let rest = end - last;
    // Expected events after the probe, and pages of the probe's size to hold them.
    let expected = rest.saturating_mul(probe_events) / probe_span;
    let pages = (expected + probe_events - 1) / probe_events.max(1);
    let count = pages.clamp(1, MAX_WINDOWS).min(rest);
    let width = rest / count;
    (0..count)
        .map(|i| Window {
            start: Some(last + 1 + i * width),
            stop: (i + 1 < count).then(|| last + 1 + (i + 1) * width),
            expected: Some(expected / count),
        })
        .collect()
}

/// Read one window into `tx`, page by page (errors travel in order too).
async fn read_window(
    reader: &Reader,
    group: &str,
    stream: &str,
    window: Window,
    mut token: Option<String>,
    tx: &mpsc::Sender<Result<Page, AwsError>>,
) {
    let mut empty = 0;
    let mut first = true;
    loop {
        // Ask for about what the window should hold (plus margin): reading far past its end
        // costs the server as much as reading it.
        let limit = if first {
            window.expected.map(|e| {
                i32::try_from(e + e / 5 + 64)
                    .unwrap_or(PAGE_EVENTS)
                    .clamp(64, PAGE_EVENTS)
            })
        } else {
            None
        };
        first = false;
        let request = Request {
            group,
            stream,
            start: window.start,
            end: None,
            head: true,
            limit,
        };
        let mut page = match reader.page(&request, token.as_deref()).await {
            Ok(page) => page,
            Err(err) => {
                let _ = tx.send(Err(err)).await;
                return;
            }
        };
        let repeated = page.forward.is_some() && page.forward == token;
        let mut done = repeated;
        if let Some(stop) = window.stop
            && let Some(cut) = page.events.iter().position(|e| e.timestamp >= stop)
        {
            page.events.truncate(cut);
            done = true;
        }
        empty = if page.events.is_empty() { empty + 1 } else { 0 };
        if page.forward.is_none() || empty > MAX_EMPTY_PAGES {
            done = true;
        }
        token.clone_from(&page.forward);
        if !page.events.is_empty() && tx.send(Ok(page)).await.is_err() {
            return;
        }
        if done {
            return;
        }
    }
}

/// Read forward from `token` to the end of the stream, in this task.
async fn drain_window(
    reader: &Reader,
    group: &str,
    stream: &str,
    since: Option<i64>,
    mut token: Option<String>,
    push: &mut impl FnMut(&LogLine) -> Result<(), ReadError>,
) -> Result<(), ReadError> {
    let mut empty = 0;
    loop {
        let request = Request {
            group,
            stream,
            start: since,
            end: None,
            head: true,
            limit: None,
        };
        let page = reader.page(&request, token.as_deref()).await?;
        for line in &page.events {
            push(line)?;
        }
        empty = if page.events.is_empty() { empty + 1 } else { 0 };
        if page.forward.is_none() || page.forward == token || empty > MAX_EMPTY_PAGES {
            return Ok(());
        }
        token = page.forward;
    }
}

/// The last `lines` events at or before `until` (and from `since`), oldest first, cut after
/// the last line `is_end` accepts when there is one (the failure's own report). Reads backward
/// from `until`, so the log's length does not matter.
pub async fn read_before(
    reader: &Reader,
    group: &str,
    stream: &str,
    since: Option<i64>,
    until: Option<i64>,
    lines: usize,
    is_end: impl Fn(&str) -> bool,
) -> Result<Vec<LogLine>, AwsError> {
    if lines == 0 {
        return Ok(Vec::new());
    }
    // Newest first, at most `lines` after the end marker is found (plus what came after it,
    // until it is found: bounded by the margin past `until` we asked for).
    let mut newest_first: VecDeque<LogLine> = VecDeque::new();
    let mut marker_found = false;
    let mut token: Option<String> = None;
    let limit = i32::try_from(lines + 16)
        .unwrap_or(PAGE_EVENTS)
        .min(PAGE_EVENTS);
    loop {
        let request = Request {
            group,
            stream,
            start: since,
            end: until,
            head: false,
            limit: Some(limit),
        };
        let page = reader.page(&request, token.as_deref()).await?;
        for line in page.events.into_iter().rev() {
            if let Some(until) = until
                && line.timestamp > until
            {
                continue;
            }
            if !marker_found && is_end(&line.message) {
                marker_found = true;
                newest_first.clear();
            }
            newest_first.push_back(line);
            if marker_found && newest_first.len() >= lines {
                break;
            }
        }
        let full = marker_found && newest_first.len() >= lines;
        if full || page.backward.is_none() || page.backward == token {
            break;
        }
        if !marker_found && newest_first.len() >= lines * 4 + PAGE_EVENTS as usize {
            // No marker within reach: the newest lines are the best answer.
            break;
        }
        token = page.backward;
    }
    newest_first.truncate(lines);
    Ok(newest_first.into_iter().rev().collect())
}

#[cfg(test)]
mod tests {
    use super::{Window, plan};

    #[test]
    fn windows_hold_about_a_page_each_and_the_last_is_open() {
        // 10 000 events in the first 100 ms, the stream runs to 1 000 ms: ~9 more pages.
        let windows = plan(0, 99, 10_000, 999);
        assert_eq!(windows.len(), 9);
        assert_eq!(windows[0].start, Some(100));
        assert_eq!(windows.last().map(|w| w.stop), Some(None));
        for pair in windows.windows(2) {
            assert_eq!(pair[0].stop, pair[1].start);
        }
    }

    #[test]
    fn a_stream_read_whole_by_its_first_page_needs_no_windows() {
        assert_eq!(plan(0, 500, 300, 500), Vec::<Window>::new());
        // Sparse tail: one window.
        assert_eq!(plan(0, 500, 300, 510).len(), 1);
    }
}
