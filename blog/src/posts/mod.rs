//! Posts: create, list (paginated, newest first, by author), read, edit and delete (the
//! author only), and their attachments, stored through [`crate::storage`].

pub mod dependencies;
pub mod models;
pub mod router;
pub mod schemas;
pub mod service;
mod statements;
