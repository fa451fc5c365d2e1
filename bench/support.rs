//! What the benchmarks share: timing a whole process with its peak memory, medians, and
//! PostgreSQL databases made and dropped with `psql`.

#![allow(dead_code)] // Each benchmark uses a different part of this module.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The server the benchmarks use, unless `ALUDEL_BENCH_POSTGRES_URL` names another. Without
/// TLS on both sides of every comparison: on loopback, a cipher would measure itself rather
/// than the tool or the statements (name a URL with `sslmode=require` to include it).
pub(crate) const DEFAULT_URL: &str = "postgresql://postgres@127.0.0.1:5432/postgres?sslmode=disable";

/// One process run: wall time from start to exit and peak resident memory.
pub(crate) struct Measure {
    pub(crate) wall: Duration,
    pub(crate) peak_kib: u64,
}

impl Measure {
    pub(crate) fn millis(&self) -> f64 {
        self.wall.as_secs_f64() * 1000.0
    }

    pub(crate) fn mib(&self) -> f64 {
        self.peak_kib as f64 / 1024.0
    }
}

/// The admin URL of the benchmark server.
pub(crate) fn admin_url() -> String {
    std::env::var("ALUDEL_BENCH_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// The `aludel` binary measured: `built` (this build's), or another build's named by
/// `ALUDEL_BENCH_BIN` (to compare two versions with the same benchmark and floor).
pub(crate) fn aludel_binary(built: &str) -> String {
    std::env::var("ALUDEL_BENCH_BIN").unwrap_or_else(|_| built.to_owned())
}

/// Runs `program args` under `/usr/bin/time`, requiring exit code `code`; returns wall time
/// and peak RSS.
pub(crate) fn measure(program: &str, args: &[&str], cwd: &Path, env: &[(&str, &str)], code: i32) -> Measure {
    let stats = cwd.join("time.out");
    let mut command = Command::new("/usr/bin/time");
    command.arg("-f").arg("%M").arg("-o").arg(&stats).arg(program).args(args).current_dir(cwd);
    for (key, value) in env {
        command.env(key, value);
    }
    let started = Instant::now();
    let output = command.output().expect("/usr/bin/time is installed (Debian package `time`)");
    let wall = started.elapsed();
    assert_eq!(
        output.status.code(),
        Some(code),
        "{program} {args:?} exited otherwise:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let peak_kib = std::fs::read_to_string(&stats)
        .ok()
        .and_then(|text| text.lines().last().and_then(|l| l.trim().parse().ok()))
        .unwrap_or(0);
    Measure { wall, peak_kib }
}

/// The run with the median wall time of `runs`.
pub(crate) fn median(mut runs: Vec<Measure>) -> Measure {
    runs.sort_by_key(|m| m.wall);
    runs.swap_remove(runs.len() / 2)
}

/// Runs one SQL command with `psql` on `url`; returns its output, unaligned and tuples only.
pub(crate) fn psql(url: &str, sql: &str) -> String {
    let output = Command::new("psql")
        .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        .output()
        .expect("psql is installed");
    assert!(output.status.success(), "psql -c {sql}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// The URL of database `name` on the server of `admin`, with `admin`'s parameters.
pub(crate) fn database_url(admin: &str, name: &str) -> String {
    let (path, query) = admin.split_once('?').map_or((admin, None), |(path, query)| (path, Some(query)));
    let (server, _) = path.rsplit_once('/').expect("URL ends in /<database>");
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

/// Drops and creates database `name`; returns its URL.
pub(crate) fn fresh_database(admin: &str, name: &str) -> String {
    drop_database(admin, name);
    psql(admin, &format!("CREATE DATABASE {name}"));
    database_url(admin, name)
}

pub(crate) fn drop_database(admin: &str, name: &str) {
    psql(admin, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}
