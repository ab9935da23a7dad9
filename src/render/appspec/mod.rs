//! appspec.yml as typed data, one shape per CodeDeploy platform, and how a spec becomes one.
//!
//! Two platforms, two documents that share little but `version: 0.0`: servers name files and
//! hook *scripts* by lifecycle event, ECS names a service and hook *functions* as a list of
//! one-key maps. (Lambda needs no appspec: pipewright deploys it with CodePipeline's Lambda deploy
//! action, see `model/pipeline.rs`.) Each shape rejects unknown keys and events, so a template override that
//! misspells `ValidateService` fails at render time, not in the middle of a deployment.

mod ecs;
mod server;

use serde::Serialize;

use super::RenderError;
use crate::spec::{CodeDeploy, Platform, Spec};

pub use ecs::{
    EcsAppSpec, EcsAwsvpcConfiguration, EcsHook, EcsLoadBalancerInfo, EcsNetworkConfiguration,
    EcsProperties, EcsResource, EcsResourceType, EcsService, TASK_DEFINITION,
};
pub use server::{Permission, ServerAppSpec, ServerEvent, ServerFile, ServerHook};

/// An appspec for whichever platform the spec deploys to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AppSpec {
    Server(ServerAppSpec),
    Ecs(EcsAppSpec),
}

impl AppSpec {
    /// The built-in template that writes this shape.
    pub(crate) fn template_name(&self) -> &'static str {
        match self {
            AppSpec::Server(_) => "appspec-server.yml.j2",
            AppSpec::Ecs(_) => "appspec-ecs.yml.j2",
        }
    }
}

impl AppSpec {
    /// The appspec the spec's CodeDeploy stages need, or `None` when nothing deploys with
    /// CodeDeploy. Every stage deploys the same build artifact, so every CodeDeploy stage must
    /// want the same appspec.
    pub(crate) fn from_spec(spec: &Spec) -> Result<Option<AppSpec>, RenderError> {
        let mut found: Option<(String, AppSpec)> = None;
        for stage in spec.stages() {
            let Some(deploy) = stage.codedeploy() else {
                continue;
            };
            let field = stage_field(spec, stage.name);
            let appspec = AppSpec::for_deploy(spec, deploy, &field)?;
            match &found {
                None => found = Some((field, appspec)),
                Some((first, existing)) if *existing != appspec => {
                    return Err(RenderError::spec(
                        field,
                        format!("needs a different appspec.yml than {first}"),
                        Some(
                            "every stage deploys the same build artifact, which holds one \
                             appspec.yml: give the CodeDeploy stages the same platform, os, files \
                             and hooks"
                                .to_owned(),
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(found.map(|(_, appspec)| appspec))
    }

    fn for_deploy(spec: &Spec, deploy: &CodeDeploy, field: &str) -> Result<AppSpec, RenderError> {
        match deploy.platform {
            Platform::Server => server::from_spec(spec, deploy, field).map(AppSpec::Server),
            Platform::Ecs => ecs::from_spec(deploy, field).map(AppSpec::Ecs),
            // `stage.codedeploy()` never yields a Lambda deployment (it has no appspec).
            Platform::Lambda => Err(RenderError::spec(
                field,
                "a Lambda deployment has no appspec",
                None,
            )),
        }
    }
}

/// Where a stage's `codedeploy` block sits in the spec, for messages.
fn stage_field(spec: &Spec, stage: &str) -> String {
    match &spec.environments {
        Some(envs) if spec.deploy.is_none() => {
            envs.iter().position(|env| env.name == stage).map_or_else(
                || "environments".to_owned(),
                |i| format!("environments[{i}].deploy.codedeploy"),
            )
        }
        _ => "deploy.codedeploy".to_owned(),
    }
}
