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
//! - on MySQL: backquoted names, `AUTO_INCREMENT`, `ON UPDATE CURRENT_TIMESTAMP`, inline
//!   `ENUM(...)`, `COMMENT '...'` on columns and `COMMENT = '...'` on tables, and `KEY` / `INDEX` / `UNIQUE KEY` /
//!   `FULLTEXT KEY` inside `CREATE TABLE`; table options (`ENGINE`, `CHARSET`, `COLLATE`,
//!   `AUTO_INCREMENT`, ...) are accepted and ignored, as they say nothing the model holds.
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
//! - Unquoted identifiers are folded to lower case on PostgreSQL, as the server does; quoted
//!   ones are kept. SQLite names are kept as written. `public.` (PostgreSQL) and `main.`
//!   (SQLite) qualifiers are dropped; other schemas are refused.
//! - Defaults: `true` / `false`, numbers and strings are literals (also a string cast to the
//!   column's own type, `'draft'::status`); `CURRENT_TIMESTAMP`, `CURRENT_DATE`,
//!   `CURRENT_TIME` and, on PostgreSQL, `now()` (the same function as `CURRENT_TIMESTAMP`
//!   there) are portable expressions; `DEFAULT NULL` is no default; anything else is raw SQL.
//! - `serial` types and identity columns are `identity = true` and `NOT NULL`. A primary key
//!   column is `NOT NULL` on PostgreSQL and MySQL; on SQLite it stays as declared, as SQLite
//!   keeps it.
//! - MySQL types map to the neutral type they are (`TINYINT(1)` and `BOOL` to `boolean`,
//!   `INT(11)` to `integer`, `DOUBLE` and `REAL` to `double`, `FLOAT` to `real`,
//!   `DATETIME(6)` to `timestamp`, `DECIMAL` to `numeric(10,0)`, `BLOB` to `bytes`); others
//!   pass through as written, MySQL's converting `TIMESTAMP` as `timestamp(0)` so that no
//!   revision file reads it as the neutral `timestamp`. An inline `ENUM('a','b')` column is
//!   `enum:<table>_<column>`, an enum of the file with those values (MySQL keeps no enum
//!   name), so that its revisions hold portable enum ops. A `KEY` without a name is named
//!   after its first column, as MySQL names it.
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
    DataType, ExactNumberInfo, Expr, ForeignKeyConstraint, GeneratedAs, GeneratedExpressionMode, Ident, IndexColumn,
    IndexType, NullsDistinctOption, ObjectName, ObjectNamePart, PrimaryKeyConstraint, ReferentialAction as SqlAction,
    Statement, TableConstraint, TimezoneInfo, UnaryOperator, UniqueConstraint, UserDefinedTypeRepresentation, Value,
};
use sqlparser::ast::{
    ArrayElemTypeDef, CharacterLength, CommentDef, CreateTableOptions, EnumMember, FunctionArguments, SqlOption,
};
use sqlparser::dialect::{Dialect as ParserDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Token, Tokenizer};

use crate::models::ModelError;
use crate::schema::{
    Column, ColumnType, Constraint, DefaultValue, EnumType, Generated, Index, IndexKey, Literal, PortableExpr,
    References, ReferentialAction, Schema, Table,
};

/// The SQL dialect a `schema.sql` is written in: the target database's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlDialect {
    /// PostgreSQL: unquoted identifiers fold to lower case.
    Postgres,
    /// SQLite.
    Sqlite,
    /// MySQL and MariaDB: backquoted names, kept as written.
    MySql,
}

impl SqlDialect {
    /// The SQL dialect of a backend, by its dialect name (`postgresql`, `sqlite`, `mysql`).
    pub fn from_name(name: &str) -> Option<SqlDialect> {
        match name {
            "postgresql" => Some(SqlDialect::Postgres),
            "sqlite" => Some(SqlDialect::Sqlite),
            "mysql" => Some(SqlDialect::MySql),
            _ => None,
        }
    }
}

/// What a schema.sql may hold, for error messages.
const STATEMENTS: &str = "a schema.sql holds CREATE TABLE, CREATE [UNIQUE] INDEX, ALTER TABLE ... ADD [COLUMN | \
                          CONSTRAINT], CREATE TYPE ... AS ENUM and COMMENT ON TABLE | COLUMN (SET, CREATE \
                          EXTENSION, BEGIN and COMMIT are ignored); put data and other objects in a revision's \
                          `sql` op";

/// How long an excerpt of a statement may be, in characters.
const EXCERPT_CHARS: usize = 60;

/// Parses a desired-state `schema.sql` into a [`Schema`]. `path` is only used in errors.
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
/// use aludel::models::{SqlDialect, parse_schema_sql};
/// use aludel::schema::ColumnType;
///
/// let sql = "CREATE TABLE users (id bigserial PRIMARY KEY, email varchar(255) NOT NULL UNIQUE);";
/// let schema = parse_schema_sql(sql, SqlDialect::Postgres, Path::new("schema.sql")).unwrap();
/// let users = &schema.tables["users"];
/// assert_eq!(users.primary_key, ["id"]);
/// assert_eq!(users.columns[1].ty, ColumnType::Varchar(Some(255)));
/// ```
pub fn parse_schema_sql(text: &str, dialect: SqlDialect, path: &Path) -> Result<Schema, ModelError> {
    let parser_dialect: &dyn ParserDialect = match dialect {
        SqlDialect::Postgres => &PostgreSqlDialect {},
        SqlDialect::Sqlite => &SQLiteDialect {},
        SqlDialect::MySql => &MySqlDialect {},
    };
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
    let mut builder = Builder { dialect, path, schema: Schema::default(), foreign_keys: Vec::new() };
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
    dialect: SqlDialect,
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
        match (self.dialect, ident.quote_style) {
            (SqlDialect::Postgres, None) => ident.value.to_lowercase(),
            _ => ident.value.clone(),
        }
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
        // MySQL's database is whatever the connection names: no qualifier is the default.
        let default_schema = match self.dialect {
            SqlDialect::Postgres => Some("public"),
            SqlDialect::Sqlite => Some("main"),
            SqlDialect::MySql => None,
        };
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
        if self.dialect == SqlDialect::MySql
            && let CreateTableOptions::Plain(options) = &rest.table_options
        {
            // ENGINE, CHARSET, COLLATE, AUTO_INCREMENT, ...: storage, not schema.
            for option in options {
                if let SqlOption::Comment(CommentDef::WithEq(text) | CommentDef::WithoutEq(text)) = option {
                    comment = Some(text.clone());
                }
            }
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
        let (ty, serial) = match (&def.data_type, self.dialect) {
            (DataType::Enum(members, _), SqlDialect::MySql) => {
                (self.inline_enum(&table.name, &name, members, here)?, false)
            }
            _ => self.column_type(&def.data_type),
        };
        let mut column = Column::new(&name, ty);
        column.identity = serial;
        let mut autoincrement = false;
        for option in &def.options {
            let constraint_name = option.name.as_ref().map(|n| self.ident(n));
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
                ColumnOption::DialectSpecific(tokens)
                    if self.dialect == SqlDialect::Sqlite
                        && matches!(tokens.as_slice(), [Token::Word(w)] if w.keyword == Keyword::AUTOINCREMENT) =>
                {
                    autoincrement = true;
                }
                ColumnOption::DialectSpecific(tokens)
                    if self.dialect == SqlDialect::MySql
                        && matches!(tokens.as_slice(), [Token::Word(w)] if w.keyword == Keyword::AUTO_INCREMENT) =>
                {
                    column.identity = true;
                }
                ColumnOption::Collation(collation) => {
                    let Some(last) = collation.0.last().and_then(|part| part.as_ident()) else {
                        return Err(self.invalid(here, format!("the collation of `{name}` has no name")));
                    };
                    let spelled = self.ident(last);
                    column.collation = Some(match self.dialect {
                        // Case-insensitive names, spelled as the catalogs print them.
                        SqlDialect::MySql => spelled.to_ascii_lowercase(),
                        SqlDialect::Sqlite => spelled.to_ascii_uppercase(),
                        SqlDialect::Postgres => spelled,
                    });
                }
                // The collation says the character set; a character set alone is refused below.
                ColumnOption::CharacterSet(_)
                    if self.dialect == SqlDialect::MySql
                        && def.options.iter().any(|o| matches!(o.option, ColumnOption::Collation(_))) => {}
                ColumnOption::CharacterSet(set) if self.dialect == SqlDialect::MySql => {
                    return Err(self.unsupported(
                        here,
                        format!("`CHARACTER SET {set}` without COLLATE on `{name}`"),
                        "write the collation too (`CHARACTER SET latin1 COLLATE latin1_swedish_ci`): it implies the \
                         character set",
                    ));
                }
                ColumnOption::OnUpdate(expr) if self.dialect == SqlDialect::MySql => {
                    match self.default_value(expr, &column.ty) {
                        Some(value @ DefaultValue::Expr(PortableExpr::CurrentTimestamp)) => {
                            column.on_update = Some(value)
                        }
                        _ => {
                            return Err(self.unsupported(
                                here,
                                format!("`ON UPDATE {expr}` on `{name}`"),
                                "MySQL updates a column only to the current time: write ON UPDATE CURRENT_TIMESTAMP",
                            ));
                        }
                    }
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

    /// Maps a type; the flag says it is a `serial` type (an identity column).
    fn column_type(&self, data_type: &DataType) -> (ColumnType, bool) {
        if self.dialect == SqlDialect::MySql {
            return (mysql_type(data_type), false);
        }
        let length = |length: &Option<CharacterLength>| match length {
            None => Some(None),
            Some(CharacterLength::IntegerLength { length, unit: None }) => u32::try_from(*length).ok().map(Some),
            Some(_) => None,
        };
        let numeric = |info: &ExactNumberInfo| match info {
            ExactNumberInfo::None => Some(None),
            ExactNumberInfo::Precision(p) => u32::try_from(*p).ok().map(|p| Some((p, 0))),
            ExactNumberInfo::PrecisionAndScale(p, s) => Some(Some((u32::try_from(*p).ok()?, u32::try_from(*s).ok()?))),
        };
        let plain_time = |tz: &TimezoneInfo| matches!(tz, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone);
        let mapped = match data_type {
            DataType::SmallInt(None) | DataType::Int2(None) => Some(ColumnType::SmallInt),
            DataType::Int(None) | DataType::Integer(None) | DataType::Int4(None) => Some(ColumnType::Integer),
            DataType::BigInt(None) | DataType::Int8(None) => Some(ColumnType::BigInt),
            DataType::Real | DataType::Float4 => Some(ColumnType::Real),
            DataType::DoublePrecision | DataType::Float8 | DataType::Double(ExactNumberInfo::None) => {
                Some(ColumnType::Double)
            }
            // `float` is `double precision`; `float(p)` is `real` up to 24 bits of precision.
            DataType::Float(ExactNumberInfo::None) => Some(ColumnType::Double),
            DataType::Float(ExactNumberInfo::Precision(p)) if *p <= 24 => Some(ColumnType::Real),
            DataType::Float(ExactNumberInfo::Precision(p)) if *p <= 53 => Some(ColumnType::Double),
            DataType::Numeric(info) | DataType::Decimal(info) | DataType::Dec(info) => {
                numeric(info).map(ColumnType::Numeric)
            }
            DataType::Varchar(len) | DataType::CharacterVarying(len) | DataType::CharVarying(len) => {
                length(len).map(ColumnType::Varchar)
            }
            DataType::Char(len) | DataType::Character(len) => length(len).map(ColumnType::Char),
            DataType::Text => Some(ColumnType::Text),
            DataType::Bool | DataType::Boolean => Some(ColumnType::Boolean),
            DataType::Date => Some(ColumnType::Date),
            DataType::Time(None, tz) if plain_time(tz) => Some(ColumnType::Time),
            DataType::Timestamp(None, tz) if plain_time(tz) => Some(ColumnType::Timestamp),
            DataType::Timestamp(None, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => Some(ColumnType::Timestamptz),
            DataType::Interval { fields: None, precision: None } => Some(ColumnType::Interval),
            DataType::Uuid => Some(ColumnType::Uuid),
            DataType::JSON => Some(ColumnType::Json),
            DataType::JSONB => Some(ColumnType::Jsonb),
            DataType::Bytea | DataType::Blob(None) => Some(ColumnType::Bytes),
            DataType::Array(ArrayElemTypeDef::SquareBracket(inner, None)) => {
                return (ColumnType::Array(Box::new(self.column_type(inner).0)), false);
            }
            DataType::Custom(name, modifiers) if modifiers.is_empty() && name.0.len() == 1 => {
                let ObjectNamePart::Identifier(ident) = &name.0[0] else {
                    return (ColumnType::Custom(data_type.to_string()), false);
                };
                let folded = self.ident(ident);
                return match folded.as_str() {
                    "serial" | "serial4" => (ColumnType::Integer, true),
                    "bigserial" | "serial8" => (ColumnType::BigInt, true),
                    "smallserial" | "serial2" => (ColumnType::SmallInt, true),
                    // Kept by name, so a later pass can recognise an enum created in the file.
                    _ => (ColumnType::Custom(folded), false),
                };
            }
            _ => None,
        };
        (mapped.unwrap_or_else(|| ColumnType::Custom(data_type.to_string())), false)
    }

    /// Maps a `DEFAULT` expression; `DEFAULT NULL` is no default.
    fn default_value(&self, expr: &Expr, ty: &ColumnType) -> Option<DefaultValue> {
        let expr = unwrap_nested(expr);
        if let Some(literal) = literal(expr) {
            return literal.map(|literal| DefaultValue::Value(self.mysql_number(literal, ty)));
        }
        match expr {
            Expr::Cast { expr: inner, data_type, .. } if self.column_type(data_type).0 == *ty => {
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
                    (FunctionArguments::List(list), "now")
                        if list.args.is_empty() && self.dialect == SqlDialect::Postgres =>
                    {
                        Some(PortableExpr::CurrentTimestamp)
                    }
                    // MySQL: the same functions with a precision (the column's), and their
                    // other names.
                    (FunctionArguments::List(list), name)
                        if self.dialect == SqlDialect::MySql && list.args.len() <= 1 =>
                    {
                        match name {
                            "current_timestamp" | "now" | "localtimestamp" => Some(PortableExpr::CurrentTimestamp),
                            "current_date" | "curdate" if list.args.is_empty() => Some(PortableExpr::CurrentDate),
                            "current_time" | "curtime" => Some(PortableExpr::CurrentTime),
                            _ => None,
                        }
                    }
                    _ => None,
                };
                if let Some(portable) = portable {
                    return Some(DefaultValue::Expr(portable));
                }
            }
            _ => {}
        }
        Some(DefaultValue::Sql(expr.to_string()))
    }

    /// On MySQL, a quoted number on a numeric or boolean column (as mysqldump writes every
    /// default: `DEFAULT '0.00'`) is that number, which is what MySQL stores.
    fn mysql_number(&self, literal: Literal, ty: &ColumnType) -> Literal {
        let Literal::String(text) = &literal else { return literal };
        let numeric = matches!(
            ty,
            ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt | ColumnType::Real | ColumnType::Double
        ) || matches!(ty, ColumnType::Numeric(_));
        if self.dialect != SqlDialect::MySql || !(numeric || *ty == ColumnType::Boolean) {
            return literal;
        }
        match (ty, text.trim()) {
            (ColumnType::Boolean, "0" | "1") => Literal::Bool(text.trim() == "1"),
            (_, number) => match (number.parse::<i64>(), number.parse::<f64>()) {
                (Ok(int), _) => Literal::Int(int),
                // `'0.00'` is the whole number 0 (MySQL prints a decimal's scale).
                (_, Ok(float)) if float.is_finite() && float.fract() == 0.0 && float.abs() < 9.0e15 => {
                    Literal::Int(float as i64)
                }
                (_, Ok(float)) if float.is_finite() => Literal::Float(float),
                _ => literal,
            },
        }
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
        if (unique.index_name.is_some() && self.dialect != SqlDialect::MySql)
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
            TableConstraint::Index(index) if self.dialect == SqlDialect::MySql => {
                if !index.index_options.is_empty() {
                    return Err(self.unsupported(here, "an index option", "write KEY name (columns) [USING method]"));
                }
                let method = index.index_type.as_ref().map(|using| using.to_string().to_lowercase());
                self.inline_index(table, name(&index.name), &index.columns, false, method, here)
            }
            TableConstraint::FulltextOrSpatial(index) if self.dialect == SqlDialect::MySql => {
                let method = if index.fulltext { "fulltext" } else { "spatial" };
                self.inline_index(table, name(&index.opt_index_name), &index.columns, false, Some(method.into()), here)
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

    /// A MySQL index declared inside `CREATE TABLE`; without a name it is named after its
    /// first column, as MySQL names it.
    fn inline_index(
        &mut self,
        table: &Table,
        name: Option<String>,
        keys: &[IndexColumn],
        unique: bool,
        method: Option<String>,
        here: &Here,
    ) -> Result<(), ModelError> {
        let columns = self.index_keys(keys, here)?;
        let name = match name {
            Some(name) => name,
            None => {
                // A prefix key `col(10)` is named after `col` too.
                let first = match columns.first() {
                    Some(IndexKey::Column(first)) => Some(first.clone()),
                    Some(IndexKey::Expr { expr }) => expr
                        .split_once('(')
                        .map(|(name, _)| name.trim().trim_matches('`').to_owned())
                        .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_')),
                    None => None,
                };
                first.ok_or_else(|| self.invalid(here, "the index has no name; name it, e.g. `ix_<table>_<column>`"))?
            }
        };
        if self.schema.indexes.contains_key(&name) {
            return Err(self.invalid(here, format!("index `{name}` is created twice; keep one")));
        }
        let index = Index { name: name.clone(), table: table.name.clone(), columns, unique, predicate: None, method };
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

    /// A MySQL inline `ENUM(...)`: an enum of the file named `<table>_<column>`.
    fn inline_enum(
        &mut self,
        table: &str,
        column: &str,
        members: &[EnumMember],
        here: &Here,
    ) -> Result<ColumnType, ModelError> {
        let mut values = Vec::with_capacity(members.len());
        for member in members {
            match member {
                EnumMember::Name(value) => values.push(value.clone()),
                EnumMember::NamedValue(value, _) => {
                    return Err(self.unsupported(
                        here,
                        format!("the enum value `{value}` with a number"),
                        "list the values as strings",
                    ));
                }
            }
        }
        let name = format!("{table}_{column}");
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
            if matches!(self.dialect, SqlDialect::Postgres | SqlDialect::MySql) {
                // PostgreSQL and MySQL make primary key columns NOT NULL; SQLite does not.
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

/// A MySQL type: the neutral type it is, or the type as written. A type written so that it
/// would read back as a neutral type that means something else (`TIMESTAMP`, `REAL`) is
/// spelled so that it does not.
fn mysql_type(data_type: &DataType) -> ColumnType {
    let numeric = |info: &ExactNumberInfo| match info {
        ExactNumberInfo::None => Some((10, 0)),
        ExactNumberInfo::Precision(p) => u32::try_from(*p).ok().map(|p| (p, 0)),
        ExactNumberInfo::PrecisionAndScale(p, s) => Some((u32::try_from(*p).ok()?, u32::try_from(*s).ok()?)),
    };
    let length = |length: &Option<CharacterLength>| match length {
        Some(CharacterLength::IntegerLength { length, unit: None }) => u32::try_from(*length).ok(),
        _ => None,
    };
    let mapped = match data_type {
        DataType::Bool | DataType::Boolean | DataType::TinyInt(Some(1)) => Some(ColumnType::Boolean),
        // A display width means nothing.
        DataType::SmallInt(_) => Some(ColumnType::SmallInt),
        DataType::Int(_) | DataType::Integer(_) => Some(ColumnType::Integer),
        DataType::BigInt(_) => Some(ColumnType::BigInt),
        // MySQL's REAL is a DOUBLE; FLOAT(p) is a DOUBLE from 25 bits of precision.
        DataType::Real | DataType::DoublePrecision | DataType::Double(ExactNumberInfo::None) => {
            Some(ColumnType::Double)
        }
        DataType::Float(ExactNumberInfo::None) => Some(ColumnType::Real),
        DataType::Float(ExactNumberInfo::Precision(p)) => {
            Some(if *p <= 24 { ColumnType::Real } else { ColumnType::Double })
        }
        DataType::Numeric(info) | DataType::Decimal(info) | DataType::Dec(info) => {
            numeric(info).map(|ps| ColumnType::Numeric(Some(ps)))
        }
        DataType::Varchar(len) | DataType::CharacterVarying(len) | DataType::CharVarying(len) => {
            length(len).map(|n| ColumnType::Varchar(Some(n)))
        }
        DataType::Char(None) | DataType::Character(None) => Some(ColumnType::Char(Some(1))),
        DataType::Char(len) | DataType::Character(len) => length(len).map(|n| ColumnType::Char(Some(n))),
        DataType::Text => Some(ColumnType::Text),
        DataType::Blob(None) => Some(ColumnType::Bytes),
        DataType::JSON => Some(ColumnType::Json),
        DataType::Date => Some(ColumnType::Date),
        DataType::Time(None, TimezoneInfo::None) => Some(ColumnType::Time),
        DataType::Datetime(Some(6)) => Some(ColumnType::Timestamp),
        DataType::Timestamp(None, TimezoneInfo::None) => Some(ColumnType::Custom("timestamp(0)".into())),
        DataType::Uuid => Some(ColumnType::Uuid),
        _ => None,
    };
    mapped.unwrap_or_else(|| {
        let text = data_type.to_string();
        match ColumnType::parse(&text) {
            Ok(ColumnType::Custom(_)) | Err(_) => ColumnType::Custom(text),
            // Written as a neutral name, and meaning it (`DATE`, `TIME`).
            Ok(neutral) => neutral,
        }
    })
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
    fn check(dialect: SqlDialect, sql: &str, expected: Result<serde_json::Value, &str>) {
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
                SqlDialect::Postgres,
                &format!("CREATE TABLE t (c {sql_type});"),
                Ok(table(json!([{ "name": "c", "type": neutral, "nullable": true }]))),
            );
        }
        check(
            SqlDialect::Sqlite,
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
                SqlDialect::MySql,
                &format!("CREATE TABLE t (c {sql_type});"),
                Ok(table(json!([{ "name": "c", "type": neutral, "nullable": true }]))),
            );
        }
    }

    #[test]
    fn mysql_tables_hold_keys_inline_enums_comments_and_options() {
        check(
            SqlDialect::MySql,
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
                SqlDialect::Postgres,
                &format!("CREATE TABLE t (id {sql_type});"),
                Ok(table(json!([{ "name": "id", "type": neutral, "nullable": false, "identity": true }]))),
            );
        }
        check(
            SqlDialect::Sqlite,
            "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT);",
            Ok(json!({ "tables": [{ "table": "t", "columns": [
                { "name": "id", "type": "integer", "nullable": false, "identity": true },
            ], "primary_key": ["id"] }], "indexes": [], "enums": [] })),
        );
        check(
            SqlDialect::Postgres,
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
                SqlDialect::Postgres,
                &format!("CREATE TABLE t (c {column});"),
                Ok(table(json!([{ "name": "c", "type": ty, "nullable": true, "default": default }]))),
            );
        }
        check(
            SqlDialect::Postgres,
            "CREATE TABLE t (c text DEFAULT NULL);",
            Ok(table(json!([{ "name": "c", "type": "text", "nullable": true }]))),
        );
        // now() is not a SQLite function: it stays raw SQL there.
        check(
            SqlDialect::Sqlite,
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
            SqlDialect::Postgres,
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
            SqlDialect::Postgres,
            "CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * 2) STORED);",
            Ok(table(json!([
                { "name": "a", "type": "integer", "nullable": true },
                { "name": "b", "type": "integer", "nullable": true, "generated": { "expr": "a * 2" } },
            ]))),
        );
        check(
            SqlDialect::Sqlite,
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
            SqlDialect::Postgres,
            r#"CREATE TABLE public.Things ("Id" INT, Name TEXT);"#,
            Ok(json!({ "tables": [{ "table": "things", "columns": [
                { "name": "Id", "type": "integer", "nullable": true },
                { "name": "name", "type": "text", "nullable": true },
            ] }], "indexes": [], "enums": [] })),
        );
        check(
            SqlDialect::Sqlite,
            "CREATE TABLE Things (Id INT);",
            Ok(json!({ "tables": [{ "table": "Things", "columns": [
                { "name": "Id", "type": "integer", "nullable": true },
            ] }], "indexes": [], "enums": [] })),
        );
    }

    #[test]
    fn indexes_enums_comments_and_alter_table() {
        check(
            SqlDialect::Postgres,
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
            SqlDialect::Postgres,
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
            check(SqlDialect::Postgres, sql, Err(message));
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
                SqlDialect::Postgres,
                "CREATE TABLE t (a text COLLATE \"C\", b text COLLATE pg_catalog.\"en_US\", c text);"
            ),
            [Some("C".to_owned()), Some("en_US".to_owned()), None]
        );
        assert_eq!(
            collation(SqlDialect::Sqlite, "CREATE TABLE t (a TEXT COLLATE nocase, b TEXT);"),
            [Some("NOCASE".to_owned()), None]
        );
        assert_eq!(
            collation(
                SqlDialect::MySql,
                "CREATE TABLE t (a varchar(9) CHARACTER SET latin1 COLLATE Latin1_Bin, b varchar(9) COLLATE utf8mb4_bin);"
            ),
            [Some("latin1_bin".to_owned()), Some("utf8mb4_bin".to_owned())]
        );
        check(
            SqlDialect::MySql,
            "CREATE TABLE t (a varchar(9) CHARACTER SET latin1);",
            Err("schema.sql:1: `CREATE TABLE t (a varchar(9) CHARACTER SET latin1)`: `CHARACTER SET latin1` without \
                 COLLATE on `a` is not supported in a schema model; write the collation too (`CHARACTER SET latin1 \
                 COLLATE latin1_swedish_ci`): it implies the character set"),
        );
    }

    #[test]
    fn mysql_on_update_takes_only_the_current_time() {
        check(
            SqlDialect::MySql,
            "CREATE TABLE t (n int ON UPDATE 5);",
            Err("schema.sql:1: `CREATE TABLE t (n int ON UPDATE 5)`: `ON UPDATE 5` on `n` is not supported in a \
                 schema model; MySQL updates a column only to the current time: write ON UPDATE CURRENT_TIMESTAMP"),
        );
    }

    #[test]
    fn lines_count_from_the_statement_start() {
        let sql = "-- header\n\n/* a\n block */\nCREATE TABLE t (\n  c text\n);\n\n  DROP TABLE t;";
        let err = parse_schema_sql(sql, SqlDialect::Postgres, Path::new("db/schema.sql")).unwrap_err();
        assert!(
            matches!(&err, ModelError::Unsupported { line: 9, excerpt, path, .. }
            if excerpt == "DROP TABLE t" && path == Path::new("db/schema.sql")),
            "{err:?}"
        );
        // Multi-byte text before the statement on the same line does not shift it.
        let sql = "CREATE TABLE t (c text DEFAULT 'é'); DROP TABLE t;";
        let err = parse_schema_sql(sql, SqlDialect::Postgres, Path::new("s.sql")).unwrap_err();
        assert!(
            matches!(&err, ModelError::Unsupported { line: 1, excerpt, .. } if excerpt == "DROP TABLE t"),
            "{err:?}"
        );
    }
}
