//! The terminal picture: one box per stage, top to bottom (a pipeline with many environments
//! still fits an 80-column terminal), the artifacts passed between them on the connectors, then
//! the resources and what each needs. Box-drawing characters by default, plain ASCII on request.

use std::fmt::Write as _;

use console::{Style, measure_text_width};
use petgraph::graph::NodeIndex;

use super::build::{Edge, Node, PipelineGraph};

/// How to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TerminalStyle {
    /// Box-drawing characters (else ASCII).
    pub unicode: bool,
    /// Bold stage titles.
    pub color: bool,
}

struct Glyphs {
    top_left: &'static str,
    top_right: &'static str,
    bottom_left: &'static str,
    bottom_right: &'static str,
    horizontal: &'static str,
    vertical: &'static str,
    down: &'static str,
    arrow: &'static str,
    dot: &'static str,
}

const UNICODE: Glyphs = Glyphs {
    top_left: "┌",
    top_right: "┐",
    bottom_left: "└",
    bottom_right: "┘",
    horizontal: "─",
    vertical: "│",
    down: "▼",
    arrow: "──▶",
    dot: "·",
};

const ASCII: Glyphs = Glyphs {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    horizontal: "-",
    vertical: "|",
    down: "v",
    arrow: "-->",
    dot: "-",
};

/// Width of the key column inside a stage box (`runs as`).
const KEY_WIDTH: usize = 8;

/// The whole picture.
#[must_use]
pub fn render(graph: &PipelineGraph, style: TerminalStyle) -> String {
    let glyphs = if style.unicode { &UNICODE } else { &ASCII };
    let bold = Style::new().bold().force_styling(style.color);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        bold.apply_to(format!(
            "{}  (CodePipeline V2, {}, account {})",
            graph.pipeline, graph.region, graph.account
        ))
    );
    let stages: Vec<(String, Vec<String>)> = graph
        .stages
        .iter()
        .enumerate()
        .map(|(i, stage)| {
            let title = format!("Stage {}: {}", i + 1, stage.name);
            let mut lines = Vec::new();
            for &action in &stage.actions {
                lines.extend(action_lines(graph, action, glyphs));
            }
            (title, lines)
        })
        .collect();
    let inner = stages
        .iter()
        .flat_map(|(title, lines)| {
            lines
                .iter()
                .map(|l| measure_text_width(l))
                .chain([measure_text_width(title) + 2])
        })
        .max()
        .unwrap_or(0);
    for (i, (title, lines)) in stages.iter().enumerate() {
        if i > 0 {
            connector(&mut out, graph, i, glyphs);
        } else {
            out.push('\n');
        }
        let fill = inner - 1 - measure_text_width(title);
        let _ = writeln!(
            out,
            "{}{} {} {}{}",
            glyphs.top_left,
            glyphs.horizontal,
            bold.apply_to(title),
            glyphs.horizontal.repeat(fill),
            glyphs.top_right
        );
        for line in lines {
            let pad = inner - measure_text_width(line);
            let _ = writeln!(
                out,
                "{} {line}{} {}",
                glyphs.vertical,
                " ".repeat(pad),
                glyphs.vertical
            );
        }
        let _ = writeln!(
            out,
            "{}{}{}",
            glyphs.bottom_left,
            glyphs.horizontal.repeat(inner + 2),
            glyphs.bottom_right
        );
    }
    resources(&mut out, graph, glyphs, &bold);
    out
}

/// The lines of one action: its name and provider, then what it reads, uses, runs as, writes.
fn action_lines(graph: &PipelineGraph, action: NodeIndex, glyphs: &Glyphs) -> Vec<String> {
    let Node::Action(a) = graph.node(action) else {
        return Vec::new();
    };
    let mut lines = vec![format!(
        "{}. {} {} {}",
        a.run_order,
        a.name,
        glyphs.dot,
        a.does()
    )];
    let row = |key: &str, value: String| format!("   {key:<KEY_WIDTH$} {value}");
    for (from, edge) in graph.edges_to(action) {
        if let Edge::Artifact(name) = edge {
            lines.push(row(
                "in",
                format!("{name} from {}", action_path(graph, from)),
            ));
        }
    }
    let mut outputs: Vec<(&str, Vec<String>)> = Vec::new();
    for (to, edge) in graph.edges_from(action) {
        match edge {
            Edge::Uses => lines.push(row("uses", resource_label(graph, to))),
            Edge::RunsAs => lines.push(row("runs as", resource_label(graph, to))),
            Edge::Artifact(name) => match outputs.iter_mut().find(|(n, _)| n == name) {
                Some((_, targets)) => targets.push(action_path(graph, to)),
                None => outputs.push((name, vec![action_path(graph, to)])),
            },
            Edge::Then | Edge::Needs => {}
        }
    }
    for (name, targets) in outputs {
        lines.push(row("out", format!("{name} to {}", targets.join(", "))));
    }
    lines
}

/// `stage/action`.
fn action_path(graph: &PipelineGraph, index: NodeIndex) -> String {
    match graph.node(index) {
        Node::Action(a) => format!("{}/{}", a.stage, a.name),
        Node::Resource(id) => id.to_string(),
    }
}

fn resource_label(graph: &PipelineGraph, index: NodeIndex) -> String {
    match graph.node(index) {
        Node::Resource(id) => id.to_string(),
        Node::Action(_) => action_path(graph, index),
    }
}

/// The arrow into stage `i`, labelled with the artifacts that reach it from earlier stages.
fn connector(out: &mut String, graph: &PipelineGraph, i: usize, glyphs: &Glyphs) {
    let stage = &graph.stages[i];
    let mut names: Vec<&str> = Vec::new();
    for &action in &stage.actions {
        for (from, edge) in graph.edges_to(action) {
            if let Edge::Artifact(name) = edge
                && !stage.actions.contains(&from)
                && !names.contains(&name.as_str())
            {
                names.push(name);
            }
        }
    }
    if names.is_empty() {
        let _ = writeln!(out, "    {}", glyphs.vertical);
    } else {
        let _ = writeln!(out, "    {} {}", glyphs.vertical, names.join(", "));
    }
    let _ = writeln!(out, "    {}", glyphs.down);
}

/// Every resource, and under it what it needs.
fn resources(out: &mut String, graph: &PipelineGraph, glyphs: &Glyphs, bold: &Style) {
    if graph.resources.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n{}",
        bold.apply_to(format!("Resources ({} needs)", glyphs.arrow))
    );
    for &resource in &graph.resources {
        let _ = writeln!(out, "  {}", resource_label(graph, resource));
        for (to, edge) in graph.edges_from(resource) {
            if *edge == Edge::Needs {
                let _ = writeln!(out, "      {} {}", glyphs.arrow, resource_label(graph, to));
            }
        }
    }
}
