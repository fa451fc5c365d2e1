//! A session that counts (and keeps) the statements it runs, for tests that prove the
//! number of round trips does not grow with the schema.

use aludel::dialect::{BoxFuture, Dialect, IntrospectError, IntrospectOptions, Session, TextRows, TransactionSql};
use aludel::schema::Schema;

/// Wraps a session; introspection and normalization run through the wrapper, so that their
/// queries are counted too.
pub struct Counting {
    pub inner: Box<dyn Session>,
    /// Statements run so far.
    pub statements: usize,
    /// Their text, in order.
    pub log: Vec<String>,
}

impl Counting {
    pub fn new(inner: Box<dyn Session>) -> Counting {
        Counting { inner, statements: 0, log: Vec::new() }
    }
}

impl Session for Counting {
    fn dialect(&self) -> &'static dyn Dialect {
        self.inner.dialect()
    }
    fn execute<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        self.statements += 1;
        self.log.push(sql.to_owned());
        self.inner.execute(sql)
    }
    fn query_text<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<TextRows, sqlx::Error>> {
        self.statements += 1;
        self.log.push(sql.to_owned());
        self.inner.query_text(sql)
    }
    fn lock(&mut self) -> BoxFuture<'_, Result<(), sqlx::Error>> {
        self.inner.lock()
    }
    fn unlock(&mut self) -> BoxFuture<'_, Result<(), sqlx::Error>> {
        self.inner.unlock()
    }
    fn transaction_sql(&self) -> TransactionSql {
        self.inner.transaction_sql()
    }
    fn check_integrity(&mut self) -> BoxFuture<'_, Result<Vec<aludel::dialect::Violation>, sqlx::Error>> {
        self.inner.check_integrity()
    }
    fn introspect<'a>(&'a mut self, options: &'a IntrospectOptions) -> BoxFuture<'a, Result<Schema, IntrospectError>> {
        match self.inner.dialect().name() {
            "postgresql" => Box::pin(aludel::dialect::postgres::introspect(self, options)),
            "mysql" => Box::pin(aludel::dialect::mysql::introspect(self, options)),
            _ => Box::pin(aludel::dialect::sqlite::introspect(self, options)),
        }
    }
    fn normalize<'a>(&'a mut self, models: &'a Schema) -> BoxFuture<'a, Result<Schema, IntrospectError>> {
        match self.inner.dialect().name() {
            "postgresql" => Box::pin(aludel::dialect::postgres::normalize(self, models)),
            "mysql" => Box::pin(aludel::dialect::mysql::normalize(self, models)),
            _ => self.inner.normalize(models),
        }
    }
    fn normalize_database(&self, database: Schema, models: &Schema) -> Schema {
        self.inner.normalize_database(database, models)
    }
    fn close(self: Box<Self>) -> BoxFuture<'static, Result<(), sqlx::Error>> {
        self.inner.close()
    }
}
