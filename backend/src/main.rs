//! Start-up only: configuration → logging → database (migrations) → serve, with graceful shutdown.

use std::process::ExitCode;

use todo_auth::{app, config, http::server, prepare};
use tracing_subscriber::EnvFilter;

/// mimalloc instead of glibc's malloc: a request allocates and frees hundreds of small objects (rows,
/// strings, JSON), and glibc's allocator was 30% of the instructions of `GET /api/tasks` (BENCHMARKS.md).
/// Its `override` feature makes the C code (SQLite copies every value sqlx reads) use it too; `no_thp`
/// keeps it from asking for transparent huge pages, which more than doubled resident memory (47 MiB
/// instead of 21 MiB after the benchmark's load) for no measurable speed.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc v3's `mi_option_purge_delay` (its include/mimalloc.h). The Rust binding leaves option numbers
/// out "for stability"; Cargo.lock pins the version this one belongs to, and a test below checks it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Memory freed is handed back to the OS at once rather than after mimalloc's default delay of one second,
/// so resident memory after a burst stays at what glibc's allocator left (about 2 MiB less after the
/// benchmark's load, at no measurable cost in speed). `MIMALLOC_PURGE_DELAY` in the environment still wins.
fn release_freed_memory_promptly() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one integer option; called before any other thread exists.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
}

fn main() -> ExitCode {
    release_freed_memory_promptly();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{}", config::help_text());
        return ExitCode::SUCCESS;
    }
    if args.iter().any(|a| a == "--openapi") {
        // The document /openapi.json serves, without a database: what the frontend's types are generated from.
        match todo_auth::http::routes::document().to_pretty_json() {
            Ok(json) => println!("{json}"),
            Err(e) => {
                eprintln!("cannot write the OpenAPI document: {e}");
                return ExitCode::FAILURE;
            }
        }
        return ExitCode::SUCCESS;
    }
    if let Some(arg) = args.first() {
        eprintln!("unknown argument {arg:?}; try --help");
        return ExitCode::from(2);
    }
    let vars = config::environment();
    let filter = vars.get("RUST_LOG").map(String::as_str).unwrap_or("info");
    let filter = match EnvFilter::try_new(filter) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("configuration error: invalid RUST_LOG={filter:?}: {e}");
            return ExitCode::from(2);
        }
    };
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_ansi(ansi).init();
    let settings = match config::Settings::from_vars(&vars) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(settings: config::Settings) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let database = match &settings.database {
        config::DatabaseUrl::Sqlite(path) => format!("SQLite at {}", path.display()),
        config::DatabaseUrl::Postgres(_) => "PostgreSQL".to_string(),
    };
    if settings.jwt_secret_source != "JWT_SECRET" {
        tracing::warn!(
            "JWT_SECRET is not set: signing tokens with a random secret made for local use, kept in {}. \
             Set JWT_SECRET (openssl rand -hex 32) for any shared or production deployment.",
            settings.jwt_secret_source
        );
    }
    let limits = server::Limits::from(&settings);
    let addr = (settings.host, settings.port);
    let state = prepare(settings).await.map_err(|e| format!("database ({database}): {e}"))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {}:{}: {e}", addr.0, addr.1))?;
    let local = listener.local_addr()?;
    if let Some(metrics_addr) = state.settings.metrics_addr {
        let handle = todo_auth::http::metrics::recorder();
        let listener = tokio::net::TcpListener::bind(metrics_addr)
            .await
            .map_err(|e| format!("cannot listen on METRICS_ADDR {metrics_addr}: {e}"))?;
        tracing::info!("metrics on http://{}/metrics", listener.local_addr()?);
        let router = todo_auth::http::metrics::router(state.clone(), handle);
        tokio::spawn(server::serve(listener, router, limits, std::future::pending()));
    }
    tracing::info!("listening on http://{local} ({database}); docs at http://{local}/docs");
    match &state.cipher {
        Some(cipher) => {
            tracing::info!(key_id = cipher.key_id(), "two-factor secrets encrypted with DATA_ENCRYPTION_KEY")
        }
        None => tracing::warn!(
            "DATA_ENCRYPTION_KEY is not set: two-factor set-up is off (it answers 503), and users who already have \
             two-factor sign in with a recovery code. Set DATA_ENCRYPTION_KEY (openssl rand -hex 32) to turn it on."
        ),
    }
    state.spawn_maintenance();
    state.mail_worker()?.spawn();
    server::serve(listener, app(state.clone()), limits, shutdown_signal()).await;
    // Work the last requests started (a reset link being stored) ends before the pool closes.
    state.background.close();
    state.background.wait().await;
    state.db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_purge_delay_option_number_is_mimallocs() {
        // Its documented default (1000 ms in v3): another option behind this number would read differently.
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) }, 1000);
    }
}
