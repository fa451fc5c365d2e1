//! The template of a normalization through scratch objects (PostgreSQL, MySQL):
//! [`Normalization`] normalizes the models by the backend's rules ([`ScratchRules`]), collects
//! what is left for the database to spell (each distinct type and default once, the tables
//! and indexes whose expressions it rewrites), and once the backend has created those as
//! scratch objects and read them back, maps the database's spellings onto the models
//! ([`ScratchNames`] says where each one is). How the scratch objects are created, and
//! thrown away, is each backend's own.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::dialect::{IntrospectError, RenderError};
use crate::schema::{Column, ColumnType, Constraint, DefaultValue, EnumType, Index, IndexKey, Schema, Table};

/// A backend's rules for a normalization through scratch objects: what they settle without
/// the database, and what they leave to it.
pub(crate) trait ScratchRules {
    /// `table` normalized by the backend's rules alone; the types, defaults and expressions
    /// the database spells stay as the models write them.
    ///
    /// # Errors
    ///
    /// [`IntrospectError::Model`] for a part of the models the backend refuses outright.
    fn normalize_table(&self, table: &Table, models: &Schema) -> Result<Table, IntrospectError>;

    /// `index` normalized by the backend's rules; `None` when introspection does not report
    /// it (an index the database makes for itself).
    fn normalize_index(&self, index: &Index, models: &Schema) -> Option<Index>;

    /// Whether the database spells the type or default of a column normalized so.
    fn needs_database(&self, column: &Column, models: &Schema) -> bool;

    /// Whether indexes with expressions or a predicate are created among the scratch objects
    /// for the database to spell them.
    fn spells_index_expressions(&self) -> bool;

    /// Whether the type the database spells replaces the column's type; the default takes
    /// it always.
    fn takes_spelled_type(&self, ty: &ColumnType) -> bool {
        let _ = ty;
        true
    }
}

/// Where a normalization's scratch objects are, once read back.
pub(crate) trait ScratchNames {
    /// The scratch table that holds spelling `i` (its column is [`spelling_column`]).
    fn spelling_table(&self, i: usize) -> String;

    /// The scratch copy of the `i`-th table whose expressions the database spells, `table`.
    fn copy(&self, i: usize, table: &str) -> String;

    /// The scratch name of the check at `position` among the constraints of the `i`-th
    /// copied table.
    fn check(&self, i: usize, position: usize) -> String;

    /// The scratch name of the `i`-th index whose expressions the database spells.
    fn index(&self, i: usize) -> String;
}

/// A normalization under way: the models normalized by the backend's rules, and what is left
/// for the database to spell.
pub(crate) struct Normalization {
    /// The normalized models; the parts the database spells are filled in by
    /// [`Normalization::read_back`].
    pub(crate) schema: Schema,
    /// The columns whose type and default the database spells.
    pub(crate) spellings: Spellings,
    /// Tables copied among the scratch objects for their expressions (generated columns,
    /// checks, and the indexes in `indexes`), by name.
    pub(crate) tables: Vec<String>,
    /// Indexes created among the scratch objects for their expressions, by model name.
    pub(crate) indexes: Vec<String>,
}

impl Normalization {
    /// Normalizes `models` by `rules`, keeping `enums` (those the database keeps).
    ///
    /// # Errors
    ///
    /// What [`ScratchRules::normalize_table`] refuses.
    pub(crate) fn new(
        rules: &dyn ScratchRules,
        models: &Schema,
        enums: BTreeMap<String, EnumType>,
    ) -> Result<Normalization, IntrospectError> {
        let mut normalization = Normalization {
            schema: Schema { tables: BTreeMap::new(), indexes: BTreeMap::new(), enums },
            spellings: Spellings::default(),
            tables: Vec::new(),
            indexes: Vec::new(),
        };
        let mut tables = BTreeSet::new();
        for table in models.tables.values() {
            let normalized = rules.normalize_table(table, models)?;
            for (position, column) in normalized.columns.iter().enumerate() {
                if rules.needs_database(column, models) {
                    normalization.spellings.add(&table.name, position, column);
                }
            }
            let expressions = normalized.columns.iter().any(|c| c.generated.is_some())
                || normalized.constraints.iter().any(|c| matches!(c, Constraint::Check { .. }));
            if expressions {
                tables.insert(table.name.clone());
            }
            normalization.schema.tables.insert(table.name.clone(), normalized);
        }
        for index in models.indexes.values() {
            let Some(normalized) = rules.normalize_index(index, models) else { continue };
            // An operator class may be written as the catalog does not name it (its type's
            // default, which the catalog leaves out): the database says.
            let expressions = normalized.predicate.is_some()
                || normalized.columns.iter().any(|k| matches!(k, IndexKey::Expr { .. }))
                || normalized.key_options.iter().any(|options| options.opclass.is_some());
            // An index on a table the models lack cannot be created; the diff reports it.
            if rules.spells_index_expressions() && expressions && models.tables.contains_key(&index.table) {
                normalization.indexes.push(index.name.clone());
                tables.insert(index.table.clone());
            }
            normalization.schema.indexes.insert(index.name.clone(), normalized);
        }
        normalization.tables = tables.into_iter().collect();
        Ok(normalization)
    }

    /// Whether the rules settled everything, so the database need not be asked.
    pub(crate) fn is_settled(&self) -> bool {
        self.spellings.is_empty() && self.tables.is_empty() && self.indexes.is_empty()
    }

    /// Maps the database's spellings, read back from the scratch objects that `names`
    /// locates in `read`, onto the models.
    ///
    /// # Errors
    ///
    /// [`IntrospectError::Definition`] when a scratch object did not read back.
    pub(crate) fn read_back(
        &mut self,
        rules: &dyn ScratchRules,
        read: &Schema,
        names: &dyn ScratchNames,
    ) -> Result<(), IntrospectError> {
        let mut spelled = Vec::with_capacity(self.spellings.list.len());
        for i in 0..self.spellings.list.len() {
            let (table, column) = (names.spelling_table(i), spelling_column(i));
            let found = read.tables.get(&table).and_then(|t| t.column(&column));
            let found = found.ok_or_else(|| lost(format!("column {table}.{column}")))?;
            spelled.push((found.ty.clone(), found.default.clone()));
        }
        for (table, position, spelling) in &self.spellings.columns {
            let column = &mut self.schema.tables.get_mut(table).expect("planned from these tables").columns[*position];
            let (ty, default) = spelled[*spelling].clone();
            if rules.takes_spelled_type(&column.ty) {
                column.ty = ty;
            }
            column.default = default;
        }
        for (i, name) in self.tables.iter().enumerate() {
            let copy = read.tables.get(&names.copy(i, name)).ok_or_else(|| lost(format!("table {name}")))?;
            let table = self.schema.tables.get_mut(name).expect("planned from these tables");
            read_back_expressions(table, copy, |position| names.check(i, position))?;
        }
        for (i, name) in self.indexes.iter().enumerate() {
            let copy = read.indexes.get(&names.index(i)).ok_or_else(|| lost(format!("index {name}")))?;
            let index = self.schema.indexes.get_mut(name).expect("planned from these indexes");
            index.columns = copy.columns.clone();
            index.predicate = copy.predicate.clone();
            index.key_options = copy.key_options.clone();
        }
        Ok(())
    }

    /// The normalized models, constraints in introspection's order (by name).
    pub(crate) fn finish(mut self) -> Schema {
        for table in self.schema.tables.values_mut() {
            table.constraints.sort_by(|a, b| a.name().cmp(&b.name()));
        }
        self.schema
    }
}

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
        RenderError::Schema { problem, .. } => problem.to_string(),
    }
}

/// A scratch object that did not read back.
fn lost(object: String) -> IntrospectError {
    IntrospectError::Definition {
        object,
        reason: "the scratch copy did not read back; it may have been changed concurrently".into(),
    }
}

/// Takes `table`'s generated expressions and checks as the database spells them in `copy`,
/// where the check at `position` among the constraints is named `check_name(position)`.
fn read_back_expressions(
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
