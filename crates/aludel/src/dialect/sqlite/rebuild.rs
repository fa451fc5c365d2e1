//! The table rebuild: how SQLite makes every change its `ALTER TABLE` cannot.
//!
//! This is the procedure SQLite documents for "other kinds of table schema changes"
//! (<https://www.sqlite.org/lang_altertable.html#otheralter>), as statements that run inside
//! the revision's transaction on a connection with `PRAGMA foreign_keys = OFF` (the session
//! opens it so; the pragma cannot change inside a transaction):
//!
//! 1. `CREATE TABLE "_aludel_tmp_<t>"` with the table's new definition (its checks and
//!    generated columns reading `t.qty` as `qty`: under the temporary name `t` is no table);
//! 2. copy every row, for the columns that exist before and after (a new column takes its
//!    default; generated columns compute themselves);
//! 3. for an `AUTOINCREMENT` table, carry the sequence over, so ids are never reused;
//! 4. `DROP TABLE "<t>"`, which drops its indexes too;
//! 5. `ALTER TABLE "_aludel_tmp_<t>" RENAME TO "<t>"`;
//! 6. re-create the table's indexes as the schema after the op has them.
//!
//! Other tables' foreign keys name the table, not the temporary one, so they point at the
//! new table once it is renamed; the session's `PRAGMA foreign_key_check` after the revision
//! catches rows the change orphans. A row the new definition refuses (a NULL in a column
//! that became `NOT NULL`, a duplicate under a new unique key, a failed check) fails the
//! copy, and the revision rolls back whole.
//!
//! What the schema model does not describe: a view that reads the table keeps reading it by
//! name, so the rename runs with `PRAGMA legacy_alter_table` on (otherwise SQLite checks every
//! view while the table is missing and fails the rename). A trigger on the table, or an index
//! no op created (one a `sql` op made), would be dropped with it and lost, so the rebuild first
//! stops, naming the table, when the table has one: drop it before the op and create it again
//! after, in `sql` ops. The check is SQL, so
//! that an offline script stops the same way: a row that a named `CHECK` refuses.
//! Which ops rebuild is decided in `render`.

use crate::dialect::common::ddl::DdlSpelling;
use crate::dialect::common::quote_literal;
use crate::dialect::sqlite::ddl::{Renderer, autoincrement_column};
use crate::dialect::sqlite::text::unqualified;
use crate::dialect::{RenderError, Statement};
use crate::ops::Op;
use crate::schema::{Constraint, Schema, SchemaError, Table};

/// Prefix of the new table's name while it is built.
const TMP_PREFIX: &str = "_aludel_tmp_";

/// Whether `statements` rebuild a table.
pub(super) fn is_rebuild(statements: &[Statement]) -> bool {
    statements.iter().any(|statement| statement.sql.contains(TMP_PREFIX))
}

/// The statements that rebuild `table` from its definition in `before` to the one in
/// `after`, for `op` (which errors name).
pub(super) fn rebuild(op: &Op, table: &str, before: &Schema, after: &Schema) -> Result<Vec<Statement>, RenderError> {
    let unknown =
        || RenderError::Schema { op: op.describe(), problem: SchemaError::UnknownTable { table: table.to_owned() } };
    let old = before.table(table).ok_or_else(unknown)?;
    let new = after.table(table).ok_or_else(unknown)?;
    // The new definition's enum CHECKs list the values `after` knows (`add_enum_value`).
    let r = Renderer::new(op, after);
    let quoted = r.ident("table", table)?;
    let tmp_name = format!("{TMP_PREFIX}{table}");
    let tmp = r.ident("table", &tmp_name)?;

    let known: Vec<&str> = before.indexes_on(table).map(|index| index.name.as_str()).collect();
    let columns: Vec<&str> = old.columns.iter().map(|column| column.name.as_str()).collect();
    let mut statements = nothing_unknown_on(table, &known, &columns);
    statements.push(r.create_table(&readable_under_another_name(new), &tmp_name)?);

    let copied: Vec<String> = new
        .columns
        .iter()
        .filter(|c| c.generated.is_none())
        .filter(|c| old.column(&c.name).is_some_and(|o| o.generated.is_none()))
        .map(|c| r.ident("column", &c.name))
        .collect::<Result<_, _>>()?;
    // A table always keeps a column, but when none of them can be copied the rows still
    // must be: their rowids carry them over.
    let columns = if copied.is_empty() { "rowid".to_owned() } else { copied.join(", ") };
    statements.push(Statement::new(format!("INSERT INTO {tmp} ({columns}) SELECT {columns} FROM {quoted}")));

    if autoincrement_column(new).is_some() {
        // The copy set the new table's sequence to its largest id; an AUTOINCREMENT table
        // promises more (never an id it handed out before, even of a deleted row), so keep
        // the old table's sequence. A table without one simply starts after its largest id.
        statements
            .push(Statement::new(format!("DELETE FROM sqlite_sequence WHERE name = {}", quote_literal(&tmp_name))));
        statements.push(Statement::new(format!(
            "INSERT INTO sqlite_sequence (name, seq) SELECT {}, seq FROM sqlite_sequence WHERE name = {}",
            quote_literal(&tmp_name),
            quote_literal(table)
        )));
    }

    statements.push(Statement::new(format!("DROP TABLE {quoted}")));
    statements.push(Statement::new("PRAGMA legacy_alter_table = ON"));
    statements.push(Statement::new(format!("ALTER TABLE {tmp} RENAME TO {quoted}")));
    statements.push(Statement::new("PRAGMA legacy_alter_table = OFF"));
    for index in after.indexes_on(table) {
        statements.push(r.create_index(index)?);
    }
    Ok(statements)
}

/// `table` with its checks and generated columns reading their columns without the table's
/// name: the table is created under a temporary name, where `t.qty` names no table, and
/// renamed with `legacy_alter_table` on, which leaves its text as it is.
fn readable_under_another_name(table: &Table) -> Table {
    let mut table = table.clone();
    for column in &mut table.columns {
        if let Some(generated) = &mut column.generated {
            generated.expr = unqualified(&generated.expr);
        }
    }
    for constraint in &mut table.constraints {
        if let Constraint::Check { expr, .. } = constraint {
            *expr = unqualified(expr);
        }
    }
    table
}

/// The ops of a step rendered in order (applied to `schema`), where SQLite can spare some
/// table rebuilds:
/// - a run of ops that each rebuild the same table, and nothing else, rebuilds it once: the
///   run's first op takes the table from its definition before the run to the one after it,
///   copying the rows once, and the others render nothing. Such ops change constraints, or a
///   column's type, nullability, default or collation (each column once per run, so a value
///   is converted once either way). Ops on other tables may come between; an op that touches
///   the table otherwise (a rename, an added or dropped column, an index) or may touch any
///   (raw SQL, an enum value) ends the run;
/// - a foreign key on a column an earlier op of the step added, with no rebuild of the table
///   in between, goes into that `ADD COLUMN` (a new column holds only NULLs, which any key
///   accepts) instead of rebuilding the table; its own op renders nothing.
pub(super) fn render_merging_rebuilds(
    ops: &[Op],
    schema: &mut Schema,
) -> Result<Vec<Vec<Statement>>, (usize, RenderError)> {
    struct Run {
        start: usize,
        table: String,
        before: Schema,
        columns: Vec<String>,
        len: usize,
    }
    let close = |run: Run, rendered: &mut [Vec<Statement>], after: &Schema| {
        if run.len > 1 {
            rendered[run.start] =
                rebuild(&ops[run.start], &run.table, &run.before, after).map_err(|source| (run.start, source))?;
        }
        Ok::<(), (usize, RenderError)>(())
    };
    let mut rendered: Vec<Vec<Statement>> = Vec::with_capacity(ops.len());
    // The runs still open, one per table: ops on other tables do not end a run.
    let mut runs: Vec<Run> = Vec::new();
    for (index, op) in ops.iter().enumerate() {
        let statements = if let Some(added) = column_added_for(ops, &rendered, index) {
            // The key joins the column its `add_column` added (rendered below, in its place).
            rendered[added] = add_column_with_key(&ops[added], op, schema).map_err(|source| (index, source))?;
            Vec::new()
        } else {
            super::render::render(op, schema).map_err(|source| (index, source))?
        };
        let target = rebuild_alone(op).filter(|_| is_rebuild(&statements));
        let joined = target.and_then(|(table, column)| {
            let run = runs.iter_mut().find(|run| run.table == table)?;
            column.is_none_or(|column| !run.columns.iter().any(|c| c == column)).then_some((run, column))
        });
        if let Some((run, column)) = joined {
            run.columns.extend(column.map(str::to_owned));
            run.len += 1;
            rendered.push(Vec::new());
        } else {
            // The runs of the tables this op touches end before it.
            let (done, open): (Vec<Run>, Vec<Run>) = runs.into_iter().partition(|run| touches(op, &run.table));
            runs = open;
            for run in done {
                close(run, &mut rendered, schema)?;
            }
            if let Some((table, column)) = target {
                let columns = column.map(str::to_owned).into_iter().collect();
                runs.push(Run { start: index, table: table.to_owned(), before: schema.clone(), columns, len: 1 });
            }
            rendered.push(statements);
        }
        schema.apply(op).ok();
    }
    for run in runs {
        close(run, &mut rendered, schema)?;
    }
    Ok(rendered)
}

/// Whether `op` may change or read `table`, so that a rebuild of `table` cannot move past it
/// (raw SQL and enum value changes may touch any table).
fn touches(op: &Op, table: &str) -> bool {
    match op {
        Op::CreateTable(created) => created.name == table,
        Op::RenameTable { table: from, new_name } => from == table || new_name == table,
        Op::DropTable { table: on, .. }
        | Op::AddColumn { table: on, .. }
        | Op::DropColumn { table: on, .. }
        | Op::DropIndex { table: on, .. }
        | Op::RenameIndex { table: on, .. }
        | Op::AddConstraint { table: on, .. }
        | Op::DropConstraint { table: on, .. }
        | Op::RenameConstraint { table: on, .. }
        | Op::ValidateConstraint { table: on, .. }
        | Op::AlterTable { table: on, .. } => on == table,
        Op::AlterColumn(change) => change.table == table,
        Op::CreateIndex(index) => index.table == table,
        Op::CreateEnum { .. } | Op::DropEnum { .. } => false,
        Op::AddEnumValue { .. } | Op::DropEnumValue { .. } | Op::Sql { .. } => true,
    }
}

/// For an `add_constraint` of a one-column foreign key (`ops[index]`), the index of the
/// earlier `add_column` that added its column in place, nullable and without a default (so
/// NULL is all it holds), when no op in between rebuilds the table (which would leave the
/// key out), changes or drops the column or the table, or may do anything (raw SQL, an
/// enum value, which rebuilds the tables of the enum).
fn column_added_for(ops: &[Op], rendered: &[Vec<Statement>], index: usize) -> Option<usize> {
    let Op::AddConstraint { table, constraint: Constraint::ForeignKey { columns, .. }, .. } = &ops[index] else {
        return None;
    };
    let [key_column] = columns.as_slice() else { return None };
    let rebuilt = format!("\"{TMP_PREFIX}{table}\"");
    for (at, op) in ops[..index].iter().enumerate().rev() {
        let statements = &rendered[at];
        match op {
            Op::AddColumn { table: added_to, column } if added_to == table && column.name == *key_column => {
                let plain =
                    column.nullable && column.default.is_none() && column.generated.is_none() && !column.identity;
                return (plain && !is_rebuild(statements)).then_some(at);
            }
            Op::Sql { .. } | Op::AddEnumValue { .. } | Op::DropEnumValue { .. } => return None,
            Op::DropTable { table: t, .. } if t == table => return None,
            Op::RenameTable { table: from, new_name } if from == table || new_name == table => return None,
            Op::DropColumn { table: t, column } if t == table && column.name() == key_column => return None,
            Op::AlterColumn(change) if change.table == *table && change.column == *key_column => return None,
            _ if statements.iter().any(|statement| statement.sql.contains(&rebuilt)) => return None,
            _ => {}
        }
    }
    None
}

/// `ALTER TABLE ... ADD COLUMN` of `add_column`'s column with `add_key`'s foreign key as
/// the column's own `REFERENCES` clause.
fn add_column_with_key(add_column: &Op, add_key: &Op, schema: &Schema) -> Result<Vec<Statement>, RenderError> {
    let (Op::AddColumn { table, column }, Op::AddConstraint { constraint, .. }) = (add_column, add_key) else {
        return super::render::render(add_column, schema);
    };
    let r = Renderer::new(add_key, schema);
    let (definition, references) = (r.column_def(column, None)?, r.column_references(constraint)?);
    Ok(vec![Statement::new(format!("ALTER TABLE {} ADD COLUMN {definition} {references}", r.ident("table", table)?))])
}

/// The table `op` changes by a rebuild and nothing else, and the column whose values it
/// converts, if any: a constraint added, dropped or renamed, or a column's type,
/// nullability, default or collation changed without a rename.
fn rebuild_alone(op: &Op) -> Option<(&str, Option<&str>)> {
    match op {
        Op::AddConstraint { table, .. } | Op::DropConstraint { table, .. } | Op::RenameConstraint { table, .. } => {
            Some((table, None))
        }
        Op::AlterColumn(change) if change.new_name.is_none() => Some((&change.table, Some(&change.column))),
        _ => None,
    }
}

/// The foreign key check of a script's revision (rebuilds run with foreign keys off): the
/// violations before the revision are noted, and a temporary table whose `CHECK` is named by
/// the message refuses the row when the revision added any, so `sqlite3 -bail` stops before
/// the commit.
pub(super) fn script_integrity_check(revision: &str) -> (Vec<Statement>, Vec<Statement>) {
    let before = "\"_aludel_fk_before\"";
    let guard = "\"_aludel_fk_guard\"";
    let message = crate::dialect::common::quote_ident_ansi(&format!(
        "revision {revision} leaves rows referencing missing rows (PRAGMA foreign_key_check lists them): fix those \
         rows in a sql op before the op that adds the key"
    ));
    let opening = vec![Statement::new(format!(
        "CREATE TEMP TABLE {before} AS SELECT \"table\" AS t, rowid AS r, parent AS p FROM pragma_foreign_key_check"
    ))];
    let closing = vec![
        Statement::new(format!(
            "CREATE TEMP TABLE {guard} (no_new_violation INTEGER CONSTRAINT {message} CHECK (no_new_violation))"
        )),
        Statement::new(format!(
            "INSERT INTO {guard} SELECT NOT EXISTS (SELECT 1 FROM pragma_foreign_key_check f WHERE NOT EXISTS \
             (SELECT 1 FROM {before} b WHERE b.t = f.\"table\" AND b.r IS f.rowid AND b.p = f.parent))"
        )),
        Statement::new(format!("DROP TABLE {guard}")),
        Statement::new(format!("DROP TABLE {before}")),
    ];
    (opening, closing)
}

/// Statements that fail, naming `table` and what to do, when the table has what the rebuild
/// would drop unknowingly: a trigger, or an index no op created (`known` are the ones the
/// schema has; SQLite's own indexes of keys have no SQL); a column no op created (`columns`
/// are the ones the schema has), whose data the copy would leave behind; or what the schema
/// model does not hold of the table itself (`STRICT`, `WITHOUT ROWID`, a foreign key
/// `INITIALLY DEFERRED`). A temporary table whose `CHECK`s are named by the messages refuses
/// the row saying so.
pub(super) fn nothing_unknown_on(table: &str, known: &[&str], columns: &[&str]) -> Vec<Statement> {
    let guard = crate::dialect::common::quote_ident_ansi(&format!("_aludel_guard_{table}"));
    let message = crate::dialect::common::quote_ident_ansi(&format!(
        "table {table} has triggers or indexes no op created, which rebuilding it would drop: drop them in a sql op \
         before this op and create them again in one after it"
    ));
    let options = crate::dialect::common::quote_ident_ansi(&format!(
        "table {table} is STRICT or WITHOUT ROWID or has a foreign key INITIALLY DEFERRED, which rebuilding it would \
         lose (the schema model does not hold them): make this change in a sql op that rebuilds the table itself"
    ));
    let unknown_columns = crate::dialect::common::quote_ident_ansi(&format!(
        "table {table} has columns no op created (a sql op added them), which rebuilding it would drop with their \
         data: add them with add_column ops instead, or make this change in a sql op that rebuilds the table itself"
    ));
    // SQLite compares column names without regard to ASCII case.
    let names: Vec<String> = columns.iter().map(|name| quote_literal(&name.to_ascii_lowercase())).collect();
    let unknown_column = format!(
        "NOT EXISTS (SELECT 1 FROM pragma_table_xinfo({}) WHERE lower(name) NOT IN ({}))",
        quote_literal(table),
        names.join(", ")
    );
    let unknown_index = if known.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = known.iter().map(|name| quote_literal(name)).collect();
        format!(" AND name NOT IN ({})", names.join(", "))
    };
    vec![
        Statement::new(format!(
            "CREATE TEMP TABLE {guard} (nothing_unknown INTEGER CONSTRAINT {message} CHECK (nothing_unknown), \
             nothing_lost INTEGER CONSTRAINT {options} CHECK (nothing_lost), \
             no_unknown_column INTEGER CONSTRAINT {unknown_columns} CHECK (no_unknown_column))"
        )),
        Statement::new(format!(
            "INSERT INTO {guard} SELECT NOT EXISTS (SELECT 1 FROM sqlite_master WHERE tbl_name = {table_literal} AND \
             (type = 'trigger' OR (type = 'index' AND sql IS NOT NULL{unknown_index}))), NOT EXISTS (SELECT 1 FROM \
             pragma_table_list WHERE schema = 'main' AND name = {table_literal} AND (strict OR wr)) AND NOT EXISTS \
             (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = {table_literal} AND sql LIKE \
             '%INITIALLY DEFERRED%'), {unknown_column}",
            table_literal = quote_literal(table)
        )),
        Statement::new(format!("DROP TABLE {guard}")),
    ]
}
