//! Test support: a database of its own per test ([`database`]: an `aludel-test-support`
//! [`TestDb`], a uniquely named PostgreSQL database or a SQLite file in a temporary folder), a
//! [`TestApp`] that builds `blog::app` on it with local-file storage in a temporary folder, and
//! helpers that drive it through `tower::ServiceExt::oneshot`.
//!
//! [`on_every_backend!`] turns `async fn name(backend: Backend)` functions into one test per
//! backend.

#![allow(dead_code, unreachable_pub)] // Each test binary uses a different part of this module; items are `pub` for it.

pub use aludel::dialect::Backend;
use aludel_test_support::Servers;
pub use aludel_test_support::TestDb;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use blog::config::{Settings, Vars};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The signing secret the test apps use, so tests can forge tokens with it or without it.
pub const SECRET: &str = "blog-tests-signing-secret-0123456789";

/// A password that passes the policy.
pub const PASSWORD: &str = "correct horse 9";

/// The blog's test servers: `BLOG_TEST_POSTGRES_URL`, and SQLite files the app's pool creates.
pub const SERVERS: Servers = Servers {
    prefix: "blog_test",
    postgres_var: "BLOG_TEST_POSTGRES_URL",
    sqlite_query: "?mode=rwc",
    ..Servers::ALUDEL
};

/// Generates one `#[tokio::test]` per backend for each named `async fn(Backend)`.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Postgres).await;
                }
            )*
        }
    };
}

/// An empty database of its own on `backend`, dropped (or deleted) with the value.
pub async fn database(backend: Backend) -> TestDb {
    TestDb::on(backend, &SERVERS).await
}

/// A response, read whole.
#[derive(Debug)]
pub struct TestResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub bytes: Vec<u8>,
}

impl TestResponse {
    /// The body as JSON (`null` when empty).
    pub fn json(&self) -> Value {
        if self.bytes.is_empty() {
            return Value::Null;
        }
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.bytes)))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// A user registered and logged in by [`TestApp::user`].
#[derive(Debug, Clone)]
pub struct TestUser {
    /// The id.
    pub id: i64,
    /// The email.
    pub email: String,
    /// An access token.
    pub access: String,
    /// A refresh token.
    pub refresh: String,
}

/// The application on its own database and storage folder.
pub struct TestApp {
    /// The router, as `blog::app` builds it.
    pub router: Router,
    /// The state it was built from.
    pub state: blog::AppState,
    /// The storage folder.
    pub storage: tempfile::TempDir,
    /// The database (dropped last).
    pub db: TestDb,
}

impl TestApp {
    /// The app on a migrated database with the test settings.
    pub async fn new(backend: Backend) -> TestApp {
        TestApp::with_vars(backend, &[]).await
    }

    /// The app on a migrated database, with `vars` over the test settings.
    pub async fn with_vars(backend: Backend, vars: &[(&str, &str)]) -> TestApp {
        let db = database(backend).await;
        let graph = blog::db::migrations().expect("the embedded revisions are valid");
        blog::db::migrate(&db.url, graph).await.expect("the migrations apply");
        TestApp::on(db, vars).await
    }

    /// The app on `db` as it is (not migrated).
    pub async fn on(db: TestDb, vars: &[(&str, &str)]) -> TestApp {
        let storage = tempfile::tempdir().expect("a temporary folder");
        let storage_path = storage.path().display().to_string();
        let mut pairs: Vec<(String, String)> = vec![
            ("ENVIRONMENT".into(), "test".into()),
            ("JWT_SECRET".into(), SECRET.into()),
            ("DATABASE_URL".into(), db.url.clone()),
            ("DATABASE_POOL_SIZE".into(), "4".into()),
            ("STORAGE_PATH".into(), storage_path),
            // Tests write faster than any person; the limit has its own test.
            ("WRITES_PER_MINUTE".into(), "100000".into()),
        ];
        pairs.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let settings = Settings::from_vars(&Vars::from_pairs(pairs)).expect("the test settings are valid");
        let state = blog::AppState::new(settings).await.expect("the app starts");
        TestApp { router: blog::app(state.clone()), state, storage, db }
    }

    /// Sends a request.
    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self.router.clone().oneshot(request).await.expect("the router never fails");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("the body is readable").to_bytes().to_vec();
        TestResponse { status, headers, bytes }
    }

    /// A request without a body.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>) -> TestResponse {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(request.body(Body::empty()).expect("a valid request")).await
    }

    /// A request with a JSON body.
    pub async fn json(&self, method: Method, path: &str, token: Option<&str>, body: &Value) -> TestResponse {
        let mut request = Request::builder().method(method).uri(path).header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(request.body(Body::from(body.to_string())).expect("a valid request")).await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str, token: Option<&str>) -> TestResponse {
        self.call(Method::GET, path, token).await
    }

    /// `POST /auth/token` with a form.
    pub async fn login(&self, username: &str, password: &str) -> TestResponse {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("username", username)
            .append_pair("password", password)
            .finish();
        let request = Request::builder()
            .method(Method::POST)
            .uri("/auth/token")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("a valid request");
        self.send(request).await
    }

    /// `POST /auth/token` with a form, as if from `peer` (behind which `forwarded` is the
    /// `X-Forwarded-For` header, when given).
    pub async fn login_from(
        &self,
        peer: &str,
        forwarded: Option<&str>,
        username: &str,
        password: &str,
    ) -> TestResponse {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("username", username)
            .append_pair("password", password)
            .finish();
        let mut request = Request::builder()
            .method(Method::POST)
            .uri("/auth/token")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(forwarded) = forwarded {
            request = request.header("x-forwarded-for", forwarded);
        }
        let mut request = request.body(Body::from(body)).expect("a valid request");
        let peer: std::net::SocketAddr = peer.parse().expect("a socket address");
        request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        self.send(request).await
    }

    /// Registers `email` with [`PASSWORD`] and logs in.
    pub async fn user(&self, email: &str) -> TestUser {
        let registered =
            self.json(Method::POST, "/auth/register", None, &json!({"email": email, "password": PASSWORD})).await;
        assert_eq!(registered.status, StatusCode::CREATED, "{}", registered.text());
        let tokens = self.login(email, PASSWORD).await;
        assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text());
        let tokens = tokens.json();
        TestUser {
            id: registered.json()["id"].as_i64().expect("an id"),
            email: email.to_owned(),
            access: tokens["access_token"].as_str().expect("an access token").to_owned(),
            refresh: tokens["refresh_token"].as_str().expect("a refresh token").to_owned(),
        }
    }

    /// Creates a post as `user`; returns its JSON.
    pub async fn post(&self, user: &TestUser, title: &str) -> Value {
        let response = self
            .json(Method::POST, "/posts", Some(&user.access), &json!({"title": title, "body": format!("{title} body")}))
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
        response.json()
    }

    /// Uploads `bytes` as the field `file` to the post `post_id`.
    pub async fn upload(
        &self,
        token: Option<&str>,
        post_id: i64,
        filename: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> TestResponse {
        let boundary = "blog-test-boundary-7f3a";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
                 Content-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(format!("/posts/{post_id}/attachments"))
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"));
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(request.body(Body::from(body)).expect("a valid request")).await
    }
}

/// `value` with the fields named in `fields` (at any depth) checked to be RFC 3339 times and
/// replaced by `"<time>"`, so whole bodies can be compared exactly.
pub fn times(mut value: Value, fields: &[&str]) -> Value {
    fn walk(value: &mut Value, fields: &[&str]) {
        match value {
            Value::Object(map) => {
                for (key, item) in map.iter_mut() {
                    if fields.contains(&key.as_str()) {
                        let text = item.as_str().unwrap_or_else(|| panic!("`{key}` is not a string: {item}"));
                        chrono::DateTime::parse_from_rfc3339(text)
                            .unwrap_or_else(|e| panic!("`{key}` is not an RFC 3339 time ({e}): {text}"));
                        *item = Value::from("<time>");
                    } else {
                        walk(item, fields);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| walk(item, fields)),
            _ => {}
        }
    }
    walk(&mut value, fields);
    value
}
