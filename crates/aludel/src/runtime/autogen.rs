//! Autogenerate's database side: read the live schema, restate the models in the database's
//! spellings, and diff the two. What to do with the result (write a revision file, report
//! drift, print SQL) is the caller's; the comparison itself is `diff`'s.

use std::fmt::Write as _;

use crate::Error;
use crate::dialect::{Dialect, IntrospectOptions, Session};
use crate::diff::{Diff, DiffOptions, diff};
use crate::models::Metadata;
use crate::runtime::{Migrator, RuntimeError, state};
use crate::schema::Schema;
use crate::script::RevisionId;

/// The models compared with the database at head.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The database's schema as introspected, without the version and history tables.
    pub database: Schema,
    /// The models restated in the database's spellings.
    pub models: Schema,
    /// The ops that take the database to the models (spelled as the models spell them), their
    /// downgrade, warnings and the destructive ops.
    pub diff: Diff,
    /// The revisions the database is at.
    pub heads: Vec<RevisionId>,
}

impl Comparison {
    /// The SQL of the upgrade ops for `dialect`, one statement per line with its `;`, each
    /// op rendered against the database's schema as the ops before it leave it.
    ///
    /// # Errors
    ///
    /// [`Error::Render`] when the dialect cannot express an op.
    pub fn upgrade_sql(&self, dialect: &dyn Dialect) -> Result<String, Error> {
        let mut schema = self.database.clone();
        let mut out = String::new();
        for op in &self.diff.upgrade {
            writeln!(out, "-- {}", op.describe()).ok();
            for statement in dialect.render(op, &schema)? {
                writeln!(out, "{};", statement.sql).ok();
            }
            schema.apply(op).ok();
        }
        Ok(out)
    }
}

/// Whether the database may be compared with the models: it is at every head of the graph,
/// or the graph and the database are both empty.
fn require_at_head(migrator: &Migrator, current: &[RevisionId]) -> Result<(), Error> {
    let mut heads: Vec<RevisionId> = migrator.graph().heads().into_iter().cloned().collect();
    let mut at: Vec<RevisionId> = current.to_vec();
    heads.sort();
    at.sort();
    if heads == at {
        return Ok(());
    }
    Err(RuntimeError::NotAtHead { current: at, heads }.into())
}

impl Migrator {
    /// The diff options from `[autogenerate]`, with the renames `metadata` declares added and
    /// the version and history tables left out.
    pub fn diff_options(&self, metadata: &Metadata) -> DiffOptions {
        let mut options = DiffOptions::from(&self.config().autogenerate);
        for (new, old) in &metadata.renames.tables {
            options.renames.tables.insert(new.clone(), old.clone());
        }
        for (key, old) in &metadata.renames.columns {
            options.renames.columns.insert(key.clone(), old.clone());
        }
        options.exclude.push(self.config().tables.version_table.clone());
        options.exclude.push(self.config().tables.history_table.clone());
        options
    }

    /// Compares `metadata` with the database, which must be at head (else the comparison
    /// would repeat what pending revisions do): introspects it, restates the models in its
    /// spellings and diffs. Reads only; takes no lock.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::NotAtHead`] when revisions are pending or the database is ahead of the
    /// files; [`RuntimeError::Introspect`] when the schema cannot be read or the database
    /// refuses part of the models.
    pub async fn compare(&self, metadata: &Metadata) -> Result<Comparison, Error> {
        let mut session = self.connect().await?;
        let result = self.compare_on(session.as_mut(), metadata).await;
        session.close().await.ok();
        result
    }

    async fn compare_on(&self, session: &mut dyn Session, metadata: &Metadata) -> Result<Comparison, Error> {
        let tables = &self.config().tables;
        let heads = state::read_heads_if_any(session, tables).await?;
        require_at_head(self, &heads)?;
        let introspect = IntrospectOptions {
            schema: None,
            exclude_tables: vec![tables.version_table.clone(), tables.history_table.clone()],
        };
        let url = self.config().require_database_url()?.to_string();
        let database = session
            .introspect(&introspect)
            .await
            .map_err(|source| RuntimeError::Introspect { url: url.clone(), source })?;
        let models =
            session.normalize(&metadata.schema).await.map_err(|source| RuntimeError::Introspect { url, source })?;
        let diff = diff(&database, &models, &self.diff_options(metadata)).respelled(&metadata.schema, &models);
        Ok(Comparison { database, models, diff, heads })
    }
}
