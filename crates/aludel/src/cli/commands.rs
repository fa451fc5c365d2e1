//! One function per verb. Each gathers data through the library API and hands it to
//! `cli::output` for formatting.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::Args;

use crate::Error;
use crate::cli::progress::Progress;
use crate::cli::style::{Console, Style, script_for};
use crate::cli::{CliError, EXIT_DRIFT, Format, json, output};
use crate::config::{Config, LoadOptions, REFERENCE_CONFIG};
use crate::runtime::{
    Migrator, ModelCheck, Project, RenameQuestion, Renames, Resolution, SqlDiff, StampFrom, StepEvent, TraceOptions,
};
use crate::script::{Direction, Parent, RevisionSpec, ScriptError, Splice};

/// `aludel revision`.
#[derive(Debug, Args)]
pub(super) struct RevisionArgs {
    /// What the revision does; also names the file
    #[arg(short, long)]
    message: Option<String>,
    /// Use this id instead of a random one
    #[arg(long, value_name = "ID")]
    rev_id: Option<String>,
    /// The parent: head (default), base for a new root, or a revision (with --splice for a
    /// non-head)
    #[arg(long, value_name = "REV", default_value = "head")]
    head: String,
    /// Label for the branch this revision starts (repeatable)
    #[arg(long, value_name = "LABEL")]
    branch_label: Vec<String>,
    /// A revision that must be applied before this one, on another branch (repeatable)
    #[arg(long, value_name = "REV")]
    depends_on: Vec<String>,
    /// Allow --head to name a revision that is not a head, starting a branch there
    #[arg(long)]
    splice: bool,
    /// Fill the revision with the ops that bring the database (at head) to the models; the
    /// downgrade is their inverse. Writes nothing when they already match
    #[arg(long)]
    autogenerate: bool,
    /// With --autogenerate: ask, for each drop and add that looks like a rename, whether it
    /// is one (a rename keeps the data)
    #[arg(long, requires = "autogenerate")]
    interactive: bool,
}

/// `aludel merge`.
#[derive(Debug, Args)]
pub(super) struct MergeArgs {
    /// Revisions to join (default: every head)
    #[arg(default_value = "heads")]
    revisions: Vec<String>,
    /// What the merge is for
    #[arg(short, long)]
    message: Option<String>,
    /// Use this id instead of a random one
    #[arg(long, value_name = "ID")]
    rev_id: Option<String>,
    /// Label for the merged branch (repeatable)
    #[arg(long, value_name = "LABEL")]
    branch_label: Vec<String>,
}

pub(super) fn init(options: &LoadOptions, directory: &Path, out: &mut (dyn Write + Send)) -> Result<ExitCode, Error> {
    let (config_path, versions) = write_project(options, directory, ModelsFile::None)?;
    output::init(out, &config_path, &versions)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn import(
    project: &Project,
    tool: crate::import::Tool,
    dir: &Path,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    // The import stamps the database it finds, so it is named first.
    output::database(out, &project.config)?;
    let imported = project.import(tool, dir).await?;
    output::import(out, tool, &imported)?;
    Ok(ExitCode::SUCCESS)
}

/// Whether `init` points `[models]` at a `schema.sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ModelsFile {
    None,
    SchemaSql,
}

/// `init --from-database`: the project, then the database adopted into it; the files
/// written are removed again when the adoption fails, so the command can run again.
pub(super) async fn init_from_database(
    options: &LoadOptions,
    directory: &Path,
    environment: &crate::cli::Environment,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let made_directory = !directory.exists();
    let (config_path, versions) = write_project(options, directory, ModelsFile::SchemaSql)?;
    let adopted = async {
        let mut config = Config::load(options)?;
        if config.database_url.is_none()
            && let Some(url) = &environment.database_url
        {
            config.database_url = Some(crate::url::DatabaseUrl::parse(url).map_err(|error| {
                crate::config::ConfigError::BadUrl { source_name: "the program's default".to_owned(), error }
            })?);
        }
        let spec = RevisionSpec { message: "baseline".into(), ..Default::default() };
        // Adopting stamps the database, so it is named first.
        output::database(&mut *out, &config)?;
        Project::new(config).adopt_database(&spec).await
    }
    .await;
    match adopted {
        Ok(adopted) => {
            output::init_from_database(out, &config_path, &versions, &adopted)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            std::fs::remove_file(&config_path).ok();
            std::fs::remove_dir_all(&versions).ok();
            if made_directory {
                // Only when empty: nothing but what this command wrote is removed.
                std::fs::remove_dir(directory).ok();
            }
            Err(err)
        }
    }
}

/// Writes aludel.toml and the versions folder, refusing to overwrite either.
fn write_project(options: &LoadOptions, directory: &Path, models: ModelsFile) -> Result<(PathBuf, PathBuf), Error> {
    let cwd = std::env::current_dir().map_err(Error::Output)?;
    let config_path = options.config_file_to_write()?;
    let versions = cwd.join(directory).join("versions");
    for path in [&config_path, &versions] {
        if path.exists() {
            return Err(CliError::AlreadyExists { path: path.clone() }.into());
        }
    }
    // DIRECTORY is typed relative to the working directory; the config reads it relative to
    // its own folder.
    let config_dir = config_path.parent().unwrap_or(&cwd);
    let script_location = relative_to(&cwd.join(directory), config_dir).to_string_lossy().replace('\\', "/");
    let mut text = REFERENCE_CONFIG
        .replace("script_location = \"migrations\"", &format!("script_location = {}", toml_string(&script_location)));
    if models == ModelsFile::SchemaSql {
        text = text.replacen("# schema_sql = \"schema.sql\"", "schema_sql = \"schema.sql\"", 1);
    }
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Script(ScriptError::Io { path, source })
    };
    std::fs::create_dir_all(&versions).map_err(io(&versions))?;
    if let Some(parent) = config_path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    std::fs::write(&config_path, text).map_err(io(&config_path))?;
    Ok((config_path, versions))
}

/// `path` from `base`, both absolute, as `..` steps and names (lexically: `.` and `..` in
/// either are resolved first); `path` itself when they share no root.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    use std::path::Component;
    fn normal(p: &Path) -> Vec<std::path::Component<'_>> {
        use std::path::Component;
        let mut parts: Vec<Component<'_>> = Vec::new();
        for part in p.components() {
            match part {
                Component::CurDir => {}
                Component::ParentDir if matches!(parts.last(), Some(Component::Normal(_))) => {
                    parts.pop();
                }
                other => parts.push(other),
            }
        }
        parts
    }
    let (path_parts, base_parts) = (normal(path), normal(base));
    let common = path_parts.iter().zip(&base_parts).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return path.to_path_buf();
    }
    let mut relative: PathBuf = base_parts[common..].iter().map(|_| Component::ParentDir).collect();
    relative.extend(&path_parts[common..]);
    if relative.as_os_str().is_empty() { PathBuf::from(".") } else { relative }
}

fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// Whether a command runs against the database or prints its SQL (`--sql`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Online,
    Offline,
}

impl Mode {
    pub(super) fn from_sql_flag(sql: bool) -> Mode {
        if sql { Mode::Offline } else { Mode::Online }
    }
}

fn spec(message: Option<&str>, rev_id: Option<&str>, branch_labels: &[String], depends_on: &[String]) -> RevisionSpec {
    RevisionSpec {
        message: message.unwrap_or_default().to_owned(),
        id: rev_id.map(str::to_owned),
        branch_labels: branch_labels.to_vec(),
        depends_on: depends_on.to_vec(),
    }
}

pub(super) async fn revision(
    project: &Project,
    args: &RevisionArgs,
    style: Style,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let spec = spec(args.message.as_deref(), args.rev_id.as_deref(), &args.branch_label, &args.depends_on);
    let splice = if args.splice { Splice::Allowed } else { Splice::HeadsOnly };
    let parent = Parent::from_target(&args.head, splice);
    if !args.autogenerate {
        let path = project.write_revision(&parent, &spec)?;
        output::generated(out, &path)?;
        return Ok(ExitCode::SUCCESS);
    }
    let outcome = if args.interactive {
        let mut ask = |question: &RenameQuestion| -> Result<bool, Error> {
            let mut input = std::io::stdin().lock();
            output::ask(out, &mut input, &output::rename_question(question)).map_err(|e| Error::Cli(CliError::Input(e)))
        };
        project.autogenerate(&parent, &spec, Renames::Ask(&mut ask)).await?
    } else {
        project.autogenerate(&parent, &spec, Renames::AsDetected).await?
    };
    output::detected(out, style, &outcome.diff)?;
    match &outcome.written {
        Some(path) => output::generated(out, path)?,
        None => output::no_changes(out, &outcome.diff)?,
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn merge(project: &Project, args: &MergeArgs, out: &mut (dyn Write + Send)) -> Result<ExitCode, Error> {
    let spec = spec(args.message.as_deref(), args.rev_id.as_deref(), &args.branch_label, &[]);
    let path = project.merge(&args.revisions, &spec)?;
    output::generated(out, &path)?;
    Ok(ExitCode::SUCCESS)
}

/// `upgrade` and `downgrade`.
pub(super) async fn migrate(
    project: &Project,
    direction: Direction,
    target: &str,
    mode: Mode,
    console: Console,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let migrator = project.migrator()?;
    if mode == Mode::Offline {
        out.write_all(script_for(console, &migrator.script(direction, target)?).as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    refuse_online_range(target)?;
    output::database(out, migrator.config())?;
    // The run reports its steps; a clock ticking beside it in the same task shows the time
    // of a long one. The lock is never contended: both sides run on this task, in turn.
    let progress = Mutex::new(Progress::new(out, console));
    let tick = lock(&progress).tick_interval();
    let report = {
        let mut observe = |event: StepEvent<'_>| lock(&progress).event(event, Instant::now());
        let run = migrator.migrate(direction, target, &mut observe);
        tokio::pin!(run);
        loop {
            tokio::select! {
                report = &mut run => break report,
                () = tokio::time::sleep(tick) => lock(&progress).tick(Instant::now()),
            }
        }
    };
    let progress = progress.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    progress.finish(report.as_ref().ok().map(|r| r.heads.as_slice()))?;
    report?;
    Ok(ExitCode::SUCCESS)
}

fn lock<'m, 'a>(progress: &'m Mutex<Progress<'a>>) -> std::sync::MutexGuard<'m, Progress<'a>> {
    // A panic while writing progress leaves nothing half-updated that matters.
    progress.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(super) async fn current(
    project: &Project,
    verbose: bool,
    format: Format,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    // Reading the revision files and asking the database overlap: on a long chain each
    // costs about as much as the other.
    let loading_project = project.clone();
    let loading = std::thread::spawn(move || loading_project.revisions());
    let state = crate::runtime::current_state(&project.config).await;
    let graph = loading.join().expect("loading revision files does not panic")?;
    let (heads, unfinished) = state?;
    let dialect = project.config.require_database_url()?.backend().dialect_with(&project.config.dialect);
    let unfinished = unfinished.map(|unfinished| unfinished.judged_by(&graph, dialect));
    // JSON always carries what --verbose shows.
    let verbose = verbose || format == Format::Json;
    let history = if verbose {
        Migrator::with_graph(project.config.clone(), graph.clone()).recorded_history().await?
    } else {
        Vec::new()
    };
    if format == Format::Json {
        json::current(out, database(project), &graph, &heads, &history, unfinished.as_ref())?;
        return Ok(ExitCode::SUCCESS);
    }
    if verbose {
        output::current_for(out, &project.config)?;
    }
    output::current(out, &graph, &heads, verbose.then_some(history.as_slice()))?;
    if let Some(unfinished) = &unfinished {
        output::unfinished(out, unfinished)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The database URL as JSON documents name it, password hidden.
fn database(project: &Project) -> Option<String> {
    project.config.database_url.as_ref().map(ToString::to_string)
}

pub(super) async fn history(
    project: &Project,
    range: Option<&str>,
    verbose: bool,
    indicate_current: bool,
    format: Format,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let graph = project.revisions()?;
    // The database is read only when asked about (`-i`, or `current` in the range).
    let names_current = range.is_some_and(|r| r.split(':').any(|end| end == "current"));
    let current = if indicate_current || names_current {
        Some(crate::runtime::current_heads(&project.config).await?)
    } else {
        None
    };
    let revisions = graph.history_at(range, current.as_deref())?;
    let marked = if indicate_current { current.as_deref().unwrap_or_default() } else { &[] };
    match format {
        Format::Text => output::revisions_marking(out, &graph, &revisions, verbose, marked)?,
        Format::Json => json::history(out, &graph, &revisions)?,
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn heads(
    project: &Project,
    verbose: bool,
    format: Format,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let graph = project.revisions()?;
    let heads: Vec<_> = graph.heads().into_iter().filter_map(|id| graph.get(id)).collect();
    match format {
        Format::Text => output::revisions(out, &graph, &heads, verbose)?,
        Format::Json => json::heads(out, &graph, &heads)?,
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn branches(
    project: &Project,
    verbose: bool,
    format: Format,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let graph = project.revisions()?;
    match format {
        Format::Text => output::branches(out, &graph, verbose)?,
        Format::Json => json::branches(out, &graph)?,
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn show(
    project: &Project,
    target: &str,
    format: Format,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let graph = project.revisions()?;
    let id = graph.resolve(target)?;
    let revision = graph.get(&id).expect("resolve returns revisions of the graph");
    match format {
        Format::Text => output::show(out, &graph, revision)?,
        Format::Json => json::show(out, &graph, revision)?,
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn stamp(
    project: &Project,
    targets: &[String],
    from: StampFrom,
    mode: Mode,
    console: Console,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let migrator = project.migrator()?;
    let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
    if mode == Mode::Offline {
        // `FROM:` may open the first target only: the script starts there.
        let (start, first) = targets[0].split_once(':').unwrap_or(("base", targets[0]));
        let ends: Vec<&str> = std::iter::once(first).chain(targets[1..].iter().copied()).collect();
        if let Some(range) = ends[1..].iter().find(|t| t.contains(':')) {
            let message = format!("`{range}`: only the first target of a --sql stamp may start with `FROM:`");
            return Err(CliError::Usage(message).into());
        }
        out.write_all(script_for(console, &migrator.stamp_script_all(start, &ends, from)?).as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    for target in &targets {
        refuse_online_range(target)?;
    }
    output::database(out, migrator.config())?;
    let report = migrator.stamp_all(&targets, from).await?;
    output::stamped(out, &report.heads)?;
    Ok(ExitCode::SUCCESS)
}

/// A `FROM:TO` range outside `--sql`, where the database says where the run starts.
fn refuse_online_range(target: &str) -> Result<(), Error> {
    match target.split_once(':') {
        Some((_, to)) => Err(CliError::OnlineRange { target: target.to_owned(), to: to.to_owned() }.into()),
        None => Ok(()),
    }
}

pub(super) async fn resolve(
    project: &Project,
    revision: &str,
    resolution: Resolution,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let migrator = project.migrator()?;
    output::database(out, migrator.config())?;
    let report = migrator.resolve(revision, resolution).await?;
    output::resolved(out, revision, resolution, &report)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn check(
    project: &Project,
    format: Format,
    lint: bool,
    style: Style,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let report = project.check().await?;
    let code = if report.has_drift() { ExitCode::from(EXIT_DRIFT) } else { ExitCode::SUCCESS };
    // `--lint`: the pending revisions' findings, so CI has one command.
    let lint = match lint && !report.pending.is_empty() {
        true => Some(project.lint(&crate::runtime::LintSelection::Pending, None).await?),
        false => None,
    };
    if format == Format::Json {
        json::check(out, database(project), &report, lint.as_ref())?;
        return Ok(code);
    }
    if let Some(run) = &lint {
        crate::cli::lint::text(out, style, run)?;
    }
    output::check(out, &report.current, &report.pending, report.unfinished.as_ref())?;
    match &report.models {
        ModelCheck::NotConfigured if report.pending.is_empty() => output::no_models(out)?,
        ModelCheck::NotConfigured | ModelCheck::NotCompared => {}
        ModelCheck::Compared(diff) => output::model_check(out, style, diff)?,
    }
    Ok(code)
}

pub(super) async fn diff(
    project: &Project,
    format: Format,
    console: Console,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let SqlDiff { diff, sql } = project.diff().await?;
    match format {
        Format::Text => output::diff_sql(out, console, &diff, &sql)?,
        Format::Json => {
            let url = project.config.require_database_url()?;
            let dialect = url.backend().dialect_with(&project.config.dialect).name();
            json::diff(out, database(project), dialect, &diff, &sql)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn verify(
    project: &Project,
    accept: bool,
    format: Format,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let migrator = project.migrator()?;
    if accept {
        if format == Format::Text {
            output::database(out, migrator.config())?;
        }
        let accepted = migrator.accept_changes().await?;
        match format {
            Format::Text => output::accepted(out, &accepted)?,
            Format::Json => json::verify(out, true, database(project), &accepted)?,
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mismatches = migrator.verify().await?;
    match format {
        Format::Text => output::verified(out, &mismatches)?,
        Format::Json => json::verify(out, false, database(project), &mismatches)?,
    }
    Ok(if mismatches.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_DRIFT) })
}

pub(super) async fn trace(
    project: &Project,
    revision: &str,
    range: Option<&str>,
    rows: Option<u64>,
    budget_ms: u64,
    format: Format,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let migrator = project.migrator()?;
    let budget = Duration::from_millis(budget_ms);
    let mut options = TraceOptions { from: None, target: revision.to_owned(), rows, budget };
    if let Some(range) = range {
        options = options.with_range(range)?;
    }
    // Ctrl-C drops the trace, whose scratch database goes with it.
    let report = tokio::select! {
        report = migrator.trace(&options) => report?,
        () = super::interrupted() => return Err(CliError::TraceInterrupted.into()),
    };
    match format {
        Format::Text => {
            output::database(out, migrator.config())?;
            output::trace(out, &report)?;
        }
        Format::Json => json::trace(out, database(project), &report)?,
    }
    Ok(if report.over_budget().next().is_some() { ExitCode::from(EXIT_DRIFT) } else { ExitCode::SUCCESS })
}

/// `completions SHELL`: the script for `command`, as clap describes it.
pub(super) fn completions(
    mut command: clap::Command,
    shell: clap_complete::Shell,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let name = own_command_name(&command)?;
    clap_complete::generate(shell, &mut command, name, out);
    Ok(ExitCode::SUCCESS)
}

/// `man`: the page of `command` on `out`, or with `dir` one page per command in that folder.
pub(super) fn man(command: clap::Command, dir: Option<&Path>, out: &mut (dyn Write + Send)) -> Result<ExitCode, Error> {
    let name = own_command_name(&command)?;
    let command = command.name(name.clone()).display_name(name);
    match dir {
        None => clap_mangen::Man::new(command).render(out)?,
        Some(dir) => {
            let failed = |source| CliError::ManPages { dir: dir.to_owned(), source };
            std::fs::create_dir_all(dir).map_err(failed)?;
            clap_mangen::generate_to(command, dir).map_err(failed)?;
            output::man_pages(out, dir)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The name a shell runs the program by; a program that embeds the CLI under a subcommand
/// (`blog db`) has none.
fn own_command_name(command: &clap::Command) -> Result<String, Error> {
    let name = command.get_bin_name().unwrap_or(command.get_name());
    if name.contains(char::is_whitespace) {
        return Err(CliError::NotACommand { program: name.to_owned() }.into());
    }
    Ok(name.to_owned())
}

/// `aludel lint`.
#[derive(Debug, Args)]
pub(super) struct LintArgs {
    /// One revision to lint (an id, prefix, label or head) instead of the pending ones
    #[arg(conflicts_with_all = ["rev_range", "all"])]
    revision: Option<String>,
    /// The revisions of a range, as `history -r` takes it: -r base:head, -r 1a2b:
    #[arg(short = 'r', long = "rev-range", value_name = "RANGE", allow_hyphen_values = true, conflicts_with = "all")]
    rev_range: Option<String>,
    /// Every revision, whatever the database has applied
    #[arg(long)]
    all: bool,
    /// The backend whose rules apply: postgresql, mysql or sqlite [default: the database URL's]
    #[arg(long, value_name = "DIALECT", value_parser = parse_backend)]
    dialect: Option<crate::dialect::Backend>,
    /// Output: text, json (a documented, stable object) or github (annotations for GitHub Actions)
    #[arg(long, value_enum, default_value_t = LintFormat::Text, value_name = "FORMAT")]
    format: LintFormat,
    /// List the rules (id, severity, backends, why, fix) and exit
    #[arg(long)]
    rules: bool,
}

/// How `lint` prints its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum LintFormat {
    /// Grouped by revision and op, with why and the fix
    Text,
    /// One JSON object with `"version": 1`
    Json,
    /// GitHub Actions annotations (`::error file=...,line=...::`)
    Github,
}

fn parse_backend(name: &str) -> Result<crate::dialect::Backend, String> {
    crate::dialect::Backend::from_name(name).ok_or_else(|| format!("`{name}` is not postgresql, mysql or sqlite"))
}

pub(super) async fn lint(
    project: &Project,
    args: &LintArgs,
    style: Style,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    use crate::runtime::LintSelection;
    if args.rules {
        crate::cli::lint::rules(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let selection = match (&args.revision, &args.rev_range, args.all) {
        (Some(revision), _, _) => LintSelection::Revision(revision.clone()),
        (None, Some(range), _) => LintSelection::Range(range.clone()),
        (None, None, true) => LintSelection::All,
        (None, None, false) => LintSelection::Pending,
    };
    let run = project.lint(&selection, args.dialect).await?;
    match args.format {
        LintFormat::Text => crate::cli::lint::text(out, style, &run)?,
        LintFormat::Json => json::lint(out, &run)?,
        LintFormat::Github => {
            let cwd = std::env::current_dir().map_err(Error::Output)?;
            crate::cli::lint::github(out, &cwd, &run.report)?;
        }
    }
    Ok(if run.report.has_errors() { ExitCode::from(EXIT_DRIFT) } else { ExitCode::SUCCESS })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_paths_are_relative_to_the_config_folder() {
        let check = |path: &str, base: &str, want: &str| {
            assert_eq!(relative_to(Path::new(path), Path::new(base)), PathBuf::from(want), "{path} from {base}");
        };
        check("/p/mig", "/p", "mig");
        check("/p/mig", "/p/sub", "../mig");
        check("/p/./sub/../mig", "/p/a/b", "../../mig");
        check("/p/sub/mig", "/p/sub", "mig");
        check("/p", "/p", ".");
    }
}
