//! The SQL-file tools' folders, named as each tool names its migrations:
//!
//! - sqlx-cli: `<VERSION>_<DESCRIPTION>.sql` (no down), or `<VERSION>_<DESCRIPTION>.up.sql` with
//!   `.down.sql`; the version is a whole number, the description's `_` are spaces, and a first
//!   line `-- no-transaction` runs it outside a transaction;
//! - diesel: a folder `<VERSION>_<NAME>` per migration holding `up.sql` and `down.sql`; the
//!   version is the part before the first `_` without its `-` (`2024-01-31-120000` is
//!   `20240131120000`), and `metadata.toml` with `run_in_transaction = false` runs it outside a
//!   transaction;
//! - refinery: `V<N>__<NAME>.sql` (no down).
//!
//! Other files are left alone (a README, `.keep`), except one that looks like a migration and
//! is named otherwise, which is an error rather than a migration silently left out.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::import::{ImportError, Migration, Tool};

/// How each tool names its migrations, for errors.
fn scheme(tool: Tool) -> &'static str {
    match tool {
        Tool::Sqlx => "`<VERSION>_<DESCRIPTION>.sql`, or `.up.sql` and `.down.sql`",
        Tool::Diesel => "a folder `<VERSION>_<NAME>` holding `up.sql` and `down.sql`",
        Tool::Refinery => "`V<N>__<NAME>.sql`",
        Tool::Alembic => "a folder holding alembic.ini",
    }
}

/// Reads the history of `tool` in `dir`, in the order the tool applies it (by version).
///
/// # Errors
///
/// [`ImportError`] when the folder or a file cannot be read, a migration is misnamed, two
/// share a version, or there is none.
///
/// # Examples
///
/// ```
/// use aludel::import::{Tool, read_history};
///
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("20240101000000_create_users.up.sql"), "CREATE TABLE users (id int);")?;
/// std::fs::write(dir.path().join("20240101000000_create_users.down.sql"), "DROP TABLE users;")?;
/// let history = read_history(Tool::Sqlx, dir.path())?;
/// assert_eq!(history[0].description, "create users");
/// assert_eq!(history[0].down.as_deref(), Some("DROP TABLE users;"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_history(tool: Tool, dir: &Path) -> Result<Vec<Migration>, ImportError> {
    let read_dir = |path: &Path| -> Result<Vec<PathBuf>, ImportError> {
        let entries = std::fs::read_dir(path).map_err(|source| ImportError::Read { path: path.to_owned(), source })?;
        let mut paths = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| ImportError::Read { path: path.to_owned(), source })?;
            paths.push(entry.path());
        }
        paths.sort();
        Ok(paths)
    };
    if tool == Tool::Alembic {
        // Alembic reads its own history (see `import::read`).
        return crate::import::alembic::read_alembic(dir, None);
    }
    let mut history: Vec<(u128, Migration)> = Vec::new();
    for path in read_dir(dir)? {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let found = match tool {
            Tool::Sqlx => sqlx(&path, &name)?,
            Tool::Diesel => diesel(&path, &name, &read_dir)?,
            Tool::Refinery => refinery(&path, &name)?,
            Tool::Alembic => unreachable!("Alembic's history is read above"),
        };
        let Some((order, migration)) = found else { continue };
        if let Some((_, known)) = history.iter_mut().find(|(_, m)| m.version == migration.version) {
            // sqlx's up and down files of one version come as two entries.
            if tool == Tool::Sqlx && known.down.is_none() != migration.down.is_none() {
                merge_sqlx_pair(known, migration);
                continue;
            }
            return Err(ImportError::DuplicateVersion {
                tool,
                version: migration.version,
                first: known.files[0].0.clone(),
                second: migration.files[0].0.clone(),
            });
        }
        history.push((order, migration));
    }
    if history.is_empty() {
        return Err(ImportError::Empty { tool, path: dir.to_owned(), expected: scheme(tool) });
    }
    history.sort_by_key(|(order, _)| *order);
    Ok(history.into_iter().map(|(_, migration)| migration).collect())
}

/// A file's text and checksum.
fn read_sql(path: &Path) -> Result<(String, String), ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Read { path: path.to_owned(), source })?;
    let checksum = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    let text = String::from_utf8(bytes).map_err(|_| ImportError::NotText { path: path.to_owned() })?;
    Ok((text, checksum))
}

/// `<digits>` as a number for ordering, or `None`.
fn version_number(text: &str) -> Option<u128> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok()).flatten()
}

fn sqlx(path: &Path, name: &str) -> Result<Option<(u128, Migration)>, ImportError> {
    let Some(stem) = name.strip_suffix(".sql") else { return Ok(None) };
    let bad = || ImportError::BadName { tool: Tool::Sqlx, path: path.to_owned(), expected: scheme(Tool::Sqlx) };
    let (stem, direction) = match (stem.strip_suffix(".up"), stem.strip_suffix(".down")) {
        (Some(stem), _) => (stem, Some(true)),
        (_, Some(stem)) => (stem, Some(false)),
        _ => (stem, None),
    };
    let (version, description) = stem.split_once('_').ok_or_else(bad)?;
    let order = version_number(version).filter(|n| i64::try_from(*n).is_ok()).ok_or_else(bad)?;
    let (text, checksum) = read_sql(path)?;
    let transactional = text.lines().next().is_none_or(|l| l.trim() != "-- no-transaction");
    let files = vec![(path.to_owned(), checksum)];
    let migration = match direction {
        Some(false) => Migration {
            version: order.to_string(),
            description: description.replace('_', " "),
            up: String::new(),
            down: Some(text),
            transactional,
            files,
            parents: None,
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
        },
        _ => Migration {
            version: order.to_string(),
            description: description.replace('_', " "),
            up: text,
            down: None,
            transactional,
            files,
            parents: None,
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
        },
    };
    Ok(Some((order, migration)))
}

/// Joins the up and the down file of one sqlx version.
fn merge_sqlx_pair(known: &mut Migration, other: Migration) {
    let (up, down) = if known.down.is_none() { (known.clone(), other) } else { (other, known.clone()) };
    let mut files = up.files;
    files.extend(down.files);
    *known = Migration { down: down.down, files, ..up };
}

fn diesel(
    path: &Path,
    name: &str,
    read_dir: &dyn Fn(&Path) -> Result<Vec<PathBuf>, ImportError>,
) -> Result<Option<(u128, Migration)>, ImportError> {
    if !path.is_dir() {
        return Ok(None);
    }
    let bad = || ImportError::BadName { tool: Tool::Diesel, path: path.to_owned(), expected: scheme(Tool::Diesel) };
    let (version, description) = name.split_once('_').ok_or_else(bad)?;
    let version = version.replace('-', "");
    let order = version_number(&version).ok_or_else(bad)?;
    let files = read_dir(path)?;
    let up_path = path.join("up.sql");
    if !files.contains(&up_path) {
        return Err(bad());
    }
    let (up, up_checksum) = read_sql(&up_path)?;
    let mut checksums = vec![(up_path, up_checksum)];
    let down_path = path.join("down.sql");
    let down = if files.contains(&down_path) {
        let (down, down_checksum) = read_sql(&down_path)?;
        checksums.push((down_path, down_checksum));
        Some(down)
    } else {
        None
    };
    let metadata = path.join("metadata.toml");
    let transactional = !files.contains(&metadata) || {
        let (text, _) = read_sql(&metadata)?;
        !text.lines().any(|l| l.replace(' ', "") == "run_in_transaction=false")
    };
    let description = description.replace('_', " ");
    Ok(Some((
        order,
        Migration {
            version,
            description,
            up,
            down,
            transactional,
            files: checksums,
            parents: None,
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
        },
    )))
}

fn refinery(path: &Path, name: &str) -> Result<Option<(u128, Migration)>, ImportError> {
    let Some(stem) = name.strip_suffix(".sql") else { return Ok(None) };
    let bad = || ImportError::BadName { tool: Tool::Refinery, path: path.to_owned(), expected: scheme(Tool::Refinery) };
    let rest = stem.strip_prefix('V').ok_or_else(bad)?;
    let (version, description) = rest.split_once("__").ok_or_else(bad)?;
    let order = version_number(version).ok_or_else(bad)?;
    let (up, checksum) = read_sql(path)?;
    let migration = Migration {
        version: order.to_string(),
        description: description.replace('_', " "),
        up,
        down: None,
        transactional: true,
        files: vec![(path.to_owned(), checksum)],
        parents: None,
        branch_labels: Vec::new(),
        depends_on: Vec::new(),
    };
    Ok(Some((order, migration)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
            std::fs::write(path, text).expect("write");
        }
        dir
    }

    fn summary(tool: Tool, files: &[(&str, &str)]) -> Result<Vec<String>, String> {
        let dir = folder(files);
        read_history(tool, dir.path())
            .map(|history| {
                history
                    .iter()
                    .map(|m| {
                        format!(
                            "{} {} up={:?} down={:?} tx={}",
                            m.version, m.description, m.up, m.down, m.transactional
                        )
                    })
                    .collect()
            })
            .map_err(|err| err.to_string().replace(&dir.path().display().to_string(), "DIR"))
    }

    #[test]
    fn each_tool_reads_its_own_naming() {
        assert_eq!(
            summary(
                Tool::Sqlx,
                &[
                    ("2_add_age.sql", "-- no-transaction\nCREATE INDEX"),
                    ("10_add_email.up.sql", "ALTER"),
                    ("10_add_email.down.sql", "UNDO"),
                    ("1_create_users.sql", "CREATE"),
                    ("README.md", "notes"),
                ]
            ),
            Ok(vec![
                "1 create users up=\"CREATE\" down=None tx=true".to_owned(),
                "2 add age up=\"-- no-transaction\\nCREATE INDEX\" down=None tx=false".to_owned(),
                "10 add email up=\"ALTER\" down=Some(\"UNDO\") tx=true".to_owned(),
            ])
        );
        assert_eq!(
            summary(
                Tool::Diesel,
                &[
                    ("2024-01-31-120000_create_users/up.sql", "CREATE"),
                    ("2024-01-31-120000_create_users/down.sql", "DROP"),
                    ("00000000000000_diesel_initial_setup/up.sql", "SETUP"),
                    ("00000000000000_diesel_initial_setup/down.sql", "UNSETUP"),
                    ("2024-02-01-000000_no_tx/up.sql", "X"),
                    ("2024-02-01-000000_no_tx/metadata.toml", "run_in_transaction = false\n"),
                    (".keep", ""),
                ]
            ),
            Ok(vec![
                "00000000000000 diesel initial setup up=\"SETUP\" down=Some(\"UNSETUP\") tx=true".to_owned(),
                "20240131120000 create users up=\"CREATE\" down=Some(\"DROP\") tx=true".to_owned(),
                "20240201000000 no tx up=\"X\" down=None tx=false".to_owned(),
            ])
        );
        assert_eq!(
            summary(Tool::Refinery, &[("V2__add_age.sql", "ALTER"), ("V1__create_users.sql", "CREATE")]),
            Ok(vec![
                "1 create users up=\"CREATE\" down=None tx=true".to_owned(),
                "2 add age up=\"ALTER\" down=None tx=true".to_owned()
            ])
        );
    }

    #[test]
    fn misnamed_duplicate_and_missing_migrations_are_errors() {
        assert_eq!(
            summary(Tool::Refinery, &[("V1_create_users.sql", "CREATE")]),
            Err("DIR/V1_create_users.sql is not named as refinery names its migrations (`V<N>__<NAME>.sql`); rename \
                 it, or move it out of the folder"
                .to_owned())
        );
        assert_eq!(
            summary(Tool::Sqlx, &[("1_a.sql", "A"), ("1_b.sql", "B")]),
            Err("sqlx migrations DIR/1_a.sql and DIR/1_b.sql have the same version 1; the tool would refuse them too"
                .to_owned())
        );
        assert_eq!(
            summary(Tool::Diesel, &[("README.md", "")]),
            Err("DIR holds no diesel migrations (a folder `<VERSION>_<NAME>` holding `up.sql` and `down.sql`); give \
                 the folder the tool reads them from"
                .to_owned())
        );
    }
}
