//! What a backend says about its own SQL when a desired-state `schema.sql` is read: the
//! [`SchemaSqlDialect`] hooks that `models::sql` calls while it walks the parsed statements.
//!
//! `models::sql` knows the statements every backend shares (tables, columns, keys, checks,
//! indexes, enum types, comments) and no backend by name. Each backend implements the hooks
//! in its own folder (`dialect/<backend>/schema_sql.rs`): the `sqlparser` dialect, how it
//! folds identifiers, its default schema, how it reads a declared type, and the inline
//! options only it has (MySQL's `AUTO_INCREMENT`, `ON UPDATE`, inline `ENUM(...)` and `KEY`,
//! SQLite's `AUTOINCREMENT`). A hook that returns `None` says the backend has no such thing,
//! and the reader refuses it with the list of what is supported.

use sqlparser::ast::{
    ArrayElemTypeDef, CharacterLength, ColumnDef, ColumnOption, CreateTableOptions, DataType, ExactNumberInfo, Expr,
    FunctionArguments, Ident, IndexColumn, ObjectNamePart, TableConstraint, TimezoneInfo,
};
use sqlparser::dialect::Dialect as ParserDialect;
use sqlparser::tokenizer::TokenWithSpan;

use crate::schema::{ColumnType, DefaultValue, IndexKey, Literal, PortableExpr};

/// Something a backend's SQL has that the schema model cannot hold; the reader names the
/// file and the statement around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// What cannot be mapped (`the enum value ...`).
    pub(crate) what: String,
    /// What is supported instead.
    pub(crate) hint: String,
}

impl Refusal {
    /// A refusal of `what`, with what to write instead.
    #[cfg_attr(not(feature = "mysql"), allow(dead_code))] // Only MySQL refuses parts of its own SQL.
    pub(crate) fn new(what: impl Into<String>, hint: impl Into<String>) -> Refusal {
        Refusal { what: what.into(), hint: hint.into() }
    }
}

/// A column's declared type as the backend reads it.
// Each backend uses part of this vocabulary; a build without some backends leaves the rest unused.
#[cfg_attr(not(all(feature = "postgres", feature = "sqlite", feature = "mysql")), allow(dead_code))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DeclaredType {
    /// A type: neutral, or the backend's own passed through.
    Plain(ColumnType),
    /// A pseudo-type that makes an identity column of this integer type (PostgreSQL's
    /// `serial`).
    Serial(ColumnType),
    /// An enum written in the column with its values (MySQL's `ENUM('a','b')`, which has no
    /// name of its own).
    InlineEnum(Vec<String>),
}

impl DeclaredType {
    /// The type, when it is one (not an inline enum, which the reader names).
    pub(crate) fn column_type(self) -> Option<ColumnType> {
        match self {
            DeclaredType::Plain(ty) | DeclaredType::Serial(ty) => Some(ty),
            DeclaredType::InlineEnum(_) => None,
        }
    }
}

/// What a column option only the backend has says about the column.
// Each backend uses part of this vocabulary; a build without some backends leaves the rest unused.
#[cfg_attr(not(all(feature = "postgres", feature = "sqlite", feature = "mysql")), allow(dead_code))]
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ColumnOptionReading {
    /// The column is an identity column (MySQL's `AUTO_INCREMENT`).
    Identity,
    /// The column is an identity column, and must be the table's whole primary key
    /// (SQLite's `AUTOINCREMENT`).
    KeyIdentity,
    /// The column takes this value on every update (MySQL's `ON UPDATE CURRENT_TIMESTAMP`).
    OnUpdate(DefaultValue),
    /// The option says nothing the model holds (a character set that a collation implies).
    Nothing,
    /// The column is a JSON column kept as text with a check that it holds JSON (MariaDB's
    /// `LONGTEXT ... CHECK (json_valid(col))`, as its dump writes `JSON`).
    JsonText,
}

/// The column a column option is read on.
#[cfg_attr(not(feature = "mysql"), allow(dead_code))] // Only MySQL's options read their column.
pub(crate) struct ColumnSite<'a> {
    /// The column's name, folded.
    pub(crate) name: &'a str,
    /// Its whole definition, with its other options.
    pub(crate) def: &'a ColumnDef,
    /// Reads an expression as a default of this column would be read.
    pub(crate) read_default: &'a dyn Fn(&Expr) -> Option<DefaultValue>,
}

/// An index declared inside `CREATE TABLE` (MySQL's `KEY`, `INDEX`, `FULLTEXT KEY`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InlineIndex<'a> {
    /// Its name, when it has one.
    pub(crate) name: Option<&'a Ident>,
    /// Its keys.
    pub(crate) keys: &'a [IndexColumn],
    /// Its method (`btree`, `fulltext`), lower case.
    pub(crate) method: Option<String>,
}

/// An object carried as written, named for the statement that removes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DroppedObject<'a> {
    /// `view`, `function`, `trigger`, ... (lower case).
    pub(crate) kind: &'a str,
    /// Its name as the source writes it (quoted, qualified).
    pub(crate) name: &'a str,
    /// A routine's or aggregate's argument list as written, parentheses included.
    pub(crate) arguments: Option<&'a str>,
    /// The table a trigger or policy is on, as written.
    pub(crate) table: Option<&'a str>,
}

/// A backend's hooks for reading a `schema.sql` written in its SQL.
pub(crate) trait SchemaSqlDialect: Sync {
    /// The `sqlparser` dialect that parses the file.
    fn parser(&self) -> &'static dyn ParserDialect;

    /// An identifier as the database stores it; the default keeps it as written.
    fn fold(&self, ident: &Ident) -> String {
        ident.value.clone()
    }

    /// The qualifier that names the default schema (`public.users`), dropped from names;
    /// `None` when the backend has none.
    fn default_schema(&self) -> Option<&'static str>;

    /// Whether the database makes primary key columns `NOT NULL` whatever the file says.
    fn primary_key_not_null(&self) -> bool;

    /// A column's declared type; the default reads the SQL standard's names.
    ///
    /// # Errors
    ///
    /// [`Refusal`] for a type the model cannot hold.
    fn column_type(&self, data_type: &DataType) -> Result<DeclaredType, Refusal> {
        Ok(DeclaredType::Plain(self.standard_type(data_type)))
    }

    /// A type by the SQL standard's names (which PostgreSQL's and SQLite's are), with custom
    /// names folded; anything else passes through as written.
    fn standard_type(&self, data_type: &DataType) -> ColumnType {
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
                Some(ColumnType::Array(Box::new(self.standard_type(inner))))
            }
            DataType::Custom(name, modifiers) if modifiers.is_empty() && name.0.len() == 1 => match &name.0[0] {
                // Kept by name, so that the reader recognises an enum the file creates.
                ObjectNamePart::Identifier(ident) => Some(ColumnType::Custom(self.fold(ident))),
                ObjectNamePart::Function(_) => None,
            },
            // A type of the default schema, qualified as a dump qualifies it (`public.mood`).
            DataType::Custom(name, modifiers) if modifiers.is_empty() && name.0.len() == 2 => {
                match (&name.0[0], &name.0[1]) {
                    (ObjectNamePart::Identifier(schema), ObjectNamePart::Identifier(ident))
                        if Some(self.fold(schema).as_str()) == self.default_schema() =>
                    {
                        Some(ColumnType::Custom(self.fold(ident)))
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        mapped.unwrap_or_else(|| ColumnType::Custom(data_type.to_string()))
    }

    /// A collation's name as the catalog prints it; the default keeps it as written.
    fn collation(&self, name: String) -> String {
        name
    }

    /// A column option only this backend has, on the column `site` describes; `None` when
    /// the backend has no such option.
    fn column_option(
        &self,
        option: &ColumnOption,
        site: &ColumnSite<'_>,
    ) -> Option<Result<ColumnOptionReading, Refusal>> {
        let _ = (option, site);
        None
    }

    /// The portable expression a function call in a default stands for, beyond the SQL
    /// standard's `CURRENT_TIMESTAMP`, `CURRENT_DATE` and `CURRENT_TIME` (`now()`); `name`
    /// is lower case.
    fn portable_call(&self, name: &str, args: &FunctionArguments) -> Option<PortableExpr> {
        let _ = (name, args);
        None
    }

    /// The literal a default written as a quoted identifier stands for (SQLite reads
    /// `DEFAULT "text"` as the string `'text'`); `None` keeps it as an expression.
    fn quoted_identifier_default(&self, ident: &Ident) -> Option<Literal> {
        let _ = ident;
        None
    }

    /// The statement's tokens as `sqlparser` can read them, where the backend accepts more
    /// than the parser does (SQLite's type names of several words, `unsigned big int`); the
    /// default leaves them as they are.
    fn readable_tokens(&self, tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
        tokens
    }

    /// A literal default as the database keeps it on a column of type `ty`; the default
    /// keeps it as written.
    fn literal_default(&self, literal: Literal, ty: &ColumnType) -> Literal {
        let _ = ty;
        literal
    }

    /// The table comment that table options (`ENGINE=InnoDB COMMENT='...'`) give, when the
    /// backend accepts them as saying nothing else the model holds; `None` when it does not
    /// accept these options.
    fn table_options(&self, options: &CreateTableOptions) -> Option<Option<String>> {
        let _ = options;
        None
    }

    /// Whether `UNIQUE KEY name (...)` names the unique constraint (MySQL).
    fn unique_key_names(&self) -> bool {
        false
    }

    /// Whether the SQL in `/*!NNNNN ... */` comments runs (MySQL's conditional comments).
    fn conditional_comments(&self) -> bool {
        false
    }

    /// Whether a statement, by its first words (upper case, punctuation as written), only
    /// sets up the client's session in a dump (`SELECT pg_catalog.set_config(...)`,
    /// `LOCK TABLES`): ignored, as `SET` is.
    fn session_statement(&self, head: &[&str]) -> bool {
        let _ = head;
        false
    }

    /// Whether a table belongs to the database itself (SQLite's `sqlite_sequence`), which a
    /// dump lists and no one creates.
    fn internal_table(&self, name: &str) -> bool {
        let _ = name;
        false
    }

    /// An expression's text as every backend reads it: this dialect's own quoting made
    /// the standard one (strings in single quotes, names in double quotes), since a revision
    /// written from these models may run on any backend. As written by default.
    fn standard_quoting(&self, text: String) -> String {
        text
    }

    /// The SQL that carries an object the model does not hold into a revision; the default
    /// is the statement as written.
    fn verbatim_sql(&self, kind: &str, sql: &str) -> String {
        let _ = kind;
        sql.to_owned()
    }

    /// The statement that removes an object carried as written, when the backend can name
    /// it; `None` leaves the object in place on a downgrade.
    fn drop_object(&self, object: &DroppedObject<'_>) -> Option<String> {
        if let ("foreign key", Some(table)) = (object.kind, object.table) {
            return Some(format!("ALTER TABLE {table} DROP CONSTRAINT {}", object.name));
        }
        let kind = match object.kind {
            "view" | "function" | "procedure" | "trigger" | "sequence" | "table" | "domain" | "type" | "schema"
            | "extension" | "materialized view" | "aggregate" | "event" => object.kind.to_ascii_uppercase(),
            _ => return None,
        };
        Some(format!("DROP {kind} {}", object.name))
    }

    /// The sequence a column default draws from, when it is a sequence's next value
    /// (PostgreSQL's `nextval('t_id_seq'::regclass)`); the sequence's name as the database
    /// names it, without the default schema.
    fn sequence_of_default(&self, default: &str) -> Option<String> {
        let _ = default;
        None
    }

    /// An index declared inside `CREATE TABLE`; `None` when the backend has none.
    fn inline_index<'c>(&self, constraint: &'c TableConstraint) -> Option<Result<InlineIndex<'c>, Refusal>> {
        let _ = constraint;
        None
    }

    /// The name the database gives an inline index declared without one; `None` when it
    /// gives none.
    fn unnamed_index(&self, keys: &[IndexKey]) -> Option<String> {
        let _ = keys;
        None
    }
}
