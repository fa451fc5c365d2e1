//! Storage: the external-service client for attachments (local files or S3-compatible), with
//! its settings and errors. The posts domain owns the attachment records and routes.

pub mod client;
pub mod config;
pub mod errors;
