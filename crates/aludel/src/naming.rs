//! The project's naming convention for constraints and indexes, in one place: every model
//! source that names what its models leave unnamed (the SeaORM adapter, the schema.sql
//! reader) and the diff, when it makes up a name an op needs, take names from here, so that
//! the same constraint gets the same name whichever way it was declared.
//!
//! | what | name |
//! | --- | --- |
//! | primary key | `{table}_pkey` |
//! | unique constraint | `{table}_{columns}_key` |
//! | foreign key | `{table}_{columns}_fkey` |
//! | index | `ix_{table}_{columns}` |
//! | check on one column | `{table}_{column}_check` |
//! | check on several columns, or none | `{table}_check` |
//! | enum written inline in a column (MySQL) | `{table}_{column}` |
//! | primary key of the version table | `{table}_pkc`, as Alembic names it |
//! | check that stands for `NOT NULL` while it is set online | `{table}_{column}_not_null` |
//!
//! Several columns are joined by `_`. These are PostgreSQL's own names for what it names by
//! itself (a check names the one column its expression reads, as PostgreSQL decides), so a
//! database created without names reads back with the same ones. A name taken already is
//! numbered as PostgreSQL numbers it (`t_a_check1`), and a name longer than 63 bytes is
//! shortened as PostgreSQL shortens it: the table's and the columns' part, never the suffix
//! (an index's name, this project's own, is cut at the end).
//!
//! Pure: no IO, no SQL. Names a backend gives by itself (MySQL's `PRIMARY`, its index named
//! after a key's first column) are that backend's business, in its `dialect` folder.

use std::collections::BTreeSet;

use crate::schema::{Constraint, Table};

/// The longest name every backend keeps whole: PostgreSQL keeps the first 63 bytes of an
/// identifier.
pub const MAX_NAME_BYTES: usize = 63;

/// What a conventional name is for; see [`conventional_name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// `{table}_pkey`.
    PrimaryKey,
    /// `{table}_{columns}_key`.
    Unique,
    /// `{table}_{columns}_fkey`.
    ForeignKey,
    /// `ix_{table}_{columns}`.
    Index,
    /// `{table}_{columns}_check`, or `{table}_check` without columns.
    Check,
}

/// The conventional name of a constraint or index of `kind` on `columns` of `table`, at most
/// [`MAX_NAME_BYTES`] long (see [`postgres_object_name`]).
///
/// # Examples
///
/// ```
/// use aludel::naming::{NameKind, conventional_name};
///
/// assert_eq!(conventional_name::<&str>(NameKind::PrimaryKey, "users", &[]), "users_pkey");
/// assert_eq!(conventional_name(NameKind::Unique, "users", &["email"]), "users_email_key");
/// assert_eq!(conventional_name(NameKind::ForeignKey, "posts", &["author_id"]), "posts_author_id_fkey");
/// assert_eq!(conventional_name(NameKind::Index, "posts", &["slug"]), "ix_posts_slug");
/// assert_eq!(conventional_name(NameKind::Check, "users", &["age"]), "users_age_check");
/// assert_eq!(conventional_name::<&str>(NameKind::Check, "users", &[]), "users_check");
/// assert_eq!(conventional_name(NameKind::Unique, "tags", &["post_id", "name"]), "tags_post_id_name_key");
/// ```
pub fn conventional_name<S: AsRef<str>>(kind: NameKind, table: &str, columns: &[S]) -> String {
    numbered_name(kind, table, columns, 0)
}

/// [`conventional_name`] with PostgreSQL's number for the `n`th name taken (`users_age_check1`
/// for 1): the number goes on the label, and a long name is shortened as PostgreSQL shortens
/// it ([`postgres_object_name`]). An index, this project's own name, is cut at the end.
fn numbered_name<S: AsRef<str>>(kind: NameKind, table: &str, columns: &[S], n: u32) -> String {
    let columns = columns.iter().map(AsRef::as_ref).collect::<Vec<_>>().join("_");
    let column = (!columns.is_empty()).then_some(columns.as_str());
    let number = if n == 0 { String::new() } else { n.to_string() };
    let label = match kind {
        NameKind::PrimaryKey => return postgres_object_name(table, None, &format!("pkey{number}")),
        NameKind::Unique => "key",
        NameKind::ForeignKey => "fkey",
        NameKind::Check => "check",
        NameKind::Index => {
            return format!("{}{number}", truncated(&format!("ix_{table}_{columns}"), MAX_NAME_BYTES - number.len()));
        }
    };
    postgres_object_name(table, column, &format!("{label}{number}"))
}

/// The kind and columns a constraint's conventional name is made of. A check is named after
/// the one column of `table` its expression reads, as PostgreSQL names a check by itself;
/// after the table alone when it reads several columns or none.
fn name_parts<'c>(table: &'c Table, constraint: &'c Constraint) -> (NameKind, Vec<&'c str>) {
    match constraint {
        Constraint::PrimaryKey { .. } => (NameKind::PrimaryKey, Vec::new()),
        Constraint::Unique { columns, .. } => (NameKind::Unique, columns.iter().map(String::as_str).collect()),
        Constraint::ForeignKey { columns, .. } => (NameKind::ForeignKey, columns.iter().map(String::as_str).collect()),
        Constraint::Check { expr, .. } => {
            let columns = check_columns(table, expr);
            (NameKind::Check, if columns.len() == 1 { columns } else { Vec::new() })
        }
    }
}

/// The conventional name of `constraint` on `table` ([`name_parts`]).
pub fn constraint_name(table: &Table, constraint: &Constraint) -> String {
    let (kind, columns) = name_parts(table, constraint);
    conventional_name(kind, &table.name, &columns)
}

/// The conventional name of `constraint` on `table` that is not in `taken`: numbered as
/// PostgreSQL numbers the name it makes up when the plain one is taken (`t_a_check1`).
pub fn free_constraint_name(table: &Table, constraint: &Constraint, taken: &BTreeSet<String>) -> String {
    let (kind, columns) = name_parts(table, constraint);
    (0u32..)
        .map(|n| numbered_name(kind, &table.name, &columns, n))
        .find(|name| !taken.contains(name))
        .expect("the counter outlasts any set of names")
}

/// The name PostgreSQL makes up for an object of `table` declared without one (its
/// `makeObjectName`): `{table}_{column}_{label}`, or `{table}_{label}` without a column. When
/// that is longer than [`MAX_NAME_BYTES`], the longer of the table's and the column's name is
/// shortened, a byte at a time and then to a character boundary, until it fits; the label
/// stays whole. [`conventional_name`] cuts the end instead, which is the same below the limit.
///
/// # Examples
///
/// ```
/// use aludel::naming::postgres_object_name;
///
/// assert_eq!(postgres_object_name("users", Some("age"), "check"), "users_age_check");
/// // As PostgreSQL 15 names two checks of this table on the one column.
/// let table = "a_table_whose_name_takes_fifty_of_the_sixty_three_b";
/// assert_eq!(postgres_object_name(table, Some("column_of_twenty_chars"), "check"),
///     "a_table_whose_name_takes_fifty_of__column_of_twenty_chars_check");
/// assert_eq!(postgres_object_name(table, Some("column_of_twenty_chars"), "check1"),
///     "a_table_whose_name_takes_fifty_of_column_of_twenty_chars_check1");
/// ```
pub fn postgres_object_name(table: &str, column: Option<&str>, label: &str) -> String {
    let overhead = label.len() + 1 + usize::from(column.is_some());
    let available = MAX_NAME_BYTES.saturating_sub(overhead);
    let (mut table_bytes, mut column_bytes) = (table.len(), column.map_or(0, str::len));
    while table_bytes + column_bytes > available {
        if table_bytes > column_bytes {
            table_bytes -= 1;
        } else {
            column_bytes -= 1;
        }
    }
    let mut name = truncated(table, table_bytes).to_owned();
    if let Some(column) = column {
        name.push('_');
        name.push_str(truncated(column, column_bytes));
    }
    name.push('_');
    name.push_str(label);
    name
}

/// The name of the check `column IS NOT NULL` that lets PostgreSQL set `NOT NULL` without a
/// scan; it lives only while the revision that sets it runs.
pub fn not_null_check_name(table: &str, column: &str) -> String {
    truncated(&format!("{table}_{column}_not_null"), MAX_NAME_BYTES).to_owned()
}

/// The name of the enum type that a column's inline enum (MySQL's `ENUM('a','b')`, which
/// has no name of its own) stands for in the models.
pub fn inline_enum_name(table: &str, column: &str) -> String {
    format!("{table}_{column}")
}

/// The name PostgreSQL gives the constraint of `table` that `constraint` describes (names
/// aside) when `table` declares it without a name: the table's unnamed constraints are
/// named in order ([`free_constraint_name`]), each clear of the names taken before it.
/// `None` when `table` holds no such unnamed constraint.
pub fn unnamed_constraint_name(table: &Table, constraint: &Constraint) -> Option<String> {
    let mut taken: BTreeSet<String> = table.constraints.iter().filter_map(|c| c.name().map(str::to_owned)).collect();
    let wanted = constraint.with_name(None);
    for unnamed in table.constraints.iter().filter(|c| c.name().is_none()) {
        let name = free_constraint_name(table, unnamed, &taken);
        if *unnamed == wanted {
            return Some(name);
        }
        taken.insert(name);
    }
    None
}

/// The columns of `table` that `expr` names, each once, in the table's order. Names are
/// words outside string literals, bare (compared without regard to case, as unquoted names
/// fold) or quoted with `"` or `` ` `` (compared exactly).
fn check_columns<'t>(table: &'t Table, expr: &str) -> Vec<&'t str> {
    let words = words(expr);
    table
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .filter(|name| {
            words.iter().any(|(word, quoted)| if *quoted { word == name } else { word.eq_ignore_ascii_case(name) })
        })
        .collect()
}

/// The names in an SQL expression, each with whether it was quoted.
fn words(expr: &str) -> Vec<(String, bool)> {
    let mut words = Vec::new();
    let mut chars = expr.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        match c {
            '\'' | '"' | '`' => {
                let mut text = String::new();
                loop {
                    match chars.next() {
                        Some((_, q)) if q == c && chars.peek().is_some_and(|(_, n)| *n == c) => {
                            chars.next();
                            text.push(c);
                        }
                        Some((_, q)) if q == c => break,
                        Some((_, other)) => text.push(other),
                        None => break,
                    }
                }
                if c != '\'' {
                    words.push((text, true));
                }
            }
            _ if c.is_alphabetic() || c == '_' => {
                let mut end = start + c.len_utf8();
                while let Some(&(i, n)) = chars.peek() {
                    if !(n.is_alphanumeric() || n == '_' || n == '$') {
                        break;
                    }
                    end = i + n.len_utf8();
                    chars.next();
                }
                words.push((expr[start..end].to_owned(), false));
            }
            // A number's digits and letters (`1e5`, `0x1f`) are no name.
            _ if c.is_ascii_digit() => {
                while chars.peek().is_some_and(|(_, n)| n.is_alphanumeric() || *n == '.' || *n == '_') {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    words
}

/// `name` cut to [`MAX_NAME_BYTES`], on a character boundary: the name PostgreSQL keeps.
pub fn fitted(name: &str) -> &str {
    truncated(name, MAX_NAME_BYTES)
}

/// `name` cut to at most `bytes` bytes, on a character boundary.
fn truncated(name: &str, bytes: usize) -> &str {
    let mut end = name.len().min(bytes);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::schema::{Column, ColumnType, References};

    fn table(name: &str, columns: &[&str]) -> Table {
        let mut table = Table::new(name);
        table.columns = columns.iter().map(|c| Column::new(c, ColumnType::Integer)).collect();
        table
    }

    /// `expr` as the check of a table with `columns`: the name the convention gives it.
    fn check(columns: &[&str], expr: &str, expected: &str) {
        let constraint = Constraint::Check { name: None, expr: expr.to_owned() };
        assert_eq!(constraint_name(&table("posts", columns), &constraint), expected, "{expr}");
    }

    #[test]
    fn checks_are_named_after_the_one_column_they_read() {
        check(&["id", "age"], "age >= 0", "posts_age_check");
        check(&["id", "age"], "AGE >= 0 AND age < 200", "posts_age_check");
        check(&["id", "Age"], r#""Age" >= 0"#, "posts_Age_check");
        check(&["id", "Age"], r#""age" >= 0"#, "posts_check");
        check(&["id", "age"], "age > id", "posts_check");
        check(&["id", "age"], "length('age') > 1e3", "posts_check");
        check(&["id", "age"], "'it''s age' <> '' AND `age` > 0", "posts_age_check");
        check(&["a"], "a > 0", "posts_a_check");
        check(&[], "a > 0", "posts_check");
    }

    #[test]
    fn made_up_names_follow_the_convention_and_avoid_clashes() {
        let fk = Constraint::ForeignKey {
            name: None,
            columns: vec!["a".into(), "b".into()],
            references: References { table: "t".into(), columns: vec!["x".into(), "y".into()] },
            on_delete: None,
            on_update: None,
        };
        let posts = table("posts", &["id"]);
        assert_eq!(constraint_name(&posts, &fk), "posts_a_b_fkey");
        let check = Constraint::Check { name: None, expr: "a > 0".into() };
        let taken: BTreeSet<String> = ["posts_check".to_owned(), "posts_check1".to_owned()].into();
        assert_eq!(free_constraint_name(&posts, &check, &taken), "posts_check2");
        // A long name keeps its number whole, as PostgreSQL keeps its label: the table's part
        // is shortened (two names PostgreSQL 15 gave).
        let long = table("a_table_whose_name_takes_fifty_of_the_sixty_three_b", &["column_of_twenty_chars"]);
        let on_column = Constraint::Check { name: None, expr: "column_of_twenty_chars > 0".into() };
        let first = free_constraint_name(&long, &on_column, &BTreeSet::new());
        assert_eq!(first, "a_table_whose_name_takes_fifty_of__column_of_twenty_chars_check");
        assert_eq!(
            free_constraint_name(&long, &on_column, &BTreeSet::from([first])),
            "a_table_whose_name_takes_fifty_of_column_of_twenty_chars_check1"
        );
        let key = Constraint::PrimaryKey { name: None, columns: vec!["id".into()] };
        assert_eq!(constraint_name(&posts, &key), "posts_pkey");
        let unique = Constraint::Unique { name: None, columns: vec!["id".into()] };
        assert_eq!(constraint_name(&posts, &unique), "posts_id_key");
    }

    #[test]
    fn names_are_cut_on_a_character_boundary() {
        let long = "é".repeat(40);
        assert_eq!(conventional_name(NameKind::Unique, &long, &["a"]).len(), 62);
        assert_eq!(conventional_name(NameKind::Unique, &"t".repeat(80), &["a"]).len(), 63);
        assert_eq!(inline_enum_name("posts", "mood"), "posts_mood");
    }
}
