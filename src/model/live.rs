//! What exists: a resource as read back from AWS, who owns it, and the facts about it that are
//! not properties pipewright sets. The adapters produce these, `observe` resolves their owners,
//! and `plan` compares them with the desired model: data every layer above looks down at.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Resource, ResourceId, Tags};

/// The tag key that marks a resource as owned by a pipewright pipeline (its value is the
/// pipeline's `name`).
pub const OWNERSHIP_TAG: &str = "pipewright:pipeline";

/// Who owns a live resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "type", content = "pipeline")]
pub enum Owner {
    /// Tagged `pipewright:pipeline=<name>`.
    Pipeline(String),
    /// Exists without the ownership tag: someone else's.
    Untagged,
    /// A kind AWS cannot tag (deployment configs): owned by name prefix.
    Untaggable,
}

impl Owner {
    /// Whether the pipeline named `pipeline` owns it.
    #[must_use]
    pub fn is(&self, pipeline: &str) -> bool {
        match self {
            Owner::Pipeline(owner) => owner == pipeline,
            Owner::Untaggable => true,
            Owner::Untagged => false,
        }
    }

    /// The owner a set of tags names.
    #[must_use]
    pub fn of(tags: &Tags) -> Self {
        tags.get(OWNERSHIP_TAG).map_or(Owner::Untagged, |pipeline| {
            Owner::Pipeline(pipeline.clone())
        })
    }
}

/// Facts about a live resource that are not properties pipewright sets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facts {
    /// CodeCommit clone URLs.
    pub clone_url_http: Option<String>,
    pub clone_url_ssh: Option<String>,
    /// CodeCommit: whether any branch exists (a repository with commits holds user code).
    pub has_commits: Option<bool>,
    /// Resources a live pipeline refers to (to find what an old spec created).
    pub references: Vec<ResourceId>,
    /// A bucket's objects that pipewright did not write (looked for only when `down` is about
    /// to delete the bucket).
    pub foreign_objects: Option<ForeignObjects>,
}

/// Objects in one bucket that pipewright did not write.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ForeignObjects {
    pub count: usize,
    /// A few of their keys, to show.
    pub examples: Vec<String>,
}

/// A resource as it exists in AWS.
#[derive(Debug, Clone, PartialEq)]
pub struct Live {
    pub resource: Resource,
    pub owner: Owner,
    pub facts: Facts,
}

impl Live {
    #[must_use]
    pub fn new(resource: Resource, owner: Owner) -> Self {
        Self {
            resource,
            owner,
            facts: Facts::default(),
        }
    }

    /// A live resource owned as its own tags say (a kind without tags: [`Owner::Untaggable`]).
    #[must_use]
    pub fn tagged(resource: Resource) -> Self {
        let owner = resource.tags().map_or(Owner::Untaggable, Owner::of);
        Self::new(resource, owner)
    }

    #[must_use]
    pub fn with_facts(mut self, facts: Facts) -> Self {
        self.facts = facts;
        self
    }
}

/// Live resources by id, as observed.
pub type LiveState = BTreeMap<ResourceId, Live>;
