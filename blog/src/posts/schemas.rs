//! Request and response bodies of the posts routes, with their validation.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::errors::FieldError;
use crate::extract::{Validate, control_characters};
use crate::posts::models::{attachment, post};

/// The longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// The longest body, in characters.
pub const MAX_BODY_CHARS: usize = 100_000;

/// `POST /posts`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PostCreate {
    /// 1 to 200 characters (surrounding spaces are removed).
    #[schema(min_length = 1, max_length = 200, example = "Hello, world")]
    pub title: String,
    /// 1 to 100,000 characters.
    #[schema(min_length = 1, max_length = 100_000, example = "The first post.")]
    pub body: String,
}

impl Validate for PostCreate {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_text(&mut errors, "title", &self.title, MAX_TITLE_CHARS);
        check_text(&mut errors, "body", &self.body, MAX_BODY_CHARS);
        errors
    }
}

/// `PATCH /posts/{id}`: the fields to change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PostUpdate {
    /// A new title (1 to 200 characters).
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    /// A new body (1 to 100,000 characters).
    #[schema(min_length = 1, max_length = 100_000)]
    pub body: Option<String>,
}

impl Validate for PostUpdate {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(title) = &self.title {
            check_text(&mut errors, "title", title, MAX_TITLE_CHARS);
        }
        if let Some(body) = &self.body {
            check_text(&mut errors, "body", body, MAX_BODY_CHARS);
        }
        errors
    }
}

/// Pushes an error when `text` is blank, longer than `max` characters or holds control
/// characters. The length is the text as sent, as the schema's `maxLength` counts it: spaces
/// around a title are removed before it is stored, but a body is stored as sent.
fn check_text(errors: &mut Vec<FieldError>, field: &str, text: &str, max: usize) {
    if let Some(error) = control_characters(&["body", field], text) {
        errors.push(error);
    } else if text.trim().is_empty() {
        errors.push(FieldError::new(
            "string_too_short",
            &["body", field],
            "String should have at least 1 character",
            Value::from(text),
        ));
    } else if text.chars().count() > max {
        errors.push(FieldError::new(
            "string_too_long",
            &["body", field],
            format!("String should have at most {max} characters"),
            Value::from(text),
        ));
    }
}

/// A post, as lists show it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PostOut {
    /// The id.
    pub id: i64,
    /// The author's user id.
    pub author_id: i64,
    /// The title.
    pub title: String,
    /// The text.
    pub body: String,
    /// When it was written.
    #[serde(serialize_with = "crate::timestamps::serialize")]
    pub created_at: DateTime<Utc>,
    /// When it was last edited.
    #[serde(serialize_with = "crate::timestamps::serialize")]
    pub updated_at: DateTime<Utc>,
}

impl From<post::Model> for PostOut {
    fn from(post: post::Model) -> Self {
        PostOut {
            id: post.id,
            author_id: post.author_id,
            title: post.title,
            body: post.body,
            created_at: post.created_at,
            updated_at: post.updated_at,
        }
    }
}

/// One post with its attachments (`GET /posts/{id}`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PostDetail {
    /// The post.
    #[serde(flatten)]
    pub post: PostOut,
    /// Its attachments, oldest first.
    pub attachments: Vec<AttachmentOut>,
}

/// An attachment's record.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttachmentOut {
    /// The id.
    pub id: i64,
    /// The post.
    pub post_id: i64,
    /// The file name.
    pub filename: String,
    /// The content type.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// When it was uploaded.
    #[serde(serialize_with = "crate::timestamps::serialize")]
    pub created_at: DateTime<Utc>,
    /// Where to download it.
    #[schema(example = "/posts/1/attachments/1")]
    pub url: String,
}

impl From<attachment::Model> for AttachmentOut {
    fn from(a: attachment::Model) -> Self {
        AttachmentOut {
            url: format!("/posts/{}/attachments/{}", a.post_id, a.id),
            id: a.id,
            post_id: a.post_id,
            filename: a.filename,
            content_type: a.content_type,
            size: a.size,
            created_at: a.created_at,
        }
    }
}

/// The multipart form of an upload (for OpenAPI only; the handler reads the stream).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Describes the form for the docs.
pub struct UploadForm {
    /// The file.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(title: &str, body: &str, expected: &[&str]) {
        let input = PostCreate { title: title.to_owned(), body: body.to_owned() };
        let kinds: Vec<String> =
            input.validate().into_iter().map(|e| format!("{}:{}", e.loc[1].as_str().unwrap_or(""), e.kind)).collect();
        assert_eq!(kinds, expected);
    }

    #[test]
    fn posts_are_validated() {
        check("Hello", "text", &[]);
        check("  ", "text", &["title:string_too_short"]);
        check(&"é".repeat(201), "", &["title:string_too_long", "body:string_too_short"]);
        check(&"é".repeat(200), "x", &[]);
        // Whitespace counts towards the limit: the schema counts the text as sent.
        check(&format!(" {} ", "t".repeat(199)), "x", &["title:string_too_long"]);
        check("Hello", &format!("x{}", "\n".repeat(MAX_BODY_CHARS)), &["body:string_too_long"]);
        check("Hello", &format!("x{}", "\n".repeat(MAX_BODY_CHARS - 1)), &[]);
        check("a\0b", "x\u{1}y", &["title:value_error", "body:value_error"]);
        check("a\u{7f}", "tab\tline\r\nfeed", &["title:value_error"]);
        check("Hello", "\u{9b}", &["body:value_error"]);
    }
}
