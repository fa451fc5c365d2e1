//! Load benchmark of the blog service: the release binary on loopback, driven by 64 concurrent
//! keep-alive HTTP/1.1 connections, for three requests (a page of 20 posts, one post, creating a
//! post), on SQLite and on PostgreSQL. Prints a Markdown table: requests per second, p50 and p99
//! latency, errors (any transport failure or status other than 200/201).
//!
//! `cargo bench -p blog --bench blog_load`. Settings (environment):
//! - `BLOG_BENCH_POSTGRES_URL`: the server's admin URL (default
//!   `postgresql://postgres@127.0.0.1:5432/postgres`); a database is created and dropped.
//! - `BLOG_BENCH_SECS`: seconds measured per request kind (default 10), after 2 s of warm-up.
//! - `BLOG_BENCH_CONNECTIONS`: concurrent connections (default 64).

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{Method, Request, header};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use sea_orm::{ConnectionTrait, Database};

const BLOG: &str = env!("CARGO_BIN_EXE_blog");
const SECRET: &str = "benchmark-signing-secret-0123456789abcdef";
const SEEDED_POSTS: usize = 500;

#[derive(Clone, Copy)]
enum Kind {
    List,
    Get,
    Create,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::List => "list (`GET /posts?size=20`)",
            Kind::Get => "get (`GET /posts/{id}`)",
            Kind::Create => "create (`POST /posts`)",
        }
    }
}

struct Server {
    child: Child,
    address: SocketAddr,
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

fn start(database_url: &str, dir: &std::path::Path) -> Server {
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    let child = Command::new(BLOG)
        .current_dir(dir)
        .env("ENVIRONMENT", "production")
        .env("JWT_SECRET", SECRET)
        .env("DATABASE_URL", database_url)
        .env("PORT", port.to_string())
        .env("STORAGE_PATH", dir.join("uploads"))
        .env("LOG_FORMAT", "json")
        // The benchmark logs in once per run.
        .env("LOGIN_RATE_LIMIT", "1000")
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

/// Registers a user, logs in and writes the posts the reads look at; returns the token and
/// the post ids.
async fn seed(address: SocketAddr) -> (String, Vec<i64>) {
    let mut client = Client::connect(address).await.expect("connects");
    let register = serde_json::json!({"email": "bench@example.com", "password": "benchmark password 1"});
    let (status, _) = client
        .send(Method::POST, "/auth/register", None, "application/json", register.to_string().into())
        .await
        .expect("registers");
    assert_eq!(status, 201);
    let form = "username=bench%40example.com&password=benchmark+password+1";
    let (status, body) = client
        .send(Method::POST, "/auth/token", None, "application/x-www-form-urlencoded", form.into())
        .await
        .expect("logs in");
    assert_eq!(status, 200);
    let tokens: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    let token = tokens["access_token"].as_str().expect("a token").to_owned();
    let mut ids = Vec::new();
    for n in 0..SEEDED_POSTS {
        let post = serde_json::json!({"title": format!("Post {n}"), "body": "Lorem ipsum dolor sit amet. ".repeat(20)});
        let (status, body) = client
            .send(Method::POST, "/posts", Some(&token), "application/json", post.to_string().into())
            .await
            .expect("creates");
        assert_eq!(status, 201);
        let post: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        ids.push(post["id"].as_i64().expect("an id"));
    }
    (token, ids)
}

struct Measurement {
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies_us: Vec<u32>,
}

/// One connection's loop until `end`; latencies are kept from `measure_from` on.
async fn worker(
    address: SocketAddr,
    kind: Kind,
    token: Arc<String>,
    ids: Arc<Vec<i64>>,
    seed: usize,
    measure_from: Instant,
    end: Instant,
) -> (usize, Vec<u32>) {
    let mut errors = 0;
    let mut latencies = Vec::new();
    let mut client = None;
    let mut n = seed;
    let post = serde_json::json!({"title": "Benchmark", "body": "Lorem ipsum dolor sit amet. ".repeat(20)}).to_string();
    let post = Bytes::from(post);
    while Instant::now() < end {
        if client.is_none() {
            client = Client::connect(address).await.ok();
        }
        let Some(connection) = client.as_mut() else {
            errors += 1;
            continue;
        };
        n = n.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let started = Instant::now();
        let outcome = match kind {
            Kind::List => connection.send(Method::GET, "/posts?page=1&size=20", None, "", Bytes::new()).await,
            Kind::Get => {
                let id = ids[(n >> 33) % ids.len()];
                connection.send(Method::GET, &format!("/posts/{id}"), None, "", Bytes::new()).await
            }
            Kind::Create => {
                connection.send(Method::POST, "/posts", Some(&token), "application/json", post.clone()).await
            }
        };
        let measured = started >= measure_from;
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

async fn drive(
    address: SocketAddr,
    kind: Kind,
    token: &str,
    ids: &[i64],
    connections: usize,
    secs: u64,
) -> Measurement {
    let token = Arc::new(token.to_owned());
    let ids = Arc::new(ids.to_vec());
    let measure_from = Instant::now() + Duration::from_secs(2);
    let end = measure_from + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..connections)
        .map(|i| tokio::spawn(worker(address, kind, token.clone(), ids.clone(), i, measure_from, end)))
        .collect();
    let mut result =
        Measurement { requests: 0, errors: 0, elapsed: Duration::from_secs(secs), latencies_us: Vec::new() };
    for task in tasks {
        let (errors, latencies) = task.await.expect("a worker");
        result.errors += errors;
        result.requests += latencies.len();
        result.latencies_us.extend(latencies);
    }
    result.latencies_us.sort_unstable();
    result
}

fn percentile(sorted: &[u32], p: usize) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    f64::from(sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]) / 1000.0
}

async fn bench_backend(name: &str, url: &str, connections: usize, secs: u64, rows: &mut Vec<String>) {
    let dir = tempfile::tempdir().expect("a folder");
    let server = start(url, dir.path());
    wait_ready(server.address).await;
    let (token, ids) = seed(server.address).await;
    for kind in [Kind::List, Kind::Get, Kind::Create] {
        let result = drive(server.address, kind, &token, &ids, connections, secs).await;
        let rps = result.requests as f64 / result.elapsed.as_secs_f64();
        let row = format!(
            "| {name} | {} | {rps:.0} | {:.2} ms | {:.2} ms | {} |",
            kind.name(),
            percentile(&result.latencies_us, 50),
            percentile(&result.latencies_us, 99),
            result.errors
        );
        eprintln!("{row}");
        rows.push(row);
    }
    drop(server);
}

fn main() {
    let connections: usize = std::env::var("BLOG_BENCH_CONNECTIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(64);
    let secs: u64 = std::env::var("BLOG_BENCH_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let admin = std::env::var("BLOG_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/postgres".to_owned());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let mut rows = Vec::new();
        let sqlite_dir = tempfile::tempdir().expect("a folder");
        let sqlite_url = format!("sqlite://{}?mode=rwc", sqlite_dir.path().join("bench.db").display());
        bench_backend("SQLite", &sqlite_url, connections, secs, &mut rows).await;

        let name = format!("blog_bench_{}", std::process::id());
        let conn = Database::connect(admin.as_str()).await.unwrap_or_else(|e| {
            panic!("cannot reach PostgreSQL at {admin} ({e}); start it or set BLOG_BENCH_POSTGRES_URL")
        });
        conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("creates the database");
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
        bench_backend("PostgreSQL", &format!("{base}/{name}"), connections, secs, &mut rows).await;
        conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.expect("drops it");

        println!("\n{connections} connections, {secs} s per row after 2 s of warm-up, {SEEDED_POSTS} posts seeded\n");
        println!("| database | request | requests/s | p50 | p99 | errors |");
        println!("| --- | --- | ---: | ---: | ---: | ---: |");
        for row in rows {
            println!("{row}");
        }
    });
}
