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
//!   column's own type, `'draft'::status`); `CURRENT_TIMESTAMP`, `CURRENT_DATE`,
//!   `CURRENT_TIME` and what the backend calls them besides (`now()` on PostgreSQL) are
//!   portable expressions; `DEFAULT NULL` is no default; anything else is raw SQL.
//! - `serial` types and identity columns are `identity = true` and `NOT NULL`. A primary key
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
//! Statement lines come from the tokenizer's locations: each statement is parsed on its own,
//! and the location of its first token is its line.

use std::path::{Path, PathBuf};

use sqlparser::ast::helpers::stmt_create_table::CreateTableBuilder;
use sqlparser::ast::{
    AlterTable, AlterTableOperation, CheckConstraint, ColumnDef, ColumnOption, CommentObject, CreateIndex, CreateTable,
    CreateTableOptions, DataType, Expr, ForeignKeyConstraint, FunctionArguments, GeneratedAs, GeneratedExpressionMode,
    Ident, IndexColumn, IndexType, NullsDistinctOption, ObjectName, ObjectNamePart, PrimaryKeyConstraint,
    ReferentialAction as SqlAction, Statement, TableConstraint, UnaryOperator, UniqueConstraint,
    UserDefinedTypeRepresentation, Value,
};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Token, Tokenizer};

use crate::dialect::Backend;
use crate::dialect::schema_sql::{ColumnOptionReading, ColumnSite, DeclaredType, Refusal, SchemaSqlDialect};
use crate::models::ModelError;
use crate::naming;
use crate::schema::{
    Column, ColumnType, Constraint, DefaultValue, EnumType, Generated, Index, IndexKey, Literal, PortableExpr,
    References, ReferentialAction, Schema, Table,
};

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
    let hooks = backend.schema_sql();
    let parser_dialect = hooks.parser();
    let lines = LineIndex::new(text);
    let tokens = Tokenizer::new(parser_dialect, text).tokenize_with_location().map_err(|err| {
        let line = err.location.line.max(1) as usize;
        ModelError::Syntax {
            path: path.to_owned(),
            line,
            excerpt: excerpt(&text[lines.offset(Location::new(line as u64, 1))..lines.line_end(line)]),
            message: err.message,
        }
    })?;
    let mut parser = Parser::new(parser_dialect).with_tokens_with_locations(tokens);
    let mut builder = Builder { hooks, path, schema: Schema::default(), foreign_keys: Vec::new() };
    loop {
        // Empty statements (`;;`) are fine.
        while parser.consume_token(&Token::SemiColon) {}
        let first = parser.peek_token_ref();
        if first.token == Token::EOF {
            break;
        }
        let start = first.span.start;
        let line = start.line.max(1) as usize;
        let statement = parser.parse_statement().map_err(|err| ModelError::Syntax {
            path: path.to_owned(),
            line,
            excerpt: excerpt(&text[lines.offset(start)..lines.line_end(line)]),
            message: err.to_string(),
        })?;
        let next = parser.peek_token_ref();
        let end = if next.token == Token::EOF { text.len() } else { lines.offset(next.span.start) };
        let here = Here { line, excerpt: excerpt(&text[lines.offset(start)..end]) };
        if !matches!(next.token, Token::SemiColon | Token::EOF) {
            return Err(ModelError::Syntax {
                path: path.to_owned(),
                line,
                excerpt: here.excerpt,
                message: format!("expected `;` after the statement, found `{}`", next.token),
            });
        }
        builder.statement(statement, &here)?;
    }
    builder.finish()
}

/// Byte offsets of line starts, to turn a token's line and column into a byte offset.
struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    fn new(text: &'t str) -> Self {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        LineIndex { text, starts }
    }

    /// The byte offset of a 1-based line and (character) column, clamped to the text.
    fn offset(&self, location: Location) -> usize {
        let Some(&start) = self.starts.get((location.line.max(1) - 1) as usize) else {
            return self.text.len();
        };
        let column = location.column.max(1) as usize - 1;
        self.text[start..].char_indices().nth(column).map_or(self.text.len(), |(i, _)| start + i)
    }

    /// The byte offset of the end of a 1-based line, before its newline.
    fn line_end(&self, line: usize) -> usize {
        self.starts.get(line).map_or(self.text.len(), |&next| next - 1)
    }
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
        for def in &columns {
            self.column(&mut table, def, here)?;
        }
        for constraint in &constraints {
            self.table_constraint(&mut table, constraint, here)?;
        }
        self.schema.tables.insert(name, table);
        Ok(())
    }

    /// Maps a column definition and its inline constraints onto `table`.
    fn column(&mut self, table: &mut Table, def: &ColumnDef, here: &Here) -> Result<(), ModelError> {
        let name = self.ident(&def.name);
        if table.column(&name).is_some() {
            return Err(self.invalid(here, format!("column `{}.{name}` is declared twice", table.name)));
        }
        let (ty, serial) = match self.hooks.column_type(&def.data_type).map_err(|r| self.refused(here, r))? {
            DeclaredType::Plain(ty) => (ty, false),
            DeclaredType::Serial(ty) => (ty, true),
            DeclaredType::InlineEnum(values) => (self.inline_enum(&table.name, &name, values, here)?, false),
        };
        let mut column = Column::new(&name, ty);
        column.identity = serial;
        let mut autoincrement = false;
        for option in &def.options {
            let constraint_name = option.name.as_ref().map(|n| self.ident(n));
            let ty = column.ty.clone();
            let read_default = |expr: &Expr| self.default_value(expr, &ty);
            let site = ColumnSite { name: &name, def, read_default: &read_default };
            if let Some(reading) = self.hooks.column_option(&option.option, &site) {
                match reading.map_err(|r| self.refused(here, r))? {
                    ColumnOptionReading::Identity => column.identity = true,
                    ColumnOptionReading::KeyIdentity => autoincrement = true,
                    ColumnOptionReading::OnUpdate(value) => column.on_update = Some(value),
                    ColumnOptionReading::Nothing => {}
                }
                continue;
            }
            match &option.option {
                ColumnOption::Null => column.nullable = true,
                ColumnOption::NotNull => column.nullable = false,
                ColumnOption::Default(expr) => column.default = self.default_value(expr, &column.ty),
                ColumnOption::PrimaryKey(key) => {
                    self.check_primary_key_options(key, here)?;
                    let constraint_name = constraint_name.or_else(|| key.name.as_ref().map(|n| self.ident(n)));
                    self.set_primary_key(table, vec![name.clone()], constraint_name, here)?;
                }
                ColumnOption::Unique(unique) => {
                    self.check_unique_options(unique, here)?;
                    let constraint_name = constraint_name.or_else(|| unique.name.as_ref().map(|n| self.ident(n)));
                    table.constraints.push(Constraint::Unique { name: constraint_name, columns: vec![name.clone()] });
                }
                ColumnOption::ForeignKey(key) => {
                    let constraint_name = constraint_name.or_else(|| key.name.as_ref().map(|n| self.ident(n)));
                    self.foreign_key(table, key, vec![name.clone()], constraint_name, here)?;
                }
                ColumnOption::Check(check) => {
                    let constraint_name = constraint_name.or_else(|| check.name.as_ref().map(|n| self.ident(n)));
                    let constraint = self.check(check, constraint_name, here)?;
                    table.constraints.push(constraint);
                }
                ColumnOption::Generated {
                    generated_as: GeneratedAs::Always | GeneratedAs::ByDefault,
                    sequence_options,
                    generation_expr: None,
                    ..
                } => {
                    if sequence_options.as_ref().is_some_and(|o| !o.is_empty()) {
                        return Err(self.unsupported(
                            here,
                            format!("identity options on column `{name}`"),
                            "write `GENERATED ... AS IDENTITY` without options",
                        ));
                    }
                    column.identity = true;
                }
                ColumnOption::Generated { generation_expr: Some(expr), generation_expr_mode, .. } => {
                    column.generated = Some(Generated {
                        expr: unwrap_nested(expr).to_string(),
                        stored: *generation_expr_mode == Some(GeneratedExpressionMode::Stored),
                    });
                }
                ColumnOption::Collation(collation) => {
                    let Some(last) = collation.0.last().and_then(|part| part.as_ident()) else {
                        return Err(self.invalid(here, format!("the collation of `{name}` has no name")));
                    };
                    // Case-insensitive names, spelled as the catalog prints them.
                    column.collation = Some(self.hooks.collation(self.ident(last)));
                }
                ColumnOption::Comment(text) => column.comment = Some(text.clone()),
                other => {
                    return Err(self.unsupported(
                        here,
                        format!("the column option `{other}` on `{name}`"),
                        "columns take NOT NULL, NULL, DEFAULT, PRIMARY KEY, UNIQUE, REFERENCES, CHECK, GENERATED, \
                         COLLATE, COMMENT, (SQLite) AUTOINCREMENT and (MySQL) AUTO_INCREMENT and ON UPDATE \
                         CURRENT_TIMESTAMP",
                    ));
                }
            }
        }
        if autoincrement {
            if table.primary_key != [name.clone()] {
                return Err(
                    self.invalid(here, format!("AUTOINCREMENT on `{name}` needs `{name}` to be the primary key"))
                );
            }
            column.identity = true;
        }
        if column.identity {
            // serial and identity columns are NOT NULL, whatever the file says.
            column.nullable = false;
        }
        table.columns.push(column);
        Ok(())
    }

    /// Maps a `DEFAULT` expression; `DEFAULT NULL` is no default.
    fn default_value(&self, expr: &Expr, ty: &ColumnType) -> Option<DefaultValue> {
        let expr = unwrap_nested(expr);
        if let Some(literal) = literal(expr) {
            return literal.map(|literal| DefaultValue::Value(self.hooks.literal_default(literal, ty)));
        }
        let cast_to_own_type = |data_type: &DataType| {
            self.hooks.column_type(data_type).ok().and_then(DeclaredType::column_type).as_ref() == Some(ty)
        };
        match expr {
            Expr::Cast { expr: inner, data_type, .. } if cast_to_own_type(data_type) => {
                if let Some(Some(Literal::String(text))) = literal(unwrap_nested(inner)) {
                    return Some(DefaultValue::Value(Literal::String(text)));
                }
            }
            Expr::Function(function) if function.name.0.len() == 1 => {
                let name = function.name.to_string().to_ascii_lowercase();
                let portable = match (&function.args, name.as_str()) {
                    (FunctionArguments::None, "current_timestamp") => Some(PortableExpr::CurrentTimestamp),
                    (FunctionArguments::None, "current_date") => Some(PortableExpr::CurrentDate),
                    (FunctionArguments::None, "current_time") => Some(PortableExpr::CurrentTime),
                    (args, name) => self.hooks.portable_call(name, args),
                };
                if let Some(portable) = portable {
                    return Some(DefaultValue::Expr(portable));
                }
            }
            _ => {}
        }
        Some(DefaultValue::Sql(expr.to_string()))
    }

    fn check_primary_key_options(&self, key: &PrimaryKeyConstraint, here: &Here) -> Result<(), ModelError> {
        if key.index_name.is_some()
            || key.index_type.is_some()
            || !key.include.is_empty()
            || !key.index_options.is_empty()
            || key.characteristics.is_some()
        {
            return Err(self.unsupported(here, "a primary key option", "write PRIMARY KEY (columns) only"));
        }
        Ok(())
    }

    fn check_unique_options(&self, unique: &UniqueConstraint, here: &Here) -> Result<(), ModelError> {
        // MySQL's `UNIQUE KEY name (...)` names the key that way.
        if (unique.index_name.is_some() && !self.hooks.unique_key_names())
            || unique.index_type.is_some()
            || !unique.include.is_empty()
            || !unique.index_options.is_empty()
            || unique.characteristics.is_some()
            || unique.nulls_distinct != NullsDistinctOption::None
        {
            return Err(self.unsupported(here, "a unique constraint option", "write UNIQUE (columns) only"));
        }
        Ok(())
    }

    fn set_primary_key(
        &self,
        table: &mut Table,
        columns: Vec<String>,
        name: Option<String>,
        here: &Here,
    ) -> Result<(), ModelError> {
        if !table.primary_key.is_empty() {
            return Err(self.invalid(here, format!("table `{}` has two primary keys; keep one", table.name)));
        }
        table.primary_key = columns;
        table.primary_key_name = name;
        Ok(())
    }

    /// Plain column names of a constraint's column list.
    fn column_list(&self, columns: &[IndexColumn], what: &str, here: &Here) -> Result<Vec<String>, ModelError> {
        columns
            .iter()
            .map(|column| match (&column.column.expr, &column.operator_class, &column.column.options.sort) {
                (Expr::Identifier(ident), None, None) if column.column.options.nulls_first.is_none() => {
                    Ok(self.ident(ident))
                }
                _ => Err(self.unsupported(here, format!("the {what} key `{column}`"), "list plain column names")),
            })
            .collect()
    }

    fn foreign_key(
        &mut self,
        table: &mut Table,
        key: &ForeignKeyConstraint,
        columns: Vec<String>,
        name: Option<String>,
        here: &Here,
    ) -> Result<(), ModelError> {
        if key.index_name.is_some() || key.match_kind.is_some() || key.characteristics.is_some() {
            return Err(self.unsupported(
                here,
                "a foreign key option (MATCH, DEFERRABLE, ...)",
                "write REFERENCES t (columns) [ON DELETE action] [ON UPDATE action]",
            ));
        }
        let action = |action: &Option<SqlAction>| {
            action.map(|action| match action {
                SqlAction::Restrict => ReferentialAction::Restrict,
                SqlAction::Cascade => ReferentialAction::Cascade,
                SqlAction::SetNull => ReferentialAction::SetNull,
                SqlAction::NoAction => ReferentialAction::NoAction,
                SqlAction::SetDefault => ReferentialAction::SetDefault,
            })
        };
        let references = References {
            table: self.object_name(&key.foreign_table, here)?,
            columns: key.referred_columns.iter().map(|c| self.ident(c)).collect(),
        };
        self.foreign_keys.push(PendingForeignKey {
            table: table.name.clone(),
            position: table.constraints.len(),
            line: here.line,
            excerpt: here.excerpt.clone(),
        });
        table.constraints.push(Constraint::ForeignKey {
            name,
            columns,
            references,
            on_delete: action(&key.on_delete),
            on_update: action(&key.on_update),
        });
        Ok(())
    }

    fn check(&self, check: &CheckConstraint, name: Option<String>, here: &Here) -> Result<Constraint, ModelError> {
        if check.no_inherit || check.enforced.is_some() {
            return Err(self.unsupported(here, "a check option (NO INHERIT, ENFORCED)", "write CHECK (expr) only"));
        }
        Ok(Constraint::Check { name, expr: unwrap_nested(&check.expr).to_string() })
    }

    fn table_constraint(
        &mut self,
        table: &mut Table,
        constraint: &TableConstraint,
        here: &Here,
    ) -> Result<(), ModelError> {
        let name = |n: &Option<Ident>| n.as_ref().map(|n| self.ident(n));
        if let Some(index) = self.hooks.inline_index(constraint) {
            let index = index.map_err(|r| self.refused(here, r))?;
            let name = index.name.map(|n| self.ident(n));
            return self.inline_index(table, name, index.keys, index.method, here);
        }
        match constraint {
            TableConstraint::PrimaryKey(key) => {
                self.check_primary_key_options(key, here)?;
                let columns = self.column_list(&key.columns, "primary key", here)?;
                self.set_primary_key(table, columns, name(&key.name), here)
            }
            TableConstraint::Unique(unique) => {
                self.check_unique_options(unique, here)?;
                let columns = self.column_list(&unique.columns, "unique", here)?;
                let constraint_name = name(&unique.name).or_else(|| name(&unique.index_name));
                table.constraints.push(Constraint::Unique { name: constraint_name, columns });
                Ok(())
            }
            TableConstraint::ForeignKey(key) => {
                let columns = key.columns.iter().map(|c| self.ident(c)).collect();
                let constraint_name = name(&key.name);
                self.foreign_key(table, key, columns, constraint_name, here)
            }
            TableConstraint::Check(check) => {
                let constraint = self.check(check, name(&check.name), here)?;
                table.constraints.push(constraint);
                Ok(())
            }
            other => Err(self.unsupported(
                here,
                format!("the table constraint `{other}`"),
                "tables take PRIMARY KEY, UNIQUE, FOREIGN KEY and CHECK constraints; write indexes as CREATE INDEX",
            )),
        }
    }

    /// An index declared inside `CREATE TABLE`; without a name it is named as the backend
    /// names it.
    fn inline_index(
        &mut self,
        table: &Table,
        name: Option<String>,
        keys: &[IndexColumn],
        method: Option<String>,
        here: &Here,
    ) -> Result<(), ModelError> {
        let columns = self.index_keys(keys, here)?;
        let name = match name.or_else(|| self.hooks.unnamed_index(&columns)) {
            Some(name) => name,
            None => return Err(self.invalid(here, "the index has no name; name it, e.g. `ix_<table>_<column>`")),
        };
        if self.schema.indexes.contains_key(&name) {
            return Err(self.invalid(here, format!("index `{name}` is created twice; keep one")));
        }
        let index =
            Index { name: name.clone(), table: table.name.clone(), columns, unique: false, predicate: None, method };
        self.schema.indexes.insert(name, index);
        Ok(())
    }

    /// An index's keys: columns or expressions, in ascending order.
    fn index_keys(&self, keys: &[IndexColumn], here: &Here) -> Result<Vec<IndexKey>, ModelError> {
        let mut columns = Vec::with_capacity(keys.len());
        for key in keys {
            let order = &key.column;
            if key.operator_class.is_some()
                || order.options.sort.is_some()
                || order.options.nulls_first.is_some()
                || order.with_fill.is_some()
            {
                return Err(self.unsupported(
                    here,
                    format!("the index key `{key}` (an order, NULLS or operator class)"),
                    "index keys are columns or expressions in ascending order",
                ));
            }
            columns.push(match unwrap_nested(&order.expr) {
                Expr::Identifier(ident) => IndexKey::Column(self.ident(ident)),
                expr => IndexKey::Expr { expr: expr.to_string() },
            });
        }
        Ok(columns)
    }

    /// An enum written inline in a column: an enum of the file, named by the convention.
    fn inline_enum(
        &mut self,
        table: &str,
        column: &str,
        values: Vec<String>,
        here: &Here,
    ) -> Result<ColumnType, ModelError> {
        let name = naming::inline_enum_name(table, column);
        match self.schema.enums.get(&name) {
            Some(known) if known.values != values => {
                return Err(self.invalid(here, format!("enum `{name}` is declared twice with other values")));
            }
            Some(_) => {}
            None => {
                self.schema.enums.insert(name.clone(), EnumType { name: name.clone(), values });
            }
        }
        Ok(ColumnType::Enum(name))
    }

    fn alter_table(&mut self, alter: &AlterTable, here: &Here) -> Result<(), ModelError> {
        let hint = "ALTER TABLE t ADD [COLUMN] ... and ALTER TABLE t ADD [CONSTRAINT name] ... are supported";
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
                other => {
                    return Err(self.unsupported(here, format!("the table change `{other}`"), hint));
                }
            }
        }
        self.schema.tables.insert(name, table);
        Ok(())
    }

    fn create_index(&mut self, create: &CreateIndex, here: &Here) -> Result<(), ModelError> {
        if create.r#async
            || !create.include.is_empty()
            || create.nulls_distinct.is_some()
            || !create.with.is_empty()
            || !create.index_options.is_empty()
            || !create.alter_options.is_empty()
        {
            return Err(self.unsupported(
                here,
                "an index option (INCLUDE, NULLS [NOT] DISTINCT, WITH, ...)",
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
        let columns = self.index_keys(&create.columns, here)?;
        let method = create.using.as_ref().map(|using| match using {
            IndexType::Custom(ident) => self.ident(ident),
            other => other.to_string().to_lowercase(),
        });
        let predicate = create.predicate.as_ref().map(|p| unwrap_nested(p).to_string());
        self.schema
            .indexes
            .insert(name.clone(), Index { name, table, columns, unique: create.unique, predicate, method });
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
    fn finish(mut self) -> Result<Schema, ModelError> {
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
        Ok(self.schema)
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

/// A literal: `Some(None)` for NULL, `None` when `expr` is not a literal.
fn literal(expr: &Expr) -> Option<Option<Literal>> {
    let number = |text: &str, negative: bool| {
        let signed = if negative { format!("-{text}") } else { text.to_owned() };
        if let Ok(n) = signed.parse::<i64>() {
            return Some(Some(Literal::Int(n)));
        }
        signed.parse::<f64>().ok().map(|f| Some(Literal::Float(f)))
    };
    match expr {
        Expr::Value(value) => match &value.value {
            Value::Boolean(b) => Some(Some(Literal::Bool(*b))),
            Value::Number(text, _) => number(text, false),
            Value::SingleQuotedString(text) => Some(Some(Literal::String(text.clone()))),
            Value::Null => Some(None),
            _ => None,
        },
        Expr::UnaryOp { op: UnaryOperator::Minus, expr } => match unwrap_nested(expr) {
            Expr::Value(value) => match &value.value {
                Value::Number(text, _) => number(text, true),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Parses `sql` and compares the schema's JSON form with `expected`, or the error's
    /// message with `Err(message)`.
    fn check(dialect: Backend, sql: &str, expected: Result<serde_json::Value, &str>) {
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

    fn table(columns: serde_json::Value) -> serde_json::Value {
        json!({ "tables": [{ "table": "t", "columns": columns }], "indexes": [], "enums": [] })
    }

    #[test]
    fn types_map_to_neutral_types() {
        let cases = [
            ("int", "integer"),
            ("INTEGER", "integer"),
            ("int4", "integer"),
            ("bigint", "bigint"),
            ("int8", "bigint"),
            ("smallint", "smallint"),
            ("int2", "smallint"),
            ("real", "real"),
            ("float4", "real"),
            ("double precision", "double"),
            ("float8", "double"),
            ("numeric", "numeric"),
            ("numeric(10, 2)", "numeric(10,2)"),
            ("decimal(5)", "numeric(5,0)"),
            ("varchar(255)", "varchar(255)"),
            ("character varying(40)", "varchar(40)"),
            ("varchar", "varchar"),
            ("char(2)", "char(2)"),
            ("character(3)", "char(3)"),
            ("text", "text"),
            ("boolean", "boolean"),
            ("bool", "boolean"),
            ("date", "date"),
            ("time", "time"),
            ("timestamp", "timestamp"),
            ("timestamp without time zone", "timestamp"),
            ("timestamptz", "timestamptz"),
            ("timestamp with time zone", "timestamptz"),
            ("interval", "interval"),
            ("uuid", "uuid"),
            ("json", "json"),
            ("jsonb", "jsonb"),
            ("bytea", "bytes"),
            ("text[]", "text[]"),
            ("integer[]", "integer[]"),
            ("inet", "inet"),
            ("Citext", "citext"),
            ("timestamp(3)", "TIMESTAMP(3)"),
        ];
        for (sql_type, neutral) in cases {
            check(
                Backend::Postgres,
                &format!("CREATE TABLE t (c {sql_type});"),
                Ok(table(json!([{ "name": "c", "type": neutral, "nullable": true }]))),
            );
        }
        check(
            Backend::Sqlite,
            "CREATE TABLE t (c blob, d INT);",
            Ok(table(json!([
                { "name": "c", "type": "bytes", "nullable": true },
                { "name": "d", "type": "integer", "nullable": true },
            ]))),
        );
    }

    #[test]
    fn mysql_types_map_to_neutral_types_or_pass_through() {
        let cases = [
            ("TINYINT(1)", "boolean"),
            ("BOOL", "boolean"),
            ("INT(11)", "integer"),
            ("INTEGER", "integer"),
            ("BIGINT(20)", "bigint"),
            ("SMALLINT", "smallint"),
            ("FLOAT", "real"),
            ("DOUBLE", "double"),
            ("REAL", "double"),
            ("DECIMAL", "numeric(10,0)"),
            ("DECIMAL(10, 2)", "numeric(10,2)"),
            ("VARCHAR(255)", "varchar(255)"),
            ("CHAR", "char(1)"),
            ("TEXT", "text"),
            ("BLOB", "bytes"),
            ("JSON", "json"),
            ("DATE", "date"),
            ("TIME", "time"),
            ("DATETIME(6)", "timestamp"),
            ("DATETIME", "DATETIME"),
            ("TIMESTAMP", "timestamp(0)"),
            ("INT UNSIGNED", "INT UNSIGNED"),
            ("LONGTEXT", "LONGTEXT"),
        ];
        for (sql_type, neutral) in cases {
            check(
                Backend::MySql,
                &format!("CREATE TABLE t (c {sql_type});"),
                Ok(table(json!([{ "name": "c", "type": neutral, "nullable": true }]))),
            );
        }
    }

    #[test]
    fn mysql_tables_hold_keys_inline_enums_comments_and_options() {
        check(
            Backend::MySql,
            "CREATE TABLE `Things` (
                 id BIGINT NOT NULL AUTO_INCREMENT COMMENT 'the key',
                 mood ENUM('sad', 'ok') NOT NULL DEFAULT 'ok',
                 body TEXT,
                 at DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
                 active TINYINT(1) DEFAULT '1',
                 price DECIMAL(8,2) DEFAULT '0.00',
                 PRIMARY KEY (id),
                 UNIQUE KEY things_mood_key (mood),
                 KEY (body(100)),
                 FULLTEXT KEY ft_things_body (body)
             ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='things';",
            Ok(json!({
                "tables": [{ "table": "Things", "comment": "things", "columns": [
                    { "name": "id", "type": "bigint", "nullable": false, "identity": true, "comment": "the key" },
                    { "name": "mood", "type": "enum:Things_mood", "nullable": false, "default": { "value": "ok" } },
                    { "name": "body", "type": "text", "nullable": true },
                    { "name": "at", "type": "timestamp", "nullable": true, "default": { "expr": "current_timestamp" },
                      "on_update": { "expr": "current_timestamp" } },
                    { "name": "active", "type": "boolean", "nullable": true, "default": { "value": true } },
                    { "name": "price", "type": "numeric(8,2)", "nullable": true, "default": { "value": 0 } },
                ], "primary_key": ["id"], "constraints": [
                    { "kind": "unique", "name": "things_mood_key", "columns": ["mood"] },
                ] }],
                "indexes": [
                    { "name": "body", "table": "Things", "columns": [{ "expr": "body(100)" }] },
                    { "name": "ft_things_body", "table": "Things", "columns": ["body"], "method": "fulltext" },
                ],
                "enums": [{ "name": "Things_mood", "values": ["sad", "ok"] }],
            })),
        );
    }

    #[test]
    fn serial_and_identity_columns_are_identity() {
        for (sql_type, neutral) in [
            ("serial", "integer"),
            ("bigserial", "bigint"),
            ("smallserial", "smallint"),
            ("bigint GENERATED ALWAYS AS IDENTITY", "bigint"),
            ("int generated by default as identity", "integer"),
        ] {
            check(
                Backend::Postgres,
                &format!("CREATE TABLE t (id {sql_type});"),
                Ok(table(json!([{ "name": "id", "type": neutral, "nullable": false, "identity": true }]))),
            );
        }
        check(
            Backend::Sqlite,
            "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT);",
            Ok(json!({ "tables": [{ "table": "t", "columns": [
                { "name": "id", "type": "integer", "nullable": false, "identity": true },
            ], "primary_key": ["id"] }], "indexes": [], "enums": [] })),
        );
        check(
            Backend::Postgres,
            "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY (START WITH 10));",
            Err("schema.sql:1: `CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY (STAR…`: identity \
                 options on column `id` is not supported in a schema model; write `GENERATED ... AS IDENTITY` \
                 without options"),
        );
    }

    #[test]
    fn defaults_are_literals_portable_expressions_or_sql() {
        let cases = [
            ("boolean DEFAULT true", "boolean", json!({ "value": true })),
            ("boolean DEFAULT FALSE", "boolean", json!({ "value": false })),
            ("int DEFAULT 0", "integer", json!({ "value": 0 })),
            ("int DEFAULT -3", "integer", json!({ "value": -3 })),
            ("real DEFAULT 1.5", "real", json!({ "value": 1.5 })),
            ("text DEFAULT 'it''s'", "text", json!({ "value": "it's" })),
            ("text DEFAULT ('x')", "text", json!({ "value": "x" })),
            ("jsonb DEFAULT '{}'::jsonb", "jsonb", json!({ "value": "{}" })),
            ("text DEFAULT '1'::int", "text", json!({ "sql": "'1'::INT" })),
            ("timestamptz DEFAULT CURRENT_TIMESTAMP", "timestamptz", json!({ "expr": "current_timestamp" })),
            ("timestamptz DEFAULT now()", "timestamptz", json!({ "expr": "current_timestamp" })),
            ("date DEFAULT current_date", "date", json!({ "expr": "current_date" })),
            ("time DEFAULT CURRENT_TIME", "time", json!({ "expr": "current_time" })),
            ("uuid DEFAULT gen_random_uuid()", "uuid", json!({ "sql": "gen_random_uuid()" })),
            ("int DEFAULT (1 + 2)", "integer", json!({ "sql": "1 + 2" })),
        ];
        for (column, ty, default) in cases {
            check(
                Backend::Postgres,
                &format!("CREATE TABLE t (c {column});"),
                Ok(table(json!([{ "name": "c", "type": ty, "nullable": true, "default": default }]))),
            );
        }
        check(
            Backend::Postgres,
            "CREATE TABLE t (c text DEFAULT NULL);",
            Ok(table(json!([{ "name": "c", "type": "text", "nullable": true }]))),
        );
        // now() is not a SQLite function: it stays raw SQL there.
        check(
            Backend::Sqlite,
            "CREATE TABLE t (c text DEFAULT (datetime('now')), d text DEFAULT now());",
            Ok(table(json!([
                { "name": "c", "type": "text", "nullable": true, "default": { "sql": "datetime('now')" } },
                { "name": "d", "type": "text", "nullable": true, "default": { "sql": "now()" } },
            ]))),
        );
    }

    #[test]
    fn constraints_inline_and_on_the_table() {
        check(
            Backend::Postgres,
            "CREATE TABLE a (id int CONSTRAINT a_pk PRIMARY KEY);
             CREATE TABLE t (
                 id int,
                 a_id int NOT NULL CONSTRAINT t_a_fk REFERENCES a (id) ON DELETE CASCADE ON UPDATE SET NULL,
                 b_id int REFERENCES a,
                 code text CONSTRAINT t_code_key UNIQUE CHECK (code <> ''),
                 n int NULL,
                 CONSTRAINT t_pk PRIMARY KEY (id, a_id),
                 UNIQUE (code, n),
                 CONSTRAINT t_n_check CHECK (n > 0),
                 FOREIGN KEY (n) REFERENCES a (id) ON DELETE RESTRICT
             );",
            Ok(json!({ "tables": [
                { "table": "a", "columns": [{ "name": "id", "type": "integer", "nullable": false }],
                  "primary_key": ["id"], "primary_key_name": "a_pk" },
                { "table": "t", "columns": [
                    { "name": "id", "type": "integer", "nullable": false },
                    { "name": "a_id", "type": "integer", "nullable": false },
                    { "name": "b_id", "type": "integer", "nullable": true },
                    { "name": "code", "type": "text", "nullable": true },
                    { "name": "n", "type": "integer", "nullable": true },
                  ],
                  "primary_key": ["id", "a_id"], "primary_key_name": "t_pk",
                  "constraints": [
                    { "kind": "foreign_key", "name": "t_a_fk", "columns": ["a_id"],
                      "references": { "table": "a", "columns": ["id"] }, "on_delete": "cascade", "on_update": "set_null" },
                    { "kind": "foreign_key", "columns": ["b_id"], "references": { "table": "a", "columns": ["id"] } },
                    { "kind": "unique", "name": "t_code_key", "columns": ["code"] },
                    { "kind": "check", "expr": "code <> ''" },
                    { "kind": "unique", "columns": ["code", "n"] },
                    { "kind": "check", "name": "t_n_check", "expr": "n > 0" },
                    { "kind": "foreign_key", "columns": ["n"], "references": { "table": "a", "columns": ["id"] },
                      "on_delete": "restrict" },
                  ] },
            ], "indexes": [], "enums": [] })),
        );
    }

    #[test]
    fn generated_columns_keep_their_expression() {
        check(
            Backend::Postgres,
            "CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * 2) STORED);",
            Ok(table(json!([
                { "name": "a", "type": "integer", "nullable": true },
                { "name": "b", "type": "integer", "nullable": true, "generated": { "expr": "a * 2" } },
            ]))),
        );
        check(
            Backend::Sqlite,
            "CREATE TABLE t (a int, b int AS (a + 1));",
            Ok(table(json!([
                { "name": "a", "type": "integer", "nullable": true },
                { "name": "b", "type": "integer", "nullable": true, "generated": { "expr": "a + 1", "stored": false } },
            ]))),
        );
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
                "CREATE INDEX ix ON nowhere (c);",
                "schema.sql:1: `CREATE INDEX ix ON nowhere (c)`: table `nowhere` is not created before this \
                 statement; create it first",
            ),
            (
                "CREATE TABLE t (c text);\nCREATE INDEX ix ON t (c DESC);",
                "schema.sql:2: `CREATE INDEX ix ON t (c DESC)`: the index key `c DESC` (an order, NULLS or operator \
                 class) is not supported in a schema model; index keys are columns or expressions in ascending order",
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
                "CREATE TABLE other.t (c text);",
                "schema.sql:1: `CREATE TABLE other.t (c text)`: the qualified name `other.t` is not supported in a \
                 schema model; the schema model holds one schema; drop the qualifier",
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
    fn collations_are_named_as_each_catalog_prints_them() {
        let collation = |dialect, sql: &str| {
            let schema = parse_schema_sql(sql, dialect, Path::new("schema.sql")).unwrap_or_else(|e| panic!("{e}"));
            schema.tables["t"].columns.iter().map(|c| c.collation.clone()).collect::<Vec<_>>()
        };
        assert_eq!(
            collation(
                Backend::Postgres,
                "CREATE TABLE t (a text COLLATE \"C\", b text COLLATE pg_catalog.\"en_US\", c text);"
            ),
            [Some("C".to_owned()), Some("en_US".to_owned()), None]
        );
        assert_eq!(
            collation(Backend::Sqlite, "CREATE TABLE t (a TEXT COLLATE nocase, b TEXT);"),
            [Some("NOCASE".to_owned()), None]
        );
        assert_eq!(
            collation(
                Backend::MySql,
                "CREATE TABLE t (a varchar(9) CHARACTER SET latin1 COLLATE Latin1_Bin, b varchar(9) COLLATE utf8mb4_bin);"
            ),
            [Some("latin1_bin".to_owned()), Some("utf8mb4_bin".to_owned())]
        );
        check(
            Backend::MySql,
            "CREATE TABLE t (a varchar(9) CHARACTER SET latin1);",
            Err("schema.sql:1: `CREATE TABLE t (a varchar(9) CHARACTER SET latin1)`: `CHARACTER SET latin1` without \
                 COLLATE on `a` is not supported in a schema model; write the collation too (`CHARACTER SET latin1 \
                 COLLATE latin1_swedish_ci`): it implies the character set"),
        );
    }

    #[test]
    fn mysql_on_update_takes_only_the_current_time() {
        check(
            Backend::MySql,
            "CREATE TABLE t (n int ON UPDATE 5);",
            Err("schema.sql:1: `CREATE TABLE t (n int ON UPDATE 5)`: `ON UPDATE 5` on `n` is not supported in a \
                 schema model; MySQL updates a column only to the current time: write ON UPDATE CURRENT_TIMESTAMP"),
        );
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
