//! Test support of aludel's own integration tests: [`TestDb`] (a uniquely named database per
//! test, from `aludel-test-support`), the backends and cases a run covers ([`backends`],
//! [`cases`]), a session that counts its queries ([`counting`]), random schemas
//! ([`random`]) and a database's schema as its own dump tool prints it ([`dump`]).

#![allow(dead_code, unreachable_pub, unused_imports)] // Each test binary uses a different part of this module.

pub mod counting;
pub mod dump;
pub mod random;

use std::path::{Path, PathBuf};
use std::sync::Once;

use aludel::dialect::Backend;
pub use aludel_test_support::TestDb;

/// A comma-separated list from the environment variable `var`; `None` when it is unset or
/// empty.
fn only(var: &str) -> Option<Vec<String>> {
    std::env::var(var)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect())
}

/// The backends a run covers: every one, or those `ALUDEL_TEST_DIALECT` names
/// (comma-separated dialect names), saying so when it leaves some out.
pub fn backends() -> Vec<Backend> {
    let Some(only) = only("ALUDEL_TEST_DIALECT") else { return Backend::ALL.to_vec() };
    let backends: Vec<Backend> =
        Backend::ALL.iter().copied().filter(|b| only.iter().any(|o| o == b.dialect().name())).collect();
    assert!(!backends.is_empty(), "no backend matches ALUDEL_TEST_DIALECT={}", only.join(","));
    static SAID: Once = Once::new();
    SAID.call_once(|| {
        eprintln!("ALUDEL_TEST_DIALECT: running on {} of {} backends", backends.len(), Backend::ALL.len())
    });
    backends
}

/// A case of a corpus: a file or a folder under `tests/<corpus>/`.
pub struct Case {
    /// The file's stem or the folder's name: the prefix of the case's snapshots.
    pub name: String,
    /// The file or folder.
    pub path: PathBuf,
}

/// The cases of the corpus `tests/<corpus>/`, sorted by name: its `.toml` files, or its
/// folders when `folders` is set. `ALUDEL_TEST_CASE` (comma-separated substrings) narrows the
/// run, saying so.
pub fn cases(corpus: &str, folders: bool) -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join(corpus);
    let mut all: Vec<Case> = std::fs::read_dir(&root)
        .unwrap_or_else(|err| panic!("{}: {err}", root.display()))
        .map(|entry| entry.expect("a readable folder entry").path())
        .filter(|path| if folders { path.is_dir() } else { path.extension().is_some_and(|e| e == "toml") })
        .map(|path| {
            let name = if folders { path.file_name() } else { path.file_stem() };
            let name = name.and_then(|n| n.to_str()).expect("a UTF-8 case name").to_owned();
            Case { name, path }
        })
        .collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(!all.is_empty(), "{} holds no case", root.display());
    let Some(only) = only("ALUDEL_TEST_CASE") else { return all };
    let total = all.len();
    let cases: Vec<Case> = all.into_iter().filter(|case| only.iter().any(|o| case.name.contains(o.as_str()))).collect();
    assert!(!cases.is_empty(), "no case of tests/{corpus} matches ALUDEL_TEST_CASE={}", only.join(","));
    eprintln!("ALUDEL_TEST_CASE: running {} of the {total} cases of tests/{corpus}", cases.len());
    cases
}
