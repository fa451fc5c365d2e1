//! The auth routes through the HTTP layer, on SQLite and PostgreSQL: registration, the token
//! endpoint, the current user, refresh rotation and logout, from the user's side and from an
//! attacker's (expired, tampered, forged and revoked tokens, reused refresh tokens, password
//! guessing).

mod common;

use axum::http::{Method, StatusCode};
use base64::Engine;
use blog::auth::models::{refresh_token, user};
use common::{Backend, PASSWORD, SECRET, TestApp, times};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

on_every_backend!(
    registration_returns_the_user,
    registration_refuses_a_taken_email_in_any_case,
    registration_reports_every_invalid_field,
    token_endpoint_follows_the_password_flow,
    wrong_credentials_are_refused_alike,
    current_user_needs_a_valid_token,
    expired_tampered_and_forged_tokens_are_refused,
    refresh_token_works_once,
    reusing_a_refresh_token_revokes_the_user_tokens,
    concurrent_refreshes_with_one_token_succeed_once,
    logout_revokes_the_refresh_token,
    login_attempts_are_rate_limited,
    every_spelling_of_an_account_shares_its_login_budget,
    random_user_names_do_not_get_past_the_client_limit,
    registration_is_rate_limited_per_client,
    one_account_is_limited_across_clients,
    behind_a_trusted_proxy_clients_are_told_apart,
    ipv6_clients_are_limited_per_64,
    hashing_at_capacity_answers_503_with_retry_after,
    a_logged_out_token_replayed_revokes_nothing,
    an_expired_rotated_token_replayed_revokes_nothing,
    the_loser_of_a_concurrent_refresh_revokes_the_family,
    expired_refresh_tokens_are_purged,
    passwords_are_never_echoed_in_errors,
    control_characters_in_names_are_422_not_500,
    bidirectional_controls_in_names_are_422,
);

async fn registration_returns_the_user(backend: Backend) {
    let app = TestApp::new(backend).await;
    let response = app
        .json(
            Method::POST,
            "/auth/register",
            None,
            &json!({"email": " Ada@Example.com ", "password": PASSWORD, "display_name": "Ada"}),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED);
    let body = response.json();
    let id = body["id"].as_i64().expect("an id");
    assert_eq!(
        times(body, &["created_at"]),
        json!({"id": id, "email": "ada@example.com", "display_name": "Ada", "created_at": "<time>"})
    );
}

async fn registration_refuses_a_taken_email_in_any_case(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.user("ada@example.com").await;
    let response = app
        .json(Method::POST, "/auth/register", None, &json!({"email": "ADA@example.com", "password": PASSWORD}))
        .await;
    assert_eq!(response.status, StatusCode::CONFLICT);
    assert_eq!(response.json(), json!({"detail": "A user with this email already exists"}));
}

async fn registration_reports_every_invalid_field(backend: Backend) {
    let app = TestApp::new(backend).await;
    let response =
        app.json(Method::POST, "/auth/register", None, &json!({"email": "not-an-email", "password": "short1"})).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.json(),
        json!({"detail": [
            {"type": "value_error", "loc": ["body", "email"], "msg": "value is not a valid email address", "input": "not-an-email"},
            {"type": "value_error", "loc": ["body", "password"], "msg": "Password should have at least 8 characters", "input": "**********"},
        ]})
    );
    // The password is never echoed, and a missing field is named.
    assert!(!response.text().contains("short1"));
    let response = app.json(Method::POST, "/auth/register", None, &json!({"email": "ada@example.com"})).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.json(),
        json!({"detail": [{"type": "missing", "loc": ["body", "password"], "msg": "Field required", "input": {"email": "ada@example.com"}}]})
    );
}

async fn token_endpoint_follows_the_password_flow(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.user("ada@example.com").await;
    let response = app.login("ADA@example.com", PASSWORD).await;
    assert_eq!(response.status, StatusCode::OK);
    let body = response.json();
    let access = body["access_token"].as_str().expect("an access token");
    let refresh = body["refresh_token"].as_str().expect("a refresh token");
    assert_eq!(
        body,
        json!({"access_token": access, "token_type": "bearer", "refresh_token": refresh, "expires_in": 900})
    );
    assert_eq!(access.split('.').count(), 3, "a JWT");
    assert_ne!(access, refresh);

    // FastAPI's form: both fields required.
    let request = axum::http::Request::post("/auth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from("username=ada%40example.com"))
        .expect("a request");
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.json(),
        json!({"detail": [{"type": "missing", "loc": ["body", "password"], "msg": "Field required", "input": null}]})
    );
}

async fn wrong_credentials_are_refused_alike(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.user("ada@example.com").await;
    for (username, password) in [("ada@example.com", "wrong password 1"), ("nobody@example.com", PASSWORD)] {
        let response = app.login(username, password).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{username}");
        assert_eq!(response.header("www-authenticate"), Some("Bearer"));
        assert_eq!(response.json(), json!({"detail": "Incorrect username or password"}));
    }
}

async fn current_user_needs_a_valid_token(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    let response = app.get("/users/me", Some(&ada.access)).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        times(response.json(), &["created_at"]),
        json!({"id": ada.id, "email": "ada@example.com", "display_name": null, "created_at": "<time>"})
    );

    let response = app.get("/users/me", None).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.header("www-authenticate"), Some("Bearer"));
    assert_eq!(response.json(), json!({"detail": "Not authenticated"}));

    let request = axum::http::Request::get("/users/me")
        .header("authorization", format!("Basic {}", ada.access))
        .body(axum::body::Body::empty())
        .expect("a request");
    assert_eq!(app.send(request).await.json(), json!({"detail": "Not authenticated"}));

    // A refresh token is not an access token.
    let response = app.get("/users/me", Some(&ada.refresh)).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.json(), json!({"detail": "Could not validate credentials"}));
}

fn claims(sub: &str, exp_offset: i64, typ: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"sub": sub, "iat": now, "exp": now + exp_offset, "typ": typ})
}

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret.as_bytes()))
        .expect("signs")
}

fn b64(value: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

async fn expired_tampered_and_forged_tokens_are_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    let eve = app.user("eve@example.com").await;
    // The forging works: a well-made token is accepted.
    let good = sign(&claims(&ada.id.to_string(), 60, "access"), SECRET);
    assert_eq!(app.get("/users/me", Some(&good)).await.status, StatusCode::OK);

    let expired = sign(&claims(&ada.id.to_string(), -1, "access"), SECRET);
    // Eve's token with its payload changed to Ada's id, signature kept.
    let mut parts: Vec<String> = eve.access.split('.').map(str::to_owned).collect();
    parts[1] = b64(&claims(&ada.id.to_string(), 600, "access"));
    let tampered = parts.join(".");
    let other_secret = sign(&claims(&ada.id.to_string(), 60, "access"), "some-other-secret-some-other-secret");
    let unsigned =
        format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), b64(&claims(&ada.id.to_string(), 60, "access")));
    let wrong_type = sign(&claims(&ada.id.to_string(), 60, "refresh"), SECRET);
    let unknown_user = sign(&claims("999999", 60, "access"), SECRET);
    let no_expiry = sign(&json!({"sub": ada.id.to_string(), "typ": "access"}), SECRET);
    for (name, token) in [
        ("expired", expired),
        ("tampered", tampered),
        ("signed with another secret", other_secret),
        ("alg none", unsigned),
        ("another token type", wrong_type),
        ("a user that does not exist", unknown_user),
        ("no expiry", no_expiry),
        ("garbage", "abc.def.ghi".to_owned()),
    ] {
        let response = app.get("/users/me", Some(&token)).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(response.json(), json!({"detail": "Could not validate credentials"}), "{name}");
        let response = app.json(Method::POST, "/posts", Some(&token), &json!({"title": "t", "body": "b"})).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{name}");
    }
}

async fn refresh(app: &TestApp, token: &str) -> common::TestResponse {
    app.json(Method::POST, "/auth/refresh", None, &json!({"refresh_token": token})).await
}

async fn refresh_token_works_once(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    let response = refresh(&app, &ada.refresh).await;
    assert_eq!(response.status, StatusCode::OK);
    let pair = response.json();
    let (access, next) =
        (pair["access_token"].as_str().expect("access"), pair["refresh_token"].as_str().expect("refresh"));
    assert_eq!(pair, json!({"access_token": access, "token_type": "bearer", "refresh_token": next, "expires_in": 900}));
    assert_ne!(next, ada.refresh);
    assert_eq!(app.get("/users/me", Some(access)).await.status, StatusCode::OK);

    let again = refresh(&app, &ada.refresh).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert_eq!(again.json(), json!({"detail": "Invalid refresh token"}));
    let unknown = refresh(&app, "not-a-token").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.json(), json!({"detail": "Invalid refresh token"}));
}

async fn reusing_a_refresh_token_revokes_the_user_tokens(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    let rotated = refresh(&app, &ada.refresh).await.json();
    let newest = rotated["refresh_token"].as_str().expect("refresh").to_owned();
    // Someone replays the old token: every token of the user stops working, the newest too.
    assert_eq!(refresh(&app, &ada.refresh).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refresh(&app, &newest).await.status, StatusCode::UNAUTHORIZED);
    // Logging in again works.
    assert_eq!(app.login(&ada.email, PASSWORD).await.status, StatusCode::OK);
}

async fn concurrent_refreshes_with_one_token_succeed_once(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    let (a, b, c, d) = tokio::join!(
        refresh(&app, &ada.refresh),
        refresh(&app, &ada.refresh),
        refresh(&app, &ada.refresh),
        refresh(&app, &ada.refresh)
    );
    let responses = [a, b, c, d];
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status.as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 401, 401, 401]);
}

async fn the_loser_of_a_concurrent_refresh_revokes_the_family(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    let (a, b) = tokio::join!(refresh(&app, &ada.refresh), refresh(&app, &ada.refresh));
    let winner = [a, b].into_iter().find(|r| r.status == StatusCode::OK).expect("one refresh wins");
    let next = winner.json()["refresh_token"].as_str().expect("a refresh token").to_owned();
    // Two parties held the token: the pair the winner got is revoked too.
    assert_eq!(refresh(&app, &next).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(tokens_of(&app, ada.id).await, 0);
}

/// The user's refresh token rows.
async fn tokens_of(app: &TestApp, user_id: i64) -> u64 {
    refresh_token::Entity::find()
        .filter(refresh_token::Column::UserId.eq(user_id))
        .count(&app.state.db)
        .await
        .expect("a count")
}

async fn a_logged_out_token_replayed_revokes_nothing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    // A second session, on another device.
    let other = app.login(&ada.email, PASSWORD).await.json();
    let other_refresh = other["refresh_token"].as_str().expect("a refresh token").to_owned();
    let response = app.json(Method::POST, "/auth/logout", None, &json!({"refresh_token": ada.refresh})).await;
    assert_eq!(response.status, StatusCode::NO_CONTENT);
    // Whoever finds the logged-out token in a log replays it, again and again.
    for _ in 0..3 {
        assert_eq!(refresh(&app, &ada.refresh).await.status, StatusCode::UNAUTHORIZED);
    }
    // The other session is untouched.
    assert_eq!(refresh(&app, &other_refresh).await.status, StatusCode::OK);
}

async fn an_expired_rotated_token_replayed_revokes_nothing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    let rotated = refresh(&app, &ada.refresh).await.json();
    let newest = rotated["refresh_token"].as_str().expect("refresh").to_owned();
    // The first token was rotated long ago and has expired since.
    let past = chrono::Utc::now() - chrono::Duration::days(30);
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::ExpiresAt, Expr::value(past))
        .filter(refresh_token::Column::RevokedAt.is_not_null())
        .exec(&app.state.db)
        .await
        .expect("an update");
    let replay = refresh(&app, &ada.refresh).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(replay.json(), json!({"detail": "Invalid refresh token"}));
    // Expiry is checked first: the live session goes on.
    assert_eq!(refresh(&app, &newest).await.status, StatusCode::OK);
}

async fn expired_refresh_tokens_are_purged(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    refresh(&app, &ada.refresh).await;
    assert_eq!(tokens_of(&app, ada.id).await, 2, "the rotated token and the new one");
    let report = blog::maintenance::run_once(&app.state, chrono::Utc::now()).await.expect("runs");
    assert_eq!(report.expired_tokens, 0);
    // Fifteen days on (the lifetime is fourteen), nothing is left.
    let later = chrono::Utc::now() + chrono::Duration::days(15);
    let report = blog::maintenance::run_once(&app.state, later).await.expect("runs");
    assert_eq!(report.expired_tokens, 2);
    assert_eq!(tokens_of(&app, ada.id).await, 0);
}

async fn passwords_are_never_echoed_in_errors(backend: Backend) {
    let app = TestApp::new(backend).await;
    let secret = "my very secret password 7";
    let response = app.json(Method::POST, "/auth/register", None, &json!({"password": secret})).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.json(),
        json!({"detail": [{"type": "missing", "loc": ["body", "email"], "msg": "Field required", "input": {"password": "**********"}}]})
    );
    let response = app
        .json(Method::POST, "/auth/register", None, &json!({"email": "ada@example.com", "password": [secret]}))
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!response.text().contains(secret), "{}", response.text());
    let response = app.json(Method::POST, "/auth/refresh", None, &json!({"refresh_token": 5, "note": secret})).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.json()["detail"][0]["input"], json!("**********"));
}

/// A user name nobody registered, different each time.
fn random_name(n: usize) -> String {
    format!("attacker-{n}-{}@example.com", rand_suffix())
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

async fn random_user_names_do_not_get_past_the_client_limit(backend: Backend) {
    let app = TestApp::with_vars(backend, &[("CLIENT_RATE_LIMIT", "5")]).await;
    for n in 0..5 {
        let response = app.login_from("198.51.100.7:40000", None, &random_name(n), "guess number 1").await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let response = app.login_from("198.51.100.7:40001", None, &random_name(5), "guess number 1").await;
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.json(), json!({"detail": "Too many login attempts; try again later"}));
    assert!(response.header("retry-after").is_some());
    // Another client is not affected.
    let response = app.login_from("198.51.100.8:40000", None, &random_name(6), "guess number 1").await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
}

async fn registration_is_rate_limited_per_client(backend: Backend) {
    let app = TestApp::with_vars(backend, &[("CLIENT_RATE_LIMIT", "3")]).await;
    let register = |n: usize| {
        let body = json!({"email": format!("user{n}@example.com"), "password": PASSWORD});
        let mut request = axum::http::Request::post("/auth/register")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body.to_string()))
            .expect("a request");
        let peer: std::net::SocketAddr = "198.51.100.7:40000".parse().expect("an address");
        request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        app.send(request)
    };
    for n in 0..3 {
        assert_eq!(register(n).await.status, StatusCode::CREATED, "registration {n}");
    }
    let response = register(3).await;
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.json(), json!({"detail": "Too many registration attempts; try again later"}));
    assert!(response.header("retry-after").is_some());
}

async fn one_account_is_limited_across_clients(backend: Backend) {
    let app = TestApp::with_vars(backend, &[("LOGIN_RATE_LIMIT", "3")]).await;
    app.user("ada@example.com").await; // One attempt on the account: the login.
    for n in 0..2 {
        let peer = format!("203.0.113.{n}:5000");
        assert_eq!(app.login_from(&peer, None, "ada@example.com", "guess 1").await.status, StatusCode::UNAUTHORIZED);
    }
    // A fresh address changes nothing: the account has used its attempts.
    let response = app.login_from("203.0.113.99:5000", None, "ADA@example.com", PASSWORD).await;
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
}

async fn behind_a_trusted_proxy_clients_are_told_apart(backend: Backend) {
    let app = TestApp::with_vars(backend, &[("CLIENT_RATE_LIMIT", "3"), ("TRUSTED_PROXIES", "10.0.0.0/8")]).await;
    let proxy = "10.0.0.2:443";
    for n in 0..3 {
        let response = app.login_from(proxy, Some("198.51.100.7"), &random_name(n), "guess 1").await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    }
    // That client is limited, however its requests are forwarded or what it claims to be.
    let spoofed = app.login_from(proxy, Some("192.0.2.1, 198.51.100.7"), &random_name(3), "guess 1").await;
    assert_eq!(spoofed.status, StatusCode::TOO_MANY_REQUESTS);
    // Everyone else behind the same proxy still gets in.
    let other = app.login_from(proxy, Some("198.51.100.8"), &random_name(4), "guess 1").await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
    // A client talking to the service directly cannot pick its address with the header.
    for n in 0..3 {
        let forged = format!("192.0.2.{n}");
        let response = app.login_from("203.0.113.5:5000", Some(&forged), &random_name(10 + n), "guess 1").await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    }
    let response = app.login_from("203.0.113.5:5000", Some("192.0.2.200"), &random_name(20), "guess 1").await;
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
}

async fn ipv6_clients_are_limited_per_64(backend: Backend) {
    let app = TestApp::with_vars(backend, &[("CLIENT_RATE_LIMIT", "3")]).await;
    for n in 0..3 {
        // Every address of one /64: what a single subscriber gets.
        let peer = format!("[2001:db8:7:9::{:x}]:5000", n + 1);
        assert_eq!(app.login_from(&peer, None, &random_name(n), "guess 1").await.status, StatusCode::UNAUTHORIZED);
    }
    let response = app.login_from("[2001:db8:7:9:ffff::1]:5000", None, &random_name(3), "guess 1").await;
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
    let response = app.login_from("[2001:db8:7:a::1]:5000", None, &random_name(4), "guess 1").await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
}

async fn hashing_at_capacity_answers_503_with_retry_after(backend: Backend) {
    let app = TestApp::with_vars(backend, &[("PASSWORD_HASH_CONCURRENCY", "1"), ("CLIENT_RATE_LIMIT", "100000")]).await;
    let attempts = (0..60).map(|n| {
        let app = &app;
        async move { app.login_from(&format!("198.51.100.{}:5000", n % 200), None, &random_name(n), "guess 1").await }
    });
    let responses = futures_util::future::join_all(attempts).await;
    let mut busy = 0;
    for response in &responses {
        match response.status {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                assert_eq!(response.header("retry-after"), Some("1"));
                assert_eq!(response.json(), json!({"detail": "Too many password checks at once; try again shortly"}));
            }
            other => panic!("unexpected {other}: {}", response.text()),
        }
    }
    // One hash at a time and a short line: most of a burst is turned away, not queued.
    assert!(busy > 0, "no request was turned away");
    assert!(responses.len() - busy >= 1, "none was served");
}

async fn logout_revokes_the_refresh_token(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.user("ada@example.com").await;
    let response = app.json(Method::POST, "/auth/logout", None, &json!({"refresh_token": ada.refresh})).await;
    assert_eq!(response.status, StatusCode::NO_CONTENT);
    assert!(response.bytes.is_empty());
    let response = refresh(&app, &ada.refresh).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.json(), json!({"detail": "Invalid refresh token"}));
    // Logging out twice is fine.
    let response = app.json(Method::POST, "/auth/logout", None, &json!({"refresh_token": ada.refresh})).await;
    assert_eq!(response.status, StatusCode::NO_CONTENT);
}

async fn login_attempts_are_rate_limited(backend: Backend) {
    let app = TestApp::with_vars(backend, &[("LOGIN_RATE_LIMIT", "3"), ("LOGIN_RATE_WINDOW_SECS", "60")]).await;
    app.user("ada@example.com").await; // One attempt: the successful login.
    for _ in 0..2 {
        assert_eq!(app.login("ada@example.com", "guess number 1").await.status, StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused once the attempts are used.
    let response = app.login("ada@example.com", PASSWORD).await;
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.json(), json!({"detail": "Too many login attempts; try again later"}));
    let retry: u64 = response.header("retry-after").expect("Retry-After").parse().expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    // Other users are not affected.
    app.user("bob@example.com").await;
}

/// A word-final 'Σ' lowers to 'ς' where the login looks a name up; the limiter lowered it
/// letter by letter to 'σ', so the capitalised spelling had a budget of its own.
async fn every_spelling_of_an_account_shares_its_login_budget(backend: Backend) {
    let app = TestApp::with_vars(backend, &[("LOGIN_RATE_LIMIT", "4")]).await;
    let (upper, lower) = ("ΟΔΥΣΣΕΥΣ@example.com", "οδυσσευς@example.com");
    let registered =
        app.json(Method::POST, "/auth/register", None, &json!({"email": upper, "password": PASSWORD})).await;
    assert_eq!(registered.status, StatusCode::CREATED, "{}", registered.text());
    assert_eq!(registered.json()["email"], lower);
    // Both spellings log into the account...
    assert_eq!(app.login(upper, PASSWORD).await.status, StatusCode::OK);
    assert_eq!(app.login(lower, PASSWORD).await.status, StatusCode::OK);
    assert_eq!(app.login(upper, "guess number 1").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.login(lower, "guess number 1").await.status, StatusCode::UNAUTHORIZED);
    // ...so both count against its one budget of 4, whichever is tried next.
    for spelling in [upper, lower] {
        let response = app.login(spelling, PASSWORD).await;
        assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS, "{spelling}: {}", response.text());
    }
}

async fn control_characters_in_names_are_422_not_500(backend: Backend) {
    let app = TestApp::new(backend).await;
    let message = "Value error, control characters other than tab and line breaks are not allowed";
    // PostgreSQL cannot store or even compare text with NUL in it: these were 500s there.
    let response = app
        .json(
            Method::POST,
            "/auth/register",
            None,
            &json!({"email": "nul@example.com", "password": PASSWORD, "display_name": "N\u{0}"}),
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", response.text());
    assert_eq!(
        response.json(),
        json!({"detail": [{"type": "value_error", "loc": ["body", "display_name"], "msg": message, "input": "N\u{0}"}]})
    );
    let response = app
        .json(
            Method::POST,
            "/auth/register",
            None,
            &json!({"email": "esc@example.com", "password": PASSWORD, "display_name": "Ada\u{1b}[31m"}),
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", response.text());

    app.user("ada@example.com").await;
    for username in ["ada\u{0}@example.com", "\u{0}", "ada@example.com\u{7f}"] {
        let response = app.login(username, PASSWORD).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{username:?}: {}", response.text());
        assert_eq!(
            response.json(),
            json!({"detail": [{"type": "value_error", "loc": ["body", "username"], "msg": message, "input": username}]})
        );
    }
    assert_eq!(app.login("ada@example.com", PASSWORD).await.status, StatusCode::OK);
}

/// A right-to-left override in a name makes it render reversed: `ada\u{202e}gro.evil` shows as
/// `adalive.org`, so one user could pass for another; an invisible character makes a name
/// look like another. Names refuse both; titles and bodies, where right-to-left text needs the
/// controls, keep them.
async fn bidirectional_controls_in_names_are_422(backend: Backend) {
    let app = TestApp::new(backend).await;
    let message = "Value error, bidirectional control characters and invisible characters are not allowed in names";
    for (body, field, input) in [
        // A zero-width space and a soft hyphen show nothing: `ad\u{200B}min` reads `admin`.
        (json!({"email": "ad\u{200b}min@example.com", "password": PASSWORD}), "email", "ad\u{200b}min@example.com"),
        (
            json!({"email": "eve@example.com", "password": PASSWORD, "display_name": "Ad\u{ad}a"}),
            "display_name",
            "Ad\u{ad}a",
        ),
        (
            json!({"email": "ada\u{202e}gro.evil@example.com", "password": PASSWORD}),
            "email",
            "ada\u{202e}gro.evil@example.com",
        ),
        (
            json!({"email": "eve@example.com", "password": PASSWORD, "display_name": "Ada\u{202e}"}),
            "display_name",
            "Ada\u{202e}",
        ),
        (
            json!({"email": "eve@example.com", "password": PASSWORD, "display_name": "\u{2066}Ada\u{2069}"}),
            "display_name",
            "\u{2066}Ada\u{2069}",
        ),
    ] {
        let response = app.json(Method::POST, "/auth/register", None, &body).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", response.text());
        assert_eq!(
            response.json(),
            json!({"detail": [{"type": "value_error", "loc": ["body", field], "msg": message, "input": input}]})
        );
    }
    // Logging in looks such a name up (no account has one, so it is refused like any unknown
    // name) ...
    let response = app.login("ada\u{202e}@example.com", PASSWORD).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{}", response.text());
    // ... so that an account registered before names refused the controls still logs in.
    app.user("old@example.com").await;
    user::Entity::update_many()
        .col_expr(user::Column::Email, Expr::value("old\u{202e}@example.com"))
        .filter(user::Column::Email.eq("old@example.com"))
        .exec(&app.state.db)
        .await
        .expect("an update");
    let response = app.login("old\u{202e}@example.com", PASSWORD).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());

    // Right-to-left names are fine, and so are right-to-left titles and bodies, controls and all.
    let registered = app
        .json(
            Method::POST,
            "/auth/register",
            None,
            &json!({"email": "layla@example.com", "password": PASSWORD, "display_name": "ليلى"}),
        )
        .await;
    assert_eq!(registered.status, StatusCode::CREATED, "{}", registered.text());
    // The zero-width joiner stays: emoji sequences and several scripts need it.
    let joined =
        json!({"email": "dev@example.com", "password": PASSWORD, "display_name": "Ada \u{1F469}\u{200D}\u{1F4BB}"});
    let registered = app.json(Method::POST, "/auth/register", None, &joined).await;
    assert_eq!(registered.status, StatusCode::CREATED, "{}", registered.text());
    let nour = app.user("nour@example.com").await;
    let (title, body) = ("مرحبا بالعالم", "\u{202b}نص من اليمين إلى اليسار\u{202c} and \u{2067}عربي\u{2069}");
    let response = app.json(Method::POST, "/posts", Some(&nour.access), &json!({"title": title, "body": body})).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    assert_eq!((response.json()["title"].as_str(), response.json()["body"].as_str()), (Some(title), Some(body)));
}
