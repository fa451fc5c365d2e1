//! Rate limiting of the routes that hash passwords: per client (an IPv6 /64 is one client, see
//! [`ClientKey`]) and per account, each a [`RateLimiter`] (bounded memory, per replica).

use std::hash::{Hash, Hasher};
use std::time::Instant;

use crate::auth::config::AuthConfig;
use crate::auth::schemas::normalize_login_name;
pub use crate::clients::ClientKey;
use crate::rate_limit::{DEFAULT_CAPACITY, RateLimiter};

/// The two limits of the routes that hash passwords: per client, whatever the user names it
/// tries (so random names do not get around it), and per account, from any client (so
/// guessing one account's password from many addresses is limited too).
#[derive(Debug)]
pub struct AuthLimits {
    clients: RateLimiter,
    accounts: RateLimiter,
}

impl AuthLimits {
    /// The limits the configuration sets.
    pub fn new(config: &AuthConfig) -> AuthLimits {
        let now = Instant::now();
        AuthLimits {
            clients: RateLimiter::new(config.client_attempts, config.login_window, DEFAULT_CAPACITY, now),
            accounts: RateLimiter::new(config.login_attempts, config.login_window, DEFAULT_CAPACITY, now),
        }
    }

    /// Records a request of `client` to `/auth/token` or `/auth/register`.
    ///
    /// # Errors
    ///
    /// The seconds to wait when the client has used its budget.
    pub fn client(&self, client: ClientKey, now: Instant) -> Result<(), u64> {
        self.clients.check(&client, now)
    }

    /// Records a login attempt on `account` (a user name, compared without regard to case
    /// or surrounding spaces).
    ///
    /// # Errors
    ///
    /// The seconds to wait when the account has used its budget.
    pub fn account(&self, account: &str, now: Instant) -> Result<(), u64> {
        self.accounts.check(&Account(account), now)
    }
}

/// A user name as a limiter key: hashed in the form the login looks it up in
/// ([`normalize_login_name`]), so every spelling that reaches an account counts against the
/// same budget. (Lowering character by character would not: it turns a word-final 'Σ' into
/// 'σ' where the lookup has 'ς', giving one account two keys.)
struct Account<'a>(&'a str);

impl Hash for Account<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        normalize_login_name(self.0).hash(state);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn accounts_are_compared_without_case_or_spaces() {
        let start = Instant::now();
        let limiter = RateLimiter::new(2, secs(60), 100, start);
        assert_eq!(limiter.check(&Account("Ada@Example.com"), start), Ok(()));
        assert_eq!(limiter.check(&Account(" ada@example.com "), start), Ok(()));
        assert!(limiter.check(&Account("ADA@EXAMPLE.COM"), start).is_err());
        assert_eq!(limiter.check(&Account("bob@example.com"), start), Ok(()));
    }

    #[test]
    fn a_final_sigma_is_one_account_however_it_is_spelled() {
        let start = Instant::now();
        let limiter = RateLimiter::new(2, secs(60), 100, start);
        // The login finds `οδυσσευς@example.com` under both spellings.
        assert_eq!(normalize_login_name("ΟΔΥΣΣΕΥΣ@example.com"), "οδυσσευς@example.com");
        assert_eq!(limiter.check(&Account("ΟΔΥΣΣΕΥΣ@example.com"), start), Ok(()));
        assert_eq!(limiter.check(&Account("οδυσσευς@example.com"), start), Ok(()));
        assert!(limiter.check(&Account("ΟΔΥΣΣΕΥΣ@example.com"), start).is_err());
        assert!(limiter.check(&Account("οδυσσευς@example.com"), start).is_err());
    }

    #[test]
    fn clients_are_grouped_by_ipv4_address_and_ipv6_64() {
        let key = |text: &str| ClientKey::of(Some(text.parse().expect("an address")));
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.7"), key("192.0.2.7"));
        assert_ne!(key("192.0.2.7"), key("192.0.2.8"));
        assert_eq!(ClientKey::of(None), ClientKey::Unknown);
    }
}
