//! The plan: what `up` (or `down`) would change, as a value.
//!
//! Like Terraform's, a plan is data — printed for people, serialised for `--output json`, and
//! executed by `apply` — computed by a pure function of the desired model and the live state, so
//! it is unit-tested without a network.

mod diff;
mod display;

use std::collections::BTreeMap;

use serde::Serialize;

pub use diff::{Mode, diff};
pub use display::render as render_human;

use crate::model::{Resource, ResourceId};

/// What happens to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    Update,
    /// Cannot change in place: deleted, then created again.
    Replace,
    Delete,
    NoOp,
}

impl Action {
    /// Terraform's symbols.
    #[must_use]
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::NoOp => " ",
        }
    }

    /// Whether this action writes to AWS.
    #[must_use]
    pub fn is_change(self) -> bool {
        self != Action::NoOp
    }
}

/// One field that differs between live and desired.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// Dotted path, e.g. `environment.image` or `stages[2].actions[0].configuration.BucketName`.
    pub path: String,
    pub old: Option<serde_json::Value>,
    pub new: Option<serde_json::Value>,
    /// This field cannot change in place.
    pub forces_replacement: bool,
}

/// A planned change to one resource.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub id: ResourceId,
    pub action: Action,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// What to create or update to.
    #[serde(skip)]
    pub desired: Option<Resource>,
    /// What exists now.
    #[serde(skip)]
    pub live: Option<Resource>,
}

/// A resource pipewright will not touch, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Refusal {
    pub id: ResourceId,
    pub reason: String,
    pub hint: String,
}

/// A resource left in place on purpose (the source repository on `down`, an adopted one on `up`).
#[derive(Debug, Clone, Serialize)]
pub struct Kept {
    pub id: ResourceId,
    pub reason: String,
}

/// Everything a run would do.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub pipeline: String,
    pub mode: Mode,
    /// Changes and no-ops, in a stable order (kind, then name).
    pub changes: Vec<Change>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<Refusal>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kept: Vec<Kept>,
    pub summary: Summary,
}

/// Counts per action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub unchanged: usize,
}

impl Summary {
    fn of(changes: &[Change]) -> Self {
        let mut summary = Summary::default();
        for change in changes {
            match change.action {
                Action::Create => summary.create += 1,
                Action::Update => summary.update += 1,
                Action::Replace => summary.replace += 1,
                Action::Delete => summary.delete += 1,
                Action::NoOp => summary.unchanged += 1,
            }
        }
        summary
    }

    #[must_use]
    pub fn changes(&self) -> usize {
        self.create + self.update + self.replace + self.delete
    }
}

impl Plan {
    /// Whether applying would write anything.
    #[must_use]
    pub fn has_changes(&self) -> bool {
        self.summary.changes() > 0
    }

    /// Whether applying would modify or remove something that exists (asks for confirmation).
    #[must_use]
    pub fn is_destructive(&self) -> bool {
        self.summary.update + self.summary.replace + self.summary.delete > 0
    }

    /// Take a change out of the plan and keep the resource instead, saying why.
    pub fn keep(&mut self, id: &ResourceId, reason: String) {
        self.changes.retain(|c| &c.id != id);
        self.kept.push(Kept {
            id: id.clone(),
            reason,
        });
        self.summary = Summary::of(&self.changes);
    }

    /// The changes that write, by id.
    #[must_use]
    pub fn pending(&self) -> BTreeMap<&ResourceId, &Change> {
        self.changes
            .iter()
            .filter(|c| c.action.is_change())
            .map(|c| (&c.id, c))
            .collect()
    }
}
