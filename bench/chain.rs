//! Benchmark: a 1,000-revision chain (one add_column each) on PostgreSQL.
//!
//! Measures, process start to exit, with `/usr/bin/time` for peak memory:
//! - `psql -f` running the same DDL (the floor),
//! - `aludel upgrade head` on an empty database,
//! - `aludel current` and `aludel history` on the migrated database (median of several runs).
//!
//! Run with `cargo bench -p aludel-cli --bench chain`. `ALUDEL_BENCH_POSTGRES_URL` (default
//! `postgresql://postgres@127.0.0.1:5432/postgres`) names the server; `ALUDEL_BENCH_REVISIONS`
//! changes the chain length.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const DEFAULT_URL: &str = "postgresql://postgres@127.0.0.1:5432/postgres";
const REPEAT: usize = 15;

struct Measure {
    wall: Duration,
    peak_kib: u64,
}

/// Runs `program args` under `/usr/bin/time`, returning wall time and peak RSS.
fn measure(program: &str, args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Measure {
    let stats = cwd.join("time.out");
    let mut command = Command::new("/usr/bin/time");
    command.arg("-f").arg("%M").arg("-o").arg(&stats).arg(program).args(args).current_dir(cwd);
    for (key, value) in env {
        command.env(key, value);
    }
    let started = Instant::now();
    let output = command.output().expect("/usr/bin/time is installed (Debian package `time`)");
    let wall = started.elapsed();
    assert!(
        output.status.success(),
        "{program} {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let peak_kib = std::fs::read_to_string(&stats)
        .ok()
        .and_then(|text| text.lines().last().and_then(|l| l.trim().parse().ok()))
        .unwrap_or(0);
    Measure { wall, peak_kib }
}

fn psql(admin: &str, sql: &str) {
    let status = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", admin, "-c", sql])
        .status()
        .expect("psql is installed");
    assert!(status.success(), "psql -c {sql}");
}

fn database_url(admin: &str, name: &str) -> String {
    let (server, _) = admin.rsplit_once('/').expect("URL ends in /<database>");
    format!("{server}/{name}")
}

fn median(mut runs: Vec<Measure>) -> Measure {
    runs.sort_by_key(|m| m.wall);
    runs.swap_remove(runs.len() / 2)
}

fn main() {
    // `cargo bench` passes --bench; any other argument filters, and this bench has one case.
    let admin = std::env::var("ALUDEL_BENCH_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned());
    let revisions: usize = std::env::var("ALUDEL_BENCH_REVISIONS").ok().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let aludel = env!("CARGO_BIN_EXE_aludel");
    let dir = tempfile::tempdir().expect("temp dir");
    let versions = dir.path().join("migrations/versions");
    std::fs::create_dir_all(&versions).unwrap();
    std::fs::write(dir.path().join("aludel.toml"), "script_location = \"migrations\"\n").unwrap();

    let mut ddl = String::from("CREATE TABLE bench_chain (id INTEGER NOT NULL, PRIMARY KEY (id));\n");
    let mut parent: Option<String> = None;
    for i in 0..revisions {
        let id = format!("{i:012x}");
        let mut text = format!("revision = \"{id}\"\n");
        if let Some(parent) = &parent {
            writeln!(text, "down_revision = \"{parent}\"").unwrap();
        }
        writeln!(text, "message = \"step {i}\"\n").unwrap();
        if i == 0 {
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
    for name in names {
        psql(&admin, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        psql(&admin, &format!("CREATE DATABASE {name}"));
    }
    let psql_url = database_url(&admin, names[0]);
    let url = database_url(&admin, names[1]);
    let env = [("DATABASE_URL", url.as_str())];

    let floor =
        measure("psql", &["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &psql_url, "-f", "chain.sql"], dir.path(), &[]);
    let upgrade = measure(aludel, &["upgrade", "head"], dir.path(), &env);
    let current = median((0..REPEAT).map(|_| measure(aludel, &["current"], dir.path(), &env)).collect());
    let history = median((0..REPEAT).map(|_| measure(aludel, &["history"], dir.path(), &env)).collect());

    for name in names {
        psql(&admin, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }

    let ratio = upgrade.wall.as_secs_f64() / floor.wall.as_secs_f64();
    println!("chain of {revisions} revisions on PostgreSQL (process start to exit)\n");
    println!("| run | time | peak memory |");
    println!("| --- | ---: | ---: |");
    let row = |name: &str, m: &Measure| {
        println!("| {name} | {:.1} ms | {:.1} MiB |", m.wall.as_secs_f64() * 1000.0, m.peak_kib as f64 / 1024.0)
    };
    row("psql -f (same DDL)", &floor);
    row("aludel upgrade head", &upgrade);
    row(&format!("aludel current (median of {REPEAT})"), &current);
    row(&format!("aludel history (median of {REPEAT})"), &history);
    println!("\nupgrade / psql = {ratio:.2}x (target: at most 1.5x)");
}
