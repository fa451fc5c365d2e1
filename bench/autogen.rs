//! Benchmark: autogenerate and `check` on large PostgreSQL schemas.
//!
//! For schemas of 100, 1,000 and 3,000 tables (8 columns of mixed types each, a foreign key
//! to the previous table, an index and a unique), created through aludel itself and then
//! vacuumed and analyzed (as autovacuum leaves a database that has been up a while), measures
//! process start to exit with `/usr/bin/time` for peak memory:
//! - `aludel check` and `aludel revision --autogenerate` when nothing changed,
//! - the same with one column added to the models,
//! - the number of statements each run sends (transactions counted by `pg_stat_database`).
//!
//! Run with `cargo bench -p aludel-cli --bench autogen`. `ALUDEL_BENCH_POSTGRES_URL` (default
//! `postgresql://postgres@127.0.0.1:5432/postgres`) names the server; `ALUDEL_BENCH_TABLES`
//! (default `100,1000,3000`) the sizes; `ALUDEL_BENCH_BIN` measures another build's `aludel`.

mod support;

use std::fmt::Write as _;
use std::path::Path;

use support::{Measure, admin_url, aludel_binary, drop_database, fresh_database, measure, median, psql};

const REPEAT: usize = 7;
const DATABASE: &str = "aludel_bench_autogen";

/// `tables` tables in PostgreSQL's dialect, each with 8 columns of mixed types, a foreign key
/// to the previous table, an index and a unique.
fn schema_sql(tables: usize, extra_column: bool) -> String {
    let mut sql = String::new();
    for i in 0..tables {
        let previous = if i == 0 { String::new() } else { format!(" REFERENCES t{} (id)", i - 1) };
        let extra = if extra_column && i == tables / 2 { ",\n    added integer" } else { "" };
        writeln!(
            sql,
            "CREATE TABLE t{i} (\n    id bigserial PRIMARY KEY,\n    code varchar(32) NOT NULL UNIQUE,\n    \
             title text NOT NULL DEFAULT '',\n    amount numeric(12,2),\n    active boolean NOT NULL DEFAULT true,\n    \
             created_at timestamptz NOT NULL DEFAULT now(),\n    payload jsonb,\n    parent_id bigint{previous}{extra}\n);\n\
             CREATE INDEX ix_t{i}_created_at ON t{i} (created_at);"
        )
        .unwrap();
    }
    sql
}

/// Statements the server has run on `url` (committed and rolled-back transactions).
fn transactions(admin: &str) -> u64 {
    let sql = format!("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '{DATABASE}'");
    psql(admin, &sql).parse().expect("a number")
}

/// `aludel args` measured, with the statements it sent.
fn run(aludel: &str, args: &[&str], dir: &Path, env: &[(&str, &str)], code: i32, admin: &str) -> (Measure, u64) {
    // Statistics reach pg_stat_database when a session ends; the reading itself is a
    // transaction of another database, so it does not count.
    let before = transactions(admin);
    let measured = measure(aludel, args, dir, env, code);
    std::thread::sleep(std::time::Duration::from_millis(600));
    let after = transactions(admin);
    (measured, after.saturating_sub(before))
}

struct Row {
    tables: usize,
    check: Measure,
    check_statements: u64,
    autogenerate: Measure,
    check_changed: Measure,
    autogenerate_changed: Measure,
}

fn main() {
    let admin = admin_url();
    let sizes: Vec<usize> = std::env::var("ALUDEL_BENCH_TABLES")
        .unwrap_or_else(|_| "100,1000,3000".to_owned())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let aludel = &aludel_binary(env!("CARGO_BIN_EXE_aludel"));
    let mut rows = Vec::new();
    for &tables in &sizes {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("migrations/versions")).unwrap();
        std::fs::write(
            dir.path().join("aludel.toml"),
            "script_location = \"migrations\"\n[models]\nschema_sql = \"schema.sql\"\n",
        )
        .unwrap();
        let url = fresh_database(&admin, DATABASE);
        let env = [("DATABASE_URL", url.as_str())];
        // Created in steps of at most 500 tables: one transaction creating thousands of tables
        // runs out of PostgreSQL's lock table (max_locks_per_transaction).
        let mut created = 0;
        while created < tables {
            created = (created + 500).min(tables);
            std::fs::write(dir.path().join("schema.sql"), schema_sql(created, false)).unwrap();
            let id = format!("a{created:05}");
            measure(aludel, &["revision", "--autogenerate", "-m", "create", "--rev-id", &id], dir.path(), &env, 0);
            measure(aludel, &["upgrade", "head"], dir.path(), &env, 0);
        }

        // A database that has been up a while has had its catalog vacuumed and analyzed by
        // autovacuum; right after creating thousands of tables it has not, and the catalog
        // queries would measure that instead.
        psql(&url, "VACUUM ANALYZE");
        // One run untimed, so that the first timed one does not pay for cold caches.
        measure(aludel, &["check"], dir.path(), &env, 0);
        let mut check_statements = 0;
        let check = median(
            (0..REPEAT)
                .map(|_| {
                    let (m, statements) = run(aludel, &["check"], dir.path(), &env, 0, &admin);
                    check_statements = statements;
                    m
                })
                .collect(),
        );
        let autogenerate = median(
            (0..REPEAT)
                .map(|_| measure(aludel, &["revision", "--autogenerate", "-m", "none"], dir.path(), &env, 0))
                .collect(),
        );
        std::fs::write(dir.path().join("schema.sql"), schema_sql(tables, true)).unwrap();
        let check_changed = median((0..REPEAT).map(|_| measure(aludel, &["check"], dir.path(), &env, 1)).collect());
        let autogenerate_changed = median(
            (0..REPEAT)
                .map(|_| {
                    let m = measure(
                        aludel,
                        &["revision", "--autogenerate", "-m", "add", "--rev-id", "b2"],
                        dir.path(),
                        &env,
                        0,
                    );
                    std::fs::remove_file(dir.path().join("migrations/versions/b2_add.toml")).expect("written");
                    m
                })
                .collect(),
        );
        drop_database(&admin, DATABASE);
        rows.push(Row { tables, check, check_statements, autogenerate, check_changed, autogenerate_changed });
    }

    println!("autogenerate on PostgreSQL, process start to exit (median of {REPEAT}; peak memory)\n");
    println!(
        "| tables | check, no change | autogenerate, no change | check, one column added | autogenerate, one column added | statements per check |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
    for row in &rows {
        let cell = |m: &Measure| format!("{:.0} ms ({:.1} MiB)", m.millis(), m.mib());
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            row.tables,
            cell(&row.check),
            cell(&row.autogenerate),
            cell(&row.check_changed),
            cell(&row.autogenerate_changed),
            row.check_statements
        );
    }
    if let (Some(first), Some(last)) = (rows.first(), rows.last())
        && last.tables > first.tables
    {
        let growth = last.check.millis() / first.check.millis();
        println!(
            "\ncheck time grows {growth:.1}x from {} to {} tables ({:.1}x the tables)",
            first.tables,
            last.tables,
            last.tables as f64 / first.tables as f64
        );
    }
}
