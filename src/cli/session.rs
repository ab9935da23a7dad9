//! What `plan`, `up` and `down` share: spec → clients → account → desired model → live state.

use std::fmt::Write as _;

use crate::aws::{AwsError, AwsSettings, Clients, ErrorKind};
use crate::cli::Context;
use crate::diagnose::known;
use crate::error::{Error, Result};
use crate::model::{LiveState, Model};
use crate::observe::{self, ObserveError};
use crate::spec::{self, LoadedSpec};

pub(crate) struct Session {
    pub loaded: LoadedSpec,
    pub clients: Clients,
    pub model: Model,
}

/// A multi-threaded runtime for commands that call AWS (the offline commands never build one).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::io("start the async runtime"))
}

/// What `status`, `run` and `logs` need: the spec (for names) and clients; no model, no render.
pub(crate) struct Reading {
    pub loaded: LoadedSpec,
    pub clients: Clients,
}

impl Reading {
    pub(crate) async fn open(ctx: &Context) -> Result<Self> {
        let loaded = spec::load(&ctx.global.file)?;
        let settings = ctx.global.aws.settings(loaded.spec.region.as_deref());
        let clients = Clients::connect_anonymous_account(&settings)
            .await
            .map_err(|e| connect_error(&e, &settings))?;
        Ok(Self { loaded, clients })
    }

    /// The pipeline's name, as `up` created it.
    pub(crate) fn pipeline(&self) -> String {
        self.loaded.spec.names().pipeline()
    }

    /// An AWS error while reading the pipeline back; a missing pipeline says how to create it.
    pub(crate) fn error(&self, err: &AwsError) -> Error {
        if err.code.as_deref() == Some("PipelineNotFoundException") {
            return Error::failed(
                format!(
                    "pipeline {} does not exist in {}",
                    self.pipeline(),
                    self.clients.endpoint_label()
                ),
                Some("create it with `pipewright up`".to_owned()),
            );
        }
        aws_error(err, &self.clients)
    }
}

/// A single-threaded runtime for the commands that read a pipeline back: they wait on the
/// network, not the CPU, and one thread keeps memory flat while a long log streams through.
pub(crate) fn reading_runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::io("start the async runtime"))
}

impl Session {
    pub(crate) async fn open(ctx: &Context) -> Result<Self> {
        let loaded = spec::load(&ctx.global.file)?;
        let desired = crate::render::Desired::of(&loaded)?;
        let settings = ctx.global.aws.settings(loaded.spec.region.as_deref());
        let clients = Clients::connect(&settings)
            .await
            .map_err(|e| connect_error(&e, &settings))?;
        let model = desired.model(&loaded.spec, &clients.target());
        Ok(Self {
            loaded,
            clients,
            model,
        })
    }

    /// Preconditions on what the user owns (a GitHub connection approved, an S3 source bucket
    /// versioned): all are checked, all failures are reported, before anything is written.
    pub(crate) async fn check_preconditions(&self) -> Result<()> {
        let results = futures::future::join_all(
            self.model
                .checks
                .iter()
                .map(|check| crate::aws::checks::check(&self.clients, check)),
        )
        .await;
        let mut unmet = Vec::new();
        for result in results {
            match result {
                Ok(Some(problem)) => unmet.push(problem),
                Ok(None) => {}
                Err(err) => return Err(aws_error(&err, &self.clients)),
            }
        }
        let Some(first) = unmet.first() else {
            return Ok(());
        };
        let mut message = first.problem.clone();
        for other in &unmet[1..] {
            let _ = write!(message, "; {}", other.problem);
        }
        Err(Error::failed(
            format!("{message}: nothing was changed"),
            Some(first.fix.clone()),
        ))
    }

    /// Read the live state of everything this pipeline may own, owners resolved; with
    /// `bucket_contents`, what each owned bucket holds that pipewright did not write.
    pub(crate) async fn observe(
        &self,
        parallelism: usize,
        bucket_contents: bool,
    ) -> Result<LiveState> {
        let request = observe::Request {
            spec: &self.loaded.spec,
            model: &self.model,
            parallelism,
            bucket_contents,
        };
        observe::observe(&self.clients, &request)
            .await
            .map_err(|err| match err {
                ObserveError::Read { first, more } => {
                    aws_error_in(&first, &self.clients, |message| {
                        let more = if more > 0 {
                            format!(" (and {more} more read errors)")
                        } else {
                            String::new()
                        };
                        format!("cannot read the current state: {message}{more}")
                    })
                }
                ObserveError::Contents(err) => aws_error(&err, &self.clients),
            })
    }
}

/// A failure to connect, before there are clients to name the endpoint.
pub(crate) fn connect_error(err: &AwsError, settings: &AwsSettings) -> Error {
    let endpoint = settings
        .endpoint
        .clone()
        .unwrap_or_else(|| "AWS".to_owned());
    explained(err, &endpoint, |message| message)
}

/// An AWS error as the user should see it: what failed, in plain words, and the fix.
pub(crate) fn aws_error(err: &AwsError, clients: &Clients) -> Error {
    aws_error_in(err, clients, |message| message)
}

/// The same, its message set in `context` (`cannot read the current state: …`).
pub(crate) fn aws_error_in(
    err: &AwsError,
    clients: &Clients,
    context: impl FnOnce(String) -> String,
) -> Error {
    explained(err, &clients.endpoint_label(), context)
}

fn explained(err: &AwsError, endpoint: &str, context: impl FnOnce(String) -> String) -> Error {
    let explanation = known::aws(err, endpoint);
    if err.kind == ErrorKind::NoRegion {
        let explanation = explanation.unwrap_or_else(known::no_region);
        return Error::usage(explanation.summary.clone(), Some(explanation.hint()));
    }
    let (message, hint) = match explanation {
        // These have one cause the user can act on; the SDK's chain of attempts is noise.
        Some(explanation)
            if matches!(err.kind, ErrorKind::Credentials | ErrorKind::Unreachable) =>
        {
            let hint = explanation.hint();
            (explanation.summary, Some(hint))
        }
        Some(explanation) => (
            format!("{}: {err}", explanation.summary),
            Some(explanation.hint()),
        ),
        None => (err.to_string(), None),
    };
    Error::failed(context(message), hint)
}
