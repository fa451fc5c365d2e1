//! Load benchmark of the blog service, measured against the database's own floor.
//!
//! The release binary runs on loopback with its production settings (pool of 10 connections,
//! JSON access log to `/dev/null`) and is driven by 64 concurrent keep-alive HTTP/1.1
//! connections for three requests: a page of 20 posts, one post, and creating a post. Right
//! after each, `pgbench -M prepared` runs the very statements that request sends, with as many
//! clients as the blog has pooled connections: that is the floor, what the database itself can
//! do with those statements on this machine. Each row prints requests per second, the floor's
//! transactions per second and their ratio, the ceiling, p50 and p99 latency, and errors (a
//! transport failure or a status other than 200/201).
//!
//! The ceiling: client, service and database share the machine's cores, so a request costs at
//! least what `/health` costs (the HTTP stack and the client) plus what the floor's transaction
//! costs (the database and pgbench). Serving nothing but those, the blog would reach
//! `1 / (1 / health + 1 / floor)` requests per second; the row gives that, its share of the
//! floor, and the blog's share of it: what is left to gain in the service's own code. A route
//! whose statements are cheap (one post by its key) has a ceiling well below its floor.
//!
//! The floor's statements are checked against the ones the blog sent during the measurement
//! (sampled from `pg_stat_activity`), so a change to a route's queries cannot leave the floor
//! measuring something else: the run stops and prints both.
//!
//! `cargo bench -p blog --bench blog_load`. Settings (environment):
//! - `BLOG_BENCH_POSTGRES_URL`: the server's admin URL (default
//!   `postgresql://postgres@127.0.0.1:5432/postgres`); the database `blog_bench` is created and dropped.
//! - `BLOG_BENCH_SECS`: seconds measured per request kind (default 10), after 2 s of warm-up;
//!   the floor runs as long. Both are split into `BLOG_BENCH_ROUNDS` (default 5) turns, the
//!   blog's and the floor's alternating, so that other work on the machine weighs on both.
//! - `BLOG_BENCH_CONNECTIONS`: concurrent HTTP connections (default 64).
//! - `BLOG_BENCH_POSTS`: posts in the table (default 10,000).
//! - `BLOG_BENCH_POOL`: the blog's `DATABASE_POOL_SIZE` and the floor's clients (default 10).
//! - `BLOG_BENCH_KINDS`: the requests measured, comma-separated among `health`, `list`, `get`
//!   and `create` (default all), e.g. `get` alone while a profiler watches.
//! - `BLOG_BENCH_SQLITE`: `1` to also measure the blog on SQLite (no floor there).
//! - `BLOG_BENCH_BIN`: another `blog` binary to measure instead of the one built with the
//!   benchmark (an older build, to compare before and after a change).

mod support;

use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{Method, Request, header};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

/// The binary measured: `BLOG_BENCH_BIN`, or the one cargo built with the benchmark.
fn blog_binary() -> String {
    std::env::var("BLOG_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_blog").to_owned())
}
const SECRET: &str = "benchmark-signing-secret-0123456789abcdef";
const EMAIL: &str = "bench@example.com";
const PASSWORD: &str = "benchmark password 1";
/// The body of every post written, seeded or created (560 bytes).
const BODY_SENTENCE: &str = "Lorem ipsum dolor sit amet. ";
const BODY_REPEAT: usize = 20;
/// The columns the posts routes read, in the order the service's entities list them.
const POST_COLUMNS: &str =
    r#""posts"."id", "posts"."author_id", "posts"."title", "posts"."body", "posts"."created_at", "posts"."updated_at""#;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `/health`: the HTTP stack alone, no database (no floor).
    Health,
    List,
    Get,
    Create,
}

impl Kind {
    /// The name `BLOG_BENCH_KINDS` uses.
    fn key(self) -> &'static str {
        match self {
            Kind::Health => "health",
            Kind::List => "list",
            Kind::Get => "get",
            Kind::Create => "create",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Health => "health (`GET /health`, no database)",
            Kind::List => "list (`GET /posts?size=20`)",
            Kind::Get => "get (`GET /posts/{id}`)",
            Kind::Create => "create (`POST /posts`)",
        }
    }

    /// The statements the route may send per request, as pgbench scripts: what it sends now
    /// first, then what earlier builds sent (so that `BLOG_BENCH_BIN` can measure them against
    /// their own floor). `:id` is a random post, `:author` the benchmark user, `:body` and
    /// `:now` what the client sends.
    fn floor_scripts(self) -> Vec<String> {
        let post = format!(r#"SELECT {POST_COLUMNS} FROM "posts" WHERE "posts"."id" = :id LIMIT :one"#);
        let attachments = r#"SELECT "attachments"."id", "attachments"."post_id", "attachments"."filename", "attachments"."content_type", "attachments"."size", "attachments"."object_key", "attachments"."created_at" FROM "attachments" WHERE "attachments"."post_id" = :id ORDER BY "attachments"."id" ASC"#;
        let sets: Vec<Vec<String>> = match self {
            Kind::Health => Vec::new(),
            Kind::List => vec![
                // The page and its total in one statement.
                vec![format!(
                    r#"SELECT {POST_COLUMNS}, (SELECT COUNT(*) AS "total" FROM "posts") AS "total" FROM "posts" ORDER BY "posts"."created_at" DESC, "posts"."id" DESC LIMIT :size OFFSET :offset"#
                )],
                // Earlier: the count, then the page.
                vec![
                    format!(r#"SELECT COUNT(*) AS num_items FROM (SELECT {POST_COLUMNS} FROM "posts") AS "sub_query""#),
                    format!(r#"SELECT {POST_COLUMNS} FROM "posts" ORDER BY "posts"."created_at" DESC, "posts"."id" DESC LIMIT :size OFFSET :offset"#),
                ],
            ],
            Kind::Get => vec![
                // The post and its attachments in one statement.
                vec![r#"SELECT "posts"."id" AS "A_id", "posts"."author_id" AS "A_author_id", "posts"."title" AS "A_title", "posts"."body" AS "A_body", "posts"."created_at" AS "A_created_at", "posts"."updated_at" AS "A_updated_at", "attachments"."id" AS "B_id", "attachments"."post_id" AS "B_post_id", "attachments"."filename" AS "B_filename", "attachments"."content_type" AS "B_content_type", "attachments"."size" AS "B_size", "attachments"."object_key" AS "B_object_key", "attachments"."created_at" AS "B_created_at" FROM "posts" LEFT JOIN "attachments" ON "posts"."id" = "attachments"."post_id" WHERE "posts"."id" = :id ORDER BY "posts"."id" ASC, "attachments"."id" ASC"#.to_owned()],
                // Earlier: the post, then its attachments.
                vec![post, attachments.to_owned()],
            ],
            Kind::Create => {
                let insert = format!(
                    r#"INSERT INTO "posts" ("author_id", "title", "body", "created_at", "updated_at") VALUES (:author, :title, :body, :now, :now) RETURNING {}"#,
                    POST_COLUMNS.replace("\"posts\".", "")
                );
                vec![
                    // The insert alone: the foreign key vouches for the author.
                    vec![insert.clone()],
                    // Earlier: the token's user read first.
                    vec![
                        r#"SELECT "users"."id", "users"."email", "users"."password_hash", "users"."display_name", "users"."created_at" FROM "users" WHERE "users"."id" = :author LIMIT :one"#.to_owned(),
                        insert,
                    ],
                ]
            }
        };
        sets.into_iter()
            .map(|statements| {
                let mut script = String::new();
                if self == Kind::Get {
                    script.push_str("\\set id random(:first_id, :last_id)\n");
                }
                for statement in statements {
                    script.push_str(&statement);
                    script.push_str(";\n");
                }
                script
            })
            .collect()
    }

    /// The floor script whose statements are the ones the blog sent (as [`shape`] writes them).
    fn floor_script_for(self, sent: &BTreeSet<String>) -> String {
        let scripts = self.floor_scripts();
        scripts.iter().find(|script| &statements(script) == sent).cloned().unwrap_or_else(|| {
            panic!(
                "{}: the blog sent statements no floor script has; add them to `floor_scripts`:\n{sent:#?}\n\
                 known:\n{:#?}",
                self.name(),
                scripts.iter().map(|s| statements(s)).collect::<Vec<_>>()
            )
        })
    }
}

/// The statements of a pgbench script, as [`shape`] writes them.
fn statements(script: &str) -> BTreeSet<String> {
    script.lines().filter(|line| !line.starts_with('\\')).map(shape).collect()
}

/// A statement with its parameters and pgbench variables written alike, for comparing the
/// floor's statements with the ones the blog sent.
fn shape(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.trim().trim_end_matches(';').chars().peekable();
    while let Some(c) = chars.next() {
        let is_param = c == '$' && chars.peek().is_some_and(char::is_ascii_digit);
        let is_var = c == ':' && chars.peek().is_some_and(|n| n.is_ascii_lowercase());
        if is_param || is_var {
            while chars.peek().is_some_and(|n| n.is_ascii_alphanumeric() || *n == '_') {
                chars.next();
            }
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

struct Server {
    child: Child,
    address: SocketAddr,
}

impl Server {
    /// Peak resident memory of the process so far, in MiB.
    fn peak_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(f64::NAN);
        kib / 1024.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM for a graceful stop, then make sure.
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().ok();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn start(database_url: &str, dir: &Path, pool: usize) -> Server {
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    let child = Command::new(blog_binary())
        .current_dir(dir)
        .env("ENVIRONMENT", "production")
        .env("JWT_SECRET", SECRET)
        .env("DATABASE_URL", database_url)
        .env("DATABASE_POOL_SIZE", pool.to_string())
        .env("PORT", port.to_string())
        .env("STORAGE_PATH", dir.join("uploads"))
        .env("LOG_FORMAT", "json")
        // Every post is created by one account, thousands a second.
        .env("WRITES_PER_MINUTE", "10000000")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the blog binary starts");
    Server { child, address: SocketAddr::from(([127, 0, 0, 1], port)) }
}

struct Client {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl Client {
    async fn connect(address: SocketAddr) -> std::io::Result<Client> {
        let stream = tokio::net::TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(std::io::Error::other)?;
        tokio::spawn(connection);
        Ok(Client { sender })
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Bytes,
    ) -> Result<(u16, Bytes), String> {
        let mut request = Request::builder().method(method).uri(path).header(header::HOST, "127.0.0.1");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if !body.is_empty() {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let request = request.body(Full::new(body)).map_err(|e| e.to_string())?;
        self.sender.ready().await.map_err(|e| e.to_string())?;
        let response = self.sender.send_request(request).await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok((status, bytes))
    }

    async fn json(&mut self, path: &str) -> serde_json::Value {
        let (status, body) = self.send(Method::GET, path, None, "", Bytes::new()).await.expect("answers");
        assert_eq!(status, 200, "GET {path}: {}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).expect("JSON")
    }
}

async fn wait_ready(address: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(mut client) = Client::connect(address).await
            && let Ok((200, _)) = client.send(Method::GET, "/ready", None, "", Bytes::new()).await
        {
            return;
        }
        assert!(Instant::now() < deadline, "the service did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Registers the benchmark user and logs in; returns the access token and the user's id.
async fn log_in(address: SocketAddr) -> (String, i64) {
    let mut client = Client::connect(address).await.expect("connects");
    let register = serde_json::json!({"email": EMAIL, "password": PASSWORD});
    let (status, body) = client
        .send(Method::POST, "/auth/register", None, "application/json", register.to_string().into())
        .await
        .expect("registers");
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let user: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    let form = format!("username={}&password={}", EMAIL.replace('@', "%40"), PASSWORD.replace(' ', "+"));
    let (status, body) = client
        .send(Method::POST, "/auth/token", None, "application/x-www-form-urlencoded", form.into())
        .await
        .expect("logs in");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let tokens: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    (tokens["access_token"].as_str().expect("a token").to_owned(), user["id"].as_i64().expect("an id"))
}

/// Writes `count` posts by `author` straight into the table (a second apart, newest last) and
/// refreshes the planner's statistics; returns the first and last ids.
async fn seed(db: &DatabaseConnection, author: i64, count: usize) -> (i64, i64) {
    let backend = db.get_database_backend();
    let body = BODY_SENTENCE.repeat(BODY_REPEAT);
    let sql = match backend {
        DbBackend::Postgres => {
            "INSERT INTO posts (author_id, title, body, created_at, updated_at) \
             SELECT $1, 'Post ' || n, $2, now() - make_interval(secs => $3 - n), now() - make_interval(secs => $3 - n) \
             FROM generate_series(1, $3) AS n"
        }
        _ => {
            "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < $3) \
             INSERT INTO posts (author_id, title, body, created_at, updated_at) \
             SELECT $1, 'Post ' || n, $2, strftime('%Y-%m-%d %H:%M:%f+00:00', 'now', (n - $3) || ' seconds'), \
             strftime('%Y-%m-%d %H:%M:%f+00:00', 'now', (n - $3) || ' seconds') FROM seq"
        }
    };
    let count = i64::try_from(count).expect("a count");
    db.execute_raw(Statement::from_sql_and_values(backend, sql, [author.into(), body.into(), count.into()]))
        .await
        .expect("seeds the posts");
    let analyze = if backend == DbBackend::Postgres { "VACUUM ANALYZE posts" } else { "ANALYZE" };
    db.execute_unprepared(analyze).await.expect("analyzes");
    let row = db
        .query_one_raw(Statement::from_string(backend, "SELECT MIN(id) AS first, MAX(id) AS last FROM posts"))
        .await
        .expect("a query")
        .expect("a row");
    (row.try_get("", "first").expect("an id"), row.try_get("", "last").expect("an id"))
}

struct Measurement {
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies_us: Vec<u32>,
}

impl Measurement {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn add(&mut self, other: Measurement) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.elapsed += other.elapsed;
        self.latencies_us.extend(other.latencies_us);
    }
}

/// What every connection needs to make requests.
struct Load {
    address: SocketAddr,
    kind: Kind,
    token: String,
    ids: (i64, i64),
    post: Bytes,
    measure_from: Instant,
    end: Instant,
}

/// One connection's loop until the end; latencies are kept from `measure_from` on.
async fn worker(load: Arc<Load>, seed: u64) -> (usize, Vec<u32>) {
    let mut errors = 0;
    let mut latencies = Vec::new();
    let mut client = None;
    let mut n = seed;
    let span = u64::try_from(load.ids.1 - load.ids.0 + 1).expect("ids ascend");
    while Instant::now() < load.end {
        if client.is_none() {
            client = Client::connect(load.address).await.ok();
        }
        let Some(connection) = client.as_mut() else {
            errors += 1;
            continue;
        };
        n = n.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let started = Instant::now();
        let outcome = match load.kind {
            Kind::Health => connection.send(Method::GET, "/health", None, "", Bytes::new()).await,
            Kind::List => connection.send(Method::GET, "/posts?page=1&size=20", None, "", Bytes::new()).await,
            Kind::Get => {
                let id = load.ids.0 + i64::try_from((n >> 33) % span).expect("fits");
                connection.send(Method::GET, &format!("/posts/{id}"), None, "", Bytes::new()).await
            }
            Kind::Create => {
                connection.send(Method::POST, "/posts", Some(&load.token), "application/json", load.post.clone()).await
            }
        };
        let measured = started >= load.measure_from;
        match outcome {
            Ok((200 | 201, _)) => {
                if measured {
                    latencies.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
                }
            }
            Ok(_) | Err(_) => {
                if measured {
                    errors += 1;
                }
                if outcome.is_err() {
                    client = None;
                }
            }
        }
    }
    (errors, latencies)
}

async fn drive(load: Load, connections: usize) -> Measurement {
    let elapsed = load.end - load.measure_from;
    let load = Arc::new(load);
    let tasks: Vec<_> = (0..connections as u64).map(|i| tokio::spawn(worker(load.clone(), i))).collect();
    let mut result = Measurement { requests: 0, errors: 0, elapsed, latencies_us: Vec::new() };
    for task in tasks {
        let (errors, latencies) = task.await.expect("a worker");
        result.errors += errors;
        result.requests += latencies.len();
        result.latencies_us.extend(latencies);
    }
    result.latencies_us.sort_unstable();
    result
}

/// The distinct statements the other sessions of this database ran, sampled from
/// `pg_stat_activity` into `seen` while `sampling` is set, until `stop` is.
async fn sample_statements(
    db: DatabaseConnection,
    seen: Arc<Mutex<BTreeSet<String>>>,
    sampling: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) {
    let sql = "SELECT DISTINCT query FROM pg_stat_activity WHERE datname = current_database() \
               AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND query <> ''";
    while !stop.load(Ordering::Relaxed) {
        if sampling.load(Ordering::Relaxed) {
            let rows = db.query_all_raw(Statement::from_string(DbBackend::Postgres, sql)).await.expect("samples");
            let mut seen = seen.lock().expect("not poisoned");
            for row in rows {
                seen.insert(shape(&row.try_get::<String>("", "query").expect("a statement")));
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `pgbench -M prepared` of `script` with `clients` clients for `secs` seconds; returns
/// transactions per second.
fn floor(url: &str, script: &str, clients: usize, secs: u64, author: i64, ids: (i64, i64), dir: &Path) -> f64 {
    let path = dir.join("floor.sql");
    std::fs::write(&path, script).expect("writes the script");
    let script = path;
    let body = BODY_SENTENCE.repeat(BODY_REPEAT);
    let output = Command::new("pgbench")
        .args(["-n", "-M", "prepared", "-j", "2"])
        .arg(format!("-c{clients}"))
        .arg(format!("-T{secs}"))
        .arg("-f")
        .arg(&script)
        .arg(format!("-Dauthor={author}"))
        .arg(format!("-Dfirst_id={}", ids.0))
        .arg(format!("-Dlast_id={}", ids.1))
        .args(["-Dsize=20", "-Doffset=0", "-Done=1", "-Dtitle=Benchmark"])
        .arg(format!("-Dbody={body}"))
        .arg(format!("-Dnow={}", chrono::Utc::now().to_rfc3339()))
        .arg(url)
        .output()
        .expect("pgbench is installed (Debian package postgresql-contrib or postgresql-client)");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "pgbench failed:\n{text}\n{}", String::from_utf8_lossy(&output.stderr));
    text.lines()
        .find_map(|line| line.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|tps| tps.parse().ok())
        .unwrap_or_else(|| panic!("no tps in pgbench's output:\n{text}"))
}

fn percentile(sorted: &[u32], p: usize) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    f64::from(sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]) / 1000.0
}

struct Config {
    connections: usize,
    secs: u64,
    rounds: u64,
    posts: usize,
    pool: usize,
    kinds: Vec<Kind>,
}

async fn bench_backend(name: &str, url: &str, config: &Config, rows: &mut Vec<String>) {
    let dir = tempfile::tempdir().expect("a folder");
    let server = start(url, dir.path(), config.pool);
    wait_ready(server.address).await;
    let (token, author) = log_in(server.address).await;
    let seeding = Database::connect(url).await.expect("connects to the benchmark database");
    let ids = seed(&seeding, author, config.posts).await;
    let is_postgres = seeding.get_database_backend() == DbBackend::Postgres;
    seeding.close().await.ok();
    // One connection, which the sampler leaves out: every other session is the blog's.
    let mut options = sea_orm::ConnectOptions::new(url);
    options.max_connections(1).min_connections(1).sqlx_logging(false);
    let db = Database::connect(options).await.expect("connects to the benchmark database");
    let post = serde_json::json!({"title": "Benchmark", "body": BODY_SENTENCE.repeat(BODY_REPEAT)}).to_string();

    let mut client = Client::connect(server.address).await.expect("connects");
    let total = |page: &serde_json::Value| page["total"].as_u64().expect("a total");
    assert_eq!(total(&client.json("/posts?size=20").await), config.posts as u64, "the seeded posts are listed");

    // `/health`'s requests per second, once measured: the HTTP stack's own cost.
    let mut http_alone: Option<f64> = None;
    for &kind in &config.kinds {
        // The blog and its floor take turns, so that a change in what else the machine runs
        // weighs on both alike.
        let round_secs = (config.secs / config.rounds).max(1);
        let sampling = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(BTreeSet::new()));
        let sampled = kind != Kind::Health && is_postgres;
        if sampled {
            tokio::spawn(sample_statements(db.clone(), seen.clone(), sampling.clone(), stop.clone()));
        }
        let mut result = Measurement { requests: 0, errors: 0, elapsed: Duration::ZERO, latencies_us: Vec::new() };
        let mut floor_tps = Vec::new();
        let mut script = None;
        for round in 0..config.rounds {
            let warm_up = if round == 0 { Duration::from_secs(2) } else { Duration::from_millis(500) };
            let measure_from = Instant::now() + warm_up;
            let end = measure_from + Duration::from_secs(round_secs);
            let load = Load {
                address: server.address,
                kind,
                token: token.clone(),
                ids,
                post: post.clone().into(),
                measure_from,
                end,
            };
            let sample_from = tokio::spawn({
                let sampling = sampling.clone();
                async move {
                    tokio::time::sleep_until(measure_from.into()).await;
                    sampling.store(true, Ordering::Relaxed);
                }
            });
            let measured = drive(load, config.connections).await;
            sample_from.abort();
            sampling.store(false, Ordering::Relaxed);
            result.add(measured);
            if sampled {
                // The floor runs what the blog was seen sending.
                let script =
                    script.get_or_insert_with(|| kind.floor_script_for(&seen.lock().expect("not poisoned"))).clone();
                floor_tps.push(floor(url, &script, config.pool, round_secs, author, ids, dir.path()));
            }
        }
        result.latencies_us.sort_unstable();
        stop.store(true, Ordering::Relaxed);
        if kind == Kind::Health {
            http_alone = Some(result.rps());
        }
        let (floor_tps, ratio, ceiling) = match script {
            Some(script) => {
                // Every round sent the same statements.
                let sent = seen.lock().expect("not poisoned").clone();
                assert_eq!(sent, statements(&script), "{}: the blog's statements changed during the run", kind.name());
                let tps = floor_tps.iter().sum::<f64>() / floor_tps.len() as f64;
                // On shared cores a request costs at least the HTTP stack's work and the
                // database's: their harmonic sum is the most the blog could serve.
                let ceiling = http_alone.map_or_else(
                    || "–".to_owned(),
                    |http| {
                        let most = 1.0 / (1.0 / http + 1.0 / tps);
                        format!(
                            "{most:.0} ({:.0}% of the floor), blog at {:.0}%",
                            most / tps * 100.0,
                            result.rps() / most * 100.0
                        )
                    },
                );
                (format!("{tps:.0}"), format!("{:.0}%", result.rps() / tps * 100.0), ceiling)
            }
            None => ("–".to_owned(), "–".to_owned(), "–".to_owned()),
        };
        if kind == Kind::List {
            // No writes ran meanwhile: the envelope's total is still exact. A new connection:
            // the service closes one left idle past its keep-alive timeout.
            client = Client::connect(server.address).await.expect("connects");
            assert_eq!(total(&client.json("/posts?size=20").await), config.posts as u64, "the total is exact");
        }
        let row = format!(
            "| {name} | {} | {:.0} | {floor_tps} | {ratio} | {ceiling} | {:.2} ms | {:.2} ms | {} |",
            kind.name(),
            result.rps(),
            percentile(&result.latencies_us, 50),
            percentile(&result.latencies_us, 99),
            result.errors
        );
        eprintln!("{row}");
        rows.push(row);
    }
    eprintln!("{name}: the blog's peak resident memory was {:.0} MiB", server.peak_mib());
    db.close().await.ok();
    drop(server);
}

fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(value) => value.parse().unwrap_or_else(|_| panic!("{name}=`{value}` is not a valid number")),
        Err(_) => default,
    }
}

/// The requests `BLOG_BENCH_KINDS` names, all by default.
fn kinds() -> Vec<Kind> {
    let all = [Kind::Health, Kind::List, Kind::Get, Kind::Create];
    let Ok(wanted) = std::env::var("BLOG_BENCH_KINDS") else { return all.to_vec() };
    wanted
        .split(',')
        .map(|key| {
            let key = key.trim();
            all.into_iter()
                .find(|kind| kind.key() == key)
                .unwrap_or_else(|| panic!("BLOG_BENCH_KINDS: `{key}` is none of health, list, get, create"))
        })
        .collect()
}

fn main() {
    let config = Config {
        connections: setting("BLOG_BENCH_CONNECTIONS", 64),
        secs: setting("BLOG_BENCH_SECS", 10),
        rounds: setting("BLOG_BENCH_ROUNDS", 5).max(1),
        posts: setting("BLOG_BENCH_POSTS", 10_000),
        pool: setting("BLOG_BENCH_POOL", 10),
        kinds: kinds(),
    };
    let admin = std::env::var("BLOG_BENCH_POSTGRES_URL").unwrap_or_else(|_| support::DEFAULT_URL.to_owned());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let mut rows = Vec::new();
        if std::env::var("BLOG_BENCH_SQLITE").is_ok_and(|v| v == "1") {
            let sqlite_dir = tempfile::tempdir().expect("a folder");
            let sqlite_url = format!("sqlite://{}?mode=rwc", sqlite_dir.path().join("bench.db").display());
            bench_backend("SQLite", &sqlite_url, &config, &mut rows).await;
        }
        // One name for every run, like the other benchmarks: a run that failed part way
        // leaves its database behind, and the next run drops it first.
        let name = "blog_bench";
        let url = support::fresh_database(&admin, name);
        bench_backend("PostgreSQL", &url, &config, &mut rows).await;
        support::drop_database(&admin, name);

        println!("\n`{}`", blog_binary());
        println!(
            "{} connections, {} s per row after 2 s of warm-up, {} posts, pool of {}; the floor is \
             `pgbench -M prepared` of the route's own statements with {} clients, in {} turns with the blog's\n",
            config.connections, config.secs, config.posts, config.pool, config.pool, config.rounds
        );
        println!(
            "| database | request | requests/s | floor (tps) | of the floor | ceiling: HTTP alone + floor | p50 | p99 | errors |"
        );
        println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for row in rows {
            println!("{row}");
        }
    });
}
