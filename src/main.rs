//! The `janrain-emulator` command: parse flags, bind, print the address, serve until a signal.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use janrain_emulator::clock::SystemClock;
use janrain_emulator::config::OwnerCredentials;
use janrain_emulator::internals::AppState;
use janrain_emulator::internals::healthcheck;
use janrain_emulator::internals::{Cli, Command, LogFormat, exposure_warnings};
use tokio::net::TcpListener;

// glibc's allocator serialises threads on its arena locks under this many small, short-lived
// allocations; jemalloc's per-thread caches do not, and it keeps the idle footprint small
// (see docs/benchmarks.md).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (cli, matches) = Cli::parse_with_sources();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "janrain_emulator=info,tower_http=info".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    if let Some(Command::Healthcheck { url, timeout_ms }) = &cli.command {
        let limit = Duration::from_millis(*timeout_ms);
        let healthy = healthcheck(url.as_deref(), &cli.listen, limit).await;
        std::process::exit(if healthy { 0 } else { 1 });
    }
    let listen = cli.listen.clone();
    let config = cli.into_config(&matches)?;
    let default_owner = config.owner == Some(OwnerCredentials::default());
    let open_control = config.control_token.is_none();
    let state = AppState::new(config, Arc::new(SystemClock))?;
    let shutdown = shutdown_signal()?;
    let listener = TcpListener::bind(&listen)
        .await
        .with_context(|| format!("could not listen on {listen}"))?;
    let addr = listener.local_addr()?;
    for warning in exposure_warnings(addr, default_owner, !open_control) {
        tracing::warn!(%addr, "{warning}");
    }
    // Scripts and tests read this line to learn the port; keep its wording stable.
    println!("listening on http://{addr}");
    tracing::info!(app_id = %state.default_app, "ready");
    janrain_emulator::internals::serve(listener, state, shutdown).await?;
    Ok(())
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled, so a signal that arrives right after start-up is not missed.
#[cfg(unix)]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        tracing::info!("shutting down");
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
}
