//! The posts routes through the HTTP layer, on SQLite and PostgreSQL: CRUD, pagination and
//! the author filter, owner-only changes (tried by another user and by nobody), and the
//! FastAPI error shapes for missing and invalid input.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use blog::posts::models::post;
use std::time::Duration;

use common::{Backend, TestApp, TestDb, times};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tower::ServiceExt;

on_every_backend!(
    a_post_is_created_read_edited_and_deleted,
    lists_are_paginated_newest_first,
    lists_filter_by_author,
    list_parameters_are_validated,
    another_user_cannot_change_or_delete_a_post,
    anonymous_users_cannot_write,
    missing_posts_are_404,
    invalid_posts_are_422_with_field_errors,
    bodies_over_the_limit_are_413,
    unknown_routes_and_methods_answer_like_fastapi,
    a_huge_page_number_is_422_not_a_dropped_connection,
    an_edit_racing_a_delete_is_404,
    control_characters_in_posts_are_422_not_500,
    concurrent_deletes_of_one_post_answer_204_once,
    a_path_segment_that_is_not_utf8_is_named,
    large_pages_left_unread_hold_no_more_than_the_response_memory,
    a_request_that_finds_every_connection_busy_is_503,
    an_account_past_its_writes_per_minute_is_429,
);

/// One account cannot write as fast as the service takes requests: past `WRITES_PER_MINUTE`
/// its creations, edits, deletions and uploads are 429 with `Retry-After`, before the
/// database is asked; other accounts and reads go on, and anonymous writes stay 401.
async fn an_account_past_its_writes_per_minute_is_429(backend: Backend) {
    let app = TestApp::with_vars(backend, &[("WRITES_PER_MINUTE", "3")]).await;
    let (ada, bob) = (app.user("ada@example.com").await, app.user("bob@example.com").await);
    let first = app.post(&ada, "one").await;
    let id = first["id"].as_i64().expect("an id");
    app.post(&ada, "two").await;
    let path = format!("/posts/{id}");
    let edited = app.json(Method::PATCH, &path, Some(&ada.access), &json!({"title": "three"})).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());

    let limited = [
        app.json(Method::POST, "/posts", Some(&ada.access), &json!({"title": "four", "body": "b"})).await,
        app.json(Method::PATCH, &path, Some(&ada.access), &json!({"title": "five"})).await,
        app.call(Method::DELETE, &path, Some(&ada.access)).await,
        app.upload(Some(&ada.access), id, "a.txt", "text/plain", b"bytes").await,
    ];
    for response in &limited {
        assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS, "{}", response.text());
        let wait: u64 = response.header("retry-after").expect("Retry-After").parse().expect("seconds");
        assert!((1..=60).contains(&wait), "{wait}");
        assert_eq!(response.json(), json!({"detail": "Too many changes from this account; try again later"}));
    }
    assert_eq!(app.get(&path, None).await.json()["title"], "three", "nothing past the limit was written");
    assert_eq!(app.get("/posts", None).await.json()["total"], 2);

    app.post(&bob, "bob's").await;
    let anonymous = app.json(Method::POST, "/posts", None, &json!({"title": "t", "body": "b"})).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

async fn a_post_is_created_read_edited_and_deleted(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    let response =
        app.json(Method::POST, "/posts", Some(&ada.access), &json!({"title": "  Hello  ", "body": "First."})).await;
    assert_eq!(response.status, StatusCode::CREATED);
    let created = response.json();
    let id = created["id"].as_i64().expect("an id");
    assert_eq!(
        times(created, &["created_at", "updated_at"]),
        json!({"id": id, "author_id": ada.id, "title": "Hello", "body": "First.", "created_at": "<time>", "updated_at": "<time>"})
    );

    let response = app.get(&format!("/posts/{id}"), None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        times(response.json(), &["created_at", "updated_at"]),
        json!({"id": id, "author_id": ada.id, "title": "Hello", "body": "First.", "created_at": "<time>", "updated_at": "<time>", "attachments": []})
    );

    let response =
        app.json(Method::PATCH, &format!("/posts/{id}"), Some(&ada.access), &json!({"body": "Edited."})).await;
    assert_eq!(response.status, StatusCode::OK);
    let edited = response.json();
    assert!(edited["updated_at"].as_str() >= edited["created_at"].as_str());
    assert_eq!(
        times(edited, &["created_at", "updated_at"]),
        json!({"id": id, "author_id": ada.id, "title": "Hello", "body": "Edited.", "created_at": "<time>", "updated_at": "<time>"})
    );

    let response = app.call(Method::DELETE, &format!("/posts/{id}"), Some(&ada.access)).await;
    assert_eq!(response.status, StatusCode::NO_CONTENT);
    assert!(response.bytes.is_empty());
    assert_eq!(app.get(&format!("/posts/{id}"), None).await.status, StatusCode::NOT_FOUND);
}

fn titles(page: &Value) -> Vec<&str> {
    page["items"].as_array().expect("items").iter().map(|p| p["title"].as_str().expect("a title")).collect()
}

async fn lists_are_paginated_newest_first(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    for n in 1..=5 {
        app.post(&ada, &format!("post {n}")).await;
    }
    let response = app.get("/posts?page=1&size=2", None).await;
    assert_eq!(response.status, StatusCode::OK);
    let page = response.json();
    assert_eq!(titles(&page), ["post 5", "post 4"]);
    assert_eq!(
        (&page["total"], &page["page"], &page["size"], &page["pages"]),
        (&json!(5), &json!(1), &json!(2), &json!(3))
    );
    assert_eq!(titles(&app.get("/posts?page=3&size=2", None).await.json()), ["post 1"]);
    let past_the_end = app.get("/posts?page=4&size=2", None).await.json();
    assert_eq!(past_the_end, json!({"items": [], "total": 5, "page": 4, "size": 2, "pages": 3}));
    let default = app.get("/posts", None).await.json();
    assert_eq!((&default["page"], &default["size"], &default["pages"]), (&json!(1), &json!(50), &json!(1)));
}

async fn lists_filter_by_author(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    let bob = app.user("bob@example.com").await;
    app.post(&ada, "ada 1").await;
    app.post(&bob, "bob 1").await;
    app.post(&ada, "ada 2").await;
    let page = app.get(&format!("/posts?author_id={}", ada.id), None).await.json();
    assert_eq!(titles(&page), ["ada 2", "ada 1"]);
    assert_eq!(page["total"], 2);
    let page = app.get(&format!("/posts?author_id={}&size=1", bob.id), None).await.json();
    assert_eq!(titles(&page), ["bob 1"]);
    assert_eq!(
        app.get("/posts?author_id=987654", None).await.json(),
        json!({"items": [], "total": 0, "page": 1, "size": 50, "pages": 0})
    );
}

async fn list_parameters_are_validated(backend: Backend) {
    let app = TestApp::new(backend).await;
    let response = app.get("/posts?page=0&size=500&author_id=x", None).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.json(),
        json!({"detail": [
            {"type": "greater_than_equal", "loc": ["query", "page"], "msg": "Input should be greater than or equal to 1", "input": "0"},
            {"type": "less_than_equal", "loc": ["query", "size"], "msg": "Input should be less than or equal to 100", "input": "500"},
            {"type": "int_parsing", "loc": ["query", "author_id"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "x"},
        ]})
    );
}

async fn another_user_cannot_change_or_delete_a_post(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    let eve = app.user("eve@example.com").await;
    let post = app.post(&ada, "Ada's").await;
    let path = format!("/posts/{}", post["id"]);

    let response = app.json(Method::PATCH, &path, Some(&eve.access), &json!({"title": "pwned"})).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_eq!(response.json(), json!({"detail": "Not the author of this post"}));
    let response = app.call(Method::DELETE, &path, Some(&eve.access)).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_eq!(response.json(), json!({"detail": "Not the author of this post"}));
    let response = app.upload(Some(&eve.access), post["id"].as_i64().expect("id"), "x.txt", "text/plain", b"x").await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);

    // Nothing changed.
    let after = app.get(&path, None).await.json();
    assert_eq!(after["title"], "Ada's");
    assert_eq!(after["attachments"], json!([]));
}

async fn anonymous_users_cannot_write(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    let post = app.post(&ada, "Ada's").await;
    let path = format!("/posts/{}", post["id"]);
    for response in [
        app.json(Method::POST, "/posts", None, &json!({"title": "t", "body": "b"})).await,
        app.json(Method::PATCH, &path, None, &json!({"title": "t"})).await,
        app.call(Method::DELETE, &path, None).await,
        // Authentication comes first: the post's existence is not revealed.
        app.call(Method::DELETE, "/posts/987654", None).await,
    ] {
        assert_eq!(response.status, StatusCode::UNAUTHORIZED);
        assert_eq!(response.json(), json!({"detail": "Not authenticated"}));
    }
}

async fn missing_posts_are_404(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    for response in [
        app.get("/posts/987654", None).await,
        app.json(Method::PATCH, "/posts/987654", Some(&ada.access), &json!({"title": "t"})).await,
        app.call(Method::DELETE, "/posts/987654", Some(&ada.access)).await,
    ] {
        assert_eq!(response.status, StatusCode::NOT_FOUND);
        assert_eq!(response.json(), json!({"detail": "Post not found"}));
    }
    let response = app.get("/posts/abc", None).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.json(),
        json!({"detail": [{"type": "int_parsing", "loc": ["path", "id"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "abc"}]})
    );
}

async fn invalid_posts_are_422_with_field_errors(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    let token = Some(ada.access.as_str());

    let response = app.json(Method::POST, "/posts", token, &json!({"title": "   ", "body": "x".repeat(100_001)})).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    let detail = response.json()["detail"].clone();
    assert_eq!(
        detail[0],
        json!({"type": "string_too_short", "loc": ["body", "title"], "msg": "String should have at least 1 character", "input": "   "})
    );
    assert_eq!(
        (&detail[1]["type"], &detail[1]["loc"], &detail[1]["msg"]),
        (&json!("string_too_long"), &json!(["body", "body"]), &json!("String should have at most 100000 characters"))
    );

    let response = app.json(Method::POST, "/posts", token, &json!({"title": "t"})).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.json(),
        json!({"detail": [{"type": "missing", "loc": ["body", "body"], "msg": "Field required", "input": {"title": "t"}}]})
    );

    let response = app.json(Method::POST, "/posts", token, &json!({"title": ["t"], "body": "b"})).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.json(),
        json!({"detail": [{"type": "string_type", "loc": ["body", "title"], "msg": "Input should be a valid string", "input": ["t"]}]})
    );

    let request = Request::post("/posts")
        .header("authorization", format!("Bearer {}", ada.access))
        .header("content-type", "application/json")
        .body(Body::from("{\"title\": "))
        .expect("a request");
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.json(),
        json!({"detail": [{"type": "json_invalid", "loc": ["body", 10], "msg": "JSON decode error", "input": {}}]})
    );

    let request = Request::post("/posts")
        .header("authorization", format!("Bearer {}", ada.access))
        .header("content-type", "text/plain")
        .body(Body::from("hello"))
        .expect("a request");
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(response.json(), json!({"detail": "Content-Type must be application/json"}));

    let post = app.post(&ada, "p").await;
    let response = app.json(Method::PATCH, &format!("/posts/{}", post["id"]), token, &json!({"title": ""})).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.json(),
        json!({"detail": [{"type": "string_too_short", "loc": ["body", "title"], "msg": "String should have at least 1 character", "input": ""}]})
    );
}

async fn bodies_over_the_limit_are_413(backend: Backend) {
    let app = TestApp::with_vars(backend, &[("MAX_BODY_BYTES", "1024")]).await;
    let ada = app.user("ada@example.com").await;
    let response =
        app.json(Method::POST, "/posts", Some(&ada.access), &json!({"title": "t", "body": "x".repeat(2000)})).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.json(), json!({"detail": "Request body too large"}));
}

async fn unknown_routes_and_methods_answer_like_fastapi(backend: Backend) {
    let app = TestApp::new(backend).await;
    let response = app.get("/nope", None).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.json(), json!({"detail": "Not Found"}));
    let response = app.call(Method::PUT, "/posts", None).await;
    assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.json(), json!({"detail": "Method Not Allowed"}));
    // Every response carries a request id.
    assert!(response.header("x-request-id").is_some_and(|id| !id.is_empty()));
}

async fn a_huge_page_number_is_422_not_a_dropped_connection(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    app.post(&ada, "one").await;
    for page in ["9223372036854775807", "18446744073709551615", "1000000001"] {
        let response = app.get(&format!("/posts?page={page}&size=100"), None).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "page={page}");
        assert_eq!(
            response.json(),
            json!({"detail": [{"type": "less_than_equal", "loc": ["query", "page"], "msg": "Input should be less than or equal to 1000000000", "input": page}]})
        );
    }
    // The deepest page there is answers, empty.
    let response = app.get("/posts?page=1000000000&size=100", None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json(), json!({"items": [], "total": 1, "page": 1_000_000_000, "size": 100, "pages": 1}));
}

async fn an_edit_racing_a_delete_is_404(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    // Deterministically: the post is read, then deleted, then written.
    let id = app.post(&ada, "doomed").await["id"].as_i64().expect("an id");
    let stale = post::Entity::find_by_id(id).one(&app.state.db).await.expect("a query").expect("the post");
    post::Entity::delete_by_id(id).exec(&app.state.db).await.expect("deleted");
    let result = blog::posts::service::update_post(&app.state.db, stale, Some("too late"), None).await;
    assert!(matches!(result, Err(blog::posts::service::PostsError::PostNotFound)), "{result:?}");

    // Through the API, many times over: every answer is 200, 204 or 404, never 500.
    for n in 0..100 {
        let id = app.post(&ada, &format!("race {n}")).await["id"].as_i64().expect("an id");
        let path = format!("/posts/{id}");
        let edited = json!({"title": "edited"});
        let (edit, delete) = tokio::join!(
            app.json(Method::PATCH, &path, Some(&ada.access), &edited),
            app.call(Method::DELETE, &path, Some(&ada.access)),
        );
        assert!(matches!(edit.status.as_u16(), 200 | 404), "PATCH answered {}: {}", edit.status, edit.text());
        if edit.status == StatusCode::NOT_FOUND {
            assert_eq!(edit.json(), json!({"detail": "Post not found"}));
        }
        assert!(matches!(delete.status.as_u16(), 204 | 404), "DELETE answered {}", delete.status);
    }
}

async fn control_characters_in_posts_are_422_not_500(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    let token = Some(ada.access.as_str());
    let message = "Value error, control characters other than tab and line breaks are not allowed";

    // PostgreSQL cannot store NUL: before validation this was a 500 there (stored on SQLite).
    let response = app.json(Method::POST, "/posts", token, &json!({"title": "a\u{0}b", "body": "x\u{1}y"})).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", response.text());
    assert_eq!(
        response.json(),
        json!({"detail": [
            {"type": "value_error", "loc": ["body", "title"], "msg": message, "input": "a\u{0}b"},
            {"type": "value_error", "loc": ["body", "body"], "msg": message, "input": "x\u{1}y"},
        ]})
    );
    for title in ["\u{7f}", "bell\u{7}", "csi\u{9b}"] {
        let response = app.json(Method::POST, "/posts", token, &json!({"title": title, "body": "b"})).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{title:?}: {}", response.text());
    }

    // Tabs and line breaks are text.
    let response =
        app.json(Method::POST, "/posts", token, &json!({"title": "Tab\there", "body": "line\r\nnext\tcolumn"})).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let id = response.json()["id"].as_i64().expect("an id");

    let path = format!("/posts/{id}");
    let response = app.json(Method::PATCH, &path, token, &json!({"body": "\u{0}"})).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", response.text());
    assert_eq!(
        response.json(),
        json!({"detail": [{"type": "value_error", "loc": ["body", "body"], "msg": message, "input": "\u{0}"}]})
    );
    let response = app.json(Method::PATCH, &path, token, &json!({"title": "t\u{0}"})).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", response.text());
    // Nothing was changed.
    assert_eq!(app.get(&path, None).await.json()["body"], "line\r\nnext\tcolumn");
}

async fn concurrent_deletes_of_one_post_answer_204_once(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    // Deterministically: two requests read the post, then both delete it.
    let id = app.post(&ada, "doomed").await["id"].as_i64().expect("an id");
    let stale = post::Entity::find_by_id(id).one(&app.state.db).await.expect("a query").expect("the post");
    let store = app.state.storage.as_ref();
    blog::posts::service::delete_post(&app.state.db, store, stale.clone()).await.expect("the first delete");
    let result = blog::posts::service::delete_post(&app.state.db, store, stale).await;
    assert!(matches!(result, Err(blog::posts::service::PostsError::PostNotFound)), "{result:?}");

    // Through the API: of eight DELETEs at once, one deleted the post; the others find none.
    for n in 0..10 {
        let path = format!("/posts/{}", app.post(&ada, &format!("race {n}")).await["id"]);
        let deletes = (0..8).map(|_| app.call(Method::DELETE, &path, Some(&ada.access)));
        let responses = futures_util::future::join_all(deletes).await;
        let statuses: Vec<u16> = responses.iter().map(|r| r.status.as_u16()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 204).count(), 1, "{statuses:?}");
        for response in responses.iter().filter(|r| r.status != StatusCode::NO_CONTENT) {
            assert_eq!(response.status, StatusCode::NOT_FOUND);
            assert_eq!(response.json(), json!({"detail": "Post not found"}));
        }
    }
}

async fn a_path_segment_that_is_not_utf8_is_named(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    let id = app.post(&ada, "p").await["id"].as_i64().expect("an id");
    for (path, name, input) in [
        (format!("/posts/{id}/attachments/%FF"), "attachment_id", "%FF"),
        ("/posts/%FF".to_owned(), "id", "%FF"),
        ("/posts/%C3%28/attachments/1".to_owned(), "id", "%C3%28"),
    ] {
        let response = app.get(&path, None).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert_eq!(
            response.json(),
            json!({"detail": [{"type": "int_parsing", "loc": ["path", name], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": input}]}),
            "{path}"
        );
    }
}

/// A client that asks for pages of long posts and reads none of them (a slow reader holds its
/// response the same way) holds at most `RESPONSE_MEMORY_MIB`: past it, large responses are
/// answered 503 with `Retry-After` until the held ones are sent or their connections close.
async fn large_pages_left_unread_hold_no_more_than_the_response_memory(backend: Backend) {
    let app = TestApp::with_vars(backend, &[("RESPONSE_MEMORY_MIB", "1")]).await;
    let ada = app.user("ada@example.com").await;
    let long = "x".repeat(blog::posts::schemas::MAX_BODY_CHARS);
    for n in 0..12 {
        let response = app
            .json(Method::POST, "/posts", Some(&ada.access), &json!({"title": format!("long {n}"), "body": long}))
            .await;
        assert_eq!(response.status, StatusCode::CREATED);
    }
    let page = |size: u32| Request::get(format!("/posts?size={size}")).body(Body::empty()).expect("a request");
    // Over 1 MiB of JSON: it takes the whole budget, and is not read.
    let held = app.router.clone().oneshot(page(12)).await.expect("the router never fails");
    assert_eq!(held.status(), StatusCode::OK);

    let refused = app.send(page(12)).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.header("retry-after"), Some("1"));
    // One long post is over 64 KiB too; a page of short ones is not counted.
    assert_eq!(app.send(page(1)).await.status, StatusCode::SERVICE_UNAVAILABLE);
    let short = app.json(Method::POST, "/posts", Some(&ada.access), &json!({"title": "short", "body": "Short."})).await;
    assert_eq!(app.get(&format!("/posts/{}", short.json()["id"]), None).await.status, StatusCode::OK);

    drop(held);
    let page = app.send(page(12)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.json()["items"].as_array().map(Vec::len), Some(12));
    assert_eq!(page.json()["total"], 13);
}

/// When every pooled connection stays busy (a flood of expensive pages, say) for
/// `DATABASE_POOL_TIMEOUT_SECS`, a request is answered 503 with `Retry-After`: the service is
/// at capacity, not broken (it answered 500 before).
async fn a_request_that_finds_every_connection_busy_is_503(backend: Backend) {
    let app = TestApp::with_vars(backend, &[("DATABASE_POOL_SIZE", "1"), ("DATABASE_POOL_TIMEOUT_SECS", "1")]).await;
    let busy = sea_orm::TransactionTrait::begin(&app.state.db).await.expect("the only connection");
    let response = app.get("/posts/1", None).await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.header("retry-after"), Some("1"));
    assert_eq!(response.json(), json!({"detail": "The database is busy; try again shortly"}));
    assert_eq!(app.get("/posts", None).await.status, StatusCode::SERVICE_UNAVAILABLE);
    busy.rollback().await.expect("given back");
    assert_eq!(app.get("/posts/1", None).await.status, StatusCode::NOT_FOUND);
}

/// A database restart (or an administrator) ends every pooled connection; the first use of
/// each was answered 500, as if the service were broken, and logged as a bug. Each is a 503
/// with `Retry-After` now, and the pool replaces the connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_the_database_ended_are_503_and_replaced() {
    let app = TestApp::new(Backend::Postgres).await;
    let user = app.user("ada@example.com").await;
    let post = app.post(&user, "kept").await;
    let path = format!("/posts/{}", post["id"]);
    // Every pooled connection in use at once, so the pool holds its four.
    let reads = (0..8).map(|_| app.get(&path, None));
    assert!(futures_util::future::join_all(reads).await.iter().all(|r| r.status == StatusCode::OK));

    app.db
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let response = app.get(&path, None).await;
        if response.status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(response.header("retry-after"), Some("1"), "{}", response.text());
            assert_eq!(response.json(), json!({"detail": "The database connection was lost; try again"}));
        }
        statuses.push(response.status.as_u16());
    }
    assert!(statuses.iter().all(|s| [200, 503].contains(s)), "{statuses:?}");
    assert_eq!(statuses[0], 503, "{statuses:?}");
    assert_eq!(statuses.last(), Some(&200), "the pool heals: {statuses:?}");
}

/// The hot path's hand-off over a pool of `size` connections on a database of its own.
async fn hand_off(size: u32) -> (TestDb, sea_orm::DatabaseConnection, blog::db::HotPath) {
    let db = common::database(Backend::Postgres).await;
    let mut options = sea_orm::ConnectOptions::new(db.url.clone());
    options.max_connections(size).acquire_timeout(Duration::from_secs(2)).sqlx_logging(false);
    let pool = sea_orm::Database::connect(options).await.expect("connects");
    let hot = blog::db::HotPath::new(&pool);
    assert!(matches!(hot, blog::db::HotPath::Handoff(_)));
    (db, pool, hot)
}

fn select(sql: &str) -> sea_orm::Statement {
    sea_orm::Statement::from_string(sea_orm::DbBackend::Postgres, sql)
}

async fn number(hot: &blog::db::HotPath, n: i64) -> Result<i64, sea_orm::DbErr> {
    let statement =
        sea_orm::Statement::from_sql_and_values(sea_orm::DbBackend::Postgres, "SELECT $1::bigint AS n", [n.into()]);
    let rows = hot.query_all(statement).await?;
    rows[0].try_get::<i64>("", "n")
}

/// Connections handed from request to request skip the pool, so the pool's own waiters (the
/// routes on SeaORM) could wait forever under load. Each connection goes back into the pool
/// after a few hand-offs: a SeaORM query waiting beside 32 busy requests on two connections is
/// served within the pool's acquire timeout, every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handed_off_connections_leave_the_pool_its_turn() {
    let (_db, pool, hot) = hand_off(2).await;
    let hot = std::sync::Arc::new(hot);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load: Vec<_> = (0..32)
        .map(|worker| {
            let (hot, stop) = (hot.clone(), stop.clone());
            tokio::spawn(async move {
                let mut served = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let n = worker * 1_000_000 + served;
                    assert_eq!(number(&hot, n).await.expect("the load is served"), n);
                    served += 1;
                }
                served
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..20 {
        let row = sea_orm::ConnectionTrait::query_one_raw(&pool, select("SELECT 1 AS one")).await;
        assert!(row.expect("served in its turn, not after the acquire timeout").is_some());
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut served = 0;
    for worker in load {
        served += worker.await.expect("a worker");
    }
    assert!(served > 32, "{served}");
    if let blog::db::HotPath::Handoff(handoff) = hot.as_ref() {
        assert!(handoff.handed_over() > 0, "no connection was handed over");
    }
}

/// A statement that fails, or a request dropped while its statement runs, gives its
/// connection back to the pool (which checks it) rather than to the next request: that one
/// must read its own rows, never the rest of another's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_or_cancelled_statement_does_not_hand_its_connection_over() {
    let (_db, _pool, hot) = hand_off(1).await;
    let error = hot.query_all(select("SELECT no_such_column FROM pg_class")).await.expect_err("fails");
    assert!(error.to_string().contains("no_such_column"), "{error}");
    assert_eq!(number(&hot, 7).await.expect("served"), 7);

    let slow = hot.query_all(select("SELECT pg_sleep(0.5)::text AS slept, 'old' AS n"));
    assert!(tokio::time::timeout(Duration::from_millis(50), slow).await.is_err(), "cancelled");
    let waiting: Vec<_> = (0..8).map(|n| number(&hot, n)).collect();
    let numbers: Vec<i64> =
        futures_util::future::join_all(waiting).await.into_iter().map(|n| n.expect("served")).collect();
    assert_eq!(numbers, (0..8).collect::<Vec<_>>());
}

/// A page is read row by row over a handed-off connection: a stream read to its end hands the
/// connection to the request waiting for it; one dropped after its first row gives it back to
/// the pool, and the requests after it read their own rows, never the rest of the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_read_whole_hands_its_connection_on_one_dropped_early_does_not() {
    use futures_util::StreamExt;
    let (_db, _pool, hot) = hand_off(1).await;
    let hot = std::sync::Arc::new(hot);
    let series = || select("SELECT n::bigint AS n FROM generate_series(1, 20000) AS n");
    let n_of = |row: Option<Result<sea_orm::QueryResult, sea_orm::DbErr>>| {
        row.expect("a row").expect("read").try_get::<i64>("", "n").expect("n")
    };
    let waiting = |hot: &std::sync::Arc<blog::db::HotPath>, count: i64| {
        let hot = hot.clone();
        tokio::spawn(async move {
            let numbers = (0..count).map(|n| number(&hot, n));
            futures_util::future::join_all(numbers).await.into_iter().map(|n| n.expect("served")).collect::<Vec<_>>()
        })
    };
    let handed_over = |hot: &blog::db::HotPath| match hot {
        blog::db::HotPath::Handoff(handoff) => handoff.handed_over(),
        blog::db::HotPath::Pool(_) => unreachable!("PostgreSQL hands off"),
    };

    let mut rows = hot.stream(series());
    assert_eq!(n_of(rows.next().await), 1);
    let after_early_drop = waiting(&hot, 4);
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(rows);
    assert_eq!(after_early_drop.await.expect("waiters"), vec![0, 1, 2, 3]);

    let before = handed_over(&hot);
    let mut rows = hot.stream(series());
    assert_eq!(n_of(rows.next().await), 1);
    let after_whole = waiting(&hot, 1);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut last = 1;
    while let Some(row) = rows.next().await {
        last = row.expect("read").try_get::<i64>("", "n").expect("n");
    }
    drop(rows);
    assert_eq!(last, 20_000);
    assert_eq!(after_whole.await.expect("waiters"), vec![0]);
    assert_eq!(handed_over(&hot) - before, 1, "the connection went back through the pool");
}

/// A request that the pool is opening a connection for is not given a handed-over one instead:
/// that would drop the connection half opened, and under load the pool never grew past two or
/// three of its connections (a third of the requests per second on the benchmark).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_load_the_pool_grows_to_its_size() {
    let (_db, pool, hot) = hand_off(6).await;
    let hot = std::sync::Arc::new(hot);
    let load: Vec<_> = (0..48)
        .map(|worker| {
            let hot = hot.clone();
            tokio::spawn(async move {
                for n in 0..40 {
                    assert_eq!(number(&hot, worker * 1_000 + n).await.expect("served"), worker * 1_000 + n);
                }
            })
        })
        .collect();
    for worker in load {
        worker.await.expect("a worker");
    }
    // Six when every request came while all were busy; two or three opened late would be fine.
    let size = pool.get_postgres_connection_pool().size();
    assert!(size >= 4, "the pool holds {size} of its 6 connections");
}
