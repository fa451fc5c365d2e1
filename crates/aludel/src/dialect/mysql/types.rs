//! Neutral column types spelled for MySQL and MariaDB, and read back from
//! `information_schema.COLUMNS.COLUMN_TYPE`.
//!
//! | neutral | MySQL | why |
//! | --- | --- | --- |
//! | `smallint`, `integer`, `bigint` | `SMALLINT`, `INT`, `BIGINT` | |
//! | `real`, `double` | `FLOAT`, `DOUBLE` | |
//! | `numeric(p,s)` | `DECIMAL(p,s)` | up to 65 digits, scale up to 30 |
//! | `numeric` | `DECIMAL(65,30)` | MySQL has no unbounded decimal; a bare `DECIMAL` would be `DECIMAL(10,0)` and round every fraction away |
//! | `varchar(n)`, `char(n)`, `char` | `VARCHAR(n)`, `CHAR(n)`, `CHAR(1)` | |
//! | `varchar` | `TEXT` | MySQL needs a length for `VARCHAR`; an unbounded one is text |
//! | `text`, `bytes` | `TEXT`, `BLOB` | up to 64 KiB; write `longtext` / `longblob` for more |
//! | `boolean` | `TINYINT(1)` | MySQL's `BOOLEAN` is this |
//! | `date`, `time` | `DATE`, `TIME` | |
//! | `timestamp`, `timestamptz` | `DATETIME(6)` | microseconds, as PostgreSQL keeps; no zone: a `timestamptz` column holds UTC by convention (MySQL's `TIMESTAMP` would convert, but ends in 2038) |
//! | `uuid` | `CHAR(36)` | the text form, readable in any client |
//! | `json`, `jsonb` | `JSON` | MariaDB makes it `LONGTEXT` with a `json_valid` check |
//! | `enum:<name>` | `ENUM('a', ...)` | inline, with the values the schema knows at that point (see `render`) |
//! | `interval`, `<type>[]` | refused | MySQL has neither |
//!
//! Other types pass through verbatim. Reading back (`read_type`) maps what these spellings
//! become in `COLUMN_TYPE` to the neutral types, with the display widths MariaDB and older
//! MySQL print (`int(11)`, `bigint(20)`) left out; `datetime(6)` reads as `timestamp`, the
//! type that says what MySQL holds. A native type that would read as a neutral type's name
//! and mean something else (`timestamp`, MySQL's converting one) reads as a type string that
//! renders it again (`timestamp(0)`).

use std::collections::BTreeMap;

use crate::dialect::common::types::TypeSpelling;
use crate::dialect::mysql::text::quote_literal;
use crate::dialect::{RenderError, UuidStorage};
use crate::schema::{ColumnType, EnumType};

/// The name `RenderError::Unsupported` reports.
const DIALECT: &str = "mysql";

/// The prefix, in characters, an index keeps of a text or binary column (MySQL indexes
/// only a prefix of them). 255 four-byte characters fit any InnoDB row format.
pub(crate) const KEY_PREFIX: u32 = 255;

/// Spells a neutral type. Enum columns need their values: `enums` gives them; `uuid` says
/// how `uuid` is stored.
///
/// # Errors
///
/// [`RenderError::Unsupported`] for `interval` and arrays, which MySQL has no type for;
/// [`RenderError::Invalid`] for a length, precision or scale MySQL rejects, and for an enum
/// that `enums` does not know.
pub(crate) fn column_type(
    ty: &ColumnType,
    enums: Option<&BTreeMap<String, EnumType>>,
    uuid: UuidStorage,
) -> Result<String, RenderError> {
    let invalid = |reason: String| RenderError::Invalid { op: format!("type `{ty}`"), reason };
    Ok(match ty {
        ColumnType::Integer => "INT".into(),
        ColumnType::Real => "FLOAT".into(),
        ColumnType::Double => "DOUBLE".into(),
        ColumnType::Numeric(None) => "DECIMAL(65,30)".into(),
        ColumnType::Numeric(Some((precision, scale))) => {
            if !(1..=65).contains(precision) {
                return Err(invalid("the precision must be between 1 and 65".into()));
            }
            if *scale > 30 || scale > precision {
                return Err(invalid("the scale must be at most 30 and at most the precision".into()));
            }
            format!("DECIMAL({precision},{scale})")
        }
        ColumnType::Varchar(None) => "TEXT".into(),
        // 16,383 four-byte characters fill MySQL's 65,535-byte row.
        ColumnType::Varchar(Some(length)) if !(1..=16_383).contains(length) => {
            return Err(invalid("the length must be between 1 and 16383".into()));
        }
        ColumnType::Char(Some(length)) if !(1..=255).contains(length) => {
            return Err(invalid("the length must be between 1 and 255".into()));
        }
        ColumnType::Char(None) => "CHAR(1)".into(),
        ColumnType::Boolean => "TINYINT(1)".into(),
        ColumnType::Timestamp | ColumnType::Timestamptz => "DATETIME(6)".into(),
        ColumnType::Interval => {
            return Err(RenderError::Unsupported {
                op: format!("type `{ty}`"),
                dialect: DIALECT,
                hint: "MySQL has no interval type; store a number of seconds (bigint) or a time".into(),
            });
        }
        ColumnType::Uuid => match uuid {
            UuidStorage::Char36 => "CHAR(36)".into(),
            UuidStorage::Binary16 => "BINARY(16)".into(),
        },
        ColumnType::Json | ColumnType::Jsonb => "JSON".into(),
        ColumnType::Enum(name) => {
            let Some(known) = enums.and_then(|enums| enums.get(name)) else {
                return Err(invalid(format!(
                    "MySQL lists an enum's values in the column, and no enum `{name}` exists at this point of the \
                     migration history; create it with `create_enum` first"
                )));
            };
            enum_type(&known.values)
        }
        other => MySqlTypes::column_type(other)?,
    })
}

/// `ENUM('a','b')`.
pub(crate) fn enum_type(values: &[String]) -> String {
    let values: Vec<String> = values.iter().map(|v| quote_literal(v)).collect();
    format!("ENUM({})", values.join(","))
}

/// MySQL's spellings of what `common::types` spells alike; the rest is in [`column_type`].
struct MySqlTypes;

impl TypeSpelling for MySqlTypes {
    const MAX_CHAR_LENGTH: Option<u32> = None;
    const MAX_NUMERIC_PRECISION: Option<u32> = Some(65);
    const BYTES: &'static str = "BLOB";

    fn enum_type(name: &str) -> String {
        // Enums are spelled by `column_type`, which knows their values.
        format!("ENUM /* {name} */")
    }

    fn array_type(ty: &ColumnType, _inner: &ColumnType) -> Result<String, RenderError> {
        Err(RenderError::Unsupported {
            op: format!("type `{ty}`"),
            dialect: DIALECT,
            hint: "MySQL has no array types; store it as json".into(),
        })
    }
}

/// Whether an index must take a prefix of a column of this type: MySQL indexes only a
/// prefix of text and binary columns.
pub(crate) fn needs_key_prefix(ty: &ColumnType) -> bool {
    match ty {
        ColumnType::Text | ColumnType::Varchar(None) | ColumnType::Bytes | ColumnType::Json | ColumnType::Jsonb => true,
        ColumnType::Custom(text) => {
            let base = text.trim().to_ascii_lowercase();
            let base = base.split(['(', ' ']).next().unwrap_or_default();
            matches!(
                base,
                "tinytext" | "text" | "mediumtext" | "longtext" | "tinyblob" | "blob" | "mediumblob" | "longblob"
            )
        }
        _ => false,
    }
}

/// A MySQL type, as a `schema.sql` writes it or `COLUMN_TYPE` prints it, cut into its name,
/// parameters and attributes, with MySQL's synonyms resolved to the names `COLUMN_TYPE`
/// prints: `integer` is `int`, `bool` is `tinyint(1)`, `real` and `float(30)` are `double`,
/// `numeric(5)` is `decimal(5,0)`, `char` is `char(1)`.
struct TypeParts {
    /// The name, lower case.
    base: String,
    /// The parameters when they are numbers.
    numbers: Option<Vec<u32>>,
    /// Whether the name has parameters at all (numbers or not).
    parenthesised: bool,
    /// What follows the parameters (`unsigned zerofill`), lower case.
    attributes: String,
}

impl TypeParts {
    fn new(text: &str) -> TypeParts {
        let mut lower = text.trim().to_ascii_lowercase();
        // Names of two words, and the synonym that would read as the start of one.
        for (alias, name) in [
            ("double precision", "double"),
            ("character varying", "varchar"),
            ("char varying", "varchar"),
            ("character", "char"),
        ] {
            if let Some(rest) = lower.strip_prefix(alias)
                && !rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            {
                lower = format!("{name}{rest}");
                break;
            }
        }
        let (base, rest) = match lower.find(['(', ' ']) {
            Some(at) => (&lower[..at], &lower[at..]),
            None => (lower.as_str(), ""),
        };
        let (params, attributes) = match rest.strip_prefix('(').and_then(|r| r.split_once(')')) {
            Some((params, attributes)) => (Some(params), attributes.trim()),
            None => (None, rest.trim()),
        };
        let numbers: Option<Vec<u32>> = params.and_then(|p| p.split(',').map(|n| n.trim().parse().ok()).collect());
        let mut parts = TypeParts {
            base: base.to_owned(),
            numbers,
            parenthesised: params.is_some(),
            attributes: attributes.to_owned(),
        };
        let synonym = match (parts.base.as_str(), parts.numbers.as_deref()) {
            ("bool" | "boolean", None) if !parts.parenthesised => Some(("tinyint", Some(vec![1]))),
            ("integer", numbers) => Some(("int", numbers.map(<[u32]>::to_vec))),
            ("real", None) if !parts.parenthesised => Some(("double", None)),
            ("dec" | "numeric" | "fixed" | "decimal", None) if !parts.parenthesised => {
                Some(("decimal", Some(vec![10, 0])))
            }
            ("dec" | "numeric" | "fixed" | "decimal", Some([p])) => Some(("decimal", Some(vec![*p, 0]))),
            ("dec" | "numeric" | "fixed", Some(numbers)) => Some(("decimal", Some(numbers.to_vec()))),
            // FLOAT(p) is a FLOAT up to 24 bits of precision, a DOUBLE from 25.
            ("float", Some([p])) if *p <= 24 => Some(("float", None)),
            ("float", Some([p])) if *p <= 53 => Some(("double", None)),
            ("char", None) if !parts.parenthesised => Some(("char", Some(vec![1]))),
            _ => None,
        };
        if let Some((base, numbers)) = synonym {
            parts.parenthesised = numbers.is_some();
            parts.base = base.to_owned();
            parts.numbers = numbers;
        }
        parts
    }

    /// Whether the name is one of MySQL's integer types.
    fn is_integer(&self) -> bool {
        matches!(self.base.as_str(), "tinyint" | "smallint" | "mediumint" | "int" | "bigint")
    }

    /// The neutral type this MySQL type is, when it is one.
    fn neutral(&self) -> Option<ColumnType> {
        if !self.attributes.is_empty() {
            return None;
        }
        let bare = !self.parenthesised;
        Some(match (self.base.as_str(), self.numbers.as_deref()) {
            ("tinyint", Some([1])) => ColumnType::Boolean,
            // A display width means nothing.
            ("smallint", _) => ColumnType::SmallInt,
            ("int", _) => ColumnType::Integer,
            ("bigint", _) => ColumnType::BigInt,
            ("float", _) if bare => ColumnType::Real,
            ("double", _) if bare => ColumnType::Double,
            ("decimal", Some([p, s])) => ColumnType::Numeric(Some((*p, *s))),
            ("varchar", Some([n])) => ColumnType::Varchar(Some(*n)),
            ("char", Some([n])) => ColumnType::Char(Some(*n)),
            ("text", _) if bare => ColumnType::Text,
            ("blob", _) if bare => ColumnType::Bytes,
            ("json", _) if bare => ColumnType::Json,
            ("date", _) if bare => ColumnType::Date,
            ("time", _) if bare => ColumnType::Time,
            ("datetime", Some([6])) => ColumnType::Timestamp,
            // MariaDB's own UUID type (10.7 on) holds the same values.
            ("uuid", _) if bare => ColumnType::Uuid,
            // MySQL's `timestamp` converts to and from the session's zone: it is not the neutral
            // `timestamp`, and the type string must not read as that.
            ("timestamp", _) if bare => ColumnType::Custom("timestamp(0)".into()),
            _ => return None,
        })
    }
}

/// The neutral type of a column as `COLUMN_TYPE` shows it (`int(11)`, `varchar(255)`,
/// `decimal(10,2)`, `enum('a','b')`); `json_checked` whether MariaDB's `json_valid` check
/// guards the column (its `JSON`). Anything without a neutral type is
/// [`ColumnType::Custom`], as MySQL prints it without display widths.
pub(crate) fn read_type(column_type: &str, json_checked: bool) -> ColumnType {
    let printed = column_type.trim();
    if printed.eq_ignore_ascii_case("longtext") && json_checked {
        return ColumnType::Json;
    }
    let parts = TypeParts::new(printed);
    if let Some(neutral) = parts.neutral() {
        return neutral;
    }
    if parts.is_integer() && !parts.attributes.is_empty() {
        // `int(10) unsigned`: the display width means nothing; the attributes do.
        return ColumnType::Custom(format!("{} {}", parts.base, parts.attributes));
    }
    if !parts.attributes.is_empty() {
        return ColumnType::Custom(printed.to_owned());
    }
    if matches!(parts.base.as_str(), "tinyint" | "mediumint") {
        return ColumnType::Custom(parts.base);
    }
    let ty = ColumnType::parse(printed).unwrap_or_else(|_| ColumnType::Custom(printed.to_owned()));
    match ty {
        ColumnType::Custom(_) => ty,
        // Whatever else reads as a neutral name (`real`, `boolean`) is kept verbatim in a form
        // that does not.
        _ => ColumnType::Custom(format!("{printed} /* mysql */")),
    }
}

/// The neutral type of a column type as a `schema.sql` declares it (`TINYINT(1)`, `BOOL`,
/// `INT(11)`, `DECIMAL`, `DATETIME(6)`), by the same rules as [`read_type`]; any other type
/// passes through as written (`INT UNSIGNED`, `LONGTEXT`), or as the neutral type its name
/// says (`DATE`).
#[cfg(feature = "schema-sql")]
pub(crate) fn read_declared_type(written: &str) -> ColumnType {
    let written = written.trim();
    TypeParts::new(written).neutral().unwrap_or_else(|| match ColumnType::parse(written) {
        Ok(ColumnType::Custom(_)) | Err(_) => ColumnType::Custom(written.to_owned()),
        Ok(neutral) => neutral,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::dialect::common::types::check_column_type;

    fn spell(ty: &ColumnType) -> Result<String, RenderError> {
        let enums = BTreeMap::from([(
            "mood".to_owned(),
            EnumType { name: "mood".into(), values: vec!["sad".into(), "it's ok".into()] },
        )]);
        column_type(ty, Some(&enums), UuidStorage::Char36)
    }

    /// `expected` is the MySQL spelling, or `Err(message)` for a type it refuses.
    fn check(input: &str, expected: Result<&str, &str>) {
        check_column_type(spell, |err| Some(err.to_string()), input, expected);
    }

    #[test]
    fn neutral_types_are_spelled_for_mysql() {
        check("smallint", Ok("SMALLINT"));
        check("integer", Ok("INT"));
        check("bigint", Ok("BIGINT"));
        check("real", Ok("FLOAT"));
        check("double", Ok("DOUBLE"));
        check("numeric", Ok("DECIMAL(65,30)"));
        check("numeric(10,2)", Ok("DECIMAL(10,2)"));
        check("numeric(5)", Ok("DECIMAL(5,0)"));
        check("varchar", Ok("TEXT"));
        check("varchar(255)", Ok("VARCHAR(255)"));
        check("char", Ok("CHAR(1)"));
        check("char(2)", Ok("CHAR(2)"));
        check("text", Ok("TEXT"));
        check("boolean", Ok("TINYINT(1)"));
        check("date", Ok("DATE"));
        check("time", Ok("TIME"));
        check("timestamp", Ok("DATETIME(6)"));
        check("timestamptz", Ok("DATETIME(6)"));
        check("uuid", Ok("CHAR(36)"));
        check("json", Ok("JSON"));
        check("jsonb", Ok("JSON"));
        check("bytes", Ok("BLOB"));
        check("enum:mood", Ok("ENUM('sad','it''s ok')"));
        check("int unsigned", Ok("int unsigned"));
        check("longtext", Ok("longtext"));
    }

    #[test]
    fn what_mysql_lacks_or_rejects_is_refused() {
        check(
            "interval",
            Err(
                "type `interval` is not supported on mysql: MySQL has no interval type; store a number of seconds (bigint) or a time",
            ),
        );
        check("text[]", Err("type `text[]` is not supported on mysql: MySQL has no array types; store it as json"));
        check(
            "enum:other",
            Err(
                "type `enum:other`: MySQL lists an enum's values in the column, and no enum `other` exists at this point of the migration history; create it with `create_enum` first",
            ),
        );
        check("varchar(0)", Err("type `varchar(0)`: the length must be between 1 and 16383"));
        check("char(256)", Err("type `char(256)`: the length must be between 1 and 255"));
        check("numeric(66,2)", Err("type `numeric(66,2)`: the precision must be between 1 and 65"));
        check("numeric(40,31)", Err("type `numeric(40,31)`: the scale must be at most 30 and at most the precision"));
    }

    #[test]
    fn column_types_read_back_without_display_widths() {
        let read = |printed: &str| read_type(printed, false).to_string();
        for (printed, neutral) in [
            ("tinyint(1)", "boolean"),
            ("smallint(6)", "smallint"),
            ("smallint", "smallint"),
            ("int(11)", "integer"),
            ("int", "integer"),
            ("bigint(20)", "bigint"),
            ("float", "real"),
            ("double", "double"),
            ("decimal(10,2)", "numeric(10,2)"),
            ("decimal(65,30)", "numeric(65,30)"),
            ("varchar(255)", "varchar(255)"),
            ("char(36)", "char(36)"),
            ("char(1)", "char(1)"),
            ("text", "text"),
            ("blob", "bytes"),
            ("json", "json"),
            ("date", "date"),
            ("time", "time"),
            ("datetime(6)", "timestamp"),
            ("int(10) unsigned", "int unsigned"),
            ("bigint(20) unsigned zerofill", "bigint unsigned zerofill"),
            ("tinyint(4)", "tinyint"),
            ("mediumint(9)", "mediumint"),
            ("datetime", "datetime"),
            ("datetime(3)", "datetime(3)"),
            ("timestamp", "timestamp(0)"),
            ("timestamp(6)", "timestamp(6)"),
            ("longtext", "longtext"),
            ("enum('a','b''c')", "enum('a','b''c')"),
            ("year(4)", "year(4)"),
            ("double(8,2)", "double(8,2)"),
        ] {
            assert_eq!(read(printed), neutral, "{printed}");
            // What reads back renders what it read.
            let ty = ColumnType::parse(neutral).unwrap();
            assert_eq!(read_type(printed, false), ty, "{printed} round trip");
        }
        assert_eq!(read_type("longtext", true), ColumnType::Json);
    }

    #[test]
    fn text_and_binary_columns_take_a_key_prefix() {
        for ty in ["text", "varchar", "bytes", "json", "longtext", "mediumblob", "TEXT"] {
            assert!(needs_key_prefix(&ColumnType::parse(ty).unwrap()), "{ty}");
        }
        for ty in ["varchar(255)", "integer", "uuid", "enum:mood", "textual"] {
            assert!(!needs_key_prefix(&ColumnType::parse(ty).unwrap()), "{ty}");
        }
    }

    #[cfg(feature = "schema-sql")]
    #[test]
    fn declared_and_printed_types_read_alike() {
        // Each type as a schema.sql may declare it, and as `COLUMN_TYPE` prints it once created
        // (MySQL 8 prints no display widths, MariaDB does).
        for (declared, printed) in [
            ("BOOL", "tinyint(1)"),
            ("BOOLEAN", "tinyint(1)"),
            ("TINYINT(1)", "tinyint(1)"),
            ("SMALLINT", "smallint(6)"),
            ("SMALLINT(6)", "smallint"),
            ("INT", "int(11)"),
            ("INT(11)", "int"),
            ("INTEGER", "int(11)"),
            ("BIGINT", "bigint(20)"),
            ("BIGINT(20)", "bigint"),
            ("FLOAT", "float"),
            ("FLOAT(10)", "float"),
            ("FLOAT(30)", "double"),
            ("REAL", "double"),
            ("DOUBLE", "double"),
            ("DOUBLE PRECISION", "double"),
            ("DECIMAL", "decimal(10,0)"),
            ("DECIMAL(8, 2)", "decimal(8,2)"),
            ("NUMERIC(5)", "decimal(5,0)"),
            ("DEC(8,2)", "decimal(8,2)"),
            ("FIXED(8,2)", "decimal(8,2)"),
            ("VARCHAR(255)", "varchar(255)"),
            ("CHARACTER VARYING(40)", "varchar(40)"),
            ("CHAR", "char(1)"),
            ("CHARACTER(3)", "char(3)"),
            ("TEXT", "text"),
            ("BLOB", "blob"),
            ("JSON", "json"),
            ("DATE", "date"),
            ("TIME", "time"),
            ("DATETIME(6)", "datetime(6)"),
            ("TIMESTAMP", "timestamp"),
            ("UUID", "uuid"),
        ] {
            let from_file = read_declared_type(declared);
            assert_eq!(from_file, read_type(printed, false), "{declared} / {printed}");
            assert!(!matches!(from_file, ColumnType::Custom(_)) || declared == "TIMESTAMP", "{declared}");
        }
        // MySQL's own types pass through on both sides; normalization spells them alike
        // through the database.
        for (declared, printed) in [
            ("INT UNSIGNED", "int(10) unsigned"),
            ("BIGINT(20) UNSIGNED ZEROFILL", "bigint(20) unsigned zerofill"),
            ("TINYINT", "tinyint(4)"),
            ("MEDIUMINT", "mediumint(9)"),
            ("LONGTEXT", "longtext"),
            ("DATETIME", "datetime"),
            ("DATETIME(3)", "datetime(3)"),
            ("TIMESTAMP(6)", "timestamp(6)"),
            ("TIME(3)", "time(3)"),
            ("DOUBLE(8,2)", "double(8,2)"),
            ("FLOAT(7,4)", "float(7,4)"),
            ("YEAR", "year(4)"),
            ("BINARY(16)", "binary(16)"),
            ("SET('a','b')", "set('a','b')"),
        ] {
            assert_eq!(read_declared_type(declared), ColumnType::Custom(declared.to_owned()), "{declared}");
            assert!(matches!(read_type(printed, false), ColumnType::Custom(_)), "{printed}");
        }
    }
}
