//! `aludel test`: its arguments, the run with its progress, and the text report. The JSON
//! document is in `json`, the JUnit XML in `testing::junit`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::Error;
use crate::cli::style::{Console, Paint, Style, shown, shown_lines, shown_str};
use crate::cli::{EXIT_DRIFT, Format, json};
use crate::runtime::Project;
use crate::testing::{Check, CheckResult, HistoryTest, Outcome, Report, TestError, TestEvent};
use crate::url::DatabaseUrl;

/// `aludel test`.
#[derive(Debug, Args)]
pub(super) struct TestArgs {
    /// A server to test on, repeatable (its database part is replaced by a throwaway
    /// `aludel_test_<random>` database; a SQLite URL means a temporary file) [default: the
    /// configured database's server]
    #[arg(long = "database", value_name = "URL")]
    databases: Vec<String>,
    /// Leave a check out (repeatable): graph, checksums, stairway, data, models, offline
    #[arg(long, value_name = "CHECK", value_parser = parse_check)]
    skip: Vec<Check>,
    /// How many heads the graph must have (branches meant to stay apart)
    #[arg(long, value_name = "N", default_value_t = 1)]
    heads: usize,
    /// The range whose --sql script must equal the online run
    #[arg(long, value_name = "FROM:TO", default_value = "base:heads")]
    sql_range: String,
    /// Also write the results as JUnit XML to FILE, for CI
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    #[command(flatten)]
    format: super::FormatArg,
}

fn parse_check(name: &str) -> Result<Check, String> {
    Check::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Check::ALL.iter().map(|c| c.name()).collect();
        format!("unknown check `{name}`; the checks are {}", names.join(", "))
    })
}

pub(super) async fn test(
    project: &Project,
    args: &TestArgs,
    console: Console,
    out: &mut (dyn Write + Send),
) -> Result<ExitCode, Error> {
    let mut test = HistoryTest::new(project.clone());
    for url in &args.databases {
        let url = DatabaseUrl::parse(url)
            .map_err(|error| crate::config::ConfigError::BadUrl { source_name: "--database".to_owned(), error })?;
        test = test.on(url);
    }
    test.skip = args.skip.iter().copied().collect();
    test.expected_heads = args.heads;
    test.offline_range = args.sql_range.clone();

    let style = console.style();
    let text = args.format.format == Format::Text;
    let mut written: std::io::Result<()> = Ok(());
    let mut at = (0, 0);
    let mut observer = |event: TestEvent<'_>| {
        if !text || written.is_err() {
            return;
        }
        written = progress(&mut *out, style, &mut at, event);
    };
    let run = test.run(&mut observer);
    let report = tokio::select! {
        report = run => report?,
        _ = super::interrupted() => return Err(TestError::Interrupted.into()),
    };
    written?;
    if let Some(path) = &args.junit {
        std::fs::write(path, crate::testing::junit::to_junit(&report))
            .map_err(|source| TestError::Junit { path: path.clone(), source })?;
    }
    match args.format.format {
        Format::Json => json::test(out, &report)?,
        Format::Text => summary(out, style, &report)?,
    }
    Ok(if report.passed() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_DRIFT) })
}

/// One line per finished check, with the stairway's place (`[3/10]`).
fn progress(out: &mut dyn Write, style: Style, at: &mut (usize, usize), event: TestEvent<'_>) -> std::io::Result<()> {
    match event {
        TestEvent::Backend { backend, server, database, total } => {
            writeln!(
                out,
                "Testing {total} revision(s) on {backend} ({}) in the throwaway database {}",
                shown(server),
                shown(database)
            )?;
        }
        TestEvent::Revision { number, total, .. } => *at = (number, total),
        TestEvent::Result(result) => {
            let place = match result.check {
                Check::Stairway | Check::Data => format!("[{}/{}] ", at.0, at.1),
                _ => String::new(),
            };
            writeln!(
                out,
                "{} {:<9} {place}{}{}",
                mark(style, &result.outcome),
                result.check.name(),
                shown(&result.subject),
                took(result)
            )?;
            match &result.outcome {
                Outcome::Failed(message) => {
                    writeln!(out, "    {}", style.paint(Paint::Error, &shown_lines(message).to_string()))?;
                }
                Outcome::Skipped(reason) => writeln!(out, "    skipped: {}", shown_lines(reason))?,
                Outcome::Passed => {}
            }
        }
    }
    out.flush()
}

fn mark(style: Style, outcome: &Outcome) -> String {
    match outcome {
        Outcome::Passed => style.paint(Paint::Add, "ok  ").into_owned(),
        Outcome::Failed(_) => style.paint(Paint::Error, "FAIL").into_owned(),
        Outcome::Skipped(_) => style.paint(Paint::Change, "skip").into_owned(),
    }
}

fn took(result: &CheckResult) -> String {
    if result.duration < Duration::from_millis(1) {
        String::new()
    } else {
        format!(" ({} ms)", result.duration.as_millis())
    }
}

fn summary(out: &mut dyn Write, style: Style, report: &Report) -> std::io::Result<()> {
    let count = |f: fn(&Outcome) -> bool| report.results.iter().filter(|r| f(&r.outcome)).count();
    let passed = count(|o| matches!(o, Outcome::Passed));
    let failed = count(|o| matches!(o, Outcome::Failed(_)));
    let skipped = count(|o| matches!(o, Outcome::Skipped(_)));
    if failed > 0 {
        writeln!(out, "\n{}:", style.paint(Paint::Error, "Failures"))?;
        for line in report.failures_text().lines() {
            writeln!(out, "  {}", shown_str(line))?;
        }
    }
    let verdict = if failed > 0 { style.paint(Paint::Error, "FAILED") } else { style.paint(Paint::Add, "ok") };
    writeln!(out, "\n{verdict}: {passed} passed, {failed} failed, {skipped} skipped")
}
