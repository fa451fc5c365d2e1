//! One function per verb. Each gathers data through the library API and hands it to
//! `cli::output` for formatting.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use crate::Error;
use crate::cli::output;
use crate::cli::{CliError, EXIT_DRIFT};
use crate::config::{CONFIG_FILE, LoadOptions, REFERENCE_CONFIG};
use crate::runtime::{
    Migrator, ModelCheck, Project, RenameQuestion, Renames, Resolution, SqlDiff, StampFrom, StepReport,
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
    let cwd = std::env::current_dir().map_err(Error::Output)?;
    let config_path = cwd.join(options.config_file.as_deref().unwrap_or(Path::new(CONFIG_FILE)));
    let versions = cwd.join(directory).join("versions");
    for path in [&config_path, &versions] {
        if path.exists() {
            return Err(CliError::AlreadyExists { path: path.clone() }.into());
        }
    }
    let script_location = directory.to_string_lossy().replace('\\', "/");
    let text = REFERENCE_CONFIG
        .replace("script_location = \"migrations\"", &format!("script_location = {}", toml_string(&script_location)));
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Script(ScriptError::Io { path, source })
    };
    std::fs::create_dir_all(&versions).map_err(io(&versions))?;
    if let Some(parent) = config_path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    std::fs::write(&config_path, text).map_err(io(&config_path))?;
    output::init(out, &config_path, &versions)?;
    Ok(ExitCode::SUCCESS)
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
    output::detected(out, &outcome.diff)?;
    match &outcome.written {
        Some(path) => output::generated(out, path)?,
        None => output::no_changes(out)?,
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
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let migrator = project.migrator()?;
    if mode == Mode::Offline {
        out.write_all(migrator.script(direction, target)?.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    output::database(out, migrator.config())?;
    let mut progress = output::Progress::new(out);
    let report = migrator.migrate(direction, target, &mut |step: &StepReport| progress.step(step)).await;
    progress.finish(report.as_ref().ok().map(|r| r.heads.as_slice()))?;
    report?;
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn current(project: &Project, verbose: bool, out: &mut (dyn Write + Send)) -> Result<ExitCode, Error> {
    // Reading the revision files and asking the database overlap: on a long chain each
    // costs about as much as the other.
    let loading_project = project.clone();
    let loading = std::thread::spawn(move || loading_project.revisions());
    let heads = crate::runtime::current_heads(&project.config).await;
    let graph = loading.join().expect("loading revision files does not panic")?;
    let heads = heads?;
    let history = if verbose {
        Migrator::with_graph(project.config.clone(), graph.clone()).recorded_history().await?
    } else {
        Vec::new()
    };
    if verbose {
        output::current_for(out, &project.config)?;
    }
    output::current(out, &graph, &heads, verbose.then_some(history.as_slice()))?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn history(
    project: &Project,
    range: Option<&str>,
    verbose: bool,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let graph = project.revisions()?;
    let revisions = graph.history(range)?;
    output::revisions(out, &graph, &revisions, verbose)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn heads(project: &Project, verbose: bool, out: &mut (dyn Write + Send)) -> Result<ExitCode, Error> {
    let graph = project.revisions()?;
    let heads: Vec<_> = graph.heads().into_iter().filter_map(|id| graph.get(id)).collect();
    output::revisions(out, &graph, &heads, verbose)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn branches(project: &Project, verbose: bool, out: &mut (dyn Write + Send)) -> Result<ExitCode, Error> {
    let graph = project.revisions()?;
    output::branches(out, &graph, verbose)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn show(project: &Project, target: &str, out: &mut (dyn Write + Send)) -> Result<ExitCode, Error> {
    let graph = project.revisions()?;
    let id = graph.resolve(target)?;
    let revision = graph.get(&id).expect("resolve returns revisions of the graph");
    output::show(out, &graph, revision)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn stamp(
    project: &Project,
    target: &str,
    from: StampFrom,
    mode: Mode,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let migrator = project.migrator()?;
    if mode == Mode::Offline {
        out.write_all(migrator.stamp_script(target, from)?.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    output::database(out, migrator.config())?;
    let report = migrator.stamp(target, from).await?;
    output::stamped(out, &report.heads)?;
    Ok(ExitCode::SUCCESS)
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
    output::resolved(out, revision, resolution, &report.heads)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn check(project: &Project, out: &mut (dyn Write + Send)) -> Result<ExitCode, Error> {
    let report = project.check().await?;
    output::check(out, &report.current, &report.pending)?;
    match &report.models {
        ModelCheck::NotConfigured if report.pending.is_empty() => output::no_models(out)?,
        ModelCheck::NotConfigured | ModelCheck::NotCompared => {}
        ModelCheck::Compared(diff) => output::model_check(out, diff)?,
    }
    Ok(if report.has_drift() { ExitCode::from(EXIT_DRIFT) } else { ExitCode::SUCCESS })
}

pub(super) async fn diff(project: &Project, out: &mut (dyn Write + Send)) -> Result<ExitCode, Error> {
    let SqlDiff { diff, sql } = project.diff().await?;
    output::diff_sql(out, &diff, &sql)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn verify(project: &Project, accept: bool, out: &mut (dyn Write + Send)) -> Result<ExitCode, Error> {
    let migrator = project.migrator()?;
    if accept {
        output::database(out, migrator.config())?;
        let accepted = migrator.accept_changes().await?;
        output::accepted(out, &accepted)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mismatches = migrator.verify().await?;
    output::verified(out, &mismatches)?;
    Ok(if mismatches.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_DRIFT) })
}
