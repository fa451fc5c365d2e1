//! Autogenerate's database side: read the live schema, restate the models in the database's
//! spellings, and diff the two. What to do with the result (write a revision file, report
//! drift, print SQL) is the caller's; the comparison itself is `diff`'s.

use std::fmt::Write as _;

use crate::Error;
use crate::config::{Config, NotCompared};
use crate::dialect::{Dialect, IntrospectOptions, Session};
use crate::diff::{Diff, DiffOptions, Warning, diff};
use crate::models::Metadata;
use crate::ops::Op;
use crate::runtime::{Migrator, RuntimeError, state};
use crate::schema::{Constraint, Schema};
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
    /// The SQL of the upgrade ops for `dialect`, one statement per line with its `;`, the ops
    /// rendered together against the database's schema, as a run renders a revision
    /// ([`Dialect::render_ops`]: an op whose work an earlier one does shows no statement).
    ///
    /// # Errors
    ///
    /// [`Error::Render`] when the dialect cannot express an op.
    pub fn upgrade_sql(&self, dialect: &dyn Dialect) -> Result<String, Error> {
        let rendered = dialect.render_ops(&self.diff.upgrade, &mut self.database.clone()).map_err(|(_, e)| e)?;
        let mut out = String::new();
        for (op, statements) in self.diff.upgrade.iter().zip(rendered) {
            writeln!(out, "-- {}", op.describe()).ok();
            for statement in statements {
                writeln!(out, "{};", statement.sql).ok();
            }
        }
        Ok(out)
    }
}

/// Whether the database may be compared with the models: it is at every head of the graph,
/// or the graph and the database are both empty.
fn require_at_head(migrator: &Migrator, current: &[RevisionId]) -> Result<(), Error> {
    if migrator.graph().is_at_heads(current) {
        return Ok(());
    }
    let heads: Vec<RevisionId> = migrator.graph().heads().into_iter().cloned().collect();
    let mut at: Vec<RevisionId> = current.to_vec();
    at.sort();
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
        if let Ok(url) = self.config().require_database_url() {
            let dialect = url.backend().dialect();
            options.identifier_quote = dialect.quote_ident("x").chars().next().unwrap_or('"');
            options.foreign_keys_block_type_changes = dialect.foreign_keys_block_type_changes();
            options.generated_columns_block_type_changes = dialect.generated_columns_block_type_changes();
            options.primary_key_nullability_unread = dialect.primary_key_nullability_unread();
        }
        options.exclude.push(self.config().tables.version_table.clone());
        options.exclude.push(self.config().tables.history_table.clone());
        // Tables the models carry as written (partitioned tables, partitions) are not compared.
        options.exclude.extend(metadata.verbatim.iter().filter(|o| o.creates_table).map(|o| o.name.clone()));
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
        let inspection = Inspection::read(self.config()).await?;
        self.compare_inspected(inspection, metadata).await
    }

    /// [`Migrator::compare`] on a database read already (see [`Inspection::read`], which
    /// needs no revision files or models, so a program can read those meanwhile).
    ///
    /// # Errors
    ///
    /// As [`Migrator::compare`].
    pub async fn compare_inspected(&self, inspection: Inspection, metadata: &Metadata) -> Result<Comparison, Error> {
        let Inspection { mut session, heads, database, url } = inspection;
        let result = async {
            require_at_head(self, &heads)?;
            let dialect = session.dialect();
            if let Some(clash) = metadata.schema.case_clash(dialect.case_blind_names()) {
                let crate::schema::CaseClash { what, first, second } = clash;
                return Err(RuntimeError::CaseClash { backend: dialect.name(), what, first, second }.into());
            }
            let carried = crate::models::not_compared(&metadata.verbatim);
            if !carried.is_empty() && self.config().autogenerate.not_compared == NotCompared::Error {
                return Err(RuntimeError::NotCompared { objects: carried }.into());
            }
            // A first revision carries the models' objects as written; the models may use them
            // (a domain, a function, a sequence), so the empty database cannot restate them.
            let first = !carried.is_empty() && database.tables.is_empty() && database.enums.is_empty();
            let models = if first {
                metadata.schema.clone()
            } else {
                session
                    .normalize(&metadata.schema)
                    .await
                    .map_err(|source| RuntimeError::Introspect { url: url.clone(), source })?
            };
            let database = session.normalize_database(database, &models);
            let options = self.diff_options(metadata);
            let mut diff = diff(&database, &models, &options).in_model_spellings(&metadata.schema, &models);
            if let Some((original, normalized)) = self.history_spelled(&mut *session, &heads, &diff.upgrade).await {
                diff = diff.in_history_spellings(&original, &normalized, &database, options.identifier_quote);
            }
            let dialect = session.dialect();
            if !dialect.enforces_declared_types() {
                // A type change loses nothing there: only a narrowing type change is flagged on
                // an `alter_column`.
                let upgrade = &diff.upgrade;
                diff.destructive.retain(|flagged| !matches!(upgrade.get(flagged.op_index), Some(Op::AlterColumn(_))));
            }
            if dialect.has_online_ddl() && self.config().postgres.online {
                diff = diff.online(&database, |from, to| dialect.type_change_rewrites(from, to));
            }
            if first {
                let dialect = self.config().require_database_url()?.backend().dialect().name();
                diff = super::baseline::with_verbatim(diff, metadata, dialect);
            }
            if !carried.is_empty() {
                diff.warnings.push(Warning::NotCompared { objects: carried });
            }
            Ok(Comparison { database, models, diff, heads })
        }
        .await;
        session.close().await.ok();
        result
    }
}

impl Migrator {
    /// The part of the schema the applied revisions lead to that `ops` take from the
    /// database to reverse themselves, as the revisions declare it and restated in the
    /// database's spellings; `None` when the ops take nothing, or the database refuses the
    /// history (a revision's raw SQL it no longer fits, say): the ops then keep the
    /// database's spellings.
    async fn history_spelled(
        &self,
        session: &mut dyn Session,
        heads: &[RevisionId],
        ops: &[Op],
    ) -> Option<(Schema, Schema)> {
        let (tables, indexes) = crate::diff::read_from_database(ops);
        if tables.is_empty() && indexes.is_empty() {
            return None;
        }
        let graph = self.graph_with_ops()?;
        let history = super::runner::schema_of(&graph, &graph.applied(heads).ok()?);
        let mut part = Schema { enums: history.enums.clone(), ..Schema::default() };
        part.indexes = history.indexes.iter().filter(|(name, _)| indexes.contains(*name)).map(clone_entry).collect();
        let wanted = tables.iter().chain(part.indexes.values().map(|index| &index.table));
        part.tables = wanted.filter_map(|name| history.tables.get_key_value(name)).map(clone_entry).collect();
        // A foreign key's table too, for the backends that look at what a key references.
        let referenced: Vec<String> = part
            .tables
            .values()
            .flat_map(|table| &table.constraints)
            .filter_map(|constraint| match constraint {
                Constraint::ForeignKey { references, .. } => Some(references.table.clone()),
                _ => None,
            })
            .collect();
        for name in referenced {
            if let Some(table) = history.tables.get(&name) {
                part.tables.entry(name).or_insert_with(|| table.clone());
            }
        }
        let normalized = session.normalize(&part).await.ok()?;
        Some((part, normalized))
    }
}

fn clone_entry<K: Clone, V: Clone>((key, value): (&K, &V)) -> (K, V) {
    (key.clone(), value.clone())
}

/// A database read for a comparison: its heads and its schema (without the version and
/// history tables), with the session still open for restating the models.
pub struct Inspection {
    session: Box<dyn Session>,
    /// The revisions the database is at.
    pub heads: Vec<RevisionId>,
    /// The schema, as introspected.
    pub database: Schema,
    url: String,
}

impl std::fmt::Debug for Inspection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inspection").field("heads", &self.heads).field("url", &self.url).finish_non_exhaustive()
    }
}

impl Inspection {
    /// Closes the session without comparing.
    pub async fn close(self) {
        self.session.close().await.ok();
    }

    /// What the database holds that the schema model does not (`view v`, `trigger t on
    /// posts`, ...; see `Dialect::unmodelled_query`).
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Introspect`]-like read errors, as [`RuntimeError::Database`].
    pub async fn unmodelled(&mut self) -> Result<Vec<String>, Error> {
        let Some(query) = self.session.dialect().unmodelled_query() else { return Ok(Vec::new()) };
        let rows = self
            .session
            .query_text(query)
            .await
            .map_err(crate::runtime::db_error("read what the model does not hold"))?;
        Ok(rows.into_iter().filter_map(|row| row.into_iter().next().flatten()).collect())
    }

    /// Connects, reads the heads and introspects the schema: the part of a comparison that
    /// needs neither the revision files nor the models.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Connect`] when the database cannot be reached,
    /// [`RuntimeError::Introspect`] when its schema cannot be read.
    pub async fn read(config: &Config) -> Result<Inspection, Error> {
        let mut session = crate::runtime::connect(config).await?;
        let url = config.require_database_url()?.to_string();
        let tables = &config.tables;
        let read = async {
            let heads = state::read_heads_if_any(session.as_mut(), tables).await?;
            let options = IntrospectOptions {
                schema: None,
                exclude_tables: vec![tables.version_table.clone(), tables.history_table.clone()],
            };
            let database = session
                .introspect(&options)
                .await
                .map_err(|source| RuntimeError::Introspect { url: url.clone(), source })?;
            Ok::<_, Error>((heads, database))
        }
        .await;
        match read {
            Ok((heads, database)) => Ok(Inspection { session, heads, database, url }),
            Err(err) => {
                session.close().await.ok();
                Err(err)
            }
        }
    }
}
