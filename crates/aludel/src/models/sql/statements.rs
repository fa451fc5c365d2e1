//! A `schema.sql` cut into statements, as the database's own client would cut it: on `;`
//! outside strings, comments and the bodies of triggers and routines (`BEGIN ... END`), on the
//! delimiter a MySQL `DELIMITER` line sets, and without psql's meta-commands (`\restrict`,
//! `\connect`, ...), which `pg_dump` writes and no server reads. MySQL's conditional comments
//! (`/*!40101 ... */`) are read as the SQL they hold, as MySQL runs them.
//!
//! Each statement keeps its tokens with their lines in the file, so errors name the line
//! where it starts, and its text as the server would receive it (comments left out), so an
//! object the model does not hold can be carried into a revision as written.

use std::path::Path;

use sqlparser::dialect::Dialect as ParserDialect;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer, Whitespace};

use crate::models::ModelError;

/// One statement of the file.
#[derive(Debug, Clone)]
pub(super) struct SourceStatement {
    /// Its tokens, whitespace and comments included, without the delimiter.
    pub(super) tokens: Vec<TokenWithSpan>,
    /// The 1-based line of its first token.
    pub(super) line: usize,
    /// Its text without comments, trimmed, as the server receives it.
    pub(super) sql: String,
    /// Its text as written, comments included, trimmed.
    pub(super) verbatim: String,
}

impl SourceStatement {
    /// Its tokens without the default schema's qualifier on names (`public.users`,
    /// `'x'::public.mood`): a dump qualifies every name, the catalog prints them bare.
    pub(super) fn unqualified_tokens(&self, default_schema: Option<&str>) -> Vec<TokenWithSpan> {
        let Some(schema) = default_schema else { return self.tokens.clone() };
        let is_schema = |token: &Token| match token {
            Token::Word(word) => match word.quote_style {
                None => word.value.eq_ignore_ascii_case(schema),
                Some(_) => word.value == schema,
            },
            _ => false,
        };
        let mut out: Vec<TokenWithSpan> = Vec::with_capacity(self.tokens.len());
        let mut i = 0;
        while i < self.tokens.len() {
            let qualifier = is_schema(&self.tokens[i].token)
                && self.tokens.get(i + 1).map(|t| &t.token) == Some(&Token::Period)
                && matches!(self.tokens.get(i + 2).map(|t| &t.token), Some(Token::Word(_)))
                && out.last().map(|t| &t.token) != Some(&Token::Period);
            if qualifier {
                i += 2;
                continue;
            }
            out.push(self.tokens[i].clone());
            i += 1;
        }
        out
    }
}

/// Byte offsets of line starts, to turn a token's line and column into a byte offset.
pub(super) struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    pub(super) fn new(text: &'t str) -> Self {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        LineIndex { text, starts }
    }

    /// The byte offset of a 1-based line and (character) column, clamped to the text.
    pub(super) fn offset(&self, location: Location) -> usize {
        let Some(&start) = self.starts.get((location.line.max(1) - 1) as usize) else {
            return self.text.len();
        };
        let column = location.column.max(1) as usize - 1;
        self.text[start..].char_indices().nth(column).map_or(self.text.len(), |(i, _)| start + i)
    }

    /// The byte offset of the end of a 1-based line, before its newline.
    pub(super) fn line_end(&self, line: usize) -> usize {
        self.starts.get(line).map_or(self.text.len(), |&next| next - 1)
    }

    /// The byte offset of `location`, found from `cursor` (a location at or before it, and
    /// its offset) when it is on the same line, so that reading a line's tokens in order costs
    /// one pass over the line however long it is; `cursor` moves to `location`.
    pub(super) fn offset_from(&self, cursor: &mut (Location, usize), location: Location) -> usize {
        let (at, byte) = *cursor;
        let offset = if at.line == location.line && at.column <= location.column && at.line > 0 {
            let steps = (location.column - at.column) as usize;
            self.text[byte..].char_indices().nth(steps).map_or(self.text.len(), |(i, _)| byte + i)
        } else {
            self.offset(location)
        };
        *cursor = (location, offset);
        offset
    }

    /// The source text of a token; `cursor` as for [`LineIndex::offset_from`].
    fn token_text(&self, cursor: &mut (Location, usize), token: &TokenWithSpan) -> &'t str {
        let start = self.offset_from(cursor, token.span.start);
        let end = self.offset_from(cursor, token.span.end).max(start);
        &self.text[start..end]
    }
}

/// Cuts `text` into statements, and returns them with every token of the file (comments
/// between and after statements included). `path` is only used in errors.
///
/// # Errors
///
/// [`ModelError::Syntax`] when the text cannot be tokenized (an unterminated string or
/// comment).
pub(super) fn split(
    text: &str,
    dialect: &dyn ParserDialect,
    conditional_comments: bool,
    path: &Path,
) -> Result<(Vec<SourceStatement>, Vec<TokenWithSpan>), ModelError> {
    let unwrapped;
    let text = if conditional_comments {
        unwrapped = unwrap_conditional_comments(text);
        unwrapped.as_str()
    } else {
        text
    };
    let lines = LineIndex::new(text);
    let tokens = Tokenizer::new(dialect, text).tokenize_with_location().map_err(|err| {
        let line = err.location.line.max(1) as usize;
        ModelError::Syntax {
            path: path.to_owned(),
            line,
            excerpt: super::excerpt(&text[lines.offset(Location::new(line as u64, 1))..lines.line_end(line)]),
            message: err.message,
        }
    })?;
    let mut cutter = Cutter {
        lines: &lines,
        statements: Vec::new(),
        current: Vec::new(),
        delimiter: None,
        body: Body::default(),
        cursor: (Location::new(0, 0), 0),
    };
    let mut index = 0;
    // Whether the tokens since the last line break are spaces only.
    let mut line_blank = true;
    while index < tokens.len() {
        let at_start = cutter.body.words == 0;
        if at_start && line_blank && client_command(&tokens, index, &mut cutter.delimiter) {
            // The client reads the rest of the line; the server never sees it.
            while index < tokens.len() && tokens[index].token != Token::Whitespace(Whitespace::Newline) {
                index += 1;
            }
            cutter.current.clear();
            cutter.body = Body::default();
            continue;
        }
        match &tokens[index].token {
            Token::Whitespace(Whitespace::Newline) => line_blank = true,
            Token::Whitespace(Whitespace::Space | Whitespace::Tab) => {}
            _ => line_blank = false,
        }
        if let Some(length) = cutter.delimiter_at(&tokens, index) {
            cutter.finish();
            index += length;
            continue;
        }
        cutter.body.read(&tokens[index].token);
        cutter.current.push(tokens[index].clone());
        index += 1;
    }
    cutter.finish();
    Ok((cutter.statements, tokens))
}

/// The statements of `text` as written (comments kept, each trimmed, without its delimiter),
/// cut as [`split`] cuts a file: on `;` outside strings, comments, dollar quotes and the
/// bodies of triggers and routines. For SQL the database receives statement by statement.
///
/// # Errors
///
/// The tokenizer's message when the text cannot be tokenized (an unterminated string or
/// comment).
pub(crate) fn statement_texts(text: &str, dialect: &dyn ParserDialect) -> Result<Vec<String>, String> {
    let (statements, _) = split(text, dialect, false, Path::new("")).map_err(|error| error.to_string())?;
    Ok(statements.into_iter().map(|statement| statement.verbatim).collect())
}

/// `text` with MySQL's conditional comments (`/*!40101 SET NAMES utf8mb4 */`) opened: each
/// marker becomes a space, so the SQL they hold is read as MySQL runs it, on the line it was
/// on. MariaDB's own `/*M!...*/` stay comments.
fn unwrap_conditional_comments(text: &str) -> String {
    #[derive(PartialEq)]
    enum State {
        Code,
        Quoted(char),
        LineComment,
        BlockComment,
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let (mut state, mut in_hint, mut i) = (State::Code, false, 0);
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match state {
            State::Code => match (c, next) {
                ('/', Some('*')) if chars.get(i + 2) == Some(&'!') => {
                    let mut end = i + 3;
                    while chars.get(end).is_some_and(char::is_ascii_digit) {
                        end += 1;
                    }
                    out.push(' ');
                    in_hint = true;
                    i = end;
                    continue;
                }
                ('*', Some('/')) if in_hint => {
                    out.push(' ');
                    in_hint = false;
                    i += 2;
                    continue;
                }
                ('/', Some('*')) => state = State::BlockComment,
                ('-', Some('-')) | ('#', _) => state = State::LineComment,
                ('\'' | '"' | '`', _) => state = State::Quoted(c),
                _ => {}
            },
            State::Quoted(quote) => {
                if c == '\\' && quote != '`' {
                    out.push(c);
                    if let Some(escaped) = next {
                        out.push(escaped);
                    }
                    i += 2;
                    continue;
                }
                if c == quote {
                    state = State::Code;
                }
            }
            State::LineComment if c == '\n' => state = State::Code,
            State::BlockComment if c == '*' && next == Some('/') => {
                out.push_str("*/");
                state = State::Code;
                i += 2;
                continue;
            }
            State::LineComment | State::BlockComment => {}
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Whether the line at `index` is a command for the client (psql's `\...`, MySQL's
/// `DELIMITER x`); a `DELIMITER` line sets `delimiter` (`None` for `;`).
fn client_command(tokens: &[TokenWithSpan], index: usize, delimiter: &mut Option<String>) -> bool {
    match &tokens[index].token {
        Token::Backslash => true,
        Token::Word(word) if word.quote_style.is_none() && word.value.eq_ignore_ascii_case("delimiter") => {
            let rest: String = tokens[index + 1..]
                .iter()
                .take_while(|t| !matches!(t.token, Token::Whitespace(Whitespace::Newline)))
                .filter(|t| !matches!(t.token, Token::Whitespace(_)))
                .map(|t| t.token.to_string())
                .collect();
            if rest.is_empty() {
                return false;
            }
            *delimiter = (rest != ";").then_some(rest);
            true
        }
        _ => false,
    }
}

/// The statements cut so far and the one being read.
struct Cutter<'l, 't> {
    lines: &'l LineIndex<'t>,
    statements: Vec<SourceStatement>,
    current: Vec<TokenWithSpan>,
    /// The delimiter a `DELIMITER` line set; `None` for `;`.
    delimiter: Option<String>,
    /// What the statement being read says about a body of its own.
    body: Body,
    /// Where the last statement's text ended, to find the next one's from (see
    /// [`LineIndex::offset_from`]).
    cursor: (Location, usize),
}

/// Whether the statement being read creates a trigger or routine whose body holds `;`
/// (SQLite's triggers, PostgreSQL's `BEGIN ATOMIC`), and how deep it is inside its `BEGIN ...
/// END` blocks (and the `CASE ... END` in them): kept as the words come, so that a long
/// statement costs one pass.
#[derive(Debug, Default)]
struct Body {
    /// Tokens read that are not whitespace.
    words: usize,
    /// The first word is `CREATE`.
    create: bool,
    /// `TRIGGER`, `FUNCTION` or `PROCEDURE` follows among the first words.
    creates_body: bool,
    depth: usize,
}

impl Body {
    fn read(&mut self, token: &Token) {
        if matches!(token, Token::Whitespace(_)) {
            return;
        }
        if let Token::Word(word) = token
            && word.quote_style.is_none()
        {
            let upper = word.value.to_ascii_uppercase();
            if self.words == 0 {
                self.create = upper == "CREATE";
            } else if self.create && self.words < 8 && matches!(upper.as_str(), "TRIGGER" | "FUNCTION" | "PROCEDURE") {
                self.creates_body = true;
            }
            match upper.as_str() {
                "BEGIN" | "CASE" => self.depth += 1,
                "END" => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
        }
        self.words += 1;
    }

    /// Whether a `;` here is inside the body.
    fn inside(&self) -> bool {
        self.creates_body && self.depth > 0
    }
}

impl Cutter<'_, '_> {
    /// How many tokens the delimiter at `index` takes, when one ends the statement there.
    fn delimiter_at(&self, tokens: &[TokenWithSpan], index: usize) -> Option<usize> {
        match &self.delimiter {
            None => (tokens[index].token == Token::SemiColon && !self.body.inside()).then_some(1),
            Some(delimiter) => {
                let mut spelled = String::new();
                for (count, token) in tokens[index..].iter().enumerate() {
                    if matches!(token.token, Token::Whitespace(_)) {
                        return None;
                    }
                    spelled.push_str(&token.token.to_string());
                    if spelled == *delimiter {
                        return Some(count + 1);
                    }
                    if !delimiter.starts_with(&spelled) {
                        return None;
                    }
                }
                None
            }
        }
    }

    /// Ends the statement being read, if it holds anything but whitespace.
    fn finish(&mut self) {
        self.body = Body::default();
        let tokens = std::mem::take(&mut self.current);
        let Some(first) = tokens.iter().find(|t| !matches!(t.token, Token::Whitespace(_))) else { return };
        let line = first.span.start.line.max(1) as usize;
        let (mut sql, mut verbatim) = (String::new(), String::new());
        let mut cursor = self.cursor;
        for token in &tokens {
            let text = self.lines.token_text(&mut cursor, token);
            verbatim.push_str(text);
            match &token.token {
                Token::Whitespace(Whitespace::SingleLineComment { .. } | Whitespace::MultiLineComment(_)) => {
                    sql.push(' ');
                }
                _ => sql.push_str(text),
            }
        }
        self.cursor = cursor;
        let sql = sql.trim().to_owned();
        let verbatim = verbatim.trim().to_owned();
        self.statements.push(SourceStatement { tokens, line, sql, verbatim });
    }
}

#[cfg(test)]
mod tests {
    use sqlparser::dialect::{MySqlDialect, PostgreSqlDialect, SQLiteDialect};

    use super::*;

    fn check(dialect: &dyn ParserDialect, text: &str, expected: &[(usize, &str)]) {
        let (statements, _) = split(text, dialect, true, Path::new("schema.sql")).expect("tokenizes");
        let got: Vec<(usize, &str)> = statements.iter().map(|s| (s.line, s.sql.as_str())).collect();
        assert_eq!(got, expected, "{text}");
    }

    #[test]
    fn psql_meta_commands_are_left_out_and_lines_kept() {
        check(
            &PostgreSqlDialect {},
            "--\n\\restrict abc123\n\nSET x = 1;\nCREATE TABLE t (c text); -- note\n\\unrestrict abc123\n",
            &[(4, "SET x = 1"), (5, "CREATE TABLE t (c text)")],
        );
        // A backslash inside a string or a function body is not a command.
        check(
            &PostgreSqlDialect {},
            "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$\n\\x $$;\nSELECT 'a\n\\b';",
            &[(1, "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$\n\\x $$"), (3, "SELECT 'a\n\\b'")],
        );
    }

    #[test]
    fn mysql_delimiters_and_conditional_comments() {
        check(
            &MySqlDialect {},
            "/*!40101 SET NAMES utf8mb4 */;\nDELIMITER ;;\n/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`%`*/ /*!50003 \
             TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; SET NEW.b = 2; END */;;\nDELIMITER ;\n\
             CREATE TABLE t (a int);",
            &[
                (1, "SET NAMES utf8mb4"),
                (
                    3,
                    "CREATE    DEFINER=`root`@`%`    TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; SET \
                     NEW.b = 2; END",
                ),
                (5, "CREATE TABLE t (a int)"),
            ],
        );
    }

    #[test]
    fn a_long_body_is_cut_in_one_pass() {
        // Each `;` once looked back over the whole statement: 20,000 of them took minutes.
        let body = "UPDATE t SET c = 1; ".repeat(20_000);
        let text = format!("CREATE TRIGGER tr AFTER INSERT ON t BEGIN {body}END;\nCREATE TABLE u (c int);");
        let (statements, _) = split(&text, &SQLiteDialect {}, false, Path::new("schema.sql")).expect("tokenizes");
        assert_eq!(statements.iter().map(|s| s.line).collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn trigger_bodies_hold_semicolons() {
        check(
            &SQLiteDialect {},
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET c = CASE WHEN 1 THEN 2 END; DELETE FROM u; END;\n\
             CREATE VIEW v AS SELECT 1\n/* v(x) */;",
            &[
                (
                    1,
                    "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET c = CASE WHEN 1 THEN 2 END; DELETE FROM u; END",
                ),
                (2, "CREATE VIEW v AS SELECT 1"),
            ],
        );
    }
}
