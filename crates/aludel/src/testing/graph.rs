//! The checks on the files: they parse, the graph is valid, the heads are as expected; and,
//! when the configured database is reachable, the revisions it applied keep their checksums.

use std::time::Instant;

use crate::runtime::Migrator;
use crate::script::RevisionGraph;
use crate::testing::stairway::chain;
use crate::testing::{Check, CheckResult, HistoryTest, Outcome, Report, TestEvent, TestObserver};

/// Loads the revisions and checks the graph's heads; `None` when the files or the graph are
/// invalid (reported as a failure: nothing else can run).
pub(super) fn check_files(
    test: &HistoryTest,
    report: &mut Report,
    observer: TestObserver<'_>,
) -> Option<RevisionGraph> {
    let started = Instant::now();
    let mut push = |result: CheckResult| {
        let result = result.took(started.elapsed());
        observer(TestEvent::Result(&result));
        report.results.push(result);
    };
    let graph = match test.project.revisions() {
        Ok(graph) => graph,
        Err(err) => {
            push(CheckResult::new(Check::Graph, None, "the revision files", Outcome::Failed(chain(&err))));
            return None;
        }
    };
    if !test.runs(Check::Graph) {
        return Some(graph);
    }
    push(CheckResult::new(
        Check::Graph,
        None,
        format!("{} revision file(s) parse into a valid graph", graph.len()),
        Outcome::Passed,
    ));
    let heads: Vec<String> = graph.heads().into_iter().map(ToString::to_string).collect();
    let expected = test.expected_heads;
    let subject = if expected == 1 { "a single head".to_owned() } else { format!("{expected} heads") };
    let outcome = if heads.len() == expected {
        Outcome::Passed
    } else if heads.len() > expected {
        Outcome::Failed(format!(
            "{} heads where {expected} {} expected: {}; join them with `aludel merge heads`, or pass --heads {} when \
             the branches are meant to stay apart",
            heads.len(),
            if expected == 1 { "is" } else { "are" },
            heads.join(", "),
            heads.len()
        ))
    } else {
        Outcome::Failed(format!("{} head(s) where {expected} are expected: {}", heads.len(), heads.join(", ")))
    };
    push(CheckResult::new(Check::Graph, None, subject, outcome));
    Some(graph)
}

/// Compares the checksums the configured database recorded with the files; skipped when
/// there is no configured database or it cannot be reached.
pub(super) async fn check_checksums(test: &HistoryTest, graph: &RevisionGraph) -> CheckResult {
    let subject = "applied revisions are unchanged (checksums of the configured database)";
    let started = Instant::now();
    let Some(url) = &test.project.config.database_url else {
        return CheckResult::new(Check::Checksums, None, subject, Outcome::Skipped("no database is configured".into()));
    };
    let migrator = Migrator::with_graph(test.project.config.clone(), graph.clone());
    let outcome = match migrator.verify().await {
        Ok(mismatches) if mismatches.is_empty() => Outcome::Passed,
        Ok(mismatches) => Outcome::Failed(format!(
            "{} applied revision file(s) changed since {url} ran them: {}; restore them, or record the edits with \
             `aludel verify --accept`",
            mismatches.len(),
            mismatches.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
        )),
        Err(err) => Outcome::Skipped(format!("{url} could not be read: {}", chain(&err))),
    };
    CheckResult::new(Check::Checksums, None, subject, outcome).took(started.elapsed())
}
