//! The `janrain-emulator` command: parse flags, bind, print the address, serve until a signal.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use janrain_emulator::app::AppState;
use janrain_emulator::clock::SystemClock;
use janrain_emulator::config::{self, Config};
use janrain_emulator::ids::IdGenerator;
use tokio::net::TcpListener;

/// A local emulator of the Janrain / Akamai Identity Cloud client-management APIs.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Address to listen on; port 0 picks a free port.
    #[arg(
        long,
        env = "JANRAIN_EMULATOR_LISTEN",
        default_value = "127.0.0.1:8080"
    )]
    listen: String,
    /// The default application's id.
    #[arg(long, env = "JANRAIN_EMULATOR_APP_ID", default_value = config::DEFAULT_APP_ID)]
    app_id: String,
    /// The id of the owner client the application starts with.
    #[arg(long, env = "JANRAIN_EMULATOR_OWNER_CLIENT_ID", default_value = config::DEFAULT_OWNER_CLIENT_ID)]
    owner_client_id: String,
    /// The secret of that owner client.
    #[arg(long, env = "JANRAIN_EMULATOR_OWNER_CLIENT_SECRET", default_value = config::DEFAULT_OWNER_CLIENT_SECRET, hide_env_values = true)]
    owner_client_secret: String,
    /// How far a signed request's Date header may be from the emulator's clock, in seconds.
    #[arg(long, env = "JANRAIN_EMULATOR_SIGNATURE_SKEW_SECS", default_value_t = config::DEFAULT_SIGNATURE_SKEW_SECS)]
    signature_skew_secs: u64,
    /// Take the caller's address from X-Forwarded-For (behind a proxy or container network).
    #[arg(long, env = "JANRAIN_EMULATOR_TRUST_FORWARDED_FOR")]
    trust_forwarded_for: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "janrain_emulator=info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = Config {
        app_id: cli.app_id,
        owner_client_id: cli.owner_client_id,
        owner_client_secret: cli.owner_client_secret,
        signature_skew: Duration::from_secs(cli.signature_skew_secs),
        trust_forwarded_for: cli.trust_forwarded_for,
        ..Config::default()
    };
    let state = AppState::new(config, IdGenerator::from_entropy(), Arc::new(SystemClock))?;
    let listener = TcpListener::bind(&cli.listen)
        .await
        .with_context(|| format!("could not listen on {}", cli.listen))?;
    let addr = listener.local_addr()?;
    // Scripts and tests read this line to learn the port; keep its wording stable.
    println!("listening on http://{addr}");
    tracing::info!(app_id = %state.default_app, owner_client_id = %state.config.owner_client_id, "ready");
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
