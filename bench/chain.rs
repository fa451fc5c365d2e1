//! Benchmark: a 1,000-revision chain (one add_column each) on PostgreSQL.
//!
//! Measures, process start to exit, with `/usr/bin/time` for peak memory:
//! - `psql -f` running the same DDL (the floor),
//! - `aludel upgrade head` on an empty database,
//! - `aludel current` and `aludel history` on the migrated database (median of several runs),
//! - `aludel downgrade base` back to the empty database.
//!
//! Run with `cargo bench -p aludel-cli --bench chain`. `ALUDEL_BENCH_POSTGRES_URL` (default
//! `postgresql://postgres@127.0.0.1:5432/postgres`) names the server; `ALUDEL_BENCH_REVISIONS`
//! changes the chain length; `ALUDEL_BENCH_OP=sql` makes each revision an `sql` op running
//! `SELECT 1` instead (for chains longer than PostgreSQL's 1,600 columns a table);
//! `ALUDEL_BENCH_BIN` measures another build's `aludel`.

mod support;

use std::fmt::Write as _;

use support::{Measure, admin_url, aludel_binary, drop_database, fresh_database, measure, median};

const REPEAT: usize = 15;

fn main() {
    // `cargo bench` passes --bench; any other argument filters, and this bench has one case.
    let admin = admin_url();
    let revisions: usize = std::env::var("ALUDEL_BENCH_REVISIONS").ok().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let sql_ops = std::env::var("ALUDEL_BENCH_OP").is_ok_and(|op| op == "sql");
    let aludel = &aludel_binary(env!("CARGO_BIN_EXE_aludel"));
    let dir = tempfile::tempdir().expect("temp dir");
    let versions = dir.path().join("migrations/versions");
    std::fs::create_dir_all(&versions).unwrap();
    std::fs::write(dir.path().join("aludel.toml"), "script_location = \"migrations\"\n").unwrap();

    let mut ddl = String::new();
    if !sql_ops {
        ddl.push_str("CREATE TABLE bench_chain (id INTEGER NOT NULL, PRIMARY KEY (id));\n");
    }
    let mut parent: Option<String> = None;
    for i in 0..revisions {
        let id = format!("{i:012x}");
        let mut text = format!("revision = \"{id}\"\n");
        if let Some(parent) = &parent {
            writeln!(text, "down_revision = \"{parent}\"").unwrap();
        }
        writeln!(text, "message = \"step {i}\"\n").unwrap();
        if sql_ops {
            text.push_str("[[upgrade]]\nop = \"sql\"\nsql = \"SELECT 1\"\ndown = \"SELECT 1\"\n");
            ddl.push_str("SELECT 1;\n");
        } else if i == 0 {
            text.push_str(
                "[[upgrade]]\nop = \"create_table\"\ntable = \"bench_chain\"\ncolumns = [{ name = \"id\", type = \"integer\", nullable = false }]\nprimary_key = [\"id\"]\n\n[[downgrade]]\nop = \"drop_table\"\ntable = \"bench_chain\"\n",
            );
        } else {
            writeln!(
                text,
                "[[upgrade]]\nop = \"add_column\"\ntable = \"bench_chain\"\ncolumn = {{ name = \"c{i}\", type = \"integer\" }}\n\n[[downgrade]]\nop = \"drop_column\"\ntable = \"bench_chain\"\ncolumn = \"c{i}\""
            )
            .unwrap();
            writeln!(ddl, "ALTER TABLE bench_chain ADD COLUMN c{i} INTEGER;").unwrap();
        }
        std::fs::write(versions.join(format!("{id}_step_{i}.toml")), text).unwrap();
        parent = Some(id);
    }
    std::fs::write(dir.path().join("chain.sql"), &ddl).unwrap();

    let names = ["aludel_bench_psql", "aludel_bench_chain"];
    let psql_url = fresh_database(&admin, names[0]);
    let url = fresh_database(&admin, names[1]);
    let env = [("DATABASE_URL", url.as_str())];

    let floor =
        measure("psql", &["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &psql_url, "-f", "chain.sql"], dir.path(), &[], 0);
    let upgrade = measure(aludel, &["upgrade", "head"], dir.path(), &env, 0);
    let current = median((0..REPEAT).map(|_| measure(aludel, &["current"], dir.path(), &env, 0)).collect());
    let history = median((0..REPEAT).map(|_| measure(aludel, &["history"], dir.path(), &env, 0)).collect());
    let downgrade = measure(aludel, &["downgrade", "base"], dir.path(), &env, 0);

    for name in names {
        drop_database(&admin, name);
    }

    let ratio = upgrade.wall.as_secs_f64() / floor.wall.as_secs_f64();
    let op = if sql_ops { "one sql op" } else { "one add_column" };
    println!("chain of {revisions} revisions, {op} each, on PostgreSQL (process start to exit)\n");
    println!("| run | time | peak memory |");
    println!("| --- | ---: | ---: |");
    let row = |name: &str, m: &Measure| println!("| {name} | {:.1} ms | {:.1} MiB |", m.millis(), m.mib());
    row("psql -f (same DDL)", &floor);
    row("aludel upgrade head", &upgrade);
    row(&format!("aludel current (median of {REPEAT})"), &current);
    row(&format!("aludel history (median of {REPEAT})"), &history);
    row("aludel downgrade base", &downgrade);
    println!("\nupgrade / psql = {ratio:.2}x (target: at most 1.5x)");
}
