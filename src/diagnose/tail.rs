//! `logs --follow`: tail the pipeline's running builds as their lines are written.
//!
//! Each build's stream is polled with `GetLogEvents` and its `nextForwardToken`: a token never
//! skips or repeats an event, so the common path needs no de-duplication. The interval adapts:
//! right away again after a page with lines, doubling up to 1 s while the stream is quiet, so a
//! new line shows within ~1 s (`aws logs tail --follow` sleeps 5 s between rounds). When a token
//! is lost (expired, rejected) the stream is re-read from the last timestamp seen, and the events
//! at that timestamp already printed are skipped by (timestamp, message) — the boundary where a
//! re-read overlaps. A stream is done once its build is over and a read returns the same token
//! (the end) after a short grace for late ingestion.
//!
//! Discovery runs once a second: the newest execution (or `--execution`), its build actions and
//! their log streams; a new execution is followed when it starts. Every stream shares one rate
//! budget ([`super::limiter`]).

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::time::Duration;

use tokio::time::Instant;

use super::codebuild;
use super::logs::{LogLine, ReadError, Reader};
use super::state::{self, ActionView, ExecutionView, Selector, Status};
use crate::aws::{AwsError, Clients};

const FAST: Duration = Duration::from_millis(100);
const SLOW: Duration = Duration::from_secs(1);
/// After its build ends, a stream is read until quiet for this long (CloudWatch ingests late).
const GRACE: Duration = Duration::from_millis(1_500);
const DISCOVERY: Duration = Duration::from_secs(1);

/// One stream being tailed.
#[derive(Debug)]
pub struct Follower {
    reader: Reader,
    pub group: String,
    pub stream: String,
    token: Option<String>,
    start: Option<i64>,
    /// The newest timestamp printed, and how many times each message was printed at it.
    last: Option<i64>,
    at_last: HashMap<u64, usize>,
    /// After a re-read from `last`: events at `last` still to skip.
    skip: HashMap<u64, usize>,
    interval: Duration,
    next_poll: Instant,
    finished_at: Option<Instant>,
    pub drained: bool,
}

fn fingerprint(message: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    message.hash(&mut hasher);
    hasher.finish()
}

impl Follower {
    #[must_use]
    pub fn new(reader: Reader, group: &str, stream: &str, since: Option<i64>) -> Self {
        Self {
            reader,
            group: group.to_owned(),
            stream: stream.to_owned(),
            token: None,
            start: since,
            last: None,
            at_last: HashMap::new(),
            skip: HashMap::new(),
            interval: FAST,
            next_poll: Instant::now(),
            finished_at: None,
            drained: false,
        }
    }

    /// The build behind the stream is over: drain what is left, then stop.
    pub fn finish(&mut self) {
        if self.finished_at.is_none() {
            self.finished_at = Some(Instant::now());
            self.next_poll = Instant::now();
        }
    }

    /// One read; the new lines, in order, never one already returned.
    pub async fn poll(&mut self) -> Result<Vec<LogLine>, AwsError> {
        let sent = self.token.clone();
        let result = self
            .reader
            .next_page(&self.group, &self.stream, self.start, sent.as_deref())
            .await;
        let (events, forward) = match result {
            Ok(page) => page,
            // A token the service no longer accepts: re-read from the last timestamp printed.
            Err(err)
                if sent.is_some() && err.code.as_deref() == Some("InvalidParameterException") =>
            {
                self.resume();
                self.next_poll = Instant::now();
                return Ok(Vec::new());
            }
            Err(err) => return Err(err),
        };
        let lines = self.accept(events);
        let at_end = forward.is_none() || forward == sent;
        if forward.is_some() {
            self.token = forward;
        }
        self.interval = if lines.is_empty() {
            (self.interval * 2).min(SLOW)
        } else {
            FAST
        };
        self.next_poll = Instant::now()
            + if lines.is_empty() {
                self.interval
            } else {
                Duration::ZERO
            };
        if let Some(finished) = self.finished_at
            && at_end
            && lines.is_empty()
            && finished.elapsed() >= GRACE
        {
            self.drained = true;
        }
        if self.finished_at.is_some() && !self.drained {
            // Do not sleep past the grace period.
            self.next_poll = self
                .next_poll
                .min(Instant::now() + Duration::from_millis(300));
        }
        Ok(lines)
    }

    fn resume(&mut self) {
        self.token = None;
        if let Some(last) = self.last {
            self.start = Some(last);
            self.skip = self.at_last.clone();
        }
    }

    /// Drop what was already printed (only possible right after a re-read) and advance.
    fn accept(&mut self, events: Vec<LogLine>) -> Vec<LogLine> {
        let mut out = Vec::with_capacity(events.len());
        for event in events {
            if let Some(last) = self.last {
                if !self.skip.is_empty() {
                    if event.timestamp < last {
                        continue;
                    }
                    if event.timestamp == last {
                        let key = fingerprint(&event.message);
                        if let Some(count) = self.skip.get_mut(&key) {
                            *count -= 1;
                            if *count == 0 {
                                self.skip.remove(&key);
                            }
                            continue;
                        }
                    } else {
                        self.skip.clear();
                    }
                }
                if event.timestamp > last {
                    self.at_last.clear();
                }
            }
            self.last = Some(
                self.last
                    .map_or(event.timestamp, |l| l.max(event.timestamp)),
            );
            *self.at_last.entry(fingerprint(&event.message)).or_insert(0) += 1;
            out.push(event);
        }
        out
    }

    #[must_use]
    pub fn next_poll(&self) -> Instant {
        self.next_poll
    }
}

/// What follow reports, in order.
#[derive(Debug)]
pub enum Event<'a> {
    /// Now following this execution.
    Execution { id: &'a str, status: Status },
    /// An action changed status.
    Action(&'a ActionView),
    /// A log line of the build behind `action` (`Stage/Action`).
    Line { action: &'a str, line: &'a LogLine },
}

/// What to follow.
#[derive(Debug, Clone)]
pub struct Options {
    pub pipeline: String,
    pub execution: Option<String>,
    pub stage: Option<String>,
    pub action: Option<String>,
    pub since: Option<i64>,
    /// Return when the followed execution is over (else follow the next one, forever).
    pub until_done: bool,
}

struct Tailed {
    label: String,
    follower: Follower,
}

/// Follow until the execution ends (`until_done`) or forever; returns the final status. Two
/// clocks drive it: discovery once a second, each stream's own poll interval.
pub async fn follow(
    clients: &Clients,
    reader: &Reader,
    options: &Options,
    mut emit: impl FnMut(Event<'_>) -> std::io::Result<()>,
) -> Result<Status, ReadError> {
    let mut tail = Tail::new(options);
    let mut next_discovery = Instant::now();
    loop {
        if Instant::now() >= next_discovery {
            let view =
                state::load(&clients.codepipeline, &options.pipeline, &tail.selector).await?;
            next_discovery = Instant::now() + DISCOVERY;
            if let Some(done) = tail.discovered(clients, reader, &view, &mut emit).await? {
                return Ok(done);
            }
        }
        tail.poll_due(&mut emit).await?;
        tokio::time::sleep_until(tail.wake(next_discovery)).await;
    }
}

/// What following knows between rounds.
struct Tail<'o> {
    options: &'o Options,
    selector: Selector,
    /// The execution followed.
    current: Option<String>,
    /// Each action's last status emitted.
    statuses: HashMap<(String, String), Status>,
    /// Builds already followed (or deliberately skipped).
    builds: HashSet<String>,
    tailed: Vec<Tailed>,
    first_round: bool,
}

impl<'o> Tail<'o> {
    fn new(options: &'o Options) -> Self {
        Self {
            options,
            selector: options
                .execution
                .clone()
                .map_or(Selector::Latest, Selector::Id),
            current: None,
            statuses: HashMap::new(),
            builds: HashSet::new(),
            tailed: Vec::new(),
            first_round: true,
        }
    }

    /// One discovery round over a fresh view: a new execution, action changes, new builds to
    /// follow, finished builds to drain. `Some(status)` when `until_done` and all is over.
    async fn discovered(
        &mut self,
        clients: &Clients,
        reader: &Reader,
        view: &ExecutionView,
        emit: &mut impl FnMut(Event<'_>) -> std::io::Result<()>,
    ) -> Result<Option<Status>, ReadError> {
        if view.execution_id != self.current {
            self.current.clone_from(&view.execution_id);
            self.statuses.clear();
            // The previous execution's streams drain until quiet, then stop.
            for t in &mut self.tailed {
                t.follower.finish();
            }
            if let Some(id) = &self.current {
                emit(Event::Execution {
                    id,
                    status: view.status,
                })
                .map_err(ReadError::Stopped)?;
            }
        }
        let options = self.options;
        for action in view.matching(options.stage.as_deref(), options.action.as_deref()) {
            let key = (action.stage.clone(), action.name.clone());
            if self.statuses.get(&key) != Some(&action.status) && action.status != Status::NotRun {
                self.statuses.insert(key, action.status);
                emit(Event::Action(action)).map_err(ReadError::Stopped)?;
            }
            if action.provider != "CodeBuild" {
                continue;
            }
            let Some(id) = &action.external_id else {
                continue;
            };
            let label = format!("{}/{}", action.stage, action.name);
            if !self.builds.contains(id) {
                self.start(clients, reader, action, id, &label).await?;
            }
            if action.status.is_final() {
                for t in self.tailed.iter_mut().filter(|t| t.label == label) {
                    t.follower.finish();
                }
            }
        }
        self.first_round = false;
        self.tailed.retain(|t| !t.follower.drained);
        // (With no execution yet, wait for the first one.)
        let done = options.until_done && view.status.is_final() && self.tailed.is_empty();
        Ok(done.then_some(view.status))
    }

    /// Start following a build's stream, once CodeBuild says where it is.
    async fn start(
        &mut self,
        clients: &Clients,
        reader: &Reader,
        action: &ActionView,
        id: &str,
        label: &str,
    ) -> Result<(), ReadError> {
        // An old build (already over when follow started) is not replayed unless --since
        // asks for its lines.
        if self.first_round
            && action.status.is_final()
            && self.options.since.is_none()
            && self.options.execution.is_none()
        {
            self.builds.insert(id.to_owned());
            return Ok(());
        }
        let Some(build) = codebuild::inspect(&clients.codebuild, id).await? else {
            return Ok(());
        };
        let Some(stream) = build.logs else {
            return Ok(()); // not started yet: its stream appears later
        };
        self.builds.insert(id.to_owned());
        self.tailed.push(Tailed {
            label: label.to_owned(),
            follower: Follower::new(
                reader.clone(),
                &stream.group,
                &stream.stream,
                self.options.since,
            ),
        });
        Ok(())
    }

    /// Poll every stream that is due, concurrently; emit in stream order.
    async fn poll_due(
        &mut self,
        emit: &mut impl FnMut(Event<'_>) -> std::io::Result<()>,
    ) -> Result<(), ReadError> {
        let now = Instant::now();
        let due: Vec<&mut Tailed> = self
            .tailed
            .iter_mut()
            .filter(|t| !t.follower.drained && t.follower.next_poll() <= now)
            .collect();
        let results = futures::future::join_all(due.into_iter().map(|t| async move {
            let lines = t.follower.poll().await;
            (t.label.as_str(), lines)
        }))
        .await;
        for (label, lines) in results {
            for line in &lines? {
                emit(Event::Line {
                    action: label,
                    line,
                })
                .map_err(ReadError::Stopped)?;
            }
        }
        Ok(())
    }

    /// When the next stream is due, or the next discovery, whichever comes first.
    fn wake(&self, next_discovery: Instant) -> Instant {
        self.tailed
            .iter()
            .filter(|t| !t.follower.drained)
            .map(|t| t.follower.next_poll())
            .fold(next_discovery, Instant::min)
    }
}

#[cfg(test)]
mod tests {
    use super::{Follower, LogLine};
    use crate::diagnose::logs::Reader;

    fn line(timestamp: i64, message: &str) -> LogLine {
        LogLine {
            timestamp,
            message: message.to_owned(),
        }
    }

    fn follower() -> Follower {
        let config = aws_sdk_cloudwatchlogs::Config::builder()
            .behavior_version(aws_sdk_cloudwatchlogs::config::BehaviorVersion::latest())
            .region(aws_sdk_cloudwatchlogs::config::Region::new("us-east-1"))
            .build();
        Follower::new(
            Reader::new(&aws_sdk_cloudwatchlogs::Client::from_conf(config)),
            "g",
            "s",
            None,
        )
    }

    #[test]
    fn a_re_read_skips_exactly_what_was_printed_at_the_boundary() {
        let mut f = follower();
        let first = f.accept(vec![
            line(1, "a"),
            line(2, "b"),
            line(2, "same"),
            line(2, "same"),
        ]);
        assert_eq!(first.len(), 4);
        f.resume();
        // The re-read from timestamp 2 returns the three events at 2 again, then one new "same".
        let again = f.accept(vec![
            line(2, "b"),
            line(2, "same"),
            line(2, "same"),
            line(2, "same"),
            line(3, "c"),
        ]);
        let messages: Vec<&str> = again.iter().map(|l| l.message.as_str()).collect();
        assert_eq!(messages, ["same", "c"]);
    }
}
