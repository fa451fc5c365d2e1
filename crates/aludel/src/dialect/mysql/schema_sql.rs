//! How a `schema.sql` written for MySQL or MariaDB reads: names are kept as written
//! (backquoted or not), there is no default schema to drop (the connection names the
//! database), primary key columns are `NOT NULL`, and types read as `types` reads them back
//! from the catalog. Beyond what every backend has:
//! - `AUTO_INCREMENT` is an identity column; `ON UPDATE CURRENT_TIMESTAMP` (at any precision)
//!   the column's `on_update`; `COMMENT '...'` on columns, and `COMMENT = '...'` among the
//!   table options, which are otherwise accepted and ignored (`ENGINE`, `CHARSET`, ...);
//! - an inline `ENUM('a','b')` is an enum of the file (the reader names it);
//! - `KEY` / `INDEX` / `FULLTEXT KEY` / `SPATIAL KEY` inside `CREATE TABLE` are indexes, named
//!   after their first column when they have no name, as MySQL names them; `UNIQUE KEY name`
//!   names the unique constraint;
//! - `CHARACTER SET` goes with a `COLLATE`, which implies it;
//! - the SQL inside conditional comments (`/*!40101 ... */`) is read, as MySQL runs it;
//! - `LOCK TABLES` and `UNLOCK TABLES`, which mysqldump writes around rows, set up a session;
//! - a quoted number on a numeric or boolean column (`DEFAULT '0.00'`, as mysqldump writes
//!   every default) is that number, which is what MySQL stores; `NOW()`, `CURDATE()`,
//!   `CURTIME()` and `LOCALTIMESTAMP` are the portable expressions, with a precision or not.

use sqlparser::ast::{
    ColumnOption, CommentDef, CreateTableOptions, DataType, EnumMember, Expr, FunctionArg, FunctionArgExpr,
    FunctionArguments, SqlOption, TableConstraint,
};
use sqlparser::dialect::{Dialect as ParserDialect, MySqlDialect};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

use crate::dialect::common::expressions::replace_quoted;
use crate::dialect::common::quote_ident_ansi;
use crate::dialect::mysql::types::read_declared_type;
use crate::dialect::schema_sql::{
    ColumnOptionReading, ColumnSite, DeclaredType, DroppedObject, InlineIndex, Refusal, SchemaSqlDialect,
};
use crate::schema::{ColumnType, DefaultValue, IndexKey, Literal, PortableExpr};

/// MySQL's schema.sql hooks.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct MySqlSchemaSql;

impl SchemaSqlDialect for MySqlSchemaSql {
    /// MySQL's `"text"` is a string, and `` `name` `` a name.
    fn standard_quoting(&self, text: String) -> String {
        if !text.contains(['"', '`']) {
            return text;
        }
        replace_quoted(&text, true, |quote, whole, inside| match quote {
            b'"' => format!("'{}'", inside.replace("\"\"", "\"").replace('\'', "''")),
            b'`' => quote_ident_ansi(&inside.replace("``", "`")),
            _ => whole.to_owned(),
        })
    }

    fn parser(&self) -> &'static dyn ParserDialect {
        &MySqlDialect {}
    }

    fn default_schema(&self) -> Option<&'static str> {
        // The database is whatever the connection names: no qualifier is the default.
        None
    }

    fn primary_key_not_null(&self) -> bool {
        true
    }

    fn column_type(&self, data_type: &DataType) -> Result<DeclaredType, Refusal> {
        let DataType::Enum(members, _) = data_type else {
            return Ok(DeclaredType::Plain(read_declared_type(&data_type.to_string())));
        };
        let mut values = Vec::with_capacity(members.len());
        for member in members {
            match member {
                EnumMember::Name(value) => values.push(value.clone()),
                EnumMember::NamedValue(value, _) => {
                    return Err(Refusal::new(
                        format!("the enum value `{value}` with a number"),
                        "list the values as strings",
                    ));
                }
            }
        }
        Ok(DeclaredType::InlineEnum(values))
    }

    fn collation(&self, name: String) -> String {
        // Collation names ignore case; the catalog prints them lower case.
        name.to_ascii_lowercase()
    }

    fn column_option(
        &self,
        option: &ColumnOption,
        site: &ColumnSite<'_>,
    ) -> Option<Result<ColumnOptionReading, Refusal>> {
        let column = site.name;
        Some(match option {
            ColumnOption::DialectSpecific(tokens) if matches!(tokens.as_slice(), [Token::Word(w)] if w.keyword == Keyword::AUTO_INCREMENT) => {
                Ok(ColumnOptionReading::Identity)
            }
            // The collation says the character set; a character set alone is refused.
            ColumnOption::CharacterSet(_)
                if site.def.options.iter().any(|o| matches!(o.option, ColumnOption::Collation(_))) =>
            {
                Ok(ColumnOptionReading::Nothing)
            }
            ColumnOption::CharacterSet(set) => Err(Refusal::new(
                format!("`CHARACTER SET {set}` without COLLATE on `{column}`"),
                "write the collation too (`CHARACTER SET latin1 COLLATE latin1_swedish_ci`): it implies the \
                 character set",
            )),
            // MariaDB's JSON, as its dump writes it: `LONGTEXT ... CHECK (json_valid(col))`.
            ColumnOption::Check(check)
                if is_json_valid_of(&check.expr, column) && is_long_text(&site.def.data_type) =>
            {
                Ok(ColumnOptionReading::JsonText)
            }
            ColumnOption::OnUpdate(expr) => match (site.read_default)(expr) {
                Some(value @ DefaultValue::Expr(PortableExpr::CurrentTimestamp)) => {
                    Ok(ColumnOptionReading::OnUpdate(value))
                }
                _ => Err(Refusal::new(
                    format!("`ON UPDATE {expr}` on `{column}`"),
                    "MySQL updates a column only to the current time: write ON UPDATE CURRENT_TIMESTAMP",
                )),
            },
            _ => return None,
        })
    }

    fn portable_call(&self, name: &str, args: &FunctionArguments) -> Option<PortableExpr> {
        // The standard's functions with a precision (the column's), and their other names.
        let FunctionArguments::List(list) = args else { return None };
        if list.args.len() > 1 {
            return None;
        }
        match name {
            "current_timestamp" | "now" | "localtimestamp" => Some(PortableExpr::CurrentTimestamp),
            "current_date" | "curdate" if list.args.is_empty() => Some(PortableExpr::CurrentDate),
            "current_time" | "curtime" => Some(PortableExpr::CurrentTime),
            _ => None,
        }
    }

    fn literal_default(&self, literal: Literal, ty: &ColumnType) -> Literal {
        let Literal::String(text) = &literal else { return literal };
        let numeric = matches!(
            ty,
            ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt | ColumnType::Real | ColumnType::Double
        ) || matches!(ty, ColumnType::Numeric(_));
        if !(numeric || *ty == ColumnType::Boolean) {
            return literal;
        }
        match (ty, text.trim()) {
            (ColumnType::Boolean, "0" | "1") => Literal::Bool(text.trim() == "1"),
            (_, number) => match (number.parse::<i64>(), number.parse::<f64>()) {
                (Ok(int), _) => Literal::Int(int),
                // `'0.00'` is the whole number 0 (MySQL prints a decimal's scale).
                (_, Ok(float)) if float.is_finite() && float.fract() == 0.0 && float.abs() < 9.0e15 => {
                    Literal::Int(float as i64)
                }
                (_, Ok(float)) if float.is_finite() => Literal::Float(float),
                _ => literal,
            },
        }
    }

    fn table_options(&self, options: &CreateTableOptions) -> Option<Option<String>> {
        // ENGINE, CHARSET, COLLATE, AUTO_INCREMENT, ...: storage, not schema.
        let CreateTableOptions::Plain(options) = options else { return None };
        Some(options.iter().rev().find_map(|option| match option {
            SqlOption::Comment(CommentDef::WithEq(text) | CommentDef::WithoutEq(text)) => Some(text.clone()),
            _ => None,
        }))
    }

    fn unique_key_names(&self) -> bool {
        true
    }

    fn inline_index<'c>(&self, constraint: &'c TableConstraint) -> Option<Result<InlineIndex<'c>, Refusal>> {
        Some(match constraint {
            TableConstraint::Index(index) if !index.index_options.is_empty() => {
                Err(Refusal::new("an index option", "write KEY name (columns) [USING method]"))
            }
            TableConstraint::Index(index) => Ok(InlineIndex {
                name: index.name.as_ref(),
                keys: &index.columns,
                method: index.index_type.as_ref().map(|using| using.to_string().to_lowercase()),
            }),
            TableConstraint::FulltextOrSpatial(index) => Ok(InlineIndex {
                name: index.opt_index_name.as_ref(),
                keys: &index.columns,
                method: Some(if index.fulltext { "fulltext" } else { "spatial" }.to_owned()),
            }),
            _ => return None,
        })
    }

    fn unnamed_index(&self, keys: &[IndexKey]) -> Option<String> {
        // MySQL names the index after its first column; a prefix key `col(10)` after `col`.
        match keys.first()? {
            IndexKey::Column(first) => Some(first.clone()),
            IndexKey::Expr { expr } => expr
                .split_once('(')
                .map(|(name, _)| name.trim().trim_matches('`').to_owned())
                .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_')),
        }
    }

    fn drop_object(&self, object: &DroppedObject<'_>) -> Option<String> {
        match (object.kind, object.table) {
            ("foreign key", Some(table)) => Some(format!("ALTER TABLE {table} DROP FOREIGN KEY {}", object.name)),
            ("view" | "function" | "procedure" | "trigger" | "table" | "event", _) => {
                Some(format!("DROP {} {}", object.kind.to_ascii_uppercase(), object.name))
            }
            _ => None,
        }
    }

    fn conditional_comments(&self) -> bool {
        true
    }

    fn session_statement(&self, head: &[&str]) -> bool {
        // mysqldump's `--add-locks` around a table's rows.
        matches!(head, ["LOCK", "TABLES", ..] | ["UNLOCK", "TABLES", ..])
    }
}

/// Whether `expr` is `json_valid(column)`.
fn is_json_valid_of(expr: &Expr, column: &str) -> bool {
    let Expr::Function(function) = expr else { return false };
    let FunctionArguments::List(list) = &function.args else { return false };
    let named = function.name.to_string().eq_ignore_ascii_case("json_valid");
    let argument = match list.args.as_slice() {
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Identifier(ident)))] => Some(ident),
        _ => None,
    };
    named && argument.is_some_and(|ident| ident.value.eq_ignore_ascii_case(column))
}

/// Whether a declared type is `LONGTEXT`, the type MariaDB keeps JSON as.
fn is_long_text(data_type: &DataType) -> bool {
    match data_type {
        DataType::LongText => true,
        DataType::Custom(name, modifiers) => modifiers.is_empty() && name.to_string().eq_ignore_ascii_case("longtext"),
        _ => false,
    }
}
