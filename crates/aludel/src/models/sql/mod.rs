//! The desired-state `schema.sql` model source: SQL DDL in the target's dialect, parsed with
//! `sqlparser` into a [`Schema`] (never replayed into a scratch database).
//!
//! Supported statements:
//!
//! - `CREATE TABLE [IF NOT EXISTS]` with columns and inline constraints (`NOT NULL`, `NULL`,
//!   `DEFAULT`, `PRIMARY KEY`, `UNIQUE`, `REFERENCES t (c) [ON DELETE ..] [ON UPDATE ..]`,
//!   `CHECK`, each optionally `CONSTRAINT name`), `COLLATE`, `serial` / `bigserial` / `smallserial`,
//!   `GENERATED {ALWAYS | BY DEFAULT} AS IDENTITY`, `GENERATED ALWAYS AS (expr) [STORED]`,
//!   SQLite's `INTEGER PRIMARY KEY AUTOINCREMENT`, and table constraints (`PRIMARY KEY`,
//!   `UNIQUE`, `FOREIGN KEY`, `CHECK`, named or not);
//! - `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] name ON t [USING method]
//!   (columns or expressions) [WHERE predicate]`;
//! - `ALTER TABLE t ADD [COLUMN] ...` and `ALTER TABLE t ADD [CONSTRAINT name] ...`;
//! - `CREATE TYPE name AS ENUM (...)`;
//! - `COMMENT ON TABLE t IS '...'` and `COMMENT ON COLUMN t.c IS '...'` (`IS NULL` removes it);
//! - what only one backend has, as its hooks say (`dialect/<backend>/schema_sql.rs`): on
//!   MySQL backquoted names, `AUTO_INCREMENT`, `ON UPDATE CURRENT_TIMESTAMP`, inline
//!   `ENUM(...)`, `COMMENT '...'` on columns and `COMMENT = '...'` on tables, and `KEY` /
//!   `INDEX` / `UNIQUE KEY` / `FULLTEXT KEY` inside `CREATE TABLE` (table options such as
//!   `ENGINE` are accepted and ignored, as they say nothing the model holds); on SQLite
//!   `AUTOINCREMENT`.
//!
//! `SET ...`, `CREATE EXTENSION ...`, `BEGIN` / `START TRANSACTION` and `COMMIT` are accepted
//! and ignored: they configure a session, not the schema. `CONCURRENTLY` and `IF NOT EXISTS`
//! are accepted and ignored for the same reason. Any other statement, and any clause the
//! [`Schema`] model cannot hold (a `DESC` index key, `WITHOUT ROWID`, identity
//! sequence options, ...) is a [`ModelError`] naming the file, the statement's line and what
//! is supported: nothing is silently dropped.
//!
//! Mapping decisions:
//!
//! - Expressions (checks, generated columns, index keys and predicates, defaults that are not
//!   literals) are kept as the SQL text `sqlparser` prints. They are not canonical; the
//!   normalisation stage canonicalises them through the database before comparing.
//! - Identifiers are folded as the backend folds them (unquoted ones to lower case on
//!   PostgreSQL; kept as written on SQLite and MySQL). The default schema's qualifier
//!   (`public.` on PostgreSQL, `main.` on SQLite) is dropped; other schemas are refused.
//! - Defaults: `true` / `false`, numbers and strings are literals (also a string cast to the
//!   column's own type, `'draft'::status`), and a number its value would spell otherwise
//!   (`0.00`, `1e3`) is kept as written (`{ number = "0.00" }`); `CURRENT_TIMESTAMP`,
//!   `CURRENT_DATE`, `CURRENT_TIME` and what the backend calls them besides are portable
//!   expressions, PostgreSQL's `now()` the portable `now`, which PostgreSQL keeps apart in
//!   its catalog; `DEFAULT NULL` is no default; anything else is raw SQL.
//! - `serial` types and identity columns are `identity = true` and `NOT NULL`; `serial`
//!   types are also `serial = true`, which PostgreSQL renders as `serial` again (an owned
//!   sequence and a `nextval` default) rather than as an identity column; `GENERATED ALWAYS
//!   AS IDENTITY` is also `identity_always = true`, which PostgreSQL renders so again. A primary key
//!   column is `NOT NULL` where the backend makes it so (PostgreSQL, MySQL); on SQLite it
//!   stays as declared, as SQLite keeps it.
//! - Types map to the neutral type they are, as the backend reads them (on MySQL as its
//!   catalog's types read back: `TINYINT(1)` and `BOOL` are `boolean`, `DATETIME(6)` is
//!   `timestamp`); others pass through as written. An inline enum column (MySQL's
//!   `ENUM('a','b')`) is `enum:<table>_<column>` (see `naming`), an enum of the file with
//!   those values, so that its revisions hold portable enum ops. An inline index without a
//!   name is named as the backend names it.
//! - A type that names an enum created anywhere in the file is `enum:<name>`; an unknown type
//!   is passed through verbatim as a custom type, never an error.
//! - A foreign key must reference a table the file creates; without a column list it
//!   references that table's primary key.
//!
//! Renames are declared in comments, `-- aludel: renamed from old_name` at the end of a
//! `CREATE TABLE name (` line or of a column's line ([`parse_schema_sql_metadata`]; see
//! `rename.rs`).
//!
//! Statement lines come from the tokenizer's locations: each statement is parsed on its own,
//! and the location of its first token is its line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sqlparser::ast::helpers::stmt_create_table::CreateTableBuilder;
use sqlparser::ast::{
    AlterColumnOperation, AlterTable, AlterTableOperation, CommentObject, CreateIndex, CreateTable, CreateTableOptions,
    Expr, Ident, IndexType, ObjectName, ObjectNamePart, Statement, UserDefinedTypeRepresentation,
};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

use crate::dialect::Backend;
use crate::dialect::schema_sql::{Refusal, SchemaSqlDialect};
use crate::models::{Metadata, ModelError, SourceOrder, VerbatimObject};
use crate::schema::{ColumnType, Constraint, EnumType, Index, IndexKey, Schema, Table};

mod column;
mod constraint;
mod dump;
mod rename;
mod statements;

use dump::Reading;
use statements::LineIndex;
pub(crate) use statements::statement_texts;

/// What a schema.sql may hold, for error messages.
const STATEMENTS: &str = "a schema.sql holds CREATE TABLE, CREATE [UNIQUE] INDEX, ALTER TABLE ... ADD [COLUMN | \
                          CONSTRAINT], CREATE TYPE ... AS ENUM and COMMENT ON TABLE | COLUMN (SET, CREATE \
                          EXTENSION, BEGIN and COMMIT are ignored); put data and other objects in a revision's \
                          `sql` op";

/// How long an excerpt of a statement may be, in characters.
const EXCERPT_CHARS: usize = 60;

/// Parses a desired-state `schema.sql` written in `backend`'s SQL into a [`Schema`]. `path` is
/// only used in errors.
///
/// # Errors
///
/// [`ModelError::Syntax`] for SQL the parser rejects, [`ModelError::Unsupported`] for a
/// statement or clause the model cannot hold, [`ModelError::Invalid`] for a statement that
/// contradicts an earlier one, and [`ModelError::UnknownReference`] for a foreign key to a
/// table the file never creates.
///
/// # Examples
///
/// ```
/// use std::path::Path;
///
/// use aludel::dialect::Backend;
/// use aludel::models::parse_schema_sql;
/// use aludel::schema::ColumnType;
///
/// let sql = "CREATE TABLE users (id bigserial PRIMARY KEY, email varchar(255) NOT NULL UNIQUE);";
/// let schema = parse_schema_sql(sql, Backend::Postgres, Path::new("schema.sql")).unwrap();
/// let users = &schema.tables["users"];
/// assert_eq!(users.primary_key, ["id"]);
/// assert_eq!(users.columns[1].ty, ColumnType::Varchar(Some(255)));
/// ```
pub fn parse_schema_sql(text: &str, backend: Backend, path: &Path) -> Result<Schema, ModelError> {
    parse_schema_sql_metadata(text, backend, path).map(|metadata| metadata.schema)
}

/// Reads a desired-state `schema.sql`, or the database's own dump (`pg_dump --schema-only`,
/// `mysqldump --no-data`, `sqlite3 .schema`), written in `backend`'s SQL: the [`Schema`] it
/// declares, the renames it declares in comments, the objects the model does not hold carried
/// as written ([`Metadata::verbatim`]), and where each table and index stood
/// ([`Metadata::order`]). `path` is only used in errors.
///
/// Renames: `-- aludel: renamed from old_name` at the end of a `CREATE TABLE name (` line
/// renames the table, at the end of a column's line the column. Comments that do not start
/// with `aludel:` are ignored.
///
/// # Errors
///
/// What [`parse_schema_sql`] returns, and [`ModelError::RenameComment`] for an `aludel:`
/// comment that is not `renamed from` one name, or that sits on a line naming no table and no
/// column (or several columns).
///
/// # Examples
///
/// ```
/// use std::path::Path;
///
/// use aludel::dialect::Backend;
/// use aludel::models::parse_schema_sql_metadata;
///
/// let sql = "CREATE TABLE people ( -- aludel: renamed from accounts\n\
///            id bigint PRIMARY KEY,\n\
///            email_address text -- aludel: renamed from email\n\
///            );";
/// let metadata = parse_schema_sql_metadata(sql, Backend::Postgres, Path::new("schema.sql")).unwrap();
/// assert_eq!(metadata.renames.tables["people"], "accounts");
/// assert_eq!(metadata.renames.columns[&("people".into(), "email_address".into())], "email");
///
/// // A dump: psql's meta-commands, settings and owners ignored, a view carried as written.
/// let sql = "\\restrict abc\nSET lock_timeout = 0;\nCREATE TABLE public.t (id integer NOT NULL);\n\
///            CREATE VIEW public.v AS SELECT id FROM public.t;\nALTER TABLE public.t OWNER TO app;";
/// let metadata = parse_schema_sql_metadata(sql, Backend::Postgres, Path::new("schema.sql")).unwrap();
/// assert!(metadata.schema.tables.contains_key("t"));
/// assert_eq!(metadata.verbatim[0].label(), "view v");
/// ```
pub fn parse_schema_sql_metadata(text: &str, backend: Backend, path: &Path) -> Result<Metadata, ModelError> {
    // Expressions are trees walked recursively (by the parser's printer among others): a
    // generated CHECK chaining thousands of `AND`s nests as deep, more than a runtime
    // thread's stack holds. The reading gets a thread with room for it; the stack is only
    // reserved, and what is not used costs nothing.
    std::thread::scope(|scope| {
        let reading = std::thread::Builder::new()
            .name("schema.sql".to_owned())
            .stack_size(READER_STACK_BYTES)
            .spawn_scoped(scope, || read_schema_sql(text, backend, path));
        match reading {
            Ok(reading) => reading.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => read_schema_sql(text, backend, path),
        }
    })
}

/// The stack of the thread that reads a schema.sql: enough for an expression of
/// [`MAX_STATEMENT_TOKENS`] tokens nested as deep as they can.
const READER_STACK_BYTES: usize = 512 * 1024 * 1024;

/// The most tokens one statement may have (about 4 MB of SQL); a longer one is refused
/// rather than read.
const MAX_STATEMENT_TOKENS: usize = 1_000_000;

fn read_schema_sql(text: &str, backend: Backend, path: &Path) -> Result<Metadata, ModelError> {
    let hooks = backend.schema_sql();
    let parser_dialect = hooks.parser();
    let lines = LineIndex::new(text);
    let (statements, tokens) = statements::split(text, parser_dialect, hooks.conditional_comments(), path)?;
    let rename_comments = rename::rename_comments(&tokens, hooks, path)?;
    drop(tokens);
    let mut builder = Builder {
        hooks,
        path,
        schema: Schema::default(),
        foreign_keys: Vec::new(),
        verbatim: Vec::new(),
        order: SourceOrder::default(),
        carried_relations: BTreeSet::new(),
        owned_sequences: Vec::new(),
        partitions: BTreeSet::new(),
        name_lines: rename::NameLines::default(),
    };
    builder.find_partitions(&statements);
    // Statements come in order: finding each one's start from the last costs one pass.
    let mut cursor = (sqlparser::tokenizer::Location::new(0, 0), 0);
    for (position, statement) in statements.iter().enumerate() {
        let here = Here { line: statement.line, excerpt: excerpt(&statement.sql), position };
        if let Reading::Done = builder.dump_statement(statement, &here)? {
            continue;
        }
        if statement.tokens.len() > MAX_STATEMENT_TOKENS {
            return Err(ModelError::Syntax {
                path: path.to_owned(),
                line: here.line,
                excerpt: here.excerpt.clone(),
                message: format!(
                    "the statement has {} tokens, more than the {MAX_STATEMENT_TOKENS} a statement may have; split it",
                    statement.tokens.len()
                ),
            });
        }
        let tokens = hooks.readable_tokens(statement.unqualified_tokens(hooks.default_schema()));
        let mut parser = Parser::new(parser_dialect).with_tokens_with_locations(tokens);
        let start = statement.tokens.iter().find(|t| !matches!(t.token, Token::Whitespace(_))).map(|t| t.span.start);
        let start_offset = start.map_or(0, |start| lines.offset_from(&mut cursor, start));
        let parsed = parser.parse_statement().map_err(|err| ModelError::Syntax {
            path: path.to_owned(),
            line: here.line,
            excerpt: excerpt(&text[start_offset..lines.line_end(here.line).max(start_offset)]),
            message: err.to_string(),
        })?;
        let next = parser.peek_token_ref();
        if next.token != Token::EOF {
            let end = lines.offset(next.span.start).max(start_offset);
            return Err(ModelError::Syntax {
                path: path.to_owned(),
                line: here.line,
                excerpt: excerpt(&text[start_offset..end]),
                message: format!("expected `;` after the statement, found `{}`", next.token),
            });
        }
        builder.statement(parsed, &here)?;
    }
    let renames = rename::rename_hints(rename_comments, &builder.name_lines, path)?;
    let mut metadata = builder.finish()?;
    metadata.renames = renames;
    Ok(metadata)
}

/// A statement's text, whitespace collapsed, cut to [`EXCERPT_CHARS`].
fn excerpt(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= EXCERPT_CHARS {
        return flat;
    }
    let mut short: String = flat.chars().take(EXCERPT_CHARS).collect();
    short.push('…');
    short
}

/// Where the statement being mapped is, for errors.
struct Here {
    line: usize,
    excerpt: String,
    /// Its place among the file's statements.
    position: usize,
}

/// A foreign key to check once every table is known.
struct PendingForeignKey {
    table: String,
    /// Position in the table's constraints.
    position: usize,
    line: usize,
    excerpt: String,
}

/// Builds the schema statement by statement.
struct Builder<'p> {
    /// What the backend says about its SQL.
    hooks: &'p dyn SchemaSqlDialect,
    path: &'p Path,
    schema: Schema,
    foreign_keys: Vec<PendingForeignKey>,
    /// Statements carried as written, in the file's order.
    verbatim: Vec<VerbatimObject>,
    /// Where each table and index was declared.
    order: SourceOrder,
    /// Tables and views carried as written: a statement on one is carried too.
    carried_relations: BTreeSet<String>,
    /// Sequence, table and column of each `ALTER SEQUENCE ... OWNED BY`.
    owned_sequences: Vec<(String, String, String)>,
    /// Tables the file attaches as partitions.
    partitions: BTreeSet<String>,
    /// Where tables and columns are named, for the rename comments.
    name_lines: rename::NameLines,
}

impl Builder<'_> {
    fn path(&self) -> PathBuf {
        self.path.to_owned()
    }

    fn unsupported(&self, here: &Here, what: impl Into<String>, hint: impl Into<String>) -> ModelError {
        ModelError::Unsupported {
            path: self.path(),
            line: here.line,
            excerpt: here.excerpt.clone(),
            what: what.into(),
            hint: hint.into(),
        }
    }

    fn refused(&self, here: &Here, refusal: Refusal) -> ModelError {
        self.unsupported(here, refusal.what, refusal.hint)
    }

    fn invalid(&self, here: &Here, reason: impl Into<String>) -> ModelError {
        ModelError::Invalid { path: self.path(), line: here.line, excerpt: here.excerpt.clone(), reason: reason.into() }
    }

    fn statement(&mut self, statement: Statement, here: &Here) -> Result<(), ModelError> {
        match statement {
            Statement::CreateTable(create) => self.create_table(create, here),
            Statement::CreateIndex(create) => self.create_index(&create, here),
            Statement::AlterTable(alter) => self.alter_table(&alter, here),
            Statement::CreateType { name, representation: Some(UserDefinedTypeRepresentation::Enum { labels }) } => {
                let name = self.object_name(&name, here)?;
                if self.schema.enums.contains_key(&name) {
                    return Err(self.invalid(here, format!("enum type `{name}` is created twice; keep one")));
                }
                let values = labels.into_iter().map(|label| label.value).collect();
                self.schema.enums.insert(name.clone(), EnumType { name, values });
                Ok(())
            }
            Statement::CreateType { .. } => Err(self.unsupported(
                here,
                "a type other than an enum",
                "CREATE TYPE ... AS ENUM is; use a column's type or a check for the rest",
            )),
            Statement::Comment { object_type, object_name, comment, if_exists: false } => {
                self.comment(object_type, &object_name, comment, here)
            }
            // Session settings and transaction control say nothing about the schema.
            Statement::Set(_) | Statement::CreateExtension(_) | Statement::Commit { .. } => Ok(()),
            Statement::StartTransaction { statements, exception: None, .. } if statements.is_empty() => Ok(()),
            other => {
                let keyword: String = other.to_string().split_whitespace().take(2).collect::<Vec<_>>().join(" ");
                Err(self.unsupported(here, format!("the statement `{keyword} ...`"), STATEMENTS))
            }
        }
    }

    /// An expression's text, with the standard quoting ([`SchemaSqlDialect::standard_quoting`]).
    fn expression(&self, expr: &Expr) -> String {
        self.hooks.standard_quoting(unwrap_nested(expr).to_string())
    }

    /// An identifier as the database stores it.
    fn ident(&self, ident: &Ident) -> String {
        self.hooks.fold(ident)
    }

    /// The parts of a dotted name, with the default schema's qualifier dropped.
    fn name_parts(&self, name: &ObjectName, here: &Here) -> Result<Vec<String>, ModelError> {
        let mut parts = Vec::with_capacity(name.0.len());
        for part in &name.0 {
            match part {
                ObjectNamePart::Identifier(ident) => parts.push(self.ident(ident)),
                ObjectNamePart::Function(_) => {
                    return Err(self.unsupported(here, format!("the name `{name}`"), "write a plain name"));
                }
            }
        }
        let default_schema = self.hooks.default_schema();
        Ok(parts
            .into_iter()
            .enumerate()
            .filter(|(i, part)| !(*i == 0 && name.0.len() > 1 && Some(part.as_str()) == default_schema))
            .map(|(_, p)| p)
            .collect())
    }

    /// A table, index or type name: one part, or two with the default schema.
    fn object_name(&self, name: &ObjectName, here: &Here) -> Result<String, ModelError> {
        let mut parts = self.name_parts(name, here)?;
        match parts.len() {
            1 => Ok(parts.remove(0)),
            _ => Err(self.unsupported(
                here,
                format!("the qualified name `{name}`"),
                "the schema model holds one schema; drop the qualifier",
            )),
        }
    }

    fn table_mut(&mut self, name: &str, here: &Here) -> Result<&mut Table, ModelError> {
        if !self.schema.tables.contains_key(name) {
            return Err(
                self.invalid(here, format!("table `{name}` is not created before this statement; create it first"))
            );
        }
        Ok(self.schema.tables.get_mut(name).expect("checked above"))
    }

    fn create_table(&mut self, mut rest: CreateTable, here: &Here) -> Result<(), ModelError> {
        // Every clause but the name, columns and constraints must be absent: compare the rest
        // with a bare `CREATE TABLE name ()`, so a clause this code does not know is refused.
        let columns = std::mem::take(&mut rest.columns);
        let constraints = std::mem::take(&mut rest.constraints);
        rest.if_not_exists = false;
        let mut comment = None;
        if let Some(said) = self.hooks.table_options(&rest.table_options) {
            comment = said;
            rest.table_options = CreateTableOptions::None;
        }
        if rest != CreateTableBuilder::new(rest.name.clone()).build() {
            return Err(self.unsupported(
                here,
                "a table clause other than columns and constraints (TEMPORARY, AS SELECT, WITHOUT ROWID, STRICT, \
                 INHERITS, PARTITION, options, ...)",
                "write columns and constraints only",
            ));
        }
        let name = self.object_name(&rest.name, here)?;
        if self.schema.tables.contains_key(&name) {
            return Err(self.invalid(here, format!("table `{name}` is created twice; keep one")));
        }
        let mut table = Table {
            name: name.clone(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            primary_key_name: None,
            constraints: Vec::new(),
            comment,
        };
        if let Some(ObjectNamePart::Identifier(ident)) = rest.name.0.last() {
            self.name_lines.table(ident.span.start.line, &name);
        }
        for def in &columns {
            self.column(&mut table, def, here)?;
        }
        for constraint in &constraints {
            self.table_constraint(&mut table, constraint, here)?;
        }
        self.keys_name_columns(&table, here)?;
        self.order.tables.insert(name.clone(), here.position);
        self.schema.tables.insert(name, table);
        Ok(())
    }

    fn alter_table(&mut self, alter: &AlterTable, here: &Here) -> Result<(), ModelError> {
        let hint = "ALTER TABLE t ADD [COLUMN] ..., ALTER TABLE t ADD [CONSTRAINT name] ... and ALTER TABLE t ALTER \
                    [COLUMN] c SET DEFAULT ... are supported";
        if alter.location.is_some() || alter.on_cluster.is_some() || alter.table_type.is_some() {
            return Err(self.unsupported(here, "this form of ALTER TABLE", hint));
        }
        let name = self.object_name(&alter.name, here)?;
        let mut table = self.table_mut(&name, here)?.clone();
        for operation in &alter.operations {
            match operation {
                AlterTableOperation::AddConstraint { constraint, not_valid: false } => {
                    self.table_constraint(&mut table, constraint, here)?;
                }
                AlterTableOperation::AddColumn { column_def, column_position: None, .. } => {
                    self.column(&mut table, column_def, here)?;
                }
                AlterTableOperation::AlterColumn { column_name, op: AlterColumnOperation::SetDefault { value } } => {
                    let column_name = self.ident(column_name);
                    let Some(column) = table.column(&column_name) else {
                        return Err(self.invalid(here, format!("table `{name}` has no column `{column_name}`")));
                    };
                    let default = self.default_value(value, &column.ty);
                    table.column_mut(&column_name).expect("found above").default = default;
                }
                other => {
                    return Err(self.unsupported(here, format!("the table change `{other}`"), hint));
                }
            }
        }
        self.keys_name_columns(&table, here)?;
        self.schema.tables.insert(name, table);
        Ok(())
    }

    /// A key, foreign key or index of `table` that names a column the table lacks is a typo the
    /// database would only refuse when the revision runs: refused here, naming both.
    fn keys_name_columns(&self, table: &Table, here: &Here) -> Result<(), ModelError> {
        let has = |column: &str| table.columns.iter().any(|c| c.name.eq_ignore_ascii_case(column));
        let mut named: Vec<(String, &str)> =
            table.primary_key.iter().map(|c| ("the primary key".to_owned(), c.as_str())).collect();
        for constraint in &table.constraints {
            let (what, columns) = match constraint {
                Constraint::PrimaryKey { columns, .. } => ("the primary key", columns),
                Constraint::Unique { columns, .. } => ("a unique key", columns),
                Constraint::ForeignKey { columns, .. } => ("a foreign key", columns),
                Constraint::Check { .. } => continue,
            };
            let what = constraint.name().map_or_else(|| what.to_owned(), |name| format!("`{name}`"));
            named.extend(columns.iter().map(|c| (what.clone(), c.as_str())));
        }
        for index in self.schema.indexes.values().filter(|index| index.table == table.name) {
            let keys = index.columns.iter().filter_map(|key| match key {
                IndexKey::Column(column) => Some(column.as_str()),
                IndexKey::Expr { .. } => None,
            });
            named.extend(
                keys.chain(index.include.iter().map(String::as_str)).map(|c| (format!("index `{}`", index.name), c)),
            );
        }
        match named.into_iter().find(|(_, column)| !has(column)) {
            Some((what, column)) => Err(self.invalid(
                here,
                format!(
                    "{what} names column `{column}`, which table `{}` does not have; check its spelling",
                    table.name
                ),
            )),
            None => Ok(()),
        }
    }

    fn create_index(&mut self, create: &CreateIndex, here: &Here) -> Result<(), ModelError> {
        if create.r#async
            || create.nulls_distinct.is_some()
            || !create.with.is_empty()
            || !create.index_options.is_empty()
            || !create.alter_options.is_empty()
        {
            return Err(self.unsupported(
                here,
                "an index option (NULLS [NOT] DISTINCT, WITH, ...)",
                "write CREATE [UNIQUE] INDEX name ON t [USING method] (keys) [WHERE predicate]",
            ));
        }
        let Some(index_name) = &create.name else {
            return Err(self.invalid(here, "the index has no name; name it, e.g. `ix_<table>_<column>`"));
        };
        let name = self.object_name(index_name, here)?;
        let table = self.object_name(&create.table_name, here)?;
        self.table_mut(&table, here)?;
        if self.schema.indexes.contains_key(&name) {
            return Err(self.invalid(here, format!("index `{name}` is created twice; keep one")));
        }
        let (columns, key_options) = self.index_keys(&create.columns, here)?;
        let include: Vec<String> = create.include.iter().map(|column| self.ident(column)).collect();
        let columns_of_table = &self.schema.tables[&table].columns;
        let missing = columns
            .iter()
            .filter_map(|key| match key {
                IndexKey::Column(column) => Some(column),
                IndexKey::Expr { .. } => None,
            })
            .chain(&include)
            .find(|column| !columns_of_table.iter().any(|c| c.name.eq_ignore_ascii_case(column)));
        if let Some(column) = missing {
            return Err(self.invalid(
                here,
                format!(
                    "index `{name}` names column `{column}`, which table `{table}` does not have; check its spelling"
                ),
            ));
        }
        let method = create.using.as_ref().map(|using| match using {
            IndexType::Custom(ident) => self.ident(ident),
            other => other.to_string().to_lowercase(),
        });
        let predicate = create.predicate.as_ref().map(|p| self.expression(p));
        self.order.indexes.insert(name.clone(), here.position);
        self.schema.indexes.insert(
            name.clone(),
            Index { name, table, columns, unique: create.unique, predicate, method, key_options, include },
        );
        Ok(())
    }

    fn comment(
        &mut self,
        object_type: CommentObject,
        object_name: &ObjectName,
        comment: Option<String>,
        here: &Here,
    ) -> Result<(), ModelError> {
        match object_type {
            CommentObject::Table => {
                let name = self.object_name(object_name, here)?;
                self.table_mut(&name, here)?.comment = comment;
                Ok(())
            }
            CommentObject::Column => {
                let mut parts = self.name_parts(object_name, here)?;
                let (Some(column), Some(table), true) = (parts.pop(), parts.pop(), parts.is_empty()) else {
                    return Err(self.unsupported(
                        here,
                        format!("the column name `{object_name}`"),
                        "write COMMENT ON COLUMN table.column",
                    ));
                };
                let target = self.table_mut(&table, here)?;
                match target.column_mut(&column) {
                    Some(target) => {
                        target.comment = comment;
                        Ok(())
                    }
                    None => Err(self.invalid(here, format!("table `{table}` has no column `{column}`"))),
                }
            }
            other => Err(self.unsupported(
                here,
                format!("a comment on {other}"),
                "COMMENT ON TABLE and COMMENT ON COLUMN are supported",
            )),
        }
    }

    /// Resolves what needs the whole file: enum types, foreign key targets, primary keys.
    fn finish(mut self) -> Result<Metadata, ModelError> {
        self.resolve_owned_sequences();
        let enums: Vec<String> = self.schema.enums.keys().cloned().collect();
        for table in self.schema.tables.values_mut() {
            for column in &mut table.columns {
                resolve_enum(&mut column.ty, &enums);
            }
            if self.hooks.primary_key_not_null() {
                for key in &table.primary_key {
                    if let Some(column) = table.columns.iter_mut().find(|c| &c.name == key) {
                        column.nullable = false;
                    }
                }
            }
        }
        for pending in &self.foreign_keys {
            let invalid = |reason: String| ModelError::Invalid {
                path: self.path.to_owned(),
                line: pending.line,
                excerpt: pending.excerpt.clone(),
                reason,
            };
            let Some(Constraint::ForeignKey { references, columns, .. }) =
                self.schema.tables[&pending.table].constraints.get(pending.position)
            else {
                unreachable!("a pending foreign key points at the constraint it was pushed as");
            };
            let Some(target) = self.schema.tables.get(&references.table) else {
                return Err(ModelError::UnknownReference {
                    path: self.path.to_owned(),
                    line: pending.line,
                    table: pending.table.clone(),
                    referenced: references.table.clone(),
                });
            };
            let referenced = if references.columns.is_empty() {
                if target.primary_key.is_empty() {
                    return Err(invalid(format!(
                        "the foreign key of `{}` references `{}`, which has no primary key; list the referenced columns",
                        pending.table, target.name
                    )));
                }
                target.primary_key.clone()
            } else {
                references.columns.clone()
            };
            if let Some(missing) = referenced.iter().find(|c| target.column(c).is_none()) {
                return Err(invalid(format!(
                    "the foreign key of `{}` references column `{}.{missing}`, which does not exist",
                    pending.table, target.name
                )));
            }
            if referenced.len() != columns.len() {
                return Err(invalid(format!(
                    "the foreign key of `{}` has {} column(s) but references {}",
                    pending.table,
                    columns.len(),
                    referenced.len()
                )));
            }
            let table = self.schema.tables.get_mut(&pending.table).expect("pending foreign keys name tables");
            if let Some(Constraint::ForeignKey { references, .. }) = table.constraints.get_mut(pending.position) {
                references.columns = referenced;
            }
        }
        for index in self.schema.indexes.values() {
            // An index declared inside CREATE TABLE stands with its table.
            if !self.order.indexes.contains_key(&index.name)
                && let Some(&position) = self.order.tables.get(&index.table)
            {
                self.order.indexes.insert(index.name.clone(), position);
            }
        }
        let mut metadata = Metadata::new(self.schema);
        metadata.verbatim = self.verbatim;
        metadata.order = self.order;
        Ok(metadata)
    }
}

/// `Custom(name)` becomes `Enum(name)` when the file creates that enum.
fn resolve_enum(ty: &mut ColumnType, enums: &[String]) {
    match ty {
        ColumnType::Custom(name) if enums.contains(name) => *ty = ColumnType::Enum(name.clone()),
        ColumnType::Array(inner) => resolve_enum(inner, enums),
        _ => {}
    }
}

/// The expression inside any number of parentheses.
fn unwrap_nested(mut expr: &Expr) -> &Expr {
    while let Expr::Nested(inner) = expr {
        expr = inner;
    }
    expr
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Parses `sql` and compares the schema's JSON form with `expected`, or the error's
    /// message with `Err(message)`.
    pub(super) fn check(dialect: Backend, sql: &str, expected: Result<serde_json::Value, &str>) {
        let got = parse_schema_sql(sql, dialect, Path::new("schema.sql"));
        match (got, expected) {
            (Ok(schema), Ok(want)) => {
                let got: serde_json::Value = serde_json::from_str(&schema.to_json()).expect("valid JSON");
                assert_eq!(got, want, "{sql}");
            }
            (Err(err), Err(want)) => assert_eq!(err.to_string(), want, "{sql}"),
            (got, want) => panic!("{sql}\ngot {got:?}\nexpected {want:?}"),
        }
    }

    pub(super) fn table(columns: serde_json::Value) -> serde_json::Value {
        json!({ "tables": [{ "table": "t", "columns": columns }], "indexes": [], "enums": [] })
    }

    #[test]
    fn identifiers_fold_on_postgres_only() {
        check(
            Backend::Postgres,
            r#"CREATE TABLE public.Things ("Id" INT, Name TEXT);"#,
            Ok(json!({ "tables": [{ "table": "things", "columns": [
                { "name": "Id", "type": "integer", "nullable": true },
                { "name": "name", "type": "text", "nullable": true },
            ] }], "indexes": [], "enums": [] })),
        );
        check(
            Backend::Sqlite,
            "CREATE TABLE Things (Id INT);",
            Ok(json!({ "tables": [{ "table": "Things", "columns": [
                { "name": "Id", "type": "integer", "nullable": true },
            ] }], "indexes": [], "enums": [] })),
        );
    }

    #[test]
    fn indexes_enums_comments_and_alter_table() {
        check(
            Backend::Postgres,
            "CREATE TABLE t (id int, email text, m mood, ms mood[]);
             CREATE TYPE mood AS ENUM ('sad', 'ok');
             CREATE UNIQUE INDEX ix_t_email ON t USING btree ((lower(email)), id) WHERE id > 0;
             CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_t_m ON t (m);
             CREATE INDEX ix_t_sorted ON t (email public.text_pattern_ops DESC NULLS LAST, id ASC NULLS FIRST, m DESC NULLS FIRST) INCLUDE (ms);
             ALTER TABLE t ADD CONSTRAINT t_pk PRIMARY KEY (id), ADD COLUMN extra text;
             COMMENT ON TABLE t IS 'things';
             COMMENT ON COLUMN t.email IS 'where to write';",
            Ok(json!({
                "tables": [{ "table": "t", "comment": "things", "columns": [
                    { "name": "id", "type": "integer", "nullable": false },
                    { "name": "email", "type": "text", "nullable": true, "comment": "where to write" },
                    { "name": "m", "type": "enum:mood", "nullable": true },
                    { "name": "ms", "type": "enum:mood[]", "nullable": true },
                    { "name": "extra", "type": "text", "nullable": true },
                ], "primary_key": ["id"], "primary_key_name": "t_pk" }],
                "indexes": [
                    { "name": "ix_t_email", "table": "t", "columns": [{ "expr": "lower(email)" }, "id"], "unique": true,
                      "where": "id > 0", "method": "btree" },
                    { "name": "ix_t_m", "table": "t", "columns": ["m"] },
                    // Only what differs from the order's default is kept (NULLs first descending).
                    { "name": "ix_t_sorted", "table": "t", "columns": ["email", "id", "m"], "key_options": [
                        { "opclass": "text_pattern_ops", "desc": true, "nulls_first": false },
                        { "nulls_first": true },
                        { "desc": true },
                    ], "include": ["ms"] },
                ],
                "enums": [{ "name": "mood", "values": ["sad", "ok"] }],
            })),
        );
    }

    #[test]
    fn session_statements_and_comments_are_ignored() {
        check(
            Backend::Postgres,
            "-- a comment\nBEGIN;\nSET search_path = public;\nCREATE EXTENSION IF NOT EXISTS pgcrypto;\n;;\n\
             /* block */ CREATE TABLE t (c text);\nCOMMIT;",
            Ok(table(json!([{ "name": "c", "type": "text", "nullable": true }]))),
        );
    }

    #[test]
    fn errors_name_the_file_line_and_statement() {
        let cases = [
            (
                "CREATE TABLE t (c text);\n\n-- data\nINSERT INTO t VALUES ('x');",
                "schema.sql:4: `INSERT INTO t VALUES ('x')`: the statement `INSERT INTO ...` is not supported in a \
                 schema model; a schema.sql holds CREATE TABLE, CREATE [UNIQUE] INDEX, ALTER TABLE ... ADD [COLUMN | \
                 CONSTRAINT], CREATE TYPE ... AS ENUM and COMMENT ON TABLE | COLUMN (SET, CREATE EXTENSION, BEGIN \
                 and COMMIT are ignored); put data and other objects in a revision's `sql` op",
            ),
            (
                "CREATE TABLE t (c text);\nCREATE TABLE\n  t (d text);",
                "schema.sql:2: `CREATE TABLE t (d text)`: table `t` is created twice; keep one",
            ),
            (
                "CREATE TABLE t (a_id int REFERENCES a (id));",
                "schema.sql:1: table `t` references table `a`, which the file never creates; create `a` or drop the \
                 foreign key",
            ),
            (
                "CREATE TABLE a (id int);\nCREATE TABLE t (a_id int REFERENCES a);",
                "schema.sql:2: `CREATE TABLE t (a_id int REFERENCES a)`: the foreign key of `t` references `a`, which \
                 has no primary key; list the referenced columns",
            ),
            (
                "CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE t (a_id int REFERENCES a (nope));",
                "schema.sql:2: `CREATE TABLE t (a_id int REFERENCES a (nope))`: the foreign key of `t` references \
                 column `a.nope`, which does not exist",
            ),
            (
                "CREATE TABLE t (c text, UNIQUE (cc));",
                "schema.sql:1: `CREATE TABLE t (c text, UNIQUE (cc))`: a unique key names column `cc`, which table `t` \
                 does not have; check its spelling",
            ),
            (
                "CREATE TABLE t (c text);\nCREATE INDEX ix_t_c ON t (c, d);",
                "schema.sql:2: `CREATE INDEX ix_t_c ON t (c, d)`: index `ix_t_c` names column `d`, which table `t` does \
                 not have; check its spelling",
            ),
            (
                "CREATE TABLE t (c text);\nALTER TABLE t ADD CONSTRAINT pk PRIMARY KEY (id);",
                "schema.sql:2: `ALTER TABLE t ADD CONSTRAINT pk PRIMARY KEY (id)`: the primary key names column `id`, \
                 which table `t` does not have; check its spelling",
            ),
            (
                "CREATE INDEX ix ON nowhere (c);",
                "schema.sql:1: `CREATE INDEX ix ON nowhere (c)`: table `nowhere` is not created before this \
                 statement; create it first",
            ),
            (
                "CREATE TEMPORARY TABLE t (c text);",
                "schema.sql:1: `CREATE TEMPORARY TABLE t (c text)`: a table clause other than columns and constraints \
                 (TEMPORARY, AS SELECT, WITHOUT ROWID, STRICT, INHERITS, PARTITION, options, ...) is not supported \
                 in a schema model; write columns and constraints only",
            ),
            (
                "CREATE TABLE t (c text CHARACTER SET utf8);",
                "schema.sql:1: `CREATE TABLE t (c text CHARACTER SET utf8)`: the column option `CHARACTER SET utf8` \
                 on `c` is not supported in a schema model; columns take NOT NULL, NULL, DEFAULT, PRIMARY KEY, \
                 UNIQUE, REFERENCES, CHECK, GENERATED, COLLATE, COMMENT, (SQLite) AUTOINCREMENT and (MySQL) \
                 AUTO_INCREMENT and ON UPDATE CURRENT_TIMESTAMP",
            ),
            (
                "CREATE TABLE t (id int PRIMARY KEY, PRIMARY KEY (id));",
                "schema.sql:1: `CREATE TABLE t (id int PRIMARY KEY, PRIMARY KEY (id))`: table `t` has two primary \
                 keys; keep one",
            ),
            (
                "\n\nCREATE TABLE t (c text,, d text);",
                "schema.sql:3: cannot parse `CREATE TABLE t (c text,, d text);`: sql parser error: Expected: column \
                 name or constraint definition, found: , at Line: 3, Column: 24",
            ),
            (
                "CREATE TABLE t (c text) CREATE TABLE u (c text);",
                "schema.sql:1: cannot parse `CREATE TABLE t (c text)`: expected `;` after the statement, found `CREATE`",
            ),
            (
                "COMMENT ON COLUMN t.c IS 'x';",
                "schema.sql:1: `COMMENT ON COLUMN t.c IS 'x'`: table `t` is not created before this statement; create \
                 it first",
            ),
        ];
        for (sql, message) in cases {
            check(Backend::Postgres, sql, Err(message));
        }
    }

    #[test]
    fn a_file_on_one_line_reads_in_one_pass() {
        let sql = format!("CREATE TABLE t (c int);{}", " COMMENT ON TABLE t IS 'x';".repeat(20_000));
        let schema = parse_schema_sql(&sql, Backend::Postgres, Path::new("schema.sql")).expect("reads");
        assert_eq!(schema.tables["t"].comment.as_deref(), Some("x"));
    }

    #[test]
    fn lines_count_from_the_statement_start() {
        let sql = "-- header\n\n/* a\n block */\nCREATE TABLE t (\n  c text\n);\n\n  DROP TABLE t;";
        let err = parse_schema_sql(sql, Backend::Postgres, Path::new("db/schema.sql")).unwrap_err();
        assert!(
            matches!(&err, ModelError::Unsupported { line: 9, excerpt, path, .. }
            if excerpt == "DROP TABLE t" && path == Path::new("db/schema.sql")),
            "{err:?}"
        );
        // Multi-byte text before the statement on the same line does not shift it.
        let sql = "CREATE TABLE t (c text DEFAULT 'é'); DROP TABLE t;";
        let err = parse_schema_sql(sql, Backend::Postgres, Path::new("s.sql")).unwrap_err();
        assert!(
            matches!(&err, ModelError::Unsupported { line: 1, excerpt, .. } if excerpt == "DROP TABLE t"),
            "{err:?}"
        );
    }
}
