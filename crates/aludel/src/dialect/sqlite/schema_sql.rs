//! How a `schema.sql` written for SQLite reads: names are kept as written, `main.` is the
//! default schema, primary key columns stay as declared (SQLite does not make them
//! `NOT NULL`), collations are upper case, and `AUTOINCREMENT` makes the primary key column
//! an identity column. Tables named `sqlite_...` are SQLite's own (`sqlite_sequence`, which
//! `.schema` lists) and are left out.
//!
//! A type name of several words is every word between the column's name and its first
//! constraint, with its parameters, kept as written (`unsigned big int`, `varying
//! character(255)`): SQLite stores it so, introspection reads it so, and `sqlparser` knows
//! only a few such names. `DEFAULT "text"` is
//! the string `'text'`, as SQLite reads it.

use sqlparser::ast::{ColumnOption, DataType, Ident, ObjectNamePart};
use sqlparser::dialect::{Dialect as ParserDialect, SQLiteDialect};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan, Word};

use crate::dialect::common::expressions::replace_quoted;
use crate::dialect::common::quote_ident_ansi;
use crate::dialect::schema_sql::{ColumnOptionReading, ColumnSite, DeclaredType, Refusal, SchemaSqlDialect};
use crate::dialect::sqlite::types::read_type;
use crate::schema::Literal;

/// The words that start a column constraint, and so end a column's type name.
const CONSTRAINT_STARTS: [&str; 11] =
    ["CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE", "REFERENCES", "GENERATED", "AS"];

/// The words that start a table constraint inside `CREATE TABLE (...)`.
const TABLE_CONSTRAINT_STARTS: [&str; 5] = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"];

/// SQLite's schema.sql hooks.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SqliteSchemaSql;

impl SchemaSqlDialect for SqliteSchemaSql {
    /// SQLite also reads `` `name` `` as a name, which PostgreSQL does not.
    fn standard_quoting(&self, text: String) -> String {
        if !text.contains('`') {
            return text;
        }
        replace_quoted(&text, false, |quote, whole, inside| match quote {
            b'`' => quote_ident_ansi(&inside.replace("``", "`")),
            _ => whole.to_owned(),
        })
    }

    fn parser(&self) -> &'static dyn ParserDialect {
        &SQLiteDialect {}
    }

    fn default_schema(&self) -> Option<&'static str> {
        Some("main")
    }

    fn primary_key_not_null(&self) -> bool {
        false
    }

    fn column_type(&self, data_type: &DataType) -> Result<DeclaredType, Refusal> {
        // A quoted type name (and every type name of several words, quoted by
        // `readable_tokens`) is read as introspection reads the name SQLite stores.
        if let DataType::Custom(name, modifiers) = data_type
            && modifiers.is_empty()
            && let [ObjectNamePart::Identifier(ident)] = name.0.as_slice()
            && ident.quote_style.is_some()
        {
            return Ok(DeclaredType::Plain(read_type(&ident.value)));
        }
        Ok(DeclaredType::Plain(self.standard_type(data_type)))
    }

    fn quoted_identifier_default(&self, ident: &Ident) -> Option<Literal> {
        // No column is in scope in a default: SQLite takes a double-quoted word for a string.
        (ident.quote_style == Some('"')).then(|| Literal::String(ident.value.clone()))
    }

    fn readable_tokens(&self, tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
        joined_type_names(tokens)
    }

    fn collation(&self, name: String) -> String {
        // Collation names ignore case; SQLite's are spelled upper case.
        name.to_ascii_uppercase()
    }

    fn column_option(
        &self,
        option: &ColumnOption,
        _site: &ColumnSite<'_>,
    ) -> Option<Result<ColumnOptionReading, Refusal>> {
        match option {
            ColumnOption::DialectSpecific(tokens) if matches!(tokens.as_slice(), [Token::Word(w)] if w.keyword == Keyword::AUTOINCREMENT) => {
                Some(Ok(ColumnOptionReading::KeyIdentity))
            }
            _ => None,
        }
    }

    fn internal_table(&self, name: &str) -> bool {
        // `sqlite_sequence` and the like: SQLite makes them, `.schema` lists them.
        name.to_ascii_lowercase().starts_with("sqlite_")
    }
}

/// The tokens of a `CREATE TABLE` with each column's type name of several words (and its
/// parameters) as one quoted word holding the text as written; other statements are left
/// as they are.
fn joined_type_names(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let significant: Vec<usize> =
        (0..tokens.len()).filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_))).collect();
    let word = |i: usize| match &tokens[i].token {
        Token::Word(Word { value, quote_style: None, .. }) => Some(value.to_ascii_uppercase()),
        _ => None,
    };
    let head: Vec<Option<String>> = significant.iter().take(3).map(|&i| word(i)).collect();
    let creates_table = match head.as_slice() {
        [Some(create), Some(table), ..] if create == "CREATE" && table == "TABLE" => true,
        [Some(create), Some(temp), Some(table)] => {
            create == "CREATE" && matches!(temp.as_str(), "TEMP" | "TEMPORARY") && table == "TABLE"
        }
        _ => false,
    };
    let Some(open) = significant.iter().position(|&i| tokens[i].token == Token::LParen) else { return tokens };
    if !creates_table {
        return tokens;
    }
    // (first, last) token index of each type name to join, in order.
    let mut joins: Vec<(usize, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut element_start = true;
    let mut at = open + 1;
    while at < significant.len() {
        let i = significant[at];
        match &tokens[i].token {
            Token::LParen => depth += 1,
            Token::RParen if depth == 0 => break,
            Token::RParen => depth -= 1,
            Token::Comma if depth == 0 => element_start = true,
            _ if depth == 0 && element_start => {
                element_start = false;
                let table_constraint = word(i).is_some_and(|w| TABLE_CONSTRAINT_STARTS.contains(&w.as_str()));
                if !table_constraint && let Some((span, next)) = type_name_span(&tokens, &significant, at + 1, &word) {
                    joins.push(span);
                    at = next;
                    continue;
                }
            }
            _ => {}
        }
        at += 1;
    }
    join(tokens, &joins)
}

/// The type name of several words that starts at `significant[from]`: its first and last
/// token index, and the position in `significant` after it.
fn type_name_span(
    tokens: &[TokenWithSpan],
    significant: &[usize],
    from: usize,
    word: &impl Fn(usize) -> Option<String>,
) -> Option<((usize, usize), usize)> {
    let mut at = from;
    while let Some(&i) = significant.get(at)
        && word(i).is_some_and(|w| !CONSTRAINT_STARTS.contains(&w.as_str()))
    {
        at += 1;
    }
    // One word `sqlparser` reads itself.
    if at - from < 2 {
        return None;
    }
    // The parameters: `(n)` or `(n, m)`, signed numbers only.
    if significant.get(at).is_some_and(|&i| tokens[i].token == Token::LParen) {
        let close = (at + 1..significant.len()).find(|&j| tokens[significant[j]].token == Token::RParen)?;
        let parameters_only = significant[at + 1..close]
            .iter()
            .all(|&i| matches!(tokens[i].token, Token::Number(..) | Token::Comma | Token::Minus | Token::Plus));
        if parameters_only {
            at = close + 1;
        }
    }
    Some(((significant[from], significant[at - 1]), at))
}

/// `tokens` with each span of `joins` replaced by one double-quoted word of its text.
fn join(tokens: Vec<TokenWithSpan>, joins: &[(usize, usize)]) -> Vec<TokenWithSpan> {
    if joins.is_empty() {
        return tokens;
    }
    let mut out = Vec::with_capacity(tokens.len());
    let mut joins = joins.iter().peekable();
    let mut tokens = tokens.into_iter().enumerate().peekable();
    while let Some((i, token)) = tokens.next() {
        match joins.peek() {
            Some(&&(first, last)) if i == first => {
                joins.next();
                let mut text = token.token.to_string();
                let mut end = token.span.end;
                while let Some((_, part)) = tokens.next_if(|(j, _)| *j <= last) {
                    text.push_str(&part.token.to_string());
                    end = part.span.end;
                }
                let mut span = token.span;
                span.end = end;
                out.push(TokenWithSpan::new(
                    Token::Word(Word { value: text, quote_style: Some('"'), keyword: Keyword::NoKeyword }),
                    span,
                ));
            }
            _ => out.push(token),
        }
    }
    out
}
