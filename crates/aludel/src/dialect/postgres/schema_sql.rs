//! How a `schema.sql` written for PostgreSQL reads: unquoted names fold to lower case,
//! `public.` is the default schema, primary key columns are `NOT NULL`, `serial` types are
//! identity columns of their integer type (`serial = true`), and `now()` is the portable `now`.

use sqlparser::ast::{DataType, FunctionArguments, Ident};
use sqlparser::dialect::{Dialect as ParserDialect, PostgreSqlDialect};

use crate::dialect::schema_sql::{DeclaredType, Refusal, SchemaSqlDialect};
use crate::schema::{ColumnType, PortableExpr};

/// PostgreSQL's schema.sql hooks.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PostgresSchemaSql;

impl SchemaSqlDialect for PostgresSchemaSql {
    fn parser(&self) -> &'static dyn ParserDialect {
        &PostgreSqlDialect {}
    }

    fn fold(&self, ident: &Ident) -> String {
        match ident.quote_style {
            None => ident.value.to_lowercase(),
            Some(_) => ident.value.clone(),
        }
    }

    fn default_schema(&self) -> Option<&'static str> {
        Some("public")
    }

    fn primary_key_not_null(&self) -> bool {
        true
    }

    fn column_type(&self, data_type: &DataType) -> Result<DeclaredType, Refusal> {
        Ok(match self.standard_type(data_type) {
            ColumnType::Custom(name) => match name.as_str() {
                "serial" | "serial4" => DeclaredType::Serial(ColumnType::Integer),
                "bigserial" | "serial8" => DeclaredType::Serial(ColumnType::BigInt),
                "smallserial" | "serial2" => DeclaredType::Serial(ColumnType::SmallInt),
                _ => DeclaredType::Plain(ColumnType::Custom(name)),
            },
            other => DeclaredType::Plain(other),
        })
    }

    fn portable_call(&self, name: &str, args: &FunctionArguments) -> Option<PortableExpr> {
        // `now()` is the same function as `CURRENT_TIMESTAMP` on PostgreSQL, spelled apart in
        // its catalog: it is kept so.
        match (name, args) {
            ("now", FunctionArguments::List(list)) if list.args.is_empty() => Some(PortableExpr::Now),
            _ => None,
        }
    }
}
