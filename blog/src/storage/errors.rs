//! What can go wrong with an upload or with the storage service.

/// A storage failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The configured backend cannot be set up.
    #[error("could not set up the {backend} storage backend: {source}")]
    Setup {
        /// `local` or `s3`.
        backend: &'static str,
        /// Why.
        #[source]
        source: object_store::Error,
    },
    /// The local storage folder cannot be created.
    #[error("could not create the storage folder `{path}`: {source}")]
    Folder {
        /// The folder.
        path: std::path::PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The object is not in the store.
    #[error("object `{key}` not found")]
    NotFound {
        /// Its key.
        key: String,
    },
    /// The store failed.
    #[error("storage operation on `{key}` failed: {source}")]
    Backend {
        /// The object's key.
        key: String,
        /// The store's error.
        #[source]
        source: object_store::Error,
    },
}
