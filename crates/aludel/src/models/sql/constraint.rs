//! Keys, constraints and inline indexes of a `schema.sql`: primary keys, unique
//! constraints, foreign keys (checked against the whole file in `finish`), checks, and the
//! indexes a backend declares inside `CREATE TABLE`.

use sqlparser::ast::{
    CheckConstraint, Expr, ForeignKeyConstraint, Ident, IndexColumn, NullsDistinctOption, OrderBySort,
    PrimaryKeyConstraint, ReferentialAction as SqlAction, TableConstraint, UniqueConstraint,
};

use crate::models::ModelError;
use crate::models::sql::{Builder, Here, PendingForeignKey, unwrap_nested};
use crate::schema::{Constraint, Index, IndexKey, KeyOptions, References, ReferentialAction, Table};

impl Builder<'_> {
    pub(super) fn check_primary_key_options(&self, key: &PrimaryKeyConstraint, here: &Here) -> Result<(), ModelError> {
        if key.index_name.is_some()
            || key.index_type.is_some()
            || !key.include.is_empty()
            || !key.index_options.is_empty()
            || key.characteristics.is_some()
        {
            return Err(self.unsupported(here, "a primary key option", "write PRIMARY KEY (columns) only"));
        }
        Ok(())
    }

    pub(super) fn check_unique_options(&self, unique: &UniqueConstraint, here: &Here) -> Result<(), ModelError> {
        // MySQL's `UNIQUE KEY name (...)` names the key that way.
        if (unique.index_name.is_some() && !self.hooks.unique_key_names())
            || unique.index_type.is_some()
            || !unique.include.is_empty()
            || !unique.index_options.is_empty()
            || unique.characteristics.is_some()
            || unique.nulls_distinct != NullsDistinctOption::None
        {
            return Err(self.unsupported(here, "a unique constraint option", "write UNIQUE (columns) only"));
        }
        Ok(())
    }

    pub(super) fn set_primary_key(
        &self,
        table: &mut Table,
        columns: Vec<String>,
        name: Option<String>,
        here: &Here,
    ) -> Result<(), ModelError> {
        if !table.primary_key.is_empty() {
            return Err(self.invalid(here, format!("table `{}` has two primary keys; keep one", table.name)));
        }
        table.primary_key = columns;
        table.primary_key_name = name;
        Ok(())
    }

    /// Plain column names of a constraint's column list.
    pub(super) fn column_list(
        &self,
        columns: &[IndexColumn],
        what: &str,
        here: &Here,
    ) -> Result<Vec<String>, ModelError> {
        columns
            .iter()
            .map(|column| match (&column.column.expr, &column.operator_class, &column.column.options.sort) {
                (Expr::Identifier(ident), None, None) if column.column.options.nulls_first.is_none() => {
                    Ok(self.ident(ident))
                }
                _ => Err(self.unsupported(here, format!("the {what} key `{column}`"), "list plain column names")),
            })
            .collect()
    }

    pub(super) fn foreign_key(
        &mut self,
        table: &mut Table,
        key: &ForeignKeyConstraint,
        columns: Vec<String>,
        name: Option<String>,
        here: &Here,
    ) -> Result<(), ModelError> {
        if key.index_name.is_some() || key.match_kind.is_some() || key.characteristics.is_some() {
            return Err(self.unsupported(
                here,
                "a foreign key option (MATCH, DEFERRABLE, ...)",
                "write REFERENCES t (columns) [ON DELETE action] [ON UPDATE action]",
            ));
        }
        let action = |action: &Option<SqlAction>| {
            action.map(|action| match action {
                SqlAction::Restrict => ReferentialAction::Restrict,
                SqlAction::Cascade => ReferentialAction::Cascade,
                SqlAction::SetNull => ReferentialAction::SetNull,
                SqlAction::NoAction => ReferentialAction::NoAction,
                SqlAction::SetDefault => ReferentialAction::SetDefault,
            })
        };
        let references = References {
            table: self.object_name(&key.foreign_table, here)?,
            columns: key.referred_columns.iter().map(|c| self.ident(c)).collect(),
        };
        self.foreign_keys.push(PendingForeignKey {
            table: table.name.clone(),
            position: table.constraints.len(),
            line: here.line,
            excerpt: here.excerpt.clone(),
        });
        table.constraints.push(Constraint::ForeignKey {
            name,
            columns,
            references,
            on_delete: action(&key.on_delete),
            on_update: action(&key.on_update),
        });
        Ok(())
    }

    pub(super) fn check(
        &self,
        check: &CheckConstraint,
        name: Option<String>,
        here: &Here,
    ) -> Result<Constraint, ModelError> {
        if check.no_inherit || check.enforced.is_some() {
            return Err(self.unsupported(here, "a check option (NO INHERIT, ENFORCED)", "write CHECK (expr) only"));
        }
        Ok(Constraint::Check { name, expr: self.expression(&check.expr) })
    }

    pub(super) fn table_constraint(
        &mut self,
        table: &mut Table,
        constraint: &TableConstraint,
        here: &Here,
    ) -> Result<(), ModelError> {
        let name = |n: &Option<Ident>| n.as_ref().map(|n| self.ident(n));
        if let Some(index) = self.hooks.inline_index(constraint) {
            let index = index.map_err(|r| self.refused(here, r))?;
            let name = index.name.map(|n| self.ident(n));
            return self.inline_index(table, name, index.keys, index.method, here);
        }
        match constraint {
            TableConstraint::PrimaryKey(key) => {
                self.check_primary_key_options(key, here)?;
                let columns = self.column_list(&key.columns, "primary key", here)?;
                self.set_primary_key(table, columns, name(&key.name), here)
            }
            TableConstraint::Unique(unique) => {
                self.check_unique_options(unique, here)?;
                let columns = self.column_list(&unique.columns, "unique", here)?;
                let constraint_name = name(&unique.name).or_else(|| name(&unique.index_name));
                table.constraints.push(Constraint::Unique { name: constraint_name, columns });
                Ok(())
            }
            TableConstraint::ForeignKey(key) => {
                let columns = key.columns.iter().map(|c| self.ident(c)).collect();
                let constraint_name = name(&key.name);
                self.foreign_key(table, key, columns, constraint_name, here)
            }
            TableConstraint::Check(check) => {
                let constraint = self.check(check, name(&check.name), here)?;
                table.constraints.push(constraint);
                Ok(())
            }
            other => Err(self.unsupported(
                here,
                format!("the table constraint `{other}`"),
                "tables take PRIMARY KEY, UNIQUE, FOREIGN KEY and CHECK constraints; write indexes as CREATE INDEX",
            )),
        }
    }

    /// An index declared inside `CREATE TABLE`; without a name it is named as the backend
    /// names it.
    pub(super) fn inline_index(
        &mut self,
        table: &Table,
        name: Option<String>,
        keys: &[IndexColumn],
        method: Option<String>,
        here: &Here,
    ) -> Result<(), ModelError> {
        let (columns, key_options) = self.index_keys(keys, here)?;
        let name = match name.or_else(|| self.hooks.unnamed_index(&columns)) {
            Some(name) => name,
            None => return Err(self.invalid(here, "the index has no name; name it, e.g. `ix_<table>_<column>`")),
        };
        if self.schema.indexes.contains_key(&name) {
            return Err(self.invalid(here, format!("index `{name}` is created twice; keep one")));
        }
        let index = Index {
            name: name.clone(),
            table: table.name.clone(),
            columns,
            unique: false,
            predicate: None,
            method,
            key_options,
            include: Vec::new(),
        };
        self.schema.indexes.insert(name, index);
        Ok(())
    }

    /// An index's keys: columns or expressions, and each key's order and operator class
    /// ([`KeyOptions::canonical`]).
    pub(super) fn index_keys(
        &self,
        keys: &[IndexColumn],
        here: &Here,
    ) -> Result<(Vec<IndexKey>, Vec<KeyOptions>), ModelError> {
        let mut columns = Vec::with_capacity(keys.len());
        let mut options = Vec::with_capacity(keys.len());
        for key in keys {
            let order = &key.column;
            let desc = match &order.options.sort {
                None | Some(OrderBySort::Asc) => false,
                Some(OrderBySort::Desc) => true,
                Some(OrderBySort::Using(_)) => {
                    return Err(self.unsupported(
                        here,
                        format!("the index key `{key}` (an order by operator)"),
                        "index keys are ordered ASC or DESC",
                    ));
                }
            };
            if order.with_fill.is_some() {
                return Err(self.unsupported(here, format!("the index key `{key}`"), "WITH FILL is ClickHouse's"));
            }
            // A qualified operator class is named by its last part, as the catalog shows it.
            let opclass = key.operator_class.as_ref().and_then(|name| name.0.last()).and_then(|part| part.as_ident());
            options.push(KeyOptions::new(opclass.map(|ident| self.ident(ident)), desc, order.options.nulls_first));
            columns.push(match unwrap_nested(&order.expr) {
                Expr::Identifier(ident) => IndexKey::Column(self.ident(ident)),
                expr => IndexKey::Expr { expr: self.expression(expr) },
            });
        }
        Ok((columns, KeyOptions::canonical(options)))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::dialect::Backend;
    use crate::models::sql::tests::check;

    #[test]
    fn constraints_inline_and_on_the_table() {
        check(
            Backend::Postgres,
            "CREATE TABLE a (id int CONSTRAINT a_pk PRIMARY KEY);
             CREATE TABLE t (
                 id int,
                 a_id int NOT NULL CONSTRAINT t_a_fk REFERENCES a (id) ON DELETE CASCADE ON UPDATE SET NULL,
                 b_id int REFERENCES a,
                 code text CONSTRAINT t_code_key UNIQUE CHECK (code <> ''),
                 n int NULL,
                 CONSTRAINT t_pk PRIMARY KEY (id, a_id),
                 UNIQUE (code, n),
                 CONSTRAINT t_n_check CHECK (n > 0),
                 FOREIGN KEY (n) REFERENCES a (id) ON DELETE RESTRICT
             );",
            Ok(json!({ "tables": [
                { "table": "a", "columns": [{ "name": "id", "type": "integer", "nullable": false }],
                  "primary_key": ["id"], "primary_key_name": "a_pk" },
                { "table": "t", "columns": [
                    { "name": "id", "type": "integer", "nullable": false },
                    { "name": "a_id", "type": "integer", "nullable": false },
                    { "name": "b_id", "type": "integer", "nullable": true },
                    { "name": "code", "type": "text", "nullable": true },
                    { "name": "n", "type": "integer", "nullable": true },
                  ],
                  "primary_key": ["id", "a_id"], "primary_key_name": "t_pk",
                  "constraints": [
                    { "kind": "foreign_key", "name": "t_a_fk", "columns": ["a_id"],
                      "references": { "table": "a", "columns": ["id"] }, "on_delete": "cascade", "on_update": "set_null" },
                    { "kind": "foreign_key", "columns": ["b_id"], "references": { "table": "a", "columns": ["id"] } },
                    { "kind": "unique", "name": "t_code_key", "columns": ["code"] },
                    { "kind": "check", "expr": "code <> ''" },
                    { "kind": "unique", "columns": ["code", "n"] },
                    { "kind": "check", "name": "t_n_check", "expr": "n > 0" },
                    { "kind": "foreign_key", "columns": ["n"], "references": { "table": "a", "columns": ["id"] },
                      "on_delete": "restrict" },
                  ] },
            ], "indexes": [], "enums": [] })),
        );
    }

    #[test]
    fn mysql_tables_hold_keys_inline_enums_comments_and_options() {
        check(
            Backend::MySql,
            "CREATE TABLE `Things` (
                 id BIGINT NOT NULL AUTO_INCREMENT COMMENT 'the key',
                 mood ENUM('sad', 'ok') NOT NULL DEFAULT 'ok',
                 body TEXT,
                 at DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
                 active TINYINT(1) DEFAULT '1',
                 price DECIMAL(8,2) DEFAULT '0.00',
                 PRIMARY KEY (id),
                 UNIQUE KEY things_mood_key (mood),
                 KEY (body(100)),
                 FULLTEXT KEY ft_things_body (body)
             ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='things';",
            Ok(json!({
                "tables": [{ "table": "Things", "comment": "things", "columns": [
                    { "name": "id", "type": "bigint", "nullable": false, "identity": true, "comment": "the key" },
                    { "name": "mood", "type": "enum:Things_mood", "nullable": false, "default": { "value": "ok" } },
                    { "name": "body", "type": "text", "nullable": true },
                    { "name": "at", "type": "timestamp", "nullable": true, "default": { "expr": "current_timestamp" },
                      "on_update": { "expr": "current_timestamp" } },
                    { "name": "active", "type": "boolean", "nullable": true, "default": { "value": true } },
                    { "name": "price", "type": "numeric(8,2)", "nullable": true, "default": { "value": 0 } },
                ], "primary_key": ["id"], "constraints": [
                    { "kind": "unique", "name": "things_mood_key", "columns": ["mood"] },
                ] }],
                "indexes": [
                    { "name": "body", "table": "Things", "columns": [{ "expr": "body(100)" }] },
                    { "name": "ft_things_body", "table": "Things", "columns": ["body"], "method": "fulltext" },
                ],
                "enums": [{ "name": "Things_mood", "values": ["sad", "ok"] }],
            })),
        );
    }
}
