//! Offline equals online: the `--sql` script of a range, run with the backend's own client
//! (`psql`, `mariadb`, `sqlite3`) on a throwaway database, must leave the schema the online
//! run leaves.

use std::path::PathBuf;
use std::process::Output;
use std::time::Instant;

use crate::Error;
use crate::dialect::{IntrospectOptions, ScriptClient};
use crate::runtime::Migrator;
use crate::runtime::scratch::{ScratchDatabase, connect};
use crate::schema::Schema;
use crate::script::{Direction, RevisionGraph};
use crate::testing::difference::differences;
use crate::testing::stairway::chain;
use crate::testing::{Check, CheckResult, HistoryTest, Outcome, TestError};
use crate::url::DatabaseUrl;

/// Runs the check for `test.offline_range` on `server`. `online` is the stairway's database,
/// at the heads when `at_head`.
pub(super) async fn check(
    test: &HistoryTest,
    graph: &RevisionGraph,
    server: &DatabaseUrl,
    online: &ScratchDatabase,
    at_head: bool,
) -> Result<CheckResult, Error> {
    let config = &test.project.config;
    let backend = server.backend().dialect_with(&config.dialect).name();
    let range = test.offline_range.as_str();
    let subject = format!("the --sql script of {range} leaves the schema the online run leaves");
    let started = Instant::now();
    let result = |outcome| CheckResult::new(Check::Offline, Some(backend), subject.clone(), outcome);
    let (from, to) = range.split_once(':').unwrap_or(("base", range));

    // The online side: the stairway's database when it stands where the range ends.
    let ends_at_heads = {
        let mut heads: Vec<String> = graph.heads().into_iter().map(ToString::to_string).collect();
        heads.sort();
        match to {
            "heads" => true,
            "head" => heads.len() == 1,
            other => graph.resolve(other).map(|id| heads == [id.to_string()]).unwrap_or(false),
        }
    };
    let own_online = if ends_at_heads && at_head {
        None
    } else {
        let scratch = ScratchDatabase::create(server, config, "aludel_test").await?;
        if let Err(err) = Migrator::with_graph(scratch.config(config), graph.clone()).upgrade(to).await {
            scratch.drop_now().await?;
            return Ok(result(Outcome::Skipped(format!("the online upgrade to {to} fails: {}", chain(&err)))));
        }
        Some(scratch)
    };
    let offline = ScratchDatabase::create(server, config, "aludel_test").await?;
    let outcome = compare(test, graph, from, range, own_online.as_ref().unwrap_or(online), &offline).await;
    let dropped = offline.drop_now().await;
    let dropped_online = match own_online {
        Some(scratch) => scratch.drop_now().await,
        None => Ok(()),
    };
    let outcome = outcome?;
    dropped?;
    dropped_online?;
    Ok(result(outcome).took(started.elapsed()))
}

async fn compare(
    test: &HistoryTest,
    graph: &RevisionGraph,
    from: &str,
    range: &str,
    online: &ScratchDatabase,
    offline: &ScratchDatabase,
) -> Result<Outcome, Error> {
    let config = &test.project.config;
    let offline_config = offline.config(config);
    let migrator = Migrator::with_graph(offline_config.clone(), graph.clone());
    if !matches!(from, "" | "base")
        && let Err(err) = migrator.upgrade(from).await
    {
        return Ok(Outcome::Skipped(format!(
            "the online upgrade to {from}, where the range starts, fails: {}",
            chain(&err)
        )));
    }
    let script = match migrator.script(Direction::Up, range) {
        Ok(script) => script,
        Err(err) => return Ok(Outcome::Failed(format!("the --sql script cannot be written: {}", chain(&err)))),
    };
    let path = std::env::temp_dir().join(format!("{}.sql", offline.name()));
    std::fs::write(&path, &script).map_err(|source| TestError::ScriptFile { path: path.clone(), source })?;
    let dialect = offline.url().backend().dialect_with(&config.dialect);
    let ran = match dialect.script_client(offline.url().expose(), &path) {
        Some(client) => run_client(client, path.clone()).await,
        None => Err(TestError::NoClient { dialect: dialect.name() }.into()),
    };
    std::fs::remove_file(&path).ok();
    let (program, output) = ran?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let at = revision_at_line(&script, &stderr).map(|r| format!(" in the revision {r}")).unwrap_or_default();
        return Ok(Outcome::Failed(format!(
            "the --sql script failed in {program}{at}, where the online run succeeds: {}",
            bounded(&stderr)
        )));
    }
    let options = IntrospectOptions {
        schema: None,
        exclude_tables: vec![config.tables.version_table.clone(), config.tables.history_table.clone()],
    };
    let online_schema = read(online.url(), config, &options).await?;
    let offline_schema = read(offline.url(), config, &options).await?;
    let differences = differences(&offline_schema, &online_schema);
    Ok(if differences.is_empty() {
        Outcome::Passed
    } else {
        Outcome::Failed(format!(
            "the --sql script run with {program} {} (compared with the online run)",
            differences.join("; ").replace("which the parent has", "which the online run has")
        ))
    })
}

async fn read(url: &DatabaseUrl, config: &crate::config::Config, options: &IntrospectOptions) -> Result<Schema, Error> {
    let mut session = connect(url, config).await?;
    let schema = session.introspect(options).await;
    session.close().await.ok();
    schema.map_err(|source| crate::runtime::RuntimeError::Introspect { url: url.to_string(), source }.into())
}

/// Runs the client on the script, trying its programs in order. The client is killed when
/// the run is dropped (Ctrl-C): it would otherwise go on writing into a database the run is
/// dropping.
async fn run_client(client: ScriptClient, path: PathBuf) -> Result<(String, Output), Error> {
    for program in &client.programs {
        let mut command = tokio::process::Command::new(program);
        command.args(&client.args).envs(client.env.iter().map(|(k, v)| (k, v))).kill_on_drop(true);
        match &client.stdin {
            Some(file) => {
                let input = std::fs::File::open(file).map_err(|source| TestError::Client {
                    program: (*program).to_owned(),
                    path: path.clone(),
                    source,
                })?;
                command.stdin(input);
            }
            None => {
                command.stdin(std::process::Stdio::null());
            }
        }
        match command.output().await {
            Ok(output) => return Ok(((*program).to_owned(), output)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => {
                return Err(TestError::Client { program: (*program).to_owned(), path: path.clone(), source }.into());
            }
        }
    }
    Err(TestError::ClientMissing { program: client.programs.join("` or `"), install: client.install }.into())
}

/// The revision whose section of `script` holds the line the client's error names
/// (`psql:...:42: ERROR`, `Error: near line 42`, `ERROR 1064 (42000) at line 42`).
fn revision_at_line(script: &str, stderr: &str) -> Option<String> {
    let line = line_number(stderr)?;
    script
        .lines()
        .take(line)
        .filter_map(|l| l.strip_prefix("-- Running "))
        .last()
        .map(|l| l.split_once(", ").map_or(l, |(arrow, _)| arrow).to_owned())
}

/// The first line number an error message gives.
fn line_number(stderr: &str) -> Option<usize> {
    // psql: `psql:/path/script.sql:42: ERROR: ...`, then `LINE 2: ...` within the statement.
    if let Some(after) = stderr.strip_prefix("psql:") {
        let mut parts = after.split(':');
        parts.next()?;
        return parts.next()?.trim().parse().ok();
    }
    let lower = stderr.to_ascii_lowercase();
    let at = lower.find("line ")?;
    let digits: String = lower[at + 5..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// At most a few lines of a client's error output.
fn bounded(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(6).collect();
    let mut joined = lines.join(" / ");
    if joined.len() > 1200 {
        let cut = (0..=1200).rev().find(|i| joined.is_char_boundary(*i)).unwrap_or(0);
        joined.truncate(cut);
        joined.push('…');
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_error_is_traced_to_its_revision() {
        let script = "-- aludel upgrade script\nCREATE TABLE v;\n\n-- Running upgrade <base> -> a1, first\nBEGIN;\n\
                      SELECT 1;\n\n-- Running upgrade a1 -> b2, second\nBEGIN;\nBROKEN;\n";
        for stderr in [
            "psql:/tmp/x.sql:10: ERROR:  syntax error at or near \"BROKEN\"\nLINE 2: BROKEN;",
            "Parse error near line 10: near \"BROKEN\": syntax error",
            "ERROR 1064 (42000) at line 10: You have an error in your SQL syntax",
        ] {
            assert_eq!(revision_at_line(script, stderr).as_deref(), Some("upgrade a1 -> b2"), "{stderr}");
        }
        assert_eq!(revision_at_line(script, "no line here"), None);
    }
}
