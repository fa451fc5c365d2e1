//! What every backend's session does alike through `sqlx`: run SQL text (one statement or
//! several) and read rows back with every cell as text.

use sqlx::{AssertSqlSafe, ColumnIndex, Database, Decode, Executor, Row, Type};

use crate::dialect::{BoxFuture, TextRows};

/// Runs SQL that returns no rows.
pub(crate) fn execute<'e, E: Executor<'e>>(executor: E, sql: &str) -> BoxFuture<'e, Result<(), sqlx::Error>> {
    let done = executor.execute(sqlx::raw_sql(AssertSqlSafe(sql)));
    Box::pin(async move { done.await.map(|_| ()) })
}

/// Runs a query and returns every cell as text (`NULL` as `None`).
pub(crate) fn query_text<'e, E>(executor: E, sql: &str) -> BoxFuture<'e, Result<TextRows, sqlx::Error>>
where
    E: Executor<'e>,
    usize: ColumnIndex<<E::Database as Database>::Row>,
    for<'r> Option<String>: Decode<'r, E::Database> + Type<E::Database>,
{
    let fetched = executor.fetch_all(sqlx::raw_sql(AssertSqlSafe(sql)));
    Box::pin(async move {
        let rows = fetched.await?;
        rows.iter().map(|row| (0..row.len()).map(|i| row.try_get_unchecked::<Option<String>, _>(i)).collect()).collect()
    })
}

/// `(name, count)` rows as a map, leaving out rows whose count is not a number.
pub(crate) fn rows_by_name(rows: TextRows) -> std::collections::BTreeMap<String, u64> {
    rows.into_iter()
        .filter_map(|row| {
            let mut cells = row.into_iter();
            let name = cells.next().flatten()?;
            let count = cells.next().flatten()?.parse().ok()?;
            Some((name, count))
        })
        .collect()
}
