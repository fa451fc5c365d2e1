//! Neutral column types spelled for SQLite.
//!
//! SQLite stores any value in any column and only derives a type affinity from the declared
//! name, so each neutral type keeps its familiar spelling (`BOOLEAN`, `TIMESTAMPTZ`, `UUID`),
//! which introspection reads back unchanged. Enums are `TEXT`; the CHECK that limits a
//! column to the enum's values is part of the column definition, rendered in `render`.
//! Arrays have no SQLite counterpart and are refused.

use crate::dialect::RenderError;
use crate::dialect::common::types::TypeSpelling;
use crate::schema::ColumnType;

/// The name `RenderError::Unsupported` reports.
const DIALECT: &str = "sqlite";

/// Spells a neutral type.
///
/// # Errors
///
/// [`RenderError::Unsupported`] for an array type, which SQLite cannot store.
pub(super) fn column_type(ty: &ColumnType) -> Result<String, RenderError> {
    SqliteTypes::column_type(ty)
}

/// SQLite's spellings; the types every backend spells alike are in `common::types`.
struct SqliteTypes;

impl TypeSpelling for SqliteTypes {
    // SQLite ignores lengths and precisions, so any passes.
    const MAX_CHAR_LENGTH: Option<u32> = None;
    const MAX_NUMERIC_PRECISION: Option<u32> = None;
    const BYTES: &'static str = "BLOB";

    fn enum_type(_name: &str) -> String {
        "TEXT".into()
    }

    fn array_type(ty: &ColumnType, _inner: &ColumnType) -> Result<String, RenderError> {
        Err(RenderError::Unsupported {
            op: format!("type `{ty}`"),
            dialect: DIALECT,
            hint: "SQLite has no array types; store it as json".into(),
        })
    }
}

/// The neutral type for a declared column type: the spellings this module writes (in any case
/// and spacing) and the aliases a schema.sql reads as neutral types (`INT`, `BOOL`, `FLOAT`,
/// `INT8`, ...: a database made by hand or by another tool compares equal to its own dump), and
/// anything else verbatim as [`ColumnType::Custom`].
pub(super) fn read_type(declared: &str) -> ColumnType {
    let custom = || ColumnType::Custom(declared.to_owned());
    let words: Vec<&str> = declared.split_whitespace().collect();
    let normalized = words.join(" ").to_ascii_uppercase();
    let (base, params) = match normalized.split_once('(') {
        Some((base, rest)) => {
            let Some(inner) = rest.strip_suffix(')') else { return custom() };
            let params: Result<Vec<u32>, _> = inner.split(',').map(|p| p.trim().parse::<u32>()).collect();
            match params {
                Ok(params) => (base.trim_end(), Some(params)),
                Err(_) => return custom(),
            }
        }
        None => (normalized.as_str(), None),
    };
    match (base, params.as_deref()) {
        ("SMALLINT" | "INT2", None) => ColumnType::SmallInt,
        ("INTEGER" | "INT" | "INT4", None) => ColumnType::Integer,
        ("BIGINT" | "INT8", None) => ColumnType::BigInt,
        ("REAL" | "FLOAT4", None) => ColumnType::Real,
        ("DOUBLE PRECISION" | "DOUBLE" | "FLOAT" | "FLOAT8", None) => ColumnType::Double,
        ("NUMERIC", None) => ColumnType::Numeric(None),
        ("NUMERIC", Some([precision])) => ColumnType::Numeric(Some((*precision, 0))),
        ("NUMERIC", Some([precision, scale])) => ColumnType::Numeric(Some((*precision, *scale))),
        ("VARCHAR", None) => ColumnType::Varchar(None),
        ("VARCHAR", Some([length])) => ColumnType::Varchar(Some(*length)),
        ("CHAR", None) => ColumnType::Char(None),
        ("CHAR", Some([length])) => ColumnType::Char(Some(*length)),
        ("TEXT", None) => ColumnType::Text,
        ("BOOLEAN" | "BOOL", None) => ColumnType::Boolean,
        ("DATE", None) => ColumnType::Date,
        ("TIME", None) => ColumnType::Time,
        ("TIMESTAMP", None) => ColumnType::Timestamp,
        ("TIMESTAMPTZ", None) => ColumnType::Timestamptz,
        ("INTERVAL", None) => ColumnType::Interval,
        ("UUID", None) => ColumnType::Uuid,
        ("JSON", None) => ColumnType::Json,
        ("JSONB", None) => ColumnType::Jsonb,
        ("BLOB", None) => ColumnType::Bytes,
        _ => custom(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::dialect::common::types::check_column_type;

    /// `expected` is the SQLite spelling, or `Err(message)` for a type it refuses.
    fn check(input: &str, expected: Result<&str, &str>) {
        let message = |err: RenderError| matches!(err, RenderError::Unsupported { .. }).then(|| err.to_string());
        check_column_type(column_type, message, input, expected);
    }

    #[test]
    fn neutral_types_keep_their_spelling() {
        check("smallint", Ok("SMALLINT"));
        check("integer", Ok("INTEGER"));
        check("bigint", Ok("BIGINT"));
        check("real", Ok("REAL"));
        check("double", Ok("DOUBLE PRECISION"));
        check("numeric", Ok("NUMERIC"));
        check("numeric(10,2)", Ok("NUMERIC(10,2)"));
        check("numeric(5)", Ok("NUMERIC(5,0)"));
        check("varchar", Ok("VARCHAR"));
        check("varchar(255)", Ok("VARCHAR(255)"));
        check("char", Ok("CHAR"));
        check("char(2)", Ok("CHAR(2)"));
        check("text", Ok("TEXT"));
        check("boolean", Ok("BOOLEAN"));
        check("date", Ok("DATE"));
        check("time", Ok("TIME"));
        check("timestamp", Ok("TIMESTAMP"));
        check("timestamptz", Ok("TIMESTAMPTZ"));
        check("interval", Ok("INTERVAL"));
        check("uuid", Ok("UUID"));
        check("json", Ok("JSON"));
        check("jsonb", Ok("JSONB"));
        check("bytes", Ok("BLOB"));
    }

    #[test]
    fn enums_are_text_and_custom_types_pass_through() {
        check("enum:mood", Ok("TEXT"));
        check("enum:Weird\"Name", Ok("TEXT"));
        check("float8", Ok("float8"));
        check("geometry(Point, 4326)", Ok("geometry(Point, 4326)"));
    }

    #[test]
    fn arrays_are_unsupported() {
        let refused = "is not supported on sqlite: SQLite has no array types; store it as json";
        check("text[]", Err(&format!("type `text[]` {refused}")));
        check("integer[][]", Err(&format!("type `integer[][]` {refused}")));
        check("enum:mood[]", Err(&format!("type `enum:mood[]` {refused}")));
    }

    #[test]
    fn declared_types_read_back_to_neutral_types() {
        let check = |declared: &str, expected: ColumnType| assert_eq!(read_type(declared), expected, "{declared}");
        check("INTEGER", ColumnType::Integer);
        check("bigint", ColumnType::BigInt);
        check("DOUBLE   precision", ColumnType::Double);
        check("NUMERIC( 10 , 2 )", ColumnType::Numeric(Some((10, 2))));
        check("NUMERIC(5)", ColumnType::Numeric(Some((5, 0))));
        check("VARCHAR(255)", ColumnType::Varchar(Some(255)));
        check("CHAR", ColumnType::Char(None));
        check("BLOB", ColumnType::Bytes);
        check("TIMESTAMPTZ", ColumnType::Timestamptz);
        // The aliases a schema.sql reads as neutral types, so that an adopted database compares
        // equal to its own `.schema` dump.
        check("INT", ColumnType::Integer);
        check("int4", ColumnType::Integer);
        check("INT2", ColumnType::SmallInt);
        check("INT8", ColumnType::BigInt);
        check("BOOL", ColumnType::Boolean);
        check("FLOAT", ColumnType::Double);
        check("DOUBLE", ColumnType::Double);
        check("FLOAT4", ColumnType::Real);
        check("MEDIUMINT", ColumnType::Custom("MEDIUMINT".into()));
        check("unsigned big int", ColumnType::Custom("unsigned big int".into()));
        check("VARCHAR(1,2)", ColumnType::Custom("VARCHAR(1,2)".into()));
        check("TEXT(x)", ColumnType::Custom("TEXT(x)".into()));
        check("", ColumnType::Custom(String::new()));
        // Every spelling the renderer writes reads back as the type it came from.
        for ty in [
            "smallint",
            "integer",
            "bigint",
            "real",
            "double",
            "numeric",
            "numeric(10,2)",
            "varchar",
            "varchar(9)",
            "char",
            "char(2)",
            "text",
            "boolean",
            "date",
            "time",
            "timestamp",
            "timestamptz",
            "interval",
            "uuid",
            "json",
            "jsonb",
            "bytes",
            "geometry",
        ] {
            let ty = ColumnType::parse(ty).unwrap();
            assert_eq!(read_type(&column_type(&ty).unwrap()), ty);
        }
    }
}
