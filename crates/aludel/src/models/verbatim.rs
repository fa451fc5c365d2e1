//! What a model source holds beyond the schema model: objects carried as written
//! ([`VerbatimObject`]: views, functions, triggers, domains, partitioned tables, ... of a
//! database's dump), and where each modelled table and index stood in the source
//! ([`SourceOrder`]), so that a baseline creates everything in an order the database accepts.
//!
//! These objects are never compared with the database: autogenerate carries them into the
//! first revision of an empty database (as `sql` ops, in the source's order) and lists them
//! as not compared otherwise.

use std::collections::BTreeMap;

/// A statement of the model source that the schema model cannot hold, kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerbatimObject {
    /// What it is: `view`, `function`, `trigger`, `domain`, `sequence`, `table` (partitioned
    /// or a partition), or, for a statement that changes such an object, what it does
    /// (`comment`, `alter table`, `index`).
    pub kind: String,
    /// The object's name as the database names it; empty when it has none.
    pub name: String,
    /// The statement as the database runs it.
    pub sql: String,
    /// The statement that removes the object, when it is one of its own (a comment or an
    /// index goes with the object it belongs to).
    pub undo: Option<String>,
    /// Whether it is an object of its own, rather than a statement on one (its comment,
    /// index, `ALTER`): what "not compared" lists.
    pub is_object: bool,
    /// Whether it creates a table that the database's catalog lists with the others (a
    /// partitioned table, a partition): left out of comparisons, as the models do not hold it.
    pub creates_table: bool,
    /// The 1-based line where it starts in the source.
    pub line: usize,
    /// Its place among the source's statements.
    pub position: usize,
}

impl VerbatimObject {
    /// `view published_posts`, or the kind alone when the object has no name.
    pub fn label(&self) -> String {
        if self.name.is_empty() { self.kind.clone() } else { format!("{} {}", self.kind, self.name) }
    }
}

/// The objects of `verbatim` as "not compared" lists them: each one once, in order.
pub(crate) fn not_compared(verbatim: &[VerbatimObject]) -> Vec<String> {
    let mut labels: Vec<String> = Vec::new();
    for object in verbatim.iter().filter(|o| o.is_object) {
        let label = object.label();
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    labels
}

/// Where each table and index of the models stood among the source's statements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceOrder {
    /// Table name -> position of its `CREATE TABLE`.
    pub tables: BTreeMap<String, usize>,
    /// Index name -> position of its `CREATE INDEX` (an index declared inside `CREATE TABLE`
    /// stands with its table).
    pub indexes: BTreeMap<String, usize>,
}
