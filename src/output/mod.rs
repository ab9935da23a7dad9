//! How results reach the user: human text (with or without colour) or JSON.
//!
//! Commands decide *what* to say; this module decides *how*, once, from the global flags, so no
//! command checks `NO_COLOR` or terminals itself. The command line builds an [`Output`] from its
//! flags; this module owns the type, so nothing here looks up at the command line.

use std::io::IsTerminal;

/// What the output is made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Text for people.
    Human,
    /// One JSON document (or one object per line for streams), for programs.
    Json,
}

/// Output settings resolved from the global flags and the environment.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub format: Format,
    /// Colour and terminal styling allowed on stdout.
    pub color: bool,
    /// Colour allowed on stderr (errors, progress).
    pub color_stderr: bool,
    pub quiet: bool,
    pub verbose: u8,
}

impl Output {
    /// Colour only on a terminal, and never with `no_color` or `NO_COLOR` set.
    #[must_use]
    pub fn resolve(format: Format, no_color: bool, quiet: bool, verbose: u8) -> Self {
        let forbidden = no_color || no_color_env();
        Self {
            format,
            color: !forbidden && std::io::stdout().is_terminal(),
            color_stderr: !forbidden && std::io::stderr().is_terminal(),
            quiet,
            verbose,
        }
    }

    #[must_use]
    pub fn is_json(&self) -> bool {
        self.format == Format::Json
    }

    /// Style text for stdout (no-op without colour).
    #[must_use]
    pub fn style(&self, style: console::Style) -> console::Style {
        style.force_styling(self.color)
    }

    /// Style text for stderr (no-op without colour).
    #[must_use]
    pub fn style_err(&self, style: console::Style) -> console::Style {
        style.force_styling(self.color_stderr)
    }
}

/// `NO_COLOR` set to anything non-empty turns colour off (<https://no-color.org>).
fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}
