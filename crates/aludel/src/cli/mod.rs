//! The command-line interface: Alembic's verbs, one function each in `commands`, with the
//! output formatted in `output` (text), `json` (`--format json`) and `progress` (a run as it
//! goes), colored through `style`. The `aludel` binary and any program embedding the CLI
//! call [`run`]; tests call [`run_with`] to capture the output.
//!
//! Nothing here prints errors or exits: the binary's `main` does, with [`error_report`].
//! Whether the output is a terminal and takes color is decided once, by [`run`] for its
//! stdout, or by the caller of [`run_with`] and [`run_async`] ([`Environment::console`]).

mod commands;
mod json;
mod lint;
mod output;
mod progress;
mod style;
mod test_command;

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::Error;
use crate::config::{Config, LoadOptions};
use crate::models::Metadata;
use crate::runtime::{Project, Resolution, StampFrom};
use crate::script::Direction;
use commands::Mode;
pub use style::{Console, error_report};

/// Exit code when `check` or `verify` finds a difference.
pub const EXIT_DRIFT: u8 = 1;
/// Exit code for errors (the binary's `main` uses it).
pub const EXIT_ERROR: u8 = 2;

/// What a program that embeds the CLI wires in: the Rust counterpart of Alembic's `env.py`.
///
/// # Examples
///
/// ```no_run
/// use aludel::cli::Environment;
/// use aludel::models::Metadata;
///
/// // The models would come from the program's ORM entities, e.g. the SeaORM adapter.
/// let environment = Environment { metadata: Some(Metadata::default()), ..Default::default() };
/// let code = aludel::cli::run(&environment)?;
/// # Ok::<(), aludel::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// The models `revision --autogenerate`, `check` and `diff` compare with the database;
    /// `None` reads the source `[models]` names in aludel.toml.
    pub metadata: Option<Metadata>,
    /// The program's name in usage and help text (`blog db`); `aludel` when `None`.
    pub program_name: Option<String>,
    /// The config file used when neither `-c` nor `ALUDEL_CONFIG` names one (instead of
    /// `./aludel.toml`); a missing file means the defaults.
    pub config_file: Option<PathBuf>,
    /// The database URL used when no other source (`-x db_url`, `DATABASE_URL`, `.env`,
    /// aludel.toml) sets one: the program's own default.
    pub database_url: Option<String>,
    /// Revisions compiled into the program (see
    /// [`ScriptDirectory::from_embedded`](crate::script::ScriptDirectory::from_embedded)),
    /// used when the script location has no `versions/` folder: a deployed binary carries
    /// and applies its own migrations.
    pub embedded: Option<crate::script::RevisionGraph>,
    /// What the writer given to [`run_with`] or [`run_async`] can show (color, a terminal);
    /// [`Console::PLAIN`] by default. [`run`] detects its stdout instead.
    pub console: Console,
}

/// Errors in how the command line was used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// The arguments do not parse; the message is clap's, with usage.
    #[error("{0}")]
    Usage(String),
    /// A `FROM:TO` range given to a run against the database, which starts where the
    /// database is.
    #[error(
        "`{target}` is a range, which only a --sql script takes (it cannot ask the database where it is); \
         against the database, name the target alone (`{to}`)"
    )]
    OnlineRange {
        /// The range as given.
        target: String,
        /// Its end.
        to: String,
    },
    /// `init` would overwrite something.
    #[error("`{path}` already exists; `aludel init` never overwrites: remove it or pick another directory")]
    AlreadyExists {
        /// The file or folder.
        path: PathBuf,
    },
    /// The async runtime could not start.
    #[error("could not start the async runtime")]
    Runtime(#[source] std::io::Error),
    /// `trace` was interrupted (Ctrl-C or SIGTERM); its scratch database was dropped.
    #[error("interrupted; the trace's scratch database was dropped")]
    TraceInterrupted,
    /// Reading an answer for `--interactive` failed.
    #[error("could not read an answer from standard input")]
    Input(#[source] std::io::Error),
    /// `completions` or `man` for a program embedding the CLI under a subcommand.
    #[error(
        "`{program}` is a subcommand of another program, so the shell cannot complete it on its own: completions \
         and man pages are generated for a command of its own, such as `aludel`"
    )]
    NotACommand {
        /// The program's name, as [`Environment::program_name`] gives it.
        program: String,
    },
    /// `man --dir` could not write the pages.
    #[error("could not write the man pages to `{dir}`; check that the folder can be written, or pick another")]
    ManPages {
        /// The folder.
        dir: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Schema migrations with Alembic's workflow: revision files in a graph, upgrade, downgrade,
/// stamp, history and offline SQL, on PostgreSQL, SQLite and MySQL/MariaDB.
///
/// The database URL comes from `-x db_url=...`, else DATABASE_URL (from the environment,
/// then .env), else `database_url` in aludel.toml; commands that change the database name it
/// first, password hidden. Exit codes: 0 ok, 1 `check`/`verify` found
/// a difference, 2 error.
#[derive(Debug, Parser)]
#[command(name = "aludel", version, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(subcommand)]
    command: Command,
}

/// How a command that reports data prints it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// Lines for people (the default)
    #[default]
    Text,
    /// One JSON object with `"version": 1`, for CI and other tools (shapes in the README)
    Json,
}

/// A tool `aludel import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ImportTool {
    /// sqlx-cli: <VERSION>_<DESCRIPTION>.sql, or .up.sql and .down.sql
    Sqlx,
    /// diesel: <VERSION>_<NAME>/up.sql and down.sql
    Diesel,
    /// refinery: V<N>__<NAME>.sql
    Refinery,
    /// Alembic: the folder holding alembic.ini (needs `alembic` installed)
    Alembic,
}

impl From<ImportTool> for crate::import::Tool {
    fn from(tool: ImportTool) -> Self {
        match tool {
            ImportTool::Sqlx => crate::import::Tool::Sqlx,
            ImportTool::Diesel => crate::import::Tool::Diesel,
            ImportTool::Refinery => crate::import::Tool::Refinery,
            ImportTool::Alembic => crate::import::Tool::Alembic,
        }
    }
}

/// `--format`, on the commands that report data.
#[derive(Debug, Args)]
struct FormatArg {
    /// Output format; `json` prints one object whose shape is documented and stable
    #[arg(long, value_enum, default_value_t = Format::Text, value_name = "FORMAT")]
    format: Format,
}

/// Where configuration comes from.
#[derive(Debug, Args)]
struct ConfigArgs {
    /// Config file [default: ./aludel.toml, or $ALUDEL_CONFIG]
    #[arg(short = 'c', long = "config", global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Override a setting for this run: -x db_url=postgresql://..., -x version_table=...,
    /// script_location, history_table, lock_timeout, postgres_online, mysql_uuid
    #[arg(short = 'x', global = true, value_name = "KEY=VALUE")]
    x: Vec<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create aludel.toml and DIRECTORY/versions/ (never overwrites)
    ///
    /// With --from-database, also adopt the database DATABASE_URL names: write its schema as
    /// schema.sql (the models), a baseline revision that creates it, and stamp the database
    /// there, so `aludel check` is clean and the next change is an ordinary autogenerate:
    ///
    ///   DATABASE_URL=postgresql://app@db/app aludel init --from-database
    ///
    /// A database with views, functions, triggers or other objects the model does not hold is
    /// refused, naming them; it is adopted from its dump instead:
    /// `pg_dump --schema-only app > schema.sql`, then `aludel revision --autogenerate` on an
    /// empty database (see the README).
    #[command(verbatim_doc_comment)]
    Init {
        /// Folder for the revision files
        #[arg(default_value = "migrations")]
        directory: PathBuf,
        /// Adopt the database: write schema.sql and a baseline revision, and stamp it
        #[arg(long)]
        from_database: bool,
    },
    /// Create a new revision file
    Revision(commands::RevisionArgs),
    /// Upgrade to a later revision
    ///
    /// TARGET: head (default), heads, a revision id or unique prefix, a branch label,
    /// label@head, +N (N steps up), <rev>+N, label@+N (N steps along the branch, counted from
    /// base through the revisions below the label, as in Alembic). Before `@`, a revision id
    /// names the branch it is on (c1@head). With --sql, FROM:TO prints the script for that
    /// range instead of running it.
    Upgrade {
        /// Where to go
        #[arg(default_value = "head")]
        target: String,
        /// Print the SQL instead of running it (no connection)
        #[arg(long)]
        sql: bool,
    },
    /// Revert to an earlier revision
    ///
    /// TARGET: base; a revision id or unique prefix (everything above it is reverted, on
    /// every branch); -N (N steps down from the current head); label@-N; label@base (the
    /// labelled revision and everything above it); <rev>-N (<rev> and the N-1 revisions below
    /// it on its own line, with whatever descends from them). On a history with branches,
    /// <rev>-N and label@base revert less than Alembic's, which reverts everything above the
    /// revision N below <rev>, and the revisions below the label down to a branch point; name
    /// that revision to get Alembic's result. With --sql, FROM:TO is required (the script
    /// cannot ask the database where it is).
    #[command(allow_hyphen_values = true)]
    Downgrade {
        /// Where to go
        target: String,
        /// Print the SQL instead of running it (no connection)
        #[arg(long)]
        sql: bool,
    },
    /// Show the revision(s) the database is at
    Current {
        /// Show each revision's details and when it was applied
        #[arg(short, long)]
        verbose: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// List revisions, newest first
    History {
        /// Range FROM:TO (ids, prefixes, base, head, heads, current), e.g. -r base:head, -r 1a2b:,
        /// -r current:heads (the database's revision and those after it on its line, as Alembic's
        /// range; `check` lists everything pending, other branches too)
        #[arg(short = 'r', long = "rev-range", value_name = "RANGE", allow_hyphen_values = true)]
        rev_range: Option<String>,
        /// Show each revision's details
        #[arg(short, long)]
        verbose: bool,
        /// Mark the revisions the database is at with (current)
        #[arg(short = 'i', long)]
        indicate_current: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Show the head revisions
    Heads {
        /// Show each revision's details
        #[arg(short, long)]
        verbose: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Show the branch points and the branches leaving them
    Branches {
        /// Show each revision's details
        #[arg(short, long)]
        verbose: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Show one revision: id, parents, labels, file and ops
    Show {
        /// A revision id, unique prefix, label, head or label@head
        revision: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Set the version table to a revision without running migrations (a baseline)
    Stamp {
        /// head, heads, base, a revision or label@head; several (on different branches) are
        /// stamped side by side in one transaction (one below another is implied by it)
        #[arg(required = true, num_args = 1..)]
        targets: Vec<String>,
        /// Empty the version table first
        #[arg(long)]
        purge: bool,
        /// Print the SQL instead of running it (no connection); FROM:TO sets the start
        #[arg(long)]
        sql: bool,
    },
    /// Settle a revision that failed or stopped part way outside a transaction
    ///
    /// A revision that runs outside a transaction (on MySQL, or with `transactional = false`)
    /// and fails part way is recorded as unfinished, and upgrade, downgrade and stamp refuse
    /// to run until you say what the database holds: finish the step by hand and pass
    /// --applied, or undo what ran and pass --reverted.
    ///
    /// For a failed upgrade, --applied records the revision as applied and --reverted as not
    /// applied (the next upgrade runs it again). For a failed downgrade it is the other way
    /// round: --applied records the downgrade as finished (the revision is no longer applied),
    /// --reverted records it as undone (the revision stays applied).
    #[command(group = clap::ArgGroup::new("resolution").required(true).args(["applied", "reverted"]))]
    Resolve {
        /// The unfinished revision (the error names it)
        revision: String,
        /// The rest of the step (upgrade or downgrade) was done by hand
        #[arg(long)]
        applied: bool,
        /// What the step ran was undone by hand
        #[arg(long)]
        reverted: bool,
    },
    /// Join two or more heads with a new revision that has no ops
    Merge(commands::MergeArgs),
    /// Exit 1 when revisions are pending or the models differ from the database; for CI
    ///
    /// First the database must be at the head(s); then, when there are models (`[models]` in
    /// aludel.toml, or the embedding program's), the models are compared with it as
    /// `revision --autogenerate` would, and every op a new revision would hold is listed.
    Check {
        #[command(flatten)]
        format: FormatArg,
        /// Also lint the pending revisions (as `aludel lint` does) and list the findings
        #[arg(long)]
        lint: bool,
    },
    /// Check revisions for ops that lock, rewrite or break a busy database; exit 1 on an error
    ///
    /// By default the revisions the database has not applied (all of them when no database
    /// answers). Each finding names its rule, why it hurts and the safe way; a revision file
    /// accepts one with `allow = [{ rule = "...", reason = "..." }]`, at its top or in the op.
    /// Table sizes read from the database scale the severities.
    ///
    /// Examples: `aludel lint`, `aludel lint --all --dialect postgresql` (no database),
    /// `aludel lint head`, `aludel lint -r base:head --format github`, `aludel lint --rules`.
    Lint(commands::LintArgs),
    /// Print the SQL that would bring the database to the models; writes nothing
    ///
    /// Compares the models with the database at head, as `revision --autogenerate` does, and
    /// prints the upgrade as SQL for the database's dialect, with warnings on stderr-like
    /// comment lines.
    Diff {
        #[command(flatten)]
        format: FormatArg,
    },
    /// Compare applied revisions with their files by checksum; exit 1 on a difference
    Verify {
        /// Record the edited files' checksums as intended, so upgrades proceed
        #[arg(long)]
        accept: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Run the pending revisions on a scratch copy and report the locks they take (PostgreSQL)
    ///
    /// Creates a scratch database on the same server (`aludel_trace_<random>`, dropped at the
    /// end, also on failure), copies the database's schema and version into it (extensions,
    /// tables, and its functions, views, indexes and triggers as the server writes them), fills each
    /// table with generated rows (as many as the database holds, by its statistics, or
    /// `--rows`), then upgrades it to REVISION while a second connection
    /// watches pg_locks and a probe writes to every table the revisions touch. Reports per
    /// statement the locks taken, the longest a writer waited (counted against the first
    /// statement that held the lock it waited for) and the tables rewritten; exits 1 when a
    /// statement stopped writers longer than the budget. The database itself is only read.
    ///
    /// Examples: `aludel trace`, `aludel trace +1 --rows 1000000 --budget 50`,
    /// `aludel trace -r 1a2b:head` (the revisions up to 1a2b run untraced first)
    Trace {
        /// The revision to trace up to (`heads`, a revision, `+1`)
        #[arg(default_value = "heads", conflicts_with = "rev_range")]
        revision: String,
        /// Trace only the revisions after FROM up to TO; those up to FROM run untraced first
        #[arg(short = 'r', long = "rev-range", value_name = "FROM:TO")]
        rev_range: Option<String>,
        /// Generated rows per table (at most 100,000,000); without it, each table gets as many
        /// rows as the database's statistics estimate it holds (10,000 to 2,000,000)
        #[arg(long, value_parser = clap::value_parser!(u64).range(0..=100_000_000))]
        rows: Option<u64>,
        /// Milliseconds a statement may stop writers before the trace fails
        #[arg(long, default_value_t = 100)]
        budget: u64,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Turn another tool's migration history into revisions, and stamp the database
    ///
    /// Each migration becomes a revision (id `<tool>_<version>`, the tool's message) holding
    /// its up SQL as an `sql` op and its down SQL as the downgrade, with each file's SHA-256
    /// noted at the top. When DATABASE_URL names a database the tool manages, the revision of
    /// the last migration the tool's table records is stamped (the table stays), so
    /// `aludel upgrade` runs only what the tool had not:
    ///
    ///   aludel init revisions && aludel import sqlx migrations/
    ///   aludel import diesel migrations/        # <version>_<name>/up.sql, down.sql
    ///   aludel import refinery migrations/      # V<n>__<name>.sql
    ///   aludel import alembic .                 # the folder of alembic.ini; branches and
    ///                                           # merges kept, SQL from `alembic ... --sql`
    #[command(verbatim_doc_comment)]
    Import {
        /// The tool whose history DIR holds
        tool: ImportTool,
        /// The tool's migrations folder
        dir: PathBuf,
    },
    /// Prove the migration history on throwaway databases; exit 1 when a check fails
    ///
    /// Creates a throwaway database on each server (--database, repeatable; default: the
    /// configured database's server), runs the checks and drops it, also on Ctrl-C:
    /// graph (files parse, one head), checksums (of the configured database, when it is
    /// reachable), stairway (from base, each revision up, down and up again; the downgrade
    /// must leave its parent's schema), data (a revision's [[test.before]],
    /// [[test.assert_upgraded]] and [[test.assert_downgraded]] fixtures), models (at head,
    /// `check` is clean) and offline (the --sql script run with psql, mariadb or sqlite3
    /// leaves the online run's schema).
    ///
    /// Examples: `aludel test`; `aludel test --database postgresql://postgres@127.0.0.1/postgres
    /// --database mysql://root@127.0.0.1/mysql --database sqlite:// --junit results.xml`;
    /// `aludel test --skip offline --format json`.
    Test(test_command::TestArgs),
    /// Print a shell completion script
    ///
    /// bash: `aludel completions bash > ~/.local/share/bash-completion/completions/aludel`;
    /// zsh: into a folder of $fpath as `_aludel`; fish: `~/.config/fish/completions/aludel.fish`.
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command into a folder
    ///
    /// `aludel man | man -l -` reads it at once; `aludel man --dir DIR` writes aludel.1 and
    /// aludel-<command>.1 for a folder of $MANPATH.
    Man {
        /// Write the pages into this folder instead of printing aludel.1
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// Parses the process's arguments and runs the command, writing output to stdout.
/// `environment` holds what an embedding program wires in (`&Default::default()` for none).
///
/// # Errors
///
/// Any [`Error`]; the caller prints it and exits with [`EXIT_ERROR`].
pub fn run(environment: &Environment) -> Result<ExitCode, Error> {
    // Progress flushes what it writes, so buffering costs a terminal nothing.
    let mut out = std::io::BufWriter::new(ReaderMayLeave::new(std::io::stdout()));
    let code = run_on(std::env::args_os(), environment, Console::detect_stdout(), &mut out);
    out.flush()?;
    code
}

/// Standard output whose reader may stop reading (`aludel history | head`): once the pipe is
/// closed, output is dropped instead of failing the command, which runs to its end (an upgrade
/// is not cut short by its reader) and exits with its own code.
struct ReaderMayLeave<W> {
    inner: W,
    gone: bool,
}

impl<W: Write> ReaderMayLeave<W> {
    fn new(inner: W) -> Self {
        ReaderMayLeave { inner, gone: false }
    }

    fn unless_gone(&mut self, result: std::io::Result<()>) -> std::io::Result<()> {
        match result {
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {
                self.gone = true;
                Ok(())
            }
            result => result,
        }
    }
}

impl<W: Write> Write for ReaderMayLeave<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.gone {
            let written = self.inner.write_all(buf);
            self.unless_gone(written)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.gone {
            return Ok(());
        }
        let flushed = self.inner.flush();
        self.unless_gone(flushed)
    }
}

/// Runs the command given by `args` (the first one is the program name), writing output to
/// `out`. Starts its own single-threaded async runtime.
///
/// # Errors
///
/// Any [`Error`].
pub fn run_with<I, T>(args: I, environment: &Environment, out: &mut (dyn Write + Send)) -> Result<ExitCode, Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    run_on(args, environment, environment.console, out)
}

fn run_on<I, T>(
    args: I,
    environment: &Environment,
    console: Console,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match parse(args, environment) {
        Ok(cli) => cli,
        Err(err) => return usage(err, out),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Cli(CliError::Runtime(e)))?;
    runtime.block_on(execute(cli, environment, console, out))
}

/// The async form of [`run_with`], for programs that already run a tokio runtime.
///
/// # Errors
///
/// Any [`Error`].
pub async fn run_async<I, T>(
    args: I,
    environment: &Environment,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    match parse(args, environment) {
        Ok(cli) => execute(cli, environment, environment.console, out).await,
        Err(err) => usage(err, out),
    }
}

/// The clap command, named as the program calls itself.
fn command(environment: &Environment) -> clap::Command {
    use clap::CommandFactory;
    let command = Cli::command();
    match &environment.program_name {
        Some(name) => command.bin_name(name.clone()),
        None => command,
    }
}

fn parse<I, T>(args: I, environment: &Environment) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    use clap::FromArgMatches;
    let matches = command(environment).try_get_matches_from(args)?;
    Cli::from_arg_matches(&matches)
}

fn usage(err: clap::Error, out: &mut (dyn Write + Send)) -> Result<ExitCode, Error> {
    use clap::error::ErrorKind;
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            write!(out, "{}", err.render())?;
            let code = if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand { EXIT_ERROR } else { 0 };
            Ok(ExitCode::from(code))
        }
        _ => {
            // clap's text starts with its own `error: `, which the report adds again.
            let text = err.render().to_string();
            let text = text.strip_prefix("error: ").unwrap_or(&text);
            Err(Error::Cli(CliError::Usage(text.trim_end().to_owned())))
        }
    }
}

async fn execute(
    cli: Cli,
    environment: &Environment,
    console: Console,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    match environment.program_name.as_deref().filter(|name| *name != "aludel") {
        Some(name) => {
            let mut words = ProgramWords { inner: out, name, line: Vec::new() };
            let result = execute_as(cli, environment, console, &mut words).await;
            words.flush()?;
            result
        }
        None => execute_as(cli, environment, console, out).await,
    }
}

/// Advice in aludel's messages names commands as `` `aludel upgrade heads` ``: for a program
/// that runs the CLI under another name (`blog db`), `text` with that name instead.
///
/// ```
/// use aludel::cli::in_program_words;
///
/// assert_eq!(in_program_words("run `aludel upgrade heads`", Some("blog db")), "run `blog db upgrade heads`");
/// ```
pub fn in_program_words(text: &str, program_name: Option<&str>) -> String {
    match program_name.filter(|name| *name != "aludel") {
        Some(name) => text.replace("`aludel ", &format!("`{name} ")),
        None => text.to_owned(),
    }
}

/// A writer that passes output on line by line in the program's words ([`in_program_words`]);
/// a flush passes on a line in progress (a progress clock) as it is.
struct ProgramWords<'a> {
    inner: &'a mut (dyn Write + Send),
    name: &'a str,
    line: Vec<u8>,
}

impl Write for ProgramWords<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.line.extend_from_slice(bytes);
        if let Some(end) = self.line.iter().rposition(|&b| b == b'\n') {
            let rest = self.line.split_off(end + 1);
            let lines = std::mem::replace(&mut self.line, rest);
            let text = String::from_utf8_lossy(&lines);
            self.inner.write_all(in_program_words(&text, Some(self.name)).as_bytes())?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let pending = std::mem::take(&mut self.line);
        self.inner.write_all(&pending)?;
        self.inner.flush()
    }
}

async fn execute_as(
    cli: Cli,
    environment: &Environment,
    console: Console,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    // The command line has no use for other values: a misspelt key would go unnoticed.
    if let Some(key) = cli.config.x.iter().find_map(|arg| crate::config::unknown_override(arg)) {
        return Err(crate::config::ConfigError::UnknownOverride { key: key.to_owned() }.into());
    }
    let options = LoadOptions {
        config_file: cli.config.config,
        default_config_file: environment.config_file.clone(),
        overrides: cli.config.x,
        cwd: None,
        env: None,
    };
    match &cli.command {
        Command::Init { directory, from_database: false } => return commands::init(&options, directory, out),
        Command::Init { directory, from_database: true } => {
            return commands::init_from_database(&options, directory, environment, out).await;
        }
        Command::Completions { shell } => return commands::completions(command(environment), *shell, out),
        Command::Man { dir } => return commands::man(command(environment), dir.as_deref(), out),
        _ => {}
    }
    let mut config = Config::load(&options)?;
    if config.database_url.is_none()
        && let Some(url) = &environment.database_url
    {
        config.database_url = Some(crate::url::DatabaseUrl::parse(url).map_err(|error| {
            crate::config::ConfigError::BadUrl { source_name: "the program's default".to_owned(), error }
        })?);
    }
    let project = Project { config, models: environment.metadata.clone(), embedded: environment.embedded.clone() };
    let style = console.style();
    match cli.command {
        Command::Init { .. } | Command::Completions { .. } | Command::Man { .. } => unreachable!("handled above"),
        Command::Revision(args) => commands::revision(&project, &args, style, out).await,
        Command::Upgrade { target, sql } => {
            commands::migrate(&project, Direction::Up, &target, Mode::from_sql_flag(sql), console, out).await
        }
        Command::Downgrade { target, sql } => {
            commands::migrate(&project, Direction::Down, &target, Mode::from_sql_flag(sql), console, out).await
        }
        Command::Current { verbose, format } => commands::current(&project, verbose, format.format, out).await,
        Command::History { rev_range, verbose, indicate_current, format } => {
            let range = rev_range.as_deref();
            commands::history(&project, range, verbose, indicate_current, format.format, out).await
        }
        Command::Heads { verbose, format } => commands::heads(&project, verbose, format.format, out),
        Command::Branches { verbose, format } => commands::branches(&project, verbose, format.format, out),
        Command::Show { revision, format } => commands::show(&project, &revision, format.format, out),
        Command::Stamp { targets, purge, sql } => {
            let from = if purge { StampFrom::Empty } else { StampFrom::Current };
            commands::stamp(&project, &targets, from, Mode::from_sql_flag(sql), console, out).await
        }
        Command::Merge(args) => commands::merge(&project, &args, out),
        Command::Resolve { revision, applied, reverted: _ } => {
            let resolution = if applied { Resolution::Applied } else { Resolution::Reverted };
            commands::resolve(&project, &revision, resolution, out).await
        }
        Command::Check { format, lint } => commands::check(&project, format.format, lint, style, out).await,
        Command::Diff { format } => commands::diff(&project, format.format, console, out).await,
        Command::Lint(args) => commands::lint(&project, &args, style, out).await,
        Command::Verify { accept, format } => commands::verify(&project, accept, format.format, out).await,
        Command::Trace { revision, rev_range, rows, budget, format } => {
            let range = rev_range.as_deref();
            commands::trace(&project, &revision, range, rows, budget, format.format, out).await
        }
        Command::Import { tool, dir } => commands::import(&project, tool.into(), &dir, out).await,
        Command::Test(args) => test_command::test(&project, &args, console, out).await,
    }
}

/// Resolves on Ctrl-C, or on SIGTERM (what `timeout`, CI runners and `docker stop` send);
/// never when signals cannot be listened to.
pub(crate) async fn interrupted() {
    #[cfg(unix)]
    if let Ok(mut terminate) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        tokio::select! {
            interrupt = tokio::signal::ctrl_c() => {
                if interrupt.is_err() {
                    terminate.recv().await;
                }
            }
            _ = terminate.recv() => {}
        }
        return;
    }
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    /// Runs the command line in `dir` as a program embedding it would, returning the exit
    /// code (or the error) and the output.
    fn embedded(dir: &std::path::Path, environment: &Environment, args: &[&str]) -> (Result<ExitCode, Error>, String) {
        let config = dir.join("aludel.toml");
        let url = format!("db_url=sqlite://{}?mode=rwc", dir.join("app.db").display());
        let mut argv = vec!["blog db", "-c", config.to_str().expect("UTF-8 path"), "-x", &url];
        argv.extend(args);
        let mut out = Vec::new();
        let code = run_with(argv, environment, &mut out);
        (code, String::from_utf8(out).expect("UTF-8 output"))
    }

    #[test]
    fn an_embedding_program_gets_color_and_json_as_it_asks() {
        let dir = tempfile::tempdir().expect("temp dir");
        let versions = dir.path().join("migrations/versions");
        std::fs::create_dir_all(&versions).expect("versions");
        std::fs::write(dir.path().join("aludel.toml"), "script_location = \"migrations\"\n").expect("config");
        std::fs::write(
            versions.join("aaaa00000001_users.toml"),
            "revision = \"aaaa00000001\"\nmessage = \"users\"\n\n[[upgrade]]\nop = \"create_table\"\ntable = \"users\"\n\
             columns = [{ name = \"id\", type = \"integer\", nullable = false }]\n",
        )
        .expect("revision");
        let models = Metadata::default();
        let plain =
            Environment { metadata: Some(models.clone()), program_name: Some("blog db".into()), ..Default::default() };
        let colored = Environment { console: Console { color: true, terminal: false }, ..plain.clone() };

        let (code, out) = embedded(dir.path(), &plain, &["upgrade", "head"]);
        assert_eq!(code.expect("upgrade runs"), ExitCode::SUCCESS, "{out}");
        // The models hold no table: a new revision would drop `users`, which loses data.
        let (code, out) = embedded(dir.path(), &plain, &["check"]);
        assert_eq!(code.expect("check runs"), ExitCode::from(EXIT_DRIFT));
        assert!(out.contains("    drop_table users\n"), "{out}");
        let (_, out) = embedded(dir.path(), &colored, &["check"]);
        assert!(out.contains("    \x1b[1;31mdrop_table users\x1b[0m\n"), "{out:?}");
        let (_, out) = embedded(dir.path(), &colored, &["check", "--format", "json"]);
        let document: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(document["models"]["ops"][0]["description"], "drop_table users");
        assert!(!out.contains('\x1b'), "JSON is never colored");

        let (code, _) = embedded(dir.path(), &plain, &["completions", "bash"]);
        let err = code.expect_err("a subcommand has no completions of its own");
        assert!(matches!(&err, Error::Cli(CliError::NotACommand { program }) if program == "blog db"), "{err}");
    }

    /// Writes a project of `n` revisions into `dir`, one `sql` op each: a chain, or with
    /// `lines` above 1 a trunk of half of them and `lines` open lines off its top.
    fn write_history(dir: &std::path::Path, n: usize, lines: usize) {
        let versions = dir.join("migrations/versions");
        std::fs::create_dir_all(&versions).expect("versions");
        std::fs::write(dir.join("aludel.toml"), "script_location = \"migrations\"\n").expect("config");
        let trunk = if lines > 1 { n / 2 } else { n };
        let per_line = (n - trunk) / lines.max(1);
        let parents = (0..n).map(|i| match i {
            0 => None,
            i if i < trunk => Some(i - 1),
            i if (i - trunk) % per_line == 0 => Some(trunk - 1),
            i => Some(i - 1),
        });
        for (i, parent) in parents.enumerate() {
            let parent = parent.map(|p| format!("down_revision = \"{p:012x}\"\n")).unwrap_or_default();
            let text = format!(
                "revision = \"{i:012x}\"\n{parent}message = \"step {i}\"\n\n[[upgrade]]\nop = \"sql\"\nsql = \"SELECT 1\"\n\
                 down = \"SELECT 2\"\n\n[[downgrade]]\nop = \"sql\"\nsql = \"SELECT 2\"\n"
            );
            std::fs::write(versions.join(format!("{i:012x}_step.toml")), text).expect("revision");
        }
    }

    /// The graph work of each command in turn on a project of `n` revisions.
    fn graph_work(n: usize) -> Vec<(String, u64)> {
        let environment = Environment::default();
        let mut work = Vec::new();
        let half = format!("-{}", n / 2);
        let chain: &[&[&str]] = &[
            &["history"],
            &["history", "--verbose"],
            &["history", "--format", "json"],
            &["heads"],
            &["branches"],
            &["upgrade", "--sql", "base:head"],
            &["upgrade", "head"],
            &["current", "--verbose"],
            &["current", "--format", "json"],
            &["history", "-i"],
            &["check"],
            &["verify"],
            &["downgrade", "--sql", "head:base"],
            &["stamp", "--", &half],
            &["stamp", "head"],
            &["downgrade", &half],
            &["downgrade", "base"],
        ];
        let lines: &[&[&str]] = &[
            &["upgrade", "heads"],
            &["history"],
            &["branches", "--verbose"],
            &["current"],
            &["merge", "heads", "-m", "join"],
            &["downgrade", "base"],
        ];
        for (shape, commands) in [(1, chain), (10, lines)] {
            let dir = tempfile::tempdir().expect("temp dir");
            write_history(dir.path(), n, shape);
            for args in commands {
                let ((code, out), done) = crate::script::graph::work::of(|| embedded(dir.path(), &environment, args));
                code.unwrap_or_else(|err| panic!("{args:?}: {err}\n{out}"));
                work.push((format!("{} ({shape} line(s))", args.join(" ")), done));
            }
        }
        work
    }

    #[test]
    fn commands_did_quadratic_graph_work_on_a_long_history() {
        for ((command, small), (_, large)) in graph_work(200).into_iter().zip(graph_work(400)) {
            // Twice the revisions, about twice the work; a graph walk per step or per
            // revision printed was four times.
            assert!(large * 2 <= small * 5 + 100, "{command}: {small} steps for 200 revisions, {large} for 400");
        }
    }
}
