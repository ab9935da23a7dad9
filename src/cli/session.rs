//! What `plan`, `up` and `down` share: spec → clients → account → desired model → live state.

use std::fmt::Write as _;

use crate::aws::{AwsError, AwsSettings, Clients};
use crate::cli::Context;
use crate::diagnose::known;
use crate::error::{Error, Result};
use crate::model::{LiveState, Model, Owner};
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

    /// Read the live state of everything this pipeline may own.
    pub(crate) async fn observe(&self, parallelism: usize) -> Result<LiveState> {
        let spec = &self.loaded.spec;
        let names = spec.names();
        let candidates = Model::candidates(spec, &self.model.target);
        let artifact_bucket = self.model.artifact_bucket().unwrap_or_default().to_owned();
        let application = names.codedeploy_application();
        let config_prefix = names.deployment_config_prefix();
        let (state, journal) = tokio::join!(
            crate::observe::observe(
                &self.clients,
                &self.model,
                &candidates,
                &application,
                &config_prefix,
                parallelism,
            ),
            crate::aws::lock::peek(&self.clients, &artifact_bucket),
        );
        let mut state = state.map_err(|errors| {
            let first = &errors[0];
            let mut error = aws_error(first, &self.clients);
            if let Error::Failed { message, .. } = &mut error {
                *message = format!("cannot read the current state: {message}");
                if errors.len() > 1 {
                    let _ = write!(message, " (and {} more read errors)", errors.len() - 1);
                }
            }
            error
        })?;
        // A lock naming what its run was creating: those are ours even if the run died
        // before it could tag them (`aws::lock`).
        if let Ok(Some(holder)) = journal {
            for id in &holder.creating {
                if let Some(live) = state.get_mut(id)
                    && live.owner == Owner::Untagged
                {
                    live.owner = Owner::Pipeline(self.model.owner.clone());
                }
            }
        }
        self.claim_artifact_bucket(&mut state, &artifact_bucket)
            .await?;
        Ok(state)
    }

    /// The artifact bucket's name is pipewright's alone; untagged, holding nothing but what
    /// pipewright writes, it is a bucket a killed run created before tagging it.
    async fn claim_artifact_bucket(&self, state: &mut LiveState, bucket: &str) -> Result<()> {
        let id = crate::model::ResourceId::new(crate::model::Kind::Bucket, bucket);
        let Some(live) = state.get_mut(&id) else {
            return Ok(());
        };
        if live.owner != Owner::Untagged {
            return Ok(());
        }
        let names = self.loaded.spec.names();
        let foreign = crate::observe::foreign_objects(
            &self.clients,
            bucket,
            crate::model::BucketPurpose::Artifacts,
            bucket,
            &names.pipeline(),
            names.base(),
        )
        .await
        .map_err(|e| aws_error(&e, &self.clients))?;
        if foreign.count == 0 {
            live.owner = Owner::Pipeline(self.model.owner.clone());
        }
        Ok(())
    }
}

/// A failure to connect, before there are clients to name the endpoint.
pub(crate) fn connect_error(err: &AwsError, settings: &AwsSettings) -> Error {
    let endpoint = settings
        .endpoint
        .clone()
        .unwrap_or_else(|| "AWS".to_owned());
    explained(err, &endpoint)
}

/// An AWS error as the user should see it: what failed, in plain words, and the fix.
pub(crate) fn aws_error(err: &AwsError, clients: &Clients) -> Error {
    explained(err, &clients.endpoint_label())
}

fn explained(err: &AwsError, endpoint: &str) -> Error {
    if err.kind == crate::aws::ErrorKind::NoRegion {
        return Error::usage(
            "no AWS Region is set",
            Some("set `region:` in the spec, pass --region, or export AWS_REGION".to_owned()),
        );
    }
    match known::aws(err, endpoint) {
        // These have one cause the user can act on; the SDK's chain of attempts is noise.
        Some(explanation)
            if matches!(
                err.kind,
                crate::aws::ErrorKind::Credentials | crate::aws::ErrorKind::Unreachable
            ) =>
        {
            Error::failed(explanation.summary, Some(explanation.fix))
        }
        Some(explanation) => Error::failed(
            format!("{}: {err}", explanation.summary),
            Some(explanation.fix),
        ),
        None => Error::failed(err.to_string(), None),
    }
}
