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
use sqlparser::tokenizer::{Location, Span, Token, TokenWithSpan, Tokenizer, TokenizerError, Whitespace};

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

/// How much text one pass of the tokenizer reads, where the text allows: a piece ends at the
/// first line break past this many bytes, so that a long `sql` op is never held as tokens
/// whole (about a hundred bytes a token, twenty times the text).
const PIECE_BYTES: usize = 64 * 1024;

/// The tokens of a text, a piece at a time ([`PIECE_BYTES`]), with the lines they have in
/// the whole text.
///
/// A piece ends after a line break, and only where the tokenizer, reading the piece alone,
/// ends it with that line break as a token of its own: a string, quoted name, comment or
/// dollar quote that the cut would split leaves the piece unterminated (an error) or ends it
/// on another token, and the piece is read again twice as long. The tokenizer looks back
/// only at the token before (a word or a period), never a line break, and every piece starts
/// at the start of a line, so the pieces' tokens are the whole text's, columns included.
struct Pieces<'t> {
    text: &'t str,
    dialect: &'t dyn ParserDialect,
    /// Where the next piece starts: a byte offset, and its 1-based line.
    start: usize,
    line: u64,
    piece_bytes: usize,
}

impl<'t> Pieces<'t> {
    fn new(text: &'t str, dialect: &'t dyn ParserDialect, piece_bytes: usize) -> Self {
        Pieces { text, dialect, start: 0, line: 1, piece_bytes: piece_bytes.max(1) }
    }

    /// The next piece's tokens; `None` at the end of the text.
    fn next_piece(&mut self) -> Option<Result<Vec<TokenWithSpan>, TokenizerError>> {
        let rest = &self.text[self.start..];
        if rest.is_empty() {
            return None;
        }
        let shift = self.line - 1;
        let shifted = |location: Location| Location::new(location.line + shift, location.column);
        let mut wanted = self.piece_bytes;
        loop {
            // A line break is one byte in UTF-8, never part of another character.
            let end = rest.as_bytes().get(wanted..).and_then(|after| after.iter().position(|&b| b == b'\n'));
            let end = end.map_or(rest.len(), |at| wanted + at + 1);
            let piece = &rest[..end];
            let mut tokens = Vec::new();
            let read = Tokenizer::new(self.dialect, piece)
                .tokenize_with_location_into_buf_with_mapper(&mut tokens, |token| {
                    TokenWithSpan::new(token.token, Span::new(shifted(token.span.start), shifted(token.span.end)))
                });
            let last = end == rest.len();
            let clean_end = matches!(tokens.last(), Some(t) if t.token == Token::Whitespace(Whitespace::Newline));
            match read {
                Ok(()) if last || clean_end => {
                    self.start += end;
                    self.line += piece.bytes().filter(|&b| b == b'\n').count() as u64;
                    return Some(Ok(tokens));
                }
                Err(mut error) if last => {
                    error.location = shifted(error.location);
                    self.start = self.text.len();
                    return Some(Err(error));
                }
                // The cut fell inside a string or a comment.
                _ => wanted = end.saturating_mul(2),
            }
        }
    }
}

/// The most tokens held at once by a cut into statements on this thread, counted in tests
/// only: a test holds a long `sql` op's cut to a bound that does not grow with it.
#[cfg(test)]
pub(crate) mod held {
    use std::cell::Cell;

    thread_local! {
        static MOST: Cell<usize> = const { Cell::new(0) };
    }

    pub(super) fn note(tokens: usize) {
        MOST.with(|most| most.set(most.get().max(tokens)));
    }

    /// The most tokens `run` held at once on this thread.
    pub(crate) fn most<T>(run: impl FnOnce() -> T) -> (T, usize) {
        let before = MOST.with(|most| most.replace(0));
        let value = run();
        let most = MOST.with(|most| most.replace(before.max(most.get())));
        (value, most)
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
    let mut cutter = Cutter::new(&lines, Keep::Everything);
    let mut tokens = Vec::new();
    let mut pieces = Pieces::new(text, dialect, PIECE_BYTES);
    while let Some(piece) = pieces.next_piece() {
        let piece = piece.map_err(|err| syntax_error(&lines, path, err))?;
        cutter.read(&piece);
        tokens.extend(piece);
    }
    cutter.finish();
    Ok((cutter.statements, tokens))
}

/// What the tokenizer could not read, naming the line where it stopped.
fn syntax_error(lines: &LineIndex<'_>, path: &Path, error: TokenizerError) -> ModelError {
    let line = error.location.line.max(1) as usize;
    let text = lines.text;
    ModelError::Syntax {
        path: path.to_owned(),
        line,
        excerpt: super::excerpt(&text[lines.offset(Location::new(line as u64, 1))..lines.line_end(line)]),
        message: error.message,
    }
}

/// The statements of `text` as written (comments kept, each trimmed, without its delimiter),
/// cut as [`split`] cuts a file: on `;` outside strings, comments, dollar quotes and the
/// bodies of triggers and routines. For SQL the database receives statement by statement.
///
/// Read a piece at a time, keeping no tokens: what it holds beside the texts it returns is
/// about twenty times [`PIECE_BYTES`] (or a line, when one is longer), however long `text` is.
///
/// # Errors
///
/// The tokenizer's message when the text cannot be tokenized (an unterminated string or
/// comment).
pub(crate) fn statement_texts(text: &str, dialect: &dyn ParserDialect) -> Result<Vec<String>, String> {
    texts_in_pieces(text, dialect, PIECE_BYTES)
}

fn texts_in_pieces(text: &str, dialect: &dyn ParserDialect, piece_bytes: usize) -> Result<Vec<String>, String> {
    let lines = LineIndex::new(text);
    let mut cutter = Cutter::new(&lines, Keep::Verbatim);
    let mut pieces = Pieces::new(text, dialect, piece_bytes);
    while let Some(piece) = pieces.next_piece() {
        let piece = piece.map_err(|err| syntax_error(&lines, Path::new(""), err).to_string())?;
        cutter.read(&piece);
    }
    cutter.finish();
    Ok(cutter.statements.into_iter().map(|statement| statement.verbatim).collect())
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

/// What a cut keeps of each statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// Its tokens, its text without comments and as written: a schema.sql's statements.
    Everything,
    /// Its text as written alone (`tokens` and `sql` stay empty): the statements of SQL to
    /// run, whose tokens would take twenty times the text.
    Verbatim,
}

/// The statements cut so far and the one being read.
struct Cutter<'l, 't> {
    lines: &'l LineIndex<'t>,
    keep: Keep,
    statements: Vec<SourceStatement>,
    /// The statement being read: its tokens (with [`Keep::Everything`]), its texts so far,
    /// and the line of its first token that is not whitespace.
    current: Vec<TokenWithSpan>,
    sql: String,
    verbatim: String,
    line: Option<usize>,
    /// The delimiter a `DELIMITER` line set; `None` for `;`.
    delimiter: Option<String>,
    /// What the statement being read says about a body of its own.
    body: Body,
    /// Whether the tokens since the last line break are spaces only.
    line_blank: bool,
    /// Where the last token's text ended, to find the next one's from (see
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

impl<'l, 't> Cutter<'l, 't> {
    fn new(lines: &'l LineIndex<'t>, keep: Keep) -> Self {
        Cutter {
            lines,
            keep,
            statements: Vec::new(),
            current: Vec::new(),
            sql: String::new(),
            verbatim: String::new(),
            line: None,
            delimiter: None,
            body: Body::default(),
            line_blank: true,
            cursor: (Location::new(0, 0), 0),
        }
    }

    /// Reads the next tokens of the text, which end with a line break or the text (so that
    /// a client command's line, or a delimiter, is never cut).
    fn read(&mut self, tokens: &[TokenWithSpan]) {
        let mut index = 0;
        while index < tokens.len() {
            let at_start = self.body.words == 0;
            if at_start && self.line_blank && client_command(tokens, index, &mut self.delimiter) {
                // The client reads the rest of the line; the server never sees it.
                while index < tokens.len() && tokens[index].token != Token::Whitespace(Whitespace::Newline) {
                    index += 1;
                }
                self.clear();
                continue;
            }
            match &tokens[index].token {
                Token::Whitespace(Whitespace::Newline) => self.line_blank = true,
                Token::Whitespace(Whitespace::Space | Whitespace::Tab) => {}
                _ => self.line_blank = false,
            }
            if let Some(length) = self.delimiter_at(tokens, index) {
                self.finish();
                index += length;
                continue;
            }
            self.push(&tokens[index]);
            index += 1;
        }
        #[cfg(test)]
        held::note(tokens.len() + self.current.len());
    }

    /// Adds a token to the statement being read.
    fn push(&mut self, token: &TokenWithSpan) {
        self.body.read(&token.token);
        let text = self.lines.token_text(&mut self.cursor, token);
        self.verbatim.push_str(text);
        let whitespace = matches!(token.token, Token::Whitespace(_));
        if !whitespace && self.line.is_none() {
            self.line = Some(token.span.start.line.max(1) as usize);
        }
        if self.keep == Keep::Everything {
            match &token.token {
                Token::Whitespace(Whitespace::SingleLineComment { .. } | Whitespace::MultiLineComment(_)) => {
                    self.sql.push(' ');
                }
                _ => self.sql.push_str(text),
            }
            self.current.push(token.clone());
        }
    }

    /// Forgets the statement being read.
    fn clear(&mut self) {
        self.current.clear();
        self.sql.clear();
        self.verbatim.clear();
        self.line = None;
        self.body = Body::default();
    }

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
        if let Some(line) = self.line {
            let statement = SourceStatement {
                tokens: std::mem::take(&mut self.current),
                line,
                sql: trimmed(std::mem::take(&mut self.sql)),
                verbatim: trimmed(std::mem::take(&mut self.verbatim)),
            };
            self.statements.push(statement);
        }
        self.clear();
    }
}

/// `text` trimmed in place: a long statement is not copied for it.
fn trimmed(mut text: String) -> String {
    text.truncate(text.trim_end().len());
    let start = text.len() - text.trim_start().len();
    text.drain(..start);
    text
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
    fn pieces_cut_as_the_whole_text_does() {
        // Pieces of one byte end at every line break the tokenizer allows: inside a string,
        // a quoted name, a comment or a dollar quote, none is allowed.
        let texts: [(&dyn ParserDialect, &str); 6] = [
            (
                &PostgreSqlDialect {},
                "SELECT 'a;\nb';\n/* c;\n d; */ SELECT 1;\nCREATE FUNCTION f() RETURNS int AS $body$\nSELECT 1;\n\
                 SELECT 2;\n$body$ LANGUAGE sql;\n-- e;\nSELECT E'x\\';\ny' ; SELECT \"q;\nr\";\r\nSELECT 3\r\n;\n",
            ),
            (&PostgreSqlDialect {}, "\\connect app\nSELECT 1;\nCREATE TABLE \"ü;\n\" (c int);\nSELECT 'é'\n"),
            (
                &MySqlDialect {},
                "DELIMITER ;;\nCREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN\nSET NEW.a = 1;\nEND;;\n\
                 DELIMITER ;\nSELECT 'a\\';\n' # c;\n;\nSELECT `x;\ny`;\n",
            ),
            (&MySqlDialect {}, "DELIMITER $$\nSELECT 1$$\nDELIMITER ;\nSELECT 2;\n"),
            (
                &SQLiteDialect {},
                "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\nUPDATE t SET c = 1;\nDELETE FROM u;\nEND;\n\
                 SELECT [a;\nb];\nSELECT 'x''\n;y';\n",
            ),
            (&SQLiteDialect {}, "\n\n  \nSELECT 1;\n\n-- only a comment\n"),
        ];
        for (dialect, text) in texts {
            let whole = texts_in_pieces(text, dialect, usize::MAX).expect("tokenizes");
            assert_eq!(texts_in_pieces(text, dialect, 1).expect("tokenizes"), whole, "{text}");
            let (statements, _) = split(text, dialect, false, Path::new("x.sql")).expect("tokenizes");
            let verbatim: Vec<String> = statements.into_iter().map(|s| s.verbatim).collect();
            assert_eq!(verbatim, whole, "{text}");
        }
    }

    #[test]
    fn an_unterminated_string_is_named_at_its_line_in_any_piece() {
        let text = format!("{}SELECT 'open;\nSELECT 1;\n", "SELECT 1;\n".repeat(10));
        let whole = texts_in_pieces(&text, &PostgreSqlDialect {}, usize::MAX).expect_err("unterminated");
        assert_eq!(texts_in_pieces(&text, &PostgreSqlDialect {}, 1).expect_err("unterminated"), whole);
        assert!(whole.starts_with(":11: cannot parse `SELECT 'open;`"), "{whole}");
    }

    #[test]
    fn a_long_sql_op_is_never_held_as_tokens_whole() {
        // 60,000 statements of about 20 tokens: held whole, 1,200,000 tokens (some 100 MB).
        let text: String =
            (0..60_000).map(|i| format!("INSERT INTO items (id, name) VALUES ({i}, 'item {i}');\n")).collect();
        let (texts, most) = held::most(|| statement_texts(&text, &PostgreSqlDialect {}));
        assert_eq!(texts.expect("tokenizes").len(), 60_000);
        assert!(most < 40_000, "{most} tokens held at once");
        // One statement over many lines holds its own tokens, and no more.
        let values: String = (0..20_000).map(|i| format!("({i}, 'item {i}'),\n")).collect();
        let text = format!("INSERT INTO items VALUES\n{values}(0, '');\nSELECT 1;\n");
        let (texts, most) = held::most(|| statement_texts(&text, &PostgreSqlDialect {}));
        assert_eq!(texts.expect("tokenizes").len(), 2);
        assert!(most < 40_000, "{most} tokens held at once");
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
