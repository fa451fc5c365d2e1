//! Test support for the `aludel` binary: a project folder with revision files, a database
//! of its own ([`TestDb`], from `aludel-test-support`), and a way to run the binary in it.

#![allow(dead_code, unreachable_pub)] // Each test binary uses a different part of this module.

use std::path::{Path, PathBuf};
use std::process::Output;

pub use aludel::dialect::Backend;
pub use aludel_test_support::TestDb;

/// Every backend the binary is tested on.
pub fn backends() -> Vec<Backend> {
    Backend::ALL.to_vec()
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with both streams unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(self.code, code, "exit code\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    /// Panics unless the run succeeded.
    #[track_caller]
    pub fn ok(self) -> Run {
        self.expect_code(0)
    }
}

/// A migrations project on its own database.
pub struct Project {
    pub dir: tempfile::TempDir,
    pub db: TestDb,
}

impl Project {
    /// An empty project (aludel.toml + migrations/versions) on a new database.
    pub async fn new(backend: Backend) -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = TestDb::new(backend).await;
        let project = Project { dir, db };
        project.run(&["init", "migrations"]).await.ok();
        project
    }

    pub fn versions(&self) -> PathBuf {
        self.dir.path().join("migrations/versions")
    }

    /// Writes `versions/<name>.toml`.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.versions().join(format!("{name}.toml"));
        std::fs::write(&path, text).expect("write revision");
        path
    }

    /// Runs `aludel ARGS` in the project with DATABASE_URL set to its database.
    pub async fn run(&self, args: &[&str]) -> Run {
        self.run_with_url(&self.db.url, args).await
    }

    /// Runs `aludel ARGS` with another database URL.
    pub async fn run_with_url(&self, url: &str, args: &[&str]) -> Run {
        Run::from(command(self.dir.path(), url, args).output().await.expect("run aludel"))
    }

    /// Runs `aludel ARGS` in the project with `vars` added to its environment.
    pub async fn run_env(&self, vars: &[(&str, &str)], args: &[&str]) -> Run {
        let mut command = command(self.dir.path(), &self.db.url, args);
        command.envs(vars.iter().copied());
        Run::from(command.output().await.expect("run aludel"))
    }

    /// Runs `aludel ARGS` on a pseudo-terminal (util-linux `script`), with `vars` added to its
    /// environment. Standard output and error both go to the terminal: `stdout` holds them
    /// in the order they came, with the terminal's `\r\n` line ends.
    pub async fn run_on_terminal(&self, vars: &[(&str, &str)], args: &[&str]) -> Run {
        let quote = |word: &str| format!("'{}'", word.replace('\'', r"'\''"));
        let line: Vec<String> =
            std::iter::once(env!("CARGO_BIN_EXE_aludel")).chain(args.iter().copied()).map(quote).collect();
        let mut command = tokio::process::Command::new("script");
        command
            .args(["--quiet", "--return", "--command", &line.join(" "), "/dev/null"])
            .current_dir(self.dir.path())
            .env("DATABASE_URL", &self.db.url)
            .env("TERM", "xterm-256color")
            .env_remove("ALUDEL_CONFIG")
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .envs(vars.iter().copied())
            .stdin(std::process::Stdio::null());
        Run::from(command.output().await.expect("util-linux `script` runs (apt-get install bsdutils)"))
    }

    /// The version table's rows.
    pub async fn heads(&self) -> Vec<String> {
        self.db
            .query("SELECT version_num FROM aludel_version ORDER BY version_num")
            .await
            .into_iter()
            .map(|row| row[0].clone().expect("version_num is not null"))
            .collect()
    }

    /// (revision, direction) of every history row, oldest first.
    pub async fn history(&self) -> Vec<(String, String)> {
        self.db
            .query("SELECT revision, direction FROM aludel_history ORDER BY id")
            .await
            .into_iter()
            .map(|row| (row[0].clone().unwrap_or_default(), row[1].clone().unwrap_or_default()))
            .collect()
    }

    /// Tables in the database other than aludel's own, sorted.
    pub async fn tables(&self) -> Vec<String> {
        let sql = match self.db.backend {
            Backend::Postgres => {
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
            }
            Backend::MySql => {
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1"
            }
            _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1",
        };
        self.db
            .query(sql)
            .await
            .into_iter()
            .filter_map(|row| row[0].clone())
            .filter(|t| !t.starts_with("aludel_"))
            .collect()
    }

    /// Columns of `table`, in order.
    pub async fn columns(&self, table: &str) -> Vec<String> {
        let sql = match self.db.backend {
            Backend::Postgres => format!(
                "SELECT column_name::text FROM information_schema.columns WHERE table_name = '{table}' ORDER BY ordinal_position"
            ),
            Backend::MySql => format!(
                "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
                 AND TABLE_NAME = '{table}' ORDER BY ORDINAL_POSITION"
            ),
            _ => format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"),
        };
        self.db.query(&sql).await.into_iter().filter_map(|row| row[0].clone()).collect()
    }
}

/// The `aludel` command, in `dir`, with `url` as DATABASE_URL and no inherited config.
pub fn command(dir: &Path, url: &str, args: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_aludel"));
    // Color is the terminal's and the environment's choice: none of either reaches a test
    // unless it asks.
    command
        .current_dir(dir)
        .env("DATABASE_URL", url)
        .env_remove("ALUDEL_CONFIG")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .args(args);
    command
}

/// A project whose aludel.toml reads its models from `schema.sql`, holding `sql`.
pub async fn with_schema_sql(backend: Backend, sql: &str) -> Project {
    let project = Project::new(backend).await;
    let config = project.dir.path().join("aludel.toml");
    let text = std::fs::read_to_string(&config).expect("aludel.toml").replace(
        "# schema_sql = \"schema.sql\"                              # a desired-state schema, or",
        "schema_sql = \"schema.sql\"",
    );
    std::fs::write(&config, text).expect("write aludel.toml");
    std::fs::write(project.dir.path().join("schema.sql"), sql).expect("write schema.sql");
    project
}

/// A revision file's text: `ops` are TOML tables for [[upgrade]] and [[downgrade]].
pub fn revision(id: &str, down: &[&str], upgrade: &str, downgrade: &str) -> String {
    let down = match down {
        [] => String::new(),
        [one] => format!("down_revision = \"{one}\"\n"),
        many => {
            format!("down_revision = [{}]\n", many.iter().map(|d| format!("\"{d}\"")).collect::<Vec<_>>().join(", "))
        }
    };
    format!("revision = \"{id}\"\n{down}message = \"revision {id}\"\n\n{upgrade}\n{downgrade}\n")
}

/// `[[upgrade]]` + `[[downgrade]]` for creating and dropping a one-column table.
pub fn table_ops(table: &str) -> (String, String) {
    (
        format!(
            "[[upgrade]]\nop = \"create_table\"\ntable = \"{table}\"\ncolumns = [{{ name = \"id\", type = \"integer\", nullable = false }}]\nprimary_key = [\"id\"]\n"
        ),
        format!("[[downgrade]]\nop = \"drop_table\"\ntable = \"{table}\"\n"),
    )
}

/// Writes a revision `id` (parents `down`) that creates table `t_<id>`.
pub fn write_table_revision(project: &Project, id: &str, down: &[&str]) -> PathBuf {
    let (up, down_ops) = table_ops(&format!("t_{id}"));
    project.write(&format!("{id}_create_t_{id}"), &revision(id, down, &up, &down_ops))
}
