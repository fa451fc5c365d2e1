//! Neutral column types spelled for PostgreSQL, and read back as `format_type` prints them.
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

/// Whether `ALTER COLUMN ... TYPE` from `from` to `to` rewrites the table (or, for a narrower
/// bound, reads every row) under an `ACCESS EXCLUSIVE` lock. Only the conversions PostgreSQL
/// documents as binary coercible with a looser or equal bound are free: a longer or unbounded
/// `varchar`, `varchar` to `text`, more `numeric` precision at the same scale, `cidr` to
/// `inet`, `xml` to `text`. Autogenerate's online forms and lint both ask this.
pub(super) fn rewrites(from: &ColumnType, to: &ColumnType) -> bool {
    use ColumnType::{Custom, Numeric, Text, Varchar};
    let free = match (from, to) {
        _ if from == to => true,
        (Varchar(_), Varchar(None) | Text) | (Text, Varchar(None)) => true,
        (Varchar(Some(old)), Varchar(Some(new))) => new >= old,
        (Numeric(_), Numeric(None)) => true,
        (Numeric(Some((old_precision, old_scale))), Numeric(Some((new_precision, new_scale)))) => {
            new_scale == old_scale && new_precision >= old_precision
        }
        (Custom(old), Custom(new)) => old.eq_ignore_ascii_case("cidr") && new.eq_ignore_ascii_case("inet"),
        (Custom(old), Text) => old.eq_ignore_ascii_case("xml"),
        _ => false,
    };
    !free
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

/// The neutral type of a column. `printed` is `format_type(atttypid, atttypmod)`; `element`
/// the element type of an array, printed the same way; `enum_name` the (element) type's name
/// when it is an enum of the introspected schema. PostgreSQL does not enforce an array's
/// dimensions, but keeps the number declared, which gives the nesting.
pub(super) fn read_type(
    printed: &str,
    element: Option<&str>,
    enum_name: Option<&str>,
    dimensions: usize,
) -> ColumnType {
    let scalar = |text: &str| match enum_name {
        Some(name) => ColumnType::Enum(name.to_owned()),
        None => scalar_type(text),
    };
    match element {
        Some(element) => {
            let mut ty = scalar(element);
            for _ in 0..dimensions.max(1) {
                ty = ColumnType::Array(Box::new(ty));
            }
            ty
        }
        None => scalar(printed),
    }
}

/// A non-array type as `format_type` prints it.
fn scalar_type(printed: &str) -> ColumnType {
    // `format_type` puts a time's precision before `with[out] time zone`, which no type
    // string can carry (revision files could not read it back): use the short names.
    for name in ["timestamp", "time"] {
        let parts = printed.strip_prefix(name).and_then(|t| t.strip_prefix('(')).and_then(|t| t.split_once(')'));
        match parts {
            Some((precision, " without time zone")) => return ColumnType::Custom(format!("{name}({precision})")),
            Some((precision, " with time zone")) => return ColumnType::Custom(format!("{name}tz({precision})")),
            _ => {}
        }
    }
    let (base, params) = match printed.strip_suffix(')').and_then(|t| t.split_once('(')) {
        Some((base, params)) => {
            match params.split(',').map(|p| p.trim().parse::<u32>()).collect::<Result<Vec<_>, _>>() {
                Ok(params) => (base, Some(params)),
                Err(_) => return ColumnType::Custom(printed.to_owned()),
            }
        }
        None => (printed, None),
    };
    match (base, params.as_deref()) {
        ("smallint", None) => ColumnType::SmallInt,
        ("integer", None) => ColumnType::Integer,
        ("bigint", None) => ColumnType::BigInt,
        ("real", None) => ColumnType::Real,
        ("double precision", None) => ColumnType::Double,
        ("numeric", None) => ColumnType::Numeric(None),
        ("numeric", Some([p, s])) => ColumnType::Numeric(Some((*p, *s))),
        ("character varying", None) => ColumnType::Varchar(None),
        ("character varying", Some([n])) => ColumnType::Varchar(Some(*n)),
        ("character", Some([n])) => ColumnType::Char(Some(*n)),
        ("text", None) => ColumnType::Text,
        ("boolean", None) => ColumnType::Boolean,
        ("date", None) => ColumnType::Date,
        ("time without time zone", None) => ColumnType::Time,
        ("timestamp without time zone", None) => ColumnType::Timestamp,
        ("timestamp with time zone", None) => ColumnType::Timestamptz,
        ("interval", None) => ColumnType::Interval,
        ("uuid", None) => ColumnType::Uuid,
        ("json", None) => ColumnType::Json,
        ("jsonb", None) => ColumnType::Jsonb,
        ("bytea", None) => ColumnType::Bytes,
        _ => ColumnType::Custom(printed.to_owned()),
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

    #[test]
    fn types_read_as_format_type_prints_them() {
        let check = |printed: &str, element: Option<&str>, enum_name: Option<&str>, dims: usize, expected: &str| {
            let ty = read_type(printed, element, enum_name, dims);
            assert_eq!(ty, ColumnType::parse(expected).unwrap(), "{printed}");
        };
        check("integer", None, None, 0, "integer");
        check("double precision", None, None, 0, "double");
        check("numeric(10,2)", None, None, 0, "numeric(10,2)");
        check("character varying(255)", None, None, 0, "varchar(255)");
        check("character varying", None, None, 0, "varchar");
        check("character(1)", None, None, 0, "char(1)");
        check("timestamp with time zone", None, None, 0, "timestamptz");
        check("time without time zone", None, None, 0, "time");
        check("bytea", None, None, 0, "bytes");
        check("mood", None, Some("mood"), 0, "enum:mood");
        check("\"Mood\"[]", Some("\"Mood\""), Some("Mood"), 1, "enum:Mood[]");
        check("integer[]", Some("integer"), None, 2, "integer[][]");
        check("character varying(10)[]", Some("character varying(10)"), None, 0, "varchar(10)[]");
        assert_eq!(read_type("bpchar", None, None, 0), ColumnType::Custom("bpchar".into()));
        assert_eq!(
            read_type("timestamp(3) without time zone", None, None, 0),
            ColumnType::Custom("timestamp(3)".into())
        );
        assert_eq!(
            read_type("timestamp(0) with time zone", None, None, 0),
            ColumnType::Custom("timestamptz(0)".into())
        );
        assert_eq!(read_type("time(6) without time zone", None, None, 0), ColumnType::Custom("time(6)".into()));
        assert_eq!(read_type("time(2) with time zone", None, None, 0), ColumnType::Custom("timetz(2)".into()));
        assert_eq!(read_type("time with time zone", None, None, 0), ColumnType::Custom("time with time zone".into()));
        assert_eq!(
            read_type("interval day to second(3)", None, None, 0),
            ColumnType::Custom("interval day to second(3)".into())
        );
        assert_eq!(read_type("other.mood", None, None, 0), ColumnType::Custom("other.mood".into()));
        assert_eq!(read_type("tsvector", None, None, 0), ColumnType::Custom("tsvector".into()));
    }

    #[test]
    fn only_widening_a_bound_changes_a_type_without_a_rewrite() {
        let ty = |text: &str| ColumnType::parse(text).expect("valid type");
        for (from, to, rewrites) in [
            ("varchar(50)", "varchar(100)", false),
            ("varchar(50)", "varchar", false),
            ("varchar(50)", "text", false),
            ("text", "varchar", false),
            ("numeric(10,2)", "numeric(12,2)", false),
            ("numeric(10,2)", "numeric", false),
            ("varchar(100)", "varchar(50)", true),
            ("numeric(10,2)", "numeric(12,3)", true),
            ("integer", "bigint", true),
            ("timestamp", "timestamptz", true),
            ("text", "varchar(10)", true),
            ("numeric(10,2)", "numeric(8,2)", true),
            ("varchar(20)", "varchar(10)", true),
            ("cidr", "inet", false),
            ("xml", "text", false),
            ("inet", "cidr", true),
            ("json", "jsonb", true),
        ] {
            assert_eq!(super::rewrites(&ty(from), &ty(to)), rewrites, "{from} -> {to}");
        }
    }
}
