//! The plan for people: Terraform's symbols, one line per resource, changed fields beneath.

use std::fmt::Write as _;

use console::Style;
use serde_json::Value;

use super::{Action, Change, Mode, Plan};
use crate::output::Output;

/// Longest single-line value printed in full.
const MAX_INLINE: usize = 100;

/// The plan as text (without a trailing newline).
#[must_use]
pub fn render(plan: &Plan, out: &Output) -> String {
    let mut text = String::new();
    let pending: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.action.is_change())
        .collect();
    let verb = match plan.mode {
        Mode::Up { .. } => "up",
        Mode::Down { .. } => "down",
    };
    if pending.is_empty() {
        let _ = writeln!(
            text,
            "No changes: pipeline {} matches the spec ({} resources checked).",
            plan.pipeline, plan.summary.unchanged
        );
    } else {
        let _ = writeln!(
            text,
            "pipewright {verb} will make these changes to pipeline {}:\n",
            plan.pipeline
        );
        for change in &pending {
            write_change(&mut text, change, *out);
        }
        let s = plan.summary;
        let _ = writeln!(
            text,
            "\nPlan: {} to create, {} to update, {} to replace, {} to delete ({} unchanged).",
            s.create, s.update, s.replace, s.delete, s.unchanged
        );
    }
    for kept in &plan.kept {
        let _ = writeln!(text, "Kept: {} ({})", kept.id, kept.reason);
    }
    for refused in &plan.refused {
        let _ = writeln!(
            text,
            "{} {}: {}\n  hint: {}",
            out.style(Style::new().red().bold()).apply_to("Refused:"),
            refused.id,
            refused.reason,
            refused.hint
        );
    }
    text.trim_end().to_owned()
}

fn style_for(action: Action) -> Style {
    match action {
        Action::Create => Style::new().green(),
        Action::Update => Style::new().yellow(),
        Action::Replace => Style::new().magenta(),
        Action::Delete => Style::new().red(),
        Action::NoOp => Style::new(),
    }
}

fn write_change(text: &mut String, change: &Change, out: Output) {
    let style = out.style(style_for(change.action));
    let replaced_by: Vec<&str> = change
        .fields
        .iter()
        .filter(|f| f.forces_replacement)
        .map(|f| f.path.as_str())
        .collect();
    let note = if replaced_by.is_empty() {
        String::new()
    } else {
        format!(" ({} cannot change in place)", replaced_by.join(", "))
    };
    let _ = writeln!(
        text,
        "  {} {}{note}",
        style.apply_to(format!("{:>3}", change.action.symbol())),
        change.id
    );
    for field in &change.fields {
        write_field(text, &field.path, field.old.as_ref(), field.new.as_ref());
    }
}

fn write_field(text: &mut String, path: &str, old: Option<&Value>, new: Option<&Value>) {
    if let (Some(Value::String(a)), Some(Value::String(b))) = (old, new)
        && (a.contains('\n') || b.contains('\n'))
    {
        let _ = writeln!(text, "        {path}:");
        let diff = similar::TextDiff::from_lines(a.as_str(), b.as_str());
        for change in diff.iter_all_changes() {
            let sign = match change.tag() {
                similar::ChangeTag::Delete => "-",
                similar::ChangeTag::Insert => "+",
                similar::ChangeTag::Equal => continue,
            };
            let _ = writeln!(text, "          {sign} {}", change.value().trim_end());
        }
        return;
    }
    let _ = writeln!(text, "        {path}: {} → {}", show(old), show(new));
}

fn show(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "(none)".to_owned(),
        Some(value) => {
            let text = value.to_string();
            if text.chars().count() > MAX_INLINE {
                let cut: String = text.chars().take(MAX_INLINE).collect();
                format!("{cut}…")
            } else {
                text
            }
        }
    }
}
