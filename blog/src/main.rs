//! The `blog` command: `blog` (or `blog serve`) serves the API (and runs its upkeep, see
//! `blog::maintenance`); `blog db ...` is the aludel CLI with the service's models and
//! migrations.

use std::ffi::OsString;
use std::process::ExitCode;

use blog::config::{Settings, Vars};

/// mimalloc instead of the system's allocator: a request allocates and frees many small
/// buffers across threads, where glibc's malloc cost the service about a quarter of its
/// requests per second (bench/blog_load.rs, one post: 8,974 against 11,575).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: blog [serve]        serve the API (settings from the environment and .env)
       blog db <command>    manage the schema: revision --autogenerate -m MSG, upgrade head, check, ...";

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => return fail_with(&format!("could not start the async runtime: {error}")),
    };
    match args.get(1).and_then(|a| a.to_str()) {
        None | Some("serve") if args.len() <= 2 => runtime.block_on(serve()),
        Some("db") => runtime.block_on(db(&args[1..])),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => fail_with(&format!("unexpected arguments\n{USAGE}")),
    }
}

/// Prints `error` with its causes, one per line (`error:` in red on a terminal), and returns
/// the error exit code.
fn fail(error: &(dyn std::error::Error + 'static)) -> ExitCode {
    eprintln!("{}", aludel::cli::error_report(error, aludel::cli::Console::detect_stderr()));
    ExitCode::from(aludel::cli::EXIT_ERROR)
}

fn fail_with(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(aludel::cli::EXIT_ERROR)
}

/// `blog db ...`: the aludel CLI, with `args[0]` (`db`) as the program name.
async fn db(args: &[OsString]) -> ExitCode {
    let vars = match Vars::from_env() {
        Ok(vars) => vars,
        Err(error) => return fail(&error),
    };
    let metadata = match blog::db::models() {
        Ok(metadata) => metadata,
        Err(error) => return fail(&error),
    };
    let graph = match blog::db::migrations() {
        Ok(graph) => graph,
        Err(error) => return fail(&error),
    };
    let config_file = std::path::Path::new(blog::db::MIGRATIONS_DIR).join("aludel.toml");
    let environment = aludel::cli::Environment {
        metadata: Some(metadata),
        program_name: Some("blog db".to_owned()),
        // In the source tree, new revisions go next to the others; a deployed binary has no
        // such folder and uses the revisions compiled into it.
        config_file: config_file.is_file().then_some(config_file),
        database_url: Some(vars.get("DATABASE_URL").unwrap_or(blog::config::DEFAULT_DATABASE_URL).to_owned()),
        embedded: Some(graph),
        console: aludel::cli::Console::detect_stdout(),
    };
    let mut out = std::io::stdout();
    match aludel::cli::run_async(args.iter().cloned(), &environment, &mut out).await {
        Ok(code) => code,
        Err(error) => {
            // Advice names `blog db ...`, as the user runs it.
            let report = aludel::cli::error_report(&error, aludel::cli::Console::detect_stderr());
            eprintln!("{}", aludel::cli::in_program_words(&report, environment.program_name.as_deref()));
            ExitCode::from(aludel::cli::EXIT_ERROR)
        }
    }
}

async fn serve() -> ExitCode {
    let settings = match Vars::from_env().and_then(|vars| Settings::from_vars(&vars)) {
        Ok(settings) => settings,
        Err(error) => return fail(&error),
    };
    if let Err(error) = blog::logging::init(&settings) {
        return fail_with(&error);
    }
    match run(settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = aludel::error::report(error.as_ref()), "the service stopped");
            fail(error.as_ref())
        }
    }
}

async fn run(settings: Settings) -> anyhow::Result<()> {
    if settings.auth.secret_was_generated {
        tracing::warn!(
            "JWT_SECRET is not set: using a random secret made up for this run (development only). Tokens stop \
             working when the service restarts. Set JWT_SECRET (e.g. `openssl rand -base64 48`); outside \
             development the service refuses to start without it"
        );
    }
    let url = settings.database_url.to_string();
    if settings.migrate_on_start {
        let report = blog::db::migrate(settings.database_url.expose(), blog::db::migrations()?).await?;
        for step in &report.steps {
            tracing::info!(revision = %step.revision, description = step.message, "migrated");
        }
        tracing::info!(database = url, heads = ?report.heads.iter().map(ToString::to_string).collect::<Vec<_>>(), "schema at head");
    }
    let address = settings.bind_address();
    let state = blog::AppState::new(settings).await?;
    let maintenance = blog::maintenance::spawn(state.clone(), state.settings.maintenance_interval);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| anyhow::anyhow!("could not listen on {address}: {e}"))?;
    // The port the system picked when PORT=0, not the 0 that was asked for.
    let address = listener.local_addr().unwrap_or(address);
    tracing::info!(database = url, "listening on http://{address} (API docs at http://{address}/docs)");
    let (limits, proxies) = (state.settings.connections, state.settings.trusted_proxies.clone());
    blog::server::serve(listener, blog::app(state), limits, proxies, shutdown_signal()).await;
    maintenance.abort();
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C; in-flight requests then finish before the process exits.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
