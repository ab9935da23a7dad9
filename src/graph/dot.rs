//! Graphviz DOT: `pipewright graph --format dot | dot -Tsvg > pipeline.svg`.
//!
//! The pipeline is a cluster of stage clusters, the resources another cluster; every label is a
//! quoted string with `\` and `"` escaped, so any name is a valid DOT string.

use std::fmt::Write as _;

use super::build::{Edge, PipelineGraph};
use super::{Shape, node_id, node_lines, shape};

/// The whole graph.
#[must_use]
pub fn render(graph: &PipelineGraph) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph pipewright {{");
    let _ = writeln!(out, "  rankdir=LR;");
    let _ = writeln!(out, "  fontname=\"Helvetica\";");
    let _ = writeln!(
        out,
        "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];"
    );
    let _ = writeln!(out, "  edge [fontname=\"Helvetica\", fontsize=9];");
    if !graph.stages.is_empty() {
        let _ = writeln!(out, "  subgraph cluster_pipeline {{");
        let _ = writeln!(
            out,
            "    label=\"{}\";",
            escape(&format!("pipeline {}", graph.pipeline))
        );
        for (i, stage) in graph.stages.iter().enumerate() {
            let _ = writeln!(out, "    subgraph cluster_stage{i} {{");
            let _ = writeln!(out, "      label=\"{}\";", escape(&stage.name));
            for &action in &stage.actions {
                let _ = writeln!(out, "      {}", node(graph, action));
            }
            let _ = writeln!(out, "    }}");
        }
        let _ = writeln!(out, "  }}");
    }
    if !graph.resources.is_empty() {
        let _ = writeln!(out, "  subgraph cluster_resources {{");
        let _ = writeln!(out, "    label=\"resources\";");
        let _ = writeln!(out, "    style=dashed;");
        for &resource in &graph.resources {
            let _ = writeln!(out, "    {}", node(graph, resource));
        }
        let _ = writeln!(out, "  }}");
    }
    for (from, to, edge) in graph.edges() {
        let attributes = match edge {
            Edge::Artifact(name) => format!("label=\"{}\", style=bold", escape(name)),
            Edge::Then => String::new(),
            Edge::Uses => format!("label=\"{}\", style=dashed", escape(edge.label())),
            Edge::RunsAs => format!("label=\"{}\", style=dotted", escape(edge.label())),
            Edge::Needs => format!(
                "label=\"{}\", style=dashed, color=gray45, fontcolor=gray45",
                escape(edge.label())
            ),
        };
        if attributes.is_empty() {
            let _ = writeln!(out, "  {} -> {};", node_id(from), node_id(to));
        } else {
            let _ = writeln!(
                out,
                "  {} -> {} [{attributes}];",
                node_id(from),
                node_id(to)
            );
        }
    }
    let _ = writeln!(out, "}}");
    out
}

fn node(graph: &PipelineGraph, index: petgraph::graph::NodeIndex) -> String {
    let label = node_lines(graph.node(index))
        .iter()
        .map(|line| escape(line))
        .collect::<Vec<_>>()
        .join("\\n");
    let attributes = match shape(graph.node(index)) {
        Shape::Action => "shape=box, style=\"rounded,filled\", fillcolor=\"#eef3fb\"",
        Shape::Role => "shape=ellipse, style=solid",
        Shape::Store => "shape=cylinder, style=solid",
        Shape::Pipeline => "shape=box3d, style=solid",
        Shape::Other => "shape=box, style=rounded",
    };
    format!("{} [label=\"{label}\", {attributes}];", node_id(index))
}

/// Text safe inside a DOT quoted string (also in a label, where `\` starts an escape).
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn quotes_and_backslashes_are_escaped() {
        assert_eq!(escape("plain/name-1"), "plain/name-1");
        assert_eq!(escape("a\"b"), "a\\\"b");
        assert_eq!(escape("a\\N"), "a\\\\N");
        assert_eq!(escape("two\nlines"), "two lines");
    }
}
