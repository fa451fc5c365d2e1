//! The blog's migration history proven by `aludel test` on every backend it serves, from
//! `cargo test` through `aludel::testing` (each revision up, down and up again, the
//! downgrade leaving its parent's schema; the entities matching the database at head; the
//! `--sql` script equal to the online run), and through `blog db test`.

mod common;

use aludel::config::Config;
use aludel::runtime::Project;
use aludel::testing::{Check, HistoryTest, Outcome};
use common::Backend;

async fn the_history_passes_aludel_test(backend: Backend) {
    let db = common::database(backend).await;
    let config = Config::for_url(&db.url).expect("a database URL");
    let project = Project::new(config)
        .with_models(blog::db::models().expect("the entities"))
        .with_embedded(blog::db::migrations().expect("the revisions"));
    let report = HistoryTest::new(project).run(&mut |_| {}).await.expect("the test runs");
    assert!(report.passed(), "{backend:?}:\n{}", report.failures_text());
    let revisions = blog::db::migrations().expect("the revisions").len();
    let stairs = report.results.iter().filter(|r| r.check == Check::Stairway && r.outcome == Outcome::Passed);
    assert_eq!(stairs.count(), revisions, "{backend:?}: every revision went up, down and up again");
    for check in [Check::Models, Check::Offline] {
        let result = report.results.iter().find(|r| r.check == check).expect("the check ran");
        assert_eq!(result.outcome, Outcome::Passed, "{backend:?}: {check}");
    }
}

async fn blog_db_test_runs_the_same_checks(backend: Backend) {
    let db = common::database(backend).await;
    let dir = tempfile::tempdir().expect("a folder");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_blog"))
        .current_dir(dir.path())
        .env("DATABASE_URL", &db.url)
        .env_remove("NO_COLOR")
        .args(["db", "test", "--skip", "offline"])
        .output()
        .expect("blog runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("ok   models    the models match the database at head"), "{stdout}");
    assert!(stdout.contains(" 0 failed, 0 skipped"), "{stdout}");
}

on_every_backend!(the_history_passes_aludel_test, blog_db_test_runs_the_same_checks);
