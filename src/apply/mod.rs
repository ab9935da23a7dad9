//! Apply a plan: run its changes in dependency order, independent ones concurrently, with
//! retries for the failures that pass (IAM propagation, throttling), and a report of every
//! outcome. The engine knows the graph, not the services, and never prints: progress goes to a
//! [`Progress`] hook.

mod graph;
mod progress;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use petgraph::Direction;
use serde::Serialize;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use progress::{Progress, Silent};

use crate::aws::{self, AwsError, Clients, DeleteOptions, ErrorKind};
use crate::model::{Resource, ResourceId};
use crate::plan::{Action, Change, Plan};

/// How to apply.
#[derive(Debug, Clone)]
pub struct Options {
    /// Changes running at once.
    pub parallelism: usize,
    /// The pipeline whose ownership tag marks what may be touched.
    pub owner: String,
    pub delete: DeleteOptions,
    /// First retry delay (IAM propagation waits up to about a minute in all).
    pub retry_initial: Duration,
}

impl Options {
    #[must_use]
    pub fn new(owner: &str, parallelism: usize) -> Self {
        let retry_initial = std::env::var("PIPEWRIGHT_RETRY_INITIAL_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(Duration::from_millis(500), Duration::from_millis);
        Self {
            parallelism: parallelism.max(1),
            owner: owner.to_owned(),
            delete: DeleteOptions::default(),
            retry_initial,
        }
    }
}

/// What happened to one change.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case", tag = "status")]
pub enum Outcome {
    Done,
    Failed {
        #[serde(serialize_with = "as_text")]
        error: AwsError,
    },
    /// Not attempted because something it depends on failed.
    Skipped {
        because: ResourceId,
    },
    /// Not attempted because the run was cancelled.
    NotStarted,
}

/// One change's result.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeResult {
    pub id: ResourceId,
    pub action: Action,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub seconds: f64,
}

/// Every change's result, in plan order.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub results: Vec<ChangeResult>,
    pub cancelled: bool,
}

impl Report {
    #[must_use]
    pub fn succeeded(&self) -> bool {
        !self.cancelled
            && self
                .results
                .iter()
                .all(|r| matches!(r.outcome, Outcome::Done))
    }

    pub fn failures(&self) -> impl Iterator<Item = &ChangeResult> {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Failed { .. }))
    }

    #[must_use]
    pub fn count(&self, done: bool) -> usize {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Done) == done)
            .count()
    }
}

/// Run the plan's pending changes.
pub async fn run(
    clients: &Clients,
    plan: &Plan,
    dependencies: &[(ResourceId, ResourceId)],
    options: &Options,
    progress: Arc<dyn Progress>,
    cancel: CancellationToken,
) -> Report {
    let changes: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.action.is_change())
        .collect();
    let order = graph::order(&changes, dependencies);
    let mut waiting: Vec<usize> = order
        .nodes
        .iter()
        .map(|n| {
            order
                .graph
                .neighbors_directed(*n, Direction::Incoming)
                .count()
        })
        .collect();
    let mut results: BTreeMap<usize, ChangeResult> = BTreeMap::new();
    let mut ready: Vec<usize> = (0..changes.len()).filter(|i| waiting[*i] == 0).collect();
    ready.reverse();
    let mut running: JoinSet<(usize, Result<(), AwsError>, Duration)> = JoinSet::new();

    loop {
        while running.len() < options.parallelism && !cancel.is_cancelled() {
            let Some(i) = ready.pop() else { break };
            let change = changes[i].clone();
            let clients = clients.clone();
            let options = options.clone();
            let progress = Arc::clone(&progress);
            // One clock: the time a change took counts from the moment the progress hook was
            // told it started (when a spinner starts counting too).
            let started = Instant::now();
            progress.started(&change);
            running.spawn(async move {
                let result =
                    execute_with_retry(&clients, &change, &options, progress.as_ref()).await;
                (i, result, started.elapsed())
            });
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        // A panicking task is a bug; there is no index to attribute it to, so stop cleanly.
        let Ok((i, result, elapsed)) = joined else {
            break;
        };
        let outcome = match result {
            Ok(()) => Outcome::Done,
            Err(error) => Outcome::Failed { error },
        };
        progress.finished(changes[i], &outcome, elapsed);
        let failed = !matches!(outcome, Outcome::Done);
        results.insert(i, result_of(changes[i], outcome, elapsed));
        for next in order
            .graph
            .neighbors_directed(order.nodes[i], Direction::Outgoing)
        {
            let j = order.graph[next];
            if failed {
                skip_dependents(
                    &order,
                    &changes,
                    j,
                    &changes[i].id,
                    &mut results,
                    progress.as_ref(),
                );
            }
            waiting[j] = waiting[j].saturating_sub(1);
            if waiting[j] == 0 && !results.contains_key(&j) {
                ready.push(j);
            }
        }
    }

    for (i, change) in changes.iter().enumerate() {
        results
            .entry(i)
            .or_insert_with(|| result_of(change, Outcome::NotStarted, Duration::ZERO));
    }
    Report {
        results: results.into_values().collect(),
        cancelled: cancel.is_cancelled(),
    }
}

fn as_text<S: serde::Serializer>(error: &AwsError, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(error)
}

fn result_of(change: &Change, outcome: Outcome, elapsed: Duration) -> ChangeResult {
    ChangeResult {
        id: change.id.clone(),
        action: change.action,
        outcome,
        seconds: elapsed.as_secs_f64(),
    }
}

/// Mark `start` and everything downstream of it as skipped because of `because`.
fn skip_dependents(
    order: &graph::Order,
    changes: &[&Change],
    start: usize,
    because: &ResourceId,
    results: &mut BTreeMap<usize, ChangeResult>,
    progress: &dyn Progress,
) {
    let mut stack = vec![start];
    while let Some(i) = stack.pop() {
        if results.contains_key(&i) {
            continue;
        }
        let outcome = Outcome::Skipped {
            because: because.clone(),
        };
        progress.finished(changes[i], &outcome, Duration::ZERO);
        results.insert(i, result_of(changes[i], outcome, Duration::ZERO));
        for next in order
            .graph
            .neighbors_directed(order.nodes[i], Direction::Outgoing)
        {
            stack.push(order.graph[next]);
        }
    }
}

async fn execute_with_retry(
    clients: &Clients,
    change: &Change,
    options: &Options,
    progress: &dyn Progress,
) -> Result<(), AwsError> {
    let backoff = ExponentialBuilder::default()
        .with_min_delay(options.retry_initial)
        .with_max_delay(Duration::from_secs(10))
        .with_max_times(10)
        .with_jitter();
    let mut attempt = 0;
    (|| execute(clients, change, options))
        .retry(backoff)
        .when(|err: &AwsError| err.kind.is_retryable())
        .notify(|err: &AwsError, _delay| {
            attempt += 1;
            progress.retrying(change, err, attempt);
        })
        .await
}

/// One attempt at one change. Every path is safe to repeat: a create that finds its resource
/// already there (its first response was lost, or a previous run was killed) checks the owner
/// and converges it instead.
async fn execute(clients: &Clients, change: &Change, options: &Options) -> Result<(), AwsError> {
    match (change.action, &change.desired, &change.live) {
        (Action::Create, Some(desired), _) => create_or_converge(clients, desired, options).await,
        (Action::Update, Some(desired), Some(live)) => aws::update(clients, desired, live).await,
        (Action::Replace, Some(desired), Some(live)) => {
            aws::delete(clients, live, options.delete).await?;
            create_or_converge(clients, desired, options).await
        }
        (Action::Delete, _, Some(live)) => aws::delete(clients, live, options.delete).await,
        _ => Ok(()),
    }
}

async fn create_or_converge(
    clients: &Clients,
    desired: &Resource,
    options: &Options,
) -> Result<(), AwsError> {
    let err = match aws::create(clients, desired).await {
        Ok(()) => return Ok(()),
        Err(err) if err.is(ErrorKind::AlreadyExists) => err,
        Err(err) => return Err(err),
    };
    let Some(live) = aws::read(clients, &desired.id()).await? else {
        // Gone again between the two calls: try the create once more via the retry loop.
        return Err(AwsError {
            kind: ErrorKind::Conflict,
            ..err
        });
    };
    // The resource's own tag is the whole ownership rule for every kind whose create can find
    // its name taken: the evidence beyond tags is for buckets (`observe::owners`), and a
    // bucket's create already treats "exists and is ours" as done (`aws::s3::create_bare`).
    if live.owner.is(&options.owner) {
        return aws::update(clients, desired, &live.resource).await;
    }
    Err(AwsError {
        message: format!(
            "{} already exists and is not owned by pipeline {}",
            desired.id(),
            options.owner
        ),
        ..err
    })
}
