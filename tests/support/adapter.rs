//! An adapter test's session: the adapters called as a library against the emulator, with the
//! desired model of an example spec renamed to the test's scope (so tests run in parallel), and
//! the round-trip steps every adapter test shares. Service-specific steps live beside their tests
//! (`impl Session` in each test module).

use std::path::PathBuf;

use pipewright::aws::{self, Clients, DeleteOptions};
use pipewright::model::{Kind, Live, Model, Owner, Resource, ResourceId, Target};
use pipewright::spec::LoadedSpec;
use serde_json::{Value, json};

use super::Scope;
use super::aws::{ACCOUNT, Aws, REGION, block_on, clients};

/// One test's pipeline: its scope, pipewright's clients as that scope, an independent reader and
/// the desired model of an example (possibly edited) renamed to the scope's name.
pub struct Session {
    pub scope: Scope,
    pub clients: Clients,
    pub aws: Aws,
    pub loaded: LoadedSpec,
    pub model: Model,
}

impl Session {
    pub fn new(example: &str) -> Self {
        Self::edited(example, |text| text)
    }

    /// The example with `edit` applied to its text (after renaming).
    pub fn edited(example: &str, edit: impl Fn(String) -> String) -> Self {
        let scope = Scope::new();
        // A created pipeline would start running its (absent) source: nothing here needs that.
        scope.configure(json!({ "start_on_create": false }));
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(example)
            .join("pipewright.yml");
        // The name, the repository and the site bucket all derive from the example's name.
        let text = std::fs::read_to_string(&path)
            .expect("read the example")
            .replace(example, &scope.name);
        let loaded = pipewright::spec::load_str(&path, &edit(text)).expect("a valid example");
        let model = pipewright::render::desired_model(&loaded, &Target::new(ACCOUNT, REGION))
            .expect("a buildspec");
        Self {
            clients: clients(&scope),
            aws: Aws::new(),
            scope,
            loaded,
            model,
        }
    }

    /// The one desired resource of `kind`.
    pub fn desired(&self, kind: Kind) -> Resource {
        self.model
            .resources
            .iter()
            .find(|r| r.kind() == kind)
            .cloned()
            .unwrap_or_else(|| panic!("the model has no {kind}"))
    }

    pub fn create(&self, resource: &Resource) {
        block_on(aws::create(&self.clients, resource))
            .unwrap_or_else(|e| panic!("create {}: {e}", resource.id()));
    }

    pub fn read(&self, resource: &Resource) -> Live {
        block_on(aws::read(&self.clients, &resource.id()))
            .unwrap_or_else(|e| panic!("read {}: {e}", resource.id()))
            .unwrap_or_else(|| panic!("{} should exist", resource.id()))
    }

    pub fn update(&self, desired: &Resource, live: &Resource) {
        block_on(aws::update(&self.clients, desired, live))
            .unwrap_or_else(|e| panic!("update {}: {e}", desired.id()));
    }

    /// Delete twice: the second call finds nothing and must succeed all the same.
    pub fn delete_twice(&self, live: &Resource) {
        for attempt in ["first", "second"] {
            block_on(aws::delete(&self.clients, live, DeleteOptions::default()))
                .unwrap_or_else(|e| panic!("{attempt} delete of {}: {e}", live.id()));
        }
        assert!(
            block_on(aws::read(&self.clients, &live.id()))
                .expect("read after delete")
                .is_none(),
            "pipewright still reads {} after delete",
            live.id()
        );
    }

    /// Writes this scope made since the counter was last cleared.
    pub fn writes(&self) -> Vec<(String, u64)> {
        self.scope.writes().into_iter().collect()
    }
}

/// Roles are account-wide and listed by other tests: leave no CodeDeploy role behind (whatever
/// else a test created goes with its own deletes, or is harmless to the others).
impl Drop for Session {
    fn drop(&mut self) {
        let role = ResourceId::new(Kind::Role, self.loaded.spec.names().codedeploy_role());
        if let Some(role) = self.model.get(&role) {
            let _ = block_on(aws::delete(&self.clients, role, DeleteOptions::default()));
        }
    }
}

/// The live resource's properties equal the desired ones, comparing tags only on the keys
/// pipewright sets (as the plan does); a taggable resource is owned by the pipeline.
pub fn assert_converged(desired: &Resource, live: &Live, pipeline: &str) {
    let expected_owner = if desired.kind().taggable() {
        Owner::Pipeline(pipeline.to_owned())
    } else {
        Owner::Untaggable
    };
    assert_eq!(live.owner, expected_owner);
    let mut read = live.resource.properties();
    if let (Some(tags), Some(Value::Object(live_tags))) = (desired.tags(), read.get_mut("tags")) {
        live_tags.retain(|key, _| tags.contains_key(key));
    }
    assert_eq!(
        read,
        desired.properties(),
        "the read-back {} differs from the model",
        desired.id()
    );
}

/// Each operation once, in the order the request counter lists them.
pub fn ops(pairs: &[&str]) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = pairs.iter().map(|op| ((*op).to_owned(), 1)).collect();
    out.sort();
    out
}
