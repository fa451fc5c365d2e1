//! Neutral column types that the backends spell alike, and the limits they check lengths
//! and precisions against.
//!
//! A backend implements [`TypeSpelling`] with its limits and the types it spells its own way
//! (binary strings, enums, arrays); each backend's `types` says why it spells them so.

use crate::dialect::RenderError;
use crate::schema::ColumnType;

/// How one backend spells the neutral types.
pub(crate) trait TypeSpelling {
    /// The largest length `VARCHAR(n)` and `CHAR(n)` accept, from 1; `None` passes any.
    const MAX_CHAR_LENGTH: Option<u32>;

    /// The largest precision `NUMERIC(p,s)` accepts, from 1; `None` passes any.
    const MAX_NUMERIC_PRECISION: Option<u32>;

    /// The binary string type.
    const BYTES: &'static str;

    /// A column of the enum type `name`.
    fn enum_type(name: &str) -> String;

    /// `ty`, an array of `inner`.
    fn array_type(ty: &ColumnType, inner: &ColumnType) -> Result<String, RenderError>;

    /// Spells a neutral type.
    ///
    /// # Errors
    ///
    /// [`RenderError::Invalid`] for a length or precision beyond the backend's limits, so the
    /// mistake is reported when rendering, `--sql` included; what `array_type` refuses.
    fn column_type(ty: &ColumnType) -> Result<String, RenderError> {
        Ok(match ty {
            ColumnType::SmallInt => "SMALLINT".into(),
            ColumnType::Integer => "INTEGER".into(),
            ColumnType::BigInt => "BIGINT".into(),
            ColumnType::Real => "REAL".into(),
            ColumnType::Double => "DOUBLE PRECISION".into(),
            ColumnType::Numeric(None) => "NUMERIC".into(),
            ColumnType::Numeric(Some((precision, scale))) => {
                if let Some(max) = Self::MAX_NUMERIC_PRECISION
                    && !(1..=max).contains(precision)
                {
                    return Err(invalid(ty, format!("the precision must be between 1 and {max}")));
                }
                format!("NUMERIC({precision},{scale})")
            }
            ColumnType::Varchar(length) => sized::<Self>("VARCHAR", ty, *length)?,
            ColumnType::Char(length) => sized::<Self>("CHAR", ty, *length)?,
            ColumnType::Text => "TEXT".into(),
            ColumnType::Boolean => "BOOLEAN".into(),
            ColumnType::Date => "DATE".into(),
            ColumnType::Time => "TIME".into(),
            ColumnType::Timestamp => "TIMESTAMP".into(),
            ColumnType::Timestamptz => "TIMESTAMPTZ".into(),
            ColumnType::Interval => "INTERVAL".into(),
            ColumnType::Uuid => "UUID".into(),
            ColumnType::Json => "JSON".into(),
            ColumnType::Jsonb => "JSONB".into(),
            ColumnType::Bytes => Self::BYTES.into(),
            ColumnType::Enum(name) => Self::enum_type(name),
            ColumnType::Array(inner) => Self::array_type(ty, inner)?,
            ColumnType::Custom(text) => text.clone(),
        })
    }
}

/// `VARCHAR` / `CHAR` with an optional length.
fn sized<S: TypeSpelling + ?Sized>(keyword: &str, ty: &ColumnType, length: Option<u32>) -> Result<String, RenderError> {
    match (length, S::MAX_CHAR_LENGTH) {
        (None, _) => Ok(keyword.to_owned()),
        (Some(n), Some(max)) if !(1..=max).contains(&n) => {
            Err(invalid(ty, format!("the length must be between 1 and {max}")))
        }
        (Some(n), _) => Ok(format!("{keyword}({n})")),
    }
}

fn invalid(ty: &ColumnType, reason: String) -> RenderError {
    RenderError::Invalid { op: format!("type `{ty}`"), reason }
}

/// The types modules' test helper: `expected` is the spelling of `input`, or `Err(message)`
/// where `message` projects the error it expects (and `None` for any other error).
#[cfg(test)]
pub(crate) fn check_column_type(
    spell: fn(&ColumnType) -> Result<String, RenderError>,
    message: fn(RenderError) -> Option<String>,
    input: &str,
    expected: Result<&str, &str>,
) {
    let ty = ColumnType::parse(input).expect(input);
    match (spell(&ty), expected) {
        (Ok(spelled), Ok(want)) => assert_eq!(spelled, want, "{input}"),
        (Err(err), Err(want)) => match message(err.clone()) {
            Some(got) => assert_eq!(got, want, "{input}"),
            None => panic!("{input}: got {err:?}, expected {want:?}"),
        },
        (got, want) => panic!("{input}: got {got:?}, expected {want:?}"),
    }
}
