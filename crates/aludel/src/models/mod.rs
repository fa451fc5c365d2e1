//! Model sources: what turns a description of the desired schema into [`Metadata`], the
//! schema autogenerate compares with the database.
//!
//! [`sql`] reads a desired-state `schema.sql` (behind the `schema-sql` feature);
//! [`Metadata::from_json`] reads what a models command prints. The SeaORM adapter lives in
//! its own crate. [`Metadata`]'s builder methods add what an ORM cannot say (checks, partial
//! and expression indexes, comments, renames). Diffing the result against a database is
//! `diff`'s job, not this module's.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::diff::RenameHints;
use crate::schema::{Column, Constraint, Index, Schema, SchemaJsonError, Table};

#[cfg(feature = "schema-sql")]
pub mod sql;
mod verbatim;

pub(crate) use verbatim::not_compared;
pub use verbatim::{SourceOrder, VerbatimObject};

#[cfg(feature = "schema-sql")]
pub use sql::{parse_schema_sql, parse_schema_sql_metadata};

/// A model source that cannot be turned into a schema. Errors in a `schema.sql` name the file
/// and the 1-based line of the statement at fault, with a short excerpt of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The text is not valid SQL for the dialect.
    #[error("{}:{line}: cannot parse `{excerpt}`: {message}", .path.display())]
    Syntax {
        /// The model file.
        path: PathBuf,
        /// 1-based line where the statement starts.
        line: usize,
        /// The start of the statement.
        excerpt: String,
        /// The parser's message.
        message: String,
    },
    /// A statement or clause that the schema model cannot hold.
    #[error("{}:{line}: `{excerpt}`: {what} is not supported in a schema model; {hint}", .path.display())]
    Unsupported {
        /// The model file.
        path: PathBuf,
        /// 1-based line where the statement starts.
        line: usize,
        /// The start of the statement.
        excerpt: String,
        /// What cannot be mapped (`the statement DROP TABLE`, `column option COLLATE "C"`).
        what: String,
        /// What is supported instead.
        hint: String,
    },
    /// A statement that does not fit what the file declared before it (a table created
    /// twice, an index on a table the file never creates).
    #[error("{}:{line}: `{excerpt}`: {reason}", .path.display())]
    Invalid {
        /// The model file.
        path: PathBuf,
        /// 1-based line where the statement starts.
        line: usize,
        /// The start of the statement.
        excerpt: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// An `-- aludel:` comment in a schema.sql that does not declare a rename where one can be
    /// declared.
    #[error("{}:{line}: `{comment}`: {reason}", .path.display())]
    RenameComment {
        /// The model file.
        path: PathBuf,
        /// 1-based line of the comment.
        line: usize,
        /// The comment as written.
        comment: String,
        /// What is wrong and how to write it.
        reason: String,
    },
    /// The models file cannot be read.
    #[error("could not read the models file `{}`: {message}; fix `[models] schema_sql` in aludel.toml", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        message: String,
    },
    /// The models command could not run or failed.
    #[error(
        "the models command `{command}` {outcome}; run it by hand to see why, or fix `[models] command` in aludel.toml"
    )]
    CommandFailed {
        /// The command line.
        command: String,
        /// What happened (`exited with status 1: <stderr>`, `could not start: ...`).
        outcome: String,
    },
    /// The models command printed more than [`MAX_COMMAND_OUTPUT`].
    #[error(
        "the models command `{command}` printed more than {limit_mib} MiB and was stopped; it should print one schema \
         document (JSON) and nothing else: check it by hand, or fix `[models] command` in aludel.toml"
    )]
    CommandOutputTooLarge {
        /// The command line.
        command: String,
        /// The limit, in MiB.
        limit_mib: u64,
    },
    /// The models command printed something that is not a schema document.
    #[error("the models command `{command}` printed an invalid schema document")]
    CommandOutput {
        /// The command line.
        command: String,
        /// What is wrong with the document.
        #[source]
        source: MetadataError,
    },
    /// `[models]` names both sources.
    #[error("`[models]` in aludel.toml sets both `schema_sql` and `command`; keep one")]
    TwoSources,
    /// The schema.sql source cannot be read for this backend.
    #[error("a schema.sql cannot be read for {dialect} in this build; use `[models] command` instead")]
    NoSqlParser {
        /// The backend's name.
        dialect: String,
    },
    /// A foreign key to a table that the file never creates.
    #[error(
        "{}:{line}: table `{table}` references table `{referenced}`, which the file never creates; create `{referenced}` or drop the foreign key",
        .path.display()
    )]
    UnknownReference {
        /// The model file.
        path: PathBuf,
        /// 1-based line of the statement that declares the foreign key.
        line: usize,
        /// The referencing table.
        table: String,
        /// The referenced table.
        referenced: String,
    },
}

/// The desired schema an application declares, with the renames it declares: what
/// autogenerate, `check` and `diff` compare with the database. The Rust counterpart of
/// SQLAlchemy's `MetaData`.
///
/// The builder methods add, on top of any model source, what an ORM cannot express.
///
/// # Examples
///
/// ```
/// use aludel::models::Metadata;
/// use aludel::schema::{Column, ColumnType, Schema, Table};
///
/// let mut schema = Schema::default();
/// let mut users = Table::new("users");
/// users.columns.push(Column::new("age", ColumnType::Integer));
/// users.columns.push(Column::new("email_address", ColumnType::Text));
/// schema.tables.insert("users".into(), users);
///
/// let metadata = Metadata::new(schema)
///     .check("users", "users_age_check", "age >= 0")?
///     .column_comment("users", "age", "in years")?
///     .column_renamed_from("users", "email_address", "email")?;
/// assert_eq!(metadata.renames.columns[&("users".into(), "email_address".into())], "email");
/// # Ok::<(), aludel::models::MetadataError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    /// Tables, indexes and enums, as the models declare them.
    pub schema: Schema,
    /// Renames the models declare (`renamed_from`).
    pub renames: RenameHints,
    /// Objects of the source that the schema model does not hold (a dump's views,
    /// functions, triggers, ...), in the source's order: carried into the first revision of an
    /// empty database, never compared.
    pub verbatim: Vec<VerbatimObject>,
    /// Where the source declared each table and index, for ordering that first revision.
    pub order: SourceOrder,
}

/// An addition to [`Metadata`] that names something the models do not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// No such table in the models.
    #[error("the models have no table `{table}`; add the table before adding {what} to it")]
    UnknownTable {
        /// The table named.
        table: String,
        /// What was being added (`a check`, `an index`).
        what: &'static str,
    },
    /// No such column in the table.
    #[error("table `{table}` of the models has no column `{column}`; check the spelling")]
    UnknownColumn {
        /// The table.
        table: String,
        /// The column named.
        column: String,
    },
    /// The name is taken already.
    #[error("the models already have {what} `{name}`; pick another name")]
    Duplicate {
        /// `an index`, `a constraint`.
        what: &'static str,
        /// The name.
        name: String,
    },
    /// The models' JSON document cannot be read.
    #[error(transparent)]
    Json(#[from] SchemaJsonError),
}

impl Metadata {
    /// Metadata for `schema`, with no renames.
    pub fn new(schema: Schema) -> Self {
        Metadata { schema, renames: RenameHints::default(), verbatim: Vec::new(), order: SourceOrder::default() }
    }

    /// Reads the JSON document a models command prints: the schema's JSON form (see
    /// [`Schema::from_json`]), plus an optional `"renames"` list of
    /// `{ "table": "users", "from": "accounts" }` (a table rename) and
    /// `{ "table": "users", "column": "email_address", "from": "email" }` (a column rename).
    ///
    /// # Errors
    ///
    /// [`MetadataError::Json`] for invalid JSON or an unknown field;
    /// [`MetadataError::UnknownTable`] / [`MetadataError::UnknownColumn`] for a rename of
    /// something the schema lacks.
    pub fn from_json(text: &str) -> Result<Metadata, MetadataError> {
        #[derive(Deserialize)]
        struct Renames {
            #[serde(default)]
            renames: Vec<Rename>,
        }
        let value: serde_json::Value = serde_json::from_str(text).map_err(|err| SchemaJsonError::Invalid {
            line: err.line(),
            column: err.column(),
            message: err.to_string(),
        })?;
        let mut object = match value {
            serde_json::Value::Object(object) => object,
            _ => {
                return Err(SchemaJsonError::Invalid {
                    line: 1,
                    column: 1,
                    message: "expected an object with `tables`, `indexes`, `enums` and `renames`".into(),
                }
                .into());
            }
        };
        let renames = object.remove("renames");
        let schema = Schema::from_json(&serde_json::Value::Object(object).to_string())?;
        let renames: Renames = match renames {
            None => Renames { renames: Vec::new() },
            Some(value) => serde_json::from_value(serde_json::json!({ "renames": value })).map_err(|err| {
                SchemaJsonError::Invalid { line: 0, column: 0, message: format!("in `renames`: {err}") }
            })?,
        };
        let mut metadata = Metadata::new(schema);
        for rename in renames.renames {
            metadata = match rename.column {
                Some(column) => metadata.column_renamed_from(&rename.table, &column, &rename.from)?,
                None => metadata.table_renamed_from(&rename.table, &rename.from)?,
            };
        }
        Ok(metadata)
    }

    fn table_mut(&mut self, table: &str, what: &'static str) -> Result<&mut Table, MetadataError> {
        self.schema.tables.get_mut(table).ok_or_else(|| MetadataError::UnknownTable { table: table.to_owned(), what })
    }

    fn column_mut(&mut self, table: &str, column: &str) -> Result<&mut Column, MetadataError> {
        self.table_mut(table, "a column setting")?
            .column_mut(column)
            .ok_or_else(|| MetadataError::UnknownColumn { table: table.to_owned(), column: column.to_owned() })
    }

    /// Adds a named check constraint to `table`.
    ///
    /// # Errors
    ///
    /// [`MetadataError`] when the table is unknown or the name taken.
    pub fn check(mut self, table: &str, name: &str, expr: &str) -> Result<Self, MetadataError> {
        let target = self.table_mut(table, "a check")?;
        if target.constraints.iter().any(|c| c.name() == Some(name)) {
            return Err(MetadataError::Duplicate { what: "a constraint", name: name.to_owned() });
        }
        target.constraints.push(Constraint::Check { name: Some(name.to_owned()), expr: expr.to_owned() });
        Ok(self)
    }

    /// Adds a constraint (unique, foreign key, check) to `index.table`.
    ///
    /// # Errors
    ///
    /// [`MetadataError`] when the table is unknown or the name taken.
    pub fn constraint(mut self, table: &str, constraint: Constraint) -> Result<Self, MetadataError> {
        let target = self.table_mut(table, "a constraint")?;
        if let Some(name) = constraint.name()
            && target.constraints.iter().any(|c| c.name() == Some(name))
        {
            return Err(MetadataError::Duplicate { what: "a constraint", name: name.to_owned() });
        }
        target.constraints.push(constraint);
        Ok(self)
    }

    /// Adds an index: partial (`predicate`), on expressions, with a method, as
    /// [`Index`] says.
    ///
    /// # Errors
    ///
    /// [`MetadataError`] when the table is unknown or an index of that name exists.
    pub fn index(mut self, index: Index) -> Result<Self, MetadataError> {
        self.table_mut(&index.table, "an index")?;
        if self.schema.indexes.contains_key(&index.name) {
            return Err(MetadataError::Duplicate { what: "an index", name: index.name });
        }
        self.schema.indexes.insert(index.name.clone(), index);
        Ok(self)
    }

    /// Sets the comment of `table`.
    ///
    /// # Errors
    ///
    /// [`MetadataError::UnknownTable`].
    pub fn table_comment(mut self, table: &str, comment: &str) -> Result<Self, MetadataError> {
        self.table_mut(table, "a comment")?.comment = Some(comment.to_owned());
        Ok(self)
    }

    /// Sets the comment of a column.
    ///
    /// # Errors
    ///
    /// [`MetadataError`] when the table or column is unknown.
    pub fn column_comment(mut self, table: &str, column: &str, comment: &str) -> Result<Self, MetadataError> {
        self.column_mut(table, column)?.comment = Some(comment.to_owned());
        Ok(self)
    }

    /// Declares that `table` was called `old` in the database: autogenerate renames it
    /// instead of dropping one table and creating another. The hint may stay after the
    /// migration ran; it is ignored once only the new name exists.
    ///
    /// # Errors
    ///
    /// [`MetadataError::UnknownTable`] when the models have no `table`.
    pub fn table_renamed_from(mut self, table: &str, old: &str) -> Result<Self, MetadataError> {
        self.table_mut(table, "a rename")?;
        self.renames.tables.insert(table.to_owned(), old.to_owned());
        Ok(self)
    }

    /// Declares that `column` of `table` (named as the models name them) was called `old`:
    /// autogenerate renames it, keeping its data.
    ///
    /// # Errors
    ///
    /// [`MetadataError`] when the table or column is unknown.
    pub fn column_renamed_from(mut self, table: &str, column: &str, old: &str) -> Result<Self, MetadataError> {
        self.column_mut(table, column)?;
        self.renames.columns.insert((table.to_owned(), column.to_owned()), old.to_owned());
        Ok(self)
    }
}

/// One entry of the JSON document's `renames` list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rename {
    table: String,
    #[serde(default)]
    column: Option<String>,
    from: String,
}

/// Reads the models that `[models]` in aludel.toml names: a `schema.sql` in the SQL of the
/// backend `dialect` names (`postgresql`, `sqlite`, `mysql`), or the JSON document a command prints (see
/// [`Metadata::from_json`]); `None` when it names neither.
///
/// The command runs through the shell (`sh -c`, or `cmd /C` on Windows) in `working_dir`.
///
/// # Errors
///
/// [`ModelError`] when the file cannot be read or parsed, or the command fails or prints an
/// invalid document.
pub fn load(
    config: &crate::config::ModelsConfig,
    dialect: &str,
    working_dir: &std::path::Path,
) -> Result<Option<Metadata>, ModelError> {
    match (&config.schema_sql, &config.command) {
        (Some(_), Some(_)) => Err(ModelError::TwoSources),
        (Some(path), None) => load_schema_sql(path, dialect).map(Some),
        (None, Some(command)) => run_command(command, working_dir).map(Some),
        (None, None) => Ok(None),
    }
}

/// The statements of `text`, for the dialect named `dialect`, as its client cuts them (see
/// `sql::statement_texts`); `None` in a build without the SQL parser (feature `schema-sql`).
pub(crate) fn statement_texts(text: &str, dialect: &str) -> Option<Result<Vec<String>, String>> {
    #[cfg(feature = "schema-sql")]
    {
        Some(sql::statement_texts(text, crate::dialect::sql_parser(dialect)))
    }
    #[cfg(not(feature = "schema-sql"))]
    {
        let _ = (text, dialect);
        None
    }
}

#[cfg(feature = "schema-sql")]
fn load_schema_sql(path: &std::path::Path, dialect: &str) -> Result<Metadata, ModelError> {
    let backend = crate::dialect::Backend::from_name(dialect)
        .ok_or_else(|| ModelError::NoSqlParser { dialect: dialect.to_owned() })?;
    let text = std::fs::read_to_string(path)
        .map_err(|err| ModelError::Read { path: path.to_owned(), message: err.to_string() })?;
    parse_schema_sql_metadata(&text, backend, path)
}

#[cfg(not(feature = "schema-sql"))]
fn load_schema_sql(_path: &std::path::Path, dialect: &str) -> Result<Metadata, ModelError> {
    Err(ModelError::NoSqlParser { dialect: dialect.to_owned() })
}

/// The most a models command may print. A schema document of 3,000 tables is a few MB; a
/// command printing without end (a wrong program, a loop) is stopped here instead of taking
/// the machine's memory.
pub const MAX_COMMAND_OUTPUT: u64 = 256 * 1024 * 1024;
/// How much of the end of a failed command's standard error its message quotes from.
const STDERR_KEPT: usize = 64 * 1024;

fn run_command(command: &str, working_dir: &std::path::Path) -> Result<Metadata, ModelError> {
    run_command_within(command, working_dir, MAX_COMMAND_OUTPUT)
}

fn run_command_within(command: &str, working_dir: &std::path::Path, limit: u64) -> Result<Metadata, ModelError> {
    use std::io::Read;

    let failed = |outcome: String| ModelError::CommandFailed { command: command.to_owned(), outcome };
    let mut process = if cfg!(windows) {
        let mut process = std::process::Command::new("cmd");
        process.args(["/C", command]);
        process
    } else {
        let mut process = std::process::Command::new("sh");
        process.args(["-c", command]);
        process
    };
    let mut child = process
        .current_dir(working_dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|err| failed(format!("could not start: {err}")))?;
    // Both pipes are drained at once: a command filling one while the other is read would
    // wait forever.
    let stderr = child.stderr.take().map(|pipe| std::thread::spawn(move || tail_of(pipe, STDERR_KEPT)));
    let mut stdout = Vec::new();
    let read = match child.stdout.take() {
        Some(pipe) => pipe.take(limit.saturating_add(1)).read_to_end(&mut stdout),
        None => Ok(0),
    };
    let too_much = stdout.len() as u64 > limit;
    if too_much {
        // Stopped, not waited for: it would print on without end.
        child.kill().ok();
    }
    let status = child.wait().map_err(|err| failed(format!("could not be waited for: {err}")))?;
    let stderr = stderr.and_then(|reader| reader.join().ok()).unwrap_or_default();
    if too_much {
        return Err(ModelError::CommandOutputTooLarge {
            command: command.to_owned(),
            limit_mib: limit / (1024 * 1024),
        });
    }
    read.map_err(|err| failed(format!("could not be read: {err}")))?;
    if !status.success() {
        let stderr = String::from_utf8_lossy(&stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect();
        let status = match status.code() {
            Some(code) => format!("exited with status {code}"),
            None => "was killed by a signal".to_owned(),
        };
        return Err(failed(format!("{status}: {}", tail.join("\n"))));
    }
    let text = String::from_utf8(stdout).map_err(|_| failed("printed output that is not UTF-8".to_owned()))?;
    Metadata::from_json(&text).map_err(|source| ModelError::CommandOutput { command: command.to_owned(), source })
}

/// The last `kept` bytes `pipe` gives, read to its end.
fn tail_of(mut pipe: impl std::io::Read, kept: usize) -> Vec<u8> {
    let mut tail = Vec::new();
    let mut chunk = [0_u8; 8192];
    while let Ok(read @ 1..) = pipe.read(&mut chunk) {
        tail.extend_from_slice(&chunk[..read]);
        if tail.len() > 2 * kept {
            tail.drain(..tail.len() - kept);
        }
    }
    if tail.len() > kept {
        tail.drain(..tail.len() - kept);
    }
    tail
}

#[cfg(all(test, unix))]
mod command_tests {
    use super::*;

    #[test]
    fn a_command_printing_without_end_is_stopped_at_the_limit() {
        let dir = tempfile::tempdir().expect("temp dir");
        let error = run_command_within("yes", dir.path(), 1024 * 1024).expect_err("yes never prints a schema");
        assert!(matches!(&error, ModelError::CommandOutputTooLarge { limit_mib: 1, .. }), "{error:?}");
        let message = error.to_string();
        assert!(message.contains("`yes` printed more than 1 MiB"), "{message}");
    }

    #[test]
    fn output_within_the_limit_is_read_whole() {
        let dir = tempfile::tempdir().expect("temp dir");
        let document = r#"{"tables": []}"#;
        std::fs::write(dir.path().join("schema.json"), document).expect("write");
        let limit = u64::try_from(document.len()).expect("small");
        let metadata = run_command_within("cat schema.json", dir.path(), limit).expect("exactly at the limit");
        assert_eq!(metadata, Metadata::from_json(document).expect("valid"));
    }

    #[test]
    fn a_failed_command_is_told_by_the_end_of_its_standard_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        // 200,000 lines of noise on standard error, then the cause.
        let command = "yes noise | head -n 200000 >&2; echo cause >&2; exit 4";
        let error = run_command_within(command, dir.path(), MAX_COMMAND_OUTPUT).expect_err("it fails");
        let ModelError::CommandFailed { outcome, .. } = &error else { panic!("{error:?}") };
        assert!(outcome.starts_with("exited with status 4:"), "{outcome}");
        assert!(outcome.ends_with("noise\ncause"), "{outcome}");
    }

    #[test]
    fn only_the_end_of_a_long_stream_is_kept() {
        let text: Vec<u8> = (0..100_000_u32).flat_map(|i| i.to_le_bytes()).collect();
        assert_eq!(tail_of(text.as_slice(), 1000), text[text.len() - 1000..]);
        assert_eq!(tail_of(&b"short"[..], 1000), b"short");
    }
}
