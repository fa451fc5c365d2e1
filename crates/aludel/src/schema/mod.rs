//! The schema model shared by every stage: tables, columns, neutral types, indexes,
//! constraints and enums.
//!
//! The same structs describe the desired models, an introspected database and the state a
//! chain of revisions leads to (see [`Schema::apply`], in `apply`). Nothing here does IO or
//! writes SQL.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

mod apply;
mod expr;

pub use apply::{rename_identifier, rename_quoting};

/// A dialect-neutral column type, written in revision files as a string (`"varchar(255)"`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ColumnType {
    /// 16-bit integer.
    SmallInt,
    /// 32-bit integer.
    Integer,
    /// 64-bit integer.
    BigInt,
    /// 32-bit float.
    Real,
    /// 64-bit float.
    Double,
    /// Exact decimal, optionally with precision and scale.
    Numeric(Option<(u32, u32)>),
    /// Variable-length string, optionally bounded.
    Varchar(Option<u32>),
    /// Fixed-length string.
    Char(Option<u32>),
    /// Unbounded string.
    Text,
    /// True or false.
    Boolean,
    /// Calendar date.
    Date,
    /// Time of day.
    Time,
    /// Date and time without time zone.
    Timestamp,
    /// Date and time with time zone.
    Timestamptz,
    /// Time span.
    Interval,
    /// 128-bit UUID.
    Uuid,
    /// JSON document stored as text.
    Json,
    /// JSON document stored in a binary form where the backend has one.
    Jsonb,
    /// Binary string.
    Bytes,
    /// A value of the named enum type (`enum:<name>`).
    Enum(String),
    /// An array of another type (`<type>[]`).
    Array(Box<ColumnType>),
    /// Anything else: passed to the database verbatim.
    Custom(String),
}

/// Why a type string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid column type `{input}`: {reason}")]
pub struct ColumnTypeError {
    /// The text as written.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

impl ColumnType {
    /// Reads a neutral type such as `bigint`, `numeric(10,2)`, `enum:mood` or `text[]`.
    /// Unknown names pass through as [`ColumnType::Custom`].
    ///
    /// # Errors
    ///
    /// Returns [`ColumnTypeError`] for an empty string or malformed parameters.
    pub fn parse(input: &str) -> Result<Self, ColumnTypeError> {
        let err = |reason: &str| ColumnTypeError { input: input.to_owned(), reason: reason.to_owned() };
        let text = input.trim();
        if text.is_empty() {
            return Err(err("the type is empty"));
        }
        if let Some(inner) = text.strip_suffix("[]") {
            return Ok(ColumnType::Array(Box::new(ColumnType::parse(inner)?)));
        }
        if let Some(name) = text.strip_prefix("enum:") {
            if name.is_empty() {
                return Err(err("`enum:` needs the enum's name, e.g. `enum:mood`"));
            }
            return Ok(ColumnType::Enum(name.to_owned()));
        }
        let (base, params) = match text.find('(') {
            Some(open) => {
                let close = text.rfind(')').filter(|&c| c > open).ok_or_else(|| err("missing `)`"))?;
                if close != text.len() - 1 {
                    // Words after the parameters (`int(10) unsigned`) belong to a backend type.
                    return Ok(ColumnType::Custom(text.to_owned()));
                }
                let params: Result<Vec<u32>, _> =
                    text[open + 1..close].split(',').map(|p| p.trim().parse::<u32>()).collect();
                match params {
                    Ok(params) => (text[..open].trim(), Some(params)),
                    // Parameters that are not numbers belong to a backend type: pass it through.
                    Err(_) => return Ok(ColumnType::Custom(text.to_owned())),
                }
            }
            None => (text, None),
        };
        let lower = base.to_ascii_lowercase();
        let one = |params: &Option<Vec<u32>>| -> Result<Option<u32>, ColumnTypeError> {
            match params.as_deref() {
                None => Ok(None),
                Some([n]) => Ok(Some(*n)),
                Some(_) => Err(err("takes one length, e.g. `varchar(255)`")),
            }
        };
        let plain = |ty: ColumnType| -> Result<ColumnType, ColumnTypeError> {
            match params {
                None => Ok(ty),
                Some(_) => Ok(ColumnType::Custom(text.to_owned())),
            }
        };
        match lower.as_str() {
            "smallint" => plain(ColumnType::SmallInt),
            "integer" | "int" => plain(ColumnType::Integer),
            "bigint" => plain(ColumnType::BigInt),
            "real" | "float" => plain(ColumnType::Real),
            "double" => plain(ColumnType::Double),
            "numeric" | "decimal" => match params.as_deref() {
                None => Ok(ColumnType::Numeric(None)),
                Some([p]) => Ok(ColumnType::Numeric(Some((*p, 0)))),
                Some([p, s]) => Ok(ColumnType::Numeric(Some((*p, *s)))),
                Some(_) => Err(err("takes precision and scale, e.g. `numeric(10,2)`")),
            },
            "varchar" => Ok(ColumnType::Varchar(one(&params)?)),
            "char" => Ok(ColumnType::Char(one(&params)?)),
            "text" => plain(ColumnType::Text),
            "boolean" | "bool" => plain(ColumnType::Boolean),
            "date" => plain(ColumnType::Date),
            "time" => plain(ColumnType::Time),
            "timestamp" => plain(ColumnType::Timestamp),
            "timestamptz" => plain(ColumnType::Timestamptz),
            "interval" => plain(ColumnType::Interval),
            "uuid" => plain(ColumnType::Uuid),
            "json" => plain(ColumnType::Json),
            "jsonb" => plain(ColumnType::Jsonb),
            "bytes" => plain(ColumnType::Bytes),
            _ => Ok(ColumnType::Custom(text.to_owned())),
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::SmallInt => f.write_str("smallint"),
            ColumnType::Integer => f.write_str("integer"),
            ColumnType::BigInt => f.write_str("bigint"),
            ColumnType::Real => f.write_str("real"),
            ColumnType::Double => f.write_str("double"),
            ColumnType::Numeric(None) => f.write_str("numeric"),
            ColumnType::Numeric(Some((p, s))) => write!(f, "numeric({p},{s})"),
            ColumnType::Varchar(None) => f.write_str("varchar"),
            ColumnType::Varchar(Some(n)) => write!(f, "varchar({n})"),
            ColumnType::Char(None) => f.write_str("char"),
            ColumnType::Char(Some(n)) => write!(f, "char({n})"),
            ColumnType::Text => f.write_str("text"),
            ColumnType::Boolean => f.write_str("boolean"),
            ColumnType::Date => f.write_str("date"),
            ColumnType::Time => f.write_str("time"),
            ColumnType::Timestamp => f.write_str("timestamp"),
            ColumnType::Timestamptz => f.write_str("timestamptz"),
            ColumnType::Interval => f.write_str("interval"),
            ColumnType::Uuid => f.write_str("uuid"),
            ColumnType::Json => f.write_str("json"),
            ColumnType::Jsonb => f.write_str("jsonb"),
            ColumnType::Bytes => f.write_str("bytes"),
            ColumnType::Enum(name) => write!(f, "enum:{name}"),
            ColumnType::Array(inner) => write!(f, "{inner}[]"),
            ColumnType::Custom(text) => f.write_str(text),
        }
    }
}

impl FromStr for ColumnType {
    type Err = ColumnTypeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ColumnType::parse(s)
    }
}

impl Serialize for ColumnType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ColumnType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ColumnType::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A literal server default: `default = { value = true }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Literal {
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string, quoted by the dialect.
    String(String),
}

/// A column's server default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum DefaultValue {
    /// A literal, quoted as the dialect needs: `{ value = 0 }`.
    Value(Literal),
    /// A portable expression: `{ expr = "current_timestamp" }`.
    Expr(PortableExpr),
    /// A number kept as written, where a float would spell it otherwise (`0.00`, `1e3`):
    /// `{ number = "0.00" }`. It means the number's value; the backends that keep the text
    /// of a default (SQLite), or print it as written (PostgreSQL), get it as written.
    Number(String),
    /// Raw SQL passed through verbatim: `{ sql = "gen_random_uuid()" }`.
    Sql(String),
}

impl DefaultValue {
    /// What the default means, whatever its spelling: a number kept as written is its value
    /// (an integer when it is one), `now()` is the current timestamp.
    ///
    /// # Examples
    ///
    /// ```
    /// use aludel::schema::{DefaultValue, Literal, PortableExpr};
    ///
    /// assert_eq!(DefaultValue::Number("0.00".into()).meaning(), DefaultValue::Value(Literal::Float(0.0)));
    /// assert_eq!(DefaultValue::Number("10".into()).meaning(), DefaultValue::Value(Literal::Int(10)));
    /// let now = DefaultValue::Expr(PortableExpr::Now);
    /// assert_eq!(now.meaning(), DefaultValue::Expr(PortableExpr::CurrentTimestamp));
    /// ```
    pub fn meaning(&self) -> DefaultValue {
        match self {
            DefaultValue::Number(text) => number_literal(text).map_or_else(|| self.clone(), DefaultValue::Value),
            DefaultValue::Expr(PortableExpr::Now) => DefaultValue::Expr(PortableExpr::CurrentTimestamp),
            other => other.clone(),
        }
    }
}

/// Whether a number written `text` is spelled so again from its value, as a literal default
/// renders it (`10`, `2.5`), and not otherwise (`0.00`, `1e3`, a number no `i64` or `f64`
/// holds exactly as written): those are kept as [`DefaultValue::Number`].
pub fn spelled_as_value(text: &str) -> bool {
    match number_literal(text) {
        Some(Literal::Int(n)) => n.to_string() == text,
        Some(Literal::Float(f)) => format!("{f:?}") == text,
        _ => false,
    }
}

/// The value of a number written in SQL (`-1`, `0.00`, `1e3`); `None` for anything else.
pub fn number_literal(text: &str) -> Option<Literal> {
    let text = text.trim();
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    // Rust also reads `inf`, `NaN` and `1_000`-free forms SQL has no literal for.
    if !digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        || !digits.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    {
        return None;
    }
    if let Ok(n) = text.parse::<i64>() {
        return Some(Literal::Int(n));
    }
    text.parse::<f64>().ok().filter(|f| f.is_finite()).map(Literal::Float)
}

/// Server default expressions every dialect can spell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PortableExpr {
    /// The current date and time.
    CurrentTimestamp,
    /// The current date.
    CurrentDate,
    /// The current time of day.
    CurrentTime,
    /// The current date and time as `now()` writes it: `now()` on the backends that keep
    /// that spelling (PostgreSQL), `CURRENT_TIMESTAMP` elsewhere. It means what
    /// `current_timestamp` means, and compares equal to it.
    Now,
}

/// A generated (computed) column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Generated {
    /// The SQL expression that computes the value.
    pub expr: String,
    /// Stored on disk (`true`) or computed on read.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub stored: bool,
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn nullable_default() -> bool {
    true
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// Neutral type.
    #[serde(rename = "type")]
    pub ty: ColumnType,
    /// Whether NULL is allowed (default `true`).
    #[serde(default = "nullable_default")]
    pub nullable: bool,
    /// Server default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<DefaultValue>,
    /// What an update that does not set the column writes into it: MySQL's
    /// `ON UPDATE CURRENT_TIMESTAMP` (`on_update = { expr = "current_timestamp" }`), which no
    /// other backend has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_update: Option<DefaultValue>,
    /// Values come from an identity / auto-increment sequence.
    #[serde(default, skip_serializing_if = "is_false")]
    pub identity: bool,
    /// The identity is PostgreSQL's `serial`: a sequence the column owns and a `nextval`
    /// default, rather than an identity column (`serial = true`, with `identity = true` and
    /// an integer type). Other backends' auto-increment is the same either way, and the
    /// comparison does not tell the two apart.
    #[serde(default, skip_serializing_if = "is_false")]
    pub serial: bool,
    /// The identity is PostgreSQL's `GENERATED ALWAYS AS IDENTITY`, which refuses an insert
    /// that names the column unless it says `OVERRIDING SYSTEM VALUE` (`identity_always =
    /// true`, with `identity = true`), rather than `GENERATED BY DEFAULT`. Other backends'
    /// auto-increment has no such distinction, and their comparison does not tell the two
    /// apart.
    #[serde(default, skip_serializing_if = "is_false")]
    pub identity_always: bool,
    /// A computed column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<Generated>,
    /// Column comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Collation, as the backend names it (`C`, `NOCASE`, `utf8mb4_bin`); `None` leaves the
    /// backend's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
}

impl Column {
    /// A nullable column with no default, identity or comment.
    pub fn new(name: &str, ty: ColumnType) -> Self {
        Column {
            name: name.to_owned(),
            ty,
            nullable: true,
            default: None,
            on_update: None,
            identity: false,
            serial: false,
            identity_always: false,
            generated: None,
            comment: None,
            collation: None,
        }
    }
}

/// Referential action of a foreign key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferentialAction {
    /// Refuse the change (the default).
    NoAction,
    /// Refuse the change immediately.
    Restrict,
    /// Delete or update the referencing rows too.
    Cascade,
    /// Set the referencing columns to NULL.
    SetNull,
    /// Set the referencing columns to their defaults.
    SetDefault,
}

/// The target of a foreign key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct References {
    /// Referenced table.
    pub table: String,
    /// Referenced columns, in the order of the referencing ones.
    pub columns: Vec<String>,
}

/// A table constraint; `kind` says which.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Constraint {
    /// Primary key.
    PrimaryKey {
        /// Constraint name; the backend picks one when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Key columns.
        columns: Vec<String>,
    },
    /// Unique constraint.
    Unique {
        /// Constraint name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Columns that are unique together.
        columns: Vec<String>,
    },
    /// Foreign key.
    ForeignKey {
        /// Constraint name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Referencing columns.
        columns: Vec<String>,
        /// Referenced table and columns.
        references: References,
        /// Action on delete of the referenced row.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on_delete: Option<ReferentialAction>,
        /// Action on update of the referenced key.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on_update: Option<ReferentialAction>,
    },
    /// Check constraint.
    Check {
        /// Constraint name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Boolean SQL expression.
        expr: String,
    },
}

/// The kind of a table constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintKind {
    /// Primary key.
    PrimaryKey,
    /// Unique constraint.
    Unique,
    /// Foreign key.
    ForeignKey,
    /// Check constraint.
    Check,
}

impl Constraint {
    /// The constraint's name, when it has one.
    pub fn name(&self) -> Option<&str> {
        match self {
            Constraint::PrimaryKey { name, .. }
            | Constraint::Unique { name, .. }
            | Constraint::ForeignKey { name, .. }
            | Constraint::Check { name, .. } => name.as_deref(),
        }
    }

    /// The same constraint under another name (or none).
    pub fn with_name(&self, new_name: Option<String>) -> Constraint {
        let mut constraint = self.clone();
        match &mut constraint {
            Constraint::PrimaryKey { name, .. }
            | Constraint::Unique { name, .. }
            | Constraint::ForeignKey { name, .. }
            | Constraint::Check { name, .. } => *name = new_name,
        }
        constraint
    }

    /// Which kind of constraint this is.
    pub fn kind(&self) -> ConstraintKind {
        match self {
            Constraint::PrimaryKey { .. } => ConstraintKind::PrimaryKey,
            Constraint::Unique { .. } => ConstraintKind::Unique,
            Constraint::ForeignKey { .. } => ConstraintKind::ForeignKey,
            Constraint::Check { .. } => ConstraintKind::Check,
        }
    }

    /// The columns the constraint covers (empty for a check).
    pub fn columns(&self) -> &[String] {
        match self {
            Constraint::PrimaryKey { columns, .. }
            | Constraint::Unique { columns, .. }
            | Constraint::ForeignKey { columns, .. } => columns,
            Constraint::Check { .. } => &[],
        }
    }
}

/// One key of an index: a column name, or an expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IndexKey {
    /// A plain column: `"email"`.
    Column(String),
    /// An expression: `{ expr = "lower(email)" }`.
    Expr {
        /// SQL expression.
        expr: String,
    },
}

/// How one index key is ordered and compared, where it is not a plain ascending key with its
/// type's default operator class: `{ desc = true }`, `{ opclass = "gin_trgm_ops" }`,
/// `{ nulls_first = true }`. Only what differs from the default for the key's order is kept
/// (a descending key puts NULLs first unless told otherwise), so equal indexes compare equal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyOptions {
    /// The operator class (PostgreSQL), when not the type's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opclass: Option<String>,
    /// Descending order.
    #[serde(default, skip_serializing_if = "is_false")]
    pub desc: bool,
    /// Where NULLs sort, when not the order's default (last ascending, first descending).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nulls_first: Option<bool>,
}

impl KeyOptions {
    /// Options as written: `nulls_first` is kept only when it differs from the order's default.
    pub fn new(opclass: Option<String>, desc: bool, nulls_first: Option<bool>) -> KeyOptions {
        KeyOptions { opclass, desc, nulls_first: nulls_first.filter(|first| *first != desc) }
    }

    /// Whether this is a plain ascending key with the default operator class.
    pub fn is_plain(&self) -> bool {
        *self == KeyOptions::default()
    }

    /// The options of every key, or none when all are plain: how [`Index::key_options`] keeps
    /// them.
    pub fn canonical(options: Vec<KeyOptions>) -> Vec<KeyOptions> {
        if options.iter().all(KeyOptions::is_plain) { Vec::new() } else { options }
    }
}

/// An index on a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    /// Index name.
    pub name: String,
    /// Indexed table.
    pub table: String,
    /// Keys in order: column names or `{ expr = "..." }`.
    pub columns: Vec<IndexKey>,
    /// Whether the keys are unique.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    /// Partial index predicate.
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    /// Access method (`btree`, `gin`, ...) where the backend has several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Each key's order and operator class, by position in `columns`; empty when every key
    /// is plain ([`KeyOptions::canonical`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_options: Vec<KeyOptions>,
    /// Columns stored in the index beside its keys (PostgreSQL's `INCLUDE`), which lets a
    /// query read them from the index alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
}

/// A table and everything defined inline with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// Table name.
    #[serde(rename = "table")]
    pub name: String,
    /// Columns in order.
    pub columns: Vec<Column>,
    /// Primary key columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub primary_key: Vec<String>,
    /// Primary key constraint name; the backend picks one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_key_name: Option<String>,
    /// Unique, foreign key and check constraints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<Constraint>,
    /// Table comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Table {
    /// A table with no columns, key, constraints or comment.
    pub fn new(name: &str) -> Self {
        Table {
            name: name.to_owned(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            primary_key_name: None,
            constraints: Vec::new(),
            comment: None,
        }
    }

    /// Looks a column up by name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Looks a column up by name, mutably.
    pub fn column_mut(&mut self, name: &str) -> Option<&mut Column> {
        self.columns.iter_mut().find(|c| c.name == name)
    }

    /// The table's columns the SQL expression `expr` (a check, an index key) reads, each once,
    /// in the table's order. A name matches a column case-insensitively, quoted or not, so
    /// that no backend's reading of a name is missed; a word that matches no column (a
    /// keyword) is not a read.
    pub fn columns_read(&self, expr: &str) -> Vec<&str> {
        let names = expr::names_read(expr);
        self.columns
            .iter()
            .map(|c| c.name.as_str())
            .filter(|column| names.iter().any(|name| name.eq_ignore_ascii_case(column)))
            .collect()
    }
}

/// An enum type and its values in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumType {
    /// Type name.
    pub name: String,
    /// Values in declaration order.
    pub values: Vec<String>,
}

/// Which names a backend takes without regard to case: two names differing in case only are
/// one name there, so models holding both cannot be created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseBlindNames {
    /// Tables and indexes, which share one namespace (SQLite).
    pub relations: bool,
    /// The columns of a table (SQLite, MySQL).
    pub columns: bool,
    /// The indexes of one table (MySQL).
    pub indexes_of_a_table: bool,
}

/// Two names of a schema that a backend taking names without regard to case reads as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseClash {
    /// What the names name: `a table or index`, `a column of table "t"`, `an index of table "t"`.
    pub what: String,
    /// The first name, in the schema's order.
    pub first: String,
    /// The second.
    pub second: String,
}

/// The first two of `names` equal without regard to (ASCII) case, the way SQLite and MySQL
/// compare identifiers.
fn first_case_clash<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<(String, String)> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for name in names {
        if let Some(first) = seen.insert(name.to_ascii_lowercase(), name)
            && first != name
        {
            return Some((first.to_owned(), name.to_owned()));
        }
    }
    None
}

/// A whole schema: what a database holds or what the models declare.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schema {
    /// Tables by name.
    pub tables: BTreeMap<String, Table>,
    /// Indexes by name.
    pub indexes: BTreeMap<String, Index>,
    /// Enum types by name.
    pub enums: BTreeMap<String, EnumType>,
}

/// An op that does not fit the schema it is applied to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The op names a table that does not exist at that point.
    #[error("table `{table}` does not exist at this point of the migration history")]
    UnknownTable {
        /// Table name.
        table: String,
    },
    /// The op names a column that does not exist.
    #[error("column `{table}.{column}` does not exist at this point of the migration history")]
    UnknownColumn {
        /// Table name.
        table: String,
        /// Column name.
        column: String,
    },
    /// The op creates something that exists already.
    #[error("{what} `{name}` already exists at this point of the migration history")]
    AlreadyExists {
        /// `table`, `column`, `index` or `enum`.
        what: &'static str,
        /// Its name.
        name: String,
    },
    /// The op names an index, constraint or enum that does not exist.
    #[error("{what} `{name}` does not exist at this point of the migration history")]
    Unknown {
        /// `index`, `constraint` or `enum`.
        what: &'static str,
        /// Its name.
        name: String,
    },
}

/// The JSON form of a [`Schema`]: what a models command prints (`[models] command` in
/// aludel.toml). Tables, indexes and enums are lists; each entry has the fields revision files
/// use for `create_table`, `create_index` and `create_enum`:
///
/// ```json
/// {
///   "tables": [{ "table": "users", "columns": [{ "name": "id", "type": "bigint", "nullable": false }],
///                "primary_key": ["id"] }],
///   "indexes": [{ "name": "ix_users_email", "table": "users", "columns": ["email"], "unique": true }],
///   "enums": [{ "name": "mood", "values": ["sad", "ok"] }]
/// }
/// ```
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemaDocument {
    #[serde(default)]
    tables: Vec<Table>,
    #[serde(default)]
    indexes: Vec<Index>,
    #[serde(default)]
    enums: Vec<EnumType>,
}

/// A JSON schema document that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaJsonError {
    /// Not JSON, or not the documented shape.
    #[error("invalid schema JSON at line {line}, column {column}: {message}")]
    Invalid {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// Two entries share a name.
    #[error("the schema JSON defines {what} `{name}` twice")]
    Duplicate {
        /// `table`, `index` or `enum`.
        what: &'static str,
        /// The name.
        name: String,
    },
}

impl Schema {
    /// Two names of this schema that a backend taking `blind` names without regard to case
    /// would read as one, if any.
    pub fn case_clash(&self, blind: CaseBlindNames) -> Option<CaseClash> {
        let clash = |what: String, (first, second): (String, String)| CaseClash { what, first, second };
        if blind.relations {
            let relations = self.tables.keys().chain(self.indexes.keys()).map(String::as_str);
            if let Some(names) = first_case_clash(relations) {
                return Some(clash("a table or index".to_owned(), names));
            }
        }
        for table in self.tables.values() {
            let columns = table.columns.iter().map(|column| column.name.as_str());
            if blind.columns
                && let Some(names) = first_case_clash(columns)
            {
                return Some(clash(format!("a column of table `{}`", table.name), names));
            }
            let indexes = self.indexes.values().filter(|index| index.table == table.name);
            if blind.indexes_of_a_table
                && let Some(names) = first_case_clash(indexes.map(|index| index.name.as_str()))
            {
                return Some(clash(format!("an index of table `{}`", table.name), names));
            }
        }
        None
    }

    /// Reads the JSON form (see the format above).
    ///
    /// # Errors
    ///
    /// [`SchemaJsonError`] for invalid JSON, unknown fields or duplicate names.
    pub fn from_json(text: &str) -> Result<Schema, SchemaJsonError> {
        let document: SchemaDocument = serde_json::from_str(text).map_err(|err| SchemaJsonError::Invalid {
            line: err.line(),
            column: err.column(),
            message: err.to_string(),
        })?;
        let mut schema = Schema::default();
        for table in document.tables {
            if let Some(old) = schema.tables.insert(table.name.clone(), table) {
                return Err(SchemaJsonError::Duplicate { what: "table", name: old.name });
            }
        }
        for index in document.indexes {
            if let Some(old) = schema.indexes.insert(index.name.clone(), index) {
                return Err(SchemaJsonError::Duplicate { what: "index", name: old.name });
            }
        }
        for enum_type in document.enums {
            if let Some(old) = schema.enums.insert(enum_type.name.clone(), enum_type) {
                return Err(SchemaJsonError::Duplicate { what: "enum", name: old.name });
            }
        }
        Ok(schema)
    }

    /// Writes the JSON form, pretty-printed, in name order.
    pub fn to_json(&self) -> String {
        let document = SchemaDocument {
            tables: self.tables.values().cloned().collect(),
            indexes: self.indexes.values().cloned().collect(),
            enums: self.enums.values().cloned().collect(),
        };
        serde_json::to_string_pretty(&document).expect("a schema always serializes to JSON")
    }

    /// Looks a table up by name.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    /// Indexes on `table`, sorted by name.
    pub fn indexes_on<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a Index> + 'a {
        self.indexes.values().filter(move |i| i.table == table)
    }

    /// Tables other than `table` with a foreign key that references it.
    pub fn referencing<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a Table> + 'a {
        self.tables.values().filter(move |t| {
            t.name != table
                && t.constraints
                    .iter()
                    .any(|c| matches!(c, Constraint::ForeignKey { references, .. } if references.table == table))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_differing_in_case_clash_only_where_the_backend_is_blind_to_case() {
        let schema = Schema::from_json(
            r#"{"tables": [
                {"table": "Users", "columns": [{"name": "id", "type": "integer"}]},
                {"table": "posts", "columns": [{"name": "Title", "type": "text"}, {"name": "title", "type": "text"}]}
            ], "indexes": [
                {"name": "users", "table": "Users", "columns": ["id"]},
                {"name": "ix", "table": "posts", "columns": ["Title"]},
                {"name": "other", "table": "Users", "columns": ["id"]},
                {"name": "OTHER_posts", "table": "posts", "columns": ["title"]}
            ]}"#,
        )
        .expect("valid");
        let blind = |relations, columns, indexes_of_a_table| CaseBlindNames { relations, columns, indexes_of_a_table };
        assert_eq!(schema.case_clash(CaseBlindNames::default()), None);
        let clash = schema.case_clash(blind(true, false, false)).expect("a table and an index");
        assert_eq!(
            (clash.what.as_str(), clash.first.as_str(), clash.second.as_str()),
            ("a table or index", "Users", "users")
        );
        let clash = schema.case_clash(blind(false, true, false)).expect("two columns");
        assert_eq!(
            (clash.what.as_str(), clash.first.as_str(), clash.second.as_str()),
            ("a column of table `posts`", "Title", "title")
        );
        assert_eq!(schema.case_clash(blind(false, false, true)), None);
        let mut two = schema.clone();
        let mut index = two.indexes["ix"].clone();
        index.name = "IX".to_owned();
        two.indexes.insert(index.name.clone(), index);
        let clash = two.case_clash(blind(false, false, true)).expect("two indexes of one table");
        assert_eq!(
            (clash.what.as_str(), clash.first.as_str(), clash.second.as_str()),
            ("an index of table `posts`", "IX", "ix")
        );
        // Indexes of different tables may differ in case only where each table has its own.
        let apart = Schema::from_json(
            r#"{"tables": [{"table": "a", "columns": [{"name": "id", "type": "integer"}]},
                           {"table": "b", "columns": [{"name": "id", "type": "integer"}]}],
                "indexes": [{"name": "ix", "table": "a", "columns": ["id"]}, {"name": "IX", "table": "b", "columns": ["id"]}]}"#,
        )
        .expect("valid");
        assert_eq!(apart.case_clash(blind(false, true, true)), None);
        assert!(apart.case_clash(blind(true, false, false)).is_some());
    }

    fn check(input: &str, expected: &ColumnType) {
        let parsed = ColumnType::parse(input).expect(input);
        assert_eq!(&parsed, expected, "parse {input}");
        assert_eq!(ColumnType::parse(&parsed.to_string()).unwrap(), parsed, "round trip {input}");
    }

    #[test]
    fn column_types_parse_and_round_trip() {
        check("bigint", &ColumnType::BigInt);
        check("INT", &ColumnType::Integer);
        check("numeric(10, 2)", &ColumnType::Numeric(Some((10, 2))));
        check("numeric", &ColumnType::Numeric(None));
        check("varchar(255)", &ColumnType::Varchar(Some(255)));
        check("char(2)", &ColumnType::Char(Some(2)));
        check("enum:mood", &ColumnType::Enum("mood".into()));
        check("text[]", &ColumnType::Array(Box::new(ColumnType::Text)));
        check("integer[][]", &ColumnType::Array(Box::new(ColumnType::Array(Box::new(ColumnType::Integer)))));
        check("tsvector", &ColumnType::Custom("tsvector".into()));
        check("geometry(Point, 4326)", &ColumnType::Custom("geometry(Point, 4326)".into()));
        check("int(10) unsigned", &ColumnType::Custom("int(10) unsigned".into()));
        check("float(7,3) unsigned zerofill", &ColumnType::Custom("float(7,3) unsigned zerofill".into()));
    }

    #[test]
    fn json_documents_round_trip_and_name_their_errors() {
        let text = r#"{
            "tables": [{ "table": "users", "columns": [
                { "name": "id", "type": "bigint", "nullable": false, "identity": true },
                { "name": "mood", "type": "enum:mood", "default": { "value": "ok" } }
            ], "primary_key": ["id"] }],
            "indexes": [{ "name": "ix_users_mood", "table": "users", "columns": ["mood", { "expr": "lower(mood)" }] }],
            "enums": [{ "name": "mood", "values": ["sad", "ok"] }]
        }"#;
        let schema = Schema::from_json(text).expect("valid document");
        assert_eq!(schema.tables["users"].columns[1].ty, ColumnType::Enum("mood".into()));
        assert_eq!(Schema::from_json(&schema.to_json()).unwrap(), schema);

        let err = Schema::from_json("{\n \"tables\": [{ \"table\": \"t\", \"colums\": [] }]}").unwrap_err();
        assert!(matches!(err, SchemaJsonError::Invalid { line: 2, .. }), "{err}");
        let twice = r#"{"enums": [{"name": "e", "values": []}, {"name": "e", "values": []}]}"#;
        assert!(matches!(Schema::from_json(twice), Err(SchemaJsonError::Duplicate { what: "enum", .. })));
    }

    #[test]
    fn malformed_column_types_are_errors() {
        for bad in ["", "enum:", "varchar(1,2)", "numeric(1,2,3)", "varchar(10"] {
            assert!(ColumnType::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
