//! An Alembic project's history, as Alembic itself reads it: the revision graph from
//! `alembic history --verbose` (parents, merges, branch labels, dependencies, messages), and
//! each revision's SQL from Alembic's offline mode, `alembic upgrade base:heads --sql` and
//! `alembic downgrade heads:base --sql`, cut at the `-- Running upgrade ... -> <rev>` lines it
//! writes before each revision, and into statements as the database's client cuts them (a `;`
//! in a string or a routine's body stays where it is). Alembic's own bookkeeping (its
//! `alembic_version` table, `BEGIN` / `COMMIT`) is left out: aludel keeps its own. A revision
//! in which Alembic commits to run statements outside its transaction (`autocommit_block()`)
//! is imported with `transactional = false`.
//!
//! Alembic runs as installed (`alembic` on the `PATH`), in the folder holding `alembic.ini`,
//! with `DATABASE_URL` set to the project's database when there is one, for an `env.py` that
//! reads it (the dialect of the SQL is the one that URL names).

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::dialect::Backend;
use crate::import::{ImportError, Migration};

/// Reads the Alembic project whose `alembic.ini` is in `dir` (or is `dir`).
///
/// # Errors
///
/// [`ImportError::AlembicMissing`] when `alembic` cannot be run, [`ImportError::AlembicFailed`]
/// when it fails, [`ImportError::Read`] when a revision file cannot be read.
pub(crate) fn read_alembic(dir: &Path, database_url: Option<&str>) -> Result<Vec<Migration>, ImportError> {
    let (folder, ini) = if dir.is_file() {
        (
            dir.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_owned(),
            dir.to_owned(),
        )
    } else {
        (dir.to_owned(), dir.join("alembic.ini"))
    };
    if !ini.is_file() {
        return Err(ImportError::Read {
            path: ini,
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no alembic.ini"),
        });
    }
    let alembic = |args: &[&str]| run(&folder, &ini, database_url, args);
    let history = alembic(&["history", "--verbose"])?;
    // Alembic writes the SQL of the database the URL names, PostgreSQL's without one.
    let dialect = database_url.and_then(|url| Backend::from_url(url).ok()).map_or("postgresql", |b| b.dialect().name());
    let upgrades = sections(&alembic(&["upgrade", "base:heads", "--sql"])?, Direction::Up, dialect)?;
    let downgrades = sections(&alembic(&["downgrade", "heads:base", "--sql"])?, Direction::Down, dialect)?;
    let mut migrations = Vec::new();
    for entry in entries(&history) {
        // Alembic names the files from the folder it ran in.
        let path = folder.join(&entry.path);
        let bytes = std::fs::read(&path).map_err(|source| ImportError::Read { path, source })?;
        let checksum = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        let up = upgrades.iter().find(|section| section.revision == entry.revision);
        let down = downgrades.iter().find(|section| section.revision == entry.revision);
        let outside_transaction = up.into_iter().chain(down).any(|section| section.outside_transaction);
        migrations.push(Migration {
            version: entry.revision,
            description: entry.message,
            up: up.map(|section| section.sql.clone()).unwrap_or_default(),
            down: down.map(|section| section.sql.clone()),
            transactional: !outside_transaction,
            files: vec![(entry.path, checksum)],
            parents: Some(entry.parents),
            branch_labels: entry.branch_labels,
            depends_on: entry.depends_on,
        });
    }
    // `history` lists heads first; a revision's parents come before it.
    migrations.reverse();
    Ok(migrations)
}

/// Runs `alembic -c INI ARGS` in `folder` and returns its standard output.
fn run(folder: &Path, ini: &Path, database_url: Option<&str>, args: &[&str]) -> Result<String, ImportError> {
    let mut command = Command::new("alembic");
    // Alembic runs in `folder`: the ini file is named from there, not from aludel's folder.
    let ini = ini.file_name().map_or(ini, Path::new);
    command.current_dir(folder).arg("-c").arg(ini).args(args);
    if let Some(url) = database_url {
        command.env("DATABASE_URL", url);
    }
    let shown = format!("alembic {}", args.join(" "));
    let output = command.output().map_err(|source| ImportError::AlembicMissing { command: shown.clone(), source })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let mut tail: Vec<&str> = stderr.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect();
        // Alembic's own reason (`FAILED: No 'script_location' key found ...`) is on its stdout.
        tail.extend(stdout.lines().filter(|line| line.starts_with("FAILED:")));
        let mut output = tail.join("\n");
        // What Alembic prints may hold the URL it was given; its password never goes further.
        if let Some(url) = database_url {
            output = output.replace(url, &crate::url::redact(url));
            if let Some(password) = url::Url::parse(url).ok().and_then(|u| u.password().map(str::to_owned))
                && !password.is_empty()
            {
                output = output.replace(&password, "***");
            }
        }
        return Err(ImportError::AlembicFailed { command: shown, folder: folder.to_owned(), output });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// One revision of `alembic history --verbose`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    revision: String,
    parents: Vec<String>,
    branch_labels: Vec<String>,
    depends_on: Vec<String>,
    path: PathBuf,
    message: String,
}

/// The revisions of `alembic history --verbose`, as listed (heads first).
fn entries(history: &str) -> Vec<Entry> {
    let list = |text: &str| -> Vec<String> {
        text.split(',').map(str::trim).filter(|s| !s.is_empty() && *s != "<base>").map(str::to_owned).collect()
    };
    let mut entries: Vec<Entry> = Vec::new();
    let mut awaiting_message = false;
    for line in history.lines() {
        if let Some(rest) = line.strip_prefix("Rev: ") {
            let revision = rest.split_whitespace().next().unwrap_or_default().to_owned();
            entries.push(Entry {
                revision,
                parents: Vec::new(),
                branch_labels: Vec::new(),
                depends_on: Vec::new(),
                path: PathBuf::new(),
                message: String::new(),
            });
            awaiting_message = false;
            continue;
        }
        let Some(entry) = entries.last_mut() else { continue };
        if let Some(rest) = line.strip_prefix("Parent: ").or_else(|| line.strip_prefix("Merges: ")) {
            entry.parents = list(rest);
        } else if let Some(rest) = line.strip_prefix("Branch names: ") {
            entry.branch_labels = list(rest);
        } else if let Some(rest) = line.strip_prefix("Also depends on: ") {
            entry.depends_on = list(rest);
        } else if let Some(rest) = line.strip_prefix("Path: ") {
            entry.path = PathBuf::from(rest.trim());
            awaiting_message = true;
        } else if awaiting_message && !line.trim().is_empty() {
            entry.message = line.trim().to_owned();
            awaiting_message = false;
        }
    }
    keep_declared_labels(&mut entries);
    entries
}

/// Alembic lists a branch label under the revision that declares it and under every
/// revision after it; each label stays only where it is declared: on a revision none of
/// whose parents carries it.
fn keep_declared_labels(entries: &mut [Entry]) {
    let listed: std::collections::HashMap<String, Vec<String>> =
        entries.iter().map(|e| (e.revision.clone(), e.branch_labels.clone())).collect();
    for entry in entries.iter_mut() {
        let inherited = |label: &String| {
            entry.parents.iter().any(|parent| listed.get(parent).is_some_and(|labels| labels.contains(label)))
        };
        let declared = entry.branch_labels.iter().filter(|label| !inherited(label)).cloned().collect();
        entry.branch_labels = declared;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Up,
    Down,
}

/// One revision's SQL in an offline script.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Section {
    revision: String,
    /// Its statements as Alembic wrote them, each ending in `;`, a blank line apart.
    sql: String,
    /// Alembic ends its transaction inside the revision to run statements outside one
    /// (`autocommit_block()`): `COMMIT;` followed by more than the end of the script.
    outside_transaction: bool,
}

/// Each revision's SQL in an offline script: the statements after its `-- Running ...` line,
/// byte for byte, without Alembic's own bookkeeping (its version table, `BEGIN;`, `COMMIT;`),
/// cut as the database's client cuts them, so a `;` in a string or a routine's body stays.
fn sections(script: &str, direction: Direction, dialect: &str) -> Result<Vec<Section>, ImportError> {
    let marker = match direction {
        Direction::Up => "-- Running upgrade ",
        Direction::Down => "-- Running downgrade ",
    };
    let mut texts: Vec<(String, String)> = Vec::new();
    for line in script.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix(marker) {
            let (before, after) = rest.split_once("->").unwrap_or((rest, ""));
            let revision = match direction {
                Direction::Up => after,
                Direction::Down => before,
            };
            texts.push((revision.trim().to_owned(), String::new()));
        } else if let Some((_, text)) = texts.last_mut() {
            text.push_str(line);
        }
    }
    texts.into_iter().map(|(revision, text)| section(revision, &text, dialect)).collect()
}

fn section(revision: String, text: &str, dialect: &str) -> Result<Section, ImportError> {
    let statements = match crate::models::statement_texts(text, dialect) {
        Some(Ok(statements)) => statements,
        // Text the tokenizer cannot read is kept whole, for the database to judge.
        Some(Err(_)) => vec![text.trim().to_owned()],
        None => return Err(ImportError::NoSqlParser),
    };
    let word = |statement: &str, expected: &str| statement.trim().eq_ignore_ascii_case(expected);
    let mut kept: Vec<&str> = Vec::new();
    let mut committed = false;
    let mut outside_transaction = false;
    for statement in &statements {
        if word(statement, "COMMIT") {
            committed = true;
        } else if word(statement, "BEGIN") || alembic_version(statement) {
        } else {
            outside_transaction |= committed;
            kept.push(statement);
        }
    }
    let sql = kept.iter().map(|statement| terminated(statement)).collect::<Vec<_>>().join("\n\n");
    Ok(Section { revision, sql, outside_transaction })
}

/// Whether `statement` is Alembic's bookkeeping of its `alembic_version` table.
fn alembic_version(statement: &str) -> bool {
    let upper = statement.trim_start().to_ascii_uppercase();
    [
        "CREATE TABLE ALEMBIC_VERSION",
        "INSERT INTO ALEMBIC_VERSION",
        "UPDATE ALEMBIC_VERSION",
        "DELETE FROM ALEMBIC_VERSION",
        "DROP TABLE ALEMBIC_VERSION",
    ]
    .iter()
    .any(|start| upper.starts_with(start))
}

/// `statement` with its `;`, on a line of its own when a line comment ends the statement.
fn terminated(statement: &str) -> String {
    match statement.lines().last() {
        Some(last) if last.contains("--") => format!("{statement}\n;"),
        _ => format!("{statement};"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_gives_parents_merges_labels_and_messages() {
        let history = "Rev: 5e (head)\nParent: 4d\nBranch names: billing\nPath: /p/5e_x.py\n\n    add display name\n    \n    \
                       Revision ID: 5e\n\nRev: 4d (mergepoint)\nMerges: 2b, 3c\nAlso depends on: 9f\nPath: /p/4d.py\n\n    \
                       merge\n\nRev: 1a (branchpoint)\nParent: <base>\nBranches into: 3c, 2b\nPath: /p/1a.py\n\n    create users\n";
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        let entry =
            |revision: &str, parents: &[&str], labels: &[&str], depends: &[&str], path: &str, message: &str| Entry {
                revision: revision.into(),
                parents: s(parents),
                branch_labels: s(labels),
                depends_on: s(depends),
                path: PathBuf::from(path),
                message: message.into(),
            };
        assert_eq!(
            entries(history),
            vec![
                entry("5e", &["4d"], &["billing"], &[], "/p/5e_x.py", "add display name"),
                entry("4d", &["2b", "3c"], &[], &["9f"], "/p/4d.py", "merge"),
                entry("1a", &[], &[], &[], "/p/1a.py", "create users"),
            ]
        );
    }

    /// Alembic lists a label under every revision after the one declaring it, merges
    /// included; the import keeps it where it is declared, or the graph would hold it twice.
    #[test]
    fn a_branch_label_stays_on_the_revision_declaring_it() {
        let history = "Rev: 4d (head)\nMerges: 2b, 3c\nBranch names: core, extra\nPath: /p/4d.py\n\n    merge\n\n\
                       Rev: 3c\nParent: 1a\nBranch names: extra\nPath: /p/3c.py\n\n    three\n\n\
                       Rev: 2b\nParent: 1a\nBranch names: core\nPath: /p/2b.py\n\n    two\n\n\
                       Rev: 1a (branchpoint)\nParent: <base>\nBranch names: core\nPath: /p/1a.py\n\n    one\n";
        let labels: Vec<(String, Vec<String>)> =
            entries(history).into_iter().map(|e| (e.revision, e.branch_labels)).collect();
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            labels,
            vec![
                ("4d".to_owned(), s(&[])),
                ("3c".to_owned(), s(&["extra"])),
                ("2b".to_owned(), s(&[])),
                ("1a".to_owned(), s(&["core"])),
            ]
        );
    }

    fn cut(script: &str, direction: Direction) -> Vec<(String, String, bool)> {
        sections(script, direction, "postgresql")
            .expect("a build with the SQL parser")
            .into_iter()
            .map(|section| (section.revision, section.sql, section.outside_transaction))
            .collect()
    }

    #[test]
    fn offline_scripts_are_cut_per_revision_without_alembics_bookkeeping() {
        let script = "BEGIN;\n\nCREATE TABLE alembic_version (\n    version_num VARCHAR(32) NOT NULL\n);\n\n\
                      -- Running upgrade  -> 1a\n\nCREATE TABLE users (\n    id BIGSERIAL NOT NULL\n);\n\n\
                      INSERT INTO alembic_version (version_num) VALUES ('1a') RETURNING alembic_version.version_num;\n\n\
                      -- Running upgrade 2b, 3c -> 4d\n\nUPDATE alembic_version SET version_num='4d';\n\n\
                      -- Running upgrade 4d -> 5e\n\nALTER TABLE users ADD COLUMN n text;\n\nUPDATE users SET n = 'x';\n\nCOMMIT;\n";
        assert_eq!(
            cut(script, Direction::Up),
            vec![
                ("1a".to_owned(), "CREATE TABLE users (\n    id BIGSERIAL NOT NULL\n);".to_owned(), false),
                ("4d".to_owned(), String::new(), false),
                (
                    "5e".to_owned(),
                    "ALTER TABLE users ADD COLUMN n text;\n\nUPDATE users SET n = 'x';".to_owned(),
                    false
                ),
            ]
        );
        let script = "BEGIN;\n\n-- Running downgrade 5e -> 4d\n\nALTER TABLE users DROP COLUMN n;\n\n\
                      UPDATE alembic_version SET version_num='4d';\n\n-- Running downgrade 1a -> \n\nDROP TABLE users;\n\nCOMMIT;\n";
        assert_eq!(
            cut(script, Direction::Down),
            vec![
                ("5e".to_owned(), "ALTER TABLE users DROP COLUMN n;".to_owned(), false),
                ("1a".to_owned(), "DROP TABLE users;".to_owned(), false),
            ]
        );
    }

    /// A `;` at the end of a line inside a string or a routine's body is the SQL's own: the
    /// text arrives as Alembic wrote it, and a `COMMIT` inside a procedure stays.
    #[test]
    fn offline_sql_is_kept_byte_for_byte() {
        let literal = "INSERT INTO notes VALUES (1, 'first line;\nsecond line')";
        let procedure = "CREATE PROCEDURE fill() LANGUAGE plpgsql AS $$\nBEGIN\n  FOR i IN 1..3 LOOP\n    \
                         INSERT INTO log VALUES (i);\n    COMMIT;\n  END LOOP;\nEND;\n$$";
        let script = format!("BEGIN;\n\n-- Running upgrade  -> 1a\n\n{literal};\n\n{procedure};\n\nCOMMIT;\n");
        assert_eq!(cut(&script, Direction::Up), vec![("1a".to_owned(), format!("{literal};\n\n{procedure};"), false)]);
    }

    /// `autocommit_block()` ends Alembic's transaction inside the revision: the revision
    /// runs outside one, or `CREATE INDEX CONCURRENTLY` in it would be refused.
    #[test]
    fn an_autocommit_block_makes_the_revision_run_outside_a_transaction() {
        let script = "BEGIN;\n\n-- Running upgrade  -> 1a\n\nCREATE TABLE t (id integer);\n\nCOMMIT;\n\n\
                      CREATE INDEX CONCURRENTLY ix_t ON t (id);\n\nBEGIN;\n\n\
                      INSERT INTO alembic_version (version_num) VALUES ('1a');\n\n\
                      -- Running upgrade 1a -> 2b\n\nALTER TABLE t ADD COLUMN n int;\n\n\
                      UPDATE alembic_version SET version_num='2b';\n\nCOMMIT;\n";
        assert_eq!(
            cut(script, Direction::Up),
            vec![
                (
                    "1a".to_owned(),
                    "CREATE TABLE t (id integer);\n\nCREATE INDEX CONCURRENTLY ix_t ON t (id);".to_owned(),
                    true
                ),
                ("2b".to_owned(), "ALTER TABLE t ADD COLUMN n int;".to_owned(), false),
            ]
        );
    }
}
