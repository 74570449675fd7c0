//! The command line: flags, their environment variables, and how they become a [`Config`].

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::{self, Config, OwnerCredentials};
use crate::fixture::Fixture;

/// A local emulator of the Janrain / Akamai Identity Cloud client-management APIs.
///
/// With no command it serves the emulated APIs until SIGINT or SIGTERM. Every flag also reads the
/// environment variable shown with it.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// What to do instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Address to listen on; port 0 picks a free port.
    #[arg(
        long,
        env = "JANRAIN_EMULATOR_LISTEN",
        default_value = "127.0.0.1:8080"
    )]
    pub listen: String,
    /// The default application's id: legacy calls whose Host matches no application's capture
    /// domains go to it.
    #[arg(long, env = "JANRAIN_EMULATOR_APP_ID", default_value = config::DEFAULT_APP_ID)]
    pub app_id: String,
    /// The id of an owner client the default application is made sure to have.
    #[arg(long, env = "JANRAIN_EMULATOR_OWNER_CLIENT_ID", default_value = config::DEFAULT_OWNER_CLIENT_ID)]
    pub owner_client_id: String,
    /// The secret of that owner client.
    #[arg(long, env = "JANRAIN_EMULATOR_OWNER_CLIENT_SECRET", default_value = config::DEFAULT_OWNER_CLIENT_SECRET, hide_env_values = true)]
    pub owner_client_secret: String,
    /// A fixture file to start from: {"apps": [{"app_id", "capture_domains", "clients"}]}.
    /// Without --app-id or --owner-client-* no owner is added to it.
    #[arg(long = "import", env = "JANRAIN_EMULATOR_IMPORT", value_name = "FILE")]
    pub import: Option<PathBuf>,
    /// Keep the state in this SQLite file across restarts and crashes.
    #[arg(long, env = "JANRAIN_EMULATOR_STATE_FILE", value_name = "PATH")]
    pub state_file: Option<PathBuf>,
    /// Draw ids, secrets and request ids from a generator seeded with N, for reproducible runs.
    #[arg(long, env = "JANRAIN_EMULATOR_SEED", value_name = "N")]
    pub seed: Option<u64>,
    /// How far a signed request's Date header may be from the emulator's clock, in seconds.
    #[arg(long, env = "JANRAIN_EMULATOR_SIGNATURE_SKEW_SECS", default_value_t = config::DEFAULT_SIGNATURE_SKEW_SECS)]
    pub signature_skew_secs: u64,
    /// How long a client may take to send a request's head, and then its body, in seconds.
    #[arg(long, env = "JANRAIN_EMULATOR_READ_TIMEOUT_SECS", default_value_t = config::DEFAULT_READ_TIMEOUT_SECS)]
    pub read_timeout_secs: u64,
    /// Take the caller's address from X-Forwarded-For (behind a proxy or container network).
    #[arg(long, env = "JANRAIN_EMULATOR_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
    /// Log format on standard error: text, or json (one object per line). RUST_LOG filters.
    #[arg(long, env = "JANRAIN_EMULATOR_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Commands other than serving.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ask a running emulator whether it is healthy: exit status 0 if GET /__emulator/health
    /// answers 200 within the timeout, 1 otherwise. For container HEALTHCHECKs.
    Healthcheck {
        /// The URL to ask [default: the health URL of --listen, through loopback].
        #[arg(long)]
        url: Option<String>,
        /// How long to wait, in milliseconds.
        #[arg(long, default_value_t = 2000)]
        timeout_ms: u64,
    },
}

impl Cli {
    /// Parses the process's arguments, keeping track of which flags were given.
    pub fn parse_with_sources() -> (Self, ArgMatches) {
        let matches = Self::command().get_matches();
        let cli = Self::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        (cli, matches)
    }

    /// The configuration these flags describe. Reads the fixture file, if any.
    pub fn into_config(self, matches: &ArgMatches) -> anyhow::Result<Config> {
        let given = |id: &str| {
            !matches!(
                matches.value_source(id),
                None | Some(ValueSource::DefaultValue)
            )
        };
        let fixture = match &self.import {
            None => None,
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("could not read fixture file {}", path.display()))?;
                let fixture = Fixture::parse(&text)
                    .with_context(|| format!("invalid fixture file {}", path.display()))?;
                Some(fixture)
            }
        };
        // With a fixture, the owner flags add an owner only when given; without one, their
        // defaults make a tenant that works out of the box.
        let owner = (fixture.is_none() || given("owner_client_id") || given("owner_client_secret"))
            .then_some(OwnerCredentials {
                client_id: self.owner_client_id,
                client_secret: self.owner_client_secret,
            });
        let app_id = match fixture.as_ref().and_then(|f| f.apps.first()) {
            Some(first) if !given("app_id") => first.app_id.to_string(),
            _ => self.app_id,
        };
        Ok(Config {
            app_id,
            owner,
            fixture,
            state_file: self.state_file,
            seed: self.seed,
            signature_skew: Duration::from_secs(self.signature_skew_secs),
            trust_forwarded_for: self.trust_forwarded_for,
            read_timeout: Duration::from_secs(self.read_timeout_secs.max(1)),
            ..Config::default()
        })
    }
}
