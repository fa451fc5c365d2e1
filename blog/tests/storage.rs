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
use tokio::sync::mpsc;

on_every_backend!(
    an_attachment_is_uploaded_listed_and_downloaded,
    uploads_over_the_size_limit_are_413,
    types_outside_the_allowed_list_are_415,
    an_upload_without_a_file_is_422,
    attachments_are_removed_with_their_post,
    an_attachment_is_only_found_under_its_post,
    the_s3_backend_stores_attachments,
    downloads_are_streamed,
    no_file_outlives_a_cleanup,
    uploads_stop_at_the_quota,
    a_multipart_body_without_a_boundary_is_400_not_415,
    uploads_past_the_concurrency_bound_are_503,
    one_user_cannot_hold_every_upload_slot,
    an_upload_that_cannot_fit_is_refused_before_its_body_is_read,
    attachments_per_post_are_limited,
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
    // So is the post's folder, now empty; the storage folder itself stays.
    let folder = file.parent().expect("the post's folder");
    assert!(!folder.exists(), "{} is left behind", folder.display());
    assert!(app.storage.path().is_dir());
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

async fn downloads_are_streamed(backend: Backend) {
    let app = TestApp::with_vars(backend, &[("MAX_UPLOAD_BYTES", "4194304")]).await;
    let ada = app.user("ada@example.com").await;
    let post_id = app.post(&ada, "p").await["id"].as_i64().expect("id");
    let text: Vec<u8> = (0..3_000_000u32).map(|n| b'a' + u8::try_from(n % 26).expect("a letter")).collect();
    let response = app.upload(Some(&ada.access), post_id, "big.txt", "text/plain", &text).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let id = response.json()["id"].as_i64().expect("id");

    let request = Request::get(format!("/posts/{post_id}/attachments/{id}")).body(Body::empty()).expect("a request");
    let response = tower::ServiceExt::oneshot(app.router.clone(), request).await.expect("the router never fails");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("content-length").and_then(|v| v.to_str().ok()), Some("3000000"));
    // The body arrives in pieces as the store reads them, never as one buffer of the whole file.
    let mut body = response.into_body();
    let (mut frames, mut bytes, mut largest) = (0, Vec::new(), 0);
    while let Some(frame) = http_body_util::BodyExt::frame(&mut body).await {
        let data = frame.expect("a frame").into_data().expect("data");
        frames += 1;
        largest = largest.max(data.len());
        bytes.extend_from_slice(&data);
    }
    assert_eq!(bytes, text);
    assert!(frames > 1 && largest < text.len(), "{frames} frames, the largest {largest} bytes");
}

/// Every file under the storage folder's `posts/`.
fn stored_files(root: &std::path::Path) -> Vec<String> {
    fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if let Ok(relative) = path.strip_prefix(root) {
                out.push(relative.display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(&root.join("posts"), root, &mut out);
    out.sort();
    out
}

/// Every folder under the storage folder's `posts/`.
fn stored_folders(root: &std::path::Path) -> Vec<String> {
    fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                if let Ok(relative) = path.strip_prefix(root) {
                    out.push(relative.display().to_string());
                }
                walk(&path, root, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root.join("posts"), root, &mut out);
    out.sort();
    out
}

async fn no_file_outlives_a_cleanup(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    // Uploads racing the deletion of their post, as a client that deletes while another
    // uploads would make them.
    for n in 0..8 {
        let post_id = app.post(&ada, &format!("p{n}")).await["id"].as_i64().expect("id");
        let path = format!("/posts/{post_id}");
        let (upload, delete) = tokio::join!(
            app.upload(Some(&ada.access), post_id, "a.txt", "text/plain", b"racing"),
            app.call(Method::DELETE, &path, Some(&ada.access)),
        );
        assert!(matches!(upload.status.as_u16(), 201 | 404), "upload answered {}: {}", upload.status, upload.text());
        assert_eq!(delete.status, StatusCode::NO_CONTENT);
    }
    // An upload cut short between storing its file and recording it (a timeout, a crash)
    // leaves a file no row names.
    let kept = app.post(&ada, "kept").await["id"].as_i64().expect("id");
    let kept_upload = app.upload(Some(&ada.access), kept, "k.txt", "text/plain", b"kept").await;
    assert_eq!(kept_upload.status, StatusCode::CREATED);
    let orphan = object_store::path::Path::from(format!("posts/{kept}/0123456789abcdef0123456789abcdef"));
    app.state.storage.put(&orphan, b"cut short".to_vec().into()).await.expect("stored");

    // Just after, the cleanup leaves young files alone: an upload may still be recording them.
    let report = blog::maintenance::run_once(&app.state, chrono::Utc::now()).await.expect("runs");
    assert_eq!(report.orphaned_files, 0);
    assert!(app.storage.path().join(orphan.as_ref()).is_file());

    // Once any request that wrote them is over, no file that no attachment names survives.
    let later = chrono::Utc::now() + chrono::Duration::seconds(61);
    blog::maintenance::run_once(&app.state, later).await.expect("runs");
    let rows: Vec<String> = attachment::Entity::find()
        .all(&app.state.db)
        .await
        .expect("a query")
        .into_iter()
        .map(|a| a.object_key)
        .collect();
    let files = stored_files(app.storage.path());
    assert_eq!(files, rows, "files on disk against attachment rows");
    assert_eq!(rows.len(), 1, "only the kept attachment: {rows:?}");
    // Nor does a folder: the deleted posts' went with their last file.
    assert_eq!(stored_folders(app.storage.path()), [format!("posts/{kept}")]);
    assert_eq!(app.get(&format!("/posts/{kept}/attachments/{}", kept_upload.json()["id"]), None).await.bytes, b"kept");
}

async fn uploads_stop_at_the_quota(backend: Backend) {
    // Room for the six uploads at once below.
    let room = [("UPLOAD_QUOTA_BYTES", "30"), ("UPLOAD_CONCURRENCY", "8"), ("UPLOADS_PER_USER", "8")];
    let app = TestApp::with_vars(backend, &room).await;
    let ada = app.user("ada@example.com").await;
    let bob = app.user("bob@example.com").await;
    let first = app.post(&ada, "first").await["id"].as_i64().expect("id");
    let second = app.post(&ada, "second").await["id"].as_i64().expect("id");
    assert_eq!(
        app.upload(Some(&ada.access), first, "a.txt", "text/plain", &[b'a'; 20]).await.status,
        StatusCode::CREATED
    );
    // The quota counts every post of the author.
    let response = app.upload(Some(&ada.access), second, "b.txt", "text/plain", &[b'b'; 11]).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        response.json(),
        json!({"detail": "Storage quota exceeded: 20 of 30 bytes are used; delete attachments to make room"})
    );
    assert_eq!(
        app.upload(Some(&ada.access), second, "c.txt", "text/plain", &[b'c'; 10]).await.status,
        StatusCode::CREATED
    );

    // Many uploads at once cannot all slip under the quota.
    let bobs = app.post(&bob, "bob's").await["id"].as_i64().expect("id");
    let names: Vec<String> = (0..6).map(|n| format!("{n}.txt")).collect();
    let uploads = names.iter().map(|name| app.upload(Some(&bob.access), bobs, name, "text/plain", &[b'x'; 10]));
    let statuses: Vec<u16> = futures_util::future::join_all(uploads).await.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 413).count(), 3, "{statuses:?}");
    // Refused uploads leave no file behind.
    let files = stored_files(app.storage.path());
    assert_eq!(files.len(), 5, "{files:?}");
}

async fn a_multipart_body_without_a_boundary_is_400_not_415(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    let post_id = app.post(&ada, "p").await["id"].as_i64().expect("id");
    let body = "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
                Content-Type: text/plain\r\n\r\nhi\r\n--XX--\r\n";
    for content_type in ["multipart/form-data", "Multipart/Form-Data; charset=utf-8"] {
        let request = Request::post(format!("/posts/{post_id}/attachments"))
            .header("authorization", format!("Bearer {}", ada.access))
            .header("content-type", content_type)
            .body(Body::from(body))
            .expect("a request");
        let response = app.send(request).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{content_type}");
        assert_eq!(response.json(), json!({"detail": "Invalid multipart body: missing boundary"}));
    }
}

/// A multipart upload of the field `file` whose body arrives through the returned sender, one
/// chunk at a time (nothing is sent until the test sends it).
fn streamed_upload(
    token: &str,
    post_id: i64,
    content_length: Option<u64>,
) -> (Request<Body>, mpsc::Sender<Result<Vec<u8>, std::io::Error>>) {
    let (sender, receiver) = mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let chunks = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    let mut request = Request::post(format!("/posts/{post_id}/attachments"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "multipart/form-data; boundary=stream");
    if let Some(length) = content_length {
        request = request.header("content-length", length);
    }
    (request.body(Body::from_stream(chunks)).expect("a request"), sender)
}

const STREAM_HEAD: &[u8] =
    b"--stream\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.txt\"\r\nContent-Type: text/plain\r\n\r\n";

async fn uploads_past_the_concurrency_bound_are_503(backend: Backend) {
    let app = TestApp::with_vars(backend, &[("UPLOAD_CONCURRENCY", "1")]).await;
    let ada = app.user("ada@example.com").await;
    let post_id = app.post(&ada, "p").await["id"].as_i64().expect("id");
    let patience = Duration::from_secs(10);

    // A slow upload: once its second chunk is taken, the handler is reading its body.
    let (request, sender) = streamed_upload(&ada.access, post_id, None);
    let slow = tokio::spawn(tower::ServiceExt::oneshot(app.router.clone(), request));
    for chunk in [STREAM_HEAD.to_vec(), b"slow ".to_vec(), b"bytes".to_vec()] {
        tokio::time::timeout(patience, sender.send(Ok(chunk))).await.expect("the body is read").expect("sent");
    }

    // Meanwhile another user's upload is turned away at once, before its body is read.
    let bob = app.user("bob@example.com").await;
    let bobs = app.post(&bob, "q").await["id"].as_i64().expect("id");
    let response = app.upload(Some(&bob.access), bobs, "b.txt", "text/plain", b"busy").await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE, "{}", response.text());
    assert_eq!(response.header("retry-after"), Some("1"));
    assert_eq!(response.json(), json!({"detail": "Too many uploads at once; try again shortly"}));

    tokio::time::timeout(patience, sender.send(Ok(b"\r\n--stream--\r\n".to_vec()))).await.expect("read").expect("sent");
    drop(sender);
    let slow = tokio::time::timeout(patience, slow).await.expect("answered").expect("a task").expect("infallible");
    assert_eq!(slow.status(), StatusCode::CREATED);
    // The slot is free again.
    let response = app.upload(Some(&ada.access), post_id, "c.txt", "text/plain", b"after").await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
}

/// Four slow uploads of one account held every slot (the default) for the request timeout,
/// and no one else could upload. A user has `UPLOADS_PER_USER` (1) of them at most.
async fn one_user_cannot_hold_every_upload_slot(backend: Backend) {
    let app = TestApp::with_vars(backend, &[("UPLOAD_CONCURRENCY", "2")]).await;
    let (ada, bob) = (app.user("ada@example.com").await, app.user("bob@example.com").await);
    let adas = app.post(&ada, "p").await["id"].as_i64().expect("id");
    let bobs = app.post(&bob, "q").await["id"].as_i64().expect("id");
    let patience = Duration::from_secs(10);

    let (request, sender) = streamed_upload(&ada.access, adas, None);
    let slow = tokio::spawn(tower::ServiceExt::oneshot(app.router.clone(), request));
    for chunk in [STREAM_HEAD.to_vec(), b"slow ".to_vec(), b"bytes".to_vec()] {
        tokio::time::timeout(patience, sender.send(Ok(chunk))).await.expect("the body is read").expect("sent");
    }
    let response = app.upload(Some(&ada.access), adas, "b.txt", "text/plain", b"more").await;
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS, "{}", response.text());
    assert_eq!(response.header("retry-after"), Some("1"));
    assert_eq!(response.json(), json!({"detail": "Too many uploads of yours at once; wait for one to finish"}));
    // The other slot is someone else's to take.
    let response = app.upload(Some(&bob.access), bobs, "c.txt", "text/plain", b"mine").await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());

    tokio::time::timeout(patience, sender.send(Ok(b"\r\n--stream--\r\n".to_vec()))).await.expect("read").expect("sent");
    drop(sender);
    let slow = tokio::time::timeout(patience, slow).await.expect("answered").expect("a task").expect("infallible");
    assert_eq!(slow.status(), StatusCode::CREATED);
    let response = app.upload(Some(&ada.access), adas, "d.txt", "text/plain", b"after").await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
}

async fn an_upload_that_cannot_fit_is_refused_before_its_body_is_read(backend: Backend) {
    let app = TestApp::with_vars(backend, &[("UPLOAD_QUOTA_BYTES", "1000")]).await;
    let ada = app.user("ada@example.com").await;
    let post_id = app.post(&ada, "p").await["id"].as_i64().expect("id");
    let patience = Duration::from_secs(10);
    let refused =
        json!({"detail": "Storage quota exceeded: 0 of 1000 bytes are used; delete attachments to make room"});

    // Its length says it cannot fit: answered without waiting for a byte of it.
    let (request, sender) = streamed_upload(&ada.access, post_id, Some(200_000));
    let response = tokio::time::timeout(patience, tower::ServiceExt::oneshot(app.router.clone(), request))
        .await
        .expect("answered before the body is sent")
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let bytes = http_body_util::BodyExt::collect(response.into_body()).await.expect("a body").to_bytes();
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&bytes).expect("JSON"), refused);
    drop(sender);

    // Without a length: refused once what was read is past the free part of the quota, without
    // reading the rest.
    let (request, sender) = streamed_upload(&ada.access, post_id, None);
    let upload = tokio::spawn(tower::ServiceExt::oneshot(app.router.clone(), request));
    sender.send(Ok(STREAM_HEAD.to_vec())).await.expect("sent");
    sender.send(Ok(vec![b'x'; 2000])).await.expect("sent");
    let response =
        tokio::time::timeout(patience, upload).await.expect("answered").expect("a task").expect("infallible");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    drop(sender);
    assert!(stored_files(app.storage.path()).is_empty());
}

async fn attachments_per_post_are_limited(backend: Backend) {
    let room = [("MAX_ATTACHMENTS_PER_POST", "3"), ("UPLOAD_CONCURRENCY", "16"), ("UPLOADS_PER_USER", "16")];
    let app = TestApp::with_vars(backend, &room).await;
    let ada = app.user("ada@example.com").await;
    let post_id = app.post(&ada, "p").await["id"].as_i64().expect("id");
    let limited = json!({"detail": "Too many attachments: a post may have at most 3; delete one to make room"});
    // Empty files cost no quota, but each is a row, an object and a line of the post's page.
    for n in 0..3 {
        let response = app.upload(Some(&ada.access), post_id, &format!("{n}.txt"), "text/plain", b"").await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    }
    let response = app.upload(Some(&ada.access), post_id, "3.txt", "text/plain", b"").await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.json(), limited);
    assert_eq!(
        app.get(&format!("/posts/{post_id}"), None).await.json()["attachments"].as_array().map(Vec::len),
        Some(3)
    );

    // Many uploads at once cannot all slip under the limit.
    let other = app.post(&ada, "other").await["id"].as_i64().expect("id");
    let names: Vec<String> = (0..8).map(|n| format!("{n}.txt")).collect();
    let uploads = names.iter().map(|name| app.upload(Some(&ada.access), other, name, "text/plain", b""));
    let responses = futures_util::future::join_all(uploads).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 3, "{statuses:?}");
    for response in responses.iter().filter(|r| r.status != StatusCode::CREATED) {
        assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(response.json(), limited);
    }
    assert_eq!(stored_files(app.storage.path()).len(), 6);
}

/// Deleting the last file of a post's folder removes the folder, while an upload may be
/// storing a file into that same folder: the upload is kept, and what is left empty goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_racing_the_removal_of_its_folder_is_kept() {
    use blog::storage::client;
    let root = tempfile::tempdir().expect("a folder");
    let vars = blog::config::Vars::from_pairs([("STORAGE_PATH", root.path().display().to_string())]);
    let config = blog::storage::config::StorageConfig::from_vars(&vars).expect("valid settings");
    let store = client::build(&config).expect("the local store");
    let store = store.as_ref();
    let folder = root.path().join("posts/7");
    for round in 0..200 {
        let (old, new) = (format!("posts/7/old-{round}"), format!("posts/7/new-{round}"));
        client::put(store, &old, b"old".to_vec()).await.expect("stored");
        let (deleted, stored) = tokio::join!(client::delete(store, &old), client::put(store, &new, b"new".to_vec()));
        deleted.expect("deleted");
        stored.expect("stored");
        assert!(folder.join(format!("new-{round}")).is_file(), "round {round}: the upload was lost");
        assert!(!folder.join(format!("old-{round}")).exists(), "round {round}");
        client::delete(store, &new).await.expect("deleted");
        assert!(!folder.exists(), "round {round}: the empty folder is left behind");
    }
    // The storage folder itself is never removed.
    assert!(root.path().is_dir());
    assert_eq!(std::fs::read_dir(root.path()).expect("readable").count(), 0);
}
