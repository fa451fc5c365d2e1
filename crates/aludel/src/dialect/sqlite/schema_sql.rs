//! How a `schema.sql` written for SQLite reads: names are kept as written, `main.` is the
//! default schema, primary key columns stay as declared (SQLite does not make them
//! `NOT NULL`), collations are upper case, and `AUTOINCREMENT` makes the primary key column
//! an identity column. Tables named `sqlite_...` are SQLite's own (`sqlite_sequence`, which
//! `.schema` lists) and are left out.

use sqlparser::ast::ColumnOption;
use sqlparser::dialect::{Dialect as ParserDialect, SQLiteDialect};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

use crate::dialect::schema_sql::{ColumnOptionReading, ColumnSite, Refusal, SchemaSqlDialect};

/// SQLite's schema.sql hooks.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SqliteSchemaSql;

impl SchemaSqlDialect for SqliteSchemaSql {
    fn parser(&self) -> &'static dyn ParserDialect {
        &SQLiteDialect {}
    }

    fn default_schema(&self) -> Option<&'static str> {
        Some("main")
    }

    fn primary_key_not_null(&self) -> bool {
        false
    }

    fn collation(&self, name: String) -> String {
        // Collation names ignore case; SQLite's are spelled upper case.
        name.to_ascii_uppercase()
    }

    fn column_option(
        &self,
        option: &ColumnOption,
        _site: &ColumnSite<'_>,
    ) -> Option<Result<ColumnOptionReading, Refusal>> {
        match option {
            ColumnOption::DialectSpecific(tokens) if matches!(tokens.as_slice(), [Token::Word(w)] if w.keyword == Keyword::AUTOINCREMENT) => {
                Some(Ok(ColumnOptionReading::KeyIdentity))
            }
            _ => None,
        }
    }

    fn internal_table(&self, name: &str) -> bool {
        // `sqlite_sequence` and the like: SQLite makes them, `.schema` lists them.
        name.to_ascii_lowercase().starts_with("sqlite_")
    }
}
