//! Benchmark: `aludel test`'s stairway on a 1,000-revision chain on PostgreSQL (ten
//! create_table, then one add_column each, spread over the ten tables), against a plain
//! `aludel upgrade head` of the same chain.
//!
//! Measures, process start to exit, with `/usr/bin/time` for peak memory (median of
//! `ALUDEL_BENCH_REPEAT` runs, default 3, each on a fresh database):
//! - `aludel upgrade head` on an empty database,
//! - `aludel test --skip offline --skip checksums`: the graph checks, then every revision up,
//!   down (the schema compared with the parent's) and up again in a throwaway database.
//!
//! Run with `cargo bench -p aludel-cli --bench stairway`. `ALUDEL_BENCH_POSTGRES_URL` (default
//! `postgresql://postgres@127.0.0.1:5432/postgres`) names the server; `ALUDEL_BENCH_REVISIONS`
//! changes the chain length.

mod support;

use std::fmt::Write as _;

use support::{Measure, admin_url, drop_database, fresh_database, measure, median};

fn main() {
    let admin = admin_url();
    let revisions: usize = std::env::var("ALUDEL_BENCH_REVISIONS").ok().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let repeat: usize = std::env::var("ALUDEL_BENCH_REPEAT").ok().and_then(|n| n.parse().ok()).unwrap_or(3);
    let aludel = env!("CARGO_BIN_EXE_aludel");
    let dir = tempfile::tempdir().expect("temp dir");
    let versions = dir.path().join("migrations/versions");
    std::fs::create_dir_all(&versions).unwrap();
    std::fs::write(dir.path().join("aludel.toml"), "script_location = \"migrations\"\n").unwrap();
    // Ten tables, the columns spread over them: PostgreSQL counts dropped columns towards its
    // limit of 1,600 per table, and the stairway adds each column twice.
    const TABLES: usize = 10;
    let mut parent: Option<String> = None;
    for i in 0..revisions {
        let id = format!("{i:012x}");
        let mut text = format!("revision = \"{id}\"\n");
        if let Some(parent) = &parent {
            writeln!(text, "down_revision = \"{parent}\"").unwrap();
        }
        writeln!(text, "message = \"step {i}\"\n").unwrap();
        let table = format!("bench_chain_{}", i % TABLES);
        if i < TABLES {
            writeln!(
                text,
                "[[upgrade]]\nop = \"create_table\"\ntable = \"{table}\"\ncolumns = [{{ name = \"id\", type = \"integer\", nullable = false }}]\nprimary_key = [\"id\"]\n\n[[downgrade]]\nop = \"drop_table\"\ntable = \"{table}\""
            )
            .unwrap();
        } else {
            writeln!(
                text,
                "[[upgrade]]\nop = \"add_column\"\ntable = \"{table}\"\ncolumn = {{ name = \"c{i}\", type = \"integer\" }}\n\n[[downgrade]]\nop = \"drop_column\"\ntable = \"{table}\"\ncolumn = \"c{i}\""
            )
            .unwrap();
        }
        std::fs::write(versions.join(format!("{id}_step_{i}.toml")), text).unwrap();
        parent = Some(id);
    }

    let name = "aludel_bench_stairway";
    let mut upgrades = Vec::new();
    let mut tests = Vec::new();
    for _ in 0..repeat {
        let url = fresh_database(&admin, name);
        let env = [("DATABASE_URL", url.as_str())];
        upgrades.push(measure(aludel, &["upgrade", "head"], dir.path(), &env, 0));
        // The test makes its own throwaway database on the server the URL names.
        let env = [("DATABASE_URL", admin.as_str())];
        tests.push(measure(aludel, &["test", "--skip", "offline", "--skip", "checksums"], dir.path(), &env, 0));
    }
    drop_database(&admin, name);
    let (upgrade, test) = (median(upgrades), median(tests));

    let ratio = test.wall.as_secs_f64() / upgrade.wall.as_secs_f64();
    println!("chain of {revisions} revisions on PostgreSQL (process start to exit, median of {repeat})\n");
    println!("| run | time | peak memory |");
    println!("| --- | ---: | ---: |");
    let row = |name: &str, m: &Measure| println!("| {name} | {:.1} ms | {:.1} MiB |", m.millis(), m.mib());
    row("aludel upgrade head", &upgrade);
    row("aludel test (stairway: up, down, up)", &test);
    println!("\ntest / upgrade = {ratio:.2}x (target: at most 4x)");
}
