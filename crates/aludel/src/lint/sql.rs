//! Raw SQL read into lint facts: the statements of an `sql` op, parsed with `sqlparser` in
//! the backend's dialect, become the same [`Fact`]s ops do, so one rule judges
//! `create_index` and `CREATE INDEX` alike. A statement the parser cannot read becomes
//! [`FactKind::Unparsed`]: lint says it could not check it, rather than passing it.

use sqlparser::ast::{
    AlterColumnOperation, AlterTableAlgorithm, AlterTableOperation, ColumnOption, FromTable, Ident, ObjectName,
    ObjectType, RenameTableNameKind, SetExpr, Statement, TableConstraint, TableFactor, TableObject, TableWithJoins,
};
use sqlparser::parser::Parser;

use crate::lint::facts::{Fact, FactKind, is_volatile_expression};
use crate::schema::ColumnType;

/// The longest statement lint parses. A parse tree takes some fifty times its text (a 5 MB
/// `INSERT` of many rows took 250 MB), so a longer statement is reported unread
/// (`sql-unparsed`, with its size) instead, and only its `CONCURRENTLY` is looked for.
pub(crate) const MAX_PARSED_STATEMENT_BYTES: usize = 1024 * 1024;

/// The facts of the statements in `sql`, for the dialect named `dialect`. Statements are
/// read one by one, so one the parser does not know leaves the others checked.
pub(crate) fn facts(sql: &str, dialect: &str) -> Vec<Fact> {
    let parser = crate::dialect::sql_parser(dialect);
    let statements = match crate::models::sql::statement_texts(sql, parser) {
        Ok(statements) => statements,
        Err(error) => return vec![Fact { kind: FactKind::Unparsed { error }, statement: Some(1) }],
    };
    let fold = Fold { unquoted_to_lower: dialect == "postgresql" };
    let mut facts = Vec::new();
    for (number, text) in (1..).zip(&statements) {
        if text.len() > MAX_PARSED_STATEMENT_BYTES {
            let error = format!(
                "it is {} bytes long, more than the {MAX_PARSED_STATEMENT_BYTES} lint parses; split it to have it checked",
                text.len()
            );
            facts.extend(unparsed(text, error).into_iter().map(|kind| Fact { kind, statement: Some(number) }));
            continue;
        }
        let kinds = match Parser::parse_sql(parser, text) {
            Ok(parsed) => parsed.iter().flat_map(|statement| statement_facts(statement, fold)).collect(),
            Err(err) => concurrent_index_drop(text, parser, fold).unwrap_or_else(|| unparsed(text, err.to_string())),
        };
        facts.extend(kinds.into_iter().map(|kind| Fact { kind, statement: Some(number) }));
    }
    facts
}

/// `DROP INDEX CONCURRENTLY ...`, which the parser does not know: read as the plain drop it
/// otherwise is, so the safe form of a drop is checked rather than reported unread.
fn concurrent_index_drop(text: &str, parser: &dyn sqlparser::dialect::Dialect, fold: Fold) -> Option<Vec<FactKind>> {
    let mut rest = text.trim_start();
    for keyword in ["DROP", "INDEX", "CONCURRENTLY"] {
        let (word, after) = rest.split_once(char::is_whitespace)?;
        if !word.eq_ignore_ascii_case(keyword) {
            return None;
        }
        rest = after.trim_start();
    }
    let parsed = Parser::parse_sql(parser, &format!("DROP INDEX {rest}")).ok()?;
    let kinds = parsed.iter().flat_map(|statement| statement_facts(statement, fold)).map(|kind| match kind {
        FactKind::DropIndex { index, table, .. } => FactKind::DropIndex { index, table, concurrently: true },
        other => other,
    });
    Some(kinds.collect())
}

/// A statement the parser does not know: reported, and read for the one thing a keyword
/// tells for sure (`CONCURRENTLY`, which a transaction refuses).
fn unparsed(text: &str, error: String) -> Vec<FactKind> {
    let mut kinds = vec![FactKind::Unparsed { error }];
    if text.split_whitespace().any(|word| word.eq_ignore_ascii_case("CONCURRENTLY")) {
        kinds.push(FactKind::Concurrent);
    }
    kinds
}

/// How the database reads a name: PostgreSQL lower-cases one written without quotes, so
/// `CREATE TABLE Users` makes the `users` an op names. (MySQL and SQLite keep the case as
/// written.)
#[derive(Debug, Clone, Copy)]
struct Fold {
    unquoted_to_lower: bool,
}

impl Fold {
    /// An identifier as the database stores it, without quotes.
    fn ident(self, ident: &Ident) -> String {
        if self.unquoted_to_lower && ident.quote_style.is_none() {
            ident.value.to_lowercase()
        } else {
            ident.value.clone()
        }
    }
}

/// The last part of a possibly qualified name, as the database stores it.
fn name(object: &ObjectName, fold: Fold) -> String {
    object.0.last().and_then(|part| part.as_ident()).map_or_else(|| object.to_string(), |ident| fold.ident(ident))
}

fn statement_facts(statement: &Statement, fold: Fold) -> Vec<FactKind> {
    match statement {
        Statement::CreateTable(create) => vec![FactKind::CreateTable { table: name(&create.name, fold) }],
        Statement::CreateIndex(index) => {
            vec![FactKind::CreateIndex {
                table: name(&index.table_name, fold),
                index: index.name.as_ref().map(|index| name(index, fold)),
                concurrently: index.concurrently,
            }]
        }
        Statement::Drop { object_type: ObjectType::Table, names, .. } => {
            names.iter().map(|n| FactKind::DropTable { table: name(n, fold) }).collect()
        }
        // MySQL names the table (`DROP INDEX ix ON t`), PostgreSQL's is the schema's; a
        // CONCURRENTLY drop never parses, `concurrent_index_drop` reads it.
        Statement::Drop { object_type: ObjectType::Index, names, table, .. } => {
            let table = table.as_ref().map(|table| name(table, fold));
            let drop = |index: &ObjectName| FactKind::DropIndex {
                index: name(index, fold),
                table: table.clone(),
                concurrently: false,
            };
            names.iter().map(drop).collect()
        }
        Statement::AlterTable(alter) => {
            let table = name(&alter.name, fold);
            alter.operations.iter().flat_map(|operation| alter_facts(&table, operation, fold)).collect()
        }
        Statement::Update(update) => vec![FactKind::DataChange { table: joined_table(&update.table, fold) }],
        Statement::Delete(delete) => {
            let tables = match &delete.from {
                FromTable::WithFromKeyword(tables) | FromTable::WithoutKeyword(tables) => tables,
            };
            vec![FactKind::DataChange { table: tables.first().and_then(|table| joined_table(table, fold)) }]
        }
        Statement::Insert(insert) => {
            let from_query = insert.source.as_ref().is_some_and(|query| !matches!(*query.body, SetExpr::Values(_)));
            let table = match &insert.table {
                TableObject::TableName(table) => Some(name(table, fold)),
                _ => None,
            };
            if from_query { vec![FactKind::DataChange { table }] } else { Vec::new() }
        }
        Statement::Set(set) => {
            let text = set.to_string().to_ascii_lowercase();
            if text.contains("lock_timeout") || text.contains("lock_wait_timeout") {
                vec![FactKind::SetsLockTimeout]
            } else {
                Vec::new()
            }
        }
        _ => Vec::new(),
    }
}

fn joined_table(table: &TableWithJoins, fold: Fold) -> Option<String> {
    match &table.relation {
        TableFactor::Table { name: table, .. } => Some(name(table, fold)),
        _ => None,
    }
}

fn alter_facts(table: &str, operation: &AlterTableOperation, fold: Fold) -> Vec<FactKind> {
    let table = table.to_owned();
    match operation {
        AlterTableOperation::AddConstraint { constraint, not_valid } => vec![match constraint {
            TableConstraint::ForeignKey(fk) => FactKind::AddForeignKey {
                table,
                columns: fk.columns.iter().map(|c| fold.ident(c)).collect(),
                not_valid: *not_valid,
            },
            TableConstraint::Check(check) => FactKind::AddCheck {
                table,
                name: check.name.as_ref().map(|name| fold.ident(name)),
                expr: check.expr.to_string(),
                not_valid: *not_valid,
            },
            TableConstraint::Unique(unique) => {
                FactKind::AddKey { table, primary: false, using_index: unique.columns.is_empty() }
            }
            TableConstraint::PrimaryKey(key) => {
                FactKind::AddKey { table, primary: true, using_index: key.columns.is_empty() }
            }
            _ => FactKind::OtherAlter { table },
        }],
        AlterTableOperation::AddColumn { column_def, .. } => {
            let volatile_default = column_def.options.iter().any(|option| match &option.option {
                ColumnOption::Default(expr) => is_volatile_expression(&expr.to_string()),
                ColumnOption::Generated { .. } | ColumnOption::Identity(_) => true,
                _ => false,
            });
            let filled = column_def.options.iter().any(|option| {
                matches!(
                    option.option,
                    ColumnOption::Default(_) | ColumnOption::Generated { .. } | ColumnOption::Identity(_)
                )
            }) || column_def.data_type.to_string().to_ascii_uppercase().contains("SERIAL");
            let not_null = column_def.options.iter().any(|option| matches!(option.option, ColumnOption::NotNull));
            let required = not_null && !filled;
            vec![FactKind::AddColumn { table, column: fold.ident(&column_def.name), volatile_default, required }]
        }
        AlterTableOperation::DropColumn { column_names, .. } => {
            column_names.iter().map(|c| FactKind::DropColumn { table: table.clone(), column: fold.ident(c) }).collect()
        }
        AlterTableOperation::RenameColumn { old_column_name, new_column_name } => vec![FactKind::RenameColumn {
            table,
            column: fold.ident(old_column_name),
            new_name: fold.ident(new_column_name),
        }],
        AlterTableOperation::RenameTable { table_name } => {
            let (RenameTableNameKind::As(new) | RenameTableNameKind::To(new)) = table_name;
            vec![FactKind::RenameTable { table, new_name: name(new, fold) }]
        }
        AlterTableOperation::AlterColumn { column_name, op } => vec![match op {
            AlterColumnOperation::SetNotNull => FactKind::SetNotNull { table, column: fold.ident(column_name) },
            AlterColumnOperation::SetDataType { data_type, .. } => FactKind::ChangeType {
                table,
                column: fold.ident(column_name),
                from: None,
                to: type_of(&data_type.to_string()),
            },
            _ => FactKind::OtherAlter { table },
        }],
        AlterTableOperation::ModifyColumn { col_name, data_type, .. } => vec![FactKind::ChangeType {
            table,
            column: fold.ident(col_name),
            from: None,
            to: type_of(&data_type.to_string()),
        }],
        AlterTableOperation::ChangeColumn { old_name, new_name, data_type, .. } => {
            let mut facts = vec![FactKind::ChangeType {
                table: table.clone(),
                column: fold.ident(old_name),
                from: None,
                to: type_of(&data_type.to_string()),
            }];
            if old_name.value != new_name.value {
                facts.push(FactKind::RenameColumn {
                    table,
                    column: fold.ident(old_name),
                    new_name: fold.ident(new_name),
                });
            }
            facts
        }
        AlterTableOperation::DropPrimaryKey { .. } => vec![FactKind::DropPrimaryKey { table }],
        AlterTableOperation::ValidateConstraint { name } => {
            vec![FactKind::ValidateConstraint { table, name: fold.ident(name) }]
        }
        AlterTableOperation::Algorithm { algorithm: AlterTableAlgorithm::Copy, .. } => {
            vec![FactKind::CopyAlgorithm { table }]
        }
        AlterTableOperation::Algorithm { .. } | AlterTableOperation::Lock { .. } => Vec::new(),
        _ => vec![FactKind::OtherAlter { table }],
    }
}

/// A type as SQL spells it, in the neutral model where it maps (`VARCHAR(20)`,
/// `character varying(20)`, `numeric(10,2)`).
fn type_of(sql: &str) -> ColumnType {
    let lower = sql.to_ascii_lowercase();
    let neutral = lower
        .replace("character varying", "varchar")
        .replace("int4", "integer")
        .replace("int8", "bigint")
        .replace("timestamp with time zone", "timestamptz")
        .replace("timestamp without time zone", "timestamp");
    ColumnType::parse(&neutral).unwrap_or(ColumnType::Custom(lower))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str, dialect: &str) -> Vec<FactKind> {
        facts(sql, dialect).into_iter().map(|f| f.kind).collect()
    }

    #[test]
    fn names_are_read_as_the_database_stores_them() {
        let create = |table: &str| vec![FactKind::CreateTable { table: table.to_owned() }];
        assert_eq!(kinds("CREATE TABLE Users (id int)", "postgresql"), create("users"));
        assert_eq!(kinds("CREATE TABLE \"Users\" (id int)", "postgresql"), create("Users"));
        assert_eq!(kinds("CREATE TABLE Users (id int)", "mysql"), create("Users"));
        assert_eq!(
            kinds("ALTER TABLE Users DROP COLUMN Email", "postgresql"),
            vec![FactKind::DropColumn { table: "users".into(), column: "email".into() }]
        );
    }

    #[test]
    fn statements_become_the_facts_ops_give() {
        let table = || "users".to_owned();
        for (sql, dialect, expected) in [
            (
                "CREATE INDEX CONCURRENTLY ix ON users (email)",
                "postgresql",
                vec![FactKind::CreateIndex { table: table(), index: Some("ix".into()), concurrently: true }],
            ),
            (
                "ALTER TABLE users ADD CONSTRAINT fk FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID",
                "postgresql",
                vec![FactKind::AddForeignKey { table: table(), columns: vec!["org_id".into()], not_valid: true }],
            ),
            (
                "ALTER TABLE users ALTER COLUMN name TYPE varchar(40)",
                "postgresql",
                vec![FactKind::ChangeType {
                    table: table(),
                    column: "name".into(),
                    from: None,
                    to: ColumnType::Varchar(Some(40)),
                }],
            ),
            (
                "ALTER TABLE users ADD COLUMN sku text NOT NULL",
                "postgresql",
                vec![FactKind::AddColumn {
                    table: table(),
                    column: "sku".into(),
                    volatile_default: false,
                    required: true,
                }],
            ),
            (
                "ALTER TABLE users ADD COLUMN sku text NOT NULL DEFAULT ''",
                "postgresql",
                vec![FactKind::AddColumn {
                    table: table(),
                    column: "sku".into(),
                    volatile_default: false,
                    required: false,
                }],
            ),
            (
                "ALTER TABLE users ADD COLUMN n bigserial NOT NULL",
                "postgresql",
                vec![FactKind::AddColumn {
                    table: table(),
                    column: "n".into(),
                    volatile_default: false,
                    required: false,
                }],
            ),
            (
                "DROP INDEX IF EXISTS public.ix_users_email",
                "postgresql",
                vec![FactKind::DropIndex { index: "ix_users_email".into(), table: None, concurrently: false }],
            ),
            // The parser does not know CONCURRENTLY here; the drop is read all the same.
            (
                "drop index  concurrently ix_users_email",
                "postgresql",
                vec![FactKind::DropIndex { index: "ix_users_email".into(), table: None, concurrently: true }],
            ),
            (
                "DROP INDEX ix_users_email ON users",
                "mysql",
                vec![FactKind::DropIndex { index: "ix_users_email".into(), table: Some(table()), concurrently: false }],
            ),
            ("UPDATE users SET active = true", "postgresql", vec![FactKind::DataChange { table: Some(table()) }]),
            ("INSERT INTO users (id) VALUES (1)", "sqlite", vec![]),
            ("SET lock_timeout = '2s'", "postgresql", vec![FactKind::SetsLockTimeout]),
            (
                "ALTER TABLE users MODIFY name varchar(40), ALGORITHM=COPY",
                "mysql",
                vec![
                    FactKind::ChangeType {
                        table: table(),
                        column: "name".into(),
                        from: None,
                        to: ColumnType::Varchar(Some(40)),
                    },
                    FactKind::CopyAlgorithm { table: table() },
                ],
            ),
        ] {
            assert_eq!(kinds(sql, dialect), expected, "{sql}");
        }
        assert!(matches!(kinds("ALTER TABLE ??", "postgresql")[..], [FactKind::Unparsed { .. }]));
        // One unknown statement leaves the others read; a semicolon in a string splits nothing.
        let facts = facts("REINDEX TABLE CONCURRENTLY users; UPDATE users SET note = 'a;b'", "postgresql");
        let placed: Vec<(Option<usize>, &FactKind)> = facts.iter().map(|f| (f.statement, &f.kind)).collect();
        assert!(matches!(placed[0], (Some(1), FactKind::Unparsed { .. })), "{placed:?}");
        assert_eq!(
            placed[1..],
            [(Some(1), &FactKind::Concurrent), (Some(2), &FactKind::DataChange { table: Some("users".to_owned()) }),]
        );
    }

    #[test]
    fn a_statement_too_long_to_parse_is_reported_unread_not_passed() {
        // An `UPDATE` padded past the limit: parsed, it would be a data change on `users`.
        let padding = " ".repeat(MAX_PARSED_STATEMENT_BYTES);
        let long = format!("UPDATE users SET note = 'x'{padding} WHERE id IN (SELECT id FROM users)");
        let facts = facts(&format!("{long}; UPDATE users SET note = 'y'"), "postgresql");
        let placed: Vec<(Option<usize>, &FactKind)> = facts.iter().map(|f| (f.statement, &f.kind)).collect();
        match &placed[..] {
            [(Some(1), FactKind::Unparsed { error }), (Some(2), FactKind::DataChange { .. })] => {
                assert!(error.contains(&format!("more than the {MAX_PARSED_STATEMENT_BYTES} lint parses")), "{error}");
            }
            other => panic!("{other:?}"),
        }
        // Unread, a CONCURRENTLY in it is still seen.
        let long = format!("CREATE INDEX CONCURRENTLY ix ON users{padding}(note)");
        let kinds: Vec<FactKind> = facts_of(&long);
        assert!(matches!(kinds[..], [FactKind::Unparsed { .. }, FactKind::Concurrent]), "{kinds:?}");
    }

    fn facts_of(sql: &str) -> Vec<FactKind> {
        facts(sql, "postgresql").into_iter().map(|fact| fact.kind).collect()
    }
}
