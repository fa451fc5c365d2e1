//! Color: whether a stream gets it ([`Console`], decided once by the program from the
//! terminal and the environment) and the few ANSI codes the output uses ([`Style`]).
//!
//! No crate for this: five SGR codes cover what the output needs. Nothing here decides *what*
//! is printed; `output` and `progress` do.

use std::borrow::Cow;
use std::io::IsTerminal;

/// What the stream the output goes to can show. A program writing to its own stdout detects
/// it ([`Console::detect_stdout`]); output captured in a buffer is [`Console::PLAIN`] unless the
/// caller says otherwise.
///
/// # Examples
///
/// ```
/// use aludel::cli::Console;
///
/// // What a test that wants colored output passes.
/// let console = Console { color: true, ..Console::PLAIN };
/// assert!(!console.terminal);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Console {
    /// The stream is an interactive terminal: a long revision shows a spinner redrawn in
    /// place, instead of a line every few seconds.
    pub terminal: bool,
    /// Ops, warnings and errors are colored.
    pub color: bool,
}

impl Console {
    /// A file or a pipe: no color, no redrawing.
    pub const PLAIN: Console = Console { terminal: false, color: false };

    /// What standard output can show (see [`Console::detect`]).
    pub fn detect_stdout() -> Console {
        Console::detect(std::io::stdout().is_terminal())
    }

    /// What standard error can show (see [`Console::detect`]).
    pub fn detect_stderr() -> Console {
        Console::detect(std::io::stderr().is_terminal())
    }

    /// Color on a terminal, as the common conventions say: never when `NO_COLOR` is set to
    /// anything but the empty string or `TERM` is `dumb`; also off a terminal when
    /// `CLICOLOR_FORCE` is set (and not `0`), for CI logs that render colors.
    pub fn detect(terminal: bool) -> Console {
        let var = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
        Console::decide(
            terminal,
            var("NO_COLOR").is_some(),
            var("CLICOLOR_FORCE").is_some_and(|value| value != "0"),
            var("TERM").is_some_and(|value| value == "dumb"),
        )
    }

    fn decide(terminal: bool, no_color: bool, force: bool, dumb: bool) -> Console {
        Console { terminal, color: !no_color && (force || (terminal && !dumb)) }
    }

    pub(super) fn style(self) -> Style {
        Style { color: self.color }
    }
}

/// What a piece of text is, for its color.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Paint {
    /// `error:`, and an op that can lose data.
    Error,
    /// `warning:`.
    Warning,
    /// An op that creates or adds.
    Add,
    /// Any other op: alters, renames, drops of what holds no data, raw SQL.
    Change,
    /// A comment in SQL.
    Comment,
}

impl Paint {
    fn code(self) -> &'static str {
        match self {
            Paint::Error => "1;31",
            Paint::Warning => "1;33",
            Paint::Add => "32",
            Paint::Change => "33",
            Paint::Comment => "2",
        }
    }

    /// The color of an op described as `Op::describe` does (`add_column users.age`).
    pub(super) fn of_op(description: &str, destructive: bool) -> Paint {
        let name = description.split_whitespace().next().unwrap_or_default();
        if destructive {
            Paint::Error
        } else if name.starts_with("create_") || name.starts_with("add_") {
            Paint::Add
        } else {
            Paint::Change
        }
    }
}

/// Colors text, or leaves it as it is when the stream takes no color.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Style {
    color: bool,
}

impl Style {
    pub(super) fn paint<'t>(self, paint: Paint, text: &'t str) -> Cow<'t, str> {
        if self.color && !text.is_empty() {
            Cow::Owned(format!("\x1b[{}m{text}\x1b[0m", paint.code()))
        } else {
            Cow::Borrowed(text)
        }
    }
}

/// An error as a binary prints it on standard error: `error: ...` and one `caused by: ...`
/// line per cause ([`crate::error::report`]), the prefixes colored when `console` takes color.
///
/// # Examples
///
/// ```
/// use aludel::cli::{Console, error_report};
///
/// let error = std::io::Error::other("disk full");
/// assert_eq!(error_report(&error, Console::PLAIN), "error: disk full");
/// ```
pub fn error_report(error: &(dyn std::error::Error + 'static), console: Console) -> String {
    let report = crate::error::report(error);
    let style = console.style();
    if !style.color {
        return report;
    }
    let mut colored = String::with_capacity(report.len() + 32);
    for (index, line) in report.split('\n').enumerate() {
        if index > 0 {
            colored.push('\n');
        }
        // The first line starts with `error:`; a line of a message that spans several is
        // left alone, whatever it starts with.
        let prefix = if index == 0 { ("error:", Paint::Error) } else { ("caused by:", Paint::Warning) };
        match line.strip_prefix(prefix.0) {
            Some(rest) => {
                colored.push_str(&style.paint(prefix.1, prefix.0));
                colored.push_str(rest);
            }
            None => colored.push_str(line),
        }
    }
    colored
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_follows_the_terminal_and_the_conventions() {
        // (terminal, NO_COLOR, CLICOLOR_FORCE, TERM=dumb) -> color
        let cases = [
            ((true, false, false, false), true),
            ((false, false, false, false), false),
            ((true, true, false, false), false),
            ((true, false, false, true), false),
            ((false, false, true, false), true),
            ((false, true, true, false), false),
            ((false, false, true, true), true),
        ];
        for ((terminal, no_color, force, dumb), color) in cases {
            let console = Console::decide(terminal, no_color, force, dumb);
            assert_eq!(console, Console { terminal, color }, "{terminal} {no_color} {force} {dumb}");
        }
    }

    #[test]
    fn paint_is_plain_without_color() {
        assert_eq!(Style { color: false }.paint(Paint::Error, "drop_table t"), "drop_table t");
        assert_eq!(Style { color: true }.paint(Paint::Error, "drop_table t"), "\x1b[1;31mdrop_table t\x1b[0m");
        assert_eq!(Style { color: true }.paint(Paint::Add, ""), "");
    }

    #[test]
    fn ops_are_painted_by_what_they_do() {
        assert_eq!(Paint::of_op("add_column users.age", false), Paint::Add);
        assert_eq!(Paint::of_op("create_table users", false), Paint::Add);
        assert_eq!(Paint::of_op("drop_index ix on t", false), Paint::Change);
        assert_eq!(Paint::of_op("alter_column users.age", false), Paint::Change);
        assert_eq!(Paint::of_op("add_column users.age", true), Paint::Error);
    }

    #[test]
    fn error_report_colors_only_the_prefixes() {
        #[derive(Debug, thiserror::Error)]
        #[error("could not run")]
        struct Outer(#[source] std::io::Error);
        let error = Outer(std::io::Error::other("disk full"));
        assert_eq!(error_report(&error, Console::PLAIN), "error: could not run\ncaused by: disk full");
        assert_eq!(
            error_report(&error, Console { color: true, terminal: false }),
            "\x1b[1;31merror:\x1b[0m could not run\n\x1b[1;33mcaused by:\x1b[0m disk full"
        );
    }
}
