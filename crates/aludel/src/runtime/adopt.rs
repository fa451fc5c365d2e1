//! Adopting a live database in one step (`aludel init --from-database`): its schema written
//! as the project's `schema.sql` in its own dialect, a baseline revision that creates it, and
//! the database stamped at that revision, so `check` is clean right away and the next change
//! is an ordinary autogenerate.
//!
//! The `schema.sql` is what the dialect renders for the ops that create the schema from
//! nothing (the same renderers a revision's ops go through), so it holds what aludel models:
//! tables, columns, keys, checks, indexes, enums, comments. Views, functions and triggers
//! are not introspected; a database that has them is adopted from its dump instead (see
//! `models::sql`).

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::Error;
use crate::diff::diff;
use crate::models::Metadata;
use crate::runtime::{Inspection, Migrator, Project, RuntimeError, StampFrom};
use crate::schema::Schema;
use crate::script::{NewRevision, Parent, RevisionId, RevisionSpec};

/// What [`Project::adopt_database`] wrote.
#[derive(Debug, Clone)]
pub struct Adopted {
    /// The `schema.sql` written.
    pub schema_sql: PathBuf,
    /// The baseline revision file.
    pub revision: PathBuf,
    /// Its id, at which the database is stamped.
    pub revision_id: RevisionId,
    /// How many tables the schema holds.
    pub tables: usize,
}

impl Project {
    /// Writes the database's schema as the `schema.sql` that `[models] schema_sql` names, a
    /// baseline revision creating it, and stamps the database at that revision.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Adopt`] when the project has revisions already, the database has a
    /// version, `[models]` names no `schema_sql` or the file exists; those of
    /// [`Inspection::read`] and of writing and stamping the revision.
    pub async fn adopt_database(&self, spec: &RevisionSpec) -> Result<Adopted, Error> {
        let refuse = |reason: String| Error::from(RuntimeError::Adopt { reason });
        let Some(schema_sql) = self.config.models.schema_sql.clone() else {
            return Err(refuse("`[models] schema_sql` in aludel.toml names no file to write the schema to".into()));
        };
        if schema_sql.exists() {
            return Err(refuse(format!(
                "{} exists; move it away to write the database's schema there",
                schema_sql.display()
            )));
        }
        let directory = crate::script::ScriptDirectory::new(&self.config.script_location);
        let graph = directory.load()?;
        if !graph.is_empty() {
            return Err(refuse(format!(
                "{} holds revisions already; adopt a database into a new project",
                directory.versions_dir().display()
            )));
        }
        let mut inspection = Inspection::read(&self.config).await?;
        let (heads, database) = (inspection.heads.clone(), inspection.database.clone());
        let unmodelled = inspection.unmodelled().await;
        inspection.close().await;
        let unmodelled = unmodelled?;
        if !unmodelled.is_empty() {
            // Adopted from introspection, they would be left out without a word.
            return Err(refuse(format!(
                "the database holds what the schema model does not: {}; adopt it from its dump instead (pg_dump \
                 --schema-only, sqlite3 .schema, mysqldump --no-data written as schema.sql, then `aludel revision \
                 --autogenerate` on an empty database: see the README), which carries them as written or names \
                 what it cannot read",
                unmodelled.join(", ")
            )));
        }
        if !heads.is_empty() {
            return Err(refuse("the database has an aludel version already; use the project it came from".into()));
        }
        let migrator = Migrator::with_graph(self.config.clone(), graph.clone());
        let found = diff(&Schema::default(), &database, &migrator.diff_options(&Metadata::default()));
        let backend = self.config.require_database_url()?.backend();
        let dialect = backend.dialect_with(&self.config.dialect);
        let mut text = format!(
            "-- The schema of the database aludel adopted, in {}'s SQL: the models autogenerate compares with.\n",
            dialect.name()
        );
        let mut state = Schema::default();
        for op in &found.upgrade {
            writeln!(text, "\n-- {}", comment_text(&op.describe())).ok();
            for statement in dialect.render(op, &state)? {
                writeln!(text, "{};", statement.sql).ok();
            }
            state.apply(op).ok();
        }
        let tables = state.tables.len();
        std::fs::write(&schema_sql, text)
            .map_err(|source| crate::script::ScriptError::Io { path: schema_sql.clone(), source })?;
        let revision = NewRevision::child(&graph, &Parent::Head, spec)?.with_diff(&found);
        let revision_id = revision.id.clone();
        let written = directory.write(&revision)?;
        Migrator::with_graph(self.config.clone(), directory.load()?).stamp("head", StampFrom::Current).await?;
        Ok(Adopted { schema_sql, revision: written, revision_id, tables })
    }
}

/// `text` fit for the rest of an SQL `--` comment line: a control character or line
/// separator in a name (a table named `"a\nDROP TABLE b"`) is written escaped, so that it
/// cannot end the comment and turn the rest of the name into SQL.
fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
