//! `pipewright graph`: draw the pipeline and the resources behind it, offline.

use super::Context;
use super::args::{GraphArgs, GraphFormat};
use super::offline::Offline;
use super::stdout::emit;
use crate::aws::PLACEHOLDER_ACCOUNT;
use crate::error::Result;
use crate::graph::{PipelineGraph, TerminalStyle, dot, mermaid, terminal};

pub(crate) fn run(ctx: &Context, args: &GraphArgs) -> Result<()> {
    let offline = Offline::load(ctx)?;
    let mut graph = PipelineGraph::from_model(&offline.model);
    let text = if ctx.out.is_json() {
        serde_json::to_string_pretty(&graph.to_json()).unwrap_or_default() + "\n"
    } else {
        match args.format {
            GraphFormat::Terminal => {
                if graph.account == PLACEHOLDER_ACCOUNT {
                    graph.account = format!("{PLACEHOLDER_ACCOUNT}, a placeholder");
                }
                let style = TerminalStyle {
                    unicode: !args.ascii,
                    color: ctx.out.color,
                };
                terminal::render(&graph, style)
            }
            GraphFormat::Mermaid => mermaid::render(&graph),
            GraphFormat::Dot => dot::render(&graph),
        }
    };
    offline.note_region(ctx);
    emit(&text, "write to stdout")
}
