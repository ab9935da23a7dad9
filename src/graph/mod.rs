//! `pipewright graph`: the pipeline and the resources behind it, as a picture.
//!
//! One typed graph ([`PipelineGraph`], petgraph) is built from the desired model: action nodes
//! grouped by stage, joined by the artifacts they pass (`SourceOutput`, `BuildOutput`) and by run
//! order; resource nodes joined by what each needs; and from each action, the resource it works
//! on (`uses`) and the role whose permissions do the work (`runs as`). Three renderers draw that
//! one graph, so the terminal box drawing, Mermaid and Graphviz DOT never disagree.

mod build;
pub mod dot;
pub mod mermaid;
pub mod terminal;

use petgraph::graph::NodeIndex;

pub use build::{ActionNode, Edge, Node, PipelineGraph, StageNodes};
pub use terminal::TerminalStyle;

use crate::model::Kind;

/// A node's identifier in Mermaid and DOT: its index, so no name ever needs escaping there.
fn node_id(index: NodeIndex) -> String {
    format!("n{}", index.index())
}

/// A node's label, line by line.
fn node_lines(node: &Node) -> Vec<String> {
    match node {
        Node::Action(action) => vec![action.name.clone(), action.does()],
        Node::Resource(id) => vec![id.kind.label().to_owned(), id.name.clone()],
    }
}

/// How a node is drawn, by what it is.
enum Shape {
    Action,
    Role,
    Store,
    Pipeline,
    Other,
}

fn shape(node: &Node) -> Shape {
    match node {
        Node::Action(_) => Shape::Action,
        Node::Resource(id) => match id.kind {
            Kind::Role => Shape::Role,
            Kind::Bucket | Kind::Repository | Kind::LogGroup => Shape::Store,
            Kind::Pipeline => Shape::Pipeline,
            _ => Shape::Other,
        },
    }
}
