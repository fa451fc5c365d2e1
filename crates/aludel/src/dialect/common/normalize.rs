//! What every backend's normalization shares: a table's keys folded as introspection reads
//! them back, and a column's spellings no introspection tells apart. The normalizations through scratch objects (PostgreSQL, MySQL) share more, in
//! `scratch`.

use crate::schema::{Column, Constraint, DefaultValue, PortableExpr, ReferentialAction, Table};

/// `column` with PostgreSQL's own spellings stated as a backend that does not read them
/// apart reads them back: `now()` is the current timestamp, a serial or `GENERATED ALWAYS`
/// column a plain identity. PostgreSQL reads both back as written. The revision keeps the models' spellings
/// all the same (`Diff::in_model_spellings`). A number kept as written is each backend's to
/// read: PostgreSQL prints `1e3` as `'1000'::numeric`, SQLite keeps it.
pub(crate) fn unspelled(mut column: Column, spellings: PostgresSpellings) -> Column {
    if spellings == PostgresSpellings::Read {
        return column;
    }
    let now = |value: DefaultValue| match value {
        DefaultValue::Expr(PortableExpr::Now) => DefaultValue::Expr(PortableExpr::CurrentTimestamp),
        other => other,
    };
    column.serial = false;
    column.identity_always = false;
    column.default = column.default.map(now);
    column.on_update = column.on_update.map(now);
    column
}

/// Whether a backend's introspection reads PostgreSQL's own spellings (a serial column,
/// `now()`) apart from the standard ones (an identity, `CURRENT_TIMESTAMP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PostgresSpellings {
    /// PostgreSQL reads them back as written.
    Read,
    /// The others read an auto-increment column and the current timestamp, whichever the
    /// models said.
    Unread,
}

/// A table's keys as introspection reads them back.
pub(crate) struct FoldedKeys {
    /// The primary key's columns: the table's, or those of the first primary key declared
    /// among its constraints (the renderer refuses a second).
    pub(crate) primary_key: Vec<String>,
    /// The primary key's name, from where its columns came.
    pub(crate) primary_key_name: Option<String>,
    /// The other constraints, foreign keys without the actions the backend leaves unreported.
    pub(crate) constraints: Vec<Constraint>,
}

/// Folds `table`'s keys as every backend's introspection reads them: a primary key declared
/// among the constraints is the table's primary key, and a foreign key action in
/// `unreported` (the backend's default, which its catalog does not tell apart) is absent.
pub(crate) fn fold_keys(table: &Table, unreported: &[ReferentialAction]) -> FoldedKeys {
    let mut keys = FoldedKeys {
        primary_key: table.primary_key.clone(),
        primary_key_name: table.primary_key_name.clone(),
        constraints: Vec::with_capacity(table.constraints.len()),
    };
    let reported = |action: &Option<ReferentialAction>| action.filter(|a| !unreported.contains(a));
    for constraint in &table.constraints {
        match constraint {
            Constraint::PrimaryKey { name, columns } if keys.primary_key.is_empty() => {
                keys.primary_key = columns.clone();
                keys.primary_key_name = name.clone();
            }
            Constraint::PrimaryKey { .. } => {}
            Constraint::ForeignKey { name, columns, references, on_delete, on_update } => {
                keys.constraints.push(Constraint::ForeignKey {
                    name: name.clone(),
                    columns: columns.clone(),
                    references: references.clone(),
                    on_delete: reported(on_delete),
                    on_update: reported(on_update),
                });
            }
            Constraint::Unique { .. } | Constraint::Check { .. } => keys.constraints.push(constraint.clone()),
        }
    }
    keys
}
