//! Models normalized as SQLite stores them ([`normalize`]): what introspection returns once
//! the models' tables are migrated in with the SQLite dialect, so that the diff compares
//! with `==`. SQLite keeps the text of every definition as the renderer wrote it, so this
//! needs no round trip. What SQLite cannot hold, and how it comes back:
//! - comments are not stored;
//! - enum types do not exist: an `enum:<name>` column is `TEXT` with a CHECK named
//!   `aludel_enum_<name>` that lists the values, and comes back as the enum column with the
//!   enum and those values; an enum no column uses is not stored at all;
//! - an identity column is `INTEGER PRIMARY KEY AUTOINCREMENT`: it comes back as a non-null
//!   `integer` whatever integer type the model gave it;
//! - a primary key declared among the constraints comes back as the table's `primary_key`;
//! - a foreign key action `no_action` is SQLite's default and comes back absent; an index
//!   `method` (only b-trees exist) comes back absent;
//! - types come back as `types` reads back their spelling, collations in upper case, and
//!   expressions as `text::expression` spells them.

use crate::dialect::common::normalize::{PostgresSpellings, fold_keys, unspelled};
use crate::dialect::sqlite::text::{Kind, Tokens, expression, unqualified, unquote};
use crate::dialect::sqlite::types::{column_type, read_type};
use crate::schema::{ColumnType, Constraint, DefaultValue, Index, IndexKey, Literal, ReferentialAction, Schema, Table};

/// Normalizes a model as SQLite stores it: what introspection returns once the model's
/// tables are migrated in with the SQLite dialect (see the module documentation for what
/// SQLite cannot hold). The diff compares a model normalized so with the database.
pub fn normalize(model: &Schema) -> Schema {
    let mut stored = Schema::default();
    for table in model.tables.values() {
        let mut columns = Vec::with_capacity(table.columns.len());
        for column in &table.columns {
            let mut column = unspelled(column.clone(), PostgresSpellings::Unread);
            column.comment = None;
            column.collation = column.collation.map(|name| name.to_ascii_uppercase());
            if let ColumnType::Enum(name) = &column.ty {
                // The renderer's named CHECK lists the values the enum has in the model; an
                // enum no column uses is nowhere in the database.
                if let Some(known) = model.enums.get(name) {
                    stored.enums.insert(name.clone(), known.clone());
                }
            } else if column.identity {
                column.ty = ColumnType::Integer;
                column.nullable = false;
            } else if let Ok(spelled) = column_type(&column.ty) {
                column.ty = read_type(&spelled);
            }
            // `DEFAULT NULL` is no default: SQLite does not keep it apart from none.
            column.default.take_if(|d| matches!(d, DefaultValue::Sql(sql) if sql.trim().eq_ignore_ascii_case("null")));
            column.default = column.default.take().map(|default| match default {
                DefaultValue::Value(Literal::Bool(value)) if column.ty != ColumnType::Boolean => {
                    DefaultValue::Value(Literal::Int(i64::from(value)))
                }
                DefaultValue::Value(Literal::Int(value @ (0 | 1))) if column.ty == ColumnType::Boolean => {
                    DefaultValue::Value(Literal::Bool(value == 1))
                }
                DefaultValue::Sql(sql) => DefaultValue::Sql(sql.trim().to_owned()),
                // SQLite keeps a number's text, and introspection reads it as written.
                DefaultValue::Number(text) => DefaultValue::Number(text.trim().to_owned()),
                other => other,
            });
            if let Some(generated) = &mut column.generated {
                generated.expr = generated.expr.trim().to_owned();
            }
            columns.push(column);
        }
        let keys = fold_keys(table, &[ReferentialAction::NoAction]);
        let constraints = keys
            .constraints
            .into_iter()
            .map(|constraint| match constraint {
                Constraint::Check { name, expr } => Constraint::Check { name, expr: expr.trim().to_owned() },
                other => other,
            })
            .collect();
        let normalized = Table {
            name: table.name.clone(),
            columns,
            primary_key: keys.primary_key,
            primary_key_name: keys.primary_key_name,
            constraints,
            comment: None,
        };
        stored.tables.insert(normalized.name.clone(), normalized);
    }
    for index in model.indexes.values() {
        let table = model.tables.get(&index.table);
        let columns = index
            .columns
            .iter()
            .map(|key| match key {
                IndexKey::Column(_) => key.clone(),
                // SQLite indexes an expression that only names a column as that column.
                IndexKey::Expr { expr } => match Tokens::new(expr) {
                    Ok(tokens)
                        if tokens.tokens.len() == 1 && matches!(tokens.tokens[0].kind, Kind::Word | Kind::Quoted) =>
                    {
                        let name = unquote(tokens.text(0));
                        match table.and_then(|t| t.columns.iter().find(|c| c.name.eq_ignore_ascii_case(&name))) {
                            Some(column) => IndexKey::Column(column.name.clone()),
                            None => IndexKey::Expr { expr: expr.trim().to_owned() },
                        }
                    }
                    _ => IndexKey::Expr { expr: expr.trim().to_owned() },
                },
            })
            .collect();
        let normalized = Index {
            name: index.name.clone(),
            table: index.table.clone(),
            columns,
            unique: index.unique,
            predicate: index.predicate.as_ref().map(|p| p.trim().to_owned()),
            method: None,
            key_options: index.key_options.clone(),
            include: index.include.clone(),
        };
        stored.indexes.insert(normalized.name.clone(), normalized);
    }
    canonical_expressions(&mut stored);
    stored
}
/// Spells every expression of `schema` (checks, generated columns, index keys and predicates,
/// raw defaults) as [`expression`] does, so that quoting SQLite adds (when it renames a
/// column, say) compares equal; a check or generated column reads its columns without its
/// table's name ([`unqualified`]), as a rebuilt table holds them.
pub(super) fn canonical_expressions(schema: &mut Schema) {
    for table in schema.tables.values_mut() {
        for column in &mut table.columns {
            if let Some(generated) = &mut column.generated {
                generated.expr = expression(&unqualified(&generated.expr));
            }
            if let Some(DefaultValue::Sql(sql)) = &mut column.default {
                *sql = expression(sql);
            }
        }
        for constraint in &mut table.constraints {
            if let Constraint::Check { expr, .. } = constraint {
                *expr = expression(&unqualified(expr));
            }
        }
    }
    for index in schema.indexes.values_mut() {
        for key in &mut index.columns {
            if let IndexKey::Expr { expr } = key {
                *expr = expression(expr);
            }
        }
        if let Some(predicate) = &mut index.predicate {
            *predicate = expression(predicate);
        }
    }
}
