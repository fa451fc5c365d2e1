//! What the normalizations through scratch objects (PostgreSQL, MySQL) share: the distinct
//! spellings a database is asked for, unique scratch names, and reading expressions back from
//! scratch copies.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::dialect::{IntrospectError, RenderError};
use crate::schema::{Column, ColumnType, Constraint, DefaultValue, Schema, Table};

/// One distinct (type, default) pair the database spells, and the first column that has it
/// (for error messages).
pub(crate) struct Spelling {
    pub(crate) ty: ColumnType,
    pub(crate) default: Option<DefaultValue>,
    pub(crate) table: String,
    pub(crate) column: String,
}

/// The spellings the database is asked for, once each, and the columns that take them.
#[derive(Default)]
pub(crate) struct Spellings {
    /// Distinct spellings, in the order first met.
    pub(crate) list: Vec<Spelling>,
    /// (table, column position, index in `list`) of every column the database spells.
    pub(crate) columns: Vec<(String, usize, usize)>,
    index: BTreeMap<(String, String), usize>,
}

impl Spellings {
    /// Records that `column`, at `position` in `table`, takes the database's spelling.
    pub(crate) fn add(&mut self, table: &str, position: usize, column: &Column) {
        let key = (format!("{:?}", column.ty), format!("{:?}", column.default));
        let next = self.list.len();
        let spelling = *self.index.entry(key).or_insert(next);
        if spelling == next {
            self.list.push(Spelling {
                ty: column.ty.clone(),
                default: column.default.clone(),
                table: table.to_owned(),
                column: column.name.clone(),
            });
        }
        self.columns.push((table.to_owned(), position, spelling));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// The scratch column that holds spelling `i`.
pub(crate) fn spelling_column(i: usize) -> String {
    format!("c{i}")
}

/// A token for scratch names, different in every call, process and machine: RandomState is
/// seeded randomly per process, so two processes that normalize at the same moment still
/// pick different names.
pub(crate) fn scratch_token() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    RandomState::new().hash_one((std::process::id(), nanos, COUNTER.fetch_add(1, Ordering::Relaxed)))
}

/// The reason of a render error, without the op (which names scratch objects).
pub(crate) fn render_reason(err: RenderError) -> String {
    match err {
        RenderError::Invalid { reason, .. } => reason,
        RenderError::Unsupported { hint, .. } => hint,
        RenderError::Schema { source, .. } => source.to_string(),
    }
}

/// A scratch object that did not read back.
pub(crate) fn lost(object: String) -> IntrospectError {
    IntrospectError::Definition {
        object,
        reason: "the scratch copy did not read back; it may have been changed concurrently".into(),
    }
}

/// Takes `table`'s generated expressions and checks as the database spells them in `copy`,
/// where the check at `position` among the constraints is named `check_name(position)`.
pub(crate) fn read_back_expressions(
    table: &mut Table,
    copy: &Table,
    check_name: impl Fn(usize) -> String,
) -> Result<(), IntrospectError> {
    let name = &table.name;
    for column in &mut table.columns {
        if let Some(generated) = &mut column.generated {
            let read_back = copy.column(&column.name).and_then(|c| c.generated.as_ref());
            generated.expr = read_back.ok_or_else(|| lost(format!("column {name}.{}", column.name)))?.expr.clone();
        }
    }
    for (position, constraint) in table.constraints.iter_mut().enumerate() {
        if let Constraint::Check { expr, .. } = constraint {
            let scratch_name = check_name(position);
            let read_back = copy.constraints.iter().find_map(|c| match c {
                Constraint::Check { name: Some(n), expr } if *n == scratch_name => Some(expr),
                _ => None,
            });
            *expr = read_back.ok_or_else(|| lost(format!("check {scratch_name} on {name}")))?.clone();
        }
    }
    Ok(())
}

/// The restated models with their constraints in introspection's order (by name).
pub(crate) fn in_catalog_order(mut schema: Schema) -> Schema {
    for table in schema.tables.values_mut() {
        table.constraints.sort_by(|a, b| a.name().cmp(&b.name()));
    }
    schema
}
