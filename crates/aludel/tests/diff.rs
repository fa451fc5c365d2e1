//! The diff, without a database: a corpus of cases and a random property test.
//!
//! A case is TOML: `[[database]]` and `[[models]]` ops build the two schemas from nothing
//! (through `Schema::apply`), `[options]` sets the diff options, `warnings` lists the kinds of
//! warning expected and `destructive` how many ops are flagged. The upgrade (with warnings and
//! destructive ops) is snapshotted as `diff__{case}`. Every case, and every random pair, must
//! also hold the round trip: the upgrade applied to the database gives the models (names the
//! models leave to the backend aside, column and constraint order aside), diffing again gives
//! nothing, and the downgrade gives the database back.
//!
//! `ALUDEL_TEST_CASE=<substring>` (comma-separated) narrows a run to some cases.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};

use aludel::diff::{Diff, DiffOptions, RenameHints, Warning, diff};
use aludel::ops::Op;
use aludel::schema::{ColumnType, Constraint, Schema, Table};
use serde::{Deserialize, Serialize};

use crate::common::random::{Flavor, random_schema};

/// One case, as the TOML texts in [`CASES`] spell it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// Ops that build the database schema.
    #[serde(default)]
    database: Vec<Op>,
    /// Ops that build the models' schema.
    #[serde(default)]
    models: Vec<Op>,
    #[serde(default)]
    options: CaseOptions,
    /// The kinds of the warnings expected, in order (`likely_rename`, ...).
    #[serde(default)]
    warnings: Vec<String>,
    /// How many upgrade ops are destructive.
    #[serde(default)]
    destructive: usize,
    /// `false` where the diff leaves a difference on purpose (an option turns a comparison
    /// off, no op can express it); the upgrade must then still converge and reverse.
    #[serde(default = "yes")]
    reaches_models: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseOptions {
    compare_types: Option<bool>,
    compare_server_defaults: Option<bool>,
    /// New table name -> old one.
    #[serde(default)]
    rename_tables: BTreeMap<String, String>,
    #[serde(default)]
    rename_columns: Vec<ColumnHint>,
    #[serde(default)]
    include: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnHint {
    table: String,
    column: String,
    renamed_from: String,
}

impl CaseOptions {
    fn to_options(&self) -> DiffOptions {
        let defaults = DiffOptions::default();
        DiffOptions {
            compare_types: self.compare_types.unwrap_or(defaults.compare_types),
            compare_server_defaults: self.compare_server_defaults.unwrap_or(defaults.compare_server_defaults),
            renames: RenameHints {
                tables: self.rename_tables.clone(),
                columns: self
                    .rename_columns
                    .iter()
                    .map(|h| ((h.table.clone(), h.column.clone()), h.renamed_from.clone()))
                    .collect(),
            },
            include: self.include.clone(),
            exclude: self.exclude.clone(),
            ..defaults
        }
    }
}

const CASES: &[(&str, &str)] = &[
    (
        "no_changes",
        r#"
        [[database]]
        op = "create_table"
        table = "users"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "email", type = "text" }]
        primary_key = ["id"]
        primary_key_name = "users_pkey"
        [[database]]
        op = "create_index"
        table = "users"
        name = "ix_users_email"
        columns = ["email"]

        [[models]]
        op = "create_table"
        table = "users"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "email", type = "text" }]
        primary_key = ["id"]
        primary_key_name = "users_pkey"
        [[models]]
        op = "create_index"
        table = "users"
        name = "ix_users_email"
        columns = ["email"]
    "#,
    ),
    // "posts" sorts before "users" but references it, so it comes second; the enum comes first.
    (
        "create_tables_in_dependency_order",
        r#"
        [[models]]
        op = "create_enum"
        name = "mood"
        values = ["sad", "ok"]
        [[models]]
        op = "create_table"
        table = "posts"
        columns = [
            { name = "id", type = "bigint", nullable = false, identity = true },
            { name = "author_id", type = "bigint", nullable = false },
            { name = "parent_id", type = "bigint" },
            { name = "title", type = "varchar(200)", nullable = false, comment = "shown in lists" },
            { name = "mood", type = "enum:mood", default = { value = "ok" } },
            { name = "created_at", type = "timestamptz", nullable = false, default = { expr = "current_timestamp" } },
        ]
        primary_key = ["id"]
        constraints = [
            { kind = "foreign_key", name = "posts_author_id_fkey", columns = ["author_id"], references = { table = "users", columns = ["id"] }, on_delete = "cascade" },
            { kind = "foreign_key", columns = ["parent_id"], references = { table = "posts", columns = ["id"] } },
            { kind = "check", name = "posts_title_check", expr = "length(title) > 0" },
        ]
        [[models]]
        op = "create_table"
        table = "users"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "email", type = "varchar(255)", nullable = false }]
        primary_key = ["id"]
        constraints = [{ kind = "unique", name = "users_email_key", columns = ["email"] }]
        [[models]]
        op = "create_index"
        table = "posts"
        name = "ix_posts_author_id"
        columns = ["author_id", { expr = "lower(title)" }]
        where = "parent_id IS NULL"
    "#,
    ),
    (
        "drop_tables_in_reverse_dependency_order",
        r#"
        destructive = 4
        [[database]]
        op = "create_enum"
        name = "mood"
        values = ["sad", "ok"]
        [[database]]
        op = "create_table"
        table = "users"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "mood", type = "enum:mood" }]
        primary_key = ["id"]
        primary_key_name = "users_pkey"
        [[database]]
        op = "create_table"
        table = "comments"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "post_id", type = "bigint" }]
        constraints = [{ kind = "foreign_key", name = "comments_post_id_fkey", columns = ["post_id"], references = { table = "posts", columns = ["id"] } }]
        [[database]]
        op = "create_table"
        table = "posts"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "user_id", type = "bigint" }]
        primary_key = ["id"]
        primary_key_name = "posts_pkey"
        constraints = [{ kind = "foreign_key", name = "posts_user_id_fkey", columns = ["user_id"], references = { table = "users", columns = ["id"] } }]
        [[database]]
        op = "create_index"
        table = "posts"
        name = "ix_posts_user_id"
        columns = ["user_id"]
        [[database]]
        op = "create_table"
        table = "keep"
        columns = [{ name = "id", type = "bigint" }]
    "#,
    ),
    (
        "foreign_key_cycle_on_create",
        r#"
        [[models]]
        op = "create_table"
        table = "a"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "b_id", type = "bigint" }]
        primary_key = ["id"]
        constraints = [{ kind = "foreign_key", columns = ["b_id"], references = { table = "b", columns = ["id"] } }]
        [[models]]
        op = "create_table"
        table = "b"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "a_id", type = "bigint" }]
        primary_key = ["id"]
        constraints = [{ kind = "foreign_key", name = "b_a_id_fkey", columns = ["a_id"], references = { table = "a", columns = ["id"] } }]
        [[models]]
        op = "create_table"
        table = "c"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "a_id", type = "bigint" }]
        primary_key = ["id"]
        constraints = [{ kind = "foreign_key", name = "c_a_id_fkey", columns = ["a_id"], references = { table = "a", columns = ["id"] } }]
    "#,
    ),
    (
        "foreign_key_cycle_on_drop",
        r#"
        destructive = 2
        [[database]]
        op = "create_table"
        table = "a"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "b_id", type = "bigint" }]
        primary_key = ["id"]
        primary_key_name = "a_pkey"
        constraints = [{ kind = "foreign_key", name = "a_b_id_fkey", columns = ["b_id"], references = { table = "b", columns = ["id"] } }]
        [[database]]
        op = "create_table"
        table = "b"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "a_id", type = "bigint" }]
        primary_key = ["id"]
        primary_key_name = "b_pkey"
        constraints = [{ kind = "foreign_key", name = "b_a_id_fkey", columns = ["a_id"], references = { table = "a", columns = ["id"] } }]
    "#,
    ),
    (
        "add_and_drop_columns",
        r#"
        warnings = ["likely_rename"]
        destructive = 1
        [[database]]
        op = "create_table"
        table = "users"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "nickname", type = "text" }]
        [[models]]
        op = "create_table"
        table = "users"
        columns = [
            { name = "id", type = "bigint", nullable = false },
            { name = "age", type = "integer", nullable = false, default = { value = 0 } },
            { name = "bio", type = "text", comment = "about me" },
        ]
    "#,
    ),
    (
        "alter_column_attributes",
        r#"
        [[database]]
        op = "create_table"
        table = "users"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "email", type = "varchar(100)" },
            { name = "active", type = "boolean", default = { value = false } },
            { name = "seen_at", type = "timestamp", default = { expr = "current_timestamp" }, comment = "last login" },
            { name = "score", type = "numeric(10,2)", comment = "old" },
        ]
        [[models]]
        op = "create_table"
        table = "users"
        columns = [
            { name = "id", type = "bigint", nullable = false },
            { name = "email", type = "varchar(255)", nullable = false },
            { name = "active", type = "boolean", default = { value = true } },
            { name = "seen_at", type = "timestamptz", comment = "last login" },
            { name = "score", type = "numeric(12,2)", comment = "new" },
        ]
    "#,
    ),
    (
        "narrowing_type_changes_are_destructive",
        r#"
        destructive = 5
        [[database]]
        op = "create_table"
        table = "t"
        columns = [
            { name = "code", type = "varchar(255)" },
            { name = "big", type = "bigint" },
            { name = "note", type = "text" },
            { name = "price", type = "numeric(10,2)" },
            { name = "at", type = "timestamptz" },
            { name = "small", type = "smallint" },
        ]
        [[models]]
        op = "create_table"
        table = "t"
        columns = [
            { name = "code", type = "varchar(50)" },
            { name = "big", type = "integer" },
            { name = "note", type = "integer" },
            { name = "price", type = "numeric(8,2)" },
            { name = "at", type = "timestamp" },
            { name = "small", type = "bigint" },
        ]
    "#,
    ),
    (
        "compare_options_off",
        r#"
        warnings = []
        reaches_models = false
        [options]
        compare_types = false
        compare_server_defaults = false
        [[database]]
        op = "create_table"
        table = "t"
        columns = [{ name = "a", type = "integer", default = { value = 1 } }, { name = "b", type = "text" }]
        [[models]]
        op = "create_table"
        table = "t"
        columns = [{ name = "a", type = "bigint", default = { value = 2 } }, { name = "b", type = "text", nullable = false }]
    "#,
    ),
    (
        "primary_key_change",
        r#"
        [[database]]
        op = "create_table"
        table = "members"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "tenant", type = "integer", nullable = false }]
        primary_key = ["id"]
        primary_key_name = "members_pkey"
        [[database]]
        op = "create_table"
        table = "plain"
        columns = [{ name = "id", type = "bigint", nullable = false }]
        [[models]]
        op = "create_table"
        table = "members"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "tenant", type = "integer", nullable = false }]
        primary_key = ["tenant", "id"]
        [[models]]
        op = "create_table"
        table = "plain"
        columns = [{ name = "id", type = "bigint", nullable = false }]
        primary_key = ["id"]
        primary_key_name = "plain_pk"
    "#,
    ),
    // The backend named what the models leave unnamed: nothing to do.
    (
        "unnamed_model_constraints_match_by_shape",
        r#"
        [[database]]
        op = "create_table"
        table = "users"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "email", type = "text" }]
        primary_key = ["id"]
        primary_key_name = "users_pkey"
        constraints = [
            { kind = "unique", name = "users_email_key", columns = ["email"] },
            { kind = "check", name = "users_email_check", expr = "email <> ''" },
        ]
        [[database]]
        op = "create_table"
        table = "posts"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "user_id", type = "bigint" }]
        constraints = [{ kind = "foreign_key", name = "posts_user_id_fkey", columns = ["user_id"], references = { table = "users", columns = ["id"] }, on_delete = "cascade" }]
        [[models]]
        op = "create_table"
        table = "users"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "email", type = "text" }]
        primary_key = ["id"]
        constraints = [{ kind = "check", expr = "email <> ''" }, { kind = "unique", columns = ["email"] }]
        [[models]]
        op = "create_table"
        table = "posts"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "user_id", type = "bigint" }]
        constraints = [{ kind = "foreign_key", columns = ["user_id"], references = { table = "users", columns = ["id"] }, on_delete = "cascade" }]
    "#,
    ),
    (
        "indexes_created_dropped_and_changed",
        r#"
        [[database]]
        op = "create_table"
        table = "t"
        columns = [{ name = "a", type = "text" }, { name = "b", type = "integer" }]
        [[database]]
        op = "create_index"
        table = "t"
        name = "ix_t_a"
        columns = ["a"]
        [[database]]
        op = "create_index"
        table = "t"
        name = "ix_t_b"
        columns = ["b"]
        [[database]]
        op = "create_index"
        table = "t"
        name = "ix_t_gone"
        columns = ["a", "b"]
        [[models]]
        op = "create_table"
        table = "t"
        columns = [{ name = "a", type = "text" }, { name = "b", type = "integer" }]
        [[models]]
        op = "create_index"
        table = "t"
        name = "ix_t_a"
        columns = ["a"]
        unique = true
        [[models]]
        op = "create_index"
        table = "t"
        name = "ix_t_b"
        columns = ["b"]
        [[models]]
        op = "create_index"
        table = "t"
        name = "ix_t_lower_a"
        columns = [{ expr = "lower(a)" }]
        where = "b > 0"
        method = "btree"
    "#,
    ),
    (
        "unique_foreign_key_and_check_changes",
        r#"
        [[database]]
        op = "create_table"
        table = "users"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "email", type = "text" }, { name = "age", type = "integer" }]
        primary_key = ["id"]
        primary_key_name = "users_pkey"
        constraints = [
            { kind = "unique", name = "users_email_key", columns = ["email"] },
            { kind = "check", name = "users_age_check", expr = "age >= 0" },
        ]
        [[database]]
        op = "create_table"
        table = "posts"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "user_id", type = "bigint" }, { name = "editor_id", type = "bigint" }]
        constraints = [
            { kind = "foreign_key", name = "posts_user_id_fkey", columns = ["user_id"], references = { table = "users", columns = ["id"] } },
            { kind = "foreign_key", name = "posts_editor_id_fkey", columns = ["editor_id"], references = { table = "users", columns = ["id"] } },
        ]
        [[models]]
        op = "create_table"
        table = "users"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "email", type = "text" }, { name = "age", type = "integer" }]
        primary_key = ["id"]
        constraints = [
            { kind = "check", name = "users_age_check", expr = "age >= 18" },
            { kind = "unique", columns = ["email", "age"] },
            { kind = "check", expr = "email LIKE '%@%'" },
        ]
        [[models]]
        op = "create_table"
        table = "posts"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "user_id", type = "bigint" }, { name = "editor_id", type = "bigint" }]
        constraints = [
            { kind = "foreign_key", name = "posts_user_id_fkey", columns = ["user_id"], references = { table = "users", columns = ["id"] }, on_delete = "cascade", on_update = "restrict" },
        ]
    "#,
    ),
    (
        "enums_created_dropped_and_extended",
        r#"
        [[database]]
        op = "create_enum"
        name = "level"
        values = ["low", "high"]
        [[database]]
        op = "create_enum"
        name = "status"
        values = ["draft", "live"]
        [[database]]
        op = "create_table"
        table = "t"
        columns = [{ name = "status", type = "enum:status" }, { name = "level", type = "enum:level" }]
        [[models]]
        op = "create_enum"
        name = "level"
        values = ["none", "low", "mid", "high", "max"]
        [[models]]
        op = "create_enum"
        name = "mood"
        values = ["sad", "ok"]
        [[models]]
        op = "create_table"
        table = "t"
        columns = [{ name = "status", type = "text" }, { name = "level", type = "enum:level", default = { value = "mid" } }, { name = "mood", type = "enum:mood" }]
    "#,
    ),
    (
        "enum_values_removed_or_reordered",
        r#"
        warnings = ["enum_values_reordered"]
        destructive = 1
        reaches_models = false
        [[database]]
        op = "create_enum"
        name = "mood"
        values = ["sad", "ok", "happy"]
        [[database]]
        op = "create_enum"
        name = "size"
        values = ["s", "m", "l"]
        [[models]]
        op = "create_enum"
        name = "mood"
        values = ["sad", "happy", "ecstatic"]
        [[models]]
        op = "create_enum"
        name = "size"
        values = ["l", "m", "s"]
    "#,
    ),
    // The rename keeps the index and the foreign key that follow the table: no churn.
    (
        "rename_table_with_hint",
        r#"
        [options.rename_tables]
        users = "accounts"
        [[database]]
        op = "create_table"
        table = "accounts"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "email", type = "text" }]
        primary_key = ["id"]
        primary_key_name = "accounts_pkey"
        [[database]]
        op = "create_index"
        table = "accounts"
        name = "ix_accounts_email"
        columns = ["email"]
        [[database]]
        op = "create_table"
        table = "posts"
        columns = [{ name = "account_id", type = "bigint" }]
        constraints = [{ kind = "foreign_key", name = "posts_account_id_fkey", columns = ["account_id"], references = { table = "accounts", columns = ["id"] } }]
        [[models]]
        op = "create_table"
        table = "users"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "email", type = "text", nullable = false }]
        primary_key = ["id"]
        [[models]]
        op = "create_index"
        table = "users"
        name = "ix_accounts_email"
        columns = ["email"]
        [[models]]
        op = "create_table"
        table = "posts"
        columns = [{ name = "account_id", type = "bigint" }]
        constraints = [{ kind = "foreign_key", name = "posts_account_id_fkey", columns = ["account_id"], references = { table = "users", columns = ["id"] } }]
    "#,
    ),
    (
        "rename_column_with_hint_and_other_changes",
        r#"
        destructive = 0
        [[options.rename_columns]]
        table = "users"
        column = "email_address"
        renamed_from = "email"
        [[options.rename_columns]]
        table = "users"
        column = "handle"
        renamed_from = "login"
        [[database]]
        op = "create_table"
        table = "users"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "email", type = "varchar(100)" }, { name = "login", type = "text" }]
        constraints = [{ kind = "unique", name = "users_email_key", columns = ["email"] }]
        [[database]]
        op = "create_index"
        table = "users"
        name = "ix_users_login"
        columns = ["login"]
        [[models]]
        op = "create_table"
        table = "users"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "email_address", type = "varchar(255)", nullable = false }, { name = "handle", type = "text" }]
        constraints = [{ kind = "unique", name = "users_email_key", columns = ["email_address"] }]
        [[models]]
        op = "create_index"
        table = "users"
        name = "ix_users_login"
        columns = ["handle"]
    "#,
    ),
    (
        "likely_table_rename_without_hint",
        r#"
        warnings = ["likely_rename"]
        destructive = 1
        [[database]]
        op = "create_table"
        table = "accounts"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "email", type = "text" }]
        [[models]]
        op = "create_table"
        table = "users"
        columns = [{ name = "email", type = "text" }, { name = "id", type = "bigint", nullable = false }]
        [[models]]
        op = "create_table"
        table = "other"
        columns = [{ name = "id", type = "integer", nullable = false }, { name = "email", type = "text" }]
    "#,
    ),
    (
        "likely_column_rename_without_hint",
        r#"
        warnings = ["likely_rename"]
        destructive = 2
        [[database]]
        op = "create_table"
        table = "users"
        columns = [{ name = "id", type = "bigint" }, { name = "email", type = "text", nullable = false }, { name = "age", type = "integer" }]
        [[models]]
        op = "create_table"
        table = "users"
        columns = [{ name = "id", type = "bigint" }, { name = "email_address", type = "text", nullable = false }, { name = "years", type = "bigint" }]
    "#,
    ),
    (
        "rename_hints_that_name_a_quoted_name_in_another_case",
        r#"
        warnings = ["rename_hint_ignored", "rename_hint_ignored", "likely_rename", "likely_rename"]
        destructive = 2
        [options.rename_tables]
        event_log = "events"
        [[options.rename_columns]]
        table = "users"
        column = "kind"
        renamed_from = "kind_of_user"
        [[database]]
        op = "create_table"
        table = "Events"
        columns = [{ name = "id", type = "bigint" }]
        [[database]]
        op = "create_table"
        table = "users"
        columns = [{ name = "Kind_Of_User", type = "text" }]
        [[models]]
        op = "create_table"
        table = "event_log"
        columns = [{ name = "id", type = "bigint" }]
        [[models]]
        op = "create_table"
        table = "users"
        columns = [{ name = "kind", type = "text" }]
    "#,
    ),
    (
        "rename_hints_that_conflict_or_are_stale",
        r#"
        warnings = ["rename_hint_ignored", "rename_hint_ignored"]
        [options.rename_tables]
        people = "users"
        done = "was_renamed_before"
        [[options.rename_columns]]
        table = "users"
        column = "mail"
        renamed_from = "email"
        [[database]]
        op = "create_table"
        table = "users"
        columns = [{ name = "email", type = "text" }, { name = "mail", type = "text" }]
        [[database]]
        op = "create_table"
        table = "done"
        columns = [{ name = "id", type = "bigint" }]
        [[models]]
        op = "create_table"
        table = "users"
        columns = [{ name = "email", type = "text" }, { name = "mail", type = "text" }]
        [[models]]
        op = "create_table"
        table = "people"
        columns = [{ name = "id", type = "bigint" }]
        [[models]]
        op = "create_table"
        table = "done"
        columns = [{ name = "id", type = "bigint" }]
    "#,
    ),
    // The version table and scratch tables are left out on both sides, and so is the enum
    // an excluded table uses.
    (
        "include_and_exclude_globs",
        r#"
        [options]
        include = ["app_*", "aludel_*"]
        exclude = ["aludel_*", "app_tmp?"]
        [[database]]
        op = "create_enum"
        name = "legacy_kind"
        values = ["a"]
        [[database]]
        op = "create_table"
        table = "aludel_version"
        columns = [{ name = "version_num", type = "varchar(32)", nullable = false }]
        [[database]]
        op = "create_table"
        table = "app_tmp1"
        columns = [{ name = "kind", type = "enum:legacy_kind" }]
        [[database]]
        op = "create_table"
        table = "legacy"
        columns = [{ name = "id", type = "integer" }]
        [[database]]
        op = "create_table"
        table = "app_users"
        columns = [{ name = "id", type = "integer" }]
        [[models]]
        op = "create_table"
        table = "app_users"
        columns = [{ name = "id", type = "bigint" }]
        [[models]]
        op = "create_table"
        table = "app_posts"
        columns = [{ name = "id", type = "bigint" }]
    "#,
    ),
    (
        "new_table_references_existing_table",
        r#"
        [[database]]
        op = "create_table"
        table = "users"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "code", type = "text", nullable = false }]
        primary_key = ["id"]
        primary_key_name = "users_pkey"
        [[models]]
        op = "create_table"
        table = "users"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "code", type = "text", nullable = false }]
        primary_key = ["id"]
        primary_key_name = "users_pkey"
        [[models]]
        op = "create_table"
        table = "posts"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "user_id", type = "bigint" }]
        constraints = [{ kind = "foreign_key", name = "posts_user_id_fkey", columns = ["user_id"], references = { table = "users", columns = ["id"] } }]
    "#,
    ),
    // The referenced key comes in the same migration: the foreign key waits for it.
    (
        "foreign_key_waits_for_its_key",
        r#"
        [[database]]
        op = "create_table"
        table = "countries"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "code", type = "char(2)", nullable = false }]
        [[models]]
        op = "create_table"
        table = "countries"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "code", type = "char(2)", nullable = false }]
        constraints = [{ kind = "unique", name = "countries_code_key", columns = ["code"] }]
        [[models]]
        op = "create_table"
        table = "cities"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "country", type = "char(2)" }]
        constraints = [{ kind = "foreign_key", name = "cities_country_fkey", columns = ["country"], references = { table = "countries", columns = ["code"] } }]
    "#,
    ),
    // Dropping a column takes its index, the constraints on it and the foreign keys to it
    // first, so the downgrade brings them all back.
    (
        "drop_column_with_dependents",
        r#"
        destructive = 1
        [[database]]
        op = "create_table"
        table = "users"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "code", type = "text", nullable = false }]
        primary_key = ["id"]
        primary_key_name = "users_pkey"
        constraints = [{ kind = "unique", name = "users_code_key", columns = ["code"] }]
        [[database]]
        op = "create_index"
        table = "users"
        name = "ix_users_code_lower"
        columns = ["code", "id"]
        [[database]]
        op = "create_table"
        table = "posts"
        columns = [{ name = "user_code", type = "text" }]
        constraints = [{ kind = "foreign_key", name = "posts_user_code_fkey", columns = ["user_code"], references = { table = "users", columns = ["code"] } }]
        [[models]]
        op = "create_table"
        table = "users"
        columns = [{ name = "id", type = "bigint", nullable = false }]
        primary_key = ["id"]
        primary_key_name = "users_pkey"
        [[models]]
        op = "create_table"
        table = "posts"
        columns = [{ name = "user_code", type = "text" }]
    "#,
    ),
    (
        "column_type_becomes_a_new_enum",
        r#"
        destructive = 1
        [[database]]
        op = "create_enum"
        name = "old_mood"
        values = ["sad"]
        [[database]]
        op = "create_table"
        table = "t"
        columns = [{ name = "mood", type = "text" }, { name = "legacy", type = "enum:old_mood" }]
        [[models]]
        op = "create_enum"
        name = "mood"
        values = ["sad", "ok"]
        [[models]]
        op = "create_table"
        table = "t"
        columns = [{ name = "mood", type = "enum:mood" }, { name = "legacy", type = "text" }]
    "#,
    ),
    (
        "unexpressible_changes_only_warn",
        r#"
        warnings = ["unsupported", "unsupported"]
        reaches_models = false
        [[database]]
        op = "create_table"
        table = "t"
        comment = "old comment"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "total", type = "integer" }]
        [[models]]
        op = "create_table"
        table = "t"
        comment = "new comment"
        columns = [{ name = "id", type = "bigint", nullable = false, identity = true }, { name = "total", type = "integer", generated = { expr = "1 + 1" } }]
    "#,
    ),
    // Database constraints without a name (SQLite) get the conventional one to be dropped.
    // Regression: a changed primary key that a foreign key references was dropped while the
    // foreign key still depended on it. The unique key only renamed keeps its foreign key.
    (
        "foreign_keys_make_way_for_the_key_they_reference",
        r#"
        [[database]]
        op = "create_table"
        table = "parent"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "code", type = "text", nullable = false }]
        primary_key = ["id"]
        primary_key_name = "parent_pkey"
        constraints = [{ kind = "unique", name = "parent_code_key", columns = ["code"] }]
        [[database]]
        op = "create_table"
        table = "child"
        columns = [{ name = "parent_id", type = "bigint" }, { name = "parent_code", type = "text" }]
        constraints = [
            { kind = "foreign_key", name = "child_parent_id_fkey", columns = ["parent_id"], references = { table = "parent", columns = ["id"] } },
            { kind = "foreign_key", name = "child_parent_code_fkey", columns = ["parent_code"], references = { table = "parent", columns = ["code"] } },
        ]
        [[models]]
        op = "create_table"
        table = "parent"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "code", type = "text", nullable = false }]
        primary_key = ["id", "code"]
        primary_key_name = "parent_pkey"
        constraints = [
            { kind = "unique", name = "parent_id_key", columns = ["id"] },
            { kind = "unique", name = "parent_code_uq", columns = ["code"] },
        ]
        [[models]]
        op = "create_table"
        table = "child"
        columns = [{ name = "parent_id", type = "bigint" }, { name = "parent_code", type = "text" }]
        constraints = [
            { kind = "foreign_key", name = "child_parent_id_fkey", columns = ["parent_id"], references = { table = "parent", columns = ["id"] } },
            { kind = "foreign_key", name = "child_parent_code_fkey", columns = ["parent_code"], references = { table = "parent", columns = ["code"] } },
        ]
    "#,
    ),
    (
        "unnamed_database_constraints_are_dropped_by_conventional_name",
        r#"
        [[database]]
        op = "create_table"
        table = "t"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "a", type = "integer" }]
        primary_key = ["id"]
        constraints = [{ kind = "unique", columns = ["a"] }, { kind = "check", expr = "a > 0" }]
        [[models]]
        op = "create_table"
        table = "t"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "a", type = "integer" }]
        primary_key = ["a"]
    "#,
    ),
];

/// Builds a schema from ops.
fn build(ops: &[Op], what: &str) -> Schema {
    let mut schema = Schema::default();
    for (i, op) in ops.iter().enumerate() {
        schema.apply(op).unwrap_or_else(|err| panic!("{what} op {}: {err}", i + 1));
    }
    schema
}

/// The snapshot of a diff: what the revision file would hold, plus what the terminal shows.
fn render(result: &Diff) -> String {
    #[derive(Serialize)]
    struct Snapshot<'a> {
        warnings: Vec<String>,
        destructive: Vec<String>,
        upgrade: &'a [Op],
    }
    let snapshot = Snapshot {
        warnings: result.warnings.iter().map(ToString::to_string).collect(),
        destructive: result.destructive.iter().map(|d| format!("op {}: {}", d.op_index + 1, d.reason)).collect(),
        upgrade: &result.upgrade,
    };
    toml::to_string(&snapshot).expect("ops serialize to TOML")
}

fn warning_kind(warning: &Warning) -> &'static str {
    match warning {
        Warning::LikelyRename { .. } => "likely_rename",
        Warning::RenameHintIgnored { .. } => "rename_hint_ignored",
        Warning::EnumValuesReordered { .. } => "enum_values_reordered",
        Warning::Irreversible { .. } => "irreversible",
        Warning::Unsupported { .. } => "unsupported",
        _ => "other",
    }
}

/// A constraint with its name left to the backend.
fn unnamed(constraint: &Constraint) -> Constraint {
    let mut constraint = constraint.clone();
    match &mut constraint {
        Constraint::PrimaryKey { name, .. }
        | Constraint::Unique { name, .. }
        | Constraint::ForeignKey { name, .. }
        | Constraint::Check { name, .. } => *name = None,
    }
    constraint
}

/// Forgets the names one side leaves to the backend, and the order of columns and
/// constraints, which no op sets.
fn comparable(a: &Schema, b: &Schema) -> (Schema, Schema) {
    let (mut a, mut b) = (a.clone(), b.clone());
    for (name, ta) in &mut a.tables {
        let Some(tb) = b.tables.get_mut(name) else { continue };
        if ta.primary_key_name.is_none() || tb.primary_key_name.is_none() {
            ta.primary_key_name = None;
            tb.primary_key_name = None;
        }
        forget_names_left_unnamed(ta, tb);
        forget_names_left_unnamed(tb, ta);
    }
    for schema in [&mut a, &mut b] {
        for table in schema.tables.values_mut() {
            table.columns.sort_by(|x, y| x.name.cmp(&y.name));
            table.constraints.sort_by_key(|c| format!("{c:?}"));
        }
    }
    (a, b)
}

/// Drops the names of `y`'s constraints that `x` declares without a name.
fn forget_names_left_unnamed(x: &Table, y: &mut Table) {
    let mut used = vec![false; y.constraints.len()];
    for c in x.constraints.iter().filter(|c| c.name().is_none()) {
        let found = y.constraints.iter().enumerate().position(|(i, d)| !used[i] && unnamed(d) == *c);
        if let Some(i) = found {
            used[i] = true;
            y.constraints[i] = unnamed(&y.constraints[i]);
        }
    }
}

/// Whether `got` is `want`, as [`comparable`] sees them; the error names what differs.
fn same_schema(got: &Schema, want: &Schema) -> Result<(), String> {
    let (got, want) = comparable(got, want);
    if got == want {
        return Ok(());
    }
    let mut report = String::new();
    let names = |a: &Schema| a.tables.keys().cloned().collect::<Vec<_>>();
    if names(&got) != names(&want) {
        let _ = writeln!(report, "tables {:?} instead of {:?}", names(&got), names(&want));
    }
    for (name, table) in &got.tables {
        if let Some(other) = want.tables.get(name)
            && table != other
        {
            let _ = writeln!(report, "table {name}:\n  got  {table:?}\n  want {other:?}");
        }
    }
    if got.indexes != want.indexes {
        let _ = writeln!(report, "indexes:\n  got  {:?}\n  want {:?}", got.indexes, want.indexes);
    }
    if got.enums != want.enums {
        let _ = writeln!(report, "enums:\n  got  {:?}\n  want {:?}", got.enums, want.enums);
    }
    Err(report)
}

/// The tables `options` looks at, with their indexes.
fn scoped(schema: &Schema, options: &DiffOptions) -> Schema {
    let mut schema = schema.clone();
    let (kept, left_out): (BTreeMap<_, _>, BTreeMap<_, _>) =
        std::mem::take(&mut schema.tables).into_iter().partition(|(name, _)| options.includes(name));
    schema.tables = kept;
    schema.indexes.retain(|_, index| options.includes(&index.table));
    // The diff leaves alone the enums that tables outside it use.
    let used_outside = |name: &str| {
        left_out.values().flat_map(|t| &t.columns).any(|c| matches!(&c.ty, ColumnType::Enum(e) if e == name))
    };
    schema.enums.retain(|name, _| !used_outside(name));
    schema
}

fn apply_all(schema: &Schema, ops: &[Op], what: &str) -> Result<Schema, String> {
    let mut schema = schema.clone();
    for (i, op) in ops.iter().enumerate() {
        schema.apply(op).map_err(|err| format!("{what} op {} ({}): {err}", i + 1, op.describe()))?;
    }
    Ok(schema)
}

/// Upgrade, converge, downgrade: the property every diff must hold.
fn round_trip(
    database: &Schema,
    models: &Schema,
    options: &DiffOptions,
    result: &Diff,
    reaches_models: bool,
) -> Result<(), String> {
    let upgraded = apply_all(database, &result.upgrade, "upgrade")?;
    let again = diff(&upgraded, models, options);
    if !again.upgrade.is_empty() {
        let ops: Vec<String> = again.upgrade.iter().map(Op::describe).collect();
        return Err(format!("diffing after the upgrade still finds {ops:?}"));
    }
    if reaches_models {
        same_schema(&scoped(&upgraded, options), &scoped(models, options))
            .map_err(|report| format!("the upgrade does not reach the models:\n{report}"))?;
    }
    let restored = apply_all(&upgraded, &result.downgrade, "downgrade")?;
    same_schema(&restored, database).map_err(|report| format!("the downgrade does not restore the database:\n{report}"))
}

fn check(name: &str, text: &str) -> Result<(), String> {
    let case: Case = toml::from_str(text).map_err(|err| format!("invalid case: {err}"))?;
    let database = build(&case.database, "database");
    let models = build(&case.models, "models");
    let options = case.options.to_options();
    let result = diff(&database, &models, &options);

    let rendered = render(&result);
    catch_unwind(AssertUnwindSafe(|| insta::assert_snapshot!(name, rendered)))
        .map_err(|_| "the snapshot differs (see above)".to_owned())?;
    let kinds: Vec<&str> = result.warnings.iter().map(warning_kind).collect();
    if kinds != case.warnings {
        return Err(format!("warnings {kinds:?}, expected {:?}", case.warnings));
    }
    if result.destructive.len() != case.destructive {
        return Err(format!("{} destructive ops, expected {}", result.destructive.len(), case.destructive));
    }
    round_trip(&database, &models, &options, &result, case.reaches_models)
}

#[test]
fn corpus() {
    let only: Option<Vec<String>> = std::env::var("ALUDEL_TEST_CASE")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect());
    let mut failures = Vec::new();
    let mut ran = 0;
    for &(name, text) in CASES {
        if only.as_ref().is_some_and(|only| !only.iter().any(|o| name.contains(o.as_str()))) {
            continue;
        }
        ran += 1;
        if let Err(reason) = check(name, text) {
            failures.push(format!("--- {name}: {reason}"));
        }
    }
    assert!(ran > 0, "ALUDEL_TEST_CASE matches no case");
    assert!(failures.is_empty(), "{} case(s) failed:\n\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn random_pairs_upgrade_to_the_models_and_downgrade_back() {
    let options = DiffOptions::default();
    let mut failures = Vec::new();
    for seed in 0..400u64 {
        let database = random_schema(seed, seed * 2 + 1, true, Flavor::Postgres);
        let models = random_schema(seed, seed * 2 + 2, false, Flavor::Postgres);
        let result = diff(&database, &models, &options);
        if let Err(reason) = round_trip(&database, &models, &options, &result, true) {
            let ops: Vec<String> = result.upgrade.iter().map(Op::describe).collect();
            failures.push(format!("seed {seed}: {reason}\nupgrade: {ops:#?}"));
        }
        // Models are also a valid database: a fresh database created from them diffs to nothing.
        let fresh = diff(&Schema::default(), &models, &options);
        match apply_all(&Schema::default(), &fresh.upgrade, "create") {
            Ok(created) if !diff(&created, &models, &options).is_empty() => {
                failures.push(format!("seed {seed}: creating the models from nothing does not converge"));
            }
            Ok(_) => {}
            Err(reason) => failures.push(format!("seed {seed}: {reason}")),
        }
    }
    assert!(failures.is_empty(), "{} of 400 pairs failed; first:\n{}", failures.len(), failures[0]);
}
