//! Database URLs, parsed once and always shown with the password redacted.

use std::fmt;

use crate::dialect::{Backend, UnknownBackend};

/// A database URL with its backend. `Display` and `Debug` never show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    raw: String,
    backend: Backend,
}

impl DatabaseUrl {
    /// Parses a URL such as `postgresql://user:pw@host:5432/db` or `sqlite://app.db`.
    ///
    /// # Errors
    ///
    /// [`UnknownBackend`] when the scheme names no enabled backend.
    pub fn parse(raw: &str) -> Result<Self, UnknownBackend> {
        let backend = Backend::from_url(raw.trim())?;
        Ok(DatabaseUrl { raw: raw.trim().to_owned(), backend })
    }

    /// The backend the URL points at.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL with its password, for the driver only. Never print it.
    pub fn expose(&self) -> &str {
        &self.raw
    }
}

/// Replaces the password of a URL (`scheme://user:password@host`) with `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{scheme}://{user}:***{}{tail}", &authority[at..]),
                None => url.to_owned(),
            }
        }
        None => url.to_owned(),
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.raw))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", redact(&self.raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        assert_eq!(redact(input), expected, "{input}");
    }

    #[test]
    fn passwords_are_redacted() {
        check("postgresql://u:secret@h:5432/db", "postgresql://u:***@h:5432/db");
        check("postgresql://u:p@ss@h/db?sslmode=disable", "postgresql://u:***@h/db?sslmode=disable");
        check("postgresql://u@h/db", "postgresql://u@h/db");
        check("sqlite://app.db", "sqlite://app.db");
        check("sqlite::memory:", "sqlite::memory:");
        let url = DatabaseUrl::parse("postgres://a:b@c/d").unwrap();
        assert!(!format!("{url} {url:?}").contains(":b@"));
    }
}
