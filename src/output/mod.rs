//! How results reach the user: human text (with or without colour) or JSON.
//!
//! Commands decide *what* to say; this module decides *how*, once, from the global flags, so no
//! command checks `NO_COLOR` or terminals itself.

use std::io::IsTerminal;

use crate::cli::args::{GlobalArgs, OutputFormat};

/// Output settings resolved from the global flags and the environment.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub format: OutputFormat,
    /// Colour and terminal styling allowed on stdout.
    pub color: bool,
    /// Colour allowed on stderr (errors, progress).
    pub color_stderr: bool,
    pub quiet: bool,
    pub verbose: u8,
}

impl Output {
    #[must_use]
    pub fn from_args(args: &GlobalArgs) -> Self {
        let forbidden = args.no_color || no_color_env();
        Self {
            format: args.output,
            color: !forbidden && std::io::stdout().is_terminal(),
            color_stderr: !forbidden && std::io::stderr().is_terminal(),
            quiet: args.quiet,
            verbose: args.verbose,
        }
    }

    #[must_use]
    pub fn is_json(&self) -> bool {
        self.format == OutputFormat::Json
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
