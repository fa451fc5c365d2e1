//! The routes around the API, on SQLite and PostgreSQL: the landing page (rendered from the
//! template, escaped), the interactive docs and the OpenAPI document (served with no network),
//! liveness, readiness (503 until the schema is at head), request ids and CORS.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{Backend, TestApp};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::json;

on_every_backend!(
    the_landing_page_lists_the_latest_posts_escaped,
    docs_and_the_openapi_document_are_served,
    health_and_readiness_are_reported,
    readiness_waits_for_the_schema,
    request_ids_are_kept_or_made,
    cors_follows_the_configuration,
    html_pages_send_security_headers,
    tokens_and_private_data_are_never_cached,
    client_request_ids_are_checked_before_they_are_logged,
    a_flood_of_readiness_probes_opens_no_connection,
    the_openapi_document_describes_the_errors,
);

async fn the_landing_page_lists_the_latest_posts_escaped(backend: Backend) {
    let app = TestApp::new(backend).await;
    let empty = app.get("/", None).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(empty.text().contains("No posts yet."));

    let ada = app.user("ada@example.com").await;
    app.post(&ada, "An older post").await;
    app.post(&ada, "<script>alert(1)</script>").await;
    let page = app.get("/", None).await.text();
    assert!(page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"), "{page}");
    assert!(!page.contains("<script>"));
    let newest = page.find("&lt;script&gt;").expect("the newest post");
    let older = page.find("An older post").expect("the older post");
    assert!(newest < older, "newest first");
}

async fn docs_and_the_openapi_document_are_served(backend: Backend) {
    let app = TestApp::new(backend).await;
    let spec = app.get("/openapi.json", None).await;
    assert_eq!(spec.status, StatusCode::OK);
    let spec = spec.json();
    let mut paths: Vec<&String> = spec["paths"].as_object().expect("paths").keys().collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/auth/logout",
            "/auth/refresh",
            "/auth/register",
            "/auth/token",
            "/health",
            "/posts",
            "/posts/{id}",
            "/posts/{id}/attachments",
            "/posts/{id}/attachments/{attachment_id}",
            "/ready",
            "/users/me",
        ]
    );
    assert_eq!(
        spec["components"]["securitySchemes"]["OAuth2PasswordBearer"],
        json!({"type": "oauth2", "flows": {"password": {"tokenUrl": "/auth/token", "scopes": {}}}})
    );
    let list = &spec["paths"]["/posts"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(list["$ref"], "#/components/schemas/Page_PostOut");
    // The text fields that refuse control characters say so, and the names that also refuse
    // bidirectional controls say that.
    let (printable, identity) = (blog::extract::PRINTABLE_TEXT, blog::extract::IDENTITY_TEXT);
    for (schema, field, expected) in [
        ("PostCreate", "title", printable),
        ("PostCreate", "body", printable),
        ("PostUpdate", "title", printable),
        ("PostUpdate", "body", printable),
        ("RegisterIn", "email", identity),
        ("RegisterIn", "display_name", identity),
        ("TokenFormDoc", "username", printable),
    ] {
        let pattern = &spec["components"]["schemas"][schema]["properties"][field]["pattern"];
        assert_eq!(pattern, expected, "{schema}.{field}");
    }

    let docs = app.get("/docs/", None).await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(docs.text().contains("swagger-ui"), "{}", docs.text());
    // Every asset comes from the service itself.
    assert!(!docs.text().contains("https://"), "{}", docs.text());
    let config = app.get("/docs/swagger-initializer.js", None).await;
    assert_eq!(config.status, StatusCode::OK);
    assert!(config.text().contains("/openapi.json"));
    let script = app.get("/docs/swagger-ui-bundle.js", None).await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(script.bytes.len() > 100_000);
}

async fn health_and_readiness_are_reported(backend: Backend) {
    let app = TestApp::new(backend).await;
    let health = app.get("/health", None).await;
    assert_eq!((health.status, health.json()), (StatusCode::OK, json!({"status": "ok"})));
    let ready = app.get("/ready", None).await;
    assert_eq!((ready.status, ready.json()), (StatusCode::OK, json!({"status": "ready"})));
}

async fn readiness_waits_for_the_schema(backend: Backend) {
    let db = common::database(backend).await;
    let url = db.url.clone();
    let app = TestApp::on(db, &[]).await;
    let ready = app.get("/ready", None).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.json(), json!({"detail": "Database schema is not at the head revision"}));
    // Alive all the same.
    assert_eq!(app.get("/health", None).await.status, StatusCode::OK);

    blog::db::migrate(&url, blog::db::migrations().expect("valid")).await.expect("migrates");
    // The last answer is reused for a moment.
    tokio::time::sleep(blog::site::READINESS_TTL).await;
    assert_eq!(app.get("/ready", None).await.status, StatusCode::OK);
}

async fn request_ids_are_kept_or_made(backend: Backend) {
    let app = TestApp::new(backend).await;
    let first = app.get("/health", None).await;
    let second = app.get("/health", None).await;
    let (a, b) = (first.header("x-request-id").expect("an id"), second.header("x-request-id").expect("an id"));
    assert_ne!(a, b);
    let request =
        Request::get("/health").header("x-request-id", "from-the-proxy-42").body(Body::empty()).expect("a request");
    assert_eq!(app.send(request).await.header("x-request-id"), Some("from-the-proxy-42"));
}

async fn cors_follows_the_configuration(backend: Backend) {
    let preflight = || {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/posts")
            .header("origin", "https://app.example.com")
            .header("access-control-request-method", "POST")
            .body(Body::empty())
            .expect("a request")
    };
    let closed = TestApp::new(backend).await;
    assert_eq!(closed.send(preflight()).await.header("access-control-allow-origin"), None);

    let open = TestApp::with_vars(backend, &[("CORS_ORIGINS", "https://app.example.com")]).await;
    let response = open.send(preflight()).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("access-control-allow-origin"), Some("https://app.example.com"));
    let other =
        Request::get("/health").header("origin", "https://evil.example").body(Body::empty()).expect("a request");
    assert_eq!(open.send(other).await.header("access-control-allow-origin"), None);
}

async fn html_pages_send_security_headers(backend: Backend) {
    let app = TestApp::new(backend).await;
    for path in ["/", "/docs/"] {
        let page = app.get(path, None).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let csp = page.header("content-security-policy").expect("a content security policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'") && !csp.contains("script-src 'self' 'unsafe"), "{path}: {csp}");
        assert_eq!(page.header("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(page.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(page.header("referrer-policy"), Some("no-referrer"), "{path}");
        assert_eq!(page.header("strict-transport-security"), None, "HSTS is off unless configured");
    }
    let api = app.get("/posts", None).await;
    assert_eq!(api.header("content-security-policy"), Some("default-src 'none'; frame-ancestors 'none'"));

    let https = TestApp::with_vars(backend, &[("HSTS_MAX_AGE_SECS", "31536000")]).await;
    let page = https.get("/", None).await;
    assert_eq!(page.header("strict-transport-security"), Some("max-age=31536000; includeSubDomains"));
}

/// Token responses, and any response to a request with credentials, say `no-store` (RFC 6749
/// 5.1): a shared or browser cache kept access and refresh tokens. Public reads stay cacheable.
async fn tokens_and_private_data_are_never_cached(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    let token = app.login("ada@example.com", common::PASSWORD).await;
    let me = app.get("/users/me", Some(&ada.access)).await;
    let refreshed = app.json(Method::POST, "/auth/refresh", None, &json!({"refresh_token": ada.refresh})).await;
    for (what, response) in [("token", &token), ("users/me", &me), ("refresh", &refreshed)] {
        assert_eq!(response.status, StatusCode::OK, "{what}");
        assert_eq!(response.header("cache-control"), Some("no-store"), "{what}");
        assert_eq!(response.header("pragma"), Some("no-cache"), "{what}");
    }
    assert_eq!(app.get("/posts", None).await.header("cache-control"), None, "a public page may be cached");
}

async fn client_request_ids_are_checked_before_they_are_logged(backend: Backend) {
    let app = TestApp::new(backend).await;
    let with_id = |id: &[u8]| {
        Request::get("/health")
            .header("x-request-id", axum::http::HeaderValue::from_bytes(id).expect("a header value"))
            .body(Body::empty())
            .expect("a request")
    };
    let kept = app.send(with_id(b"from-the-proxy-42")).await;
    assert_eq!(kept.header("x-request-id"), Some("from-the-proxy-42"));
    let long = vec![b'a'; 10_000];
    for bad in [&long[..], b"a\" injected=\"1", b"id with spaces", b"\xe2\x80\xae-rtl", b"{{template}}"] {
        let response = app.send(with_id(bad)).await;
        let id = response.header("x-request-id").expect("an id of ours");
        assert_ne!(id.as_bytes(), bad);
        assert!(id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'), "{id}");
    }
}

/// Connections ever made to the test's PostgreSQL database, as the server counts them.
async fn sessions(admin: &sea_orm::DatabaseConnection, name: &str) -> i64 {
    // The server publishes its counters in batches; wait until they stop moving.
    let query = || {
        Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT sessions FROM pg_stat_database WHERE datname = $1",
            [name.into()],
        )
    };
    let mut last = -1;
    for _ in 0..40 {
        let row = admin.query_one_raw(query()).await.expect("a query").expect("the database's row");
        let now: i64 = row.try_get("", "sessions").expect("a count");
        if now == last {
            return now;
        }
        last = now;
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    }
    last
}

async fn a_flood_of_readiness_probes_opens_no_connection(backend: Backend) {
    let app = TestApp::new(backend).await;
    assert_eq!(app.get("/ready", None).await.status, StatusCode::OK);
    let admin = match backend {
        Backend::Postgres => Some(Database::connect(common::SERVERS.postgres_url().as_str()).await.expect("connects")),
        _ => None,
    };
    let name = app.db.url.rsplit('/').next().expect("a database name").to_owned();
    let before = match &admin {
        Some(admin) => sessions(admin, &name).await,
        None => 0,
    };
    // Probes need no credentials: anyone can send as many as they like, at once.
    let probes = (0..200).map(|_| app.get("/ready", None));
    for response in futures_util::future::join_all(probes).await {
        assert_eq!(response.status, StatusCode::OK);
    }
    if let Some(admin) = &admin {
        let after = sessions(admin, &name).await;
        assert_eq!(after - before, 0, "the probes opened connections of their own");
    }
    // An unreachable database is still reported (the answer is reused for a second at most).
    let pool = app.state.db.clone();
    pool.close().await.expect("closes the pool");
    tokio::time::sleep(blog::site::READINESS_TTL).await;
    let response = app.get("/ready", None).await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.json(), json!({"detail": "Database unreachable"}));
}

async fn the_openapi_document_describes_the_errors(backend: Backend) {
    let app = TestApp::new(backend).await;
    let spec = app.get("/openapi.json", None).await.json();
    let field = &spec["components"]["schemas"]["FieldError"]["properties"];
    assert_eq!(field["input"], json!({}), "input is any JSON value");
    assert_eq!(field["loc"]["items"], json!({"oneOf": [{"type": "string"}, {"type": "integer"}]}));
    // Every route with an id documents the 422 a non-integer id gets.
    for (path, methods) in spec["paths"].as_object().expect("paths") {
        if !path.contains('{') {
            continue;
        }
        for (method, operation) in methods.as_object().expect("operations") {
            assert!(operation["responses"].get("422").is_some(), "{method} {path} does not document 422");
        }
    }
    // Every route with a body documents the 415 a wrong content type gets.
    for (path, methods) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in methods.as_object().expect("operations") {
            if operation.get("requestBody").is_some() {
                assert!(operation["responses"].get("415").is_some(), "{method} {path} does not document 415");
            }
        }
    }
    assert!(spec["paths"]["/posts/{id}/attachments"]["post"]["responses"].get("400").is_some());
    // OpenAPI requires a description on every response.
    for (path, methods) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in methods.as_object().expect("operations") {
            for (status, response) in operation["responses"].as_object().expect("responses") {
                let described = response["description"].as_str().is_some_and(|d| !d.is_empty());
                assert!(described, "{method} {path} {status} has no description");
            }
        }
    }
    // Every route that waits for a pooled connection documents the 503 it gets when none
    // comes free, beside its own reasons for a 503.
    for (path, methods) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in methods.as_object().expect("operations") {
            let busy = operation["responses"]["503"]["description"].as_str().unwrap_or_default().to_owned();
            let documented = busy.to_lowercase().contains("every database connection is busy");
            assert_eq!(documented, path != "/health" && path != "/ready", "{method} {path}: {busy:?}");
        }
    }
    assert_eq!(
        spec["paths"]["/auth/token"]["post"]["responses"]["503"]["description"],
        "Too many password checks at once, or every database connection is busy or was lost; see Retry-After"
    );
    // Any route may time out (504); one with a body may wait for it in vain (408) or get it
    // cut off (400).
    for (path, methods) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in methods.as_object().expect("operations") {
            let responses = &operation["responses"];
            assert!(responses.get("504").is_some(), "{method} {path} does not document 504");
            let has_body = operation.get("requestBody").is_some();
            assert_eq!(responses.get("408").is_some(), has_body, "{method} {path}: 408");
            assert_eq!(responses.get("400").is_some(), has_body, "{method} {path}: 400");
        }
    }
    assert_eq!(
        spec["paths"]["/posts/{id}/attachments"]["post"]["responses"]["400"]["description"],
        "The multipart body is malformed, or the body was cut off"
    );
    let page = spec["paths"]["/posts"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "page")
        .expect("page")
        .clone();
    assert_eq!(page["schema"]["maximum"], json!(1_000_000_000));
}
