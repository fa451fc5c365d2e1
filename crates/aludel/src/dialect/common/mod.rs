//! SQL that every backend spells the same way: literals, the version and history tables
//! (described once as [`Table`]s that each dialect renders through its own `create_table`)
//! and the statements that read and write them here; the DDL that the backends' renderers
//! share in `ddl`, the column types they spell alike in `types`, the catalog rows and
//! session calls they read alike in `catalog` and `session`, and what their normalizations
//! share in `normalize` and `scratch`. What only one backend spells stays in its own folder.

use crate::dialect::{Dialect, RenderError, StateTables, Statement};
use crate::naming;
use crate::ops::Op;
use crate::schema::{Column, ColumnType, DefaultValue, PortableExpr, Schema, Table};

// What the backends share; a build without any backend has no use for it.
#[cfg(any(feature = "postgres", feature = "sqlite", feature = "mysql"))]
pub(crate) mod catalog;

/// The query that reads, oldest first, the versions another migration tool recorded as
/// applied in its table `table`; `None` for a table aludel does not import from. The same SQL
/// on every backend: the tools create these tables alike.
pub(crate) fn applied_versions_query(table: &str) -> Option<&'static str> {
    match table {
        "_sqlx_migrations" => Some("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version"),
        "__diesel_schema_migrations" => Some("SELECT version FROM __diesel_schema_migrations ORDER BY version"),
        "refinery_schema_history" => Some("SELECT version FROM refinery_schema_history ORDER BY version"),
        // Alembic's rows are its heads, in no order.
        "alembic_version" => Some("SELECT version_num FROM alembic_version ORDER BY version_num"),
        _ => None,
    }
}
#[cfg(any(feature = "postgres", feature = "sqlite", feature = "mysql"))]
pub(crate) mod ddl;
pub(crate) mod expressions;
pub(crate) mod keywords;
#[cfg(any(feature = "postgres", feature = "sqlite", feature = "mysql"))]
pub(crate) mod normalize;
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) mod scratch;
#[cfg(any(feature = "postgres", feature = "sqlite", feature = "mysql"))]
pub(crate) mod session;
#[cfg(any(feature = "postgres", feature = "sqlite", feature = "mysql"))]
pub(crate) mod types;

/// Quotes a string literal, doubling embedded single quotes.
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `col(N)` or `` `col`(N) ``: a MySQL index key on a prefix of `col` (the schema model keeps
/// it as an expression, which a rename of `col` rewrites).
pub(crate) fn prefix_key(expr: &str) -> Option<(String, u32)> {
    let text = expr.trim();
    let (name, length) = text.strip_suffix(')')?.rsplit_once('(')?;
    let length: u32 = length.trim().parse().ok()?;
    let name = name.trim();
    let name = match name.strip_prefix('`').and_then(|n| n.strip_suffix('`')) {
        Some(quoted) => quoted.replace("``", "`"),
        None if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '$') => {
            name.to_owned()
        }
        None => return None,
    };
    Some((name, length))
}

/// Quotes an identifier with double quotes (PostgreSQL, SQLite and standard SQL).
pub fn quote_ident_ansi(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// What a history row records.
///
/// A revision that runs outside a transaction (no transactional DDL, or
/// `transactional = false`) is recorded as running before its first statement; the row
/// becomes the finished step when it succeeds, failed when a statement fails, and stays
/// running when the process dies. A running or failed row marks the database unfinished
/// until `resolve` turns it into the finished step or a reverted one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// A revision's upgrade ran.
    Upgrade,
    /// A revision's downgrade ran.
    Downgrade,
    /// The version table was set without running anything.
    Stamp,
    /// An edited revision's new checksum was accepted.
    Accept,
    /// An upgrade outside a transaction started and has not finished.
    UpgradeRunning,
    /// A downgrade outside a transaction started and has not finished.
    DowngradeRunning,
    /// An upgrade outside a transaction failed part way.
    UpgradeFailed,
    /// A downgrade outside a transaction failed part way.
    DowngradeFailed,
    /// An unfinished upgrade was undone by hand (`resolve --reverted`).
    UpgradeReverted,
    /// An unfinished downgrade was undone by hand.
    DowngradeReverted,
    /// A stamp set the version table below this applied revision without running its
    /// downgrade.
    Unstamp,
    /// The file of this applied revision was removed on purpose (`verify --accept`), as when
    /// old revisions are squashed into one.
    Removed,
}

impl StepKind {
    /// Every kind, for reading the words back.
    pub const ALL: [StepKind; 12] = [
        StepKind::Upgrade,
        StepKind::Downgrade,
        StepKind::Stamp,
        StepKind::Accept,
        StepKind::UpgradeRunning,
        StepKind::DowngradeRunning,
        StepKind::UpgradeFailed,
        StepKind::DowngradeFailed,
        StepKind::UpgradeReverted,
        StepKind::DowngradeReverted,
        StepKind::Unstamp,
        StepKind::Removed,
    ];

    /// The word stored in the history table.
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Upgrade => "upgrade",
            StepKind::Downgrade => "downgrade",
            StepKind::Stamp => "stamp",
            StepKind::Accept => "accept",
            StepKind::UpgradeRunning => "upgrading",
            StepKind::DowngradeRunning => "downgrading",
            StepKind::UpgradeFailed => "upgrade-failed",
            StepKind::DowngradeFailed => "downgrade-failed",
            StepKind::UpgradeReverted => "upgrade-reverted",
            StepKind::DowngradeReverted => "downgrade-reverted",
            StepKind::Unstamp => "unstamp",
            StepKind::Removed => "removed",
        }
    }

    /// The kind a stored word names.
    pub fn parse(word: &str) -> Option<StepKind> {
        StepKind::ALL.into_iter().find(|kind| kind.as_str() == word)
    }

    /// Whether the revision counts as applied after a row of this kind: `Some(true)` after
    /// its upgrade (or a stamp, or a reverted downgrade), `Some(false)` after its downgrade
    /// (or an unstamp, a removal, a reverted upgrade), `None` while it is unfinished.
    pub fn leaves_applied(self) -> Option<bool> {
        match self {
            StepKind::Upgrade | StepKind::Stamp | StepKind::Accept | StepKind::DowngradeReverted => Some(true),
            StepKind::Downgrade | StepKind::Unstamp | StepKind::Removed | StepKind::UpgradeReverted => Some(false),
            StepKind::UpgradeRunning
            | StepKind::DowngradeRunning
            | StepKind::UpgradeFailed
            | StepKind::DowngradeFailed => None,
        }
    }

    /// Whether the row marks a revision that did not finish.
    pub fn is_unfinished(self) -> bool {
        self.leaves_applied().is_none()
    }
}

/// The version and history tables, described once, revision ids of type `revision_id`: the
/// version table holds the current heads (`version_num`, the primary key `{table}_pkc`), the
/// history table every step
/// (an identity `id`, `revision`, `direction`, `checksum`, `applied_at`, `duration_ms`,
/// `detail`).
pub fn state_tables(tables: &StateTables, revision_id: &ColumnType) -> [Table; 2] {
    let required = |name: &str, ty: ColumnType| Column { nullable: false, ..Column::new(name, ty) };
    let version = Table {
        columns: vec![required("version_num", revision_id.clone())],
        primary_key: vec!["version_num".to_owned()],
        primary_key_name: Some(naming::fitted(&format!("{}_pkc", tables.version_table)).to_owned()),
        ..Table::new(&tables.version_table)
    };
    let history = Table {
        columns: vec![
            Column { identity: true, ..required("id", ColumnType::BigInt) },
            required("revision", revision_id.clone()),
            required("direction", ColumnType::Varchar(Some(32))),
            required("checksum", ColumnType::Varchar(Some(64))),
            Column {
                default: Some(DefaultValue::Expr(PortableExpr::CurrentTimestamp)),
                ..required("applied_at", ColumnType::Timestamptz)
            },
            Column::new("duration_ms", ColumnType::BigInt),
            Column::new("detail", ColumnType::Text),
        ],
        primary_key: vec!["id".to_owned()],
        ..Table::new(&tables.history_table)
    };
    [version, history]
}

/// `CREATE TABLE IF NOT EXISTS` for the version and history tables, as `dialect` renders
/// [`state_tables`].
///
/// # Errors
///
/// [`RenderError`] when a table name is one the backend cannot keep (empty, too long).
pub fn create_state_tables<D: Dialect + ?Sized>(
    dialect: &D,
    tables: &StateTables,
) -> Result<Vec<Statement>, RenderError> {
    let mut statements = Vec::new();
    for table in state_tables(tables, &dialect.revision_id_type()) {
        for mut statement in dialect.render(&Op::CreateTable(table), &Schema::default())? {
            if let Some(rest) = statement.sql.strip_prefix("CREATE TABLE ") {
                statement.sql = format!("CREATE TABLE IF NOT EXISTS {rest}");
            }
            statements.push(statement);
        }
    }
    Ok(statements)
}

/// Reads the current heads: one row, one column each.
pub fn select_heads(dialect: &dyn Dialect, tables: &StateTables) -> String {
    format!("SELECT version_num FROM {} ORDER BY version_num", dialect.quote_ident(&tables.version_table))
}

/// Adds a head.
pub fn insert_head(dialect: &dyn Dialect, tables: &StateTables, revision: &str) -> Statement {
    Statement::new(format!(
        "INSERT INTO {} (version_num) VALUES ({})",
        dialect.quote_ident(&tables.version_table),
        quote_literal(revision)
    ))
}

/// Adds a head unless the table holds it already: for a `--sql` script, which cannot see
/// whether a revision applied as another's dependency has a row of its own.
pub fn insert_head_if_missing(dialect: &dyn Dialect, tables: &StateTables, revision: &str) -> Statement {
    let table = dialect.quote_ident(&tables.version_table);
    let revision = quote_literal(revision);
    // The derived table gives the SELECT a FROM every backend accepts.
    Statement::new(format!(
        "INSERT INTO {table} (version_num) SELECT {revision} FROM (SELECT 1 AS one) AS one \
         WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE version_num = {revision})"
    ))
}

/// Removes a head.
pub fn delete_head(dialect: &dyn Dialect, tables: &StateTables, revision: &str) -> Statement {
    Statement::new(format!(
        "DELETE FROM {} WHERE version_num = {}",
        dialect.quote_ident(&tables.version_table),
        quote_literal(revision)
    ))
}

/// Replaces one head by another, as moving along a single branch does.
pub fn update_head(dialect: &dyn Dialect, tables: &StateTables, from: &str, to: &str) -> Statement {
    Statement::new(format!(
        "UPDATE {} SET version_num = {} WHERE version_num = {}",
        dialect.quote_ident(&tables.version_table),
        quote_literal(to),
        quote_literal(from)
    ))
}

/// Removes every head (`stamp --purge`, `stamp base`).
pub fn delete_all_heads(dialect: &dyn Dialect, tables: &StateTables) -> Statement {
    Statement::new(format!("DELETE FROM {}", dialect.quote_ident(&tables.version_table)))
}

/// One row of the history table to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry<'a> {
    /// Revision id.
    pub revision: &'a str,
    /// What happened.
    pub kind: StepKind,
    /// Checksum of the revision's upgrade ops.
    pub checksum: &'a str,
    /// How long it took; `None` in `--sql` scripts.
    pub duration_ms: Option<u64>,
}

/// Records one step in the history table.
pub fn insert_history(dialect: &dyn Dialect, tables: &StateTables, entry: &HistoryEntry<'_>) -> Statement {
    let duration = entry.duration_ms.map_or_else(|| "NULL".to_owned(), |d| d.to_string());
    Statement::new(format!(
        "INSERT INTO {} (revision, direction, checksum, duration_ms) VALUES ({}, {}, {}, {duration})",
        dialect.quote_ident(&tables.history_table),
        quote_literal(entry.revision),
        quote_literal(entry.kind.as_str()),
        quote_literal(entry.checksum),
    ))
}

/// The words of the unfinished steps (running or failed), as an SQL list.
fn unfinished_kinds() -> String {
    let kinds: Vec<String> =
        StepKind::ALL.into_iter().filter(|k| k.is_unfinished()).map(|k| quote_literal(k.as_str())).collect();
    kinds.join(", ")
}

/// Turns the unfinished row of `revision` (running or failed) into `to`, with its duration and
/// detail.
pub fn finish_history(
    dialect: &dyn Dialect,
    tables: &StateTables,
    revision: &str,
    to: StepKind,
    duration_ms: Option<u64>,
    detail: Option<&str>,
) -> Statement {
    Statement::new(format!(
        "UPDATE {} SET direction = {}, duration_ms = {}, detail = {} WHERE revision = {} AND direction IN ({})",
        dialect.quote_ident(&tables.history_table),
        quote_literal(to.as_str()),
        duration_ms.map_or_else(|| "NULL".to_owned(), |d| d.to_string()),
        // The detail quotes the database's error, which may hold any character.
        detail.map_or_else(|| "NULL".to_owned(), |detail| dialect.quote_literal(detail)),
        quote_literal(revision),
        unfinished_kinds()
    ))
}

/// Records `checksum` in the unfinished row of `revision`: a run that resumes it runs its file
/// as it reads now, which may differ after the ops that ran.
pub fn set_unfinished_checksum(
    dialect: &dyn Dialect,
    tables: &StateTables,
    revision: &str,
    checksum: &str,
) -> Statement {
    Statement::new(format!(
        "UPDATE {} SET checksum = {} WHERE revision = {} AND direction IN ({})",
        dialect.quote_ident(&tables.history_table),
        quote_literal(checksum),
        quote_literal(revision),
        unfinished_kinds()
    ))
}

/// Reads the rows of revisions that did not finish (running or failed): revision,
/// direction, detail, checksum.
pub fn select_unfinished(dialect: &dyn Dialect, tables: &StateTables) -> String {
    format!(
        "SELECT revision, direction, detail, checksum FROM {} WHERE direction IN ({}) ORDER BY id",
        dialect.quote_ident(&tables.history_table),
        unfinished_kinds()
    )
}

/// Reads the history, oldest first: id, revision, direction, checksum, applied_at,
/// duration_ms, detail.
pub fn select_history(dialect: &dyn Dialect, tables: &StateTables) -> String {
    select_history_rows(dialect, tables, "")
}

/// Reads, oldest first and in the columns of [`select_history`], only the latest row of each
/// revision and direction: all that tells which revisions the history records applied and
/// with which checksum, however many times a revision went up and down.
pub fn select_latest_history(dialect: &dyn Dialect, tables: &StateTables) -> String {
    let table = dialect.quote_ident(&tables.history_table);
    // A join on a grouped derived table, which every backend runs in one pass (an `IN`
    // subquery may run once per row on MySQL).
    let latest = format!(
        " JOIN (SELECT MAX(id) AS latest_id FROM {table} GROUP BY revision, direction) latest \
         ON {table}.id = latest.latest_id"
    );
    select_history_rows(dialect, tables, &latest)
}

fn select_history_rows(dialect: &dyn Dialect, tables: &StateTables, join: &str) -> String {
    let table = dialect.quote_ident(&tables.history_table);
    let column = |name: &str| format!("{table}.{name}");
    // Ordered by the table's own column: PostgreSQL names the text cast `id` too, and a bare
    // `ORDER BY id` would sort the text (1, 10, 11, 2, ...).
    format!(
        "SELECT {}, {table}.revision, {table}.direction, {table}.checksum, {}, {}, {table}.detail FROM {table}{join} \
         ORDER BY {table}.id",
        dialect.cast_to_text(&column("id"), 20),
        dialect.utc_text(&column("applied_at")),
        dialect.cast_to_text(&column("duration_ms"), 20),
    )
}

/// Why an op cannot name a check an earlier revision declared without a name, when the name
/// is not one `backend` (its name; `dialect`, its `sql` op's dialect) gives: the revision came
/// from another database, which named the check otherwise, and a check cannot be found by
/// its definition.
pub(crate) fn unnamed_check_named_elsewhere(backend: &str, dialect: &str, table: &str, name: &str) -> String {
    format!(
        "check `{name}` on `{table}` was declared without a name by an earlier revision, and this revision names it as \
         another database did; {backend} named it otherwise and cannot find a check by its definition. Name the \
         check in the models (a naming convention) and generate this change on {backend}, or write it as an `sql` op \
         with `dialect = \"{dialect}\"`"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_tables_render_as_each_dialect_creates_tables() {
        // Running them is every database test's first step; here is what they say.
        for backend in crate::dialect::Backend::ALL {
            let dialect = backend.dialect();
            let sql = dialect.create_state_tables(&StateTables::default()).expect("valid names");
            let sql: Vec<String> = sql.into_iter().map(|s| s.sql).collect();
            insta::assert_snapshot!(format!("state_tables@{}", dialect.name()), sql.join(";\n"));
        }
        let long = StateTables { version_table: "v".repeat(63), history_table: "h".repeat(63) };
        let sql = crate::dialect::Backend::ALL[0].dialect().create_state_tables(&long).expect("valid names");
        // The key's name is cut to what PostgreSQL keeps.
        assert!(sql[0].sql.contains(&format!("CONSTRAINT \"{}\" PRIMARY KEY", "v".repeat(63))), "{}", sql[0].sql);
        let empty = StateTables { version_table: String::new(), history_table: "h".into() };
        assert!(matches!(
            crate::dialect::Backend::ALL[0].dialect().create_state_tables(&empty),
            Err(RenderError::Invalid { .. })
        ));
    }

    #[test]
    fn literals_and_identifiers_escape_their_quotes() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_ident_ansi("we\"ird"), "\"we\"\"ird\"");
    }
}
