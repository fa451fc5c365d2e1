//! The one page envelope every list uses, `{"items", "total", "page", "size", "pages"}` (the
//! shape of fastapi-pagination), and the `page` / `size` query parameters.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use crate::errors::{AppError, FieldError};

/// Items per page when `size` is not given.
pub const DEFAULT_SIZE: u64 = 50;
/// The largest `size` accepted.
pub const MAX_SIZE: u64 = 100;
/// The largest `page` accepted: its offset, at most `(MAX_PAGE - 1) * MAX_SIZE` rows, fits
/// every database's 64-bit signed integer with room to spare.
pub const MAX_PAGE: u64 = 1_000_000_000;

/// Which page to return: `page` from 1, `size` from 1 to [`MAX_SIZE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageParams {
    /// 1-based page number.
    pub page: u64,
    /// Items per page.
    pub size: u64,
}

impl PageParams {
    /// Reads `page` and `size` from query parameters; collects every problem as a 422.
    ///
    /// # Errors
    ///
    /// [`AppError::Validation`] for a value that is not a number or out of range.
    pub fn from_query(query: &HashMap<String, String>) -> Result<PageParams, AppError> {
        let mut errors = Vec::new();
        let params = PageParams::read(query, &mut errors);
        if errors.is_empty() { Ok(params) } else { Err(AppError::Validation(errors)) }
    }

    /// Reads `page` and `size`, pushing any problem to `errors` (for endpoints that check
    /// more parameters and report them together).
    pub fn read(query: &HashMap<String, String>, errors: &mut Vec<FieldError>) -> PageParams {
        let page = query_int(query, "page", 1, 1, MAX_PAGE, errors);
        let size = query_int(query, "size", DEFAULT_SIZE, 1, MAX_SIZE, errors);
        PageParams { page, size }
    }

    /// Rows to skip (at most `(MAX_PAGE - 1) * MAX_SIZE` for parameters read from a query).
    pub fn offset(&self) -> u64 {
        self.page.saturating_sub(1).saturating_mul(self.size)
    }
}

/// An integer query parameter between `min` and `max`, `default` when absent; a problem is
/// pushed to `errors` (and `default` returned).
pub fn query_int(
    query: &HashMap<String, String>,
    name: &str,
    default: u64,
    min: u64,
    max: u64,
    errors: &mut Vec<FieldError>,
) -> u64 {
    let Some(raw) = query.get(name) else { return default };
    let loc = ["query", name];
    match raw.trim().parse::<i128>() {
        Err(_) => errors.push(FieldError::new(
            "int_parsing",
            &loc,
            "Input should be a valid integer, unable to parse string as an integer",
            Value::from(raw.as_str()),
        )),
        Ok(n) if n < i128::from(min) => errors.push(FieldError::new(
            "greater_than_equal",
            &loc,
            format!("Input should be greater than or equal to {min}"),
            Value::from(raw.as_str()),
        )),
        Ok(n) if n > i128::from(max) => errors.push(FieldError::new(
            "less_than_equal",
            &loc,
            format!("Input should be less than or equal to {max}"),
            Value::from(raw.as_str()),
        )),
        Ok(n) => return u64::try_from(n).unwrap_or(default),
    }
    default
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Items in the whole list.
    pub total: u64,
    /// This page's number, from 1.
    pub page: u64,
    /// The page size asked for.
    pub size: u64,
    /// Pages in the whole list.
    pub pages: u64,
}

impl<T> Page<T> {
    /// A page of `items` out of `total`.
    pub fn new(items: Vec<T>, total: u64, params: PageParams) -> Page<T> {
        Page { items, total, page: params.page, size: params.size, pages: total.div_ceil(params.size) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(query: &[(&str, &str)], expected: Result<(u64, u64), Vec<&str>>) {
        let query = query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let result = PageParams::from_query(&query).map(|p| (p.page, p.size)).map_err(|e| match e {
            AppError::Validation(errors) => errors.into_iter().map(|e| e.kind).collect::<Vec<_>>(),
            other => panic!("unexpected {other:?}"),
        });
        let expected = expected.map_err(|kinds| kinds.into_iter().map(str::to_owned).collect::<Vec<_>>());
        assert_eq!(result, expected, "{query:?}");
    }

    #[test]
    fn page_parameters_are_checked() {
        check(&[], Ok((1, DEFAULT_SIZE)));
        check(&[("page", "3"), ("size", "20")], Ok((3, 20)));
        check(&[("page", "0")], Err(vec!["greater_than_equal"]));
        check(&[("page", "x"), ("size", "101")], Err(vec!["int_parsing", "less_than_equal"]));
        check(&[("page", "1000000000"), ("size", "100")], Ok((MAX_PAGE, MAX_SIZE)));
        check(&[("page", "1000000001")], Err(vec!["less_than_equal"]));
        check(&[("page", "9223372036854775807")], Err(vec!["less_than_equal"]));
        check(&[("page", "99999999999999999999999999999999999999999")], Err(vec!["int_parsing"]));
        let deepest = PageParams { page: MAX_PAGE, size: MAX_SIZE };
        assert!(i64::try_from(deepest.offset()).is_ok());
        assert_eq!(Page::new(vec![1], 41, PageParams { page: 1, size: 20 }).pages, 3);
        assert_eq!(Page::<u8>::new(vec![], 0, PageParams { page: 1, size: 20 }).pages, 0);
    }
}
