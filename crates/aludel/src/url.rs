//! Database URLs, parsed once and always shown with the password redacted.

use std::fmt;

use crate::dialect::{Backend, UnknownBackend, is_scheme};

/// A database URL with its backend. `Display` and `Debug` never show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    raw: String,
    backend: Backend,
}

/// Why a database URL was refused. Neither shows more of the URL than its scheme.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// The scheme names no backend this build supports.
    #[error(transparent)]
    UnknownBackend(#[from] UnknownBackend),
    /// A server's URL without `//` before the user and host (`postgresql:/app:pw@db/app`):
    /// the drivers would read it as a path and connect elsewhere, as another user.
    #[error(
        "the `{scheme}:` URL has no `//` before its user and host; write {scheme}://user:password@host:port/database"
    )]
    NoHost {
        /// The scheme as written.
        scheme: String,
    },
    /// A query parameter carrying a secret that the backend's driver does not read: it would
    /// be ignored, and PostgreSQL's driver logs each parameter it ignores with its value.
    #[error(
        "the URL's `{name}` parameter is not read by the {backend} driver, which would ignore it and log its value; {fix}"
    )]
    UnreadSecret {
        /// The parameter as written.
        name: String,
        /// The backend's name.
        backend: &'static str,
        /// What to write instead.
        fix: &'static str,
    },
}

impl DatabaseUrl {
    /// Parses a URL such as `postgresql://user:pw@host:5432/db` or `sqlite://app.db`.
    ///
    /// # Errors
    ///
    /// [`UrlError::UnknownBackend`] when the scheme names no enabled backend,
    /// [`UrlError::NoHost`] for a server's URL without `//` after its scheme,
    /// [`UrlError::UnreadSecret`] for a secret in a query parameter the driver does not read.
    pub fn parse(raw: &str) -> Result<Self, UrlError> {
        let raw = raw.trim();
        let backend = Backend::from_url(raw)?;
        if let Some((scheme, rest)) = raw.split_once(':')
            && backend.has_server()
            && !rest.starts_with("//")
        {
            return Err(UrlError::NoHost { scheme: scheme.to_owned() });
        }
        if let Ok(parsed) = url::Url::parse(raw) {
            for (key, _) in parsed.query_pairs() {
                if let Some(fix) = backend.unread_secret_parameter(&key) {
                    let backend = backend.dialect().name();
                    return Err(UrlError::UnreadSecret { name: key.into_owned(), backend, fix });
                }
            }
        }
        Ok(DatabaseUrl { raw: raw.to_owned(), backend })
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

/// Query parameters that carry a secret: drivers accept a password there too.
const SECRET_PARAMETERS: [&str; 3] = ["password", "sslpassword", "passfile"];

/// What a URL shows in place of a secret.
const HIDDEN: &str = "***";

/// The URL with its password, and any `password=` query parameter, replaced by `***`. A URL
/// that does not parse (a password holding an unescaped `/`, `?` or `#`, say) shows its
/// scheme only, since where its password ends cannot be told.
///
/// # Examples
///
/// ```
/// use aludel::url::redact;
/// assert_eq!(redact("postgresql://app:s3cret@db:5432/app"), "postgresql://app:***@db:5432/app");
/// assert_eq!(redact("postgresql://app@db/app?password=s3cret"), "postgresql://app@db/app?password=***");
/// assert_eq!(redact("postgresql://app:a/b@db/app"), "postgresql://***");
/// ```
pub fn redact(url: &str) -> String {
    let scheme_only = || match url.split_once(':') {
        Some((scheme, _)) if is_scheme(scheme) => format!("{scheme}://{HIDDEN}"),
        _ => HIDDEN.to_owned(),
    };
    // Without `//`, a user and password are no URL's user and password but a path's text.
    if url.split_once(':').is_some_and(|(_, rest)| !rest.starts_with("//") && rest.contains('@')) {
        return scheme_only();
    }
    let Ok(mut parsed) = url::Url::parse(url) else { return scheme_only() };
    let has_password = parsed.password().is_some();
    let secret_parameter = parsed.query_pairs().any(|(key, _)| is_secret(&key));
    if !has_password && !secret_parameter {
        return url.to_owned();
    }
    if has_password && parsed.set_password(Some(HIDDEN)).is_err() {
        return scheme_only();
    }
    if secret_parameter {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(key, value)| {
                let value = if is_secret(&key) { HIDDEN.to_owned() } else { value.into_owned() };
                (key.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    // `***` is written as is: nothing in it needs escaping, so the text reads as typed.
    parsed.to_string().replace("%2A%2A%2A", HIDDEN)
}

fn is_secret(key: &str) -> bool {
    SECRET_PARAMETERS.iter().any(|secret| key.eq_ignore_ascii_case(secret))
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
    fn text_that_is_no_url_is_not_shown_as_a_scheme() {
        for text in ["Zx9secret", "Zx9 secret", "Zx9-secret.value"] {
            let shown = crate::dialect::Backend::from_url(text).expect_err("no backend").to_string();
            assert!(!shown.contains("Zx9"), "{text} shown as {shown}");
            assert!(shown.contains("(none: the text is not a URL)"), "{shown}");
        }
        let shown = crate::dialect::Backend::from_url("oracle://u@h/db").expect_err("no backend").to_string();
        assert!(shown.contains("scheme `oracle`"), "{shown}");
    }

    #[test]
    fn passwords_are_redacted() {
        check("postgresql:/app:Zx9secret@127.0.0.1/db", "postgresql://***");
        check("postgresql:app:Zx9secret@127.0.0.1/db", "postgresql://***");
        check("mysql:/app:Zx9secret@127.0.0.1/db", "mysql://***");
        check("postgresql://u:secret@h:5432/db", "postgresql://u:***@h:5432/db");
        check("postgresql://u:p@ss@h/db?sslmode=disable", "postgresql://u:***@h/db?sslmode=disable");
        check("postgresql://u@h/db", "postgresql://u@h/db");
        check("sqlite://app.db", "sqlite://app.db");
        check("sqlite::memory:", "sqlite::memory:");
        check("mysql://root@127.0.0.1:3306/app", "mysql://root@127.0.0.1:3306/app");
    }

    /// Passwords as password generators make them: every character that means something in
    /// a URL. Escaped, they parse and only the password is hidden; unescaped, where the
    /// password ends cannot be told, and only the scheme is shown.
    #[test]
    fn passwords_with_url_characters_never_show() {
        let secret = "Zx9";
        for password in ["a/b", "a?b", "a#b", "a@b", "a:b", "a%b", "a%2Fb", "/?#@:%", "ab/"] {
            let password = format!("{secret}{password}{secret}");
            let escaped: String = url::form_urlencoded::byte_serialize(password.as_bytes()).collect();
            for written in [&password, &escaped] {
                let url = format!("postgresql://app:{written}@db.example:5432/app?sslmode=require");
                let shown = redact(&url);
                assert!(!shown.contains(secret), "{url} shown as {shown}");
                assert!(shown.starts_with("postgresql://"), "{url} shown as {shown}");
                if written == &escaped {
                    assert_eq!(shown, "postgresql://app:***@db.example:5432/app?sslmode=require", "{url}");
                }
            }
        }
        for (url, shown) in [
            (
                "postgresql://app@db/app?password=Zx9secret&sslmode=require",
                "postgresql://app@db/app?password=***&sslmode=require",
            ),
            ("postgresql://app@db/app?sslpassword=Zx9secret", "postgresql://app@db/app?sslpassword=***"),
            ("postgresql://app:Zx9@db/app?PASSWORD=Zx9", "postgresql://app:***@db/app?PASSWORD=***"),
            ("not a url Zx9", "***"),
            ("postgresql://app:Zx9 with spaces@db/app", "postgresql://app:***@db/app"),
        ] {
            assert_eq!(redact(url), shown, "{url}");
        }
        let url = DatabaseUrl::parse("postgres://a:b@c/d").unwrap();
        assert!(!format!("{url} {url:?}").contains(":b@"));
    }

    /// A server's URL missing its `//` reads to the drivers as a path: they connect as
    /// another user to a default host, and print the URL, password and all, in their errors.
    /// It is refused before any driver sees it, and the refusal shows the scheme only.
    #[test]
    fn a_server_url_without_its_slashes_is_refused_without_its_password() {
        for written in
            ["postgresql:/app:Zx9secret@127.0.0.1/db", "postgres:app:Zx9secret@db/app", "mysql:/root:Zx9secret@db/app"]
        {
            let error = DatabaseUrl::parse(written).expect_err(written);
            assert!(matches!(error, UrlError::NoHost { .. }), "{written}: {error:?}");
            let message = error.to_string();
            assert!(!message.contains("Zx9"), "{message}");
            assert!(message.contains("://user:password@host"), "{message}");
        }
        assert!(DatabaseUrl::parse("sqlite:app.db").is_ok());
        assert!(DatabaseUrl::parse("sqlite::memory:").is_ok());
        let error = DatabaseUrl::parse("not a url Zx9secret").expect_err("no scheme");
        assert!(!error.to_string().contains("Zx9"), "{error}");
        let error = DatabaseUrl::parse("oracle://u:Zx9secret@db/app").expect_err("no such backend");
        assert!(error.to_string().contains("`oracle`"), "{error}");
    }

    /// sqlx's PostgreSQL driver logs every query parameter it does not read, value and all, so
    /// a secret it cannot use would reach the log (`sslpassword=...` at `warn`).
    #[cfg(feature = "postgres")]
    #[test]
    fn a_secret_the_driver_would_ignore_and_log_is_refused_without_its_value() {
        for (written, name) in [
            ("postgresql://app@db/app?sslpassword=Zx9secret", "sslpassword"),
            ("postgresql://app@db/app?sslmode=require&passfile=Zx9secret", "passfile"),
            ("postgres://app@db/app?PASSWORD=Zx9secret", "PASSWORD"),
        ] {
            let error = DatabaseUrl::parse(written).expect_err(written);
            let message = error.to_string();
            assert!(matches!(&error, UrlError::UnreadSecret { name: found, .. } if found == name), "{message}");
            assert!(!message.contains("Zx9"), "{message}");
        }
        // What the driver reads stays allowed.
        assert!(DatabaseUrl::parse("postgresql://app@db/app?password=Zx9secret&sslmode=require").is_ok());
    }
}
