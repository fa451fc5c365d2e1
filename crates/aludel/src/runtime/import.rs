//! `aludel import`: another tool's history written as aludel revisions, one per migration in
//! the tool's order, each an `sql` op with the tool's up SQL and its down SQL where the tool
//! has one, and a comment naming each file it came from with its SHA-256. The revision id is
//! the tool's name and version (`sqlx_20240101120000`), so the history reads the same in both.
//!
//! When a database is configured and holds the tool's version table, the revision of the last
//! migration that table records is stamped, so `aludel upgrade` applies only what the tool had
//! not; the tool's table stays as it is (and out of comparisons, see `OTHER_TOOLS_TABLES`).

use std::path::{Path, PathBuf};

use crate::Error;
use crate::import::{Migration, Tool};
use crate::ops::Op;
use crate::runtime::{Inspection, Migrator, Project, RuntimeError, StampFrom};
use crate::script::{
    NewRevision, Parent, Revision, RevisionGraph, RevisionId, RevisionNotes, RevisionSpec, ScriptDirectory,
};

/// What [`Project::import`] did.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The revision files written, oldest first.
    pub written: Vec<PathBuf>,
    /// The revision stamped, and how many migrations the tool's table records; `None` when
    /// no database holds the tool's table.
    pub stamped: Option<(RevisionId, usize)>,
}

impl Project {
    /// Writes `tool`'s history in `dir` as revisions of this project, which must have none,
    /// and stamps the database at the last migration the tool's table records, when it has
    /// that table.
    ///
    /// # Errors
    ///
    /// [`Error::Import`] when the history cannot be read; [`RuntimeError::Import`] when the
    /// project has revisions already, or the tool's table records a migration the folder
    /// lacks or skips one; those of writing the files and of stamping.
    pub async fn import(&self, tool: Tool, dir: &Path) -> Result<Imported, Error> {
        let refuse = |reason: String| Error::from(RuntimeError::Import { tool: tool.name(), reason });
        let directory = ScriptDirectory::new(&self.config.script_location);
        let graph = directory.load()?;
        if !graph.is_empty() {
            return Err(refuse(format!(
                "{} holds revisions already; import into a new project (`aludel init`)",
                directory.versions_dir().display()
            )));
        }
        let url = self.config.database_url.as_ref();
        let history = crate::import::read(tool, dir, url.map(|u| u.expose()))?;
        let mut ids = Vec::with_capacity(history.len());
        for migration in &history {
            // Alembic's ids are revision ids already; the others' versions are numbers.
            let id = match tool {
                Tool::Alembic => migration.version.clone(),
                _ => format!("{}_{}", tool.name(), migration.version),
            };
            ids.push(RevisionId::parse(&id)?);
        }
        // Alembic's SQL is written for the database's dialect; the SQL files' run anywhere
        // their SQL does.
        let dialect = match (tool, url) {
            (Tool::Alembic, Some(url)) => Some(url.backend().dialect().name().to_owned()),
            _ => None,
        };
        // The database first: a folder it does not match is refused before anything is written.
        let applied = match &self.config.database_url {
            Some(_) => self.applied_versions(tool).await?,
            None => None,
        };
        let stamp: Vec<usize> = match (&applied, tool) {
            (Some(heads), Tool::Alembic) => applied_heads(&history, heads).map_err(refuse)?,
            (Some(applied), _) => last_applied(tool, &history, applied).map_err(refuse)?.into_iter().collect(),
            (None, _) => Vec::new(),
        };
        let created = NewRevision::child(&graph, &Parent::Head, &RevisionSpec::default())?.created;
        let mut revisions = Vec::with_capacity(history.len());
        for (i, migration) in history.iter().enumerate() {
            let parents = match &migration.parents {
                Some(parents) => parents.iter().map(|p| RevisionId::parse(p)).collect::<Result<Vec<_>, _>>()?,
                None => i.checked_sub(1).map(|p| ids[p].clone()).into_iter().collect(),
            };
            let mut revision = revision(tool, dir, migration, ids[i].clone(), parents, &created, dialect.as_deref());
            revision.branch_labels.clone_from(&migration.branch_labels);
            revision.depends_on =
                migration.depends_on.iter().map(|d| RevisionId::parse(d)).collect::<Result<Vec<_>, _>>()?;
            revisions.push(revision);
        }
        // The graph the files will make, checked before any is written: a failed import
        // leaves nothing to delete by hand.
        let planned = revisions
            .iter()
            .map(|r| Revision::parse(&r.to_toml(), &directory.versions_dir().join(r.file_name())))
            .collect::<Result<Vec<_>, _>>()?;
        RevisionGraph::from_revisions(planned)?;
        let mut written = Vec::with_capacity(revisions.len());
        for revision in &revisions {
            written.push(directory.write(revision)?);
        }
        let mut stamped = None;
        if let Some(&last) = stamp.last() {
            let migrator = Migrator::with_graph(self.config.clone(), directory.load()?);
            for &head in &stamp {
                migrator.stamp(ids[head].as_str(), StampFrom::Current).await?;
            }
            stamped = Some((ids[last].clone(), applied.map_or(0, |a| a.len())));
        }
        Ok(Imported { written, stamped })
    }

    /// The versions the tool's table records as applied, oldest first; `None` when the
    /// database has no such table.
    async fn applied_versions(&self, tool: Tool) -> Result<Option<Vec<String>>, Error> {
        let inspection = Inspection::read(&self.config).await?;
        let has_table = inspection.database.tables.contains_key(tool.version_table());
        inspection.close().await;
        if !has_table {
            return Ok(None);
        }
        let query = crate::dialect::common::applied_versions_query(tool.version_table())
            .expect("every importable tool's table has a query");
        let mut session = crate::runtime::connect(&self.config).await?;
        let rows = session.query_text(query).await;
        session.close().await.ok();
        let rows = rows.map_err(|source| RuntimeError::Database {
            action: format!("read {}", tool.version_table()),
            source: crate::runtime::DatabaseError(source),
        })?;
        Ok(Some(rows.into_iter().filter_map(|row| row.into_iter().next().flatten()).collect()))
    }
}

/// The index in `history` of the last migration `applied` records, when it records any.
///
/// # Errors
///
/// What to tell the user when `applied` holds a version `history` lacks, or skips one.
fn last_applied(tool: Tool, history: &[Migration], applied: &[String]) -> Result<Option<usize>, String> {
    if let Some(unknown) = applied.iter().find(|v| !history.iter().any(|m| &m.version == *v)) {
        return Err(format!(
            "the database's {} records migration {unknown}, which the folder lacks; import the folder the database was \
             migrated from",
            tool.version_table()
        ));
    }
    let Some(last) = history.iter().rposition(|m| applied.contains(&m.version)) else { return Ok(None) };
    if let Some(skipped) = history[..last].iter().find(|m| !applied.contains(&m.version)) {
        return Err(format!(
            "the database's {} records migration {} but not {}, which comes before it; apply it with {tool} first",
            tool.version_table(),
            history[last].version,
            skipped.version
        ));
    }
    Ok(Some(last))
}

/// The index in `history` of each head Alembic's table records.
///
/// # Errors
///
/// What to tell the user when a head is not in the history.
fn applied_heads(history: &[Migration], heads: &[String]) -> Result<Vec<usize>, String> {
    heads
        .iter()
        .map(|head| {
            history.iter().position(|m| &m.version == head).ok_or_else(|| {
                format!(
                    "the database's alembic_version is at {head}, which the project lacks; import the project the \
                     database was migrated from"
                )
            })
        })
        .collect()
}

/// The revision a migration becomes.
fn revision(
    tool: Tool,
    dir: &Path,
    migration: &Migration,
    id: RevisionId,
    parents: Vec<RevisionId>,
    created: &str,
    dialect: Option<&str>,
) -> NewRevision {
    let blank = |sql: &str| sql.lines().all(|l| l.trim().is_empty() || l.trim().starts_with("--"));
    let up = (!blank(&migration.up)).then(|| migration.up.clone());
    let down = migration.down.clone().filter(|d| !blank(d));
    let dialect = dialect.map(str::to_owned);
    let upgrade: Vec<Op> =
        up.iter().map(|sql| Op::Sql { sql: sql.clone(), down: down.clone(), dialect: dialect.clone() }).collect();
    let downgrade: Vec<Op> =
        down.iter().map(|sql| Op::Sql { sql: sql.clone(), down: up.clone(), dialect: dialect.clone() }).collect();
    let mut notes = RevisionNotes::default();
    for (path, checksum) in &migration.files {
        let name = path.strip_prefix(dir).unwrap_or(path).display().to_string().replace('\\', "/");
        notes.header.push(format!("imported from {tool}: {name} (sha256 {checksum})"));
    }
    // A missing down migration is one nobody wrote; an empty one says there is nothing to
    // undo, which `downgrade = []` keeps.
    let downgrade_written = migration.down.is_some();
    if !downgrade_written {
        notes.header.push(format!(
            "{tool} has no down migration for it: `aludel downgrade` refuses to pass it until [[downgrade]] ops are \
             written, or `downgrade = []` when it leaves nothing to undo"
        ));
    }
    NewRevision {
        id,
        down_revisions: parents,
        message: migration.description.clone(),
        created: created.to_owned(),
        branch_labels: Vec::new(),
        depends_on: Vec::new(),
        transactional: migration.transactional,
        upgrade,
        downgrade,
        downgrade_written,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A migration without a down file gets no downgrade, which `downgrade` refuses; an empty
    /// down file says there is nothing to undo, kept as `downgrade = []`.
    #[test]
    fn a_missing_down_is_no_downgrade_and_an_empty_one_is_nothing_to_undo() {
        let migration = |down: Option<&str>| Migration {
            version: "1".to_owned(),
            description: "seed".to_owned(),
            up: "INSERT INTO t VALUES (1)".to_owned(),
            down: down.map(str::to_owned),
            transactional: true,
            files: Vec::new(),
            parents: None,
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
        };
        let read = |down: Option<&str>| {
            let id = RevisionId::parse("refinery_1").expect("an id");
            let new = revision(
                Tool::Refinery,
                Path::new("."),
                &migration(down),
                id,
                Vec::new(),
                "2026-01-01T00:00:00Z",
                None,
            );
            let text = new.to_toml();
            (crate::script::Revision::parse(&text, Path::new("refinery_1_seed.toml")).expect("valid"), text)
        };
        let (missing, text) = read(None);
        assert!(missing.lacks_downgrade(), "{text}");
        assert!(text.contains("has no down migration for it: `aludel downgrade` refuses to pass it"), "{text}");
        let (empty, text) = read(Some("-- nothing to undo\n"));
        assert!(
            !empty.lacks_downgrade() && empty.downgrade.is_empty() && text.contains("\ndowngrade = []\n"),
            "{text}"
        );
        let (written, _) = read(Some("DELETE FROM t WHERE id = 1"));
        assert_eq!(written.downgrade.len(), 1);
    }
}
