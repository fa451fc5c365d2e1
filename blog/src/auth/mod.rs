//! Auth: registration, the OAuth2 password flow (short-lived JWT access tokens, rotating
//! refresh tokens stored hashed), logout and the current user.

pub mod config;
pub mod dependencies;
pub mod limiter;
pub mod models;
pub mod router;
pub mod schemas;
pub mod service;
