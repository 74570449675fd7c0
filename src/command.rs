//! The `janrain-emulator` command: parse flags, start the log, bind, print the address, serve
//! until a signal.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::ArgMatches;
use clap::parser::ValueSource;
use tokio::net::TcpListener;

use crate::ca_command;
use crate::cli::{Cli, Command, exposure_warnings};
use crate::clock::SystemClock;
use crate::clone_command::{self, CloneError, CloneRequest};
use crate::config::OwnerCredentials;
use crate::connections::raise_descriptor_limit;
use crate::healthcheck;
use crate::hostnames::may_vouch_for;
use crate::logging::{LogStats, init as init_logging};
use crate::state::ServerState;

/// What the `janrain-emulator` binary does: parses its flags and environment, then serves until
/// SIGINT or SIGTERM (or runs the `ca` or `healthcheck` subcommand), and gives its exit code.
/// Errors end as one `error:` line on standard error.
#[tokio::main]
pub async fn main() -> ExitCode {
    let (cli, matches) = Cli::parse_with_sources();
    let (log, log_stats) = init_logging(cli.log_format);
    let outcome = run(cli, &matches, log_stats).await;
    // What is still queued goes out before the process ends, and before any error line.
    drop(log);
    match outcome {
        Ok(code) => code,
        Err(error) => {
            // One line, whatever the chain of causes; never a panic if standard error is gone.
            let _ = writeln!(std::io::stderr(), "error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, matches: &ArgMatches, log_stats: Arc<LogStats>) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Some(Command::Healthcheck {
            url,
            timeout_ms,
            wait_ms,
        }) => {
            let limit = Duration::from_millis(*timeout_ms);
            let wait = Duration::from_millis(wait_ms.unwrap_or(0));
            let healthy = healthcheck::run(url.as_deref(), &cli.listen, limit, wait).await;
            return Ok(if healthy {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
        Some(Command::Ca { url }) => {
            let permits = cli.ca_permits()?;
            let path = ca_command::run(cli.ca_dir.as_deref(), permits, url.as_deref(), &cli.listen)
                .await
                .map_err(anyhow::Error::msg)?;
            writeln!(std::io::stdout(), "{}", path.display())
                .context("could not print the bundle's path")?;
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Clone {
            from,
            client_id,
            config_url,
            app_id,
            output,
            keep_secrets,
            ca_bundle,
        }) => {
            let request = CloneRequest {
                from: from.clone(),
                client_id: client_id.clone(),
                client_secret: clone_secret(client_id)?,
                config_url: config_url.clone(),
                app_id: app_id.clone(),
                output: output.clone(),
                keep_secrets: *keep_secrets,
                ca_bundle: ca_bundle.clone(),
            };
            return match clone_command::run(request).await {
                Ok(lines) => {
                    let mut out = std::io::stdout().lock();
                    for line in lines {
                        writeln!(out, "{line}").context("could not print the new secrets")?;
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(CloneError::Refused(why)) => {
                    let _ = writeln!(std::io::stderr(), "error: {why}; nothing was written");
                    Ok(ExitCode::from(2))
                }
                Err(CloneError::Failed(why)) => Err(anyhow::anyhow!("{why}; nothing was written")),
            };
        }
        None => {}
    }
    let listen = cli.listen.clone();
    let https_listen = cli.https_listen.clone();
    let address_known = names_fixed_address(matches, &listen);
    let cap_asked = matches!(
        matches.value_source("max_connections"),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    );
    let config = cli.into_config(matches)?;
    let default_owner = config.owner == Some(OwnerCredentials::default());
    // A server that may hold many connections takes the descriptors the system lets it.
    let descriptors = raise_descriptor_limit();
    let open_control = config.control_token.is_none();
    let state = ServerState::with_log(config, Arc::new(SystemClock), log_stats)?;
    let shutdown = shutdown_signal()?;
    let listener = TcpListener::bind(&listen)
        .await
        .with_context(|| format!("could not listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let https = match &https_listen {
        None => None,
        Some(https_listen) => {
            let listener = TcpListener::bind(https_listen)
                .await
                .with_context(|| format!("could not listen on {https_listen} (--https-listen)"))?;
            let https_addr = listener.local_addr()?;
            let _ = state.https_addr.set(https_addr);
            Some((listener, https_addr))
        }
    };
    for warning in exposure_warnings(addr, default_owner, !open_control) {
        tracing::warn!(%addr, "{warning}");
    }
    for (app, domain) in plain_only_domains(&state) {
        tracing::warn!(
            %app,
            domain,
            "this capture domain is outside the names the local CA may vouch for: it is served over plain HTTP only (--ca-permit, when the root is made, adds a domain)"
        );
    }
    announce(addr, address_known)?;
    // Both listeners stop on the one signal.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let wait = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }
    };
    let tls = match https {
        None => None,
        Some((listener, https_addr)) => {
            announce_line(&format!("listening on https://{https_addr}"));
            Some(tokio::spawn(crate::server::serve_tls(
                listener,
                state.clone(),
                wait(),
            )))
        }
    };
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    tracing::info!(
        app_id = %state.default_app,
        max_connections = state.connections.cap(),
        descriptor_limit = descriptors,
        "ready"
    );
    if cap_asked && state.connections.cap() < state.config.max_connections {
        tracing::warn!(
            asked = state.config.max_connections,
            cap = state.connections.cap(),
            descriptor_limit = descriptors,
            "--max-connections is more than the descriptor limit allows: the cap is lower"
        );
    }
    crate::server::serve(listener, state, wait()).await?;
    if let Some(tls) = tls {
        let _ = tls.await;
    }
    Ok(ExitCode::SUCCESS)
}

/// Capture domains the local root may not vouch for, by application: their legacy calls are
/// served over plain HTTP only.
fn plain_only_domains(state: &ServerState) -> Vec<(String, String)> {
    let permits = state.ca.permits();
    state
        .store
        .apps()
        .into_iter()
        .flat_map(|app| {
            let id = app.app_id.to_string();
            app.capture_domains
                .into_iter()
                .map(move |domain| (id.clone(), domain.to_string()))
        })
        .filter(|(_, domain)| !may_vouch_for(domain, &permits))
        .collect()
}

/// The owner's secret for `clone`: `JANRAIN_CLIENT_SECRET`, else asked for on the terminal
/// without echo. Never a flag: a command line is seen by every user of the machine.
fn clone_secret(client_id: &str) -> anyhow::Result<String> {
    if let Some(secret) = std::env::var("JANRAIN_CLIENT_SECRET")
        .ok()
        .filter(|s| !s.is_empty())
    {
        return Ok(secret);
    }
    read_secret(&format!("secret of {client_id}: "))
        .context("set JANRAIN_CLIENT_SECRET to the owner client's secret")
}

#[cfg(unix)]
fn read_secret(prompt: &str) -> anyhow::Result<String> {
    use nix::sys::termios::{LocalFlags, SetArg, tcgetattr, tcsetattr};
    use std::io::IsTerminal as _;
    let stdin = std::io::stdin();
    anyhow::ensure!(stdin.is_terminal(), "no terminal to ask for the secret on");
    let before = tcgetattr(&stdin).context("cannot read the terminal's mode")?;
    let mut quiet = before.clone();
    quiet.local_flags.remove(LocalFlags::ECHO);
    tcsetattr(&stdin, SetArg::TCSANOW, &quiet).context("cannot turn echo off")?;
    let _ = write!(std::io::stderr(), "{prompt}");
    let mut line = String::new();
    let read = stdin.read_line(&mut line);
    let _ = tcsetattr(&stdin, SetArg::TCSANOW, &before);
    let _ = writeln!(std::io::stderr());
    read.context("cannot read the secret")?;
    let secret = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(!secret.is_empty(), "no secret was given");
    Ok(secret)
}

#[cfg(not(unix))]
fn read_secret(_prompt: &str) -> anyhow::Result<String> {
    anyhow::bail!("no secret was given")
}

/// Prints a line on standard output that is not the address line; best effort.
fn announce_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

/// Whether the address to listen on was given (by flag or environment) with a port other than 0,
/// so that whoever started the emulator knows where it is without reading standard output.
fn names_fixed_address(matches: &ArgMatches, listen: &str) -> bool {
    let given = matches!(
        matches.value_source("listen"),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    );
    let port = listen
        .rsplit_once(':')
        .and_then(|(_, port)| port.parse::<u16>().ok());
    given && matches!(port, Some(port) if port != 0)
}

/// Prints the address line. Scripts and tests read it to learn the port; keep its wording
/// stable. When standard output cannot take it (a closed pipe), the emulator serves on if the
/// address was named in advance, and stops otherwise: nobody could find it.
fn announce(addr: SocketAddr, address_known: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let printed = writeln!(out, "listening on http://{addr}").and_then(|()| out.flush());
    match printed {
        Ok(()) => Ok(()),
        Err(error) if address_known => {
            tracing::warn!(
                %addr,
                %error,
                "could not print the address line on standard output; serving on, since --listen named the address"
            );
            Ok(())
        }
        Err(error) => Err(anyhow::anyhow!(
            "could not print the address line (listening on http://{addr}) on standard output: \
             {error}; stopping, since nobody could learn the address: name one with --listen HOST:PORT"
        )),
    }
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
