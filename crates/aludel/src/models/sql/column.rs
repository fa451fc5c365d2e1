//! Columns of a `schema.sql`: a column definition with its inline options, its type as the
//! backend reads it (an inline enum becomes an enum of the file), and its default.

use sqlparser::ast::{
    ColumnDef, ColumnOption, DataType, Expr, FunctionArguments, GeneratedAs, GeneratedExpressionMode, UnaryOperator,
    Value,
};

use crate::dialect::schema_sql::{ColumnOptionReading, ColumnSite, DeclaredType};
use crate::models::ModelError;
use crate::models::sql::{Builder, Here, unwrap_nested};
use crate::naming;
use crate::schema::{
    Column, ColumnType, Constraint, DefaultValue, EnumType, Generated, Literal, PortableExpr, Table, spelled_as_value,
};

impl Builder<'_> {
    /// Maps a column definition and its inline constraints onto `table`.
    pub(super) fn column(&mut self, table: &mut Table, def: &ColumnDef, here: &Here) -> Result<(), ModelError> {
        let name = self.ident(&def.name);
        if table.column(&name).is_some() {
            return Err(self.invalid(here, format!("column `{}.{name}` is declared twice", table.name)));
        }
        let (ty, serial) = match self.hooks.column_type(&def.data_type).map_err(|r| self.refused(here, r))? {
            DeclaredType::Plain(ty) => (ty, false),
            DeclaredType::Serial(ty) => (ty, true),
            DeclaredType::InlineEnum(values) => (self.inline_enum(&table.name, &name, values, here)?, false),
        };
        self.name_lines.column(def.name.span.start.line, &table.name, &name);
        let mut column = Column::new(&name, ty);
        column.identity = serial;
        column.serial = serial;
        let mut autoincrement = false;
        let mut json_text = false;
        for option in &def.options {
            let constraint_name = option.name.as_ref().map(|n| self.ident(n));
            let ty = column.ty.clone();
            let read_default = |expr: &Expr| self.default_value(expr, &ty);
            let site = ColumnSite { name: &name, def, read_default: &read_default };
            if let Some(reading) = self.hooks.column_option(&option.option, &site) {
                match reading.map_err(|r| self.refused(here, r))? {
                    ColumnOptionReading::Identity => column.identity = true,
                    ColumnOptionReading::KeyIdentity => autoincrement = true,
                    ColumnOptionReading::OnUpdate(value) => column.on_update = Some(value),
                    ColumnOptionReading::JsonText => json_text = true,
                    ColumnOptionReading::Nothing => {}
                }
                continue;
            }
            match &option.option {
                ColumnOption::Null => column.nullable = true,
                ColumnOption::NotNull => column.nullable = false,
                ColumnOption::Default(expr) => column.default = self.default_value(expr, &column.ty),
                ColumnOption::PrimaryKey(key) => {
                    self.check_primary_key_options(key, here)?;
                    let constraint_name = constraint_name.or_else(|| key.name.as_ref().map(|n| self.ident(n)));
                    self.set_primary_key(table, vec![name.clone()], constraint_name, here)?;
                }
                ColumnOption::Unique(unique) => {
                    self.check_unique_options(unique, here)?;
                    let constraint_name = constraint_name.or_else(|| unique.name.as_ref().map(|n| self.ident(n)));
                    table.constraints.push(Constraint::Unique { name: constraint_name, columns: vec![name.clone()] });
                }
                ColumnOption::ForeignKey(key) => {
                    let constraint_name = constraint_name.or_else(|| key.name.as_ref().map(|n| self.ident(n)));
                    self.foreign_key(table, key, vec![name.clone()], constraint_name, here)?;
                }
                ColumnOption::Check(check) => {
                    let constraint_name = constraint_name.or_else(|| check.name.as_ref().map(|n| self.ident(n)));
                    let constraint = self.check(check, constraint_name, here)?;
                    table.constraints.push(constraint);
                }
                ColumnOption::Generated {
                    generated_as: generated_as @ (GeneratedAs::Always | GeneratedAs::ByDefault),
                    sequence_options,
                    generation_expr: None,
                    ..
                } => {
                    if sequence_options.as_ref().is_some_and(|o| !o.is_empty()) {
                        return Err(self.unsupported(
                            here,
                            format!("identity options on column `{name}`"),
                            "write `GENERATED ... AS IDENTITY` without options",
                        ));
                    }
                    column.identity = true;
                    column.identity_always = *generated_as == GeneratedAs::Always;
                }
                ColumnOption::Generated { generation_expr: Some(expr), generation_expr_mode, .. } => {
                    column.generated = Some(Generated {
                        expr: self.expression(expr),
                        stored: *generation_expr_mode == Some(GeneratedExpressionMode::Stored),
                    });
                }
                ColumnOption::Collation(collation) => {
                    let Some(last) = collation.0.last().and_then(|part| part.as_ident()) else {
                        return Err(self.invalid(here, format!("the collation of `{name}` has no name")));
                    };
                    // Case-insensitive names, spelled as the catalog prints them.
                    column.collation = Some(self.hooks.collation(self.ident(last)));
                }
                ColumnOption::Comment(text) => column.comment = Some(text.clone()),
                other => {
                    return Err(self.unsupported(
                        here,
                        format!("the column option `{other}` on `{name}`"),
                        "columns take NOT NULL, NULL, DEFAULT, PRIMARY KEY, UNIQUE, REFERENCES, CHECK, GENERATED, \
                         COLLATE, COMMENT, (SQLite) AUTOINCREMENT and (MySQL) AUTO_INCREMENT and ON UPDATE \
                         CURRENT_TIMESTAMP",
                    ));
                }
            }
        }
        if json_text {
            // The text type, its binary collation and its check are how the backend keeps JSON.
            column.ty = ColumnType::Json;
            column.collation = None;
        }
        if autoincrement {
            if table.primary_key != [name.clone()] {
                return Err(
                    self.invalid(here, format!("AUTOINCREMENT on `{name}` needs `{name}` to be the primary key"))
                );
            }
            column.identity = true;
        }
        if column.identity {
            // serial and identity columns are NOT NULL, whatever the file says.
            column.nullable = false;
        }
        table.columns.push(column);
        Ok(())
    }

    /// Maps a `DEFAULT` expression; `DEFAULT NULL` is no default.
    pub(super) fn default_value(&self, expr: &Expr, ty: &ColumnType) -> Option<DefaultValue> {
        let expr = unwrap_nested(expr);
        if let Some(text) = number_text(expr)
            && !spelled_as_value(&text)
        {
            return Some(DefaultValue::Number(text));
        }
        if let Some(literal) = literal(expr) {
            return literal.map(|literal| DefaultValue::Value(self.hooks.literal_default(literal, ty)));
        }
        let cast_to_own_type = |data_type: &DataType| {
            self.hooks.column_type(data_type).ok().and_then(DeclaredType::column_type).as_ref() == Some(ty)
        };
        match expr {
            Expr::Identifier(ident) if ident.quote_style.is_some() => {
                if let Some(literal) = self.hooks.quoted_identifier_default(ident) {
                    return Some(DefaultValue::Value(self.hooks.literal_default(literal, ty)));
                }
            }
            Expr::Cast { expr: inner, data_type, .. } if cast_to_own_type(data_type) => {
                if let Some(Some(Literal::String(text))) = literal(unwrap_nested(inner)) {
                    return Some(DefaultValue::Value(Literal::String(text)));
                }
            }
            Expr::Function(function) if function.name.0.len() == 1 => {
                let name = function.name.to_string().to_ascii_lowercase();
                let portable = match (&function.args, name.as_str()) {
                    (FunctionArguments::None, "current_timestamp") => Some(PortableExpr::CurrentTimestamp),
                    (FunctionArguments::None, "current_date") => Some(PortableExpr::CurrentDate),
                    (FunctionArguments::None, "current_time") => Some(PortableExpr::CurrentTime),
                    (args, name) => self.hooks.portable_call(name, args),
                };
                if let Some(portable) = portable {
                    return Some(DefaultValue::Expr(portable));
                }
            }
            _ => {}
        }
        Some(DefaultValue::Sql(self.hooks.standard_quoting(expr.to_string())))
    }

    /// An enum written inline in a column: an enum of the file, named by the convention.
    pub(super) fn inline_enum(
        &mut self,
        table: &str,
        column: &str,
        values: Vec<String>,
        here: &Here,
    ) -> Result<ColumnType, ModelError> {
        let name = naming::inline_enum_name(table, column);
        match self.schema.enums.get(&name) {
            Some(known) if known.values != values => {
                return Err(self.invalid(here, format!("enum `{name}` is declared twice with other values")));
            }
            Some(_) => {}
            None => {
                self.schema.enums.insert(name.clone(), EnumType { name: name.clone(), values });
            }
        }
        Ok(ColumnType::Enum(name))
    }
}

/// The text of a number literal, with its sign.
fn number_text(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Value(value) => match &value.value {
            Value::Number(text, _) => Some(text.clone()),
            _ => None,
        },
        Expr::UnaryOp { op: UnaryOperator::Minus, expr } => {
            number_text(unwrap_nested(expr)).map(|text| format!("-{text}"))
        }
        _ => None,
    }
}

/// A literal: `Some(None)` for NULL, `None` when `expr` is not a literal.
fn literal(expr: &Expr) -> Option<Option<Literal>> {
    let number = |text: &str, negative: bool| {
        let signed = if negative { format!("-{text}") } else { text.to_owned() };
        if let Ok(n) = signed.parse::<i64>() {
            return Some(Some(Literal::Int(n)));
        }
        signed.parse::<f64>().ok().map(|f| Some(Literal::Float(f)))
    };
    match expr {
        Expr::Value(value) => match &value.value {
            Value::Boolean(b) => Some(Some(Literal::Bool(*b))),
            Value::Number(text, _) => number(text, false),
            Value::SingleQuotedString(text) => Some(Some(Literal::String(text.clone()))),
            Value::Null => Some(None),
            _ => None,
        },
        Expr::UnaryOp { op: UnaryOperator::Minus, expr } => match unwrap_nested(expr) {
            Expr::Value(value) => match &value.value {
                Value::Number(text, _) => number(text, true),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::dialect::Backend;
    use crate::models::parse_schema_sql;
    use crate::models::sql::tests::{check, table};
    use std::path::Path;

    #[test]
    fn types_map_to_neutral_types() {
        let cases = [
            ("int", "integer"),
            ("INTEGER", "integer"),
            ("int4", "integer"),
            ("bigint", "bigint"),
            ("int8", "bigint"),
            ("smallint", "smallint"),
            ("int2", "smallint"),
            ("real", "real"),
            ("float4", "real"),
            ("double precision", "double"),
            ("float8", "double"),
            ("numeric", "numeric"),
            ("numeric(10, 2)", "numeric(10,2)"),
            ("decimal(5)", "numeric(5,0)"),
            ("varchar(255)", "varchar(255)"),
            ("character varying(40)", "varchar(40)"),
            ("varchar", "varchar"),
            ("char(2)", "char(2)"),
            ("character(3)", "char(3)"),
            ("text", "text"),
            ("boolean", "boolean"),
            ("bool", "boolean"),
            ("date", "date"),
            ("time", "time"),
            ("timestamp", "timestamp"),
            ("timestamp without time zone", "timestamp"),
            ("timestamptz", "timestamptz"),
            ("timestamp with time zone", "timestamptz"),
            ("interval", "interval"),
            ("uuid", "uuid"),
            ("json", "json"),
            ("jsonb", "jsonb"),
            ("bytea", "bytes"),
            ("text[]", "text[]"),
            ("integer[]", "integer[]"),
            ("inet", "inet"),
            ("Citext", "citext"),
            ("timestamp(3)", "TIMESTAMP(3)"),
        ];
        for (sql_type, neutral) in cases {
            check(
                Backend::Postgres,
                &format!("CREATE TABLE t (c {sql_type});"),
                Ok(table(json!([{ "name": "c", "type": neutral, "nullable": true }]))),
            );
        }
        check(
            Backend::Sqlite,
            "CREATE TABLE t (c blob, d INT);",
            Ok(table(json!([
                { "name": "c", "type": "bytes", "nullable": true },
                { "name": "d", "type": "integer", "nullable": true },
            ]))),
        );
    }

    #[test]
    fn mysql_types_map_to_neutral_types_or_pass_through() {
        let cases = [
            ("TINYINT(1)", "boolean"),
            ("BOOL", "boolean"),
            ("INT(11)", "integer"),
            ("INTEGER", "integer"),
            ("BIGINT(20)", "bigint"),
            ("SMALLINT", "smallint"),
            ("FLOAT", "real"),
            ("DOUBLE", "double"),
            ("REAL", "double"),
            ("DECIMAL", "numeric(10,0)"),
            ("DECIMAL(10, 2)", "numeric(10,2)"),
            ("VARCHAR(255)", "varchar(255)"),
            ("CHAR", "char(1)"),
            ("TEXT", "text"),
            ("BLOB", "bytes"),
            ("JSON", "json"),
            ("DATE", "date"),
            ("TIME", "time"),
            ("DATETIME(6)", "timestamp"),
            ("DATETIME", "DATETIME"),
            ("TIMESTAMP", "timestamp(0)"),
            ("INT UNSIGNED", "INT UNSIGNED"),
            ("LONGTEXT", "LONGTEXT"),
        ];
        for (sql_type, neutral) in cases {
            check(
                Backend::MySql,
                &format!("CREATE TABLE t (c {sql_type});"),
                Ok(table(json!([{ "name": "c", "type": neutral, "nullable": true }]))),
            );
        }
    }

    #[test]
    fn serial_and_identity_columns_are_identity() {
        for (sql_type, neutral, spelling) in [
            ("serial", "integer", Some("serial")),
            ("bigserial", "bigint", Some("serial")),
            ("smallserial", "smallint", Some("serial")),
            ("bigint GENERATED ALWAYS AS IDENTITY", "bigint", Some("identity_always")),
            ("int generated by default as identity", "integer", None),
        ] {
            let mut column = json!({ "name": "id", "type": neutral, "nullable": false, "identity": true });
            if let Some(spelling) = spelling {
                column[spelling] = json!(true);
            }
            check(Backend::Postgres, &format!("CREATE TABLE t (id {sql_type});"), Ok(table(json!([column]))));
        }
        check(
            Backend::Sqlite,
            "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT);",
            Ok(json!({ "tables": [{ "table": "t", "columns": [
                { "name": "id", "type": "integer", "nullable": false, "identity": true },
            ], "primary_key": ["id"] }], "indexes": [], "enums": [] })),
        );
        check(
            Backend::Postgres,
            "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY (START WITH 10));",
            Err("schema.sql:1: `CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY (STAR…`: identity \
                 options on column `id` is not supported in a schema model; write `GENERATED ... AS IDENTITY` \
                 without options"),
        );
    }

    #[test]
    fn defaults_are_literals_portable_expressions_or_sql() {
        let cases = [
            ("boolean DEFAULT true", "boolean", json!({ "value": true })),
            ("boolean DEFAULT FALSE", "boolean", json!({ "value": false })),
            ("int DEFAULT 0", "integer", json!({ "value": 0 })),
            ("int DEFAULT -3", "integer", json!({ "value": -3 })),
            ("real DEFAULT 1.5", "real", json!({ "value": 1.5 })),
            ("text DEFAULT 'it''s'", "text", json!({ "value": "it's" })),
            ("text DEFAULT ('x')", "text", json!({ "value": "x" })),
            ("jsonb DEFAULT '{}'::jsonb", "jsonb", json!({ "value": "{}" })),
            ("text DEFAULT '1'::int", "text", json!({ "sql": "'1'::INT" })),
            ("timestamptz DEFAULT CURRENT_TIMESTAMP", "timestamptz", json!({ "expr": "current_timestamp" })),
            ("timestamptz DEFAULT now()", "timestamptz", json!({ "expr": "now" })),
            ("timestamptz DEFAULT NOW()", "timestamptz", json!({ "expr": "now" })),
            // A number its value spells otherwise is kept as written.
            ("numeric(10,2) DEFAULT 0.00", "numeric(10,2)", json!({ "number": "0.00" })),
            ("numeric DEFAULT -1.50", "numeric", json!({ "number": "-1.50" })),
            ("double precision DEFAULT 1e3", "double", json!({ "number": "1e3" })),
            ("numeric DEFAULT 99999999999999999999", "numeric", json!({ "number": "99999999999999999999" })),
            ("real DEFAULT -2.5", "real", json!({ "value": -2.5 })),
            ("date DEFAULT current_date", "date", json!({ "expr": "current_date" })),
            ("time DEFAULT CURRENT_TIME", "time", json!({ "expr": "current_time" })),
            ("uuid DEFAULT gen_random_uuid()", "uuid", json!({ "sql": "gen_random_uuid()" })),
            ("int DEFAULT (1 + 2)", "integer", json!({ "sql": "1 + 2" })),
        ];
        for (column, ty, default) in cases {
            check(
                Backend::Postgres,
                &format!("CREATE TABLE t (c {column});"),
                Ok(table(json!([{ "name": "c", "type": ty, "nullable": true, "default": default }]))),
            );
        }
        check(
            Backend::Postgres,
            "CREATE TABLE t (c text DEFAULT NULL);",
            Ok(table(json!([{ "name": "c", "type": "text", "nullable": true }]))),
        );
        // now() is not a SQLite function: it stays raw SQL there. Numbers keep their text on
        // every backend.
        check(
            Backend::Sqlite,
            "CREATE TABLE t (c numeric DEFAULT 0.00);",
            Ok(table(json!([{ "name": "c", "type": "numeric", "nullable": true, "default": { "number": "0.00" } }]))),
        );
        check(
            Backend::MySql,
            "CREATE TABLE t (c decimal(10,2) DEFAULT 0.00, d datetime(6) DEFAULT now(6));",
            Ok(table(json!([
                { "name": "c", "type": "numeric(10,2)", "nullable": true, "default": { "number": "0.00" } },
                { "name": "d", "type": "timestamp", "nullable": true, "default": { "expr": "current_timestamp" } },
            ]))),
        );
        check(
            Backend::Sqlite,
            "CREATE TABLE t (c text DEFAULT (datetime('now')), d text DEFAULT now());",
            Ok(table(json!([
                { "name": "c", "type": "text", "nullable": true, "default": { "sql": "datetime('now')" } },
                { "name": "d", "type": "text", "nullable": true, "default": { "sql": "now()" } },
            ]))),
        );
    }

    #[test]
    fn generated_columns_keep_their_expression() {
        check(
            Backend::Postgres,
            "CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * 2) STORED);",
            Ok(table(json!([
                { "name": "a", "type": "integer", "nullable": true },
                { "name": "b", "type": "integer", "nullable": true, "generated": { "expr": "a * 2" } },
            ]))),
        );
        check(
            Backend::Sqlite,
            "CREATE TABLE t (a int, b int AS (a + 1));",
            Ok(table(json!([
                { "name": "a", "type": "integer", "nullable": true },
                { "name": "b", "type": "integer", "nullable": true, "generated": { "expr": "a + 1", "stored": false } },
            ]))),
        );
    }

    #[test]
    fn collations_are_named_as_each_catalog_prints_them() {
        let collation = |dialect, sql: &str| {
            let schema = parse_schema_sql(sql, dialect, Path::new("schema.sql")).unwrap_or_else(|e| panic!("{e}"));
            schema.tables["t"].columns.iter().map(|c| c.collation.clone()).collect::<Vec<_>>()
        };
        assert_eq!(
            collation(
                Backend::Postgres,
                "CREATE TABLE t (a text COLLATE \"C\", b text COLLATE pg_catalog.\"en_US\", c text);"
            ),
            [Some("C".to_owned()), Some("en_US".to_owned()), None]
        );
        assert_eq!(
            collation(Backend::Sqlite, "CREATE TABLE t (a TEXT COLLATE nocase, b TEXT);"),
            [Some("NOCASE".to_owned()), None]
        );
        assert_eq!(
            collation(
                Backend::MySql,
                "CREATE TABLE t (a varchar(9) CHARACTER SET latin1 COLLATE Latin1_Bin, b varchar(9) COLLATE utf8mb4_bin);"
            ),
            [Some("latin1_bin".to_owned()), Some("utf8mb4_bin".to_owned())]
        );
        check(
            Backend::MySql,
            "CREATE TABLE t (a varchar(9) CHARACTER SET latin1);",
            Err("schema.sql:1: `CREATE TABLE t (a varchar(9) CHARACTER SET latin1)`: `CHARACTER SET latin1` without \
                 COLLATE on `a` is not supported in a schema model; write the collation too (`CHARACTER SET latin1 \
                 COLLATE latin1_swedish_ci`): it implies the character set"),
        );
    }

    #[test]
    fn mysql_on_update_takes_only_the_current_time() {
        check(
            Backend::MySql,
            "CREATE TABLE t (n int ON UPDATE 5);",
            Err("schema.sql:1: `CREATE TABLE t (n int ON UPDATE 5)`: `ON UPDATE 5` on `n` is not supported in a \
                 schema model; MySQL updates a column only to the current time: write ON UPDATE CURRENT_TIMESTAMP"),
        );
    }
}
