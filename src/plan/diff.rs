//! desired + live → plan. Pure.

use serde::Serialize;
use serde_json::Value;

use super::{Action, Change, FieldChange, Kept, Plan, Refusal, Summary};
use crate::model::{Kind, Live, LiveState, Model, OWNERSHIP_TAG, Owner, Resource, ResourceId};

/// What the plan is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "command")]
pub enum Mode {
    /// Converge to the model. `adopt`: use a same-named repository pipewright did not create.
    Up { adopt: bool },
    /// Remove everything owned. `delete_repo`: the source repository too.
    Down { delete_repo: bool },
}

/// Compare the model with what exists.
#[must_use]
pub fn diff(model: &Model, live: &LiveState, mode: Mode) -> Plan {
    let desired: Vec<&Resource> = match mode {
        Mode::Up { .. } => model.resources.iter().collect(),
        Mode::Down { .. } => Vec::new(),
    };
    let mut sorted = Sorted::new(&model.owner, mode);
    for resource in &desired {
        sorted.desired(resource, live.get(&resource.id()));
    }
    // Whatever we own that the model does not name goes (on `up`: what an older spec made).
    for (id, found) in live {
        if !desired.iter().any(|r| &r.id() == id) {
            sorted.unnamed(id, found);
        }
    }
    sorted.into_plan()
}

/// Every resource sorted into what changes, what is refused and what is kept.
struct Sorted<'a> {
    owner: &'a str,
    mode: Mode,
    changes: Vec<Change>,
    refused: Vec<Refusal>,
    kept: Vec<Kept>,
    /// Buckets kept for what they hold, listed after the rest.
    kept_buckets: Vec<Kept>,
}

impl<'a> Sorted<'a> {
    fn new(owner: &'a str, mode: Mode) -> Self {
        Self {
            owner,
            mode,
            changes: Vec::new(),
            refused: Vec::new(),
            kept: Vec::new(),
            kept_buckets: Vec::new(),
        }
    }

    /// A resource the model names: created, converged, or refused when someone else owns it.
    fn desired(&mut self, resource: &Resource, found: Option<&Live>) {
        let id = resource.id();
        let Some(found) = found else {
            self.changes.push(Change {
                id,
                action: Action::Create,
                fields: Vec::new(),
                desired: Some(resource.clone()),
                live: None,
            });
            return;
        };
        if !found.owner.is(self.owner) {
            if id.kind == Kind::Repository && matches!(self.mode, Mode::Up { adopt: true }) {
                self.kept.push(Kept {
                    id,
                    reason: "adopted: used as the source, never modified or deleted".to_owned(),
                });
            } else {
                self.refused.push(refusal(&id, &found.owner, self.owner));
            }
            return;
        }
        let fields = field_changes(resource, &found.resource);
        let action = if fields.is_empty() {
            Action::NoOp
        } else if fields.iter().any(|f| f.forces_replacement) {
            Action::Replace
        } else {
            Action::Update
        };
        self.changes.push(Change {
            id,
            action,
            fields,
            desired: Some(resource.clone()),
            live: Some(found.resource.clone()),
        });
    }

    /// A live resource the model does not name: deleted when ours, except the source
    /// repository (unless `down --delete-repo`) and a bucket holding objects pipewright did not
    /// write; someone else's is named on `down`, never touched.
    fn unnamed(&mut self, id: &ResourceId, found: &Live) {
        if !found.owner.is(self.owner) {
            if matches!(self.mode, Mode::Down { .. }) && found.owner != Owner::Untaggable {
                self.refused.push(refusal(id, &found.owner, self.owner));
            }
            return;
        }
        if id.kind == Kind::Repository && !matches!(self.mode, Mode::Down { delete_repo: true }) {
            self.kept.push(Kept {
                id: id.clone(),
                reason: "the source repository holds your code; `down --delete-repo` removes it"
                    .to_owned(),
            });
            return;
        }
        if let Some(foreign) = found.facts.foreign_objects.as_ref().filter(|f| f.count > 0) {
            self.kept_buckets.push(Kept {
                id: id.clone(),
                reason: format!(
                    "it holds {} object(s) pipewright did not write (e.g. {}); \
                     `down --force` empties and deletes it anyway",
                    foreign.count,
                    foreign.examples.join(", ")
                ),
            });
            return;
        }
        self.changes.push(Change {
            id: id.clone(),
            action: Action::Delete,
            fields: Vec::new(),
            desired: None,
            live: Some(found.resource.clone()),
        });
    }

    fn into_plan(mut self) -> Plan {
        self.kept.append(&mut self.kept_buckets);
        cascade_replacements(&mut self.changes);
        self.changes.sort_by(|a, b| a.id.cmp(&b.id));
        self.refused.sort_by(|a, b| a.id.cmp(&b.id));
        self.refused.dedup_by(|a, b| a.id == b.id);
        Plan {
            pipeline: self.owner.to_owned(),
            mode: self.mode,
            summary: Summary::of(&self.changes),
            changes: self.changes,
            refused: self.refused,
            kept: self.kept,
        }
    }
}

fn refusal(id: &ResourceId, found: &Owner, owner: &str) -> Refusal {
    let (reason, hint) = match found {
        Owner::Pipeline(other) => (
            format!("it belongs to the pipewright pipeline `{other}`"),
            "pick another `name:` in the spec, or remove that pipeline first".to_owned(),
        ),
        _ if id.kind == Kind::Repository => (
            format!(
                "it exists without the tag {OWNERSHIP_TAG}={owner}, so pipewright did not create it"
            ),
            "pass --adopt to use it as the source anyway (it will never be modified or deleted)"
                .to_owned(),
        ),
        _ => (
            format!(
                "it exists without the tag {OWNERSHIP_TAG}={owner}, so pipewright did not create it"
            ),
            "rename it, delete it yourself, or choose another `name:` in the spec".to_owned(),
        ),
    };
    Refusal {
        id: id.clone(),
        reason,
        hint,
    }
}

/// Deleting a CodeDeploy application deletes its groups: groups under a replaced application
/// must be created again, not updated.
fn cascade_replacements(changes: &mut [Change]) {
    let replaced_apps: Vec<String> = changes
        .iter()
        .filter(|c| c.action == Action::Replace && c.id.kind == Kind::Application)
        .map(|c| c.id.name.clone())
        .collect();
    for change in changes.iter_mut() {
        if change.id.kind == Kind::DeploymentGroup
            && matches!(change.action, Action::Update | Action::NoOp)
            && replaced_apps
                .iter()
                .any(|app| change.id.name.starts_with(&format!("{app}/")))
        {
            change.action = Action::Create;
            change.live = None;
        }
    }
}

/// The differing fields; live tags are compared only on the keys pipewright sets.
fn field_changes(desired: &Resource, live: &Resource) -> Vec<FieldChange> {
    let new = desired.properties();
    let mut old = live.properties();
    if let (Some(desired_tags), Some(Value::Object(live_tags))) =
        (desired.tags(), old.get_mut("tags"))
    {
        live_tags.retain(|key, _| desired_tags.contains_key(key));
    }
    let mut out = Vec::new();
    compare("", Some(&old), Some(&new), &mut out);
    let managed = live.aws_managed_fields();
    out.retain(|change| {
        !managed
            .iter()
            .any(|m| change.path.split(['.', '[']).next() == Some(*m))
    });
    let immutable = desired.immutable_fields();
    for change in &mut out {
        let root = change
            .path
            .split(['.', '['])
            .next()
            .unwrap_or(change.path.as_str());
        change.forces_replacement = immutable.contains(&root);
    }
    out
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

fn compare(path: &str, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<FieldChange>) {
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                compare(&join(path, key), a.get(key), b.get(key), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                compare(&format!("{path}[{i}]"), Some(x), Some(y), out);
            }
        }
        (a, b) if a != b => {
            // A missing key and an explicit null mean the same thing.
            if a.is_none_or(Value::is_null) && b.is_none_or(Value::is_null) {
                return;
            }
            out.push(FieldChange {
                path: path.to_owned(),
                old: a.cloned(),
                new: b.cloned(),
                forces_replacement: false,
            });
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Facts, Live};
    use crate::model::{LogGroup, Tags};

    fn group(retention: u32, tags: &[(&str, &str)]) -> Resource {
        Resource::LogGroup(LogGroup {
            name: "/aws/codebuild/x-build".to_owned(),
            retention_days: retention,
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<Tags>(),
        })
    }

    fn model(resources: Vec<Resource>) -> Model {
        Model {
            owner: "x".to_owned(),
            resources,
            dependencies: Vec::new(),
            checks: Vec::new(),
            target: crate::model::Target::new("123456789012", "us-east-1"),
        }
    }

    fn live(resource: Resource, owner: Owner) -> LiveState {
        let mut state = LiveState::new();
        state.insert(
            resource.id(),
            Live {
                resource,
                owner,
                facts: Facts::default(),
            },
        );
        state
    }

    const OURS: &[(&str, &str)] = &[("pipewright:pipeline", "x")];

    #[test]
    fn a_missing_resource_is_created() {
        let plan = diff(
            &model(vec![group(30, OURS)]),
            &LiveState::new(),
            Mode::Up { adopt: false },
        );
        assert_eq!(plan.changes[0].action, Action::Create);
        assert_eq!(plan.summary.create, 1);
    }

    #[test]
    fn user_tags_on_our_resource_are_not_a_change() {
        let mut tags = OURS.to_vec();
        tags.push(("cost-center", "42"));
        let plan = diff(
            &model(vec![group(30, OURS)]),
            &live(group(30, &tags), Owner::Pipeline("x".into())),
            Mode::Up { adopt: false },
        );
        assert_eq!(plan.changes[0].action, Action::NoOp);
        assert!(!plan.has_changes());
    }

    #[test]
    fn a_changed_field_is_an_update_with_old_and_new() {
        let plan = diff(
            &model(vec![group(30, OURS)]),
            &live(group(7, OURS), Owner::Pipeline("x".into())),
            Mode::Up { adopt: false },
        );
        let change = &plan.changes[0];
        assert_eq!(change.action, Action::Update);
        assert_eq!(change.fields[0].path, "retention_days");
        assert_eq!(change.fields[0].old, Some(serde_json::json!(7)));
        assert_eq!(change.fields[0].new, Some(serde_json::json!(30)));
    }

    #[test]
    fn a_foreign_resource_is_refused_not_changed() {
        let plan = diff(
            &model(vec![group(30, OURS)]),
            &live(group(7, &[]), Owner::Untagged),
            Mode::Up { adopt: false },
        );
        assert!(plan.changes.is_empty());
        assert_eq!(plan.refused.len(), 1);
    }

    #[test]
    fn down_keeps_a_bucket_holding_objects_pipewright_did_not_write() {
        let bucket = |name: &str| {
            Resource::Bucket(crate::model::Bucket {
                name: name.to_owned(),
                purpose: None,
                versioning: false,
                block_public_access: true,
                encryption: true,
                kms_key: None,
                policy: None,
                lifecycle: None,
                website: None,
                tags: Tags::new(),
            })
        };
        let mut state = live(bucket("clean"), Owner::Pipeline("x".into()));
        let mut kept = live(bucket("used"), Owner::Pipeline("x".into()));
        for found in kept.values_mut() {
            found.facts.foreign_objects = Some(crate::model::ForeignObjects {
                count: 2,
                examples: vec!["a".into(), "b".into()],
            });
        }
        state.extend(kept);
        let plan = diff(&model(vec![]), &state, Mode::Down { delete_repo: false });
        assert_eq!(plan.summary.delete, 1);
        assert_eq!(plan.changes[0].id.name, "clean");
        assert_eq!(plan.kept.len(), 1);
        assert_eq!(plan.kept[0].id.name, "used");
        assert!(plan.kept[0].reason.contains("2 object(s)"));
    }

    #[test]
    fn down_deletes_ours_and_refuses_foreign() {
        let mut state = live(group(7, OURS), Owner::Pipeline("x".into()));
        let foreign = Resource::LogGroup(LogGroup {
            name: "other".into(),
            retention_days: 1,
            tags: Tags::new(),
        });
        state.extend(live(foreign, Owner::Untagged));
        let plan = diff(&model(vec![]), &state, Mode::Down { delete_repo: false });
        assert_eq!(plan.summary.delete, 1);
        assert_eq!(plan.refused.len(), 1);
    }
}
