//! aludel: Alembic's migration workflow for Rust, on PostgreSQL, SQLite and MySQL.
//!
//! Revision files (TOML, one per revision, in a graph) hold dialect-neutral [`ops::Op`]s.
//! A [`runtime::Migrator`] applies them to a database under a migration lock, one
//! transaction per revision, recording each step with its checksum.
//!

pub mod config;
pub mod dialect;
pub mod diff;
pub mod error;
pub mod import;
pub mod lint;
pub mod models;
pub mod naming;
pub mod ops;
pub mod runtime;
pub mod schema;
pub mod script;
pub mod testing;
pub mod url;

#[cfg(feature = "cli")]
pub mod cli;

pub use error::Error;
