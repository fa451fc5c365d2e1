//! The posts' read statements, built by SeaORM once per backend and shape and bound per
//! request. Building them anew for every request took a tenth of the read routes' time in the
//! service (a profile under `bench/blog_load.rs`); binding costs a copy of the text.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};

use sea_orm::sea_query::{Asterisk, Expr, Func, Query, QueryStatementBuilder, SimpleExpr};
use sea_orm::{
    ColumnTrait, DbBackend, EntityTrait, Iterable, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Set,
    Statement, Value,
};

use crate::posts::models::{attachment, post};

static POST_WITH_ATTACHMENTS: [OnceLock<Option<Template<1>>>; 3] = [const { OnceLock::new() }; 3];
static PAGE_BY_AUTHOR: [OnceLock<Option<Template<3>>>; 3] = [const { OnceLock::new() }; 3];
static PAGE: [OnceLock<Option<Template<2>>>; 3] = [const { OnceLock::new() }; 3];
static INSERT_POST: [OnceLock<String>; 3] = [const { OnceLock::new() }; 3];

/// One post and its attachments, oldest first: SeaORM's own join of the two entities.
pub(super) fn post_with_attachments(backend: DbBackend, id: i64) -> Statement {
    let build = |[id]: [i64; 1]| post_with_attachments_query(id).build(backend);
    bind(&POST_WITH_ATTACHMENTS[slot(backend)], backend, build, [id])
}

/// A page of posts, newest first, optionally by one author, each row carrying the count of
/// the whole list as `total` (a subquery the database runs once).
pub(super) fn page(backend: DbBackend, author_id: Option<i64>, limit: u64, offset: u64) -> Statement {
    // Limits and offsets are at most `MAX_PAGE * MAX_SIZE`, far below `i64::MAX`.
    let (limit, offset) = (i64::try_from(limit).unwrap_or(i64::MAX), i64::try_from(offset).unwrap_or(i64::MAX));
    match author_id {
        Some(author_id) => {
            let build = |[author, limit, offset]: [i64; 3]| {
                page_query(Some(author), limit.unsigned_abs(), offset.unsigned_abs()).build(backend)
            };
            bind(&PAGE_BY_AUTHOR[slot(backend)], backend, build, [author_id, limit, offset])
        }
        None => {
            let build = |[limit, offset]: [i64; 2]| {
                page_query(None, limit.unsigned_abs(), offset.unsigned_abs()).build(backend)
            };
            bind(&PAGE[slot(backend)], backend, build, [limit, offset])
        }
    }
}

/// Inserts a post by `author_id` written `at`, and returns the new post's columns
/// (`RETURNING`, as SeaORM's own insert asks for them). The text is the one SeaORM builds for
/// such a row, built once per backend; only the values are bound per request.
pub(super) fn insert_post(
    backend: DbBackend,
    author_id: i64,
    title: String,
    body: String,
    at: DateTime<Utc>,
) -> Statement {
    let sql = INSERT_POST[slot(backend)]
        .get_or_init(|| built_insert_post(backend, 0, String::new(), String::new(), DateTime::<Utc>::UNIX_EPOCH).sql);
    let values = [Value::from(author_id), Value::from(title), Value::from(body), Value::from(at), Value::from(at)];
    Statement::from_sql_and_values(backend, sql.as_str(), values)
}

/// [`insert_post`] as SeaORM builds it.
fn built_insert_post(backend: DbBackend, author_id: i64, title: String, body: String, at: DateTime<Utc>) -> Statement {
    let row = post::ActiveModel {
        author_id: Set(author_id),
        title: Set(title),
        body: Set(body),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    let mut insert = post::Entity::insert(row).into_query();
    insert.returning(Query::returning().columns(post::Column::iter()));
    backend.build(&insert)
}

/// The count of [`page`]'s list alone, for a page past its end (which has no row to carry it).
pub(super) fn count(backend: DbBackend, author_id: Option<i64>) -> Statement {
    count_query(author_id).build(backend)
}

fn post_with_attachments_query(id: i64) -> sea_orm::SelectTwoMany<post::Entity, attachment::Entity> {
    post::Entity::find_by_id(id).find_with_related(attachment::Entity).order_by_asc(attachment::Column::Id)
}

fn filtered(author_id: Option<i64>) -> Select<post::Entity> {
    match author_id {
        Some(author_id) => post::Entity::find().filter(post::Column::AuthorId.eq(author_id)),
        None => post::Entity::find(),
    }
}

fn count_query(author_id: Option<i64>) -> Select<post::Entity> {
    filtered(author_id).select_only().column_as(Expr::expr(Func::count(Expr::col(Asterisk))), "total")
}

fn page_query(author_id: Option<i64>, limit: u64, offset: u64) -> Select<post::Entity> {
    let count = count_query(author_id).into_query().into_sub_query_statement();
    filtered(author_id)
        .column_as(SimpleExpr::SubQuery(None, Box::new(count)), "total")
        .order_by_desc(post::Column::CreatedAt)
        .order_by_desc(post::Column::Id)
        .offset(offset)
        .limit(limit)
}

fn slot(backend: DbBackend) -> usize {
    match backend {
        DbBackend::Postgres => 0,
        DbBackend::Sqlite => 1,
        _ => 2,
    }
}

/// A statement's text, built once, and for each of its parameters which of the `N` request
/// values it takes (a value may fill several parameters) and whether SeaORM binds it unsigned.
#[derive(Debug)]
struct Template<const N: usize> {
    sql: String,
    params: Vec<(usize, Sign)>,
}

/// The integer type SeaORM gave a parameter: an id is signed, a limit or offset unsigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sign {
    Signed,
    Unsigned,
}

impl<const N: usize> Template<N> {
    /// Builds the statement twice with two sets of stand-ins, values no request sends and all
    /// different, and learns each parameter's value by finding its stand-in. `None` (build per
    /// request) when a value is written into the text (the texts differ) or a parameter is no
    /// stand-in.
    fn learn(build: impl Fn([i64; N]) -> Statement) -> Option<Template<N>> {
        let stand_ins = |base: i64| std::array::from_fn(|i| base - i64::try_from(i).unwrap_or(0));
        let (first, second): ([i64; N], [i64; N]) = (stand_ins(-7_000_001), stand_ins(-9_000_001));
        let (built, again) = (build(first), build(second));
        if built.sql != again.sql {
            return None;
        }
        let values = built.values.map(|values| values.0).unwrap_or_default();
        let params = values.iter().map(|value| stand_in_of(value, &first)).collect::<Option<Vec<_>>>()?;
        Some(Template { sql: built.sql, params })
    }

    fn bind(&self, backend: DbBackend, values: [i64; N]) -> Statement {
        let params = self.params.iter().map(|&(i, sign)| match sign {
            Sign::Signed => Value::from(values[i]),
            Sign::Unsigned => Value::from(values[i].unsigned_abs()),
        });
        Statement::from_sql_and_values(backend, self.sql.as_str(), params)
    }
}

/// Which stand-in a parameter SeaORM built is, and its integer type (the query methods that
/// take unsigned values are given a stand-in's magnitude).
fn stand_in_of(value: &Value, stand_ins: &[i64]) -> Option<(usize, Sign)> {
    let (found, sign) = match value {
        Value::BigInt(Some(n)) => (stand_ins.iter().position(|s| s == n), Sign::Signed),
        Value::BigUnsigned(Some(n)) => (stand_ins.iter().position(|s| s.unsigned_abs() == *n), Sign::Unsigned),
        _ => (None, Sign::Signed),
    };
    Some((found?, sign))
}

fn bind<const N: usize>(
    cell: &OnceLock<Option<Template<N>>>,
    backend: DbBackend,
    build: impl Fn([i64; N]) -> Statement,
    values: [i64; N],
) -> Statement {
    match cell.get_or_init(|| Template::learn(&build)) {
        Some(template) => template.bind(backend, values),
        None => build(values),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BACKENDS: [DbBackend; 3] = [DbBackend::Postgres, DbBackend::Sqlite, DbBackend::MySql];

    #[test]
    fn a_bound_statement_is_the_one_seaorm_builds_for_the_same_values() {
        for backend in BACKENDS {
            for id in [1, 42, i64::MAX] {
                let fresh = post_with_attachments_query(id).build(backend);
                assert_eq!(post_with_attachments(backend, id), fresh, "{backend:?} {id}");
            }
            for author in [None, Some(1), Some(7)] {
                for (limit, offset) in [(20, 0), (50, 100), (100, 99_999_999_900)] {
                    let fresh = page_query(author, limit, offset).build(backend);
                    assert_eq!(page(backend, author, limit, offset), fresh, "{backend:?} {author:?} {limit} {offset}");
                }
            }
        }
    }

    #[test]
    fn every_statement_is_learned_with_no_value_in_its_text() {
        for backend in BACKENDS {
            post_with_attachments(backend, 5);
            page(backend, Some(3), 20, 40);
            page(backend, None, 20, 40);
            let learned = [
                POST_WITH_ATTACHMENTS[slot(backend)].get().and_then(Option::as_ref).map(|t| (&t.sql, t.params.len())),
                PAGE_BY_AUTHOR[slot(backend)].get().and_then(Option::as_ref).map(|t| (&t.sql, t.params.len())),
                PAGE[slot(backend)].get().and_then(Option::as_ref).map(|t| (&t.sql, t.params.len())),
            ];
            // The id; the author twice (the count and the page), the limit, the offset; the
            // limit and the offset.
            let expected_params = [1, 4, 2];
            for (template, expected) in learned.into_iter().zip(expected_params) {
                let (sql, params) = template.unwrap_or_else(|| panic!("{backend:?}: a statement was not learned"));
                assert_eq!(params, expected, "{backend:?}: {sql}");
                assert!(!sql.contains("7000001") && !sql.contains("9000001"), "{backend:?}: {sql}");
            }
        }
    }

    #[test]
    fn a_statement_with_a_value_in_its_text_is_built_per_request() {
        let build = |[id]: [i64; 1]| Statement::from_string(DbBackend::Postgres, format!("SELECT {id}"));
        assert!(Template::learn(build).is_none());
        let cell = OnceLock::new();
        assert_eq!(bind(&cell, DbBackend::Postgres, build, [12]).sql, "SELECT 12");
        assert_eq!(bind(&cell, DbBackend::Postgres, build, [13]).sql, "SELECT 13");
    }

    #[test]
    fn a_parameter_that_is_no_stand_in_is_not_learned() {
        let build = |[id]: [i64; 1]| {
            Statement::from_sql_and_values(DbBackend::Postgres, "SELECT $1, $2", [Value::from(id), Value::from(3_i64)])
        };
        assert!(Template::learn(build).is_none());
    }
}

#[cfg(test)]
mod insert_tests {
    use super::*;

    /// The text SeaORM's own `ActiveModel::insert` sends (the benchmark's floor runs it).
    #[test]
    fn a_new_post_is_inserted_as_seaorm_inserts_it() {
        let now = Utc::now();
        let expected = r#"INSERT INTO "posts" ("author_id", "title", "body", "created_at", "updated_at") VALUES ($1, $2, $3, $4, $5) RETURNING "id", "author_id", "title", "body", "created_at", "updated_at""#;
        let statement = insert_post(DbBackend::Postgres, 1, "t".to_owned(), "b".to_owned(), now);
        assert_eq!(statement.sql, expected);
        assert_eq!(statement.values.map(|values| values.0.len()), Some(5));
        assert_eq!(
            insert_post(DbBackend::Sqlite, 1, "t".to_owned(), "b".to_owned(), now).sql,
            expected.replace('$', "?").replace(|c: char| c.is_ascii_digit(), "")
        );
    }

    /// Text and values bound to the text built once are the ones SeaORM builds per row.
    #[test]
    fn a_bound_insert_is_the_one_seaorm_builds_for_the_same_row() {
        let at = Utc::now();
        for backend in [DbBackend::Postgres, DbBackend::Sqlite, DbBackend::MySql] {
            for (author, title, body) in [(1, "t", "b"), (i64::MAX, "it's \"quoted\"", "$1 ? ; --"), (7, "", "")] {
                let (title, body) = (title.to_owned(), body.to_owned());
                assert_eq!(
                    insert_post(backend, author, title.clone(), body.clone(), at),
                    built_insert_post(backend, author, title, body, at),
                    "{backend:?}"
                );
            }
        }
    }
}
