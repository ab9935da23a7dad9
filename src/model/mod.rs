//! The desired resources a valid spec stands for, and how they depend on each other.
//!
//! Pure data in, pure data out: no AWS calls. The account and Region arrive as a [`Target`] and
//! the rendered buildspec as a string, so this layer can be unit-tested and snapshotted.

mod build;
mod codedeploy;
mod git;
mod live;
mod pipeline;
pub mod policy;
mod resource;
mod roles;
mod storage;
mod target;
mod values;

use std::collections::BTreeMap;

pub use git::{FileMode, RemoteFile};
pub use live::{Facts, ForeignObjects, Live, LiveState, OWNERSHIP_TAG, Owner};
pub use pipeline::{
    APPROVAL_ACTION, BUILD_ACTION, BUILD_ARTIFACT, DEPLOY_ACTION, ECS_ARTIFACT, SOURCE_ACTION,
    SOURCE_ARTIFACT, build_outputs,
};
pub use resource::*;
pub use roles::snippet_for;
pub use target::Target;
pub use values::{
    ActionCategory, ActionOwner, ComputePlatform, DeploymentStyle, GreenFleet, TrafficControl,
};

use crate::spec::{CodeDeploy, Deploy, Names, Source, Spec};

/// Everything `up` should make true.
#[derive(Debug, Clone)]
pub struct Model {
    /// Pipeline name (the spec's `name`): the ownership tag's value.
    pub owner: String,
    pub resources: Vec<Resource>,
    /// `(a, b)`: `a` needs `b` to exist first.
    pub dependencies: Vec<(ResourceId, ResourceId)>,
    /// Things that must already be true and that pipewright does not create.
    pub checks: Vec<Check>,
    pub target: Target,
}

/// A precondition on something the user owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// The GitHub connection must have been approved in the console.
    ConnectionAvailable { arn: String },
    /// An S3 source bucket must keep versions (CodePipeline reads a version id).
    SourceBucketVersioned { bucket: String, key: String },
}

/// Inputs the model needs besides the spec.
#[derive(Debug, Clone)]
pub struct Inputs<'a> {
    pub spec: &'a Spec,
    pub target: &'a Target,
    /// The generated buildspec (when `build.buildspec` is `generated`).
    pub buildspec: &'a str,
}

/// Shared context for the builders of each resource family.
pub(crate) struct Ctx<'a> {
    pub spec: &'a Spec,
    pub names: Names<'a>,
    pub target: &'a Target,
    pub tags: Tags,
    pub artifact_bucket: String,
}

impl<'a> Ctx<'a> {
    /// The first stage the CodeDeploy service deploys: all share one platform (validated).
    pub(crate) fn codedeploy(&self) -> Option<&'a CodeDeploy> {
        self.codedeploy_stages().next().map(|(_, cd)| cd)
    }

    /// Every stage the CodeDeploy service deploys, with its deployment.
    pub(crate) fn codedeploy_stages(
        &self,
    ) -> impl Iterator<Item = (crate::spec::DeployStage<'a>, &'a CodeDeploy)> {
        self.spec
            .stages()
            .into_iter()
            .filter_map(|stage| match stage.deploy {
                Deploy::Codedeploy(cd) if cd.runs_on_codedeploy() => Some((stage, cd.as_ref())),
                _ => None,
            })
    }
}

/// The id of a role the model creates.
fn role_id(name: String) -> ResourceId {
    ResourceId::new(Kind::Role, name)
}

/// The id of a role's inline policy.
fn policy_id(role: String) -> ResourceId {
    ResourceId::new(Kind::RolePolicy, role)
}

impl Model {
    /// The desired resources for a valid spec.
    #[must_use]
    pub fn desired(inputs: &Inputs<'_>) -> Self {
        let spec = inputs.spec;
        let names = spec.names();
        let mut tags: Tags = spec.tags.clone();
        tags.insert(OWNERSHIP_TAG.to_owned(), spec.name.clone());
        let ctx = Ctx {
            spec,
            artifact_bucket: names
                .artifact_bucket(&inputs.target.account_id, &inputs.target.region),
            names,
            target: inputs.target,
            tags,
        };

        let mut model = Model {
            owner: spec.name.clone(),
            resources: Vec::new(),
            dependencies: Vec::new(),
            checks: Vec::new(),
            target: inputs.target.clone(),
        };
        storage::add(&ctx, &mut model);
        roles::add(&ctx, &mut model);
        build::add(&ctx, inputs.buildspec, &mut model);
        codedeploy::add(&ctx, &mut model);
        pipeline::add(&ctx, &mut model);
        match &spec.source {
            Source::Github(github) => model.checks.push(Check::ConnectionAvailable {
                arn: github.connection.clone(),
            }),
            Source::S3(s3) => model.checks.push(Check::SourceBucketVersioned {
                bucket: s3.bucket.clone(),
                key: s3.key.clone(),
            }),
            Source::Codecommit(_) => {}
        }
        model
    }

    pub(crate) fn push(&mut self, resource: Resource, depends_on: &[ResourceId]) {
        let id = resource.id();
        for dependency in depends_on {
            self.dependencies.push((id.clone(), dependency.clone()));
        }
        self.resources.push(resource);
    }

    #[must_use]
    pub fn get(&self, id: &ResourceId) -> Option<&Resource> {
        self.resources.iter().find(|r| &r.id() == id)
    }

    /// What each resource depends on, by id.
    #[must_use]
    pub fn dependency_map(&self) -> BTreeMap<ResourceId, Vec<ResourceId>> {
        let mut map: BTreeMap<ResourceId, Vec<ResourceId>> = BTreeMap::new();
        for (a, b) in &self.dependencies {
            map.entry(a.clone()).or_default().push(b.clone());
        }
        map
    }

    /// Every resource a pipeline of this name may own at a fixed name, whatever its spec says
    /// now: so a role or bucket an older spec needed is found (and removed) even when the current
    /// spec no longer names it.
    #[must_use]
    pub fn candidates(spec: &Spec, target: &Target) -> Vec<ResourceId> {
        let names = spec.names();
        let roles = [
            names.codebuild_role(),
            names.codepipeline_role(),
            names.codedeploy_role(),
            names.events_role(),
        ];
        let mut ids: Vec<ResourceId> = roles
            .iter()
            .flat_map(|role| {
                [
                    ResourceId::new(Kind::Role, role),
                    ResourceId::new(Kind::RolePolicy, role),
                ]
            })
            .collect();
        ids.extend([
            ResourceId::new(
                Kind::Bucket,
                names.artifact_bucket(&target.account_id, &target.region),
            ),
            ResourceId::new(Kind::LogGroup, names.log_group()),
            ResourceId::new(Kind::Project, names.build_project()),
            ResourceId::new(Kind::Application, names.codedeploy_application()),
            ResourceId::new(Kind::Pipeline, names.pipeline()),
            ResourceId::new(Kind::Rule, names.source_rule()),
        ]);
        if let Some(repository) = spec.codecommit_repository() {
            ids.push(ResourceId::new(Kind::Repository, repository));
        }
        ids
    }

    /// The artifact bucket's name.
    #[must_use]
    pub fn artifact_bucket(&self) -> Option<&str> {
        self.resources.iter().find_map(|r| match r {
            Resource::Bucket(b) if b.purpose == Some(BucketPurpose::Artifacts) => {
                Some(b.name.as_str())
            }
            _ => None,
        })
    }
}
