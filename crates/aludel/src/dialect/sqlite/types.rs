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
}
