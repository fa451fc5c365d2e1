//! Renames a `schema.sql` declares in comments: `-- aludel: renamed from old_name` at the end of
//! a `CREATE TABLE name (` line renames the table, at the end of a column's line the column.
//!
//! `sqlparser` drops comments from the statements it returns, so the comments are read from
//! the tokens (which keep them, with their lines) and matched with the lines where the tables
//! and columns are named. Whether the old name still exists is the diff's concern: a stale
//! declaration is ignored there, as the hints of aludel.toml are.

use std::collections::BTreeMap;
use std::path::Path;

use sqlparser::ast::Ident;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace};

use crate::dialect::schema_sql::SchemaSqlDialect;
use crate::diff::RenameHints;
use crate::models::ModelError;

/// What starts a comment meant for aludel.
const MARKER: &str = "aludel:";

/// The one declaration such a comment may hold.
const RENAMED_FROM: &str = "renamed from";

/// How a rename comment is written, for errors.
const FORM: &str = "write `-- aludel: renamed from old_name` at the end of a `CREATE TABLE name (` line or of a \
                    column's line";

/// A `-- aludel: renamed from old` comment: its line and the old name as the database has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RenameComment {
    line: usize,
    text: String,
    old: String,
    /// Whether it follows a statement's `;` (on a one-line `CREATE TABLE`: the table's).
    after_statement: bool,
}

/// Where the file names its tables and columns, by 1-based line.
#[derive(Debug, Default)]
pub(super) struct NameLines {
    tables: BTreeMap<usize, String>,
    columns: BTreeMap<usize, Vec<(String, String)>>,
}

impl NameLines {
    /// `table` is named on `line` by its `CREATE TABLE`.
    pub(super) fn table(&mut self, line: u64, table: &str) {
        self.tables.entry(line_number(line)).or_insert_with(|| table.to_owned());
    }

    /// Column `column` of `table` is named on `line`.
    pub(super) fn column(&mut self, line: u64, table: &str, column: &str) {
        self.columns.entry(line_number(line)).or_default().push((table.to_owned(), column.to_owned()));
    }
}

fn line_number(line: u64) -> usize {
    usize::try_from(line).unwrap_or(usize::MAX).max(1)
}

/// The rename comments among `tokens`. Comments that do not start with `aludel:` are the
/// user's and are left alone.
///
/// # Errors
///
/// [`ModelError::RenameComment`] for an `aludel:` comment that is not `renamed from` one name.
pub(super) fn rename_comments(
    tokens: &[TokenWithSpan],
    hooks: &dyn SchemaSqlDialect,
    path: &Path,
) -> Result<Vec<RenameComment>, ModelError> {
    let mut found = Vec::new();
    // The marker in any case, so that `-- ALUDEL:` is not silently a comment of the user's.
    let declaration_of = |comment: &str| {
        let comment = comment.trim();
        let marked = comment.get(..MARKER.len()).is_some_and(|start| start.eq_ignore_ascii_case(MARKER));
        marked.then(|| comment[MARKER.len()..].to_owned())
    };
    let mut after_statement = false;
    for token in tokens {
        let line = line_number(token.span.start.line);
        if !matches!(token.token, Token::Whitespace(_)) {
            after_statement = matches!(token.token, Token::SemiColon);
        }
        let (comment, prefix) = match &token.token {
            Token::Whitespace(Whitespace::SingleLineComment { comment, prefix }) => (comment, prefix),
            Token::Whitespace(Whitespace::MultiLineComment(comment)) if declaration_of(comment).is_some() => {
                return Err(ModelError::RenameComment {
                    path: path.to_owned(),
                    line,
                    comment: format!("/*{comment}*/"),
                    reason: format!("a rename is declared in a `--` comment, not a `/* */` one; {FORM}"),
                });
            }
            _ => continue,
        };
        let Some(declaration) = declaration_of(comment) else {
            continue;
        };
        let text = format!("{prefix}{}", comment.trim_end());
        let error =
            |reason: String| ModelError::RenameComment { path: path.to_owned(), line, comment: text.clone(), reason };
        let Some(old) = declaration.trim().strip_prefix(RENAMED_FROM) else {
            return Err(error(format!("`renamed from` is the only declaration such a comment holds; {FORM}")));
        };
        let old = old_name(old, hooks).map_err(error)?;
        found.push(RenameComment { line, text, old, after_statement });
    }
    Ok(found)
}

/// The one identifier after `renamed from`, folded as the backend folds names.
fn old_name(text: &str, hooks: &dyn SchemaSqlDialect) -> Result<String, String> {
    if !text.is_empty() && !text.starts_with(char::is_whitespace) {
        return Err(format!("a space must follow `renamed from`; {FORM}"));
    }
    let tokens =
        Tokenizer::new(hooks.parser(), text).tokenize().map_err(|_| format!("the old name cannot be read; {FORM}"))?;
    let mut words = tokens.into_iter().filter(|t| !matches!(t, Token::Whitespace(_)));
    match (words.next(), words.next()) {
        (Some(Token::Word(word)), None) if !word.value.is_empty() => {
            let ident = match word.quote_style {
                Some(quote) => Ident::with_quote(quote, word.value),
                None => Ident::new(word.value),
            };
            Ok(hooks.fold(&ident))
        }
        (None, _) => Err(format!("the comment names no old name; {FORM}")),
        _ => Err(format!("the old name must be one name, quoted if need be; {FORM}")),
    }
}

/// Turns the comments into rename hints, by the line each one ends.
///
/// # Errors
///
/// [`ModelError::RenameComment`] for a comment on a line that names no table and no column,
/// or several columns.
pub(super) fn rename_hints(
    comments: Vec<RenameComment>,
    lines: &NameLines,
    path: &Path,
) -> Result<RenameHints, ModelError> {
    let mut hints = RenameHints::default();
    for comment in comments {
        let (line, text) = (comment.line, comment.text);
        let error = |reason: String| ModelError::RenameComment { path: path.to_owned(), line, comment: text, reason };
        // A line names a table or a column once: the file creates neither twice.
        if let Some(table) = lines.tables.get(&comment.line) {
            if let Some(columns) = lines.columns.get(&comment.line).filter(|_| !comment.after_statement) {
                let names: Vec<String> = columns.iter().map(|(_, column)| format!("`{column}`")).collect();
                return Err(error(format!(
                    "the line names the table `{table}` and its columns {}, so the comment could rename either: put \
                     the renamed column, or the `CREATE TABLE {table} (` line, on a line of its own",
                    names.join(", ")
                )));
            }
            hints.tables.insert(table.clone(), comment.old);
            continue;
        }
        match lines.columns.get(&comment.line).map(Vec::as_slice) {
            Some([(table, column)]) => {
                hints.columns.insert((table.clone(), column.clone()), comment.old);
            }
            Some(several) => {
                let names: Vec<String> = several.iter().map(|(_, column)| format!("`{column}`")).collect();
                return Err(error(format!(
                    "the line names the columns {}; put the renamed column on a line of its own",
                    names.join(", ")
                )));
            }
            None => return Err(error(format!("the line names no table and no column; {FORM}"))),
        }
    }
    Ok(hints)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::dialect::Backend;
    use crate::models::sql::parse_schema_sql_metadata;

    /// Parses `sql` for `backend` and compares its renames with `expected` (tables, then
    /// columns as `table.column`), or the error's message with `Err(message)`.
    fn check(backend: Backend, sql: &str, expected: Result<serde_json::Value, &str>) {
        let got = parse_schema_sql_metadata(sql, backend, Path::new("schema.sql"));
        match (got, expected) {
            (Ok(metadata), Ok(want)) => {
                let columns: BTreeMap<String, String> = metadata
                    .renames
                    .columns
                    .iter()
                    .map(|((table, column), old)| (format!("{table}.{column}"), old.clone()))
                    .collect();
                let got = json!({ "tables": metadata.renames.tables, "columns": columns });
                assert_eq!(got, want, "{sql}");
            }
            (Err(err), Err(want)) => {
                assert!(matches!(err, ModelError::RenameComment { .. }), "{err:?}");
                assert_eq!(err.to_string(), want, "{sql}");
            }
            (got, want) => panic!("{sql}\ngot {got:?}\nexpected {want:?}"),
        }
    }

    #[test]
    fn comments_rename_the_table_or_column_their_line_names() {
        check(
            Backend::Postgres,
            "-- the people\nCREATE TABLE People ( -- aludel: renamed from Accounts\n  id bigint PRIMARY KEY,\n  \
             \"Mail\" text, -- aludel: renamed from \"Email\"\n  bio text -- a note of the user's\n);\n\
             ALTER TABLE people ADD COLUMN score int; -- aludel:renamed from points",
            Ok(json!({
                "tables": { "people": "accounts" },
                "columns": { "people.Mail": "Email", "people.score": "points" },
            })),
        );
        check(
            Backend::MySql,
            "CREATE TABLE `People` ( -- aludel: renamed from `Accounts`\n  id bigint,\n  Mail text # aludel: renamed \
             from Email\n) ENGINE=InnoDB;",
            Ok(json!({ "tables": { "People": "Accounts" }, "columns": { "People.Mail": "Email" } })),
        );
        check(
            Backend::Sqlite,
            "CREATE TABLE t (a int); -- aludel: renamed from old_t\n",
            Ok(json!({ "tables": { "t": "old_t" }, "columns": {} })),
        );
    }

    #[test]
    fn misplaced_or_malformed_comments_name_the_file_and_line() {
        let cases = [
            (
                "CREATE TABLE t (\n  -- aludel: renamed from u\n  a int\n);",
                "schema.sql:2: `-- aludel: renamed from u`: the line names no table and no column; write `-- aludel: \
                 renamed from old_name` at the end of a `CREATE TABLE name (` line or of a column's line",
            ),
            (
                "CREATE TABLE t (\n  a int -- aludel: renamed from\n);",
                "schema.sql:2: `-- aludel: renamed from`: the comment names no old name; write `-- aludel: renamed \
                 from old_name` at the end of a `CREATE TABLE name (` line or of a column's line",
            ),
            (
                "CREATE TABLE t (\n  a int -- aludel: renamed from b c\n);",
                "schema.sql:2: `-- aludel: renamed from b c`: the old name must be one name, quoted if need be; write \
                 `-- aludel: renamed from old_name` at the end of a `CREATE TABLE name (` line or of a column's line",
            ),
            (
                "CREATE TABLE t (\n  a int -- aludel: dropped\n);",
                "schema.sql:2: `-- aludel: dropped`: `renamed from` is the only declaration such a comment holds; \
                 write `-- aludel: renamed from old_name` at the end of a `CREATE TABLE name (` line or of a column's \
                 line",
            ),
            (
                "CREATE TABLE t (\n  a int, b int -- aludel: renamed from c\n);",
                "schema.sql:2: `-- aludel: renamed from c`: the line names the columns `a`, `b`; put the renamed \
                 column on a line of its own",
            ),
            (
                "CREATE TABLE t ( -- aludel: renamed from u\na int);\nCREATE TABLE u (a int);\n\
                 CREATE INDEX ix_t_a ON t (a); -- aludel: renamed from v\n",
                "schema.sql:4: `-- aludel: renamed from v`: the line names no table and no column; write `-- aludel: \
                 renamed from old_name` at the end of a `CREATE TABLE name (` line or of a column's line",
            ),
            // A one-line table: the comment could rename the table or its last column.
            (
                "CREATE TABLE accounts (id int, mail text -- aludel: renamed from email\n);",
                "schema.sql:1: `-- aludel: renamed from email`: the line names the table `accounts` and its columns \
                 `id`, `mail`, so the comment could rename either: put the renamed column, or the `CREATE TABLE \
                 accounts (` line, on a line of its own",
            ),
            (
                "CREATE TABLE t (\n  a int /* aludel: renamed from b */\n);",
                "schema.sql:2: `/* aludel: renamed from b */`: a rename is declared in a `--` comment, not a `/* */` \
                 one; write `-- aludel: renamed from old_name` at the end of a `CREATE TABLE name (` line or of a \
                 column's line",
            ),
        ];
        for (sql, message) in cases {
            check(Backend::Postgres, sql, Err(message));
        }
    }

    #[test]
    fn other_comments_are_the_users() {
        check(
            Backend::Postgres,
            "-- aludel renamed from x: not the marker\nCREATE TABLE t ( -- renamed from u, says a note\n  a int /* \
             a note */\n);",
            Ok(json!({ "tables": {}, "columns": {} })),
        );
    }

    #[test]
    fn the_marker_is_read_in_any_case() {
        check(
            Backend::Postgres,
            "CREATE TABLE t (\n  a int -- ALUDEL: renamed from b\n);",
            Ok(json!({ "tables": {}, "columns": { "t.a": "b" } })),
        );
    }
}
