//! The object storage client: builds the configured backend behind `object_store`'s
//! [`ObjectStore`] trait (local files by default, any S3-compatible service by
//! configuration), and the few operations the service needs. Nothing else touches the store.
//!
//! What an upload may contain (size, type) is decided here too, so every caller applies the
//! same limits.

use std::sync::Arc;

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use futures_util::stream::{BoxStream, StreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use secrecy::ExposeSecret;

use crate::storage::config::{Backend, StorageConfig};
use crate::storage::errors::StorageError;

/// Builds the object store the configuration names; creates the local folder when needed.
///
/// # Errors
///
/// [`StorageError`] when the folder cannot be created or the S3 settings are incomplete.
pub fn build(config: &StorageConfig) -> Result<Arc<dyn ObjectStore>, StorageError> {
    match &config.backend {
        Backend::Local { path } => {
            std::fs::create_dir_all(path).map_err(|source| StorageError::Folder { path: path.clone(), source })?;
            // Deleting a file removes the folders it leaves empty (a post's `posts/<id>/`), up to
            // but never the root. The removal is `remove_dir`, which fails on a folder that is
            // not empty: an upload into the same folder writes its file there from the start
            // (staged beside its final name, then renamed), and makes the folder again when it
            // finds it gone; [`put`] writes again when a folder went while it was being made,
            // so an upload is never lost to a cleanup.
            let store = object_store::local::LocalFileSystem::new_with_prefix(path)
                .map_err(|source| StorageError::Setup { backend: "local", source })?
                .with_automatic_cleanup(true);
            Ok(Arc::new(store))
        }
        Backend::S3(s3) => {
            let mut builder = object_store::aws::AmazonS3Builder::new()
                .with_bucket_name(&s3.bucket)
                .with_region(&s3.region)
                .with_allow_http(s3.allow_http);
            if let Some(endpoint) = &s3.endpoint {
                builder = builder.with_endpoint(endpoint);
            }
            if let Some(key) = &s3.access_key_id {
                builder = builder.with_access_key_id(key);
            }
            if let Some(secret) = &s3.secret_access_key {
                builder = builder.with_secret_access_key(secret.expose_secret());
            }
            let store = builder.build().map_err(|source| StorageError::Setup { backend: "s3", source })?;
            Ok(Arc::new(store))
        }
    }
}

/// Stores `bytes` under `key`.
///
/// # Errors
///
/// [`StorageError::Backend`] when the store refuses or cannot be reached.
pub async fn put(store: &dyn ObjectStore, key: &str, bytes: Vec<u8>) -> Result<(), StorageError> {
    let (location, payload) = (ObjectPath::from(key), PutPayload::from(bytes));
    let mut tries = 1;
    loop {
        match store.put(&location, payload.clone()).await {
            Ok(_) => return Ok(()),
            // Local files: the deletion of another post's last file removed the shared `posts/`
            // folder between the two steps of making this one's folder. Writing again makes it
            // again; each failure means another deletion finished in that same instant, so
            // the tries are bounded by what others get done, and a few always suffice.
            Err(source) if tries < PUT_TRIES && lost_its_folder(&source) => tries += 1,
            Err(source) => return Err(StorageError::Backend { key: key.to_owned(), source }),
        }
    }
}

/// How often [`put`] writes an object whose folder a concurrent cleanup removed.
const PUT_TRIES: u32 = 20;

/// Whether a write failed because a folder on its path was removed while it was being made:
/// the file system said "not found" (for a write, only a folder can be missing), or "already
/// exists" for a folder that was gone again when it looked.
fn lost_its_folder(error: &object_store::Error) -> bool {
    use std::io::ErrorKind::{AlreadyExists, NotFound};
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = cause {
        if error.downcast_ref::<std::io::Error>().is_some_and(|io| matches!(io.kind(), NotFound | AlreadyExists)) {
            return true;
        }
        cause = error.source();
    }
    false
}

/// An object being read: its size, and its bytes as a stream of chunks.
pub struct Download {
    /// The size in bytes.
    pub size: u64,
    /// The bytes, as the store delivers them.
    pub stream: BoxStream<'static, Result<Bytes, object_store::Error>>,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download").field("size", &self.size).finish_non_exhaustive()
    }
}

/// The object under `key`, as a stream: it is never held in memory whole.
///
/// # Errors
///
/// [`StorageError::NotFound`] when there is no such object, [`StorageError::Backend`] else.
pub async fn get(store: &dyn ObjectStore, key: &str) -> Result<Download, StorageError> {
    let result = store.get(&ObjectPath::from(key)).await.map_err(|source| match source {
        object_store::Error::NotFound { .. } => StorageError::NotFound { key: key.to_owned() },
        source => StorageError::Backend { key: key.to_owned(), source },
    })?;
    Ok(Download { size: result.meta.size, stream: result.into_stream() })
}

/// An object's key and when it was last written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The key.
    pub key: String,
    /// When it was written.
    pub last_modified: DateTime<Utc>,
}

/// The objects whose keys start with `prefix` (a folder such as `posts/`), as a stream.
pub fn list(store: &dyn ObjectStore, prefix: &str) -> BoxStream<'static, Result<Listed, StorageError>> {
    let folder = prefix.to_owned();
    store
        .list(Some(&ObjectPath::from(prefix)))
        .map(move |item| match item {
            Ok(meta) => Ok(Listed { key: meta.location.to_string(), last_modified: meta.last_modified }),
            Err(source) => Err(StorageError::Backend { key: folder.clone(), source }),
        })
        .boxed()
}

/// Removes the object under `key`; removing a missing object is not an error.
///
/// # Errors
///
/// [`StorageError::Backend`] when the store fails.
pub async fn delete(store: &dyn ObjectStore, key: &str) -> Result<(), StorageError> {
    match store.delete(&ObjectPath::from(key)).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(source) => Err(StorageError::Backend { key: key.to_owned(), source }),
    }
}

/// Why an upload is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Larger than the limit.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A content type that is not allowed, or content that is not what the type says.
    Type {
        /// The declared type.
        declared: String,
        /// The allowed types.
        allowed: Vec<String>,
    },
}

/// Checks an upload against the limits: its declared content type must be allowed, and for
/// images and PDF the first bytes must say the same (a script renamed `.png` is refused).
///
/// # Errors
///
/// The [`Rejection`].
pub fn check_upload(config: &StorageConfig, declared: &str, bytes: &[u8]) -> Result<(), Rejection> {
    if bytes.len() > config.max_upload_bytes {
        return Err(Rejection::TooLarge { limit: config.max_upload_bytes });
    }
    let essence = declared.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let refused = || Rejection::Type { declared: declared.to_owned(), allowed: config.allowed_types.clone() };
    if !config.allowed_types.contains(&essence) {
        return Err(refused());
    }
    if !content_matches(&essence, bytes) {
        return Err(refused());
    }
    Ok(())
}

/// Whether the first bytes agree with the type; types without a signature pass, except text,
/// which must be UTF-8 without NUL bytes.
fn content_matches(content_type: &str, bytes: &[u8]) -> bool {
    match content_type {
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/gif" => bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a"),
        "image/webp" => bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP",
        "application/pdf" => bytes.starts_with(b"%PDF-"),
        "text/plain" => std::str::from_utf8(bytes).is_ok_and(|text| !text.contains('\0')),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> StorageConfig {
        StorageConfig::from_vars(&crate::vars::Vars::from_pairs([("MAX_UPLOAD_BYTES", "16")])).expect("valid")
    }

    fn check(declared: &str, bytes: &[u8], expected: Result<(), &str>) {
        let result = check_upload(&config(), declared, bytes).map_err(|r| match r {
            Rejection::TooLarge { .. } => "too large",
            Rejection::Type { .. } => "type",
        });
        assert_eq!(result, expected, "{declared} {bytes:?}");
    }

    /// Deleting a post's last file removes `posts/` when no other post has a folder; an upload
    /// making its folder at that instant found `posts/` gone between its two steps and failed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn uploads_survive_other_posts_folders_being_cleaned_up() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let path = folder.path().display().to_string();
        let config =
            StorageConfig::from_vars(&crate::vars::Vars::from_pairs([("STORAGE_PATH", path.as_str())])).expect("valid");
        let store = build(&config).expect("a local store");
        let writers = (0..4).map(|post| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for _ in 0..1_000 {
                    let key = format!("posts/{post}/file.txt");
                    put(store.as_ref(), &key, b"x".to_vec()).await?;
                    delete(store.as_ref(), &key).await?;
                }
                Ok::<_, StorageError>(())
            })
        });
        for writer in writers.collect::<Vec<_>>() {
            writer.await.expect("no panic").expect("every upload is stored");
        }
        assert!(!folder.path().join("posts").exists(), "the last deletion removes the emptied folders");
    }

    #[test]
    fn uploads_are_checked_by_size_type_and_content() {
        check("image/png", b"\x89PNG\r\n\x1a\nrest", Ok(()));
        check("IMAGE/PNG", b"\x89PNG\r\n\x1a\nrest", Ok(()));
        check("image/png", b"<script>", Err("type"));
        check("text/plain; charset=utf-8", b"hello", Ok(()));
        check("text/plain", b"he\0llo", Err("type"));
        check("application/pdf", b"%PDF-1.7", Ok(()));
        check("text/html", b"<p>hi</p>", Err("type"));
        check("application/x-msdownload", b"MZ", Err("type"));
        check("text/plain", b"seventeen bytes!!", Err("too large"));
        check("image/webp", b"RIFF\0\0\0\0WEBPVP8 ", Ok(()));
    }
}
