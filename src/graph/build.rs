//! The model as one typed graph: what the renderers draw.

use std::collections::BTreeMap;

use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

use crate::model::{Action, ActionCategory, Kind, Model, Pipeline, Resource, ResourceId};

/// A thing in the picture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "node", rename_all = "kebab-case")]
pub enum Node {
    /// An action of a pipeline stage.
    Action(ActionNode),
    /// A resource pipewright manages.
    Resource(ResourceId),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionNode {
    pub stage: String,
    pub name: String,
    pub category: ActionCategory,
    /// `CodeCommit`, `CodeBuild`, `S3`, `Manual`, …
    pub provider: String,
    pub run_order: i32,
}

impl ActionNode {
    /// What the action does, in words: `manual approval`, `AWS CodeBuild`.
    #[must_use]
    pub fn does(&self) -> String {
        if self.category == ActionCategory::Approval {
            "manual approval".to_owned()
        } else {
            format!("AWS {}", self.provider)
        }
    }
}

/// How two things are related.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "edge", content = "artifact", rename_all = "kebab-case")]
pub enum Edge {
    /// Action → action: the artifact one produces and the other consumes.
    Artifact(String),
    /// Action → action: runs after (run order within a stage, or the next stage).
    Then,
    /// Action → resource: the resource the action acts on (repository, project, group, bucket).
    Uses,
    /// Action → role: the role whose permissions do the action's work.
    RunsAs,
    /// Resource → resource: needs it to exist first.
    Needs,
}

impl Edge {
    /// The label drawn on the edge.
    #[must_use]
    pub fn label(&self) -> &str {
        match self {
            Edge::Artifact(name) => name,
            Edge::Then => "then",
            Edge::Uses => "uses",
            Edge::RunsAs => "runs as",
            Edge::Needs => "needs",
        }
    }
}

/// One stage and its actions, in run order.
#[derive(Debug, Clone)]
pub struct StageNodes {
    pub name: String,
    pub actions: Vec<NodeIndex>,
}

/// The pipeline and the resources behind it.
#[derive(Debug, Clone)]
pub struct PipelineGraph {
    pub graph: DiGraph<Node, Edge>,
    /// The pipeline's name (empty when the model has no pipeline).
    pub pipeline: String,
    pub region: String,
    pub account: String,
    pub stages: Vec<StageNodes>,
    /// Resource nodes in print order (kind, then name).
    pub resources: Vec<NodeIndex>,
}

impl PipelineGraph {
    /// The graph of a desired model.
    #[must_use]
    pub fn from_model(model: &Model) -> Self {
        let mut graph = DiGraph::new();
        let mut ids: Vec<ResourceId> = model.resources.iter().map(Resource::id).collect();
        ids.sort();
        let mut by_id = BTreeMap::new();
        let mut resources = Vec::new();
        for id in ids {
            let index = graph.add_node(Node::Resource(id.clone()));
            by_id.insert(id, index);
            resources.push(index);
        }
        let mut this = Self {
            graph,
            pipeline: String::new(),
            region: model.target.region.clone(),
            account: model.target.account_id.clone(),
            stages: Vec::new(),
            resources,
        };
        if let Some(pipeline) = model.resources.iter().find_map(|r| match r {
            Resource::Pipeline(p) => Some(p),
            _ => None,
        }) {
            this.pipeline.clone_from(&pipeline.name);
            this.add_pipeline(model, pipeline, &by_id);
        }
        for (a, b) in &model.dependencies {
            if let (Some(&from), Some(&to)) = (by_id.get(a), by_id.get(b)) {
                this.link(from, to, Edge::Needs);
            }
        }
        this
    }

    /// The graph as data, for `--output json`: nodes with their ids (`n0`, …, as in Mermaid and
    /// DOT), stages listing their actions' ids, and edges by id.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let id = |index: NodeIndex| super::node_id(index);
        let nodes: Vec<serde_json::Value> = self
            .graph
            .node_indices()
            .map(|index| {
                let mut value = serde_json::to_value(&self.graph[index]).unwrap_or_default();
                if let Some(map) = value.as_object_mut() {
                    map.insert("id".to_owned(), id(index).into());
                }
                value
            })
            .collect();
        let edges: Vec<serde_json::Value> = self
            .edges()
            .map(|(from, to, edge)| {
                let mut value = serde_json::to_value(edge).unwrap_or_default();
                if let Some(map) = value.as_object_mut() {
                    map.insert("from".to_owned(), id(from).into());
                    map.insert("to".to_owned(), id(to).into());
                }
                value
            })
            .collect();
        let stages: Vec<serde_json::Value> = self
            .stages
            .iter()
            .map(|stage| {
                serde_json::json!({
                    "name": stage.name,
                    "actions": stage.actions.iter().map(|&a| id(a)).collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::json!({
            "pipeline": self.pipeline,
            "region": self.region,
            "account": self.account,
            "stages": stages,
            "nodes": nodes,
            "edges": edges,
        })
    }

    /// The node's data.
    #[must_use]
    pub fn node(&self, index: NodeIndex) -> &Node {
        &self.graph[index]
    }

    /// Edges in the order they were added: stable output for every renderer.
    pub fn edges(&self) -> impl Iterator<Item = (NodeIndex, NodeIndex, &Edge)> {
        self.graph
            .raw_edges()
            .iter()
            .map(|e| (e.source(), e.target(), &e.weight))
    }

    /// Edges leaving `index`, in the order they were added.
    pub fn edges_from(&self, index: NodeIndex) -> impl Iterator<Item = (NodeIndex, &Edge)> {
        self.edges()
            .filter(move |(from, _, _)| *from == index)
            .map(|(_, to, edge)| (to, edge))
    }

    /// Edges reaching `index`, in the order they were added.
    pub fn edges_to(&self, index: NodeIndex) -> impl Iterator<Item = (NodeIndex, &Edge)> {
        self.edges()
            .filter(move |(_, to, _)| *to == index)
            .map(|(from, _, edge)| (from, edge))
    }

    fn link(&mut self, from: NodeIndex, to: NodeIndex, edge: Edge) {
        let exists = self
            .graph
            .edges_connecting(from, to)
            .any(|e| *e.weight() == edge);
        if !exists {
            self.graph.add_edge(from, to, edge);
        }
    }

    fn add_pipeline(
        &mut self,
        model: &Model,
        pipeline: &Pipeline,
        by_id: &BTreeMap<ResourceId, NodeIndex>,
    ) {
        let mut producers: BTreeMap<&str, NodeIndex> = BTreeMap::new();
        let mut previous_last: Vec<NodeIndex> = Vec::new();
        for stage in &pipeline.stages {
            let mut actions: Vec<&Action> = stage.actions.iter().collect();
            actions.sort_by_key(|a| a.run_order);
            let mut nodes = Vec::new();
            for action in &actions {
                let index = self.graph.add_node(Node::Action(ActionNode {
                    stage: stage.name.clone(),
                    name: action.name.clone(),
                    category: action.category.clone(),
                    provider: action.provider.clone(),
                    run_order: action.run_order,
                }));
                for input in &action.inputs {
                    if let Some(&from) = producers.get(input.as_str()) {
                        self.link(from, index, Edge::Artifact(input.clone()));
                    }
                }
                for output in &action.outputs {
                    producers.insert(output, index);
                }
                if let Some(resource) = used_resource(model, action)
                    && let Some(&to) = by_id.get(&resource)
                {
                    self.link(index, to, Edge::Uses);
                }
                if let Some(role) = role_of(model, pipeline, action)
                    && let Some(&to) = by_id.get(&ResourceId::new(Kind::Role, role))
                {
                    self.link(index, to, Edge::RunsAs);
                }
                nodes.push((action.run_order, index));
            }
            // Run order inside the stage, then the next stage after this one's last actions.
            let orders: Vec<i32> = {
                let mut o: Vec<i32> = nodes.iter().map(|(order, _)| *order).collect();
                o.dedup();
                o
            };
            let at = |order: i32| -> Vec<NodeIndex> {
                nodes
                    .iter()
                    .filter(|(o, _)| *o == order)
                    .map(|(_, i)| *i)
                    .collect()
            };
            if let Some(&first) = orders.first() {
                self.then_edges(&previous_last, &at(first));
            }
            for pair in orders.windows(2) {
                self.then_edges(&at(pair[0]), &at(pair[1]));
            }
            if let Some(&last) = orders.last() {
                previous_last = at(last);
            }
            self.stages.push(StageNodes {
                name: stage.name.clone(),
                actions: nodes.into_iter().map(|(_, i)| i).collect(),
            });
        }
    }

    /// `Then` edges from every `before` to every `after` not already joined by an artifact.
    fn then_edges(&mut self, before: &[NodeIndex], after: &[NodeIndex]) {
        for &from in before {
            for &to in after {
                if self.graph.find_edge(from, to).is_none() {
                    self.graph.add_edge(from, to, Edge::Then);
                }
            }
        }
    }
}

/// The managed resource an action works on, read from its configuration.
fn used_resource(model: &Model, action: &Action) -> Option<ResourceId> {
    let config = |key: &str| action.configuration.get(key).map(String::as_str);
    let id = if let Some(project) = config("ProjectName") {
        ResourceId::new(Kind::Project, project)
    } else if let (Some(app), Some(group)) =
        (config("ApplicationName"), config("DeploymentGroupName"))
    {
        ResourceId::new(Kind::DeploymentGroup, format!("{app}/{group}"))
    } else if let Some(repository) = config("RepositoryName") {
        ResourceId::new(Kind::Repository, repository)
    } else if let Some(bucket) = config("BucketName") {
        ResourceId::new(Kind::Bucket, bucket)
    } else {
        return None;
    };
    model.get(&id).is_some().then_some(id)
}

/// The role whose permissions do the action's work: the project's service role for a build,
/// the deployment group's for a CodeDeploy deployment, the pipeline's own role for what
/// CodePipeline does itself (source, S3 deploy); none for a manual approval.
fn role_of<'m>(model: &'m Model, pipeline: &'m Pipeline, action: &Action) -> Option<&'m str> {
    if action.category == ActionCategory::Approval {
        return None;
    }
    let arn = match used_resource(model, action).and_then(|id| model.get(&id)) {
        Some(Resource::Project(project)) => &project.service_role,
        Some(Resource::DeploymentGroup(group)) => &group.service_role,
        _ => &pipeline.role,
    };
    arn.rsplit_once('/').map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::{Inputs, Target};

    fn graph_of(yaml: &str) -> PipelineGraph {
        let loaded = crate::spec::load_str(Path::new("pipewright.yml"), yaml).unwrap();
        let buildspec = crate::render::buildspec(&loaded.spec).unwrap();
        let target = Target::new("123456789012", "us-east-1");
        let model = Model::desired(&Inputs {
            spec: &loaded.spec,
            target: &target,
            buildspec: &buildspec,
        });
        PipelineGraph::from_model(&model)
    }

    const SITE: &str = "\
version: 1
name: g
source:
  codecommit:
    repository: g-repo
build:
  commands: [echo built]
deploy:
  s3:
    bucket: g-site
";

    fn find(graph: &PipelineGraph, what: &str) -> NodeIndex {
        graph
            .graph
            .node_indices()
            .find(|&i| match &graph.graph[i] {
                Node::Action(a) => format!("action {}/{}", a.stage, a.name) == what,
                Node::Resource(id) => id.to_string() == what,
            })
            .unwrap_or_else(|| panic!("no node {what}"))
    }

    fn edge(graph: &PipelineGraph, from: &str, to: &str) -> Option<Edge> {
        let (from, to) = (find(graph, from), find(graph, to));
        graph
            .edges()
            .find(|(f, t, _)| *f == from && *t == to)
            .map(|(_, _, e)| e.clone())
    }

    #[test]
    fn actions_pass_artifacts_and_run_as_the_role_that_does_the_work() {
        let g = graph_of(SITE);
        assert_eq!(g.stages.len(), 3);
        assert_eq!(
            edge(&g, "action Source/Source", "action Build/Build"),
            Some(Edge::Artifact("SourceOutput".to_owned()))
        );
        assert_eq!(
            edge(&g, "action Build/Build", "action Deploy/Deploy"),
            Some(Edge::Artifact("BuildOutput".to_owned()))
        );
        assert_eq!(
            edge(&g, "action Source/Source", "CodeCommit repository g-repo"),
            Some(Edge::Uses)
        );
        assert_eq!(
            edge(&g, "action Build/Build", "IAM role g-codebuild-role"),
            Some(Edge::RunsAs)
        );
        assert_eq!(
            edge(&g, "action Deploy/Deploy", "IAM role g-codepipeline-role"),
            Some(Edge::RunsAs)
        );
        assert_eq!(
            edge(&g, "CodeBuild project g-build", "IAM role g-codebuild-role"),
            Some(Edge::Needs)
        );
    }

    #[test]
    fn every_resource_of_the_model_is_a_node_once() {
        let g = graph_of(SITE);
        let mut names: Vec<String> = g
            .resources
            .iter()
            .map(|&i| match &g.graph[i] {
                Node::Resource(id) => id.to_string(),
                Node::Action(_) => unreachable!(),
            })
            .collect();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count);
        assert!(
            names.contains(&"pipeline g-pipeline".to_owned()),
            "{names:?}"
        );
        assert!(
            names.contains(&"EventBridge rule g-source-change".to_owned()),
            "{names:?}"
        );
    }
}
