//! A revision's lock and statement timeouts on MySQL and MariaDB, and the errors they end
//! in. Every revision runs outside a transaction here, so the settings are the session's.
//!
//! The lock waits are whole seconds (rounded up, at least one; zero is the largest wait the
//! server takes). MariaDB's `max_statement_time` limits every statement; MySQL's
//! `max_execution_time` limits only SELECT, so on MySQL a statement timeout is not set. The
//! MariaDB setting is written in a `/*M! ... */` comment, which MariaDB reads and MySQL skips,
//! so one script serves both.

use std::time::Duration;

use crate::config::Timeouts;
use crate::dialect::Statement;

/// `ER_LOCK_WAIT_TIMEOUT`: a metadata lock (DDL) or row lock wait gave up.
pub(super) const LOCK_WAIT_TIMEOUT: u16 = 1205;
/// MariaDB's `ER_STATEMENT_TIMEOUT` and MySQL's `ER_QUERY_TIMEOUT`.
pub(super) const STATEMENT_TIMEOUTS: [u16; 2] = [1969, 3024];

/// The largest `lock_wait_timeout` MySQL takes (a year), and `innodb_lock_wait_timeout`.
const MAX_LOCK_WAIT: u64 = 31_536_000;
const MAX_INNODB_LOCK_WAIT: u64 = 1_073_741_824;

pub(super) fn statements(timeouts: &Timeouts) -> Vec<Statement> {
    // One statement: a statement that is only a comment is an error on MySQL ("Query was
    // empty"), so MariaDB's setting rides in a comment inside it.
    vec![Statement::new(format!(
        "SET SESSION lock_wait_timeout = {}, innodb_lock_wait_timeout = {} /*M!100108 , max_statement_time = {:.3} */",
        seconds(timeouts.lock_timeout, MAX_LOCK_WAIT),
        seconds(timeouts.lock_timeout, MAX_INNODB_LOCK_WAIT),
        timeouts.statement_timeout.as_secs_f64()
    ))]
}

/// Whole seconds, rounded up; zero (none) is `max`.
fn seconds(duration: Duration, max: u64) -> u64 {
    if duration.is_zero() { max } else { duration.as_millis().div_ceil(1000).min(u128::from(max)) as u64 }
}

pub(super) fn error_number(error: &sqlx::Error) -> Option<u16> {
    match error {
        sqlx::Error::Database(db) => db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>().map(|e| e.number()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_waits_are_whole_seconds() {
        assert_eq!(seconds(Duration::from_millis(750), MAX_LOCK_WAIT), 1);
        assert_eq!(seconds(Duration::from_millis(2_000), MAX_LOCK_WAIT), 2);
        assert_eq!(seconds(Duration::from_millis(2_001), MAX_LOCK_WAIT), 3);
        assert_eq!(seconds(Duration::ZERO, MAX_LOCK_WAIT), MAX_LOCK_WAIT);
        let sql: Vec<String> = statements(&Timeouts::default()).into_iter().map(|s| s.sql).collect();
        assert_eq!(
            sql,
            [
                "SET SESSION lock_wait_timeout = 2, innodb_lock_wait_timeout = 2 /*M!100108 , max_statement_time = 3.000 */"
            ]
        );
    }
}
