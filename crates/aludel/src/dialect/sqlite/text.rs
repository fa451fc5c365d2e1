//! SQLite's SQL text: a tokenizer that knows its strings, quoted identifiers, comments and
//! nested parentheses; unquoting; the canonical spelling of an expression that introspection
//! and normalization compare; and reading what `sqlite_master` keeps only in the text of a
//! `CREATE TABLE` or `CREATE INDEX` (constraint names, checks, generated expressions,
//! `AUTOINCREMENT`, collations, index expressions and predicates).
//!
//! Pure text work: no catalog queries (`introspect`), no schema model decisions
//! (`normalize`).

use crate::dialect::common::keywords::is_sqlite_keyword as is_keyword;

/// An expression in one spelling for comparison, since SQLite keeps each definition's text as
/// written: quoted names that need no quotes (lower case, not a keyword) written bare
/// (`length("title")` is `length(title)`), keywords in upper case and other names in lower
/// case (SQLite folds them), one space between tokens but none inside parentheses, before a
/// comma, around a `.`, after a function's name, a unary sign or inside an operator of two
/// characters (`length(title) > 0 AND x IN ('a', 'b')`), and no parentheses around the whole
/// (`(y >= 0)`, as PostgreSQL writes a check, is `y >= 0`). Strings, blobs and quoted names
/// keep their text. Text that does not tokenize is returned trimmed.
pub(super) fn expression(text: &str) -> String {
    let text = text.trim();
    let Ok(tokens) = Tokens::new(text) else { return text.to_owned() };
    let (mut first, mut last) = (0, tokens.tokens.len());
    while last > first + 1 && tokens.tokens[first].kind == Kind::Open && tokens.close_of(first) == Ok(last - 1) {
        first += 1;
        last -= 1;
    }
    let mut out = String::with_capacity(text.len());
    // The previous token as written out, its kind, and whether it was a unary sign.
    let mut previous: Option<(String, Kind, bool)> = None;
    for token in &tokens.tokens[first..last] {
        let written = &text[token.start..token.end];
        let spelled = match token.kind {
            Kind::Quoted => {
                let name = unquote(written);
                let plain = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                    && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    && !is_keyword(&name);
                if plain { name } else { written.to_owned() }
            }
            Kind::Word if is_keyword(&written.to_ascii_lowercase()) => written.to_ascii_uppercase(),
            Kind::Word => written.to_ascii_lowercase(),
            _ => written.to_owned(),
        };
        let unary = matches!(spelled.as_str(), "-" | "+")
            && previous.as_ref().is_none_or(|(text, kind, _)| {
                matches!(kind, Kind::Other | Kind::Open | Kind::Comma)
                    || (*kind == Kind::Word && is_keyword(&text.to_ascii_lowercase()))
            });
        if let Some((before, kind, was_unary)) = &previous {
            let call = matches!(kind, Kind::Word | Kind::Quoted)
                && token.kind == Kind::Open
                && (!is_keyword(&before.to_ascii_lowercase()) || matches!(before.as_str(), "CAST" | "RAISE"));
            let operator_pair = *kind == Kind::Other
                && token.kind == Kind::Other
                && before.chars().all(|c| "<>=!|".contains(c))
                && spelled.chars().all(|c| "<>=|".contains(c));
            let tight = *kind == Kind::Open
                || matches!(token.kind, Kind::Close | Kind::Comma)
                || before == "."
                || spelled == "."
                || call
                || operator_pair
                || (*was_unary && !matches!(token.kind, Kind::Other));
            if !tight {
                out.push(' ');
            }
        }
        out.push_str(&spelled);
        previous = Some((spelled, token.kind, unary));
    }
    out
}

/// `expr` with every column reference read through a table's name (`t.qty`, `"t"."qty"`,
/// `main.t.qty`) reduced to the column's name. In a CHECK or a generated column the only
/// table a reference can name is the table's own, so the meaning stays; but a table rebuilt
/// under a temporary name cannot read `t.qty` (SQLite resolves the name when it creates the
/// table), and SQLite's rename rewrites such a name when it renames a table.
pub(super) fn unqualified(expr: &str) -> String {
    let Ok(tokens) = Tokens::new(expr) else { return expr.to_owned() };
    let is_name = |i: usize| tokens.tokens.get(i).is_some_and(|t| matches!(t.kind, Kind::Word | Kind::Quoted));
    let is_dot = |i: usize| tokens.tokens.get(i).is_some_and(|t| t.kind == Kind::Other) && tokens.text(i) == ".";
    let mut out = String::with_capacity(expr.len());
    let mut copied = 0;
    let mut i = 0;
    while i < tokens.tokens.len() {
        if is_name(i) && is_dot(i + 1) && is_name(i + 2) {
            // The qualifier and its dot go, with what lies between them and the next name.
            out.push_str(&expr[copied..tokens.tokens[i].start]);
            copied = tokens.tokens[i + 2].start;
            i += 2;
        } else {
            i += 1;
        }
    }
    out.push_str(&expr[copied..]);
    out
}

/// The values of a CHECK the renderer writes for an enum column: `"col" IN ('a','b')`;
/// `None` for any other expression.
pub(super) fn enum_values(expr: &str, column: &str) -> Option<Vec<String>> {
    let t = Tokens::new(expr).ok()?;
    let n = t.tokens.len();
    let names_column = n > 4 && t.tokens[0].kind.is_name() && unquote(t.text(0)).eq_ignore_ascii_case(column);
    if !names_column || !t.is_word(1, "IN") || t.tokens[2].kind != Kind::Open || t.close_of(2).ok()? != n - 1 {
        return None;
    }
    let mut values = Vec::new();
    for (start, end) in t.items(2, n - 1) {
        if end != start + 1 || t.tokens[start].kind != Kind::String {
            return None;
        }
        values.push(unquote(t.text(start)));
    }
    Some(values)
}

// ---------------------------------------------------------------------------------------
// Tokens.
/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A bare word: keyword or identifier.
    Word,
    /// `"ident"`, `` `ident` `` or `[ident]`.
    Quoted,
    /// `'text'`.
    String,
    /// `12`, `1.5e3`, `0x1F`.
    Number,
    /// `X'00ff'`.
    Blob,
    /// `(`.
    Open,
    /// `)`.
    Close,
    /// `,`.
    Comma,
    /// Any other character: operators, `.`, `;`.
    Other,
}

impl Kind {
    /// Whether the token can be a name (a string is one in a few places SQLite allows).
    fn is_name(self) -> bool {
        matches!(self, Kind::Word | Kind::Quoted | Kind::String)
    }
}

/// A token: its kind and where it is in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Token {
    pub(super) kind: Kind,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// SQL text cut into tokens; comments and white space are dropped.
pub(super) struct Tokens<'a> {
    sql: &'a str,
    pub(super) tokens: Vec<Token>,
}

impl<'a> Tokens<'a> {
    /// Cuts `sql` into tokens.
    pub(super) fn new(sql: &'a str) -> Result<Self, String> {
        let bytes = sql.as_bytes();
        let mut tokens = Vec::new();
        let mut i = 0;
        // Finds the end of a quoted token opened at `i`; `close` doubled is an escape.
        let quoted = |i: usize, close: u8, doubled: bool| -> Result<usize, String> {
            let mut j = i + 1;
            while j < bytes.len() {
                if bytes[j] == close {
                    if doubled && bytes.get(j + 1) == Some(&close) {
                        j += 2;
                        continue;
                    }
                    return Ok(j + 1);
                }
                j += 1;
            }
            Err(format!("unterminated {} starting at byte {i}", if close == b'\'' { "string" } else { "identifier" }))
        };
        let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80;
        while i < bytes.len() {
            let b = bytes[i];
            let start = i;
            let kind = match b {
                _ if b.is_ascii_whitespace() => {
                    i += 1;
                    continue;
                }
                b'-' if bytes.get(i + 1) == Some(&b'-') => {
                    i = bytes[i..].iter().position(|&c| c == b'\n').map_or(bytes.len(), |p| i + p + 1);
                    continue;
                }
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    i = sql[i + 2..].find("*/").map_or(bytes.len(), |p| i + 2 + p + 2);
                    continue;
                }
                b'\'' => {
                    i = quoted(i, b'\'', true)?;
                    Kind::String
                }
                b'"' | b'`' => {
                    i = quoted(i, b, true)?;
                    Kind::Quoted
                }
                b'[' => {
                    i = quoted(i, b']', false)?;
                    Kind::Quoted
                }
                b'x' | b'X' if bytes.get(i + 1) == Some(&b'\'') => {
                    i = quoted(i + 1, b'\'', false)?;
                    Kind::Blob
                }
                b'0'..=b'9' => {
                    i = number_end(bytes, i);
                    Kind::Number
                }
                b'.' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                    i = number_end(bytes, i);
                    Kind::Number
                }
                _ if is_word(b) => {
                    while i < bytes.len() && is_word(bytes[i]) {
                        i += 1;
                    }
                    Kind::Word
                }
                b'(' => {
                    i += 1;
                    Kind::Open
                }
                b')' => {
                    i += 1;
                    Kind::Close
                }
                b',' => {
                    i += 1;
                    Kind::Comma
                }
                _ => {
                    i += 1;
                    Kind::Other
                }
            };
            tokens.push(Token { kind, start, end: i });
        }
        Ok(Tokens { sql, tokens })
    }

    pub(super) fn text(&self, i: usize) -> &'a str {
        let token = self.tokens[i];
        &self.sql[token.start..token.end]
    }

    /// Whether token `i` is the keyword `word`.
    fn is_word(&self, i: usize, word: &str) -> bool {
        self.tokens.get(i).is_some_and(|t| t.kind == Kind::Word) && self.text(i).eq_ignore_ascii_case(word)
    }

    /// Token `i` as a name, unquoted.
    fn name(&self, i: usize) -> Result<String, String> {
        match self.tokens.get(i) {
            Some(token) if token.kind.is_name() => Ok(unquote(self.text(i))),
            Some(_) => Err(format!("expected a name, found `{}`", self.text(i))),
            None => Err("expected a name, found the end of the statement".to_owned()),
        }
    }

    /// The index of the `)` that closes the `(` at `open`.
    pub(super) fn close_of(&self, open: usize) -> Result<usize, String> {
        let mut depth = 0usize;
        for (i, token) in self.tokens.iter().enumerate().skip(open) {
            match token.kind {
                Kind::Open => depth += 1,
                Kind::Close => {
                    depth = depth.checked_sub(1).ok_or("unbalanced parentheses")?;
                    if depth == 0 {
                        return Ok(i);
                    }
                }
                _ => {}
            }
        }
        Err("unbalanced parentheses".to_owned())
    }

    /// The `(` expected at `open`, and its `)`.
    fn group(&self, open: usize, what: &str) -> Result<(usize, usize), String> {
        match self.tokens.get(open) {
            Some(token) if token.kind == Kind::Open => Ok((open, self.close_of(open)?)),
            _ => Err(format!("expected `(` after {what}")),
        }
    }

    /// The text between the `(` at `open` and the `)` at `close`, trimmed.
    pub(super) fn inner(&self, open: usize, close: usize) -> &'a str {
        self.sql[self.tokens[open].end..self.tokens[close].start].trim()
    }

    /// The text from token `from` to token `to` (inclusive).
    fn span(&self, from: usize, to: usize) -> &'a str {
        &self.sql[self.tokens[from].start..self.tokens[to].end]
    }

    /// The token ranges `[start, end)` of the comma-separated items between `open` and `close`.
    fn items(&self, open: usize, close: usize) -> Vec<(usize, usize)> {
        let mut items = Vec::new();
        let mut depth = 0usize;
        let mut start = open + 1;
        for i in open + 1..close {
            match self.tokens[i].kind {
                Kind::Open => depth += 1,
                Kind::Close => depth = depth.saturating_sub(1),
                Kind::Comma if depth == 0 => {
                    items.push((start, i));
                    start = i + 1;
                }
                _ => {}
            }
        }
        if start < close {
            items.push((start, close));
        }
        items
    }

    /// The first token of each item of a column list, as names: `("a", b COLLATE x)`.
    fn names_in(&self, open: usize, close: usize) -> Result<Vec<String>, String> {
        self.items(open, close).into_iter().map(|(start, _)| self.name(start)).collect()
    }
}

/// The end of the number starting at `i` (digits, `.`, exponent, hex digits).
fn number_end(bytes: &[u8], start: usize) -> usize {
    let hex = bytes[start..].starts_with(b"0x") || bytes[start..].starts_with(b"0X");
    let mut i = start;
    while i < bytes.len() {
        let b = bytes[i];
        let exponent_sign = matches!(b, b'+' | b'-') && matches!(bytes[i - 1], b'e' | b'E') && !hex;
        if b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || exponent_sign {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// Removes the quotes of a quoted name or string, undoing doubled quotes.
pub(super) fn unquote(text: &str) -> String {
    let Some(first) = text.chars().next() else { return String::new() };
    let close = match first {
        '"' => '"',
        '\'' => '\'',
        '`' => '`',
        '[' => return text[1..text.len() - 1].to_owned(),
        _ => return text.to_owned(),
    };
    let inner = &text[1..text.len() - 1];
    inner.replace(&format!("{close}{close}"), &close.to_string())
}

/// What the text of a `CREATE TABLE` says beyond the pragmas.
#[derive(Debug, Default, PartialEq)]
pub(super) struct TableText {
    pub(super) columns: Vec<ColumnText>,
    pub(super) constraints: Vec<ConstraintText>,
}

/// A column definition's `AUTOINCREMENT` and generated expression.
#[derive(Debug, PartialEq)]
pub(super) struct ColumnText {
    pub(super) name: String,
    pub(super) autoincrement: bool,
    pub(super) generated: Option<String>,
    /// `COLLATE name`, upper-cased (SQLite's names ignore case).
    pub(super) collation: Option<String>,
}

/// A constraint as written, on a column or on the table.
#[derive(Debug, PartialEq)]
pub(super) struct ConstraintText {
    pub(super) name: Option<String>,
    /// The column it is declared on; `None` for a table constraint.
    pub(super) column: Option<String>,
    pub(super) body: ConstraintBody,
}

#[derive(Debug, PartialEq)]
pub(super) enum ConstraintBody {
    PrimaryKey,
    Unique(Vec<String>),
    ForeignKey { columns: Vec<String>, table: String },
    Check(String),
}

/// Words that start a table constraint rather than a column definition.
const TABLE_CONSTRAINT_WORDS: [&str; 5] = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"];

/// Reads the column definitions and constraints of a `CREATE TABLE` statement.
pub(super) fn parse_create_table(sql: &str) -> Result<TableText, String> {
    let t = Tokens::new(sql)?;
    let mut table = TableText::default();
    let Some(open) = t.tokens.iter().position(|token| token.kind == Kind::Open) else {
        return Ok(table);
    };
    let close = t.close_of(open)?;
    for (start, end) in t.items(open, close) {
        if TABLE_CONSTRAINT_WORDS.iter().any(|w| t.is_word(start, w)) {
            table.constraints.push(parse_table_constraint(&t, start, end)?);
        } else {
            parse_column(&t, start, end, &mut table)?;
        }
    }
    Ok(table)
}

/// One column definition: its name, type and column constraints.
fn parse_column(t: &Tokens<'_>, start: usize, end: usize, table: &mut TableText) -> Result<(), String> {
    let name = t.name(start)?;
    let mut column = ColumnText { name: name.clone(), autoincrement: false, generated: None, collation: None };
    // `CONSTRAINT x` names the constraint that follows it, whichever it is.
    let mut pending: Option<String> = None;
    let mut push = |pending: &mut Option<String>, body: ConstraintBody| {
        table.constraints.push(ConstraintText { name: pending.take(), column: Some(name.clone()), body });
    };
    let mut i = start + 1;
    while i < end {
        if t.tokens[i].kind == Kind::Open {
            i = t.close_of(i)? + 1;
            continue;
        }
        if t.tokens[i].kind != Kind::Word {
            i += 1;
            continue;
        }
        match t.text(i).to_ascii_uppercase().as_str() {
            "CONSTRAINT" => {
                pending = Some(t.name(i + 1)?);
                i += 2;
            }
            "PRIMARY" => {
                push(&mut pending, ConstraintBody::PrimaryKey);
                i += 1;
            }
            "AUTOINCREMENT" => {
                column.autoincrement = true;
                i += 1;
            }
            "UNIQUE" => {
                push(&mut pending, ConstraintBody::Unique(vec![column.name.clone()]));
                i += 1;
            }
            "CHECK" => {
                let (open, close) = t.group(i + 1, "CHECK")?;
                push(&mut pending, ConstraintBody::Check(t.inner(open, close).to_owned()));
                i = close + 1;
            }
            "REFERENCES" => {
                let parent = t.name(i + 1)?;
                i += 2;
                if t.tokens.get(i).is_some_and(|token| token.kind == Kind::Open) {
                    i = t.close_of(i)? + 1;
                }
                push(&mut pending, ConstraintBody::ForeignKey { columns: vec![column.name.clone()], table: parent });
            }
            "AS" => {
                let (open, close) = t.group(i + 1, "AS")?;
                column.generated = Some(t.inner(open, close).to_owned());
                pending = None;
                i = close + 1;
            }
            "DEFAULT" => {
                pending = None;
                i = skip_default(t, i + 1);
            }
            "ON" => i = skip_on(t, i),
            "COLLATE" => {
                pending = None;
                column.collation = Some(t.name(i + 1)?.to_ascii_uppercase());
                i += 2;
            }
            "MATCH" => {
                pending = None;
                i += 2;
            }
            "NOT" | "NULL" | "GENERATED" => {
                pending = None;
                i += 1;
            }
            _ => i += 1,
        }
    }
    table.columns.push(column);
    Ok(())
}

/// Skips a default value starting at `i`: a literal, a signed number, a name or `(expr)`.
fn skip_default(t: &Tokens<'_>, i: usize) -> usize {
    match t.tokens.get(i).map(|token| token.kind) {
        Some(Kind::Open) => t.close_of(i).map_or(t.tokens.len(), |close| close + 1),
        Some(Kind::Other) if matches!(t.text(i), "-" | "+") => i + 2,
        _ => i + 1,
    }
}

/// Skips `ON CONFLICT <resolution>` or `ON DELETE|UPDATE <action>` starting at `i`.
fn skip_on(t: &Tokens<'_>, i: usize) -> usize {
    if t.is_word(i + 1, "CONFLICT") {
        return i + 3;
    }
    let action = i + 2;
    if t.is_word(action, "SET") || t.is_word(action, "NO") { action + 2 } else { action + 1 }
}

/// One table constraint: `[CONSTRAINT name] PRIMARY KEY (...) | UNIQUE (...) | CHECK (...) |
/// FOREIGN KEY (...) REFERENCES t [(...)] ...`.
fn parse_table_constraint(t: &Tokens<'_>, start: usize, end: usize) -> Result<ConstraintText, String> {
    let mut i = start;
    let mut name = None;
    if t.is_word(i, "CONSTRAINT") {
        name = Some(t.name(i + 1)?);
        i += 2;
    }
    let first_group = |from: usize, what: &str| -> Result<(usize, usize), String> {
        let open =
            (from..end).find(|&j| t.tokens[j].kind == Kind::Open).ok_or_else(|| format!("{what} lists no columns"))?;
        t.group(open, what)
    };
    let body = if t.is_word(i, "PRIMARY") {
        ConstraintBody::PrimaryKey
    } else if t.is_word(i, "UNIQUE") {
        let (open, close) = first_group(i, "UNIQUE")?;
        ConstraintBody::Unique(t.names_in(open, close)?)
    } else if t.is_word(i, "CHECK") {
        let (open, close) = t.group(i + 1, "CHECK")?;
        ConstraintBody::Check(t.inner(open, close).to_owned())
    } else if t.is_word(i, "FOREIGN") {
        let (open, close) = first_group(i, "FOREIGN KEY")?;
        if !t.is_word(close + 1, "REFERENCES") {
            return Err("expected REFERENCES after FOREIGN KEY (...)".to_owned());
        }
        ConstraintBody::ForeignKey { columns: t.names_in(open, close)?, table: t.name(close + 2)? }
    } else {
        let found = if i < end { t.span(i, i) } else { "the end of the constraint" };
        return Err(format!("expected PRIMARY KEY, UNIQUE, CHECK or FOREIGN KEY, found `{found}`"));
    };
    Ok(ConstraintText { name, column: None, body })
}

/// What the text of a `CREATE INDEX` says beyond the pragmas.
#[derive(Debug, PartialEq)]
pub(super) struct IndexText {
    /// Each key as written, without `COLLATE`, `ASC`/`DESC` and one pair of enclosing
    /// parentheses.
    pub(super) keys: Vec<String>,
    /// The `WHERE` predicate.
    pub(super) predicate: Option<String>,
}

/// Reads the keys and predicate of a `CREATE [UNIQUE] INDEX ... ON t (...) [WHERE ...]`.
pub(super) fn parse_create_index(sql: &str) -> Result<IndexText, String> {
    let t = Tokens::new(sql)?;
    let on = (0..t.tokens.len()).find(|&i| t.is_word(i, "ON")).ok_or("expected ON <table>")?;
    let (open, close) = t.group(on + 2, "the table name")?;
    let mut keys = Vec::new();
    for (start, mut end) in t.items(open, close) {
        loop {
            if end > start + 1 && (t.is_word(end - 1, "ASC") || t.is_word(end - 1, "DESC")) {
                end -= 1;
            } else if end > start + 2 && t.is_word(end - 2, "COLLATE") {
                end -= 2;
            } else {
                break;
            }
        }
        let key = if t.tokens[start].kind == Kind::Open && t.close_of(start)? == end - 1 {
            t.inner(start, end - 1)
        } else {
            t.span(start, end - 1).trim()
        };
        keys.push(key.to_owned());
    }
    let predicate = if t.is_word(close + 1, "WHERE") && close + 2 < t.tokens.len() {
        let last = t.tokens.len() - 1 - usize::from(t.text(t.tokens.len() - 1) == ";");
        Some(t.span(close + 2, last).trim().to_owned())
    } else {
        None
    };
    Ok(IndexText { keys, predicate })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_read_through_its_table_loses_the_table_name() {
        for (written, unqualified_text) in [
            ("t.qty > 0", "qty > 0"),
            ("\"t\" . \"qty\" > 0 AND main.t.label <> 't.label'", "\"qty\" > 0 AND label <> 't.label'"),
            ("[t].x + 1.5 > .5 -- t.x", "x + 1.5 > .5 -- t.x"),
            ("length(t.name) > 0", "length(name) > 0"),
            ("qty > 0", "qty > 0"),
        ] {
            assert_eq!(unqualified(written), unqualified_text, "{written}");
        }
    }

    #[test]
    fn expressions_are_compared_in_one_spelling() {
        for (written, spelled) in [
            ("y>0", "y > 0"),
            ("y  >  0", "y > 0"),
            ("(y >= 0)", "y >= 0"),
            ("((y>=0))", "y >= 0"),
            ("(a) + (b)", "(a) + (b)"),
            ("\"Score\" is not null", "\"Score\" IS NOT NULL"),
            ("LENGTH(\"title\")>0 and Price<>1", "length(title) > 0 AND price <> 1"),
            ("x in('A','b')", "x IN ('A', 'b')"),
            ("a - -1", "a - -1"),
            ("a--1\n", "a"),
            ("x = -1 AND y=+2", "x = -1 AND y = +2"),
            ("t.id*2", "t.id * 2"),
            ("cast( x as text)", "CAST(x AS text)"),
            ("x != 1 OR y || 'z' == 'a'", "x != 1 OR y || 'z' == 'a'"),
            ("x = 'it''s  two'", "x = 'it''s  two'"),
            ("", ""),
        ] {
            assert_eq!(expression(written), spelled, "{written}");
            assert_eq!(expression(spelled), spelled, "{spelled} is its own spelling");
        }
    }

    /// `expected` lists the tokens' texts, `|` between them, each prefixed by its kind's
    /// initial where it is not a plain word (`s'x'`, `q"y"`, `n1`, `(`, `)`, `,`, `o-`).
    fn check_tokens(input: &str, expected: &str) {
        let tokens = Tokens::new(input).unwrap_or_else(|err| panic!("{input}: {err}"));
        let shown: Vec<String> = (0..tokens.tokens.len())
            .map(|i| {
                let prefix = match tokens.tokens[i].kind {
                    Kind::Word | Kind::Open | Kind::Close | Kind::Comma => "",
                    Kind::Quoted => "q",
                    Kind::String => "s",
                    Kind::Number => "n",
                    Kind::Blob => "b",
                    Kind::Other => "o",
                };
                format!("{prefix}{}", tokens.text(i))
            })
            .collect();
        assert_eq!(shown.join("|"), expected, "{input}");
    }

    #[test]
    fn tokenizer_handles_strings_identifiers_comments_and_numbers() {
        check_tokens("CREATE TABLE t(a)", "CREATE|TABLE|t|(|a|)");
        check_tokens("'it''s (not) a paren'", "s'it''s (not) a paren'");
        check_tokens(r#""we""ird" `b``q` [sq "x]"#, r#"q"we""ird"|q`b``q`|q[sq "x]"#);
        check_tokens("a -- comment (\n b /* ( */ c", "a|b|c");
        check_tokens("1 1.5 .5 1e10 1.5E-3 0x1F 9e999", "n1|n1.5|n.5|n1e10|n1.5E-3|n0x1F|n9e999");
        check_tokens("x'00ff' X'' xy", "bx'00ff'|bX''|xy");
        check_tokens("a>=-1,b||'c';", "a|o>|o=|o-|n1|,|b|o||o||s'c'|o;");
        check_tokens("ünï_$x 2", "ünï_$x|n2");
        check_tokens("/* unterminated", "");
        assert!(Tokens::new("'open").is_err());
        assert!(Tokens::new("\"open").is_err());
        assert!(Tokens::new("[open").is_err());
    }

    /// Shows a parsed table compactly: columns (`+ai` for AUTOINCREMENT, `=expr` for
    /// generated), then constraints (`name@column:` prefixes where present).
    fn show_table(table: &TableText) -> String {
        let mut parts = Vec::new();
        for column in &table.columns {
            let mut part = column.name.clone();
            if column.autoincrement {
                part.push_str("+ai");
            }
            if let Some(expr) = &column.generated {
                part.push_str(&format!("=({expr})"));
            }
            parts.push(part);
        }
        for constraint in &table.constraints {
            let mut part = String::new();
            if let Some(name) = &constraint.name {
                part.push_str(name);
            }
            if let Some(column) = &constraint.column {
                part.push_str(&format!("@{column}"));
            }
            if !part.is_empty() {
                part.push(':');
            }
            part.push_str(&match &constraint.body {
                ConstraintBody::PrimaryKey => "pk".to_owned(),
                ConstraintBody::Unique(columns) => format!("unique({})", columns.join(",")),
                ConstraintBody::ForeignKey { columns, table } => format!("fk({})->{table}", columns.join(",")),
                ConstraintBody::Check(expr) => format!("check({expr})"),
            });
            parts.push(part);
        }
        parts.join("; ")
    }

    fn check(input: &str, expected: Result<&str, &str>) {
        match (parse_create_table(input), expected) {
            (Ok(table), Ok(want)) => assert_eq!(show_table(&table), want, "{input}"),
            (Err(err), Err(want)) => assert_eq!(err, want, "{input}"),
            (got, want) => panic!("{input}: got {got:?}, expected {want:?}"),
        }
    }

    #[test]
    fn create_table_text_gives_names_checks_and_generated_columns() {
        // As the renderer writes it.
        check(
            "CREATE TABLE \"t\" (\n    \"id\" INTEGER NOT NULL CONSTRAINT \"t_pkey\" PRIMARY KEY AUTOINCREMENT,\n    \
             \"m\" TEXT NOT NULL DEFAULT 'ok' CHECK (\"m\" IN ('sad','ok')),\n    \
             \"g\" INTEGER GENERATED ALWAYS AS (id * 2) STORED,\n    \
             CONSTRAINT \"t_m_key\" UNIQUE (\"m\"),\n    \
             CONSTRAINT \"t_g_fkey\" FOREIGN KEY (\"g\") REFERENCES \"t\" (\"id\") ON DELETE SET DEFAULT,\n    \
             CONSTRAINT \"t_check\" CHECK (g > 0),\n    CHECK (length(m) < 9)\n)",
            Ok("id+ai; m; g=(id * 2); t_pkey@id:pk; @m:check(\"m\" IN ('sad','ok')); t_m_key:unique(m); \
                t_g_fkey:fk(g)->t; t_check:check(g > 0); check(length(m) < 9)"),
        );
        // Strings, quoted names and nested parentheses inside checks and defaults.
        check(
            r#"CREATE TABLE [we"ird] ("a""b" TEXT DEFAULT ('),(' || "x") CHECK ("a""b" <> ')' AND (1 = (1))),
               `c,d` NUMERIC(10, 2) DEFAULT -1.5 CONSTRAINT "n" CHECK (`c,d` > 0) COLLATE NOCASE,
               e AS (a || ','), CONSTRAINT "two" UNIQUE ("a""b", `c,d`))"#,
            Ok(
                r#"a"b; c,d; e=(a || ','); @a"b:check("a""b" <> ')' AND (1 = (1))); n@c,d:check(`c,d` > 0); two:unique(a"b,c,d)"#,
            ),
        );
        // `CONSTRAINT x` names only the constraint right after it; column foreign keys and
        // their actions (`SET DEFAULT` is not a default).
        check(
            "CREATE TABLE t (a INT CONSTRAINT nn NOT NULL CHECK (a > 0) REFERENCES p ON DELETE SET DEFAULT \
             ON UPDATE NO ACTION DEFERRABLE INITIALLY DEFERRED UNIQUE ON CONFLICT REPLACE, \
             b CONSTRAINT fk REFERENCES p (id) MATCH SIMPLE, \
             -- a comment, with a comma\n c /* and ( another */ TEXT)",
            Ok("a; b; c; @a:check(a > 0); @a:fk(a)->p; @a:unique(a); fk@b:fk(b)->p"),
        );
        check(
            "CREATE TABLE t (a, b, PRIMARY KEY (b, a), FOREIGN KEY (a, b) REFERENCES \"P\"(x, y)) WITHOUT ROWID",
            Ok("a; b; pk; fk(a,b)->P"),
        );
        check("CREATE TABLE t(x)", Ok("x"));
        check("CREATE TABLE t (a, CHECK a > 0)", Err("expected `(` after CHECK"));
        check(
            "CREATE TABLE t (a, CONSTRAINT c)",
            Err("expected PRIMARY KEY, UNIQUE, CHECK or FOREIGN KEY, found `the end of the constraint`"),
        );
        check("CREATE TABLE t (a CHECK ((a > 0)", Err("unbalanced parentheses"));
    }

    #[test]
    fn create_index_text_gives_keys_and_predicates() {
        let check = |input: &str, keys: &[&str], predicate: Option<&str>| {
            let parsed = parse_create_index(input).unwrap_or_else(|err| panic!("{input}: {err}"));
            assert_eq!(
                parsed,
                IndexText {
                    keys: keys.iter().map(|k| (*k).to_owned()).collect(),
                    predicate: predicate.map(str::to_owned)
                },
                "{input}"
            );
        };
        check(r#"CREATE INDEX "ix" ON "t" ("a", (lower(b)))"#, &[r#""a""#, "lower(b)"], None);
        check(
            "CREATE UNIQUE INDEX ix ON t (a COLLATE NOCASE DESC, (a + 1) ASC, b || ',') WHERE a > 0 AND b <> ')'",
            &["a", "a + 1", "b || ','"],
            Some("a > 0 AND b <> ')'"),
        );
        check("CREATE INDEX IF NOT EXISTS \"on\" ON t ((a) + (b)) where (a)", &["(a) + (b)"], Some("(a)"));
        assert_eq!(parse_create_index("CREATE INDEX ix"), Err("expected ON <table>".to_owned()));
    }
}
