//! The built `blog` binary, on SQLite and PostgreSQL: four replicas starting at once on an
//! empty database (the schema is migrated exactly once and all become ready), graceful
//! shutdown on SIGTERM, `blog db` (upgrade, check as text and JSON, colored errors, downgrade)
//! with the service's models, the refusal to start in production without a strong signing
//! secret, memory staying bounded under a thousand concurrent logins, and connections that are
//! slow, idle or too many.

mod common;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{Backend, SECRET};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

on_every_backend!(
    four_replicas_migrate_once_and_become_ready,
    blog_db_upgrades_checks_and_downgrades,
    production_refuses_a_missing_or_weak_secret,
);

const BLOG: &str = env!("CARGO_BIN_EXE_blog");

/// The variables the binary reads, so the caller's environment does not leak in.
const SETTINGS: &[&str] = &[
    "ENVIRONMENT",
    "HOST",
    "PORT",
    "DATABASE_URL",
    "JWT_SECRET",
    "STORAGE_BACKEND",
    "STORAGE_PATH",
    "LOG_LEVEL",
    "RUST_LOG",
    "LOG_FORMAT",
    "MIGRATE_ON_START",
    "ALUDEL_CONFIG",
    "LOGIN_RATE_LIMIT",
    "CLIENT_RATE_LIMIT",
    "LOGIN_RATE_WINDOW_SECS",
    "PASSWORD_HASH_CONCURRENCY",
    "TRUSTED_PROXIES",
    "DATABASE_POOL_SIZE",
    "DATABASE_POOL_TIMEOUT_SECS",
    "HEADER_READ_TIMEOUT_SECS",
    "KEEP_ALIVE_TIMEOUT_SECS",
    "MAX_CONNECTIONS",
    "MAX_CONNECTIONS_PER_CLIENT",
    "UPLOADS_PER_USER",
    "SEND_TIMEOUT_SECS",
    "SHUTDOWN_TIMEOUT_SECS",
    "RESPONSE_MEMORY_MIB",
    "NO_COLOR",
];

fn blog(dir: &Path, vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BLOG);
    command.current_dir(dir).stdin(Stdio::null());
    for name in SETTINGS {
        command.env_remove(name);
    }
    command.envs(vars.iter().copied());
    command
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// `GET path` on 127.0.0.1:`port`; the status, or `None` when nothing answers.
async fn status(port: u16, path: &str) -> Option<u16> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    response.get(9..12)?.parse().ok()
}

/// The service on `port` with database `url`, a test signing secret, its files under
/// `dir/uploads` and the `extra` settings; what it writes is piped.
fn serve(dir: &Path, url: &str, port: u16, extra: &[(&str, &str)]) -> Child {
    let storage = dir.join("uploads").display().to_string();
    let port = port.to_string();
    let mut vars = vec![
        ("ENVIRONMENT", "test"),
        ("JWT_SECRET", SECRET),
        ("DATABASE_URL", url),
        ("PORT", &port),
        ("STORAGE_PATH", &storage),
    ];
    vars.extend_from_slice(extra);
    blog(dir, &vars).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the blog binary starts")
}

/// Waits up to 60 s for the service on `port` to answer `/ready` with 200.
async fn wait_ready(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while status(port, "/ready").await != Some(200) {
        assert!(Instant::now() < deadline, "the service did not become ready within 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Stops the service gracefully (SIGTERM) and returns what it wrote.
fn stop(child: Child) -> Output {
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill runs");
    child.wait_with_output().expect("the service exits")
}

/// Kills the replicas a failing test leaves running.
struct Replicas(Vec<Child>);

impl Drop for Replicas {
    fn drop(&mut self) {
        for child in &mut self.0 {
            child.kill().ok();
            child.wait().ok();
        }
    }
}

async fn four_replicas_migrate_once_and_become_ready(backend: Backend) {
    let db = common::database(backend).await;
    let dir = tempfile::tempdir().expect("a folder");
    let storage = dir.path().join("uploads").display().to_string();
    // Held together, so the four ports differ.
    let listeners: Vec<TcpListener> = (0..4).map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port")).collect();
    let ports: Vec<u16> = listeners.iter().map(|l| l.local_addr().expect("an address").port()).collect();
    drop(listeners);
    let mut replicas = Replicas(Vec::new());
    for port in &ports {
        let port = port.to_string();
        let child = blog(
            dir.path(),
            &[
                ("ENVIRONMENT", "test"),
                ("JWT_SECRET", SECRET),
                ("DATABASE_URL", &db.url),
                ("PORT", &port),
                ("STORAGE_PATH", &storage),
                ("LOG_LEVEL", "warn"),
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the blog binary starts");
        replicas.0.push(child);
    }

    let deadline = Instant::now() + Duration::from_secs(60);
    for port in &ports {
        while status(*port, "/ready").await != Some(200) {
            for child in &mut replicas.0 {
                if let Ok(Some(exit)) = child.try_wait() {
                    let mut stderr = String::new();
                    if let Some(mut pipe) = child.stderr.take() {
                        std::io::Read::read_to_string(&mut pipe, &mut stderr).ok();
                    }
                    panic!("a replica exited ({exit}): {stderr}");
                }
            }
            assert!(Instant::now() < deadline, "replica on port {port} not ready within 60 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // Each revision was applied exactly once.
    let config = aludel::config::Config::for_url(&db.url).expect("a valid URL");
    let graph = blog::db::migrations().expect("valid revisions");
    let history = aludel::runtime::Migrator::with_graph(config, graph.clone())
        .recorded_history()
        .await
        .expect("the history table");
    let mut applied: BTreeMap<String, usize> = BTreeMap::new();
    for row in &history {
        assert_eq!(row.kind, Some(aludel::dialect::common::StepKind::Upgrade), "{row:?}");
        *applied.entry(row.revision.clone()).or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = graph.revisions().iter().map(|r| (r.id.to_string(), 1)).collect();
    assert_eq!(applied, expected);

    // SIGTERM: each replica finishes and exits cleanly.
    for child in &mut replicas.0 {
        let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill runs");
        assert!(killed.success());
    }
    for child in &mut replicas.0 {
        let deadline = Instant::now() + Duration::from_secs(20);
        let exit = loop {
            if let Some(exit) = child.try_wait().expect("wait") {
                break exit;
            }
            assert!(Instant::now() < deadline, "a replica ignored SIGTERM");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            std::io::Read::read_to_string(&mut pipe, &mut stderr).ok();
        }
        assert!(exit.success(), "{exit}: {stderr}");
    }
}

fn run(dir: &Path, url: &str, args: &[&str]) -> Output {
    let mut command = blog(dir, &[("DATABASE_URL", url)]);
    command.arg("db").args(args).output().expect("the blog binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn blog_db_upgrades_checks_and_downgrades(backend: Backend) {
    let db = common::database(backend).await;
    let dir = tempfile::tempdir().expect("a folder");
    let head = blog::db::migrations().expect("valid").heads()[0].to_string();

    // Before upgrading, `check` reports the pending revision (exit 1).
    let pending = run(dir.path(), &db.url, &["check"]);
    assert_eq!(pending.status.code(), Some(1), "{}", stdout(&pending));
    // Its advice names the command as the user runs it here.
    assert!(stdout(&pending).contains("Run `blog db upgrade heads`"), "{}", stdout(&pending));
    let revision = run(dir.path(), &db.url, &["revision", "--autogenerate", "-m", "x"]);
    let stderr = String::from_utf8_lossy(&revision.stderr);
    assert!(stderr.contains("`blog db upgrade heads`") && !stderr.contains("`aludel "), "{stderr}");

    let upgrade = run(dir.path(), &db.url, &["upgrade", "head"]);
    assert!(upgrade.status.success(), "{}{}", stdout(&upgrade), String::from_utf8_lossy(&upgrade.stderr));
    let check = run(dir.path(), &db.url, &["check"]);
    assert!(check.status.success(), "{}{}", stdout(&check), String::from_utf8_lossy(&check.stderr));
    assert_eq!(
        stdout(&check),
        format!(
            "OK: the database is at head ({head})\nOK: the models match the database; no new upgrade operations detected\n"
        )
    );

    // `--format json` and color reach the embedded command line too.
    let json = run(dir.path(), &db.url, &["check", "--format", "json"]);
    assert!(json.status.success(), "{}{}", stdout(&json), String::from_utf8_lossy(&json.stderr));
    let document: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("a JSON document");
    assert_eq!((document["version"].as_u64(), document["drift"].as_bool()), (Some(1), Some(false)));
    assert_eq!(document["current"], serde_json::json!([head]));
    assert_eq!(document["models"]["status"], "compared");
    let colored = blog(dir.path(), &[("DATABASE_URL", &db.url), ("CLICOLOR_FORCE", "1")])
        .env_remove("NO_COLOR")
        .args(["db", "show", "nosuchrev"])
        .output()
        .expect("runs");
    assert_eq!(colored.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&colored.stderr);
    assert!(stderr.starts_with("\x1b[1;31merror:\x1b[0m "), "{stderr:?}");

    let down = run(dir.path(), &db.url, &["downgrade", "base"]);
    assert!(down.status.success(), "{}{}", stdout(&down), String::from_utf8_lossy(&down.stderr));
    let current = run(dir.path(), &db.url, &["current"]);
    assert_eq!(stdout(&current), "");
    assert!(run(dir.path(), &db.url, &["upgrade", "head"]).status.success());
    assert_eq!(stdout(&run(dir.path(), &db.url, &["current"])).trim(), format!("{head} (head)"));

    let usage = blog(dir.path(), &[]).arg("frobnicate").output().expect("runs");
    assert_eq!(usage.status.code(), Some(2));
}

async fn production_refuses_a_missing_or_weak_secret(backend: Backend) {
    let db = common::database(backend).await;
    let dir = tempfile::tempdir().expect("a folder");
    for (secret, message) in [
        (None, "error: JWT_SECRET is not set: production needs a signing secret of at least 32 bytes"),
        (Some("changeme"), "error: JWT_SECRET is too weak"),
    ] {
        let port = free_port().to_string();
        let mut vars = vec![("ENVIRONMENT", "production"), ("DATABASE_URL", db.url.as_str()), ("PORT", port.as_str())];
        if let Some(secret) = secret {
            vars.push(("JWT_SECRET", secret));
        }
        let output = blog(dir.path(), &vars).output().expect("runs");
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with(message), "{stderr}");
        // The weak secret itself is never printed.
        assert!(!stderr.contains("changeme"), "{stderr}");
    }
}

/// A login over a connection of its own; the status and whether `Retry-After` was sent.
async fn login_raw(port: u16, username: &str) -> Option<(u16, bool)> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let body = format!("username={username}&password=guess+number+1");
    let request = format!(
        "POST /auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    let status = response.get(9..12)?.parse().ok()?;
    Some((status, response.to_ascii_lowercase().contains("\r\nretry-after:")))
}

/// Peak resident memory of a process, in MiB.
fn peak_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the process's status");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in the status");
    kib / 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_logins_keep_memory_bounded() {
    let db = common::database(Backend::Sqlite).await;
    let dir = tempfile::tempdir().expect("a folder");
    let port = free_port();
    let storage = dir.path().join("uploads").display().to_string();
    let child = blog(
        dir.path(),
        &[
            ("ENVIRONMENT", "test"),
            ("JWT_SECRET", SECRET),
            ("DATABASE_URL", &db.url),
            ("PORT", &port.to_string()),
            ("STORAGE_PATH", &storage),
            ("LOG_LEVEL", "error"),
            ("PASSWORD_HASH_CONCURRENCY", "2"),
            // The per-client limit would turn most of these away before they hash: lift it,
            // so what bounds memory here is the hashing itself.
            ("CLIENT_RATE_LIMIT", "100000"),
            ("MAX_CONNECTIONS_PER_CLIENT", "100000"),
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("the blog binary starts");
    let replicas = Replicas(vec![child]);
    let pid = replicas.0[0].id();
    let deadline = Instant::now() + Duration::from_secs(60);
    while status(port, "/ready").await != Some(200) {
        assert!(Instant::now() < deadline, "the service did not become ready within 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let idle = peak_mib(pid);

    // Each login names a user nobody registered, so none is refused by a per-account limit
    // and each would cost an argon2id hash of 19 MiB.
    let logins: Vec<_> = (0..1000)
        .map(|n| tokio::spawn(async move { login_raw(port, &format!("nobody-{n}%40example.com")).await }))
        .collect();
    let (mut refused, mut busy) = (0, 0);
    for login in logins {
        match login.await.expect("a task") {
            Some((401, _)) => refused += 1,
            Some((503, true)) => busy += 1,
            other => panic!("every login is answered 401, or 503 with Retry-After: {other:?}"),
        }
    }
    let peak = peak_mib(pid);
    // Two hashes at a time (19 MiB each) over what the idle service holds, with room for the
    // allocator and a thousand connections; unbounded, this burst asks for gigabytes.
    assert!(peak <= idle + 160, "peak {peak} MiB, idle {idle} MiB ({refused} refused, {busy} busy)");
    assert!(refused >= 2 && busy > 0, "{refused} refused, {busy} busy");
    drop(replicas);
}

/// A generated password holds characters that mean something in a URL. The service's start-up
/// log names the database it migrates and serves, and `blog db` names it too: none of them
/// shows the password, escaped or not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_password_never_reaches_a_log() {
    let db = common::database(Backend::Postgres).await;
    let dir = tempfile::tempdir().expect("a folder");
    let secret = "Hunter2Zx";
    // PostgreSQL here trusts local connections, so any password connects.
    let escaped = format!("{secret}%2F%3F%23%40%3A%25{secret}");
    let url = db.url.replacen("postgres@", &format!("postgres:{escaped}@"), 1);
    assert_ne!(url, db.url, "the URL carries a user to add a password to: {}", db.url);
    let port = free_port();
    let child = serve(dir.path(), &url, port, &[("LOG_LEVEL", "info")]);
    let mut replicas = Replicas(vec![child]);
    wait_ready(port).await;
    let output = stop(replicas.0.pop().expect("the service"));
    let log = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(log.contains("postgres:***@"), "the log names the database: {log}");
    assert!(!log.contains(secret), "the password leaked into the log: {log}");

    let unescaped = db.url.replacen("postgres@", &format!("postgres:{secret}/?#@:%{secret}@"), 1);
    let unreachable = format!("postgresql://postgres:{escaped}@127.0.0.1:1/blog");
    for (url, args, named) in [
        (&url, &["current", "--verbose"][..], true),
        (&url, &["upgrade", "head"], true),
        (&unreachable, &["current"], true),
        (&unescaped, &["current"], false),
    ] {
        let output = run(dir.path(), url, args);
        let all = format!("{}{}", stdout(&output), String::from_utf8_lossy(&output.stderr));
        assert!(!all.contains(secret), "{args:?}: the password leaked: {all}");
        assert!(!named || all.contains("postgres:***@"), "{args:?}: the database is named: {all}");
    }
}

/// `LOG_FORMAT=json`: every line the service writes is one JSON object, and a request's access
/// log line carries the client's request id, the method, the path and the status, also when
/// the path holds what would end a line or start a terminal escape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().expect("a folder");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("blog.db").display());
    let port = free_port();
    let child = serve(dir.path(), &url, port, &[("LOG_FORMAT", "json"), ("LOG_LEVEL", "info")]);
    let mut replicas = Replicas(vec![child]);
    wait_ready(port).await;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("connects");
    let request = "GET /posts/%22%0A%1B[31m HTTP/1.1\r\nHost: 127.0.0.1\r\nx-request-id: e2e-json-1\r\n\
                   Connection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).await.expect("sends");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("reads");
    assert!(response.starts_with("HTTP/1.1 422"), "{response}");

    let output = stop(replicas.0.pop().expect("the service"));
    let log = String::from_utf8(output.stdout).expect("UTF-8");
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not one JSON object ({e}): {line}")))
        .collect();
    assert!(lines.iter().all(|line| line["timestamp"].is_string() && line["level"].is_string()), "{log}");
    let access = lines
        .iter()
        .find(|line| line["request_id"] == "e2e-json-1" && line["message"] == "request finished")
        .unwrap_or_else(|| panic!("no access log line for the request: {log}"));
    assert_eq!(access["method"], "GET", "{access}");
    assert_eq!(access["path"], "/posts/%22%0A%1B[31m", "{access}");
    assert_eq!(access["status"], 422, "{access}");
    assert!(access["latency_ms"].is_f64(), "{access}");
}

/// What the server sent on `stream` until it closed the connection, or `None` when it is still
/// open after `limit`.
async fn closed_within(stream: &mut tokio::net::TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut received = Vec::new();
    match tokio::time::timeout(limit, stream.read_to_end(&mut received)).await {
        Ok(_) => Some(received),
        Err(_) => None,
    }
}

async fn connect(port: u16) -> tokio::net::TcpStream {
    tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("connects")
}

/// Slowloris: connections that send nothing, or headers that never end, were held for as long
/// as the client liked, and a few hundred of them stopped the service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_connections_are_closed() {
    let dir = tempfile::tempdir().expect("a folder");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("blog.db").display());
    let port = free_port();
    let timeouts = [("HEADER_READ_TIMEOUT_SECS", "1"), ("KEEP_ALIVE_TIMEOUT_SECS", "1")];
    let _replicas = Replicas(vec![serve(dir.path(), &url, port, &timeouts)]);
    wait_ready(port).await;

    let mut silent = connect(port).await;
    let mut partial = connect(port).await;
    partial.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n").await.expect("sends");
    let mut idle = connect(port).await;
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await.expect("sends");

    let limit = Duration::from_secs(5);
    let nothing = closed_within(&mut silent, limit).await.expect("a connection that sends nothing is closed");
    assert!(nothing.is_empty(), "{}", String::from_utf8_lossy(&nothing));
    closed_within(&mut partial, limit).await.expect("a connection whose headers never end is closed");
    // A keep-alive connection is answered, then closed once idle.
    let answered = closed_within(&mut idle, limit).await.expect("an idle keep-alive connection is closed");
    let answered = String::from_utf8_lossy(&answered);
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
    assert_eq!(status(port, "/health").await, Some(200));
}

/// One request on a connection of its own: the status and the body.
async fn exchange(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let mut stream = connect(port).await;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).await.expect("sends");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("reads");
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default();
    (status, body)
}

/// A client that asks for a large response and never reads it held its connection and the
/// response's share of `RESPONSE_MEMORY_MIB` for as long as it liked, so that a few of them
/// refused every large response to everyone. Past `SEND_TIMEOUT_SECS` without taking a byte,
/// its connection is closed and the memory given back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_dropped_with_its_response() {
    let dir = tempfile::tempdir().expect("a folder");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("blog.db").display());
    let port = free_port();
    let limits = [("SEND_TIMEOUT_SECS", "1"), ("RESPONSE_MEMORY_MIB", "8"), ("KEEP_ALIVE_TIMEOUT_SECS", "60")];
    let _replicas = Replicas(vec![serve(dir.path(), &url, port, &limits)]);
    wait_ready(port).await;
    let page = seed_a_large_page(port).await;
    let mut stalled = ask_with_a_small_buffer(port, page).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, _) = exchange(port, "GET", page, &[], "").await;
    assert_eq!(status, 503, "the stalled response holds the budget");

    // It reads nothing for longer than the send timeout: the server closes the connection.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = closed_within(&mut stalled, Duration::from_secs(5)).await.expect("the stalled connection is closed");
    assert!(received.len() < 6_000_000, "the response was not sent whole: {} bytes", received.len());
    assert_eq!(exchange(port, "GET", page, &[], "").await.0, 200, "its memory is free again");
}

/// Posts 30 posts of 200 KB as a new user and returns the path of their 6 MB page, more than
/// the socket buffers take.
async fn seed_a_large_page(port: u16) -> &'static str {
    let json = [("Content-Type", "application/json")];
    let account = r#"{"email": "ada@example.com", "password": "correct horse 9"}"#;
    assert_eq!(exchange(port, "POST", "/auth/register", &json, account).await.0, 201);
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let (_, token) =
        exchange(port, "POST", "/auth/token", &form, "username=ada%40example.com&password=correct+horse+9").await;
    let token: serde_json::Value = serde_json::from_str(&token).expect("a token");
    let bearer = format!("Bearer {}", token["access_token"].as_str().expect("an access token"));
    let post = serde_json::json!({"title": "long", "body": "é".repeat(100_000)}).to_string();
    for _ in 0..30 {
        let headers = [("Content-Type", "application/json"), ("Authorization", bearer.as_str())];
        assert_eq!(exchange(port, "POST", "/posts", &headers, &post).await.0, 201);
    }
    "/posts?size=30"
}

/// Sends `GET path` on a connection whose receive buffer is small, and reads nothing.
async fn ask_with_a_small_buffer(port: u16, path: &str) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket.set_recv_buffer_size(4096).expect("a small buffer");
    let mut stream = socket.connect(([127, 0, 0, 1], port).into()).await.expect("connects");
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("sends");
    stream
}

/// A client reading a large response slowly, but often enough for `SEND_TIMEOUT_SECS`, held a
/// stopping service for as long as it kept reading (this one would take a minute). Past
/// `SHUTDOWN_TIMEOUT_SECS` the service stops anyway, and says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_does_not_hold_a_stopping_service() {
    let dir = tempfile::tempdir().expect("a folder");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("blog.db").display());
    let port = free_port();
    let limits = [("SEND_TIMEOUT_SECS", "30"), ("SHUTDOWN_TIMEOUT_SECS", "1"), ("KEEP_ALIVE_TIMEOUT_SECS", "60")];
    let mut replicas = Replicas(vec![serve(dir.path(), &url, port, &limits)]);
    wait_ready(port).await;
    let page = seed_a_large_page(port).await;
    let mut slow = ask_with_a_small_buffer(port, page).await;
    let reader = tokio::spawn(async move {
        let mut chunk = [0; 10_240];
        // 100 KB a second: a minute for the page.
        while let Ok(1..) = slow.read(&mut chunk).await {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;

    let child = replicas.0.pop().expect("the service");
    let asked = Instant::now();
    let output = tokio::task::spawn_blocking(move || stop(child)).await.expect("stops");
    let took = asked.elapsed();
    let log = String::from_utf8_lossy(&output.stdout);
    assert!(took < Duration::from_secs(10), "the service took {took:?} to stop:\n{log}");
    assert!(log.contains("did not finish within SHUTDOWN_TIMEOUT_SECS"), "{log}");
    // What the kernel still holds of the response would take minutes more at this pace.
    reader.abort();
}

/// Past `MAX_CONNECTIONS`, a connection waits to be accepted until another closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_wait_for_a_free_slot() {
    let dir = tempfile::tempdir().expect("a folder");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("blog.db").display());
    let port = free_port();
    let limits = [("MAX_CONNECTIONS", "2"), ("HEADER_READ_TIMEOUT_SECS", "60"), ("KEEP_ALIVE_TIMEOUT_SECS", "60")];
    let _replicas = Replicas(vec![serve(dir.path(), &url, port, &limits)]);
    wait_ready(port).await;

    let first = connect(port).await;
    let _second = connect(port).await;
    let mut third = connect(port).await;
    third.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").await.expect("sends");
    assert!(closed_within(&mut third, Duration::from_secs(1)).await.is_none(), "served past the cap");
    drop(first);
    let answered = closed_within(&mut third, Duration::from_secs(5)).await.expect("served once a slot is free");
    let answered = String::from_utf8_lossy(&answered);
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
}

/// One client could open every one of the `MAX_CONNECTIONS` and send nothing, and no one else
/// was served until the header timeout. Past `MAX_CONNECTIONS_PER_CLIENT` a client is answered
/// 503 and closed at once; a trusted proxy, which carries many clients, is not counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_cannot_take_every_connection() {
    let dir = tempfile::tempdir().expect("a folder");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("blog.db").display());
    let idle = [("HEADER_READ_TIMEOUT_SECS", "60"), ("KEEP_ALIVE_TIMEOUT_SECS", "60")];
    let capped = [idle.as_slice(), &[("MAX_CONNECTIONS_PER_CLIENT", "2")]].concat();
    let proxied = [capped.as_slice(), &[("TRUSTED_PROXIES", "127.0.0.1")]].concat();
    let (port, proxy_port) = (free_port(), free_port());
    let _replicas =
        Replicas(vec![serve(dir.path(), &url, port, &capped), serve(dir.path(), &url, proxy_port, &proxied)]);
    wait_ready(port).await;
    wait_ready(proxy_port).await;
    let health = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

    let first = connect(port).await;
    let _second = connect(port).await;
    let mut third = connect(port).await;
    let refused = closed_within(&mut third, Duration::from_secs(5)).await.expect("refused at once");
    let refused = String::from_utf8_lossy(&refused);
    assert!(refused.starts_with("HTTP/1.1 503 Service Unavailable\r\n"), "{refused}");
    assert!(refused.contains("\r\nRetry-After: 1\r\n"), "{refused}");
    let body = refused.split_once("\r\n\r\n").map(|(_, body)| body).unwrap_or_default();
    let body: serde_json::Value = serde_json::from_str(body).expect("the whole JSON body, as long as it says");
    assert_eq!(body, serde_json::json!({"detail": "Too many connections from this client"}));
    // A closed connection gives its turn back.
    drop(first);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut fourth = connect(port).await;
    fourth.write_all(health).await.expect("sends");
    let answered = closed_within(&mut fourth, Duration::from_secs(5)).await.expect("served");
    assert!(String::from_utf8_lossy(&answered).starts_with("HTTP/1.1 200"));

    // Behind a trusted proxy, every client's connection comes from its address.
    let _held: Vec<_> = futures_util::future::join_all((0..3).map(|_| connect(proxy_port))).await;
    let mut through = connect(proxy_port).await;
    through.write_all(health).await.expect("sends");
    let answered = closed_within(&mut through, Duration::from_secs(5)).await.expect("served");
    assert!(String::from_utf8_lossy(&answered).starts_with("HTTP/1.1 200"));
}

/// The address in the start-up line (`listening on http://127.0.0.1:41234 (API docs ...)`),
/// read from the service's output as it is written, within 60 s; with every line read.
fn logged_address(child: &mut Child) -> (std::net::SocketAddr, Vec<String>) {
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("stdout is piped");
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = received.recv_timeout(left).unwrap_or_else(|e| panic!("no start-up line ({e}): {seen:#?}"));
        let address = line.split_once("listening on http://").and_then(|(_, rest)| rest.split_whitespace().next());
        seen.push(line.clone());
        if let Some(address) = address {
            let address = address.parse().unwrap_or_else(|e| panic!("not an address ({e}): {line}"));
            return (address, seen);
        }
    }
}

/// `PORT=0` lets the system pick a free port; the start-up log names the one it picked (it
/// said `:0`), so whoever started the service can reach it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_zero_logs_the_port_it_listens_on() {
    let dir = tempfile::tempdir().expect("a folder");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("blog.db").display());
    let mut replicas = Replicas(vec![serve(dir.path(), &url, 0, &[("LOG_LEVEL", "info")])]);
    let (address, lines) = logged_address(&mut replicas.0[0]);
    assert_ne!(address.port(), 0, "{lines:#?}");
    assert_eq!(status(address.port(), "/health").await, Some(200), "{lines:#?}");
}

/// The human log format colors its lines only on a terminal: written to a pipe (or a file, a
/// log collector), it has no escape codes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn human_logs_in_a_pipe_are_not_colored() {
    let dir = tempfile::tempdir().expect("a folder");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("blog.db").display());
    let port = free_port();
    let child = serve(dir.path(), &url, port, &[("LOG_FORMAT", "human"), ("LOG_LEVEL", "info")]);
    let mut replicas = Replicas(vec![child]);
    wait_ready(port).await;
    assert_eq!(status(port, "/health").await, Some(200));
    let output = stop(replicas.0.pop().expect("the service"));
    let log = String::from_utf8_lossy(&output.stdout);
    assert!(log.contains("listening on http://") && log.contains("request finished"), "{log}");
    assert!(!output.stdout.contains(&0x1b) && !output.stderr.contains(&0x1b), "escape codes in a pipe: {log:?}");
}
