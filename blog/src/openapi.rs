//! The OpenAPI document, generated from the handlers' annotations and the schemas, served at
//! `/openapi.json`, with Swagger UI at `/docs` (its assets are compiled in: no network needed).

use utoipa::openapi::security::{Flow, OAuth2, Password, Scopes, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{auth, errors, pagination, posts, site};

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "blog", description = "The reference service: auth, posts and attachments."),
    paths(
        auth::router::register,
        auth::router::token,
        auth::router::refresh,
        auth::router::logout,
        auth::router::me,
        posts::router::list_posts,
        posts::router::create_post,
        posts::router::get_post,
        posts::router::update_post,
        posts::router::delete_post,
        posts::router::upload_attachment,
        posts::router::download_attachment,
        site::health,
        site::ready,
    ),
    components(schemas(
        errors::ErrorBody,
        errors::ValidationBody,
        errors::FieldError,
        pagination::Page<posts::schemas::PostOut>,
    )),
    modifiers(&BearerFromPasswordFlow),
    tags(
        (name = "auth", description = "Registration and tokens (OAuth2 password flow)"),
        (name = "users", description = "Users"),
        (name = "posts", description = "Posts"),
        (name = "attachments", description = "Files attached to posts"),
        (name = "operations", description = "Health and readiness"),
    )
)]
pub struct ApiDoc;

/// Declares the `OAuth2PasswordBearer` scheme, so the docs' Authorize button logs in at
/// `/auth/token`.
struct BearerFromPasswordFlow;

impl Modify for BearerFromPasswordFlow {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "OAuth2PasswordBearer",
            SecurityScheme::OAuth2(OAuth2::new([Flow::Password(Password::new("/auth/token", Scopes::new()))])),
        );
    }
}
