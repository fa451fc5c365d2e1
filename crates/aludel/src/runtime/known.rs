//! What a run knows for certain of the tables and columns its pending ops will meet, and the
//! refusals that knowledge allows before anything runs: an op naming a table or a column that
//! will not exist when it runs. On a backend without transactional DDL (MySQL) such an op
//! would otherwise fail part way, leaving its revision half applied.
//!
//! The knowledge starts from the introspected database, not from the schema the applied
//! revisions' ops simulate (`runner::schema_of`): that model misses whatever raw SQL, a
//! baseline taken with `stamp`, or a change made by hand put in the database, and a refusal
//! built on it would refuse valid revisions that use such a column. The database read once
//! per run is the truth; the pending ops then move it along with `Schema::apply`. Where that
//! stops being certain, nothing is refused: a table an op changed in a way the model could
//! not follow is doubtful from then on, and after raw SQL that runs on this backend (which
//! may create, alter or drop anything) the whole schema is.
//!
//! Names compare case-insensitively: MySQL and SQLite read column names so, and a refusal
//! must never fall on a name the database would have taken. (A PostgreSQL op that differs in
//! case only still fails when it runs, inside its revision's transaction.)
//!
//! Not here: checks of what an op creates (a table or column that already exists), of index
//! and constraint names, and of expressions; the database reports those as it runs.

use std::collections::BTreeSet;

use crate::Error;
use crate::dialect::{IntrospectError, IntrospectOptions, Session, StateTables};
use crate::ops::Op;
use crate::runtime::runner::direction_word;
use crate::runtime::{RuntimeError, db_error};
use crate::schema::{Constraint, IndexKey, Schema, Table};
use crate::script::{Direction, RevisionGraph, Step};

/// Reads what the run checks its pending ops against: the schema introspection reads (the
/// version and history tables left out) and the names of every relation an op may reach.
/// `None` when the database holds a definition introspection cannot read: a run that could go
/// on without the check is not stopped for it.
///
/// # Errors
///
/// [`RuntimeError::ReadSchema`] or [`RuntimeError::Database`] when a catalog query fails.
pub(super) async fn read(session: &mut dyn Session, tables: &StateTables) -> Result<Option<KnownSchema>, Error> {
    let options = IntrospectOptions {
        schema: None,
        exclude_tables: vec![tables.version_table.clone(), tables.history_table.clone()],
    };
    let schema = match session.introspect(&options).await {
        Ok(schema) => schema,
        Err(IntrospectError::Definition { .. }) => return Ok(None),
        Err(source) => return Err(RuntimeError::ReadSchema { source }.into()),
    };
    let rows = session
        .query_text(session.dialect().relations_query())
        .await
        .map_err(db_error("read the names of the database's tables and views"))?;
    let relations = rows.into_iter().filter_map(|row| row.into_iter().next().flatten());
    Ok(Some(KnownSchema::new(schema, relations)))
}

/// Checks the ops of `step` in order against `known`, moving it past each.
///
/// # Errors
///
/// [`RuntimeError::Refused`] for the first op that names a table or column that will not
/// exist when it runs.
pub(super) fn check_step(
    dialect: &dyn crate::dialect::Dialect,
    graph: &RevisionGraph,
    known: &mut KnownSchema,
    step: &Step,
) -> Result<(), Error> {
    let revision = graph.get(&step.revision).expect("plans only name revisions of their graph");
    let ops = match step.direction {
        Direction::Up => &revision.upgrade,
        Direction::Down => &revision.downgrade,
    };
    for (index, op) in ops.iter().enumerate() {
        if let Err(problem) = known.check(op) {
            return Err(RuntimeError::Refused {
                revision: revision.id.clone(),
                path: revision.path.clone(),
                direction: direction_word(step.direction),
                op_number: index + 1,
                op: op.describe(),
                problem,
            }
            .into());
        }
        let runs_here = match op {
            Op::Sql { dialect: Some(name), .. } => crate::dialect::names_dialect(name, dialect.name()),
            _ => true,
        };
        known.advance(op, runs_here);
    }
    Ok(())
}

/// Why an op cannot run on the database as the earlier pending ops leave it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The op names a table that will not exist when it runs.
    #[error(
        "table `{table}` does not exist at that point (the database has no table or view of that name, or an \
         earlier pending op dropped or renamed it); correct the name, or create the table in an earlier op or \
         revision"
    )]
    MissingTable {
        /// The table the op names.
        table: String,
    },
    /// The op names a column its table will not have when it runs.
    #[error(
        "table `{table}` has no column `{column}` at that point (the database's table lacks it, or an earlier \
         pending op dropped or renamed it); correct the name, or add the column in an earlier op or revision"
    )]
    MissingColumn {
        /// The table.
        table: String,
        /// The column the op names.
        column: String,
    },
}

/// The database's tables as the pending ops checked so far leave them, with what is no longer
/// certain.
#[derive(Debug, Clone)]
pub(super) struct KnownSchema {
    /// The introspected database, moved along by the ops checked so far.
    schema: Schema,
    /// The relations an op may name that `schema` does not model (views, partitions, tables
    /// of other schemas on the search path, the version tables), in lower case: nothing is
    /// known of their columns, and they exist.
    unmodelled: BTreeSet<String>,
    /// Tables (in lower case) an op changed in a way `Schema::apply` could not follow.
    doubtful: BTreeSet<String>,
    /// Raw SQL ran on this backend: it may have changed any table.
    anything_changed: bool,
}

impl KnownSchema {
    /// The knowledge of a database whose introspected schema is `schema` and whose relations
    /// (the dialect's `relations_query`) are `relations`.
    pub(super) fn new(schema: Schema, relations: impl IntoIterator<Item = String>) -> KnownSchema {
        let mut unmodelled: BTreeSet<String> = relations.into_iter().map(|name| name.to_lowercase()).collect();
        // A modelled table an op drops or renames is gone, not unknown.
        for name in schema.tables.keys() {
            unmodelled.remove(&name.to_lowercase());
        }
        KnownSchema { schema, unmodelled, doubtful: BTreeSet::new(), anything_changed: false }
    }

    /// Refuses `op` when it names a table or column that will not exist when it runs.
    pub(super) fn check(&self, op: &Op) -> Result<(), Refusal> {
        if self.anything_changed {
            return Ok(());
        }
        match op {
            Op::DropTable { table, .. }
            | Op::RenameTable { table, .. }
            | Op::AddColumn { table, .. }
            | Op::AlterTable { table, .. }
            | Op::DropConstraint { table, .. }
            | Op::RenameConstraint { table, .. }
            | Op::ValidateConstraint { table, .. } => self.table(table).map(drop),
            Op::DropColumn { table, column } => self.columns(table, [column.name()]),
            Op::AlterColumn(change) => self.columns(&change.table, [change.column.as_str()]),
            Op::CreateIndex(create) => {
                let keys = create.columns.iter().filter_map(|key| match key {
                    IndexKey::Column(column) => Some(column.as_str()),
                    IndexKey::Expr { .. } => None,
                });
                self.columns(&create.table, keys.chain(create.include.iter().map(String::as_str)))
            }
            Op::AddConstraint { table, constraint, .. } => {
                self.columns(table, constraint.columns().iter().map(String::as_str))?;
                match constraint {
                    // A foreign key of a table to itself references what the same op checked.
                    Constraint::ForeignKey { references, .. } if !references.table.eq_ignore_ascii_case(table) => {
                        self.columns(&references.table, references.columns.iter().map(String::as_str))
                    }
                    _ => Ok(()),
                }
            }
            // `drop_index` and `rename_index` name their table only where the backend spells
            // it (PostgreSQL finds an index by its name alone); enums and raw SQL name no
            // table the model holds; what `create_table` creates is the database's to refuse.
            Op::CreateTable(_)
            | Op::DropIndex { .. }
            | Op::RenameIndex { .. }
            | Op::CreateEnum { .. }
            | Op::DropEnum { .. }
            | Op::AddEnumValue { .. }
            | Op::DropEnumValue { .. }
            | Op::Sql { .. } => Ok(()),
        }
    }

    /// Moves the knowledge past `op`; `runs_here` says whether it runs on this backend (an
    /// `sql` op for another dialect does not).
    pub(super) fn advance(&mut self, op: &Op, runs_here: bool) {
        if self.anything_changed {
            return;
        }
        if let Op::Sql { .. } = op {
            self.anything_changed = runs_here;
            return;
        }
        match self.schema.apply(op) {
            Ok(()) => {
                if let Op::CreateTable(table) = op {
                    self.doubtful.remove(&table.name.to_lowercase());
                }
            }
            // The model cannot follow the op (a name that differs in case, a constraint the
            // database named otherwise): what it did to its tables is no longer certain.
            Err(_) => self.doubtful.extend(tables_of(op).map(str::to_lowercase)),
        }
    }

    /// The table `name` as it will be: `Ok(None)` when that is not certain (a relation the
    /// model does not describe, or a doubtful one).
    fn table(&self, name: &str) -> Result<Option<&Table>, Refusal> {
        let lower = name.to_lowercase();
        if self.doubtful.contains(&lower) {
            return Ok(None);
        }
        let found = self
            .schema
            .table(name)
            .or_else(|| self.schema.tables.values().find(|table| table.name.eq_ignore_ascii_case(name)));
        match found {
            Some(table) => Ok(Some(table)),
            None if self.unmodelled.contains(&lower) => Ok(None),
            None => Err(Refusal::MissingTable { table: name.to_owned() }),
        }
    }

    /// Refuses unless `table` exists with every column of `columns` (when it is certain).
    fn columns<'c>(&self, table: &str, columns: impl IntoIterator<Item = &'c str>) -> Result<(), Refusal> {
        let Some(known) = self.table(table)? else { return Ok(()) };
        for column in columns {
            if !known.columns.iter().any(|c| c.name.eq_ignore_ascii_case(column)) {
                return Err(Refusal::MissingColumn { table: known.name.clone(), column: column.to_owned() });
            }
        }
        Ok(())
    }
}

/// The tables `op` changes or reads: both names of a renamed table.
fn tables_of(op: &Op) -> impl Iterator<Item = &str> {
    let names: Vec<&str> = match op {
        Op::CreateTable(table) => vec![&table.name],
        Op::RenameTable { table, new_name } => vec![table, new_name],
        Op::DropTable { table, .. }
        | Op::AddColumn { table, .. }
        | Op::DropColumn { table, .. }
        | Op::DropIndex { table, .. }
        | Op::RenameIndex { table, .. }
        | Op::RenameConstraint { table, .. }
        | Op::AddConstraint { table, .. }
        | Op::ValidateConstraint { table, .. }
        | Op::DropConstraint { table, .. }
        | Op::AlterTable { table, .. } => vec![table],
        Op::AlterColumn(change) => vec![&change.table],
        Op::CreateIndex(create) => vec![&create.table],
        Op::CreateEnum { .. }
        | Op::DropEnum { .. }
        | Op::AddEnumValue { .. }
        | Op::DropEnumValue { .. }
        | Op::Sql { .. } => Vec::new(),
    };
    names.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ops of `op = [...]`, a TOML array of inline tables.
    fn ops(text: &str) -> Vec<Op> {
        toml::from_str::<std::collections::BTreeMap<String, Vec<Op>>>(text)
            .expect("valid ops")
            .remove("op")
            .expect("ops")
    }

    /// A database with `users (id, email)`, whose relations add the view `active_users`.
    fn database() -> KnownSchema {
        let mut schema = Schema::default();
        let setup = ops(r#"op = [
            { op = "create_table", table = "users", columns = [{ name = "id", type = "integer" }, { name = "email", type = "text" }] },
        ]"#);
        for op in &setup {
            schema.apply(op).expect("fits");
        }
        KnownSchema::new(schema, ["users".to_owned(), "Active_Users".to_owned()])
    }

    /// Checks and advances through `ops`: the first refusal, with the op's position.
    fn check(known: &mut KnownSchema, ops: &[Op]) -> Option<(usize, Refusal)> {
        for (index, op) in ops.iter().enumerate() {
            if let Err(refusal) = known.check(op) {
                return Some((index, refusal));
            }
            known.advance(op, true);
        }
        None
    }

    #[test]
    fn a_missing_table_or_column_is_refused_with_its_position() {
        for (text, position, refusal) in [
            (
                r#"op = [{ op = "drop_column", table = "users", column = "nickname" }]"#,
                0,
                Refusal::MissingColumn { table: "users".into(), column: "nickname".into() },
            ),
            (
                r#"op = [
                    { op = "add_column", table = "users", column = { name = "age", type = "integer" } },
                    { op = "create_index", table = "users", name = "ix", columns = ["age", "agee"] },
                ]"#,
                1,
                Refusal::MissingColumn { table: "users".into(), column: "agee".into() },
            ),
            (
                r#"op = [{ op = "alter_column", table = "user", column = "email", nullable = false }]"#,
                0,
                Refusal::MissingTable { table: "user".into() },
            ),
            (
                r#"op = [
                    { op = "alter_column", table = "users", column = "email", new_name = "mail" },
                    { op = "add_constraint", table = "users", constraint = { kind = "unique", name = "k", columns = ["email"] } },
                ]"#,
                1,
                Refusal::MissingColumn { table: "users".into(), column: "email".into() },
            ),
            (
                r#"op = [
                    { op = "rename_table", table = "users", new_name = "people" },
                    { op = "drop_column", table = "users", column = "email" },
                ]"#,
                1,
                Refusal::MissingTable { table: "users".into() },
            ),
            (
                r#"op = [
                    { op = "create_table", table = "posts", columns = [{ name = "id", type = "integer" }, { name = "author", type = "integer" }] },
                    { op = "add_constraint", table = "posts", constraint = { kind = "foreign_key", name = "fk", columns = ["author"], references = { table = "users", columns = ["user_id"] } } },
                ]"#,
                1,
                Refusal::MissingColumn { table: "users".into(), column: "user_id".into() },
            ),
        ] {
            assert_eq!(check(&mut database(), &ops(text)), Some((position, refusal)), "{text}");
        }
    }

    #[test]
    fn what_earlier_ops_create_and_what_cannot_be_known_is_never_refused() {
        for text in [
            // Created earlier in the run, or named in another case (MySQL, SQLite).
            r#"op = [
                { op = "add_column", table = "users", column = { name = "age", type = "integer" } },
                { op = "create_index", table = "USERS", name = "ix", columns = ["Age", "email"] },
                { op = "create_table", table = "posts", columns = [{ name = "id", type = "integer" }] },
                { op = "drop_column", table = "posts", column = "id" },
            ]"#,
            // A view, or any relation the model leaves out: nothing is known of its columns.
            r#"op = [{ op = "create_index", table = "active_users", name = "ix", columns = ["anything"] }]"#,
            // Raw SQL may have made anything.
            r#"op = [
                { op = "sql", sql = "ALTER TABLE users ADD COLUMN nickname text" },
                { op = "drop_column", table = "users", column = "nickname" },
                { op = "drop_table", table = "made_by_sql" },
            ]"#,
            // An op the model cannot follow leaves its table doubtful.
            r#"op = [
                { op = "drop_constraint", table = "users", name = "named_by_the_database", kind = "unique" },
                { op = "drop_column", table = "users", column = "whatever" },
            ]"#,
            // A table dropped, then created again.
            r#"op = [
                { op = "drop_table", table = "users" },
                { op = "create_table", table = "users", columns = [{ name = "id", type = "integer" }] },
                { op = "alter_column", table = "users", column = "id", nullable = false },
            ]"#,
        ] {
            assert_eq!(check(&mut database(), &ops(text)), None, "{text}");
        }
    }

    #[test]
    fn raw_sql_for_another_backend_changes_nothing_here() {
        let mut known = database();
        let ops = ops(r#"op = [
            { op = "sql", sql = "ALTER TABLE users ADD COLUMN nickname text", dialect = "postgresql" },
            { op = "drop_column", table = "users", column = "nickname" },
        ]"#);
        known.advance(&ops[0], false);
        assert_eq!(
            known.check(&ops[1]),
            Err(Refusal::MissingColumn { table: "users".into(), column: "nickname".into() })
        );
    }
}
