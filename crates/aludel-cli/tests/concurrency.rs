//! Many replicas starting at once: eight `aludel upgrade head` processes on one database
//! must all succeed and apply each revision exactly once; a run that finds the migration lock
//! held waits for it, up to the lock timeout.

mod common;

use std::collections::BTreeMap;

use common::{Project, backends, write_table_revision};

const REVISIONS: usize = 25;
const PROCESSES: usize = 8;

#[tokio::test(flavor = "multi_thread")]
async fn eight_concurrent_upgrades_apply_each_revision_once() {
    for backend in backends() {
        let project = Project::new(backend).await;
        let ids: Vec<String> = (0..REVISIONS).map(|i| format!("rev{i:04}")).collect();
        for (i, id) in ids.iter().enumerate() {
            let parents: Vec<&str> = if i == 0 { vec![] } else { vec![ids[i - 1].as_str()] };
            write_table_revision(&project, id, &parents);
        }

        let children: Vec<_> = (0..PROCESSES)
            .map(|_| common::command(project.dir.path(), &project.db.url, &["upgrade", "head"]).output())
            .collect();
        let mut outputs = Vec::new();
        for child in children {
            outputs.push(child.await.expect("run aludel"));
        }
        for output in &outputs {
            assert!(
                output.status.success(),
                "{backend:?}: {}\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }

        let mut applied: BTreeMap<String, usize> = BTreeMap::new();
        for (revision, direction) in project.history().await {
            assert_eq!(direction, "upgrade");
            *applied.entry(revision).or_default() += 1;
        }
        assert_eq!(applied.len(), REVISIONS, "{backend:?}: every revision applied");
        assert!(applied.values().all(|&n| n == 1), "{backend:?}: each exactly once: {applied:?}");
        assert_eq!(project.heads().await, [ids[REVISIONS - 1].clone()]);
        assert_eq!(project.tables().await.len(), REVISIONS);
        let lines: usize = outputs
            .iter()
            .map(|o| String::from_utf8_lossy(&o.stdout).lines().filter(|l| l.starts_with("Running upgrade")).count())
            .sum();
        assert_eq!(lines, REVISIONS, "{backend:?}: the processes together report each revision once");
    }
}

/// A run that finds the migration lock held waits for it, and gives up after the lock
/// timeout with an error that says so; once the lock is free, the run goes through.
#[tokio::test(flavor = "multi_thread")]
async fn a_held_migration_lock_makes_a_run_wait_then_give_up() {
    for backend in backends() {
        let project = Project::new(backend).await;
        write_table_revision(&project, "rev0000", &[]);
        let mut holder = backend.connect(&project.db.url, &Default::default()).await.expect("connect");
        holder.lock().await.expect("take the lock");
        let started = std::time::Instant::now();
        let run = project.run(&["-x", "lock_timeout=1", "upgrade", "head"]).await.expect_code(2);
        assert!(run.stderr.contains("could not take the migration lock"), "{backend:?}: {}", run.stderr);
        assert!(run.stderr.contains("`-x lock_timeout=SECONDS`"), "{backend:?}: the setting is named: {}", run.stderr);
        assert!(started.elapsed() >= std::time::Duration::from_millis(900), "{backend:?}: the run waited");
        assert!(project.tables().await.is_empty(), "{backend:?}: nothing ran");
        holder.unlock().await.expect("release the lock");
        holder.close().await.ok();
        project.run(&["upgrade", "head"]).await.ok();
        assert_eq!(project.heads().await, ["rev0000"]);
    }
}
