//! One function per verb. Each gathers data through the library API and hands it to
//! `cli::output` for formatting.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use crate::Error;
use crate::cli::output;
use crate::cli::{CliError, EXIT_DRIFT, Environment};
use crate::config::{CONFIG_FILE, Config, LoadOptions, ModelsConfig, REFERENCE_CONFIG};
use crate::dialect::Backend;
use crate::diff::{RenameKind, Warning};
use crate::models::Metadata;
use crate::runtime::{Comparison, Inspection, Migrator, StepReport};
use crate::script::{NewRevision, Revision, RevisionGraph, RevisionId, RevisionNotes, ScriptDirectory, ScriptError};

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

/// The revisions: the files in the script location, or the ones the embedding program
/// compiled in when that location has no `versions/` folder.
fn load_graph(config: &Config, environment: &Environment) -> Result<RevisionGraph, Error> {
    let directory = ScriptDirectory::new(&config.script_location);
    match &environment.embedded {
        Some(graph) if !directory.versions_dir().is_dir() => Ok(graph.clone()),
        _ => Ok(directory.load()?),
    }
}

fn migrator(config: Config, environment: &Environment) -> Result<Migrator, Error> {
    let graph = load_graph(&config, environment)?;
    Ok(Migrator::with_graph(config, graph))
}

fn new_id(rev_id: Option<&str>, graph: &RevisionGraph) -> Result<RevisionId, Error> {
    let id = match rev_id {
        Some(text) => RevisionId::parse(text)?,
        None => RevisionId::generate(),
    };
    if graph.get(&id).is_some() {
        return Err(CliError::Invalid(format!("revision `{id}` already exists; pick another --rev-id")).into());
    }
    Ok(id)
}

/// The models: the embedding program's, else those `[models]` in aludel.toml names.
fn metadata(config: &Config, environment: &Environment) -> Result<Option<Metadata>, Error> {
    if let Some(metadata) = &environment.metadata {
        return Ok(Some(metadata.clone()));
    }
    if config.models == ModelsConfig::default() {
        return Ok(None);
    }
    let dialect = config.require_database_url()?.backend().dialect().name();
    let working_dir = config.config_file.as_deref().and_then(Path::parent).unwrap_or(&config.script_location);
    Ok(crate::models::load(&config.models, dialect, working_dir)?)
}

/// Whether there are models to compare with, without reading them.
fn has_models(config: &Config, environment: &Environment) -> bool {
    environment.metadata.is_some() || config.models != ModelsConfig::default()
}

/// The models, the revisions and the database, read at once: the models and the revision
/// files (their headers: comparing plans nothing) each on a thread while the database is
/// introspected. On a large schema each takes about as long as the others.
async fn inspect(config: &Config, environment: &Environment) -> Result<(Metadata, Migrator, Inspection), Error> {
    let (models_config, models_environment) = (config.clone(), environment.clone());
    let models = std::thread::spawn(move || -> Result<Metadata, Error> {
        metadata(&models_config, &models_environment)?.ok_or_else(|| CliError::NoModels.into())
    });
    let (graph_config, embedded) = (config.clone(), environment.embedded.clone());
    let graph = std::thread::spawn(move || -> Result<RevisionGraph, Error> {
        let directory = ScriptDirectory::new(&graph_config.script_location);
        match embedded {
            Some(graph) if !directory.versions_dir().is_dir() => Ok(graph),
            _ => Ok(directory.load_headers()?),
        }
    });
    let inspection = Inspection::read(config).await;
    let models = models.join().expect("reading the models does not panic");
    let graph = graph.join().expect("reading revision files does not panic");
    match (models.and_then(|m| graph.map(|g| (m, g))), inspection) {
        (Ok((metadata, graph)), Ok(inspection)) => {
            Ok((metadata, Migrator::with_graph(config.clone(), graph), inspection))
        }
        (Err(err), Ok(inspection)) => {
            inspection.close().await;
            Err(err)
        }
        (_, Err(err)) => Err(err),
    }
}

/// Asks, for each likely rename, whether it is one; adds the renames confirmed to `metadata`
/// and compares again.
fn confirm_renames(
    migrator: &Migrator,
    metadata: &mut Metadata,
    comparison: &mut Comparison,
    out: &mut (dyn Write + Send),
) -> Result<(), Error> {
    let mut input = std::io::stdin().lock();
    let mut asked = std::collections::BTreeSet::new();
    loop {
        let candidate = comparison.diff.warnings.iter().find_map(|warning| match warning {
            Warning::LikelyRename { kind, table, old, new, .. }
                if !asked.contains(&(table.clone(), old.clone(), new.clone())) =>
            {
                Some((*kind, table.clone(), old.clone(), new.clone()))
            }
            _ => None,
        });
        let Some((kind, table, old, new)) = candidate else { return Ok(()) };
        asked.insert((table.clone(), old.clone(), new.clone()));
        let question = match (&kind, &table) {
            (RenameKind::Column, Some(table)) => format!("Was column `{table}.{old}` renamed to `{new}`?"),
            _ => format!("Was table `{old}` renamed to `{new}`?"),
        };
        if !output::ask(out, &mut input, &question).map_err(|e| Error::Cli(CliError::Input(e)))? {
            continue;
        }
        *metadata = match (&kind, &table) {
            (RenameKind::Column, Some(table)) => metadata.clone().column_renamed_from(table, &new, &old)?,
            _ => metadata.clone().table_renamed_from(&new, &old)?,
        };
        // A table rename changes which columns pair up: compare again before asking more.
        comparison.diff = crate::diff::diff(&comparison.database, &comparison.models, &migrator.diff_options(metadata))
            .respelled(&metadata.schema, &comparison.models);
    }
}

pub(super) async fn revision(
    config: Config,
    args: &RevisionArgs,
    environment: &Environment,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let directory = ScriptDirectory::new(&config.script_location);
    if !directory.versions_dir().is_dir() {
        // The new file goes there: an embedded copy of the revisions will not do.
        directory.load()?;
    }
    let mut notes = RevisionNotes::default();
    let (mut upgrade, mut downgrade) = (Vec::new(), Vec::new());
    let graph = if args.autogenerate {
        let (mut metadata, migrator, inspection) = inspect(&config, environment).await?;
        let mut comparison = migrator.compare_inspected(inspection, &metadata).await?;
        if args.interactive {
            confirm_renames(&migrator, &mut metadata, &mut comparison, out)?;
        }
        let Comparison { diff, database, models, .. } = comparison;
        drop_later((database, models, metadata));
        output::detected(out, &diff)?;
        if diff.is_empty() {
            output::no_changes(out)?;
            return Ok(ExitCode::SUCCESS);
        }
        notes.header = diff.warnings.iter().map(|w| format!("warning: {w}")).collect();
        for destructive in &diff.destructive {
            notes
                .upgrade
                .entry(destructive.op_index)
                .or_default()
                .push(format!("DESTRUCTIVE: {}; review before running", destructive.reason));
        }
        upgrade = diff.upgrade;
        downgrade = diff.downgrade;
        migrator.into_graph()
    } else {
        directory.load()?
    };
    let down_revisions = match args.head.as_str() {
        "base" => Vec::new(),
        "head" if graph.is_empty() => Vec::new(),
        target => {
            let parent = graph.resolve(target)?;
            if !args.splice && !graph.heads().contains(&&parent) {
                return Err(CliError::Invalid(format!(
                    "revision `{parent}` is not a head; pass --splice to start a branch from it"
                ))
                .into());
            }
            vec![parent]
        }
    };
    let depends_on = args.depends_on.iter().map(|d| graph.resolve(d)).collect::<Result<Vec<_>, _>>()?;
    let revision = NewRevision {
        id: new_id(args.rev_id.as_deref(), &graph)?,
        down_revisions,
        message: args.message.clone().unwrap_or_default(),
        created: now_rfc3339(),
        branch_labels: args.branch_label.clone(),
        depends_on,
        transactional: true,
        upgrade,
        downgrade,
        notes,
    };
    let path = directory.write(&revision)?;
    output::generated(out, &path)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn merge(config: &Config, args: &MergeArgs, out: &mut (dyn Write + Send)) -> Result<ExitCode, Error> {
    let directory = ScriptDirectory::new(&config.script_location);
    let graph = directory.load()?;
    let mut parents: Vec<RevisionId> = Vec::new();
    for target in &args.revisions {
        let resolved = match target.as_str() {
            "heads" => graph.heads().into_iter().cloned().collect(),
            other => vec![graph.resolve(other)?],
        };
        for id in resolved {
            if !parents.contains(&id) {
                parents.push(id);
            }
        }
    }
    if parents.len() < 2 {
        return Err(CliError::Invalid(format!(
            "nothing to merge: {} names {} revision(s); name two or more heads",
            args.revisions.join(" "),
            parents.len()
        ))
        .into());
    }
    let revision = NewRevision {
        id: new_id(args.rev_id.as_deref(), &graph)?,
        message: args.message.clone().unwrap_or_else(|| {
            format!("merge {}", parents.iter().map(RevisionId::as_str).collect::<Vec<_>>().join(", "))
        }),
        down_revisions: parents,
        created: now_rfc3339(),
        branch_labels: args.branch_label.clone(),
        depends_on: Vec::new(),
        transactional: true,
        upgrade: Vec::new(),
        downgrade: Vec::new(),
        notes: Default::default(),
    };
    let path = directory.write(&revision)?;
    output::generated(out, &path)?;
    Ok(ExitCode::SUCCESS)
}

/// Splits `FROM:TO` for `--sql`; `None` without a colon.
fn split_range(target: &str) -> Option<(&str, &str)> {
    target.split_once(':')
}

fn offline_start(graph: &RevisionGraph, from: &str) -> Result<Vec<RevisionId>, Error> {
    match from {
        "" | "base" => Ok(Vec::new()),
        "heads" => Ok(graph.heads().into_iter().cloned().collect()),
        other => Ok(vec![graph.resolve(other)?]),
    }
}

fn offline_backend(config: &Config) -> Result<Backend, Error> {
    Ok(config.require_database_url()?.backend())
}

pub(super) async fn upgrade(
    config: Config,
    target: &str,
    sql: bool,
    environment: &Environment,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let migrator = migrator(config, environment)?;
    if sql {
        let (from, to) = split_range(target).unwrap_or(("base", target));
        let start = offline_start(migrator.graph(), from)?;
        let script = migrator.upgrade_sql(offline_backend(migrator.config())?, &start, to)?;
        out.write_all(script.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut progress = output::Progress::new(out);
    let report = migrator.upgrade_observed(target, &mut |step: &StepReport| progress.step(step)).await;
    progress.finish(report.as_ref().ok().map(|r| r.heads.as_slice()))?;
    report?;
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn downgrade(
    config: Config,
    target: &str,
    sql: bool,
    environment: &Environment,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let migrator = migrator(config, environment)?;
    if sql {
        let (from, to) =
            split_range(target).ok_or(crate::runtime::RuntimeError::OfflineNeedsRange { verb: "downgrade" })?;
        let start = offline_start(migrator.graph(), from)?;
        let script = migrator.downgrade_sql(offline_backend(migrator.config())?, &start, to)?;
        out.write_all(script.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut progress = output::Progress::new(out);
    let report = migrator.downgrade_observed(target, &mut |step: &StepReport| progress.step(step)).await;
    progress.finish(report.as_ref().ok().map(|r| r.heads.as_slice()))?;
    report?;
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn current(
    config: Config,
    verbose: bool,
    environment: &Environment,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    // Reading the revision files and asking the database overlap: on a long chain each
    // costs about as much as the other.
    let (loading_config, loading_environment) = (config.clone(), environment.clone());
    let loading = std::thread::spawn(move || load_graph(&loading_config, &loading_environment));
    let heads = crate::runtime::current_heads(&config).await;
    let graph = loading.join().expect("loading revision files does not panic")?;
    let heads = heads?;
    let history =
        if verbose { Migrator::with_graph(config, graph.clone()).recorded_history().await? } else { Vec::new() };
    output::current(out, &graph, &heads, verbose.then_some(history.as_slice()))?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn history(
    config: &Config,
    range: Option<&str>,
    verbose: bool,
    environment: &Environment,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let graph = load_graph(config, environment)?;
    let revisions = graph.history(range)?;
    output::revisions(out, &graph, &revisions, verbose)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn heads(
    config: &Config,
    verbose: bool,
    environment: &Environment,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let graph = load_graph(config, environment)?;
    let heads: Vec<_> = graph.heads().into_iter().filter_map(|id| graph.get(id)).collect();
    output::revisions(out, &graph, &heads, verbose)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn branches(
    config: &Config,
    verbose: bool,
    environment: &Environment,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let graph = load_graph(config, environment)?;
    output::branches(out, &graph, verbose)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn show(
    config: &Config,
    target: &str,
    environment: &Environment,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let graph = load_graph(config, environment)?;
    let id = graph.resolve(target)?;
    let revision = graph.get(&id).expect("resolve returns revisions of the graph");
    output::show(out, &graph, revision)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn stamp(
    config: Config,
    target: &str,
    purge: bool,
    sql: bool,
    environment: &Environment,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let migrator = migrator(config, environment)?;
    if sql {
        let (from, to) = split_range(target).unwrap_or(("base", target));
        let start = offline_start(migrator.graph(), from)?;
        let script = migrator.stamp_sql(offline_backend(migrator.config())?, &start, to, purge)?;
        out.write_all(script.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    let report = migrator.stamp(target, purge).await?;
    output::stamped(out, &report.heads)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn resolve(
    config: Config,
    revision: &str,
    resolution: crate::runtime::Resolution,
    environment: &Environment,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let migrator = migrator(config, environment)?;
    let report = migrator.resolve(revision, resolution).await?;
    output::resolved(out, revision, resolution, &report.heads)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn check(
    config: Config,
    environment: &Environment,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let pending_of = |migrator: &Migrator, current: &[RevisionId]| -> Result<Vec<Revision>, Error> {
        let plan = migrator.graph().plan_upgrade(current, "heads")?;
        Ok(plan.steps.iter().filter_map(|s| migrator.graph().get(&s.revision)).cloned().collect())
    };
    if !has_models(&config, environment) {
        let migrator = migrator(config, environment)?;
        let current = migrator.current().await?;
        let pending = pending_of(&migrator, &current)?;
        output::check(out, &current, &pending)?;
        if !pending.is_empty() {
            return Ok(ExitCode::from(EXIT_DRIFT));
        }
        output::no_models(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let (metadata, migrator, inspection) = inspect(&config, environment).await?;
    let pending = match pending_of(&migrator, &inspection.heads) {
        Ok(pending) => pending,
        Err(err) => {
            inspection.close().await;
            return Err(err);
        }
    };
    output::check(out, &inspection.heads, &pending)?;
    if !pending.is_empty() {
        inspection.close().await;
        return Ok(ExitCode::from(EXIT_DRIFT));
    }
    let comparison = migrator.compare_inspected(inspection, &metadata).await?;
    output::model_check(out, &comparison.diff)?;
    let code = if comparison.diff.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_DRIFT) };
    drop_later((comparison, metadata, migrator));
    Ok(code)
}

/// Frees `value` on a thread of its own: on a large schema, freeing the models, the database's
/// schema and the revisions costs a noticeable part of a run, and the command's answer does
/// not wait for it (a process that exits meanwhile lets the system reclaim the memory).
fn drop_later<T: Send + 'static>(value: T) {
    std::thread::spawn(move || drop(value));
}

pub(super) async fn diff(
    config: Config,
    environment: &Environment,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    if !has_models(&config, environment) {
        return Err(CliError::NoModels.into());
    }
    let (metadata, migrator, inspection) = inspect(&config, environment).await?;
    let comparison = migrator.compare_inspected(inspection, &metadata).await?;
    let dialect = migrator.config().require_database_url()?.backend().dialect_with(&migrator.config().dialect);
    let sql = comparison.upgrade_sql(dialect)?;
    output::diff_sql(out, &comparison.diff, &sql)?;
    drop_later((comparison, metadata, migrator));
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn verify(
    config: Config,
    accept: bool,
    environment: &Environment,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let migrator = migrator(config, environment)?;
    if accept {
        let accepted = migrator.accept_changes().await?;
        output::accepted(out, &accepted)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mismatches = migrator.verify().await?;
    output::verified(out, &mismatches)?;
    Ok(if mismatches.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_DRIFT) })
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    format_utc(secs)
}

/// Formats seconds since the Unix epoch as an RFC 3339 UTC timestamp.
fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_timestamps() {
        for (secs, expected) in [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_795_341_600, "2026-11-22T10:00:00Z"),
        ] {
            assert_eq!(format_utc(secs), expected);
        }
    }
}
