//! Color: whether a stream gets it ([`Console`], decided once by the program from the
//! terminal and the environment) and the few ANSI codes the output uses ([`Style`]).
//!
//! No crate for this: five SGR codes cover what the output needs. Nothing here decides *what*
//! is printed; `output` and `progress` do.
//!
//! Text aludel did not write (a revision's message, a name, SQL, what a database answered, a
//! file name) reaches a terminal only through [`shown`] or [`shown_lines`], which make its
//! control characters visible: a revision file from a pull request must not be able to
//! clear, retitle or recolor the terminal of whoever runs `aludel history` on it. The codes
//! [`Style`] and `progress` write themselves are the only ones that reach it.

use std::borrow::Cow;
use std::fmt::{self, Display, Write as _};
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

/// Text from outside aludel, displayed for a terminal: C0 and C1 control characters (ESC,
/// carriage return, backspace, ...) but tab, and the Unicode bidirectional overrides and
/// isolates that reorder what is shown, are written as Rust escapes (`\u{1b}`); a line break
/// too, unless the text is meant to span lines ([`shown_lines`]). Anything else is left as it
/// is, so the text stays readable.
pub(crate) struct Shown<T> {
    text: T,
    lines: bool,
}

/// `text` on one line: a line break in it is escaped too.
pub(crate) fn shown<T: Display>(text: T) -> Shown<T> {
    Shown { text, lines: false }
}

/// `text` over as many lines as it has: its line breaks (`\n`, `\r\n`) are kept.
pub(crate) fn shown_lines<T: Display>(text: T) -> Shown<T> {
    Shown { text, lines: true }
}

/// `text` as [`shown`] displays it, borrowed when nothing needed escaping.
pub(crate) fn shown_str(text: &str) -> Cow<'_, str> {
    if text.chars().any(|c| escaped(c, false)) { Cow::Owned(shown(text).to_string()) } else { Cow::Borrowed(text) }
}

/// Whether `c` is written as an escape.
fn escaped(c: char, keep_line_breaks: bool) -> bool {
    match c {
        '\t' => false,
        '\n' => !keep_line_breaks,
        // C0, DEL and C1.
        '\0'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        // Bidirectional embeddings, overrides and isolates (the "Trojan Source" characters).
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

impl<T: Display> Display for Shown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(Escaping { out: f, lines: self.lines }, "{}", self.text)
    }
}

/// Passes text on with [`Shown`]'s escapes.
struct Escaping<'a, 'f> {
    out: &'a mut fmt::Formatter<'f>,
    lines: bool,
}

impl fmt::Write for Escaping<'_, '_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let mut plain = 0;
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            // A carriage return before a line break ends a line, harmlessly.
            let line_end = self.lines && c == '\r' && chars.peek().is_some_and(|&(_, next)| next == '\n');
            if escaped(c, self.lines) && !line_end {
                self.out.write_str(&text[plain..at])?;
                write!(self.out, "{}", c.escape_unicode())?;
                plain = at + c.len_utf8();
            }
        }
        self.out.write_str(&text[plain..])
    }
}

/// `script` (SQL, or anything else that goes to a file as it is) for `console`: on a
/// terminal, [`shown_lines`] with a first comment line saying so when it changed anything; off
/// one, exact, since a file or a pipe must get what runs.
pub(crate) fn script_for(console: Console, script: &str) -> Cow<'_, str> {
    if !console.terminal {
        return Cow::Borrowed(script);
    }
    let shown = shown_lines(script).to_string();
    if shown == script {
        return Cow::Borrowed(script);
    }
    Cow::Owned(format!(
        "-- aludel: control characters below are shown as escapes (\\u{{1b}}) on a terminal; redirect the \
         output to a file for the exact script\n{shown}"
    ))
}

/// An error as a binary prints it on standard error: `error: ...` and one `caused by: ...`
/// line per cause ([`crate::error::report`]), the prefixes colored when `console` takes color.
/// Messages quote names, SQL and what the database said: their control characters are
/// escaped ([`shown_lines`]).
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
    let report = shown_lines(crate::error::report(error)).to_string();
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
    fn shown_text_cannot_drive_a_terminal_and_stays_readable() {
        let hostile = "a\x1b]0;title\x07b\x1b[2J\u{9b}31m\u{202e}c\u{2066}\x7f\r";
        let escaped = r"a\u{1b}]0;title\u{7}b\u{1b}[2J\u{9b}31m\u{202e}c\u{2066}\u{7f}\u{d}";
        assert_eq!(shown(hostile).to_string(), escaped);
        assert_eq!(shown_str(hostile), escaped);
        // Tabs, and everything else a name or message may hold, are left alone.
        assert_eq!(shown("naïve\tname 名前 \u{200d}").to_string(), "naïve\tname 名前 \u{200d}");
        assert!(matches!(shown_str("plain"), Cow::Borrowed("plain")));
        // A line break ends a line only where the text is meant to span lines.
        assert_eq!(shown("one\ntwo\r\n").to_string(), r"one\u{a}two\u{d}\u{a}");
        assert_eq!(shown_lines("one\ntwo\r\nthree\rover").to_string(), "one\ntwo\r\nthree\\u{d}over");
    }

    #[test]
    fn a_script_is_exact_off_a_terminal_and_escaped_on_one() {
        let script = "SELECT '\x1b[2J';\r\nSELECT 1;\n";
        assert_eq!(script_for(Console::PLAIN, script), script);
        let terminal = Console { terminal: true, color: false };
        assert_eq!(script_for(terminal, "SELECT 1;\n"), "SELECT 1;\n");
        let shown = script_for(terminal, script);
        assert!(shown.starts_with("-- aludel: control characters below are shown as escapes"), "{shown}");
        assert!(shown.ends_with("\nSELECT '\\u{1b}[2J';\r\nSELECT 1;\n"), "{shown}");
    }

    #[test]
    fn error_report_escapes_what_the_messages_quote() {
        #[derive(Debug, thiserror::Error)]
        #[error("statement failed:\n  SELECT '\x1b[2J'")]
        struct Failed(#[source] std::io::Error);
        let error = Failed(std::io::Error::other("near \"\x1b\""));
        let colored = Console { color: true, terminal: true };
        assert_eq!(
            error_report(&error, colored),
            "\x1b[1;31merror:\x1b[0m statement failed:\n  SELECT '\\u{1b}[2J'\n\x1b[1;33mcaused by:\x1b[0m near \"\\u{1b}\""
        );
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
