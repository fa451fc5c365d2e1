//! Ops rendered to SQL for this backend.

use crate::dialect::{RenderError, Statement};
use crate::ops::Op;
use crate::schema::Schema;

/// Renders one op against the schema the earlier ops lead to.
pub(super) fn render(op: &Op, _before: &Schema) -> Result<Vec<Statement>, RenderError> {
    Err(RenderError::Invalid { op: op.describe(), reason: "not rendered yet".into() })
}
