//! Pooled PostgreSQL connections handed from one request straight to the next.
//!
//! sqlx pings every connection it takes back into its pool, whatever the settings
//! (`Floating::return_to_pool` in sqlx-core): a round trip to the database per request, on
//! the busiest routes as costly as their own statement. Here a connection that has run a
//! statement is handed directly to a request waiting for one, without going back through
//! the pool, so that under load most requests pay no ping. It goes back into the pool (and is
//! pinged there) when no request waits, when its statement failed or was cancelled, and after
//! [`HANDOFFS`] requests in a row, so that what waits in the pool itself (SeaORM's queries,
//! the other routes) is served in its turn, and the pool's lifetime checks still see it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use futures_util::{Stream, TryStreamExt};
use sea_orm::error::ConnAcquireErr;
use sea_orm::sea_query::Values;
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::{AssertSqlSafe, PgPool, Postgres};
use sea_orm::{DbErr, QueryResult, RuntimeErr, Statement};
use sea_query_sqlx::SqlxValues;
use tokio::sync::oneshot;

/// Requests one connection serves in a row before it goes back into the pool.
pub const HANDOFFS: u32 = 16;

/// The connections of a pool, handed from request to request.
#[derive(Debug)]
pub struct Handoff {
    pool: PgPool,
    /// Requests waiting for a connection, oldest first (some may have got one from the pool
    /// meanwhile: their receiver is gone, and they are skipped).
    waiting: Mutex<VecDeque<oneshot::Sender<Held>>>,
    /// Connections handed over so far (for tests and debugging).
    handed_over: AtomicU64,
}

/// A connection checked out of the pool, and the requests it has served since.
#[derive(Debug)]
struct Held {
    connection: PoolConnection<Postgres>,
    served: u32,
}

impl Handoff {
    /// Hands out `pool`'s connections.
    pub fn new(pool: PgPool) -> Handoff {
        Handoff { pool, waiting: Mutex::default(), handed_over: AtomicU64::new(0) }
    }

    /// How many times a connection went straight from one request to the next.
    pub fn handed_over(&self) -> u64 {
        self.handed_over.load(Ordering::Relaxed)
    }

    /// Runs `statement` and returns its rows.
    ///
    /// # Errors
    ///
    /// [`DbErr::ConnectionAcquire`] when no connection comes free within the pool's acquire
    /// timeout, [`DbErr::Query`] when the statement fails.
    pub async fn query_all(&self, statement: &Statement) -> Result<Vec<QueryResult>, DbErr> {
        let mut held = self.acquire().await?;
        let values = SqlxValues(statement.values.clone().unwrap_or(Values(Vec::new())));
        let query = sea_orm::sqlx::query_with(AssertSqlSafe(statement.sql.as_str()), values);
        // On an error the connection goes back into the pool, which checks it.
        let rows = query.fetch_all(&mut *held.connection).await.map_err(query_error)?;
        self.release(held);
        Ok(rows.into_iter().map(QueryResult::from).collect())
    }

    /// Runs `statement` and yields its rows as the connection reads them. The connection is
    /// handed on once the last row is read; a stream dropped early or failed gives it back to
    /// the pool, which settles what it left unread.
    pub fn stream<'a>(
        &'a self,
        statement: &'a Statement,
    ) -> impl Stream<Item = Result<QueryResult, DbErr>> + Send + 'a {
        async_stream::try_stream! {
            let mut held = self.acquire().await?;
            {
                let values = SqlxValues(statement.values.clone().unwrap_or(Values(Vec::new())));
                let query = sea_orm::sqlx::query_with(AssertSqlSafe(statement.sql.as_str()), values);
                let mut rows = query.fetch(&mut *held.connection);
                while let Some(row) = rows.try_next().await.map_err(query_error)? {
                    yield QueryResult::from(row);
                }
            }
            self.release(held);
        }
    }

    /// A connection: the first one handed over, or one from the pool, whichever comes first.
    /// While the pool is below its size, it may be opening a connection for this request:
    /// that is left to finish (cancelled by a hand-off, it would be lost, and under load the
    /// pool would never grow).
    async fn acquire(&self) -> Result<Held, DbErr> {
        if self.pool.size() < self.pool.options().get_max_connections() {
            let connection = self.pool.acquire().await.map_err(acquire_error)?;
            return Ok(Held { connection, served: 0 });
        }
        let (sender, handed) = oneshot::channel();
        self.lock().push_back(sender);
        tokio::select! {
            biased;
            Ok(held) = handed => Ok(held),
            pooled = self.pool.acquire() => {
                let connection = pooled.map_err(acquire_error)?;
                Ok(Held { connection, served: 0 })
            }
        }
    }

    /// Hands `held` to the oldest request still waiting, or puts it back into the pool.
    fn release(&self, mut held: Held) {
        held.served += 1;
        if held.served >= HANDOFFS {
            return;
        }
        let mut waiting = self.lock();
        while let Some(sender) = waiting.pop_front() {
            match sender.send(held) {
                Ok(()) => {
                    self.handed_over.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                // That request got a connection from the pool meanwhile.
                Err(back) => held = back,
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<oneshot::Sender<Held>>> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A statement's error as SeaORM reports it, so that callers read it the same way
/// ([`DbErr::sql_err`], the service's error mapping).
fn query_error(error: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(error.into()))
}

/// The pool's error as SeaORM reports it: a timeout is [`ConnAcquireErr::Timeout`], answered
/// 503 with `Retry-After` like any other wait for a busy pool.
fn acquire_error(error: sea_orm::sqlx::Error) -> DbErr {
    match error {
        sea_orm::sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        sea_orm::sqlx::Error::PoolClosed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        error => DbErr::Conn(RuntimeErr::SqlxError(error.into())),
    }
}
