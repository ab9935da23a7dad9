//! The pipeline as a picture: stages left to right as boxes joined by arrows, or top to bottom
//! when the terminal is too narrow. Every status has a symbol and a word, so the picture reads
//! the same without colour.

use std::fmt::Write as _;

use console::Style;

use crate::diagnose::known::Explanation;
use crate::diagnose::state::{ActionView, ExecutionView, Status};
use crate::diagnose::{Diagnosis, iso};
use crate::output::Output;

/// The narrowest a stage box may be.
const MIN_BOX: usize = 24;
const ARROW: &str = " ──▶ ";

/// How wide to draw: the terminal, else `$COLUMNS`, else 100.
pub(crate) fn width() -> usize {
    console::Term::stdout()
        .size_checked()
        .map(|(_, cols)| usize::from(cols))
        .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
        .unwrap_or(100)
}

pub(crate) fn style(out: Output, status: Status) -> Style {
    out.style(raw_style(status))
}

/// A status's colour, before deciding whether the stream may be coloured.
pub(crate) fn raw_style(status: Status) -> Style {
    match status {
        Status::Succeeded => Style::new().green(),
        Status::Failed => Style::new().red().bold(),
        Status::InProgress | Status::Stopping => Style::new().cyan(),
        Status::Stopped | Status::Abandoned | Status::Cancelled | Status::Superseded => {
            Style::new().yellow()
        }
        Status::NotRun => Style::new().dim(),
    }
}

/// "12s ago", "3m ago", …
pub(crate) fn ago(millis: i64, now_ms: i64) -> String {
    let secs = (now_ms - millis).max(0) / 1000;
    match secs {
        0..60 => format!("{secs}s ago"),
        60..3_600 => format!("{}m ago", secs / 60),
        3_600..86_400 => format!("{}h ago", secs / 3_600),
        _ => format!("{}d ago", secs / 86_400),
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The whole picture: a header, the stages, then each failed action's error in full, and what
/// to do: `why` when the failure is explained already (nothing pushed yet), else where the
/// failing lines are.
pub(crate) fn render(
    view: &ExecutionView,
    out: Output,
    width: usize,
    why: Option<&Explanation>,
) -> String {
    let now = now_ms();
    let mut text = String::new();
    let execution = match &view.execution_id {
        Some(id) => format!(
            "execution {id}: {} {}{}",
            crate::diagnose::diagnosis_symbol(view.status),
            style(out, view.status).apply_to(view.status.as_str()),
            view.started_ms
                .map(|t| format!(", started {}", ago(t, now)))
                .unwrap_or_default()
        ),
        None => "never run (push to the source, or `pipewright run`)".to_owned(),
    };
    let _ = write!(text, "Pipeline {}, {execution}\n\n", view.pipeline);
    let stages = view.stages.len().max(1);
    let box_width = width.saturating_sub(ARROW.chars().count() * (stages - 1)) / stages;
    if box_width >= MIN_BOX {
        text.push_str(&columns(view, out, box_width.min(40), now));
    } else {
        text.push_str(&rows(view, out, now));
    }
    let failed: Vec<&ActionView> = view
        .actions()
        .filter(|a| a.status == Status::Failed)
        .collect();
    if !failed.is_empty() {
        text.push('\n');
    }
    for action in failed {
        let reason = action
            .error
            .as_ref()
            .map(|e| format!("{}: {}", e.code, e.message))
            .or_else(|| action.summary.clone())
            .unwrap_or_else(|| "no error details".to_owned());
        let _ = writeln!(
            text,
            "{} {}/{}: {reason}",
            style(out, Status::Failed).apply_to("✗"),
            action.stage,
            action.name
        );
    }
    if let Some(why) = why {
        let yellow = out.style(Style::new().yellow());
        let _ = write!(
            text,
            "\n{}\n{}\n{}\n",
            yellow.apply_to(format!("Why: {}", why.summary)),
            yellow.apply_to(format!("Fix: {}", why.fix)),
            yellow.apply_to(format!("Docs: {}", why.docs)),
        );
    } else if view.status == Status::Failed {
        text.push_str("\nThe failing lines: pipewright logs\n");
    }
    text
}

/// The lines inside one action's part of a box (plain text, no colour).
fn action_lines(action: &ActionView, now: i64, inner: usize) -> Vec<(String, Option<Status>)> {
    let mut lines = vec![(
        format!(
            "{} {} {}",
            crate::diagnose::diagnosis_symbol(action.status),
            action.name,
            status_word(action.status)
        ),
        Some(action.status),
    )];
    if let Some(changed) = action.changed_ms {
        lines.push((format!("  {}", ago(changed, now)), None));
    }
    if action.status == Status::Failed {
        let reason = action
            .error
            .as_ref()
            .map(|e| e.message.clone())
            .or_else(|| action.summary.clone())
            .unwrap_or_default();
        for chunk in wrap(&reason, inner.saturating_sub(2), 2) {
            lines.push((format!("  {chunk}"), None));
        }
    }
    lines
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::NotRun => "not run",
        other => other.as_str(),
    }
}

/// At most `max` lines of at most `width` characters, broken between words where possible,
/// the last one cut with `…` when the text is longer.
fn wrap(text: &str, width: usize, max: usize) -> Vec<String> {
    let width = width.max(4);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = current.chars().count();
            let gap = usize::from(used > 0);
            if used + gap + word.len() <= width {
                if gap == 1 {
                    current.push(' ');
                }
                current.extend(word.iter());
                break;
            }
            if used > 0 {
                lines.push(std::mem::take(&mut current));
                continue;
            }
            // A word longer than a line: cut it.
            let rest = word.split_off(width);
            lines.push(word.iter().collect());
            word = rest;
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max {
        lines.truncate(max);
        if let Some(last) = lines.last_mut() {
            if last.chars().count() >= width {
                last.pop();
            }
            last.push('…');
        }
    }
    lines
}

fn fit(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count > width {
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        format!("{text}{}", " ".repeat(width - count))
    }
}

fn columns(view: &ExecutionView, out: Output, box_width: usize, now: i64) -> String {
    let inner = box_width - 4;
    let boxes: Vec<Vec<(String, Option<Status>)>> = view
        .stages
        .iter()
        .map(|stage| {
            let mut lines = Vec::new();
            for (i, action) in stage.actions.iter().enumerate() {
                if i > 0 {
                    lines.push((String::new(), None));
                }
                lines.extend(action_lines(action, now, inner));
            }
            lines
        })
        .collect();
    let height = boxes.iter().map(Vec::len).max().unwrap_or(0);
    let mut text = String::new();
    // Top border with the stage name.
    for (i, stage) in view.stages.iter().enumerate() {
        if i > 0 {
            text.push_str(&" ".repeat(ARROW.chars().count()));
        }
        let title = fit(&stage.name, inner);
        let title = title.trim_end();
        let rule = "─".repeat(box_width.saturating_sub(title.chars().count() + 4));
        let _ = write!(
            text,
            "┌ {} {rule}┐",
            out.style(Style::new().bold()).apply_to(title)
        );
    }
    text.push('\n');
    for row in 0..height {
        for (i, lines) in boxes.iter().enumerate() {
            if i > 0 {
                text.push_str(if row == 0 { ARROW } else { "     " });
            }
            let (line, status) = lines.get(row).cloned().unwrap_or_default();
            let cell = fit(&line, inner);
            let cell = match status {
                Some(status) => style(out, status).apply_to(cell).to_string(),
                None => cell,
            };
            let _ = write!(text, "│ {cell} │");
        }
        text.push('\n');
    }
    for i in 0..view.stages.len() {
        if i > 0 {
            text.push_str(&" ".repeat(ARROW.chars().count()));
        }
        let _ = write!(text, "└{}┘", "─".repeat(box_width - 2));
    }
    text.push('\n');
    text
}

fn rows(view: &ExecutionView, out: Output, now: i64) -> String {
    let mut text = String::new();
    for (i, stage) in view.stages.iter().enumerate() {
        if i > 0 {
            text.push_str("  │\n  ▼\n");
        }
        let _ = writeln!(
            text,
            "{}",
            out.style(Style::new().bold()).apply_to(&stage.name)
        );
        for action in &stage.actions {
            let when = action
                .changed_ms
                .map(|t| format!("  {} ({})", iso(t), ago(t, now)))
                .unwrap_or_default();
            let head = format!(
                "{} {} {}",
                crate::diagnose::diagnosis_symbol(action.status),
                action.name,
                status_word(action.status)
            );
            let _ = writeln!(text, "  {}{when}", style(out, action.status).apply_to(head));
        }
    }
    text
}

/// A diagnosis for people, with the failure's heading coloured.
pub(crate) fn diagnosis(diagnosis: &Diagnosis, out: Output) -> String {
    coloured(&diagnosis.to_string(), out)
}

/// A diagnosis's text (or a part of it) with its heading bold, the failure red and the
/// explanation yellow.
pub(crate) fn coloured(text: &str, out: Output) -> String {
    if !out.color {
        return text.to_owned();
    }
    let mut lines = text.lines();
    let mut coloured = String::new();
    if let Some(first) = lines.next() {
        let _ = writeln!(
            coloured,
            "{}",
            out.style(Style::new().bold()).apply_to(first)
        );
    }
    for line in lines {
        let styled = if line.starts_with('✗') {
            style(out, Status::Failed).apply_to(line).to_string()
        } else if ["Why:", "Fix:", "Docs:", "The failing lines:"]
            .iter()
            .any(|p| line.starts_with(p))
        {
            out.style(Style::new().yellow()).apply_to(line).to_string()
        } else {
            line.to_owned()
        };
        coloured.push_str(&styled);
        coloured.push('\n');
    }
    coloured
}

#[cfg(test)]
mod tests {
    use super::{ago, fit, wrap};

    #[test]
    fn text_is_fitted_and_wrapped_to_the_box() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(wrap("abcdefghij", 4, 2), ["abcd", "efg…"]);
        assert_eq!(wrap("ab cd ef gh", 5, 2), ["ab cd", "ef gh"]);
        assert_eq!(wrap("ab cd ef gh ij", 5, 2), ["ab cd", "ef g…"]);
        assert_eq!(ago(0, 90_000), "1m ago");
    }
}
