//! Neutral column types spelled for this backend.

use crate::dialect::RenderError;
use crate::schema::ColumnType;

/// Spells a neutral type.
pub(super) fn column_type(ty: &ColumnType) -> Result<String, RenderError> {
    Ok(ty.to_string())
}
