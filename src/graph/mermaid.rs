//! Mermaid `flowchart LR`: pastes into GitHub markdown inside a ```` ```mermaid ```` block.
//!
//! Every label is quoted and every character Mermaid could read as syntax is written as an
//! entity code (`#34;` for `"`), so no name can break the chart or inject markup.

use std::fmt::Write as _;

use super::build::{Edge, PipelineGraph};
use super::{Shape, node_id, node_lines, shape};

/// The whole chart.
#[must_use]
pub fn render(graph: &PipelineGraph) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "flowchart LR");
    let _ = writeln!(
        out,
        "  %% ==> artifact passed between actions, --> then, -.-> uses / runs as / needs"
    );
    if !graph.stages.is_empty() {
        let _ = writeln!(
            out,
            "  subgraph pipeline [\"{}\"]",
            escape(&format!("pipeline {}", graph.pipeline))
        );
        let _ = writeln!(out, "    direction LR");
        for (i, stage) in graph.stages.iter().enumerate() {
            let _ = writeln!(out, "    subgraph stage{i} [\"{}\"]", escape(&stage.name));
            for &action in &stage.actions {
                let _ = writeln!(out, "      {}", node(graph, action));
            }
            let _ = writeln!(out, "    end");
        }
        let _ = writeln!(out, "  end");
    }
    if !graph.resources.is_empty() {
        let _ = writeln!(out, "  subgraph resources [\"resources\"]");
        for &resource in &graph.resources {
            let _ = writeln!(out, "    {}", node(graph, resource));
        }
        let _ = writeln!(out, "  end");
    }
    for (from, to, edge) in graph.edges() {
        let arrow = match edge {
            Edge::Artifact(_) => "==>",
            Edge::Then => "-->",
            Edge::Uses | Edge::RunsAs | Edge::Needs => "-.->",
        };
        let label = match edge {
            Edge::Then => String::new(),
            _ => format!("|\"{}\"|", escape(edge.label())),
        };
        let _ = writeln!(out, "  {} {arrow}{label} {}", node_id(from), node_id(to));
    }
    out
}

/// `n3["CodeBuild project<br/>site-build"]`, in the node's shape.
fn node(graph: &PipelineGraph, index: petgraph::graph::NodeIndex) -> String {
    let label = node_lines(graph.node(index))
        .iter()
        .map(|line| escape(line))
        .collect::<Vec<_>>()
        .join("<br/>");
    let (open, close) = match shape(graph.node(index)) {
        Shape::Action => ("[\"", "\"]"),
        Shape::Role => ("([\"", "\"])"),
        Shape::Store => ("[(\"", "\")]"),
        Shape::Pipeline => ("[[\"", "\"]]"),
        Shape::Other => ("(\"", "\")"),
    };
    format!("{}{open}{label}{close}", node_id(index))
}

/// Text safe inside a quoted Mermaid label: syntax characters become entity codes.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' | '#' | '<' | '>' | '&' | '`' | '|' | '[' | ']' | '{' | '}' | '(' | ')' | ';' => {
                let _ = write!(out, "#{};", u32::from(c));
            }
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
    fn syntax_characters_become_entity_codes() {
        assert_eq!(escape("plain-name_1.2"), "plain-name_1.2");
        assert_eq!(escape("a\"b"), "a#34;b");
        assert_eq!(escape("#x"), "#35;x");
        assert_eq!(escape("<br/>"), "#60;br/#62;");
        assert_eq!(escape("a|b]c"), "a#124;b#93;c");
        assert_eq!(escape("`md`"), "#96;md#96;");
        assert_eq!(escape("line\nbreak"), "line break");
    }
}
