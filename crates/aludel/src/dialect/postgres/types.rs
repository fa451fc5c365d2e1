//! Neutral column types spelled for PostgreSQL.
//!
//! Every neutral type has a native PostgreSQL spelling, arrays and enums included. Custom
//! types pass through verbatim. Rendering whole column definitions lives in `render`.

use crate::dialect::RenderError;
use crate::dialect::common::quote_ident_ansi;
use crate::dialect::common::types::TypeSpelling;
use crate::schema::ColumnType;

/// Spells a neutral type.
///
/// # Errors
///
/// [`RenderError::Invalid`] for a length or precision PostgreSQL rejects (`varchar(0)`,
/// `numeric(0,0)`), so the mistake is reported when rendering, `--sql` included.
pub(super) fn column_type(ty: &ColumnType) -> Result<String, RenderError> {
    PostgresTypes::column_type(ty)
}

/// PostgreSQL's limits and spellings; the types every backend spells alike are in
/// `common::types`.
struct PostgresTypes;

impl TypeSpelling for PostgresTypes {
    const MAX_CHAR_LENGTH: Option<u32> = Some(10_485_760);
    // A scale above the precision is valid from PostgreSQL 15 on; older servers say so.
    const MAX_NUMERIC_PRECISION: Option<u32> = Some(1000);
    const BYTES: &'static str = "BYTEA";

    fn enum_type(name: &str) -> String {
        quote_ident_ansi(name)
    }

    fn array_type(_ty: &ColumnType, inner: &ColumnType) -> Result<String, RenderError> {
        Ok(format!("{}[]", Self::column_type(inner)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::dialect::common::types::check_column_type;

    /// `expected` is the PostgreSQL spelling, or `Err(reason)` for a type it rejects.
    fn check(input: &str, expected: Result<&str, &str>) {
        let reason = |err| match err {
            RenderError::Invalid { reason, .. } => Some(reason),
            _ => None,
        };
        check_column_type(column_type, reason, input, expected);
    }

    #[test]
    fn neutral_types_are_spelled_natively() {
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
        check("bytes", Ok("BYTEA"));
    }

    #[test]
    fn enums_arrays_and_custom_types() {
        check("enum:mood", Ok("\"mood\""));
        check("enum:Weird\"Name", Ok("\"Weird\"\"Name\""));
        check("text[]", Ok("TEXT[]"));
        check("integer[][]", Ok("INTEGER[][]"));
        check("enum:mood[]", Ok("\"mood\"[]"));
        check("varchar(10)[]", Ok("VARCHAR(10)[]"));
        check("tsvector", Ok("tsvector"));
        check("geometry(Point, 4326)", Ok("geometry(Point, 4326)"));
    }

    #[test]
    fn lengths_and_precisions_postgresql_rejects() {
        check("varchar(0)", Err("the length must be between 1 and 10485760"));
        check("char(10485761)", Err("the length must be between 1 and 10485760"));
        check("numeric(0,0)", Err("the precision must be between 1 and 1000"));
        check("numeric(1001,2)", Err("the precision must be between 1 and 1000"));
        check("numeric(2,5)", Ok("NUMERIC(2,5)"));
        check("numeric(0,0)[]", Err("the precision must be between 1 and 1000"));
    }
}
