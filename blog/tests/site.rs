//! The routes around the API, on SQLite and PostgreSQL: the landing page (rendered from the
//! template, escaped), the interactive docs and the OpenAPI document (served with no network),
//! liveness, readiness (503 until the schema is at head), request ids and CORS.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{Backend, TestApp};
use serde_json::json;

on_every_backend!(
    the_landing_page_lists_the_latest_posts_escaped,
    docs_and_the_openapi_document_are_served,
    health_and_readiness_are_reported,
    readiness_waits_for_the_schema,
    request_ids_are_kept_or_made,
    cors_follows_the_configuration,
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
