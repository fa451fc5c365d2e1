//! What a run knows for certain of the tables and columns its pending ops will meet, and the
//! refusals that knowledge allows before anything runs: an op naming a table or a column that
//! will not exist when it runs; a `drop_column` whose column a key or index of several columns
//! still covers (PostgreSQL drops such a key, MySQL narrows or refuses it, SQLite rebuilds
//! without it: one history would mean three things), a CHECK reading other columns too still
//! reads (PostgreSQL drops the check, MariaDB and SQLite refuse), an expression key or the
//! `WHERE` of an index reads (PostgreSQL drops the index, MySQL and SQLite refuse), or a foreign key
//! references. On a backend without transactional DDL (MySQL) such an op would otherwise fail
//! part way, leaving its revision half applied. A key, plain index or check of the dropped
//! column alone goes with it on every backend, as `Schema::apply` has it (MySQL's renderer
//! drops such a foreign key itself, SQLite's rebuilds the table without such a check).
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
//! and constraint names, and of whether an expression is valid; the database reports those as
//! it runs. Expressions are only scanned for the columns they read (`Table::columns_read`).

use std::collections::BTreeSet;

use crate::Error;
use crate::dialect::{IntrospectError, IntrospectOptions, Session, StateTables};
use crate::ops::Op;
use crate::runtime::runner::direction_word;
use crate::runtime::{RuntimeError, db_error};
use crate::schema::{Constraint, IndexKey, Schema, Table};
use crate::script::{RevisionGraph, Step};

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

/// What a refusal says of an online run.
pub(super) const NOTHING_RAN: &str =
    "nothing ran (every pending revision is checked against the database before the first runs)";
/// What a refusal says of a `--sql` script from base.
pub(super) const NO_SCRIPT: &str =
    "no script was written (a script from base is checked against the empty database it starts from)";

/// Checks the ops of `step` in order against `known`, moving it past each; a refusal says
/// `settled` of the run.
///
/// # Errors
///
/// [`RuntimeError::Refused`] for the first op that names a table or column that will not
/// exist when it runs, or drops a column something else still needs (see [`Refusal`]).
pub(super) fn check_step(
    dialect: &dyn crate::dialect::Dialect,
    graph: &RevisionGraph,
    known: &mut KnownSchema,
    step: &Step,
    settled: &'static str,
) -> Result<(), Error> {
    let revision = graph.get(&step.revision).expect("plans only name revisions of their graph");
    let ops = revision.ops(step.direction);
    for (index, op) in ops.iter().enumerate() {
        if let Err(problem) = known.check(op) {
            return Err(RuntimeError::Refused {
                settled,
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
    /// `drop_column` of a column that a key or index of several columns still covers: the
    /// backends differ in what that does to the key, so the history would mean one thing on
    /// one of them and another elsewhere.
    #[error(
        "column `{table}.{column}` is still part of {key}, and the backends differ in what dropping one of its \
         columns does to it (PostgreSQL drops it, MySQL narrows it to the other columns or refuses, SQLite \
         rebuilds the table without it); drop it in an earlier op ({}), then the column, and add back the {} that \
         should remain",
        key.kind.drop_op(),
        key.kind
    )]
    ColumnInKey {
        /// The table.
        table: String,
        /// The column to drop.
        column: String,
        /// The key or index that covers it and other columns.
        key: Box<Key>,
    },
    /// `drop_column` of a column that a CHECK reading other columns too still uses: PostgreSQL
    /// drops the check, MariaDB and SQLite refuse the drop.
    #[error(
        "column `{table}.{column}` is read by {check}, which reads other columns too, and the backends differ in \
         what dropping the column does to it (PostgreSQL drops the check, MariaDB and SQLite refuse); drop the check \
         in an earlier op (drop_constraint), then the column, and add back a check of the remaining columns if one \
         should stay"
    )]
    ColumnInCheck {
        /// The table.
        table: String,
        /// The column to drop.
        column: String,
        /// The check, its expression as its only column.
        check: Box<Key>,
    },
    /// `drop_column` of a column that an expression key of an index, or a partial index's
    /// `WHERE`, reads: PostgreSQL drops the index, SQLite and MySQL refuse the drop (MariaDB
    /// indexes no expressions; MySQL has no partial indexes).
    #[error(
        "column `{table}.{column}` is read by an expression of {index}, and the backends differ in what dropping the \
         column does to it (PostgreSQL drops the index, SQLite and MySQL refuse); drop the index in an earlier op \
         (drop_index), then the column, and create again the index that should remain"
    )]
    ColumnInIndexExpression {
        /// The table.
        table: String,
        /// The column to drop.
        column: String,
        /// The index, its keys as written.
        index: Box<Key>,
    },
    /// `drop_column` of a column a foreign key references: no backend drops the key with it
    /// alike (PostgreSQL and MySQL refuse, SQLite would leave the key pointing at nothing).
    #[error(
        "column `{table}.{column}` is referenced by {key} of table `{referencing}`; drop that foreign key in an \
         earlier op (drop_constraint), then the column"
    )]
    ReferencedColumn {
        /// The table.
        table: String,
        /// The column to drop.
        column: String,
        /// The table holding the foreign key.
        referencing: String,
        /// The foreign key.
        key: Box<Key>,
    },
}

/// A key or index a refusal names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// What it is.
    pub kind: KeyKind,
    /// Its name, when it has one.
    pub name: Option<String>,
    /// Its columns (an index's expressions as written, and its included columns; a check's
    /// expression).
    pub columns: Vec<String>,
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{} `{name}` ({})", self.kind, self.columns.join(", ")),
            None => write!(f, "the unnamed {} ({})", self.kind, self.columns.join(", ")),
        }
    }
}

/// The kinds of [`Key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyKind {
    /// The table's primary key.
    PrimaryKey,
    /// A unique constraint.
    Unique,
    /// A foreign key.
    ForeignKey,
    /// An index.
    Index,
    /// A check constraint.
    Check,
}

impl KeyKind {
    /// The op that drops such a key.
    fn drop_op(self) -> &'static str {
        match self {
            KeyKind::Index => "drop_index",
            KeyKind::PrimaryKey | KeyKind::Unique | KeyKind::ForeignKey | KeyKind::Check => "drop_constraint",
        }
    }
}

impl std::fmt::Display for KeyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyKind::PrimaryKey => "primary key",
            KeyKind::Unique => "unique constraint",
            KeyKind::ForeignKey => "foreign key",
            KeyKind::Index => "index",
            KeyKind::Check => "check constraint",
        })
    }
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
            Op::DropColumn { table, column } => {
                self.columns(table, [column.name()])?;
                self.dependents(table, column.name())
            }
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

impl KnownSchema {
    /// Refuses dropping `table.column` while a key or index of several columns covers it, a
    /// check reading other columns too or an expression key or `WHERE` of an index reads it, or a foreign
    /// key references it. A key, plain index or check of the column alone goes with it, on
    /// every backend.
    ///
    /// An expression reads a column when it names it as a whole token, quoted or not, in any
    /// case (`Table::columns_read`): `a` is not read by `name`, nor by `'a'`, `a(1)` or `x::a`.
    /// A keyword spelled like a column can still match; such a refusal is rare, and dropping the
    /// check or index first is a valid revision on every backend.
    fn dependents(&self, table: &str, column: &str) -> Result<(), Refusal> {
        let Some(known) = self.table(table)? else { return Ok(()) };
        let names = |columns: &[String]| columns.iter().any(|c| c.eq_ignore_ascii_case(column));
        let refuse = |kind, name: Option<&str>, columns: Vec<String>| Refusal::ColumnInKey {
            table: known.name.clone(),
            column: column.to_owned(),
            key: Box::new(Key { kind, name: name.map(str::to_owned), columns }),
        };
        if known.primary_key.len() > 1 && names(&known.primary_key) {
            return Err(refuse(KeyKind::PrimaryKey, known.primary_key_name.as_deref(), known.primary_key.clone()));
        }
        for constraint in &known.constraints {
            let kind = match constraint {
                Constraint::PrimaryKey { .. } => KeyKind::PrimaryKey,
                Constraint::Unique { .. } => KeyKind::Unique,
                Constraint::ForeignKey { .. } => KeyKind::ForeignKey,
                Constraint::Check { name, expr } => {
                    let read = known.columns_read(expr);
                    if read.len() > 1 && read.iter().any(|c| c.eq_ignore_ascii_case(column)) {
                        return Err(Refusal::ColumnInCheck {
                            table: known.name.clone(),
                            column: column.to_owned(),
                            check: Box::new(Key {
                                kind: KeyKind::Check,
                                name: name.clone(),
                                columns: vec![expr.clone()],
                            }),
                        });
                    }
                    continue;
                }
            };
            let columns = constraint.columns();
            if columns.len() > 1 && names(columns) {
                return Err(refuse(kind, constraint.name(), columns.to_vec()));
            }
        }
        for index in self.schema.indexes.values().filter(|index| index.table.eq_ignore_ascii_case(&known.name)) {
            let keys: Vec<String> = index
                .columns
                .iter()
                .map(|key| match key {
                    IndexKey::Column(column) => column.clone(),
                    IndexKey::Expr { expr } => expr.clone(),
                })
                .chain(index.include.iter().cloned())
                .collect();
            let covers =
                index.columns.iter().any(|key| matches!(key, IndexKey::Column(c) if c.eq_ignore_ascii_case(column)))
                    || names(&index.include);
            if keys.len() > 1 && covers {
                return Err(refuse(KeyKind::Index, Some(&index.name), keys));
            }
            let reads = |expr: &str| known.columns_read(expr).iter().any(|c| c.eq_ignore_ascii_case(column));
            // A partial index's WHERE too: PostgreSQL drops the index, SQLite refuses the drop.
            let predicate = index.predicate.as_deref().filter(|predicate| reads(predicate));
            if predicate.is_some()
                || index.columns.iter().any(|key| matches!(key, IndexKey::Expr { expr } if reads(expr)))
            {
                let columns = keys.into_iter().chain(predicate.map(|predicate| format!("WHERE {predicate}"))).collect();
                return Err(Refusal::ColumnInIndexExpression {
                    table: known.name.clone(),
                    column: column.to_owned(),
                    index: Box::new(Key { kind: KeyKind::Index, name: Some(index.name.clone()), columns }),
                });
            }
        }
        // A doubtful table's foreign keys may be gone already.
        let certain = self.schema.tables.values().filter(|other| !self.doubtful.contains(&other.name.to_lowercase()));
        for other in certain {
            for constraint in &other.constraints {
                let Constraint::ForeignKey { name, columns, references, .. } = constraint else { continue };
                // A table's foreign key from the column to itself goes with it.
                let own = other.name == known.name && names(columns);
                if references.table.eq_ignore_ascii_case(&known.name) && names(&references.columns) && !own {
                    return Err(Refusal::ReferencedColumn {
                        table: known.name.clone(),
                        column: column.to_owned(),
                        referencing: other.name.clone(),
                        key: Box::new(Key { kind: KeyKind::ForeignKey, name: name.clone(), columns: columns.clone() }),
                    });
                }
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

    /// `users (id, email)` and `shops (id, region, country, name, owner)` with keys and
    /// indexes of one and of several columns.
    fn shops() -> KnownSchema {
        let mut known = database();
        let setup = ops(r#"op = [
            { op = "create_table", table = "shops", columns = [
                { name = "id", type = "integer" }, { name = "region", type = "text" }, { name = "country", type = "text" },
                { name = "name", type = "text" }, { name = "owner", type = "integer" }, { name = "tag", type = "text" },
              ], primary_key = ["id", "region"], constraints = [
                { kind = "unique", name = "shops_name_country_key", columns = ["name", "country"] },
                { kind = "unique", name = "shops_tag_key", columns = ["tag"] },
                { kind = "foreign_key", name = "shops_owner_fkey", columns = ["owner"], references = { table = "users", columns = ["id"] } },
              ] },
            { op = "create_index", table = "shops", name = "ix_shops_tag_name", columns = ["tag"], include = ["name"] },
        ]"#);
        for op in &setup {
            known.check(op).expect("fits");
            known.advance(op, true);
        }
        known
    }

    #[test]
    fn a_column_of_a_key_of_several_columns_or_referenced_is_refused() {
        let key = |kind, name: &str, columns: &[&str]| Key {
            kind,
            name: Some(name.to_owned()),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        };
        for (text, position, refusal) in [
            (
                r#"op = [{ op = "drop_column", table = "shops", column = "Country" }]"#,
                0,
                Refusal::ColumnInKey {
                    table: "shops".into(),
                    column: "Country".into(),
                    key: Box::new(key(KeyKind::Unique, "shops_name_country_key", &["name", "country"])),
                },
            ),
            (
                r#"op = [{ op = "drop_column", table = "shops", column = "region" }]"#,
                0,
                Refusal::ColumnInKey {
                    table: "shops".into(),
                    column: "region".into(),
                    key: Box::new(Key {
                        kind: KeyKind::PrimaryKey,
                        name: None,
                        columns: vec!["id".into(), "region".into()],
                    }),
                },
            ),
            (
                // The unique key goes first, the index still covers `name`.
                r#"op = [
                    { op = "drop_constraint", table = "shops", name = "shops_name_country_key", kind = "unique" },
                    { op = "drop_column", table = "shops", column = "country" },
                    { op = "drop_column", table = "shops", column = "name" },
                ]"#,
                2,
                Refusal::ColumnInKey {
                    table: "shops".into(),
                    column: "name".into(),
                    key: Box::new(key(KeyKind::Index, "ix_shops_tag_name", &["tag", "name"])),
                },
            ),
            (
                r#"op = [{ op = "drop_column", table = "users", column = "id" }]"#,
                0,
                Refusal::ReferencedColumn {
                    table: "users".into(),
                    column: "id".into(),
                    referencing: "shops".into(),
                    key: Box::new(key(KeyKind::ForeignKey, "shops_owner_fkey", &["owner"])),
                },
            ),
        ] {
            assert_eq!(check(&mut shops(), &ops(text)), Some((position, refusal)), "{text}");
        }
        let refusal =
            check(&mut shops(), &ops(r#"op = [{ op = "drop_column", table = "shops", column = "country" }]"#));
        assert_eq!(
            refusal.expect("refused").1.to_string(),
            "column `shops.country` is still part of unique constraint `shops_name_country_key` (name, country), and \
             the backends differ in what dropping one of its columns does to it (PostgreSQL drops it, MySQL narrows \
             it to the other columns or refuses, SQLite rebuilds the table without it); drop it in an earlier op \
             (drop_constraint), then the column, and add back the unique constraint that should remain"
        );
    }

    #[test]
    fn keys_dropped_first_or_of_the_column_alone_let_it_go() {
        for text in [
            // Keys and an index of the column alone go with it.
            r#"op = [
                { op = "drop_column", table = "shops", column = "owner" },
                { op = "drop_index", table = "shops", name = "ix_shops_tag_name" },
                { op = "drop_column", table = "shops", column = "tag" },
            ]"#,
            // What covers several columns is dropped first, in the order autogenerate writes.
            r#"op = [
                { op = "drop_constraint", table = "shops", name = "shops_owner_fkey", kind = "foreign_key" },
                { op = "drop_index", table = "shops", name = "ix_shops_tag_name" },
                { op = "drop_constraint", table = "shops", name = "shops_name_country_key", kind = "unique" },
                { op = "drop_constraint", table = "shops", name = "shops_pkey", kind = "primary_key", existing = { kind = "primary_key", columns = ["id", "region"] } },
                { op = "drop_column", table = "shops", column = "country" },
                { op = "drop_column", table = "shops", column = "name" },
                { op = "drop_column", table = "shops", column = "region" },
                { op = "drop_column", table = "users", column = "id" },
            ]"#,
        ] {
            assert_eq!(check(&mut shops(), &ops(text)), None, "{text}");
        }
    }

    /// `items (id, price, discount, email, name, a)` with checks and indexes on expressions.
    fn items() -> KnownSchema {
        let mut known = database();
        let setup = ops(r#"op = [
            { op = "create_table", table = "items", columns = [
                { name = "id", type = "integer" }, { name = "price", type = "integer" }, { name = "discount", type = "integer" },
                { name = "email", type = "text" }, { name = "name", type = "text" }, { name = "a", type = "integer" },
                { name = "archived", type = "integer" },
              ], constraints = [
                { kind = "check", name = "items_price_check", expr = "(\"Price\" > 0) AND price < 1000" },
                { kind = "check", name = "items_discount_check", expr = "(discount)::numeric <= PRICE" },
                { kind = "check", name = "items_name_check", expr = "name <> 'a' AND name::a IS NOT NULL" },
              ] },
            { op = "create_index", table = "items", name = "ix_items_lower_email", columns = [{ expr = "lower(`email`)" }] },
            { op = "create_index", table = "items", name = "ix_items_live_name", columns = ["name"], where = "archived IS NULL" },
        ]"#);
        for op in &setup {
            known.check(op).expect("fits");
            known.advance(op, true);
        }
        known
    }

    #[test]
    fn a_column_read_by_a_check_of_several_columns_or_an_index_expression_is_refused() {
        let key = |name: &str, expr: &str| {
            Box::new(Key { kind: KeyKind::Check, name: Some(name.to_owned()), columns: vec![expr.to_owned()] })
        };
        for (text, refusal) in [
            (
                r#"op = [{ op = "drop_column", table = "items", column = "price" }]"#,
                Refusal::ColumnInCheck {
                    table: "items".into(),
                    column: "price".into(),
                    check: key("items_discount_check", "(discount)::numeric <= PRICE"),
                },
            ),
            (
                r#"op = [{ op = "drop_column", table = "items", column = "Discount" }]"#,
                Refusal::ColumnInCheck {
                    table: "items".into(),
                    column: "Discount".into(),
                    check: key("items_discount_check", "(discount)::numeric <= PRICE"),
                },
            ),
            (
                r#"op = [{ op = "drop_column", table = "items", column = "email" }]"#,
                Refusal::ColumnInIndexExpression {
                    table: "items".into(),
                    column: "email".into(),
                    index: Box::new(Key {
                        kind: KeyKind::Index,
                        name: Some("ix_items_lower_email".into()),
                        columns: vec!["lower(`email`)".into()],
                    }),
                },
            ),
            (
                r#"op = [{ op = "drop_column", table = "items", column = "archived" }]"#,
                Refusal::ColumnInIndexExpression {
                    table: "items".into(),
                    column: "archived".into(),
                    index: Box::new(Key {
                        kind: KeyKind::Index,
                        name: Some("ix_items_live_name".into()),
                        columns: vec!["name".into(), "WHERE archived IS NULL".into()],
                    }),
                },
            ),
        ] {
            assert_eq!(check(&mut items(), &ops(text)), Some((0, refusal)), "{text}");
        }
        let refusal =
            check(&mut items(), &ops(r#"op = [{ op = "drop_column", table = "items", column = "discount" }]"#));
        assert_eq!(
            refusal.expect("refused").1.to_string(),
            "column `items.discount` is read by check constraint `items_discount_check` ((discount)::numeric <= PRICE), \
             which reads other columns too, and the backends differ in what dropping the column does to it \
             (PostgreSQL drops the check, MariaDB and SQLite refuse); drop the check in an earlier op \
             (drop_constraint), then the column, and add back a check of the remaining columns if one should stay"
        );
        let refusal = check(&mut items(), &ops(r#"op = [{ op = "drop_column", table = "items", column = "email" }]"#));
        assert_eq!(
            refusal.expect("refused").1.to_string(),
            "column `items.email` is read by an expression of index `ix_items_lower_email` (lower(`email`)), and the \
             backends differ in what dropping the column does to it (PostgreSQL drops the index, SQLite and MySQL \
             refuse); drop the index in an earlier op (drop_index), then the column, and create again the index that \
             should remain"
        );
    }

    #[test]
    fn checks_of_the_column_alone_go_with_it_and_others_dropped_first_let_it_go() {
        for text in [
            // A check of the column alone goes with it; `name`, the string 'a' and the type `a`
            // do not read the column `a`.
            r#"op = [
                { op = "drop_column", table = "items", column = "a" },
                { op = "drop_constraint", table = "items", name = "items_discount_check", kind = "check" },
                { op = "drop_column", table = "items", column = "price" },
                { op = "drop_column", table = "items", column = "discount" },
                { op = "drop_column", table = "items", column = "name" },
            ]"#,
            r#"op = [
                { op = "drop_index", table = "items", name = "ix_items_lower_email" },
                { op = "drop_column", table = "items", column = "email" },
            ]"#,
        ] {
            assert_eq!(check(&mut items(), &ops(text)), None, "{text}");
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
