//! The order changes may run in, as a DAG over the plan's pending changes.
//!
//! Creates and updates follow the model's dependencies (a project after its role). Deletes run
//! the other way round: a resource is deleted only after every change to the kinds that could
//! refer to it (`Kind::referenced_by`) — so a pipeline stops pointing at an old bucket before the
//! bucket goes, and nothing waits where AWS does not care.

use petgraph::graph::{DiGraph, NodeIndex};

use crate::model::ResourceId;
use crate::plan::{Action, Change};

/// Edges point from a change to the changes that must wait for it.
pub(crate) struct Order {
    pub graph: DiGraph<usize, ()>,
    pub nodes: Vec<NodeIndex>,
}

pub(crate) fn order(changes: &[&Change], dependencies: &[(ResourceId, ResourceId)]) -> Order {
    let mut graph = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..changes.len()).map(|i| graph.add_node(i)).collect();
    let index_of = |id: &ResourceId| changes.iter().position(|c| &c.id == id);

    for (dependent, dependency) in dependencies {
        let (Some(a), Some(b)) = (index_of(dependent), index_of(dependency)) else {
            continue;
        };
        let (da, db) = (changes[a].action, changes[b].action);
        if da != Action::Delete && db != Action::Delete {
            graph.update_edge(nodes[b], nodes[a], ());
        }
    }
    for (i, change) in changes.iter().enumerate() {
        if change.action != Action::Delete {
            continue;
        }
        let referrers = change.id.kind.referenced_by();
        for (j, other) in changes.iter().enumerate() {
            if i != j && referrers.contains(&other.id.kind) {
                graph.update_edge(nodes[j], nodes[i], ());
            }
        }
    }
    Order { graph, nodes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;

    fn change(kind: Kind, name: &str, action: Action) -> Change {
        Change {
            id: ResourceId::new(kind, name),
            action,
            fields: Vec::new(),
            desired: None,
            live: None,
        }
    }

    #[test]
    fn creates_follow_dependencies_and_deletes_wait_for_higher_ranks() {
        let role = change(Kind::Role, "r", Action::Create);
        let project = change(Kind::Project, "p", Action::Create);
        let pipeline = change(Kind::Pipeline, "pl", Action::Update);
        let old_bucket = change(Kind::Bucket, "old", Action::Delete);
        let changes = vec![&role, &project, &pipeline, &old_bucket];
        let deps = vec![(project.id.clone(), role.id.clone())];
        let order = order(&changes, &deps);
        let edge = |a: usize, b: usize| order.graph.contains_edge(order.nodes[a], order.nodes[b]);
        assert!(edge(0, 1), "role before project");
        assert!(
            edge(2, 3),
            "pipeline update before the bucket it no longer uses goes"
        );
        assert!(!edge(1, 3), "a project never refers to a bucket");
        assert!(!edge(3, 2));
        assert!(!petgraph::algo::is_cyclic_directed(&order.graph));
    }
}
