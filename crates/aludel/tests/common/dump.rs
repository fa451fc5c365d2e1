//! A database's schema as its own tools print it, to compare two databases whole (defaults,
//! sequences and casts included) rather than through aludel's introspection: `pg_dump
//! --schema-only` on PostgreSQL, `mariadb-dump --no-data` on MySQL / MariaDB, and on SQLite
//! each column's name, `NOT NULL`, default text and key position as `pragma_table_xinfo`
//! reads them (SQLite keeps a default's text as written; a type's spelling is the renderer's
//! own, `REAL` for `double`, and not compared).
//! The version and history tables are left out; so are the dump's comments and session
//! settings, which name the database or the moment.

use std::process::Command;

use aludel::dialect::Backend;

use crate::common::TestDb;

/// The schema of `db` as the backend's own tool prints it, without aludel's own tables.
pub async fn schema_dump(db: &TestDb) -> String {
    match db.backend {
        Backend::Postgres => postgres(&db.url),
        Backend::MySql => mariadb(&db.url),
        _ => sqlite(db).await,
    }
}

fn postgres(url: &str) -> String {
    let output = run(
        Command::new("pg_dump")
            .args(["--schema-only", "--no-owner", "--no-privileges", "--exclude-table=aludel_*"])
            .arg(url),
        "pg_dump",
    );
    output
        .lines()
        .filter(|line| {
            let line = line.trim();
            !(line.is_empty()
                || line.starts_with("--")
                || line.starts_with("SET ")
                || line.starts_with("SELECT pg_catalog.set_config")
                || line.starts_with("\\restrict")
                || line.starts_with("\\unrestrict"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn mariadb(url: &str) -> String {
    let url = url::Url::parse(url).expect("a MySQL URL");
    let database = url.path().trim_start_matches('/').to_owned();
    let mut command = Command::new("mariadb-dump");
    command
        .args(["--no-data", "--compact", "--skip-comments", "--skip-add-drop-table", "--protocol=tcp"])
        .arg(format!("--host={}", url.host_str().unwrap_or("127.0.0.1")))
        .arg(format!("--port={}", url.port().unwrap_or(3306)))
        .arg(format!("--user={}", url.username()));
    if let Some(password) = url.password() {
        command.env("MYSQL_PWD", password);
    }
    for table in ["aludel_version", "aludel_history"] {
        command.arg(format!("--ignore-table={database}.{table}"));
    }
    command.arg(&database);
    let output = run(&mut command, "mariadb-dump");
    // `--compact` keeps the version-conditional comments that set the character set.
    output.lines().filter(|line| !line.trim().is_empty() && !line.starts_with("/*!")).collect::<Vec<_>>().join("\n")
}

async fn sqlite(db: &TestDb) -> String {
    let rows = db
        .query(
            "SELECT m.name, p.name, p.\"notnull\", p.dflt_value, p.pk \
             FROM sqlite_master m JOIN pragma_table_xinfo(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'aludel_%' AND m.name NOT LIKE 'sqlite_%' \
             ORDER BY m.name, p.cid",
        )
        .await;
    rows.into_iter()
        .map(|row| {
            row.into_iter().map(|cell| cell.unwrap_or_else(|| "NULL".to_owned())).collect::<Vec<_>>().join(" | ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn run(command: &mut Command, tool: &str) -> String {
    let output = command.output().unwrap_or_else(|err| panic!("{tool} could not start ({err}); install it"));
    assert!(output.status.success(), "{tool} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8 dump")
}
