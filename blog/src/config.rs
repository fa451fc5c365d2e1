//! Global settings: one typed [`Settings`], read once at start from the environment (and a
//! `.env` file in the working directory) and validated, with one section per domain
//! ([`AuthConfig`], [`StorageConfig`]).
//!
//! Nothing else in the service reads the environment. Defaults make `cargo run -p blog` work
//! with no set-up: SQLite in the working directory, local files for uploads, and (in
//! development only) a signing secret made up at start.

use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use aludel::url::DatabaseUrl;

use crate::auth::config::AuthConfig;
use crate::storage::config::StorageConfig;
use crate::vars::invalid;
pub use crate::vars::{ConfigError, Environment, Vars};

/// The database used when `DATABASE_URL` is not set: a SQLite file in the working directory,
/// created on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://blog.db?mode=rwc";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One readable line per event, for a terminal.
    Human,
    /// One JSON object per line, for a log collector.
    Json,
}

/// Which origins may call the API from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cors {
    /// No CORS headers at all (same-origin only): the default.
    Off,
    /// Any origin (`*`), without credentials.
    Any,
    /// These origins exactly.
    Origins(Vec<String>),
}

/// The reverse proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`). Empty by
/// default: a client's own header is never trusted, so it cannot choose the address its
/// requests are counted under.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Whether `address` is one of the proxies.
    pub fn contains(&self, address: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(address))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The client behind the proxies: `peer` when it is not a trusted proxy; otherwise the
    /// `X-Forwarded-For` entries (`forwarded`, in header order) are read from the right, each
    /// trusted proxy adding the address it saw, and the first one that is not a proxy is the
    /// client. Entries left of it were written by the client and are ignored. When every
    /// entry is a proxy (or one does not parse), the last trusted hop stands for the client.
    pub fn client<'h>(&self, peer: IpAddr, forwarded: impl IntoIterator<Item = &'h str>) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let entries: Vec<&str> = forwarded.into_iter().flat_map(|value| value.split(',')).collect();
        let mut client = peer;
        for entry in entries.iter().rev() {
            let Some(address) = parse_forwarded(entry) else { return client };
            client = address;
            if !self.contains(address) {
                return address;
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, optionally with a port (`[2001:db8::1]:443`).
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry.parse().ok().or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
}

impl FromStr for TrustedProxies {
    type Err = String;

    fn from_str(list: &str) -> Result<Self, Self::Err> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| item.parse().map_err(|()| item.to_owned()))
            .collect::<Result<Vec<IpNet>, String>>()
            .map(TrustedProxies)
    }
}

/// An address or a network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`, `127.0.0.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    network: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Whether `address` is in this network (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for IpNet {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address.trim().parse::<IpAddr>().map_err(|_| ())?.to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.trim().parse::<u8>().map_err(|_| ())?,
            None => max,
        };
        if prefix > max {
            return Err(());
        }
        Ok(IpNet { network, prefix })
    }
}

/// How long connections may stay open, and how many at once (so that clients that open
/// connections and send nothing, or headers a byte at a time, cannot hold them all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// `HEADER_READ_TIMEOUT_SECS`: the time a client has to send a request's headers, from
    /// when the connection opens or the previous response was sent (default 10).
    pub header_read_timeout: Duration,
    /// `KEEP_ALIVE_TIMEOUT_SECS`: a connection with no request in flight for this long is
    /// closed (default 5; the header read timeout closes it too).
    pub keep_alive_timeout: Duration,
    /// `MAX_CONNECTIONS`: connections served at once; further ones wait to be accepted
    /// (default 512; keep it below the open-files limit, `ulimit -n`).
    pub max_connections: usize,
    /// `MAX_CONNECTIONS_PER_CLIENT`: of those, how many one client (an IPv4 address, an IPv6
    /// /64) may have; further ones are answered 503 and closed (default 128; trusted proxies
    /// are not counted).
    pub max_connections_per_client: usize,
    /// `SEND_TIMEOUT_SECS`: a connection whose client takes none of a response's bytes for
    /// this long is closed, and the response dropped (default 30).
    pub send_timeout: Duration,
    /// `SHUTDOWN_TIMEOUT_SECS`: once asked to stop, the service lets requests in flight and
    /// responses being sent finish for this long, then closes what is left (default 25, under
    /// the 30 s an orchestrator such as Kubernetes waits before it kills the process).
    pub shutdown_timeout: Duration,
}

/// `LOG_LEVEL` (or `RUST_LOG`): each of its comma-separated directives names a level, alone
/// (`warn`) or for a target (`blog=debug`). A bare word that is not a level would be read as
/// a target, and the service would log nothing at all.
fn log_level(vars: &Vars) -> Result<String, ConfigError> {
    const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];
    let (name, value) = match (vars.get("LOG_LEVEL"), vars.get("RUST_LOG")) {
        (Some(value), _) => ("LOG_LEVEL", value),
        (None, Some(value)) => ("RUST_LOG", value),
        (None, None) => return Ok("info".to_owned()),
    };
    for directive in value.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let level = directive.rsplit_once('=').map_or(directive, |(_, level)| level);
        if !LEVELS.iter().any(|known| level.eq_ignore_ascii_case(known)) {
            return Err(invalid(
                name,
                value,
                "levels such as `info` or `warn,blog=debug` (trace, debug, info, warn, error or off)",
            ));
        }
    }
    Ok(value.to_owned())
}

/// The most `RESPONSE_MEMORY_MIB` may be (1 TiB).
const MAX_RESPONSE_MEMORY_MIB: u32 = 1 << 20;

/// The most `WRITES_PER_MINUTE` takes (ten million: a load test writing as one account).
const MAX_WRITES_PER_MINUTE: usize = 10_000_000;

/// The most `MAX_CONNECTIONS` may be.
const MAX_CONNECTIONS_LIMIT: usize = 1_000_000;

impl ConnectionLimits {
    fn from_vars(vars: &Vars) -> Result<ConnectionLimits, ConfigError> {
        let header_secs: u64 = vars.parse("HEADER_READ_TIMEOUT_SECS", 10, "a whole number of seconds")?;
        let keep_alive_secs: u64 = vars.parse("KEEP_ALIVE_TIMEOUT_SECS", 5, "a whole number of seconds")?;
        let send_secs: u64 = vars.parse("SEND_TIMEOUT_SECS", 30, "a whole number of seconds")?;
        let shutdown_secs: u64 = vars.parse("SHUTDOWN_TIMEOUT_SECS", 25, "a whole number of seconds")?;
        for (name, value) in [
            ("HEADER_READ_TIMEOUT_SECS", header_secs),
            ("KEEP_ALIVE_TIMEOUT_SECS", keep_alive_secs),
            ("SEND_TIMEOUT_SECS", send_secs),
            ("SHUTDOWN_TIMEOUT_SECS", shutdown_secs),
        ] {
            if value == 0 {
                return Err(invalid(name, "0", "at least 1 second"));
            }
        }
        let max_connections = vars.count("MAX_CONNECTIONS", 512, MAX_CONNECTIONS_LIMIT, "connections")?;
        let max_connections_per_client =
            vars.count("MAX_CONNECTIONS_PER_CLIENT", 128, MAX_CONNECTIONS_LIMIT, "connections")?;
        Ok(ConnectionLimits {
            header_read_timeout: Duration::from_secs(header_secs),
            keep_alive_timeout: Duration::from_secs(keep_alive_secs),
            max_connections,
            max_connections_per_client,
            send_timeout: Duration::from_secs(send_secs),
            shutdown_timeout: Duration::from_secs(shutdown_secs),
        })
    }
}

/// Every setting of the service.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `ENVIRONMENT`: development (default), test or production.
    pub environment: Environment,
    /// `HOST` (default 127.0.0.1).
    pub host: IpAddr,
    /// `PORT` (default 8000).
    pub port: u16,
    /// `DATABASE_URL` (default [`DEFAULT_DATABASE_URL`]); shown with the password redacted.
    pub database_url: DatabaseUrl,
    /// `DATABASE_POOL_SIZE`: connections in the pool (default 10).
    pub database_pool_size: u32,
    /// `DATABASE_POOL_TIMEOUT_SECS`: how long a request waits for a pooled connection when
    /// all are busy before it is answered 503 with `Retry-After` (default 10).
    pub database_pool_timeout: Duration,
    /// `MIGRATE_ON_START`: upgrade the schema to head at start, under the migration lock
    /// (default true; turn it off when a deploy step runs `blog db upgrade head`).
    pub migrate_on_start: bool,
    /// `LOG_FORMAT`: human (default) or json.
    pub log_format: LogFormat,
    /// `LOG_LEVEL`: a tracing filter such as `info` or `blog=debug,tower_http=info`; `RUST_LOG`
    /// is read when it is unset (default `info`).
    pub log_level: String,
    /// `REQUEST_TIMEOUT_SECS`: a request that takes longer is answered 504 (default 30).
    pub request_timeout: Duration,
    /// Timeouts and the cap of client connections.
    pub connections: ConnectionLimits,
    /// `MAX_BODY_BYTES`: the largest request body outside uploads (default 1 MiB).
    pub max_body_bytes: usize,
    /// `RESPONSE_MEMORY_MIB`: memory for response bodies over 64 KiB that are still being sent
    /// (default 256); past it, such responses are answered 503 with `Retry-After`.
    pub response_memory_mib: u32,
    /// `CORS_ORIGINS`: empty (default, no CORS), `*`, or a comma-separated list of origins.
    pub cors: Cors,
    /// `TRUSTED_PROXIES`: addresses or networks (`10.0.0.0/8`) of the reverse proxies in front
    /// of the service, whose `X-Forwarded-For` names the client (default none).
    pub trusted_proxies: TrustedProxies,
    /// `HSTS_MAX_AGE_SECS`: sends `Strict-Transport-Security` with this max-age when above 0
    /// (default 0, off: turn it on when the service is only reached over HTTPS).
    pub hsts_max_age: Duration,
    /// `MAINTENANCE_INTERVAL_SECS`: how often expired refresh tokens and orphaned files are
    /// removed (default 600).
    pub maintenance_interval: Duration,
    /// `WRITES_PER_MINUTE`: requests one account may make per minute to the routes that write
    /// (creating, editing and deleting posts, uploading attachments), per replica; further
    /// ones are answered 429 with `Retry-After` (default 60).
    pub writes_per_minute: u32,
    /// Tokens, passwords and login rate limiting.
    pub auth: AuthConfig,
    /// Where attachments are stored and what is accepted.
    pub storage: StorageConfig,
}

impl Settings {
    /// Reads and validates every setting from `vars`.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming the first variable that is invalid, missing or too weak.
    pub fn from_vars(vars: &Vars) -> Result<Settings, ConfigError> {
        let environment = match vars.get("ENVIRONMENT") {
            None => Environment::Development,
            Some(value) => {
                value.parse().map_err(|()| invalid("ENVIRONMENT", value, "development, test or production"))?
            }
        };
        let log_format = match vars.get("LOG_FORMAT").map(str::to_ascii_lowercase).as_deref() {
            None | Some("human" | "text" | "pretty") => LogFormat::Human,
            Some("json") => LogFormat::Json,
            Some(other) => return Err(invalid("LOG_FORMAT", other, "human or json")),
        };
        let cors = match vars.get("CORS_ORIGINS") {
            None => Cors::Off,
            Some("*") => Cors::Any,
            Some(list) => {
                let origins: Vec<String> =
                    list.split(',').map(str::trim).filter(|o| !o.is_empty()).map(str::to_owned).collect();
                for origin in &origins {
                    let valid = (origin.starts_with("http://") || origin.starts_with("https://"))
                        && !origin.ends_with('/')
                        && axum::http::HeaderValue::from_str(origin).is_ok();
                    if !valid {
                        return Err(invalid("CORS_ORIGINS", origin, "origins such as https://app.example.com, or *"));
                    }
                }
                Cors::Origins(origins)
            }
        };
        let timeout_secs: u64 = vars.parse("REQUEST_TIMEOUT_SECS", 30, "a whole number of seconds")?;
        if timeout_secs == 0 {
            return Err(invalid("REQUEST_TIMEOUT_SECS", "0", "at least 1 second"));
        }
        let pool_size: u32 = vars.parse("DATABASE_POOL_SIZE", 10, "a number of connections")?;
        if pool_size == 0 {
            return Err(invalid("DATABASE_POOL_SIZE", "0", "at least 1 connection"));
        }
        let pool_timeout_secs: u64 = vars.parse("DATABASE_POOL_TIMEOUT_SECS", 10, "a whole number of seconds")?;
        if pool_timeout_secs == 0 {
            return Err(invalid("DATABASE_POOL_TIMEOUT_SECS", "0", "at least 1 second"));
        }
        let trusted_proxies = match vars.get("TRUSTED_PROXIES") {
            None => TrustedProxies::default(),
            Some(list) => list.parse().map_err(|bad: String| {
                invalid("TRUSTED_PROXIES", &bad, "addresses or networks such as 10.0.0.0/8, 127.0.0.1, fd00::/8")
            })?,
        };
        let maintenance_secs: u64 = vars.parse("MAINTENANCE_INTERVAL_SECS", 600, "a whole number of seconds")?;
        if maintenance_secs == 0 {
            return Err(invalid("MAINTENANCE_INTERVAL_SECS", "0", "at least 1 second"));
        }
        let raw_url = vars.get("DATABASE_URL").unwrap_or(DEFAULT_DATABASE_URL);
        let database_url = DatabaseUrl::parse(raw_url).map_err(|e| ConfigError::Invalid {
            name: "DATABASE_URL",
            value: aludel::url::redact(raw_url),
            reason: e.to_string(),
        })?;
        Ok(Settings {
            environment,
            host: vars.parse("HOST", IpAddr::from([127, 0, 0, 1]), "an IP address such as 127.0.0.1 or 0.0.0.0")?,
            port: vars.parse("PORT", 8000, "a port number")?,
            database_url,
            database_pool_size: pool_size,
            database_pool_timeout: Duration::from_secs(pool_timeout_secs),
            migrate_on_start: vars.flag("MIGRATE_ON_START", true)?,
            log_format,
            log_level: log_level(vars)?,
            request_timeout: Duration::from_secs(timeout_secs),
            connections: ConnectionLimits::from_vars(vars)?,
            max_body_bytes: vars.parse("MAX_BODY_BYTES", 1024 * 1024, "a number of bytes")?,
            response_memory_mib: u32::try_from(vars.count(
                "RESPONSE_MEMORY_MIB",
                256,
                MAX_RESPONSE_MEMORY_MIB as usize,
                "MiB",
            )?)
            .expect("bounded by MAX_RESPONSE_MEMORY_MIB"),
            cors,
            trusted_proxies,
            hsts_max_age: Duration::from_secs(vars.parse("HSTS_MAX_AGE_SECS", 0, "a whole number of seconds")?),
            maintenance_interval: Duration::from_secs(maintenance_secs),
            // At most MAX_WRITES_PER_MINUTE, which fits.
            writes_per_minute: u32::try_from(vars.count("WRITES_PER_MINUTE", 60, MAX_WRITES_PER_MINUTE, "writes")?)
                .unwrap_or(u32::MAX),
            auth: AuthConfig::from_vars(vars, environment)?,
            storage: StorageConfig::from_vars(vars)?,
        })
    }

    /// The address to listen on.
    pub fn bind_address(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::new(self.host, self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pairs: &[(&str, &str)], expected: Result<(), &str>) {
        let result = Settings::from_vars(&Vars::from_pairs(pairs.iter().copied()));
        match (result, expected) {
            (Ok(_), Ok(())) => {}
            (Err(err), Err(message)) => assert_eq!(err.to_string(), message, "{pairs:?}"),
            (Ok(_), Err(message)) => panic!("{pairs:?} was accepted, expected: {message}"),
            (Err(err), Ok(())) => panic!("{pairs:?} was refused: {err}"),
        }
    }

    #[test]
    fn defaults_work_in_development() {
        let settings = Settings::from_vars(&Vars::default()).expect("defaults are valid");
        assert_eq!(settings.environment, Environment::Development);
        assert_eq!(settings.bind_address().to_string(), "127.0.0.1:8000");
        assert_eq!(settings.database_url.expose(), DEFAULT_DATABASE_URL);
        assert!(settings.auth.secret_was_generated);
        assert!(settings.migrate_on_start);
    }

    #[test]
    fn bad_values_name_the_variable() {
        check(&[("PORT", "eighty")], Err("invalid PORT=`eighty`: a port number"));
        check(&[("LOG_FORMAT", "xml")], Err("invalid LOG_FORMAT=`xml`: human or json"));
        check(&[("ENVIRONMENT", "moon")], Err("invalid ENVIRONMENT=`moon`: development, test or production"));
        check(&[("MIGRATE_ON_START", "maybe")], Err("invalid MIGRATE_ON_START=`maybe`: true or false"));
        check(
            &[("CORS_ORIGINS", "app.example.com")],
            Err("invalid CORS_ORIGINS=`app.example.com`: origins such as https://app.example.com, or *"),
        );
        // aludel's message lists the backends compiled in, which depends on the build's features.
        let err = Settings::from_vars(&Vars::from_pairs([("DATABASE_URL", "mongodb://u:hunter2@db/x")]))
            .expect_err("mongodb is not a backend");
        let message = err.to_string();
        assert!(
            message.starts_with(
                "invalid DATABASE_URL=`mongodb://u:***@db/x`: unsupported database URL scheme `mongodb`; use "
            ),
            "{message}"
        );
        assert!(!message.contains("hunter2"), "{message}");
        // The forms suggested are those of the backends built in (aludel checks it lists no other).
        assert!(message.contains("postgresql://user@host:port/db, sqlite://path.db"), "{message}");
        // The driver would ignore an encrypted key's password and log it at `warn`.
        check(
            &[("DATABASE_URL", "postgresql://app@db/app?sslkey=k.pem&sslpassword=hunter2")],
            Err("invalid DATABASE_URL=`postgresql://app@db/app?sslkey=k.pem&sslpassword=***`: the URL's \
                 `sslpassword` parameter is not read by the postgresql driver, which would ignore it and log \
                 its value; the driver cannot decrypt a client key: decrypt it (`openssl pkey -in key.pem -out \
                 plain.pem`) and name the plain file with `sslkey`"),
        );
        check(&[("CORS_ORIGINS", "https://a.example, http://localhost:3000")], Ok(()));
        check(
            &[("TRUSTED_PROXIES", "10.0.0.0/8, proxy.local")],
            Err("invalid TRUSTED_PROXIES=`proxy.local`: addresses or networks such as 10.0.0.0/8, 127.0.0.1, fd00::/8"),
        );
        check(
            &[("TRUSTED_PROXIES", "10.0.0.0/33")],
            Err("invalid TRUSTED_PROXIES=`10.0.0.0/33`: addresses or networks such as 10.0.0.0/8, 127.0.0.1, fd00::/8"),
        );
        check(&[("TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1, fd00::/8")], Ok(()));
        check(&[("MAINTENANCE_INTERVAL_SECS", "0")], Err("invalid MAINTENANCE_INTERVAL_SECS=`0`: at least 1 second"));
        check(&[("HEADER_READ_TIMEOUT_SECS", "0")], Err("invalid HEADER_READ_TIMEOUT_SECS=`0`: at least 1 second"));
        check(
            &[("KEEP_ALIVE_TIMEOUT_SECS", "soon")],
            Err("invalid KEEP_ALIVE_TIMEOUT_SECS=`soon`: a whole number of seconds"),
        );
        check(&[("MAX_CONNECTIONS", "0")], Err("invalid MAX_CONNECTIONS=`0`: 1 to 1000000 connections"));
        let levels = "levels such as `info` or `warn,blog=debug` (trace, debug, info, warn, error or off)";
        check(&[("LOG_LEVEL", "warning")], Err(&format!("invalid LOG_LEVEL=`warning`: {levels}")));
        check(&[("RUST_LOG", "info,sqlx=loud")], Err(&format!("invalid RUST_LOG=`info,sqlx=loud`: {levels}")));
        check(&[("LOG_LEVEL", "WARN, blog=debug,tower_http[{path=x}]=info")], Ok(()));
        check(
            &[("PASSWORD_HASH_CONCURRENCY", "1000000")],
            Err("invalid PASSWORD_HASH_CONCURRENCY=`1000000`: 1 to 1024 hashes"),
        );
        check(
            &[("MAX_UPLOAD_BYTES", "18446744073709551615")],
            Err("invalid MAX_UPLOAD_BYTES=`18446744073709551615`: 1 to 1099511627776 bytes"),
        );
        check(&[("SEND_TIMEOUT_SECS", "0")], Err("invalid SEND_TIMEOUT_SECS=`0`: at least 1 second"));
        check(&[("DATABASE_POOL_TIMEOUT_SECS", "0")], Err("invalid DATABASE_POOL_TIMEOUT_SECS=`0`: at least 1 second"));
        check(&[("RESPONSE_MEMORY_MIB", "0")], Err("invalid RESPONSE_MEMORY_MIB=`0`: 1 to 1048576 MiB"));
        check(&[("RESPONSE_MEMORY_MIB", "2GiB")], Err("invalid RESPONSE_MEMORY_MIB=`2GiB`: a number of MiB"));
        check(&[("RESPONSE_MEMORY_MIB", "64")], Ok(()));
        check(
            &[("MAX_CONNECTIONS", "64"), ("HEADER_READ_TIMEOUT_SECS", "3"), ("KEEP_ALIVE_TIMEOUT_SECS", "30")],
            Ok(()),
        );
    }

    #[test]
    fn the_client_behind_trusted_proxies_is_found() {
        let proxies: TrustedProxies = "10.0.0.0/8, 2001:db8::/32".parse().expect("valid");
        let ip = |text: &str| -> IpAddr { text.parse().expect("an address") };
        let check = |peer: &str, forwarded: &[&str], expected: &str| {
            assert_eq!(proxies.client(ip(peer), forwarded.iter().copied()), ip(expected), "{peer} {forwarded:?}");
        };
        // A client that is not a proxy is itself, whatever it says.
        check("198.51.100.7", &["203.0.113.1"], "198.51.100.7");
        // Behind one proxy: the address the proxy saw.
        check("10.0.0.2", &["198.51.100.7"], "198.51.100.7");
        // A client's own entries (left) are ignored; chains of proxies are followed.
        check("10.0.0.2", &["203.0.113.66, 198.51.100.7", "10.1.2.3"], "198.51.100.7");
        check("10.0.0.2", &["[2001:db9::5]:443"], "2001:db9::5");
        // Nothing forwarded, or garbage: the last proxy stands for the client.
        check("10.0.0.2", &[], "10.0.0.2");
        check("10.0.0.2", &["unknown"], "10.0.0.2");
        check("10.0.0.2", &["198.51.100.7, garbage", "10.0.0.3"], "10.0.0.3");
        // Without trusted proxies the header is never read.
        assert_eq!(TrustedProxies::default().client(ip("10.0.0.2"), ["198.51.100.7"]), ip("10.0.0.2"));
        assert!(proxies.contains(ip("::ffff:10.9.9.9")));
        assert!(!proxies.contains(ip("11.0.0.1")));
        let everything: TrustedProxies = "0.0.0.0/0, ::/0".parse().expect("valid");
        assert!(everything.contains(ip("8.8.8.8")) && everything.contains(ip("2606:4700::1")));
    }

    #[test]
    fn production_refuses_a_missing_or_weak_secret() {
        check(
            &[("ENVIRONMENT", "production")],
            Err(
                "JWT_SECRET is not set: production needs a signing secret of at least 32 bytes; generate one with `openssl rand -base64 48`",
            ),
        );
        check(
            &[("ENVIRONMENT", "production"), ("JWT_SECRET", "changeme")],
            Err(
                "JWT_SECRET is too weak: use at least 32 bytes with at least 10 distinct characters, e.g. `openssl rand -base64 48`",
            ),
        );
        check(&[("ENVIRONMENT", "production"), ("JWT_SECRET", "Zr8u2Vx0pQ4mLk9sT1yW6bN3cH7gJ5dF0aE")], Ok(()));
    }

    #[test]
    fn a_weak_secret_is_refused_in_every_environment() {
        for environment in ["development", "test", "production"] {
            check(
                &[("ENVIRONMENT", environment), ("JWT_SECRET", "secret")],
                Err(
                    "JWT_SECRET is too weak: use at least 32 bytes with at least 10 distinct characters, e.g. `openssl rand -base64 48`",
                ),
            );
            check(
                &[("ENVIRONMENT", environment), ("JWT_SECRET", &"ab".repeat(20))],
                Err(
                    "JWT_SECRET is too weak: use at least 32 bytes with at least 10 distinct characters, e.g. `openssl rand -base64 48`",
                ),
            );
        }
        // Development without a secret still makes one up.
        let settings = Settings::from_vars(&Vars::default()).expect("valid");
        assert!(settings.auth.secret_was_generated);
    }
}
