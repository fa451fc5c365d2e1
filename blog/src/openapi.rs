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
    modifiers(&BearerFromPasswordFlow, &PrintableText, &BusyDatabase, &RequestTimeouts),
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

/// The text fields that refuse control characters ([`crate::extract::control_characters`]),
/// and the names that also refuse bidirectional controls
/// ([`crate::extract::identity_characters`]): their schema says so with
/// [`crate::extract::PRINTABLE_TEXT`] or [`crate::extract::IDENTITY_TEXT`], so that a client
/// (and a fuzzer) knows before it sends them.
struct PrintableText;

/// Each schema, its fields checked by `control_characters` or `identity_characters`, and the
/// pattern that describes the check.
const PRINTABLE_FIELDS: [(&str, &[&str], &str); 4] = [
    ("PostCreate", &["title", "body"], crate::extract::PRINTABLE_TEXT),
    ("PostUpdate", &["title", "body"], crate::extract::PRINTABLE_TEXT),
    ("RegisterIn", &["email", "display_name"], crate::extract::IDENTITY_TEXT),
    ("TokenFormDoc", &["username"], crate::extract::PRINTABLE_TEXT),
];

impl Modify for PrintableText {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, Schema};
        let Some(components) = openapi.components.as_mut() else { return };
        for (schema, fields, pattern) in PRINTABLE_FIELDS {
            let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(schema) else { continue };
            for field in fields {
                if let Some(RefOr::T(Schema::Object(property))) = object.properties.get_mut(*field) {
                    property.pattern = Some(pattern.to_owned());
                }
            }
        }
    }
}

/// Every route that reads the database may find each pooled connection busy for
/// `DATABASE_POOL_TIMEOUT_SECS`, or its connection ended by the database, and answer 503 with
/// `Retry-After`: said on each of them, beside
/// the 503 a route has for its own reasons. `/health` reads nothing, and `/ready`'s 503 says
/// the database cannot be used already.
struct BusyDatabase;

/// The routes that do not wait for a pooled connection.
const WITHOUT_POOL: [&str; 2] = ["/health", "/ready"];

impl Modify for BusyDatabase {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in &mut openapi.paths.paths {
            if WITHOUT_POOL.contains(&path.as_str()) {
                continue;
            }
            for operation in operations(item) {
                add_reason(
                    &mut operation.responses,
                    "503",
                    "every database connection is busy or was lost",
                    "; see Retry-After",
                );
            }
        }
    }
}

/// What any route may answer because of `REQUEST_TIMEOUT_SECS`: 504 when the service takes
/// longer, and for a route with a body, 408 when the body does not arrive in that time and 400
/// when it is cut off.
struct RequestTimeouts;

impl Modify for RequestTimeouts {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                add_reason(&mut operation.responses, "504", "the request took longer than the service allows", "");
                if operation.request_body.is_some() {
                    let responses = &mut operation.responses;
                    add_reason(responses, "408", "the body did not arrive in the time the service allows", "");
                    add_reason(responses, "400", "the body was cut off", "");
                }
            }
        }
    }
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten()
}

/// Documents `reason` for answering `status` (an [`errors::ErrorBody`]): beside the route's
/// own reasons when it has some (`{own}, or {reason}{suffix}`), else as the response's
/// description.
fn add_reason(responses: &mut utoipa::openapi::Responses, status: &str, reason: &str, suffix: &str) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    match responses.responses.get_mut(status) {
        Some(RefOr::T(response)) => {
            let own = response.description.strip_suffix(suffix).unwrap_or(&response.description);
            response.description = format!("{own}, or {reason}{suffix}");
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            let mut letters = reason.chars();
            let capitalized: String =
                letters.next().map(|first| first.to_uppercase().chain(letters).collect()).unwrap_or_default();
            let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
            let response = ResponseBuilder::new()
                .description(format!("{capitalized}{suffix}"))
                .content("application/json", content)
                .build();
            responses.responses.insert(status.to_owned(), RefOr::T(response));
        }
    }
}
