//! Neutral column types spelled for PostgreSQL.
//!
//! Every neutral type has a native PostgreSQL spelling, arrays and enums included. Custom
//! types pass through verbatim. Rendering whole column definitions lives in `render`.

use crate::dialect::RenderError;
use crate::dialect::common::quote_ident_ansi;
use crate::schema::ColumnType;

/// The largest precision PostgreSQL's `NUMERIC` accepts.
const MAX_NUMERIC_PRECISION: u32 = 1000;

/// The largest length PostgreSQL's `VARCHAR(n)` and `CHAR(n)` accept.
const MAX_CHAR_LENGTH: u32 = 10_485_760;

/// Spells a neutral type.
///
/// # Errors
///
/// [`RenderError::Invalid`] for a length or precision PostgreSQL rejects (`varchar(0)`,
/// `numeric(0,0)`), so the mistake is reported when rendering, `--sql` included.
pub(super) fn column_type(ty: &ColumnType) -> Result<String, RenderError> {
    Ok(match ty {
        ColumnType::SmallInt => "SMALLINT".into(),
        ColumnType::Integer => "INTEGER".into(),
        ColumnType::BigInt => "BIGINT".into(),
        ColumnType::Real => "REAL".into(),
        ColumnType::Double => "DOUBLE PRECISION".into(),
        ColumnType::Numeric(None) => "NUMERIC".into(),
        ColumnType::Numeric(Some((precision, scale))) => {
            if !(1..=MAX_NUMERIC_PRECISION).contains(precision) {
                return Err(invalid(ty, format!("the precision must be between 1 and {MAX_NUMERIC_PRECISION}")));
            }
            // A scale above the precision is valid from PostgreSQL 15 on; older servers say so.
            format!("NUMERIC({precision},{scale})")
        }
        ColumnType::Varchar(length) => sized("VARCHAR", ty, *length)?,
        ColumnType::Char(length) => sized("CHAR", ty, *length)?,
        ColumnType::Text => "TEXT".into(),
        ColumnType::Boolean => "BOOLEAN".into(),
        ColumnType::Date => "DATE".into(),
        ColumnType::Time => "TIME".into(),
        ColumnType::Timestamp => "TIMESTAMP".into(),
        ColumnType::Timestamptz => "TIMESTAMPTZ".into(),
        ColumnType::Interval => "INTERVAL".into(),
        ColumnType::Uuid => "UUID".into(),
        ColumnType::Json => "JSON".into(),
        ColumnType::Jsonb => "JSONB".into(),
        ColumnType::Bytes => "BYTEA".into(),
        ColumnType::Enum(name) => quote_ident_ansi(name),
        ColumnType::Array(inner) => format!("{}[]", column_type(inner)?),
        ColumnType::Custom(text) => text.clone(),
    })
}

/// `VARCHAR` / `CHAR` with an optional length.
fn sized(keyword: &str, ty: &ColumnType, length: Option<u32>) -> Result<String, RenderError> {
    match length {
        None => Ok(keyword.to_owned()),
        Some(n) if (1..=MAX_CHAR_LENGTH).contains(&n) => Ok(format!("{keyword}({n})")),
        Some(_) => Err(invalid(ty, format!("the length must be between 1 and {MAX_CHAR_LENGTH}"))),
    }
}

fn invalid(ty: &ColumnType, reason: String) -> RenderError {
    RenderError::Invalid { op: format!("type `{ty}`"), reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `expected` is the PostgreSQL spelling, or `Err(reason)` for a type it rejects.
    fn check(input: &str, expected: Result<&str, &str>) {
        let ty = ColumnType::parse(input).expect(input);
        match (column_type(&ty), expected) {
            (Ok(spelled), Ok(want)) => assert_eq!(spelled, want, "{input}"),
            (Err(RenderError::Invalid { reason, .. }), Err(want)) => assert_eq!(reason, want, "{input}"),
            (got, want) => panic!("{input}: got {got:?}, expected {want:?}"),
        }
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
