//! SeaORM's column types and server defaults in the schema model: neutral types where there
//! is one, PostgreSQL's spelling otherwise; literal, portable and SQL defaults.

use aludel::schema::{ColumnType, DefaultValue, EnumType, Literal, PortableExpr};
use sea_orm::sea_query::{
    self, ColumnType as SeaType, Expr, Keyword, OptionEnum, PostgresQueryBuilder, StringLen, Value,
};

use crate::error::{SeaOrmError, Site};

/// Maps a SeaQuery column type to a neutral one, collecting the enum types it declares.
///
/// Unsigned integers become the next wider signed type, as SeaQuery spells them on
/// PostgreSQL (`BigUnsigned` stays `bigint`). Types without a neutral name pass through as
/// [`ColumnType::Custom`] in their PostgreSQL spelling.
pub(crate) fn map_type(ty: &SeaType, enums: &mut Vec<EnumType>) -> ColumnType {
    match ty {
        SeaType::Char(n) => ColumnType::Char(*n),
        SeaType::String(StringLen::N(n)) => ColumnType::Varchar(Some(*n)),
        // SeaORM creates `varchar` without a length for a `String` field.
        SeaType::String(StringLen::None | StringLen::Max) => ColumnType::Varchar(None),
        SeaType::Text => ColumnType::Text,
        SeaType::TinyInteger | SeaType::SmallInteger | SeaType::TinyUnsigned => ColumnType::SmallInt,
        SeaType::Integer | SeaType::SmallUnsigned => ColumnType::Integer,
        SeaType::BigInteger | SeaType::Unsigned | SeaType::BigUnsigned => ColumnType::BigInt,
        SeaType::Float => ColumnType::Real,
        SeaType::Double => ColumnType::Double,
        SeaType::Decimal(precision) => ColumnType::Numeric(*precision),
        SeaType::DateTime | SeaType::Timestamp => ColumnType::Timestamp,
        SeaType::TimestampWithTimeZone => ColumnType::Timestamptz,
        SeaType::Time => ColumnType::Time,
        SeaType::Date => ColumnType::Date,
        // MySQL's YEAR: a small number everywhere else.
        SeaType::Year => ColumnType::SmallInt,
        SeaType::Interval(None, None) => ColumnType::Interval,
        SeaType::Binary(_) | SeaType::VarBinary(_) | SeaType::Blob => ColumnType::Bytes,
        SeaType::Boolean => ColumnType::Boolean,
        SeaType::Json => ColumnType::Json,
        SeaType::JsonBinary => ColumnType::Jsonb,
        SeaType::Uuid => ColumnType::Uuid,
        SeaType::Custom(name) => ColumnType::Custom(name.to_string()),
        SeaType::Enum { name, variants } => {
            enums.push(EnumType { name: name.to_string(), values: variants.iter().map(|v| v.to_string()).collect() });
            ColumnType::Enum(name.to_string())
        }
        SeaType::Array(inner) => ColumnType::Array(Box::new(map_type(inner, enums))),
        other => ColumnType::Custom(postgres_type(other)),
    }
}

/// How SeaQuery spells `ty` in PostgreSQL (`interval YEAR TO MONTH`, `money`, `inet`).
pub(crate) fn postgres_type(ty: &SeaType) -> String {
    let sql = sea_query::Table::create()
        .table("t")
        .col(sea_query::ColumnDef::new_with_type("c", ty.clone()))
        .to_string(PostgresQueryBuilder);
    sql.split_once("\"c\" ")
        .and_then(|(_, rest)| rest.rsplit_once(" )"))
        .map_or_else(|| format!("{ty:?}"), |(ty, _)| ty.trim().to_owned())
}

/// The server default `expr` declares; `None` for `NULL`, which is no default at all (the
/// databases keep no `DEFAULT NULL` apart from no default).
pub(crate) fn map_default(expr: &Expr, site: &Site<'_>) -> Result<Option<DefaultValue>, SeaOrmError> {
    let unsupported =
        || SeaOrmError::UnsupportedDefault { entity: site.entity(), column: site.column(), expr: render(expr) };
    Ok(Some(match expr {
        Expr::Keyword(Keyword::Null) => return Ok(None),
        Expr::Keyword(Keyword::CurrentTimestamp) => DefaultValue::Expr(PortableExpr::CurrentTimestamp),
        Expr::Keyword(Keyword::CurrentDate) => DefaultValue::Expr(PortableExpr::CurrentDate),
        Expr::Keyword(Keyword::CurrentTime) => DefaultValue::Expr(PortableExpr::CurrentTime),
        // `DEFAULT DEFAULT` means nothing.
        Expr::Keyword(Keyword::Default) => return Err(unsupported()),
        Expr::Value(value) | Expr::Constant(value) if is_null(value) => return Ok(None),
        Expr::Value(value) | Expr::Constant(value) => match literal(value) {
            Some(literal) => DefaultValue::Value(literal),
            None => DefaultValue::Sql(render(expr)),
        },
        // An active enum's value: the label is the default.
        Expr::AsEnum(_, inner) => return map_default(inner, site),
        Expr::Column(_) | Expr::SubQuery(..) => return Err(unsupported()),
        Expr::Custom(sql) => DefaultValue::Sql(sql.to_string()),
        other => DefaultValue::Sql(render(other)),
    }))
}

/// Whether a value is SQL `NULL` (any `Value` variant holding `None`).
pub(crate) fn is_null(value: &Value) -> bool {
    *value == value.as_null()
}

/// A default that is a plain literal; `None` for NULL and for values whose SQL spelling
/// (dates, decimals, JSON, bytes) is better passed as SQL.
pub(crate) fn literal(value: &Value) -> Option<Literal> {
    Some(match value {
        Value::Bool(Some(b)) => Literal::Bool(*b),
        Value::TinyInt(Some(n)) => Literal::Int(i64::from(*n)),
        Value::SmallInt(Some(n)) => Literal::Int(i64::from(*n)),
        Value::Int(Some(n)) => Literal::Int(i64::from(*n)),
        Value::BigInt(Some(n)) => Literal::Int(*n),
        Value::TinyUnsigned(Some(n)) => Literal::Int(i64::from(*n)),
        Value::SmallUnsigned(Some(n)) => Literal::Int(i64::from(*n)),
        Value::Unsigned(Some(n)) => Literal::Int(i64::from(*n)),
        Value::BigUnsigned(Some(n)) => Literal::Int(i64::try_from(*n).ok()?),
        // Through the shortest decimal form, so `0.1f32` stays `0.1`.
        Value::Float(Some(f)) => Literal::Float(f.to_string().parse().ok()?),
        Value::Double(Some(f)) => Literal::Float(*f),
        Value::String(Some(s)) => Literal::String(s.clone()),
        Value::Char(Some(c)) => Literal::String(c.to_string()),
        // An active enum's value: its label.
        Value::Enum(OptionEnum::Some(value)) => Literal::String(value.value.to_string()),
        _ => return None,
    })
}

/// SeaQuery's PostgreSQL spelling of an expression, values inlined.
pub(crate) fn render(expr: &Expr) -> String {
    let sql = sea_query::Query::select().expr(expr.clone()).to_string(PostgresQueryBuilder);
    sql.strip_prefix("SELECT ").map_or_else(|| sql.clone(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_type(input: SeaType, expected: &str) {
        let mut enums = Vec::new();
        assert_eq!(map_type(&input, &mut enums).to_string(), expected, "{input:?}");
    }

    #[test]
    fn types_map_to_neutral_names() {
        check_type(SeaType::Char(Some(2)), "char(2)");
        check_type(SeaType::String(StringLen::N(40)), "varchar(40)");
        check_type(SeaType::String(StringLen::None), "varchar");
        check_type(SeaType::Text, "text");
        check_type(SeaType::TinyUnsigned, "smallint");
        check_type(SeaType::SmallUnsigned, "integer");
        check_type(SeaType::Unsigned, "bigint");
        check_type(SeaType::BigUnsigned, "bigint");
        check_type(SeaType::Decimal(Some((10, 2))), "numeric(10,2)");
        check_type(SeaType::Money(None), "money");
        check_type(SeaType::Inet, "inet");
        check_type(SeaType::Bit(Some(3)), "bit(3)");
        check_type(SeaType::Interval(Some(sea_query::PgInterval::YearToMonth), None), "interval YEAR TO MONTH");
        check_type(SeaType::Array(SeaType::Integer.into()), "integer[]");
    }
}
