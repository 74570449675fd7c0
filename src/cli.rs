//! The command line: flags, their environment variables, and how they become a [`Config`].

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::{self, Config, ControlToken, OwnerCredentials};
use crate::fixture::Fixture;
pub use crate::logging::LogFormat;

/// What comes with the emulator besides the command, at the end of `--help`.
const AROUND: &str = "Check a tenant (the emulator or your real one) against the documented behaviour, \
and record its answers to replay them offline in CI: python -m janrain_emulator.conformance \
--help (with the Python package; docs/conformance.md).";

/// A local emulator of the Janrain / Akamai Identity Cloud client-management APIs.
///
/// With no command it serves the emulated APIs until SIGINT or SIGTERM. Every flag also reads the
/// environment variable shown with it.
#[derive(Debug, Parser)]
#[command(version, about, after_help = AROUND)]
pub struct Cli {
    /// What to do instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Address to listen on; port 0 picks a free port. It also answers as an HTTP proxy for
    /// Janrain's hosts only (HTTPS_PROXY), and never connects onward.
    #[arg(
        long,
        env = "JANRAIN_EMULATOR_LISTEN",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub listen: String,
    /// Also serve over TLS on this address (HTTP/2 and HTTP/1.1), with certificates of the
    /// local CA for the name each client asks for.
    #[arg(long, env = "JANRAIN_EMULATOR_HTTPS_LISTEN", value_name = "ADDR")]
    pub https_listen: Option<String>,
    /// Keep the local CA's root here (made on first use; the key is readable by its owner only).
    /// Without it, a root is made in memory for the life of the process.
    #[arg(
        long,
        env = "JANRAIN_EMULATOR_CA_DIR",
        value_name = "DIR",
        global = true
    )]
    pub ca_dir: Option<PathBuf>,
    /// A domain the local root may also vouch for (with its subdomains), besides Janrain's,
    /// localhost and loopback; takes effect when the root is made. Repeatable; comma-separated
    /// in the environment.
    #[arg(
        long,
        env = "JANRAIN_EMULATOR_CA_PERMIT",
        value_name = "DOMAIN",
        value_delimiter = ',',
        global = true
    )]
    pub ca_permit: Vec<String>,
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
    /// Start with the clock frozen at this RFC 3339 instant (2030-01-01T00:00:00Z), for
    /// reproducible runs with --seed; POST /__emulator/clock moves it.
    #[arg(long, env = "JANRAIN_EMULATOR_CLOCK", value_name = "INSTANT")]
    pub clock: Option<String>,
    /// Require this bearer token on every /__emulator/* route but health and the console's
    /// files (Authorization: Bearer TOKEN). Set it when the port is reachable beyond loopback.
    #[arg(
        long,
        env = "JANRAIN_EMULATOR_CONTROL_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub control_token: Option<String>,
    /// A host name that may reach the control plane without --control-token, besides IP
    /// addresses, localhost, names without a dot and Janrain's names: one a browser page of
    /// another site could use (DNS rebinding) is refused. Repeatable; comma-separated in the
    /// environment.
    #[arg(
        long,
        env = "JANRAIN_EMULATOR_CONTROL_HOST",
        value_name = "NAME",
        value_delimiter = ','
    )]
    pub control_host: Vec<String>,
    /// The most connections open at once; past it the oldest are asked to close, so that a new
    /// one is always served. Lowered to fit the descriptor limit, whose soft value is raised
    /// to the hard one at start.
    #[arg(long, env = "JANRAIN_EMULATOR_MAX_CONNECTIONS", value_name = "N", default_value_t = config::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// The most applications the emulator holds at once (POST /__emulator/apps refuses more).
    #[arg(long, env = "JANRAIN_EMULATOR_MAX_APPS", default_value_t = config::DEFAULT_MAX_APPS)]
    pub max_apps: usize,
    /// Log format on standard error: text, or json (one object per line). RUST_LOG filters.
    #[arg(long, env = "JANRAIN_EMULATOR_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
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
        /// How long to wait for each answer, in milliseconds.
        #[arg(long, default_value_t = 2000)]
        timeout_ms: u64,
        /// Keep asking until it is healthy, for up to this many milliseconds: for a script,
        /// compose service or CI step that starts the emulator and waits for it [default: ask
        /// once].
        #[arg(long, value_name = "MS")]
        wait_ms: Option<u64>,
    },
    /// Print the path of a PEM bundle of this machine's trusted roots plus the local CA's
    /// root, for REQUESTS_CA_BUNDLE, SSL_CERT_FILE, CURL_CA_BUNDLE and NODE_EXTRA_CA_CERTS. With
    /// --ca-dir the root kept there (made if absent); without, the running emulator's.
    Ca {
        /// The running emulator's root to ask for [default: /__emulator/ca.pem of --listen].
        #[arg(long)]
        url: Option<String>,
    },
    /// Read, and only read, what an owner client sees of a tenant's application (its clients,
    /// their settings, the application's defaults) and write it as a fixture for --import. Each
    /// client gets a fresh secret unless --keep-secrets; the owners' new secrets are printed.
    /// The owner's secret comes from JANRAIN_CLIENT_SECRET, or a prompt.
    Clone {
        /// The Capture domain's base URL, as https://acme.us.janraincapture.com; its host is the
        /// fixture's capture domain.
        #[arg(long, value_name = "URL")]
        from: String,
        /// An owner client of the application.
        #[arg(long)]
        client_id: String,
        /// Read through the Configuration API at this base URL (https://v1.api.us.janrain.com)
        /// instead of the legacy API; needs --app-id.
        #[arg(long, value_name = "URL", requires = "app_id")]
        config_url: Option<String>,
        /// The application's id [default, without --config-url: the first label of --from's
        /// host].
        #[arg(long)]
        app_id: Option<String>,
        /// The fixture file to write (whole, then renamed into place).
        #[arg(long, value_name = "FILE", default_value = "fixture.json")]
        output: PathBuf,
        /// Keep the tenant's secrets, in a file only you may read (0600).
        #[arg(long)]
        keep_secrets: bool,
        /// Trust the roots of this PEM file instead of the machine's.
        #[arg(long, value_name = "FILE")]
        ca_bundle: Option<PathBuf>,
    },
}

impl Cli {
    /// Parses the process's arguments, keeping track of which flags were given.
    pub fn parse_with_sources() -> (Self, ArgMatches) {
        let matches = Self::command().get_matches();
        let cli = Self::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        (cli, matches)
    }

    /// The `--ca-permit` domains, each read as a domain the root may vouch for.
    pub fn ca_permits(&self) -> anyhow::Result<Vec<String>> {
        self.ca_permit
            .iter()
            .map(|domain| crate::hostnames::permit(domain))
            .collect::<Result<Vec<_>, _>>()
            .map_err(anyhow::Error::msg)
    }

    /// The configuration these flags describe. Reads the fixture file, if any.
    pub fn into_config(self, matches: &ArgMatches) -> anyhow::Result<Config> {
        let ca_permit = self.ca_permits()?;
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
        let clock = match &self.clock {
            None => None,
            Some(text) => Some(crate::clock::parse_rfc3339(text).with_context(|| {
                format!("--clock {text:?} is not an RFC 3339 instant, such as 2030-01-01T00:00:00Z")
            })?),
        };
        let control_token = match self.control_token {
            None => None,
            Some(token) => {
                Some(ControlToken::new(token).context("--control-token must not be empty")?)
            }
        };
        let control_hosts = self
            .control_host
            .iter()
            .map(|name| crate::hostnames::control_host(name))
            .collect::<Result<Vec<_>, _>>()
            .map_err(anyhow::Error::msg)?;
        Ok(Config {
            ca_dir: self.ca_dir,
            control_hosts,
            max_connections: self.max_connections.max(1),
            ca_permit,
            app_id,
            clock,
            control_token,
            max_apps: self.max_apps.max(1),
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

/// What to warn about when the emulator listens on `addr`: beyond loopback, the built-in owner
/// credentials (public) and a control plane without `--control-token` (it hands out every
/// secret) let anyone who can reach the port in.
pub fn exposure_warnings(
    addr: std::net::SocketAddr,
    default_owner: bool,
    control_token: bool,
) -> Vec<&'static str> {
    let mut warnings = Vec::new();
    if addr.ip().is_loopback() {
        return warnings;
    }
    if default_owner {
        warnings.push(
            "listening beyond loopback with the built-in owner credentials, which are public: \
             anyone who can reach this address can manage its clients; set \
             --owner-client-id and --owner-client-secret unless this is a container's private port",
        );
    }
    if !control_token {
        warnings.push(
            "listening beyond loopback without --control-token: anyone who can reach this \
             address can read every secret through /__emulator/snapshot and change the state; \
             set --control-token unless this is a container's private port",
        );
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposure_is_warned_about_beyond_loopback_only() {
        let (open, local) = (
            "0.0.0.0:8080".parse().expect("addr"),
            "127.0.0.1:8080".parse().expect("addr"),
        );
        assert_eq!(exposure_warnings(local, true, false), Vec::<&str>::new());
        let both = exposure_warnings(open, true, false);
        assert_eq!(both.len(), 2);
        assert!(both[0].contains("built-in owner credentials"));
        assert!(both[1].contains("without --control-token"));
        assert_eq!(exposure_warnings(open, false, true), Vec::<&str>::new());
    }
}
