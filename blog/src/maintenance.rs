//! Upkeep the service does while it serves, every `MAINTENANCE_INTERVAL_SECS`: expired refresh
//! tokens are deleted, and files in storage that no attachment names (an upload cut short
//! between storing its file and recording it, or a post deleted while one of its uploads was
//! in flight) are removed once they are older than any request can run. Each replica runs it;
//! two runs at once are harmless (deleting what is gone already is not an error).
//!
//! The work itself is in the domains ([`crate::auth::service::purge_expired_tokens`],
//! [`crate::posts::service::remove_orphaned_files`]); this module schedules it and reports.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::AppState;
use crate::auth::service::AuthError;
use crate::posts::service::PostsError;

/// What one run removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    /// Refresh tokens past their expiry.
    pub expired_tokens: u64,
    /// Files no attachment names.
    pub orphaned_files: u64,
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MaintenanceError {
    /// Purging tokens failed.
    #[error("could not purge expired refresh tokens: {0}")]
    Tokens(#[source] AuthError),
    /// Sweeping storage failed.
    #[error("could not remove orphaned files: {0}")]
    Files(#[source] PostsError),
}

/// How old an unreferenced file must be before it is removed: twice the request timeout, so
/// an upload still in flight (its file stored, its row not yet written) is never touched.
pub fn grace(request_timeout: Duration) -> Duration {
    request_timeout.saturating_mul(2)
}

/// One run, as of `now`.
///
/// # Errors
///
/// [`MaintenanceError`] when the database or the store fails; what was removed until then
/// stays removed.
pub async fn run_once(state: &AppState, now: DateTime<Utc>) -> Result<Report, MaintenanceError> {
    let expired_tokens =
        crate::auth::service::purge_expired_tokens(&state.db, now).await.map_err(MaintenanceError::Tokens)?;
    let grace = chrono::Duration::from_std(grace(state.settings.request_timeout)).unwrap_or(chrono::Duration::MAX);
    let cutoff = now.checked_sub_signed(grace).unwrap_or(DateTime::<Utc>::MIN_UTC);
    let orphaned_files = crate::posts::service::remove_orphaned_files(&state.db, state.storage.as_ref(), cutoff)
        .await
        .map_err(MaintenanceError::Files)?;
    Ok(Report { expired_tokens, orphaned_files })
}

/// Runs [`run_once`] every `interval` until the process ends, logging what each run did.
pub fn spawn(state: AppState, interval: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match run_once(&state, Utc::now()).await {
                Ok(report) if report == Report::default() => tracing::debug!("maintenance: nothing to do"),
                Ok(report) => tracing::info!(
                    expired_tokens = report.expired_tokens,
                    orphaned_files = report.orphaned_files,
                    "maintenance done"
                ),
                Err(error) => tracing::warn!(error = format!("{error:#}"), "maintenance failed; retrying next time"),
            }
        }
    })
}
