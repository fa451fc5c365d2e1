//! A revision's lock and statement timeouts on PostgreSQL, and the errors they end in.

use crate::config::Timeouts;
use crate::dialect::Statement;

/// SQLSTATE of `lock_timeout` (and NOWAIT): `lock_not_available`.
pub(super) const LOCK_NOT_AVAILABLE: &str = "55P03";
/// SQLSTATE of `statement_timeout` (and a cancel): `query_canceled`.
pub(super) const QUERY_CANCELED: &str = "57014";

/// `SET LOCAL` inside the revision's transaction, which ends with it; `SET` on the session
/// for a revision outside one (the next revision sets its own).
pub(super) fn statements(timeouts: &Timeouts, in_transaction: bool) -> Vec<Statement> {
    let set = if in_transaction { "SET LOCAL" } else { "SET" };
    vec![
        Statement::new(format!("{set} lock_timeout = '{}ms'", timeouts.lock_timeout.as_millis())),
        Statement::new(format!("{set} statement_timeout = '{}ms'", timeouts.statement_timeout.as_millis())),
    ]
}

pub(super) fn sqlstate(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(db) => db.code().map(|code| code.into_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transaction_sets_its_own_timeouts() {
        let timeouts = Timeouts { lock_timeout: std::time::Duration::from_millis(750), ..Timeouts::default() };
        let sql: Vec<String> = statements(&timeouts, true).into_iter().map(|s| s.sql).collect();
        assert_eq!(sql, ["SET LOCAL lock_timeout = '750ms'", "SET LOCAL statement_timeout = '3000ms'"]);
        let sql: Vec<String> = statements(&timeouts, false).into_iter().map(|s| s.sql).collect();
        assert_eq!(sql[0], "SET lock_timeout = '750ms'");
    }
}
