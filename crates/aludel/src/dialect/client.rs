//! The backend's own command-line client, as `aludel test` runs a `--sql` script with it, and
//! the throwaway databases it creates on a server.

use std::path::{Path, PathBuf};

/// How to run a SQL script with a backend's command-line client (`psql`, `mariadb`,
/// `sqlite3`), as a DBA would run a `--sql` script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptClient {
    /// The programs to try, in order (`mariadb`, then `mysql`).
    pub programs: Vec<&'static str>,
    /// Their arguments.
    pub args: Vec<String>,
    /// Environment variables to set; a password goes here, never into the arguments.
    pub env: Vec<(String, String)>,
    /// A file fed to the client's standard input, when it reads the script there.
    pub stdin: Option<PathBuf>,
    /// How to install the client when it is missing.
    pub install: &'static str,
}

/// The parts of a server URL a client takes as options, decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UrlParts {
    pub(crate) host: Option<String>,
    pub(crate) port: Option<u16>,
    pub(crate) user: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) database: String,
}

impl UrlParts {
    /// Reads `scheme://user:password@host:port/database`; `None` when it does not parse.
    pub(crate) fn of(url: &str) -> Option<UrlParts> {
        let parsed = url::Url::parse(url).ok()?;
        let decode = |text: &str| percent_decode(text);
        Some(UrlParts {
            host: parsed.host_str().filter(|h| !h.is_empty()).map(str::to_owned),
            port: parsed.port(),
            user: Some(parsed.username()).filter(|u| !u.is_empty()).map(decode),
            password: parsed.password().map(decode),
            database: decode(parsed.path().trim_start_matches('/')),
        })
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|b| (*b as char).to_digit(16));
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `url` with its path (the database) replaced by `database`; `None` when it does not parse.
pub(crate) fn with_database(url: &str, database: &str) -> Option<String> {
    let mut parsed = url::Url::parse(url).ok()?;
    parsed.set_path(&format!("/{database}"));
    Some(parsed.to_string())
}

/// The path of a SQLite URL's file (`sqlite://path?mode=rwc`).
pub(crate) fn sqlite_path(url: &str) -> PathBuf {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split_once('?').map_or(rest, |(path, _)| path);
    Path::new(rest).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parts_are_decoded() {
        let parts = UrlParts::of("mysql://ro%40t:p%2Fw@db.internal:3307/app").expect("parses");
        assert_eq!(parts.user.as_deref(), Some("ro@t"));
        assert_eq!(parts.password.as_deref(), Some("p/w"));
        assert_eq!((parts.host.as_deref(), parts.port), (Some("db.internal"), Some(3307)));
        assert_eq!(parts.database, "app");
        assert_eq!(
            with_database("postgresql://u:pw@h:5432/postgres?sslmode=disable", "t1").as_deref(),
            Some("postgresql://u:pw@h:5432/t1?sslmode=disable")
        );
        assert_eq!(sqlite_path("sqlite:///tmp/a.db?mode=rwc"), Path::new("/tmp/a.db"));
    }
}
