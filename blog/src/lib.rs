//! blog: the reference service, a blog API laid out by domain the way FastAPI projects are,
//! on axum + SeaORM, with its schema managed by aludel.
//!
//! - [`auth`]: registration, OAuth2 password flow tokens, refresh, logout, the current user.
//! - [`posts`]: posts and their attachments.
//! - [`storage`]: the object storage client (local files or S3-compatible).
//! - Global modules: [`config`] (over [`vars`]), [`errors`], [`extract`], [`pagination`], [`db`],
//!   [`layers`], [`logging`], [`maintenance`], [`openapi`], [`timestamps`] (their text in
//!   responses), [`site`] (landing page, health, readiness) and [`server`] (connections).
//!
//! [`app`] builds the whole HTTP application from an [`AppState`]; `main` only loads the
//! settings, starts logging, migrates and serves it with [`server::serve`].
//!
//! # Examples
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let settings = blog::config::Settings::from_vars(&blog::config::Vars::from_env()?)?;
//! let (limits, proxies) = (settings.connections, settings.trusted_proxies.clone());
//! let state = blog::AppState::new(settings).await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//! blog::server::serve(listener, blog::app(state), limits, proxies, std::future::pending()).await;
//! # Ok(())
//! # }
//! ```

pub mod auth;
pub mod budget;
pub mod clients;
pub mod config;
pub mod db;
pub mod errors;
pub mod extract;
pub mod layers;
pub mod logging;
pub mod maintenance;
pub mod openapi;
pub mod pagination;
pub mod posts;
pub mod rate_limit;
pub mod server;
pub mod site;
pub mod storage;
pub mod timestamps;
pub mod vars;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, StatusCode, header};
use object_store::ObjectStore;
use sea_orm::DatabaseConnection;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::{Cors, Settings};
use crate::errors::detail;

/// What every handler can reach (see [`Shared`]), behind one `Arc`: axum clones the state
/// for every request, and one reference count costs less than a dozen.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The database pool, settings, storage, signing keys, the password hashing slots and rate
/// limits, the upload slots, templates, the revisions the schema should be at, the last
/// readiness answer and the memory budget of large responses.
pub struct Shared {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// The busiest routes' statements, over the same pool.
    pub hot: db::HotPath,
    /// The settings.
    pub settings: Arc<Settings>,
    /// Attachments' bytes.
    pub storage: Arc<dyn ObjectStore>,
    /// Access token keys and lifetimes.
    pub tokens: auth::service::TokenKeys,
    /// Bounds the password hashes computed at once.
    pub hashing: auth::service::Hashing,
    /// Counts requests to the routes that hash passwords, per client and per account.
    pub auth_limits: auth::limiter::AuthLimits,
    /// Counts the writes of each account (`WRITES_PER_MINUTE`).
    pub write_limits: rate_limit::RateLimiter,
    /// Bounds the uploads read at once.
    pub uploads: posts::service::UploadSlots,
    /// Server-rendered pages.
    pub templates: minijinja::Environment<'static>,
    /// The compiled-in revisions (for `/ready`).
    pub migrations: aludel::script::RevisionGraph,
    /// The last answer of `/ready`.
    pub readiness: site::ReadinessCache,
    /// Memory for the bodies of large responses (`RESPONSE_MEMORY_MIB`).
    pub responses: budget::ResponseBudget,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// Why the service cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The database or the migrations.
    #[error(transparent)]
    Db(#[from] db::DbError),
    /// The storage backend.
    #[error(transparent)]
    Storage(#[from] storage::errors::StorageError),
    /// A template does not parse.
    #[error("invalid template: {0}")]
    Template(#[from] minijinja::Error),
    /// The password hashing threads cannot be started.
    #[error("could not start the password hashing threads: {0}")]
    Threads(#[source] std::io::Error),
}

impl AppState {
    /// Connects to the database and the storage backend. Does not migrate: see
    /// [`db::migrate`].
    ///
    /// # Errors
    ///
    /// [`StartError`] when a dependency cannot be set up.
    pub async fn new(settings: Settings) -> Result<AppState, StartError> {
        let db = db::connect(&settings).await?;
        Self::with_connection(settings, db)
    }

    /// The state around an open connection pool.
    ///
    /// # Errors
    ///
    /// [`StartError`] when storage or the templates cannot be set up.
    pub fn with_connection(settings: Settings, db: DatabaseConnection) -> Result<AppState, StartError> {
        let storage = storage::client::build(&settings.storage)?;
        Ok(AppState(Arc::new(Shared {
            tokens: auth::service::TokenKeys::new(&settings.auth),
            hashing: auth::service::Hashing::new(settings.auth.hash_concurrency).map_err(StartError::Threads)?,
            auth_limits: auth::limiter::AuthLimits::new(&settings.auth),
            write_limits: rate_limit::RateLimiter::new(
                settings.writes_per_minute,
                std::time::Duration::from_secs(60),
                rate_limit::DEFAULT_CAPACITY,
                std::time::Instant::now(),
            ),
            uploads: posts::service::UploadSlots::new(
                settings.storage.upload_concurrency,
                settings.storage.uploads_per_user,
            ),
            templates: site::templates()?,
            migrations: db::migrations()?,
            readiness: site::ReadinessCache::default(),
            responses: budget::ResponseBudget::new(settings.response_memory_mib),
            storage,
            hot: db::HotPath::new(&db),
            db,
            settings: Arc::new(settings),
        })))
    }
}

/// The whole HTTP application: every route, the docs, and the production layers. From the
/// outside in: a client's `x-request-id` is checked (and, on the way out, a large body is held
/// against the memory budget and security headers are added);
/// the id is kept or made up; the access log and the request's span; the id is returned;
/// CORS when configured; a panic in a handler becomes a logged 500; the request timeout; the
/// body size limit.
pub fn app(state: AppState) -> Router {
    let settings = state.settings.clone();
    let responses = state.responses.clone();
    let api = Router::new()
        .merge(site::router())
        .merge(auth::router::router())
        .merge(posts::router::router(settings.storage.max_upload_bytes))
        .fallback(|| async { detail(StatusCode::NOT_FOUND, "Not Found") })
        .method_not_allowed_fallback(|| async { detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed") })
        .with_state(state)
        .merge(SwaggerUi::new("/docs").url("/openapi.json", openapi::ApiDoc::openapi()));

    let hsts = (!settings.hsts_max_age.is_zero())
        .then(|| HeaderValue::from_str(&format!("max-age={}; includeSubDomains", settings.hsts_max_age.as_secs())))
        .and_then(Result::ok);
    let mut app = api
        .layer(DefaultBodyLimit::max(settings.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(settings.request_timeout, layers::timeout))
        .layer(CatchPanicLayer::custom(layers::panic_response));
    if let Some(cors) = cors_layer(&settings.cors) {
        app = app.layer(cors);
    }
    app.layer(PropagateRequestIdLayer::new(logging::REQUEST_ID))
        .layer(logging::trace_layer())
        .layer(SetRequestIdLayer::new(logging::REQUEST_ID, logging::RequestIds::default()))
        .layer(axum::middleware::from_fn_with_state(layers::Guard { hsts, budget: responses }, layers::guard))
}

fn cors_layer(cors: &Cors) -> Option<CorsLayer> {
    let origins = match cors {
        Cors::Off => return None,
        Cors::Any => AllowOrigin::any(),
        Cors::Origins(list) => AllowOrigin::list(list.iter().filter_map(|o| HeaderValue::from_str(o).ok())),
    };
    Some(
        CorsLayer::new()
            .allow_origin(origins)
            .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .expose_headers([logging::REQUEST_ID])
            .max_age(Duration::from_secs(600)),
    )
}
