//! How a `schema.sql` written for PostgreSQL reads: unquoted names fold to lower case,
//! `public.` is the default schema, primary key columns are `NOT NULL`, `serial` types are
//! identity columns of their integer type (`serial = true`), and `now()` is the portable `now`.
//! In a `pg_dump`: `SELECT pg_catalog.set_config(...)` sets up the session; a column default
//! `nextval('seq'::regclass)` names the sequence a `serial` column owns; a routine carried as
//! written is created with its body unchecked, as `pg_dump` creates it (its body may use
//! tables created after it); triggers and policies are dropped `ON` their table.

use sqlparser::ast::{DataType, FunctionArguments, Ident};
use sqlparser::dialect::{Dialect as ParserDialect, PostgreSqlDialect};

use crate::dialect::schema_sql::{DeclaredType, DroppedObject, Refusal, SchemaSqlDialect};
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

    fn session_statement(&self, head: &[&str]) -> bool {
        matches!(head, ["SELECT", "PG_CATALOG", ".", "SET_CONFIG" | "SETVAL", ..])
    }

    fn verbatim_sql(&self, kind: &str, sql: &str) -> String {
        match kind {
            // pg_dump creates routines before the tables their bodies read, with the check off.
            "function" | "procedure" => format!("SET LOCAL check_function_bodies = false;\n{sql}"),
            _ => sql.to_owned(),
        }
    }

    fn drop_object(&self, object: &DroppedObject<'_>) -> Option<String> {
        let DroppedObject { kind, name, arguments, table } = *object;
        Some(match (kind, table) {
            ("trigger" | "policy" | "rule", Some(table)) => format!("DROP {} {name} ON {table}", kind.to_uppercase()),
            ("trigger" | "policy" | "rule", None) => return None,
            ("foreign key", Some(table)) => format!("ALTER TABLE {table} DROP CONSTRAINT {name}"),
            ("aggregate", _) => format!("DROP AGGREGATE {name}{}", arguments?),
            // An argument list with defaults is not a signature; the name alone is, when unique.
            ("function" | "procedure", _) => match arguments {
                Some(arguments) if !arguments.to_ascii_uppercase().contains("DEFAULT") && !arguments.contains('=') => {
                    format!("DROP {} {name}{arguments}", kind.to_uppercase())
                }
                _ => format!("DROP {} {name}", kind.to_uppercase()),
            },
            ("materialized view", _) => format!("DROP MATERIALIZED VIEW {name}"),
            ("view" | "sequence" | "table" | "domain" | "type" | "schema" | "extension", _) => {
                format!("DROP {} {name}", kind.to_uppercase())
            }
            _ => return None,
        })
    }

    fn sequence_of_default(&self, default: &str) -> Option<String> {
        let lower = default.to_ascii_lowercase();
        if !(lower.starts_with("nextval('") && lower.ends_with("'::regclass)")) {
            return None;
        }
        let name = &default["nextval('".len()..default.len() - "'::regclass)".len()];
        let name = name.strip_prefix("public.").unwrap_or(name);
        match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
            Some(quoted) => Some(quoted.replace("\"\"", "\"")),
            None => Some(name.to_lowercase()),
        }
    }
}
