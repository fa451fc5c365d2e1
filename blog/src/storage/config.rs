//! Settings of the storage client: which backend holds attachments, and which uploads are
//! accepted. Read through [`crate::vars`]; the global settings nest this section, and this
//! module knows nothing of them.

use std::path::PathBuf;

use secrecy::SecretString;

use crate::vars::{ConfigError, Vars, invalid};

/// The content types accepted when `ALLOWED_UPLOAD_TYPES` is unset: common images, PDF and
/// plain text.
pub const DEFAULT_ALLOWED_TYPES: &[&str] =
    &["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"];

/// The most `MAX_UPLOAD_BYTES` may be (1 TiB): the upload route's body limit adds room for
/// the multipart framing to it.
const MAX_UPLOAD_LIMIT: usize = 1 << 40;

/// The most `UPLOAD_CONCURRENCY` may be.
const MAX_UPLOAD_CONCURRENCY: usize = 10_000;

/// Where objects live.
#[derive(Debug, Clone)]
pub enum Backend {
    /// Files under a folder (`STORAGE_BACKEND=local`, the default).
    Local {
        /// `STORAGE_PATH` (default `uploads`, in the working directory).
        path: PathBuf,
    },
    /// An S3-compatible service (`STORAGE_BACKEND=s3`).
    S3(S3Config),
}

/// An S3-compatible bucket.
#[derive(Debug, Clone)]
pub struct S3Config {
    /// `S3_BUCKET`.
    pub bucket: String,
    /// `S3_REGION` (default `us-east-1`).
    pub region: String,
    /// `S3_ENDPOINT`: another S3-compatible service (MinIO, Ceph, R2...); AWS when unset.
    pub endpoint: Option<String>,
    /// `S3_ACCESS_KEY_ID`.
    pub access_key_id: Option<String>,
    /// `S3_SECRET_ACCESS_KEY`.
    pub secret_access_key: Option<SecretString>,
    /// `S3_ALLOW_HTTP`: allow a plain-HTTP endpoint (default false).
    pub allow_http: bool,
}

/// The storage settings.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// The backend.
    pub backend: Backend,
    /// `MAX_UPLOAD_BYTES`: the largest attachment (default 10 MiB).
    pub max_upload_bytes: usize,
    /// `ALLOWED_UPLOAD_TYPES`: a comma-separated list of content types (default
    /// [`DEFAULT_ALLOWED_TYPES`]).
    pub allowed_types: Vec<String>,
    /// `UPLOAD_QUOTA_BYTES`: the most bytes of attachments one user may have stored (default
    /// 100 MiB).
    pub quota_bytes: u64,
    /// `MAX_ATTACHMENTS_PER_POST`: the most attachments one post may have (default 20), so
    /// that small files do not add up to rows, objects and a post's page without bound.
    pub max_attachments_per_post: u64,
    /// `UPLOAD_CONCURRENCY`: uploads read at once, each holding up to `MAX_UPLOAD_BYTES` in
    /// memory (default 4); further ones are answered 503 with `Retry-After`.
    pub upload_concurrency: usize,
    /// `UPLOADS_PER_USER`: of those, how many one user may have (default 1), so that one
    /// account sending slowly cannot hold every slot; further ones are answered 429.
    pub uploads_per_user: usize,
}

impl StorageConfig {
    /// Reads the storage settings.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] for an unknown backend, an S3 backend without a bucket, or a bad value.
    pub fn from_vars(vars: &Vars) -> Result<StorageConfig, ConfigError> {
        let backend = match vars.get("STORAGE_BACKEND").map(str::to_ascii_lowercase).as_deref() {
            None | Some("local") => {
                Backend::Local { path: PathBuf::from(vars.get("STORAGE_PATH").unwrap_or("uploads")) }
            }
            Some("s3") => {
                let Some(bucket) = vars.get("S3_BUCKET") else {
                    return Err(ConfigError::Missing {
                        name: "S3_BUCKET",
                        reason: "STORAGE_BACKEND=s3 needs the bucket's name".to_owned(),
                    });
                };
                Backend::S3(S3Config {
                    bucket: bucket.to_owned(),
                    region: vars.get("S3_REGION").unwrap_or("us-east-1").to_owned(),
                    endpoint: vars.get("S3_ENDPOINT").map(str::to_owned),
                    access_key_id: vars.get("S3_ACCESS_KEY_ID").map(str::to_owned),
                    secret_access_key: vars.get("S3_SECRET_ACCESS_KEY").map(|s| SecretString::from(s.to_owned())),
                    allow_http: vars.flag("S3_ALLOW_HTTP", false)?,
                })
            }
            Some(other) => return Err(invalid("STORAGE_BACKEND", other, "local or s3")),
        };
        let allowed_types = match vars.get("ALLOWED_UPLOAD_TYPES") {
            None => DEFAULT_ALLOWED_TYPES.iter().map(|t| (*t).to_owned()).collect(),
            Some(list) => {
                let types: Vec<String> =
                    list.split(',').map(|t| t.trim().to_ascii_lowercase()).filter(|t| !t.is_empty()).collect();
                if let Some(bad) = types.iter().find(|t| t.split('/').count() != 2) {
                    return Err(invalid(
                        "ALLOWED_UPLOAD_TYPES",
                        bad,
                        "content types such as image/png,application/pdf",
                    ));
                }
                types
            }
        };
        let max_upload_bytes = vars.count("MAX_UPLOAD_BYTES", 10 * 1024 * 1024, MAX_UPLOAD_LIMIT, "bytes")?;
        let quota_bytes = vars.parse("UPLOAD_QUOTA_BYTES", 100 * 1024 * 1024, "a number of bytes")?;
        if quota_bytes == 0 {
            return Err(invalid("UPLOAD_QUOTA_BYTES", "0", "a value above 0"));
        }
        let max_attachments_per_post = vars.parse("MAX_ATTACHMENTS_PER_POST", 20, "a number of attachments")?;
        if max_attachments_per_post == 0 {
            return Err(invalid("MAX_ATTACHMENTS_PER_POST", "0", "a value above 0"));
        }
        let upload_concurrency = vars.count("UPLOAD_CONCURRENCY", 4, MAX_UPLOAD_CONCURRENCY, "uploads")?;
        let uploads_per_user = vars.count("UPLOADS_PER_USER", 1, MAX_UPLOAD_CONCURRENCY, "uploads")?;
        Ok(StorageConfig {
            backend,
            max_upload_bytes,
            allowed_types,
            quota_bytes,
            max_attachments_per_post,
            upload_concurrency,
            uploads_per_user,
        })
    }
}
