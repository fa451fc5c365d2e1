//! Which type changes can lose or reject data: what the diff warns about, naming why, before
//! anyone runs an `alter_column` that narrows a column.

use crate::schema::ColumnType;

/// Integer digits and fraction a numeric type holds, for deciding whether a change narrows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Number {
    /// An integer type holding this many decimal digits.
    Integer(u32),
    /// MySQL's unsigned integer holding this many decimal digits and no negative value.
    Unsigned(u32),
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
        // MySQL's own integer types, as its introspection names them.
        ColumnType::Custom(name) => match name.as_str() {
            "tinyint" => Number::Integer(3),
            "mediumint" => Number::Integer(7),
            "tinyint unsigned" => Number::Unsigned(3),
            "smallint unsigned" => Number::Unsigned(5),
            "mediumint unsigned" => Number::Unsigned(8),
            "int unsigned" => Number::Unsigned(10),
            "bigint unsigned" => Number::Unsigned(20),
            _ => return None,
        },
        _ => return None,
    })
}

/// MySQL's text and blob families, smallest first (`tinytext` 255 bytes, `text` 64 KiB,
/// `mediumtext` 16 MiB, `longtext` 4 GiB): a change up a family keeps every value. `None`
/// outside them. Only MySQL has the other members, so `text` ranks as MySQL's here.
fn family_rank(ty: &ColumnType) -> Option<(&'static str, u8)> {
    Some(match ty {
        ColumnType::Text => ("text", 1),
        ColumnType::Bytes => ("blob", 1),
        ColumnType::Custom(name) => match name.as_str() {
            "tinytext" => ("text", 0),
            "mediumtext" => ("text", 2),
            "longtext" => ("text", 3),
            "tinyblob" => ("blob", 0),
            "blob" => ("blob", 1),
            "mediumblob" => ("blob", 2),
            "longblob" => ("blob", 3),
            _ => return None,
        },
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
        // MySQL's: `tinytext` holds 255 bytes, the larger ones more than any `varchar`.
        ColumnType::Custom(name) if name == "tinytext" => Some(Some(255)),
        ColumnType::Custom(name) if name == "mediumtext" || name == "longtext" => Some(None),
        _ => None,
    }
}

/// A dialect's time type spelled with its digits of a second (`datetime(3)`), and the bare
/// spelling MySQL reads as none (`datetime`, `time`): the type and the digits.
fn fractional_seconds(ty: &ColumnType) -> Option<(&str, u32)> {
    let ColumnType::Custom(name) = ty else { return None };
    let (base, digits) = match name.split_once('(') {
        Some((base, rest)) => (base.trim(), rest.strip_suffix(')')?.trim().parse().ok()?),
        None => (name.as_str(), 0),
    };
    matches!(base, "datetime" | "time" | "timestamp").then_some((base, digits))
}

/// The members of a MySQL `kind('a','b')` type (`enum` or `set`), as written.
fn members(ty: &ColumnType, kind: &str) -> Option<Vec<String>> {
    let ColumnType::Custom(name) = ty else { return None };
    let list = name.strip_prefix(kind)?.trim_start().strip_prefix('(')?.strip_suffix(')')?;
    let mut members = Vec::new();
    let mut rest = list.trim();
    while !rest.is_empty() {
        let body = rest.strip_prefix('\'')?;
        let mut member = String::new();
        let mut chars = body.char_indices();
        let end = loop {
            match chars.next()? {
                (i, '\'') if body[i + 1..].starts_with('\'') => {
                    member.push('\'');
                    chars.next();
                }
                (i, '\'') => break i + 1,
                (_, c) => member.push(c),
            }
        };
        members.push(member);
        rest = body[end..].trim_start();
        rest = rest.strip_prefix(',').map_or(rest, str::trim_start);
    }
    Some(members)
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
    // MySQL's inline `enum(...)` and `set(...)`: a value keeps its members by name.
    for kind in ["enum", "set"] {
        if let (Some(had), Some(has)) = (members(from, kind), members(to, kind)) {
            let lost: Vec<String> = had.into_iter().filter(|m| !has.contains(m)).map(|m| format!("'{m}'")).collect();
            return (!lost.is_empty()).then(|| format!("values holding {} do not convert", lost.join(", ")));
        }
    }
    match (family_rank(from), family_rank(to)) {
        (Some((a, i)), Some((b, j))) if a == b => {
            return (j < i).then(|| format!("values longer than `{to}` holds do not fit"));
        }
        _ => {}
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
            (Number::Integer(d), Number::Integer(e)) => d <= e,
            // The largest unsigned value has as many digits as the signed type's, and is larger.
            (Number::Unsigned(d), Number::Integer(e)) => d < e,
            (Number::Unsigned(d), Number::Unsigned(e)) => d <= e,
            // Negative values have no unsigned form.
            (_, Number::Unsigned(_)) => false,
            (Number::Integer(d) | Number::Unsigned(d), Number::Float(e)) => d <= e,
            (_, Number::Exact(None)) => true,
            (Number::Integer(d) | Number::Unsigned(d), Number::Exact(Some((p, s)))) => d <= p.saturating_sub(s),
            (Number::Exact(Some((p, s))), Number::Exact(Some((q, t)))) => {
                p.saturating_sub(s) <= q.saturating_sub(t) && s <= t
            }
            (Number::Float(d), Number::Float(e)) => d <= e,
            _ => false,
        };
        return (!fits).then(|| format!("`{from}` values may not fit in `{to}` (range or precision)"));
    }
    if let (Some((a, p)), Some((b, q))) = (fractional_seconds(from), fractional_seconds(to))
        && a == b
    {
        return (q < p).then(|| format!("`{to}` keeps fewer digits of a second than `{from}`"));
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
        check("datetime", "datetime(3)", false);
        check("datetime(6)", "datetime(3)", true);
        check("time(2)", "time(6)", false);
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
        // MySQL's inline lists: a member added keeps every value, one removed does not.
        check("set('a','b')", "set('a','b','c')", false);
        check("set('a','b')", "set('c','b','a')", false);
        check("set('a','b','c')", "set('a','b')", true);
        check("enum('it''s','b')", "enum('b','it''s','c')", false);
        check("enum('a','b')", "enum('a')", true);
        assert_eq!(
            narrowing(&ty("set('a','b,c','d')"), &ty("set('a')")).as_deref(),
            Some("values holding 'b,c', 'd' do not convert")
        );
        check("tsvector", "text", false);
        // MySQL's own types.
        check("text", "mediumtext", false);
        check("tinytext", "longtext", false);
        check("varchar(300)", "mediumtext", false);
        check("varchar(200)", "tinytext", false);
        check("varchar(400)", "tinytext", true);
        check("mediumtext", "varchar(100)", true);
        check("mediumtext", "text", true);
        check("longtext", "tinytext", true);
        check("blob", "longblob", false);
        check("longblob", "blob", true);
        check("tinyint", "smallint", false);
        check("mediumint", "smallint", true);
        check("int unsigned", "bigint", false);
        check("int unsigned", "integer", true);
        check("integer", "int unsigned", true);
        check("smallint unsigned", "int unsigned", false);
        check("bigint unsigned", "int unsigned", true);
        check("tinyint unsigned", "numeric(5,2)", false);
    }
}
