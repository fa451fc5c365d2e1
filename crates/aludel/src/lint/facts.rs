//! What an op or a raw SQL statement does, in the terms the rules judge: "an index is built
//! on `users`", "`orders.total` changes type". Ops are read through small predicates here,
//! so a new op field (a `not_valid` on constraints, say) changes one function; raw SQL is
//! read into the same facts by `lint::sql`.

use crate::dialect::Dialect;
use crate::ops::{ColumnChange, Op};
use crate::schema::{ColumnType, Constraint, DefaultValue, Schema};

/// One thing an op or statement does.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fact {
    pub(crate) kind: FactKind,
    /// The 1-based statement of an `sql` op; `None` for an op.
    pub(crate) statement: Option<usize>,
}

/// The kinds of facts the rules know.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FactKind {
    CreateTable {
        table: String,
    },
    DropTable {
        table: String,
    },
    RenameTable {
        table: String,
        new_name: String,
    },
    AddColumn {
        table: String,
        column: String,
        volatile_default: bool,
        /// NOT NULL with nothing to fill the existing rows: no default, identity or
        /// generated value.
        required: bool,
    },
    DropColumn {
        table: String,
        column: String,
    },
    RenameColumn {
        table: String,
        column: String,
        new_name: String,
    },
    /// `from` is `None` when neither the op nor the simulated schema tells.
    ChangeType {
        table: String,
        column: String,
        from: Option<ColumnType>,
        to: ColumnType,
    },
    SetNotNull {
        table: String,
        column: String,
    },
    /// `index` is `None` for raw SQL's unnamed index.
    CreateIndex {
        table: String,
        index: Option<String>,
        concurrently: bool,
    },
    /// `table` is `None` when raw SQL drops an index the simulated schema does not know.
    DropIndex {
        index: String,
        table: Option<String>,
        concurrently: bool,
    },
    /// Something other than an index build or drop that runs CONCURRENTLY (a REINDEX, or
    /// a statement the parser could not read), which a transaction refuses.
    #[cfg_attr(not(feature = "schema-sql"), allow(dead_code))] // Only raw SQL, which needs the parser, makes it.
    Concurrent,
    AddForeignKey {
        table: String,
        columns: Vec<String>,
        not_valid: bool,
    },
    AddCheck {
        table: String,
        name: Option<String>,
        expr: String,
        not_valid: bool,
    },
    /// A unique constraint or primary key; `using_index` when it adopts an index built before.
    AddKey {
        table: String,
        primary: bool,
        using_index: bool,
    },
    DropPrimaryKey {
        table: String,
    },
    ValidateConstraint {
        table: String,
        name: String,
    },
    /// Another `ALTER TABLE` form: it takes the table's lock too.
    OtherAlter {
        table: String,
    },
    DropEnumValue {
        name: String,
    },
    /// An enum value placed before the last one: the values' order changes.
    InsertEnumValue {
        name: String,
    },
    /// `INSERT ... SELECT`, `UPDATE`, `DELETE`: rows change in bulk.
    // Read from raw SQL, which needs the parser.
    #[cfg_attr(not(feature = "schema-sql"), allow(dead_code))]
    DataChange {
        table: Option<String>,
    },
    /// `SET lock_timeout` (or `lock_wait_timeout`) in raw SQL.
    SetsLockTimeout,
    /// `ALGORITHM=COPY` asked for in raw SQL (MySQL).
    // Read from raw SQL, which needs the parser.
    #[cfg_attr(not(feature = "schema-sql"), allow(dead_code))]
    CopyAlgorithm {
        table: String,
    },
    /// A statement the parser could not read.
    // Read from raw SQL, which needs the parser.
    #[cfg_attr(not(feature = "schema-sql"), allow(dead_code))]
    Unparsed {
        error: String,
    },
}

impl Fact {
    fn op(kind: FactKind) -> Fact {
        Fact { kind, statement: None }
    }

    /// The table the fact changes, if one.
    pub(crate) fn table(&self) -> Option<&str> {
        match &self.kind {
            FactKind::CreateTable { table }
            | FactKind::DropTable { table }
            | FactKind::RenameTable { table, .. }
            | FactKind::AddColumn { table, .. }
            | FactKind::DropColumn { table, .. }
            | FactKind::RenameColumn { table, .. }
            | FactKind::ChangeType { table, .. }
            | FactKind::SetNotNull { table, .. }
            | FactKind::CreateIndex { table, .. }
            | FactKind::AddForeignKey { table, .. }
            | FactKind::AddCheck { table, .. }
            | FactKind::AddKey { table, .. }
            | FactKind::DropPrimaryKey { table }
            | FactKind::ValidateConstraint { table, .. }
            | FactKind::OtherAlter { table }
            | FactKind::CopyAlgorithm { table } => Some(table),
            FactKind::DataChange { table } | FactKind::DropIndex { table, .. } => table.as_deref(),
            FactKind::Concurrent
            | FactKind::DropEnumValue { .. }
            | FactKind::InsertEnumValue { .. }
            | FactKind::SetsLockTimeout
            | FactKind::Unparsed { .. } => None,
        }
    }

    /// Whether the fact changes the schema (as opposed to rows or settings).
    pub(crate) fn is_ddl(&self) -> bool {
        !matches!(self.kind, FactKind::DataChange { .. } | FactKind::SetsLockTimeout | FactKind::Unparsed { .. })
    }

    /// Whether PostgreSQL takes an `ACCESS EXCLUSIVE` lock on an existing table for it.
    pub(crate) fn takes_exclusive_lock(&self) -> bool {
        matches!(
            self.kind,
            FactKind::DropTable { .. }
                | FactKind::RenameTable { .. }
                | FactKind::AddColumn { .. }
                | FactKind::DropColumn { .. }
                | FactKind::RenameColumn { .. }
                | FactKind::ChangeType { .. }
                | FactKind::SetNotNull { .. }
                | FactKind::AddCheck { .. }
                | FactKind::AddKey { .. }
                | FactKind::DropPrimaryKey { .. }
                | FactKind::OtherAlter { .. }
                | FactKind::DropIndex { concurrently: false, .. }
        )
    }
}

/// The facts of one op, read against the schema just before it.
pub(crate) fn of_op(op: &Op, schema: &Schema, dialect: &dyn Dialect) -> Vec<Fact> {
    let one = |kind| vec![Fact::op(kind)];
    match op {
        Op::CreateTable(table) => {
            let mut facts = vec![Fact::op(FactKind::CreateTable { table: table.name.clone() })];
            facts.extend(table.constraints.iter().filter_map(|c| constraint_fact(&table.name, c, false, false)));
            facts
        }
        Op::DropTable { table, .. } => one(FactKind::DropTable { table: table.clone() }),
        Op::RenameTable { table, new_name } => {
            one(FactKind::RenameTable { table: table.clone(), new_name: new_name.clone() })
        }
        Op::AddColumn { table, column } => one(FactKind::AddColumn {
            table: table.clone(),
            column: column.name.clone(),
            volatile_default: column.identity
                || column.generated.as_ref().is_some_and(|g| g.stored)
                || column.default.as_ref().is_some_and(is_volatile_default),
            required: !column.nullable
                && column.default.is_none()
                && !column.identity
                && !column.serial
                && column.generated.is_none(),
        }),
        Op::DropColumn { table, column } => {
            one(FactKind::DropColumn { table: table.clone(), column: column.name().to_owned() })
        }
        Op::AlterColumn(change) => column_change_facts(change, schema),
        Op::CreateIndex(index) => one(FactKind::CreateIndex {
            table: index.table.clone(),
            index: Some(index.name.clone()),
            concurrently: index.concurrently,
        }),
        Op::DropIndex { table, name, concurrently, .. } => {
            one(FactKind::DropIndex { index: name.clone(), table: Some(table.clone()), concurrently: *concurrently })
        }
        Op::AddConstraint { table, constraint, not_valid, concurrently } => {
            constraint_fact(table, constraint, *not_valid, *concurrently).into_iter().collect()
        }
        Op::ValidateConstraint { table, name } => {
            one(FactKind::ValidateConstraint { table: table.clone(), name: name.clone() })
        }
        Op::DropConstraint { table, kind, existing, .. } => {
            let primary = kind.map(|k| k == crate::ops::ConstraintKind::PrimaryKey).unwrap_or(false)
                || matches!(existing, Some(Constraint::PrimaryKey { .. }));
            if primary {
                one(FactKind::DropPrimaryKey { table: table.clone() })
            } else {
                one(FactKind::OtherAlter { table: table.clone() })
            }
        }
        Op::DropEnumValue { name, .. } => one(FactKind::DropEnumValue { name: name.clone() }),
        Op::AddEnumValue { name, before, after, .. } => {
            let last = schema.enums.get(name).and_then(|e| e.values.last());
            let appended = before.is_none() && after.as_ref().is_none_or(|after| Some(after) == last);
            if appended { Vec::new() } else { one(FactKind::InsertEnumValue { name: name.clone() }) }
        }
        Op::AlterTable { table, .. } => one(FactKind::OtherAlter { table: table.clone() }),
        Op::RenameConstraint { table, name, .. } => {
            let mut facts = one(FactKind::OtherAlter { table: table.clone() });
            // MySQL renames neither a foreign key nor a check: it adds it again, checking every row.
            let known = schema.table(table).and_then(|t| t.constraints.iter().find(|c| c.name() == Some(name)));
            if dialect.name() == "mysql"
                && let Some(known @ (Constraint::ForeignKey { .. } | Constraint::Check { .. })) = known
            {
                facts.extend(constraint_fact(table, known, false, false));
            }
            facts
        }
        // A rename takes a brief lock that leaves reads and writes alone (PostgreSQL's SHARE
        // UPDATE EXCLUSIVE, MySQL's metadata-only change).
        Op::CreateEnum { .. } | Op::DropEnum { .. } | Op::RenameIndex { .. } => Vec::new(),
        Op::Sql { sql, dialect: only, .. } => {
            if only.as_deref().is_some_and(|only| !crate::dialect::names_dialect(only, dialect.name())) {
                return Vec::new();
            }
            let mut facts = sql_facts(sql, dialect);
            // Raw SQL names the index only: its table is the schema's.
            for fact in &mut facts {
                if let FactKind::DropIndex { index, table: table @ None, .. } = &mut fact.kind {
                    *table = schema.indexes.get(index.as_str()).map(|known| known.table.clone());
                }
            }
            facts
        }
    }
}

#[cfg(feature = "schema-sql")]
fn sql_facts(sql: &str, dialect: &dyn Dialect) -> Vec<Fact> {
    crate::lint::sql::facts(sql, dialect.name())
}

#[cfg(not(feature = "schema-sql"))]
fn sql_facts(_sql: &str, _dialect: &dyn Dialect) -> Vec<Fact> {
    // Without the SQL parser, raw SQL is not read.
    Vec::new()
}

/// The fact of adding `constraint` to `table`: `not_valid` for a foreign key or check, and
/// `concurrently` for a key, whose index is then built first and attached (`USING INDEX`).
fn constraint_fact(table: &str, constraint: &Constraint, not_valid: bool, concurrently: bool) -> Option<Fact> {
    let table = table.to_owned();
    Some(Fact::op(match constraint {
        Constraint::ForeignKey { columns, .. } => {
            FactKind::AddForeignKey { table, columns: columns.clone(), not_valid }
        }
        Constraint::Check { name, expr } => {
            FactKind::AddCheck { table, name: name.clone(), expr: expr.clone(), not_valid }
        }
        Constraint::Unique { .. } => FactKind::AddKey { table, primary: false, using_index: concurrently },
        Constraint::PrimaryKey { .. } => FactKind::AddKey { table, primary: true, using_index: concurrently },
    }))
}

fn column_change_facts(change: &ColumnChange, schema: &Schema) -> Vec<Fact> {
    let table = &change.table;
    let column = &change.column;
    let mut facts = Vec::new();
    if let Some(ty) = &change.ty {
        let from = ty.from.clone().or_else(|| schema.table(table)?.column(column).map(|c| c.ty.clone()));
        if from.as_ref() != Some(&ty.to) {
            facts.push(Fact::op(FactKind::ChangeType {
                table: table.clone(),
                column: column.clone(),
                from,
                to: ty.to.clone(),
            }));
        }
    }
    if change.nullable == Some(false) {
        facts.push(Fact::op(FactKind::SetNotNull { table: table.clone(), column: column.clone() }));
    }
    if let Some(new_name) = &change.new_name {
        facts.push(Fact::op(FactKind::RenameColumn {
            table: table.clone(),
            column: column.clone(),
            new_name: new_name.clone(),
        }));
    }
    let other = change.nullable == Some(true)
        || change.default.is_some()
        || change.on_update.is_some()
        || change.comment.is_some()
        || change.collation.is_some()
        || change.identity_always.is_some();
    if facts.is_empty() && other {
        facts.push(Fact::op(FactKind::OtherAlter { table: table.clone() }));
    }
    facts
}

/// Whether a default is computed per row (so PostgreSQL writes it into every existing row).
fn is_volatile_default(default: &DefaultValue) -> bool {
    match default {
        DefaultValue::Sql(sql) => is_volatile_expression(sql),
        DefaultValue::Value(_) | DefaultValue::Expr(_) | DefaultValue::Number(_) => false,
    }
}

/// Functions PostgreSQL documents as volatile that defaults use; `now()` and
/// `current_timestamp` are stable (one value per statement), so they do not rewrite.
pub(crate) fn is_volatile_expression(sql: &str) -> bool {
    const VOLATILE: [&str; 9] = [
        "random(",
        "gen_random_uuid(",
        "uuid_generate_v1",
        "uuid_generate_v4",
        "uuidv4(",
        "uuidv7(",
        "clock_timestamp(",
        "timeofday(",
        "nextval(",
    ];
    let lower = sql.to_ascii_lowercase().replace(' ', "");
    VOLATILE.iter().any(|f| lower.contains(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_defaults_are_not_volatile() {
        for (sql, volatile) in [
            ("gen_random_uuid()", true),
            ("nextval('s'::regclass)", true),
            ("RANDOM ()", true),
            ("now()", false),
            ("current_timestamp", false),
            ("'x'", false),
        ] {
            assert_eq!(is_volatile_expression(sql), volatile, "{sql}");
        }
    }

    #[cfg(feature = "schema-sql")]
    #[test]
    fn an_sql_op_is_read_under_any_name_of_its_dialect() {
        let postgres = crate::dialect::Backend::Postgres.dialect();
        for (only, read) in [(None, true), (Some("postgres"), true), (Some("PostgreSQL"), true), (Some("mysql"), false)]
        {
            let op = Op::Sql { sql: "DROP TABLE t".into(), down: None, dialect: only.map(str::to_owned) };
            let facts = of_op(&op, &Schema::default(), postgres);
            assert_eq!(!facts.is_empty(), read, "{only:?}: {facts:?}");
        }
    }

    #[test]
    fn changing_an_identity_kind_alters_the_table() {
        let change = ColumnChange { identity_always: Some(true), ..ColumnChange::new("t", "id") };
        let facts = column_change_facts(&change, &Schema::default());
        assert_eq!(facts.into_iter().map(|f| f.kind).collect::<Vec<_>>(), [FactKind::OtherAlter { table: "t".into() }]);
    }
}
