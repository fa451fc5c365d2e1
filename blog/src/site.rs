//! The routes that are not an API resource: the server-rendered landing page (`GET /`), the
//! liveness check (`/health`) and the readiness check (`/ready`: database reachable, schema at
//! head).

use std::time::{Duration, Instant};

use aludel::script::RevisionGraph;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::{Json, Router};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder, QuerySelect};
use serde::Serialize;

use crate::AppState;
use crate::errors::{AppError, ErrorBody};
use crate::posts::models::post;

/// Posts shown on the landing page.
const LATEST: u64 = 10;

/// `/`, `/health` and `/ready`.
pub fn router() -> Router<AppState> {
    Router::new().route("/", get(index)).route("/health", get(health)).route("/ready", get(ready))
}

/// The template environment, with `templates/` compiled in.
///
/// # Errors
///
/// When a template does not parse (caught by the tests).
pub fn templates() -> Result<minijinja::Environment<'static>, minijinja::Error> {
    let mut env = minijinja::Environment::new();
    // `.html` templates are escaped automatically.
    env.add_template("index.html", include_str!("../templates/index.html"))?;
    Ok(env)
}

#[derive(Serialize)]
struct IndexPost {
    id: i64,
    title: String,
    excerpt: String,
    created_at: String,
}

/// The landing page: the latest posts.
async fn index(State(state): State<AppState>) -> Result<Html<String>, AppError> {
    let posts = post::Entity::find()
        .order_by_desc(post::Column::CreatedAt)
        .order_by_desc(post::Column::Id)
        .limit(LATEST)
        .all(&state.db)
        .await?;
    let posts: Vec<IndexPost> = posts
        .into_iter()
        .map(|p| IndexPost {
            id: p.id,
            excerpt: excerpt(&p.body, 280),
            title: p.title,
            created_at: p.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        })
        .collect();
    let template = state.templates.get_template("index.html").map_err(|e| AppError::Internal(e.into()))?;
    let html = template.render(minijinja::context! { posts }).map_err(|e| AppError::Internal(e.into()))?;
    Ok(Html(html))
}

/// The first `max` characters of `text`, cut at a word, with an ellipsis when cut.
fn excerpt(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(char::is_whitespace).map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end())
}

/// A status report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Status {
    /// `ok` or `ready`.
    pub status: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health", tag = "operations", responses(
    (status = 200, description = "The process serves requests", body = Status),
))]
pub async fn health() -> Json<Status> {
    Json(Status { status: "ok" })
}

/// Readiness: the database answers and its schema is at the head revision.
#[utoipa::path(get, path = "/ready", tag = "operations", responses(
    (status = 200, description = "Ready for traffic", body = Status),
    (status = 503, description = "The database is unreachable or not migrated", body = ErrorBody),
))]
pub async fn ready(State(state): State<AppState>) -> Result<Json<Status>, AppError> {
    match state.readiness.check(&state.db, &state.migrations).await {
        Readiness::Ready => Ok(Json(Status { status: "ready" })),
        Readiness::Unreachable => Err(AppError::Unavailable("Database unreachable".to_owned())),
        Readiness::NotAtHead => Err(AppError::Unavailable("Database schema is not at the head revision".to_owned())),
    }
}

/// What `/ready` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// The database answers and its schema is at head.
    Ready,
    /// The database does not answer.
    Unreachable,
    /// The schema is behind, ahead, or not there.
    NotAtHead,
}

/// How long one readiness answer is reused.
pub const READINESS_TTL: Duration = Duration::from_secs(1);

/// The last readiness answer, reused for [`READINESS_TTL`]: a flood of probes (the route needs
/// no credentials) costs one check of the database per second, through the pool, and never a
/// connection of its own.
#[derive(Debug, Default)]
pub struct ReadinessCache {
    last: tokio::sync::Mutex<Option<(Instant, Readiness)>>,
}

impl ReadinessCache {
    /// The cached answer, or a fresh one when it is older than [`READINESS_TTL`]. Probes that
    /// arrive while one checks wait for its answer.
    pub async fn check(&self, db: &DatabaseConnection, graph: &RevisionGraph) -> Readiness {
        let mut last = self.last.lock().await;
        if let Some((at, answer)) = *last
            && at.elapsed() < READINESS_TTL
        {
            return answer;
        }
        let answer = if !crate::db::ping(db).await {
            Readiness::Unreachable
        } else {
            match crate::db::at_head(db, graph).await {
                Ok(true) => Readiness::Ready,
                Ok(false) => Readiness::NotAtHead,
                Err(error) => {
                    tracing::warn!(error = format!("{error:#}"), "readiness check failed");
                    Readiness::NotAtHead
                }
            }
        };
        *last = Some((Instant::now(), answer));
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_cut_at_a_word() {
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(excerpt("one two three", 9), "one two…");
    }

    #[test]
    fn templates_parse() {
        templates().expect("the templates parse");
    }
}
