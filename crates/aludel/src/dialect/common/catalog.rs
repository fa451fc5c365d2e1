//! Reading catalog rows, as every backend's introspection does: the queries run through
//! [`Session::query_text`], every cell as text, and a cell that is missing or does not read
//! is an [`IntrospectError::Definition`] naming what was being read.

use crate::dialect::{IntrospectError, Session, TextRows};

/// Runs a catalog query; `what` names what it reads in the error.
pub(crate) async fn query(
    session: &mut dyn Session,
    what: &'static str,
    sql: &str,
) -> Result<TextRows, IntrospectError> {
    session.query_text(sql).await.map_err(|source| IntrospectError::Query { what, source })
}

/// The catalog returned something this reader does not understand about `what`.
pub(crate) fn unexpected(what: impl Into<String>, detail: impl Into<String>) -> IntrospectError {
    IntrospectError::Definition { object: what.into(), reason: detail.into() }
}

/// Cell `i` of `row`; `None` for SQL `NULL`.
pub(crate) fn cell(row: &[Option<String>], i: usize) -> Option<&str> {
    row.get(i).and_then(|c| c.as_deref())
}

/// A cell the query always fills.
pub(crate) fn required<'a>(row: &'a [Option<String>], i: usize, what: &str) -> Result<&'a str, IntrospectError> {
    cell(row, i).ok_or_else(|| unexpected(what, format!("the catalog returned no value in column {i}")))
}

/// A cell holding a whole number.
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))] // PostgreSQL and MySQL read numbers as text.
pub(crate) fn number(row: &[Option<String>], i: usize, what: &str) -> Result<i64, IntrospectError> {
    let value = required(row, i, what)?;
    value.parse().map_err(|_| unexpected(what, format!("the catalog returned `{value}` where a number belongs")))
}

/// A cell holding one of a closed set of words, each standing for a value of `T`; `kind`
/// says what the word is (`a column's kind`) when it is none of them.
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))] // Only SQLite's pragmas answer in codes.
pub(crate) fn one_of<T: Copy>(
    row: &[Option<String>],
    i: usize,
    what: &str,
    kind: &str,
    words: &[(&str, T)],
) -> Result<T, IntrospectError> {
    let value = required(row, i, what)?;
    words
        .iter()
        .find(|(word, _)| *word == value)
        .map(|(_, meaning)| *meaning)
        .ok_or_else(|| unexpected(what, format!("the catalog returned `{value}` as {kind}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_unreadable_cells_name_what_was_read() {
        let row = vec![Some("7".to_owned()), None, Some("x".to_owned())];
        assert_eq!(cell(&row, 0), Some("7"));
        assert_eq!(cell(&row, 1), None);
        assert_eq!(cell(&row, 9), None);
        assert_eq!(number(&row, 0, "t").ok(), Some(7));
        let message = |err: IntrospectError| err.to_string();
        assert_eq!(
            required(&row, 1, "table t").map_err(message),
            Err("could not read the definition of table t: the catalog returned no value in column 1; please \
                 report it with the object's SQL"
                .to_owned())
        );
        assert_eq!(one_of(&row, 0, "t", "a code", &[("6", 'a'), ("7", 'b')]).ok(), Some('b'));
        assert_eq!(
            one_of(&row, 2, "table t", "a code", &[("7", 'b')]).map_err(message),
            Err("could not read the definition of table t: the catalog returned `x` as a code; please report it \
                 with the object's SQL"
                .to_owned())
        );
        assert_eq!(
            number(&row, 2, "table t").map_err(message),
            Err("could not read the definition of table t: the catalog returned `x` where a number belongs; \
                 please report it with the object's SQL"
                .to_owned())
        );
    }
}
