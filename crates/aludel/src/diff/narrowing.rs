//! Which type changes can lose or reject data: what the diff warns about, naming why, before
//! anyone runs an `alter_column` that narrows a column.

use crate::schema::ColumnType;

/// Integer digits and fraction a numeric type holds, for deciding whether a change narrows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Number {
    /// An integer type holding this many decimal digits.
    Integer(u32),
    /// `numeric(p,s)`, or unbounded.
    Exact(Option<(u32, u32)>),
    /// A float with this many significant decimal digits.
    Float(u32),
}

fn number(ty: &ColumnType) -> Option<Number> {
    Some(match ty {
        ColumnType::SmallInt => Number::Integer(5),
        ColumnType::Integer => Number::Integer(10),
        ColumnType::BigInt => Number::Integer(19),
        ColumnType::Numeric(ps) => Number::Exact(*ps),
        ColumnType::Real => Number::Float(6),
        ColumnType::Double => Number::Float(15),
        _ => return None,
    })
}

/// The length limit of a character type: `Some(None)` when unbounded, `None` for other types.
fn text_length(ty: &ColumnType) -> Option<Option<u32>> {
    match ty {
        ColumnType::Text | ColumnType::Varchar(None) => Some(None),
        ColumnType::Varchar(Some(n)) | ColumnType::Char(Some(n)) => Some(Some(*n)),
        // `char` without a length is `char(1)`.
        ColumnType::Char(None) => Some(Some(1)),
        _ => None,
    }
}

/// Why changing a column from `from` to `to` can lose or reject data; `None` when every value
/// converts.
pub(crate) fn narrowing(from: &ColumnType, to: &ColumnType) -> Option<String> {
    use ColumnType as T;
    if from == to {
        return None;
    }
    if let (T::Array(from), T::Array(to)) = (from, to) {
        return narrowing(from, to);
    }
    match (text_length(from), text_length(to)) {
        // Every value has a text spelling.
        (_, Some(None)) => return None,
        (Some(Some(a)), Some(Some(b))) if a <= b => return None,
        (Some(_), Some(Some(b))) => return Some(format!("values longer than {b} characters do not fit")),
        (None, Some(Some(b))) => return Some(format!("values whose text is longer than {b} characters do not fit")),
        (Some(_), None) => return Some(format!("text that is not a valid `{to}` does not convert")),
        (None, None) => {}
    }
    if let (Some(a), Some(b)) = (number(from), number(to)) {
        let fits = match (a, b) {
            (Number::Integer(d), Number::Integer(e)) | (Number::Integer(d), Number::Float(e)) => d <= e,
            (Number::Integer(_) | Number::Exact(_) | Number::Float(_), Number::Exact(None)) => true,
            (Number::Integer(d), Number::Exact(Some((p, s)))) => d <= p.saturating_sub(s),
            (Number::Exact(Some((p, s))), Number::Exact(Some((q, t)))) => {
                p.saturating_sub(s) <= q.saturating_sub(t) && s <= t
            }
            (Number::Float(d), Number::Float(e)) => d <= e,
            _ => false,
        };
        return (!fits).then(|| format!("`{from}` values may not fit in `{to}` (range or precision)"));
    }
    match (from, to) {
        (T::Json, T::Jsonb) | (T::Jsonb, T::Json) => None,
        (T::Date, T::Timestamp | T::Timestamptz) | (T::Timestamp, T::Timestamptz) => None,
        (T::Timestamptz, T::Timestamp) => Some("the time zone of each value is lost".to_owned()),
        _ => Some(format!("`{from}` values may not convert to `{to}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(text: &str) -> ColumnType {
        ColumnType::parse(text).expect("valid type")
    }

    #[test]
    fn narrowing_type_changes_are_named() {
        let check = |from: &str, to: &str, narrows: bool| {
            let got = narrowing(&ty(from), &ty(to));
            assert_eq!(got.is_some(), narrows, "{from} -> {to}: {got:?}");
        };
        check("varchar(255)", "varchar(50)", true);
        check("varchar(50)", "varchar(255)", false);
        check("varchar(50)", "text", false);
        check("text", "varchar(50)", true);
        check("char(2)", "varchar(2)", false);
        check("char", "char(3)", false);
        check("text", "integer", true);
        check("text", "enum:mood", true);
        check("enum:mood", "text", false);
        check("integer", "varchar(5)", true);
        check("bigint", "integer", true);
        check("integer", "smallint", true);
        check("smallint", "bigint", false);
        check("integer", "double", false);
        check("bigint", "double", true);
        check("integer", "numeric(12,2)", false);
        check("integer", "numeric(10,2)", true);
        check("numeric(10,2)", "numeric(8,2)", true);
        check("numeric(10,2)", "numeric(12,4)", false);
        check("numeric(10,2)", "numeric(10,1)", true);
        check("numeric(10,2)", "numeric", false);
        check("numeric", "numeric(10,2)", true);
        check("numeric(10,2)", "integer", true);
        check("double", "real", true);
        check("real", "double", false);
        check("timestamp", "timestamptz", false);
        check("timestamptz", "timestamp", true);
        check("date", "timestamp", false);
        check("timestamp", "date", true);
        check("json", "jsonb", false);
        check("uuid", "text", false);
        check("integer[]", "bigint[]", false);
        check("bigint[]", "integer[]", true);
        check("boolean", "integer", true);
        check("enum:a", "enum:b", true);
        check("tsvector", "text", false);
    }
}
