//! The `janrain-emulator` command: parse flags, bind, print the address, serve until a signal.

use std::sync::Arc;

use anyhow::Context;
use janrain_emulator::app::AppState;
use janrain_emulator::cli::Cli;
use janrain_emulator::clock::SystemClock;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (cli, matches) = Cli::parse_with_sources();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "janrain_emulator=info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let listen = cli.listen.clone();
    let config = cli.into_config(&matches)?;
    let state = AppState::new(config, Arc::new(SystemClock))?;
    let listener = TcpListener::bind(&listen)
        .await
        .with_context(|| format!("could not listen on {listen}"))?;
    let addr = listener.local_addr()?;
    // Scripts and tests read this line to learn the port; keep its wording stable.
    println!("listening on http://{addr}");
    tracing::info!(app_id = %state.default_app, "ready");
    janrain_emulator::serve(listener, state, shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
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
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
