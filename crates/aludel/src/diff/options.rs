//! What [`diff`](crate::diff::diff) compares and which tables it looks at: [`DiffOptions`]
//! (from `[autogenerate]` in aludel.toml), the renames the models declare ([`RenameHints`]),
//! and the include and exclude globs.

use std::collections::BTreeMap;

use crate::config::AutogenerateConfig;

/// Renames the models declare (`renamed_from`). A hint turns what would be a drop and an add
/// into `rename_table` or an `alter_column` with `new_name`, which keeps the rows.
///
/// A hint whose rename the database already shows (only the new name exists) is ignored
/// silently, so hints can stay in the models after the migration ran.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenameHints {
    /// New table name (as the models name it) -> old table name (as the database has it).
    pub tables: BTreeMap<String, String>,
    /// (table as the models name it, new column name) -> old column name.
    pub columns: BTreeMap<(String, String), String>,
}

/// What [`diff`] compares and which tables it looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffOptions {
    /// Compare column types (`compare_type` in aludel.toml).
    pub compare_types: bool,
    /// Compare server defaults (`compare_server_default` in aludel.toml).
    pub compare_server_defaults: bool,
    /// Renames declared by the models.
    pub renames: RenameHints,
    /// Globs (`*` and `?`) of the tables to compare; empty means every table.
    pub include: Vec<String>,
    /// Globs of tables to leave out, on both sides. The caller adds the version and history
    /// tables here.
    pub exclude: Vec<String>,
    /// How the database quotes a name (`"` or MySQL's `` ` ``), for a renamed column that
    /// expressions must quote (`Quantity`).
    pub identifier_quote: char,
    /// Whether a foreign key stops a type change of its columns or of the columns it
    /// references (MySQL), so that the diff drops it before and adds it back after.
    pub foreign_keys_block_type_changes: bool,
    /// Whether a stored generated column stops a type or collation change of a column it
    /// reads (PostgreSQL: "cannot alter type of a column used by a generated column"), so
    /// that the diff drops the generated column before and adds it back after.
    pub generated_columns_block_type_changes: bool,
    /// Whether the nullability of a primary key column is no difference (SQLite): its rowid
    /// holds no NULL whatever it declares, and a key column declared without `NOT NULL`, which
    /// SQLite lets hold NULL, means what every other database makes of it (a history made on
    /// PostgreSQL declares it `NOT NULL`, a schema.sql read on SQLite does not).
    pub primary_key_nullability_unread: bool,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            compare_types: true,
            compare_server_defaults: true,
            renames: RenameHints::default(),
            include: Vec::new(),
            exclude: Vec::new(),
            identifier_quote: '"',
            foreign_keys_block_type_changes: false,
            generated_columns_block_type_changes: false,
            primary_key_nullability_unread: false,
        }
    }
}

impl DiffOptions {
    /// Whether `table` is compared: it matches an include glob (or there are none) and no
    /// exclude glob. Globs know `*` (any run of characters) and `?` (one character).
    pub fn includes(&self, table: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|glob| glob_match(glob, table)))
            && !self.exclude.iter().any(|glob| glob_match(glob, table))
    }
}

impl From<&AutogenerateConfig> for DiffOptions {
    fn from(config: &AutogenerateConfig) -> Self {
        let columns = config
            .rename_columns
            .iter()
            .filter_map(|(key, old)| {
                let (table, column) = key.rsplit_once('.')?;
                Some(((table.to_owned(), column.to_owned()), old.clone()))
            })
            .collect();
        DiffOptions {
            compare_types: config.compare_type,
            compare_server_defaults: config.compare_server_default,
            renames: RenameHints { tables: config.rename_tables.clone(), columns },
            include: config.include_tables.clone(),
            exclude: config.exclude_tables.clone(),
            ..DiffOptions::default()
        }
    }
}

/// Matches `text` against a glob of `*` (any run of characters) and `?` (one character).
fn glob_match(pattern: &str, text: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was, and how much of the text it has swallowed so far.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_star_and_question_mark() {
        let check = |pattern: &str, text: &str, expected: bool| {
            assert_eq!(glob_match(pattern, text), expected, "{pattern:?} vs {text:?}");
        };
        check("*", "", true);
        check("*", "users", true);
        check("users", "users", true);
        check("users", "user", false);
        check("user?", "users", true);
        check("user?", "user", false);
        check("aludel_*", "aludel_version", true);
        check("aludel_*", "users", false);
        check("*_log", "audit_log", true);
        check("*_log", "audit_logs", false);
        check("a*b*c", "axxbyyc", true);
        check("a*b*c", "axxbyy", false);
        check("**x", "abx", true);
        check("?", "é", true);
    }

    #[test]
    fn options_include_then_exclude() {
        let options = DiffOptions {
            include: vec!["app_*".into(), "users".into()],
            exclude: vec!["app_tmp*".into()],
            ..DiffOptions::default()
        };
        for (table, expected) in [("users", true), ("app_posts", true), ("app_tmp_1", false), ("other", false)] {
            assert_eq!(options.includes(table), expected, "{table}");
        }
        assert!(DiffOptions::default().includes("anything"));
        let from_config = DiffOptions::from(&AutogenerateConfig::default());
        assert!(from_config.includes("users"));
    }
}
