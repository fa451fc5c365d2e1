//! Attachments through the HTTP layer, on SQLite and PostgreSQL: upload (size and type
//! limits), download, removal with the post, on the local-files backend and on a real
//! S3-compatible server (moto's, started by the test).

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use blog::posts::models::attachment;
use common::{Backend, TestApp, times};
use object_store::ObjectStoreExt;
use sea_orm::EntityTrait;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

on_every_backend!(
    an_attachment_is_uploaded_listed_and_downloaded,
    uploads_over_the_size_limit_are_413,
    types_outside_the_allowed_list_are_415,
    an_upload_without_a_file_is_422,
    attachments_are_removed_with_their_post,
    an_attachment_is_only_found_under_its_post,
    the_s3_backend_stores_attachments,
);

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

async fn object_key(app: &TestApp, id: i64) -> String {
    attachment::Entity::find_by_id(id).one(&app.state.db).await.expect("a query").expect("the row").object_key
}

async fn an_attachment_is_uploaded_listed_and_downloaded(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    let post = app.post(&ada, "With a picture").await;
    let post_id = post["id"].as_i64().expect("an id");

    let response = app.upload(Some(&ada.access), post_id, "../../photo é.png", "image/png", PNG).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let created = response.json();
    let id = created["id"].as_i64().expect("an id");
    let url = format!("/posts/{post_id}/attachments/{id}");
    let expected = json!({
        "id": id, "post_id": post_id, "filename": "photo é.png", "content_type": "image/png",
        "size": PNG.len(), "created_at": "<time>", "url": url,
    });
    assert_eq!(times(created, &["created_at"]), expected);

    let response = app.get(&url, None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.bytes, PNG);
    assert_eq!(response.header("content-type"), Some("image/png"));
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        response.header("content-disposition"),
        Some("attachment; filename=\"photo _.png\"; filename*=UTF-8''photo%20%C3%A9.png")
    );

    let pdf = app.upload(Some(&ada.access), post_id, "paper.pdf", "application/pdf", b"%PDF-1.7\n...").await;
    assert_eq!(pdf.status, StatusCode::CREATED);
    let listed = app.get(&format!("/posts/{post_id}"), None).await.json();
    let names: Vec<&str> = listed["attachments"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| a["filename"].as_str().expect("a name"))
        .collect();
    assert_eq!(names, ["photo é.png", "paper.pdf"]);

    // The bytes are in the storage folder, under the recorded key.
    let key = object_key(&app, id).await;
    assert!(key.starts_with(&format!("posts/{post_id}/")), "{key}");
    assert_eq!(std::fs::read(app.storage.path().join(&key)).expect("the file"), PNG);
}

async fn uploads_over_the_size_limit_are_413(backend: Backend) {
    let app = TestApp::with_vars(backend, &[("MAX_UPLOAD_BYTES", "16")]).await;
    let ada = app.user("ada@example.com").await;
    let post_id = app.post(&ada, "p").await["id"].as_i64().expect("id");
    let ok = app.upload(Some(&ada.access), post_id, "a.txt", "text/plain", b"sixteen bytes!!!").await;
    assert_eq!(ok.status, StatusCode::CREATED);
    let response = app.upload(Some(&ada.access), post_id, "b.txt", "text/plain", b"seventeen bytes!!").await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.json(), json!({"detail": "File too large: the limit is 16 bytes"}));
    // Far over the limit, the body limit stops the upload while it streams.
    let response = app.upload(Some(&ada.access), post_id, "c.txt", "text/plain", &vec![b'x'; 200_000]).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.json(), json!({"detail": "File too large: the limit is 16 bytes"}));
}

async fn types_outside_the_allowed_list_are_415(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    let post_id = app.post(&ada, "p").await["id"].as_i64().expect("id");
    let allowed = "image/png, image/jpeg, image/gif, image/webp, application/pdf, text/plain";
    for (name, content_type, bytes) in [
        ("page.html", "text/html", b"<script>alert(1)</script>".as_slice()),
        ("tool.exe", "application/x-msdownload", b"MZ\x90\0".as_slice()),
        // Declared as an image, but it is not one.
        ("fake.png", "image/png", b"<svg onload=alert(1)>".as_slice()),
    ] {
        let response = app.upload(Some(&ada.access), post_id, name, content_type, bytes).await;
        assert_eq!(response.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{name}");
        assert_eq!(
            response.json(),
            json!({"detail": format!("Unsupported file type `{content_type}` (or the content does not match it); allowed: {allowed}")})
        );
    }
    assert_eq!(app.get(&format!("/posts/{post_id}"), None).await.json()["attachments"], json!([]));
}

async fn an_upload_without_a_file_is_422(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    let post_id = app.post(&ada, "p").await["id"].as_i64().expect("id");
    let body = "--b\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nvalue\r\n--b--\r\n";
    let request = Request::post(format!("/posts/{post_id}/attachments"))
        .header("authorization", format!("Bearer {}", ada.access))
        .header("content-type", "multipart/form-data; boundary=b")
        .body(Body::from(body))
        .expect("a request");
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.json(),
        json!({"detail": [{"type": "missing", "loc": ["body", "file"], "msg": "Field required", "input": null}]})
    );

    let response =
        app.json(Method::POST, &format!("/posts/{post_id}/attachments"), Some(&ada.access), &json!({})).await;
    assert_eq!(response.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(response.json(), json!({"detail": "Content-Type must be multipart/form-data"}));
}

async fn attachments_are_removed_with_their_post(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    let post_id = app.post(&ada, "p").await["id"].as_i64().expect("id");
    let id = app.upload(Some(&ada.access), post_id, "a.txt", "text/plain", b"hello").await.json()["id"]
        .as_i64()
        .expect("id");
    let file = app.storage.path().join(object_key(&app, id).await);
    assert!(file.is_file());

    assert_eq!(
        app.call(Method::DELETE, &format!("/posts/{post_id}"), Some(&ada.access)).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(!file.exists(), "the file is removed with the post");
    assert!(attachment::Entity::find_by_id(id).one(&app.state.db).await.expect("a query").is_none());
    let response = app.get(&format!("/posts/{post_id}/attachments/{id}"), None).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.json(), json!({"detail": "Post not found"}));
}

async fn an_attachment_is_only_found_under_its_post(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    let first = app.post(&ada, "first").await["id"].as_i64().expect("id");
    let second = app.post(&ada, "second").await["id"].as_i64().expect("id");
    let id =
        app.upload(Some(&ada.access), first, "a.txt", "text/plain", b"hello").await.json()["id"].as_i64().expect("id");
    for path in [format!("/posts/{second}/attachments/{id}"), format!("/posts/{first}/attachments/987654")] {
        let response = app.get(&path, None).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(response.json(), json!({"detail": "Attachment not found"}));
    }
}

/// moto's S3-compatible server on a free port, stopped when dropped.
struct S3Server {
    child: Child,
    endpoint: String,
}

impl S3Server {
    fn start() -> S3Server {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let python = std::env::var("BLOG_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let install = format!(
            "the S3 tests run moto's S3-compatible server; install it with `{python} -m pip install \"moto[server]\"` \
             (or set BLOG_TEST_PYTHON to a Python that has it)"
        );
        let mut child = Command::new(&python)
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run `{python}` ({e}); {install}"));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    std::io::Read::read_to_string(&mut pipe, &mut stderr).ok();
                }
                panic!("moto's server exited ({status}): {}\n{install}", stderr.trim());
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            assert!(Instant::now() < deadline, "moto's server did not listen on port {port} within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        S3Server { child, endpoint: format!("http://127.0.0.1:{port}") }
    }

    /// Creates a bucket (moto takes unsigned requests).
    async fn create_bucket(&self, name: &str) {
        let address = self.endpoint.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(address).await.expect("moto answers");
        let request =
            format!("PUT /{name} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("a request");
        let mut response = String::new();
        stream.read_to_string(&mut response).await.expect("a response");
        assert!(response.starts_with("HTTP/1.1 200"), "creating the bucket: {response}");
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

async fn the_s3_backend_stores_attachments(backend: Backend) {
    let s3 = S3Server::start();
    s3.create_bucket("blog-attachments").await;
    let app = TestApp::with_vars(
        backend,
        &[
            ("STORAGE_BACKEND", "s3"),
            ("S3_BUCKET", "blog-attachments"),
            ("S3_ENDPOINT", &s3.endpoint),
            ("S3_REGION", "us-east-1"),
            ("S3_ACCESS_KEY_ID", "testing"),
            ("S3_SECRET_ACCESS_KEY", "testing"),
            ("S3_ALLOW_HTTP", "true"),
        ],
    )
    .await;
    let ada = app.user("ada@example.com").await;
    let post_id = app.post(&ada, "p").await["id"].as_i64().expect("id");
    let response = app.upload(Some(&ada.access), post_id, "notes.txt", "text/plain", b"stored in S3").await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let id = response.json()["id"].as_i64().expect("id");

    let response = app.get(&format!("/posts/{post_id}/attachments/{id}"), None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.bytes, b"stored in S3");
    assert_eq!(response.header("content-type"), Some("text/plain"));

    // The object is in the bucket, not in the local folder.
    let key = object_key(&app, id).await;
    let path = object_store::path::Path::from(key.as_str());
    let meta = app.state.storage.head(&path).await.expect("the object is in the bucket");
    assert_eq!(meta.size, 12);
    assert!(!app.storage.path().join(&key).exists());

    assert_eq!(
        app.call(Method::DELETE, &format!("/posts/{post_id}"), Some(&ada.access)).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(matches!(app.state.storage.head(&path).await, Err(object_store::Error::NotFound { .. })));
}
