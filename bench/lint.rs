//! Benchmark: `aludel lint` on a 1,000-revision history, without a database.
//!
//! The history mixes what real ones hold: a new table every 50 revisions, then columns added,
//! indexes built (which the PostgreSQL rules report), types changed, raw SQL of two
//! statements (a backfill and an index), and columns dropped. Measures `aludel lint --all`
//! with each backend's rules, process start to exit (median of several runs), with peak
//! memory. Target: under 200 ms for 1,000 revisions.
//!
//! Run with `cargo bench -p aludel-cli --bench lint`; `ALUDEL_BENCH_REVISIONS` changes the
//! history's length; `ALUDEL_BENCH_BIN` measures another build's `aludel`. No server is
//! needed.

mod support;

use std::fmt::Write as _;

use support::{Measure, aludel_binary, measure, median};

const REPEAT: usize = 15;

/// The upgrade ops of revision `i`, on table `table` (made by revision `i - i % 50`).
fn ops(i: usize, table: &str) -> String {
    match i % 50 {
        0 => format!(
            "[[upgrade]]\nop = \"create_table\"\ntable = \"{table}\"\ncolumns = [{{ name = \"id\", type = \"bigint\", \
             nullable = false }}, {{ name = \"name\", type = \"varchar(40)\" }}]\nprimary_key = [\"id\"]\n"
        ),
        n if n % 5 == 1 => format!(
            "[[upgrade]]\nop = \"create_index\"\ntable = \"{table}\"\nname = \"ix_{table}_c{i}\"\ncolumns = [\"c{}\"]\n",
            i - 1
        ),
        n if n % 5 == 2 => format!(
            "[[upgrade]]\nop = \"alter_column\"\ntable = \"{table}\"\ncolumn = \"name\"\n\
             type = {{ from = \"varchar(40)\", to = \"text\" }}\n"
        ),
        n if n % 5 == 3 => format!(
            "[[upgrade]]\nop = \"sql\"\nsql = \"\"\"\nUPDATE {table} SET name = 'x' WHERE id < 100;\n\
             CREATE INDEX ix_{table}_name_{i} ON {table} (name);\n\"\"\"\n"
        ),
        _ => format!(
            "[[upgrade]]\nop = \"add_column\"\ntable = \"{table}\"\ncolumn = {{ name = \"c{i}\", type = \"integer\" }}\n"
        ),
    }
}

fn main() {
    let revisions: usize = std::env::var("ALUDEL_BENCH_REVISIONS").ok().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let aludel = &aludel_binary(env!("CARGO_BIN_EXE_aludel"));
    let dir = tempfile::tempdir().expect("temp dir");
    let versions = dir.path().join("migrations/versions");
    std::fs::create_dir_all(&versions).unwrap();
    std::fs::write(dir.path().join("aludel.toml"), "script_location = \"migrations\"\n").unwrap();
    let mut parent: Option<String> = None;
    for i in 0..revisions {
        let id = format!("{i:012x}");
        let mut text = format!("revision = \"{id}\"\n");
        if let Some(parent) = &parent {
            writeln!(text, "down_revision = \"{parent}\"").unwrap();
        }
        writeln!(text, "message = \"step {i}\"\n").unwrap();
        text.push_str(&ops(i, &format!("t{}", i / 50)));
        std::fs::write(versions.join(format!("{id}_step_{i}.toml")), text).unwrap();
        parent = Some(id);
    }

    // No database: an empty DATABASE_URL hides any the environment sets.
    let env = [("DATABASE_URL", "")];
    println!("aludel lint --all on {revisions} revisions, no database (process start to exit)\n");
    println!("| rules | time (median of {REPEAT}) | peak memory | findings |");
    println!("| --- | ---: | ---: | ---: |");
    for dialect in ["postgresql", "mysql", "sqlite"] {
        let args = ["lint", "--all", "--dialect", dialect, "--format", "json"];
        // Index builds (PostgreSQL) and type changes (MySQL) are errors: exit 1. SQLite's
        // rebuilds are notes.
        let code = if dialect == "sqlite" { 0 } else { 1 };
        let run: Measure = median((0..REPEAT).map(|_| measure(aludel, &args, dir.path(), &env, code)).collect());
        let output = std::process::Command::new(aludel)
            .args(args)
            .current_dir(dir.path())
            .env("DATABASE_URL", "")
            .output()
            .expect("aludel runs");
        let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a JSON document");
        let findings = document["findings"].as_array().map_or(0, Vec::len);
        println!("| {dialect} | {:.1} ms | {:.1} MiB | {findings} |", run.millis(), run.mib());
    }
    println!("\ntarget: under 200 ms for 1,000 revisions");
}
