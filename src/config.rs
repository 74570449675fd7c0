//! Configuration: plain data that the command line fills in and tests build directly.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::fixture::{Fixture, FixtureError};
use crate::model::IdError;
use crate::persistence::StateFileError;

/// The default application id: 26 lower-case alphanumerics, the shape of a real one.
pub const DEFAULT_APP_ID: &str = "emulatorapp000000000000001";
/// The default owner client id: 32 lower-case alphanumerics, the shape of a real one.
pub const DEFAULT_OWNER_CLIENT_ID: &str = "emulatorowner0000000000000000001";
/// The default owner client secret. Public on purpose: it is for local use only.
pub const DEFAULT_OWNER_CLIENT_SECRET: &str = "emulatorsecret000000000000000001";
/// The name of the owner client of an application made at run time.
pub const APP_OWNER_CLIENT_NAME: &str = "Application owner client";
/// The name given to the owner client the emulator adds.
pub const OWNER_CLIENT_NAME: &str = "Emulator owner client";
/// The default largest request body, in bytes.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// The default tolerance between a signed request's `Date` and the emulator's clock, in seconds.
pub const DEFAULT_SIGNATURE_SKEW_SECS: u64 = 15 * 60;
/// The default time a client has to send a request's head, and then its body, in seconds.
pub const DEFAULT_READ_TIMEOUT_SECS: u64 = 30;
/// The default number of requests the journal keeps.
pub const DEFAULT_JOURNAL_CAPACITY: usize = 1000;
/// The default most applications the emulator holds at once.
pub const DEFAULT_MAX_APPS: usize = 10_000;
/// The default most connections open at once, when the descriptor limit allows as many.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4_096;

/// Everything the emulator needs to know to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// The default application: the one legacy calls go to when their `Host` matches no
    /// application's capture domains. It is created if the starting state lacks it.
    pub app_id: String,
    /// An owner client to make sure of in the default application.
    pub owner: Option<OwnerCredentials>,
    /// The state to start from (`--import`).
    pub fixture: Option<Fixture>,
    /// Where to keep the state across restarts (`--state-file`).
    pub state_file: Option<PathBuf>,
    /// Make ids, secrets and request ids reproducible (`--seed`).
    pub seed: Option<u64>,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How far a signed request's `Date` may be from the emulator's clock, either way.
    pub signature_skew: Duration,
    /// Take the caller's address from `X-Forwarded-For` (behind a proxy or a container network)
    /// instead of the socket's peer address.
    pub trust_forwarded_for: bool,
    /// How many recent requests the journal keeps.
    pub journal_capacity: usize,
    /// How long a client may take to send a request's head, and again its body.
    pub read_timeout: Duration,
    /// Start with the clock frozen at this instant (`--clock`), for reproducible runs.
    pub clock: Option<SystemTime>,
    /// A token every control-plane route but health and the console's files asks for
    /// (`--control-token`).
    pub control_token: Option<ControlToken>,
    /// Host names besides those no other site can hold (IP addresses, `localhost`, names
    /// without a dot, Janrain's) that may reach the control plane without a token
    /// (`--control-host`), normalised.
    pub control_hosts: Vec<String>,
    /// The most applications the emulator holds at once.
    pub max_apps: usize,
    /// The most connections open at once (`--max-connections`): past it the oldest are asked
    /// to close, so that a new one (the readiness probe's) is always served. Lowered to fit
    /// the process's descriptor limit.
    pub max_connections: usize,
    /// Where the local certificate authority's root is kept (`--ca-dir`); without it, a root is
    /// made in memory when first needed.
    pub ca_dir: Option<PathBuf>,
    /// Domains the root may vouch for besides Janrain's, `localhost` and loopback
    /// (`--ca-permit`), normalised; they take effect when the root is made.
    pub ca_permit: Vec<String>,
}

/// The bearer token of the control plane. `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct ControlToken(String);

impl ControlToken {
    /// A token; `None` if it is empty.
    pub fn new(token: impl Into<String>) -> Option<Self> {
        let token = token.into();
        (!token.is_empty()).then_some(Self(token))
    }

    /// Whether `presented` is the token, compared in constant time.
    pub fn matches(&self, presented: &[u8]) -> bool {
        use subtle::ConstantTimeEq as _;
        bool::from(self.0.as_bytes().ct_eq(presented))
    }
}

impl std::fmt::Debug for ControlToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ControlToken(***)")
    }
}

/// The id and secret of an owner client.
#[derive(Clone, PartialEq, Eq)]
pub struct OwnerCredentials {
    /// The client id.
    pub client_id: String,
    /// The secret.
    pub client_secret: String,
}

impl std::fmt::Debug for OwnerCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnerCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .finish()
    }
}

impl Default for OwnerCredentials {
    fn default() -> Self {
        Self {
            client_id: DEFAULT_OWNER_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_OWNER_CLIENT_SECRET.to_owned(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            app_id: DEFAULT_APP_ID.to_owned(),
            owner: Some(OwnerCredentials::default()),
            fixture: None,
            state_file: None,
            seed: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            signature_skew: Duration::from_secs(DEFAULT_SIGNATURE_SKEW_SECS),
            trust_forwarded_for: false,
            journal_capacity: DEFAULT_JOURNAL_CAPACITY,
            read_timeout: Duration::from_secs(DEFAULT_READ_TIMEOUT_SECS),
            clock: None,
            control_token: None,
            control_hosts: Vec::new(),
            max_apps: DEFAULT_MAX_APPS,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            ca_dir: None,
            ca_permit: Vec::new(),
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The application id is not usable in a URL path.
    #[error("invalid application id {value:?}: {reason}")]
    AppId {
        /// The value given.
        value: String,
        /// Why it was refused.
        reason: IdError,
    },
    /// The owner client id cannot be used (it also has to survive Basic's `id:secret` split).
    #[error("invalid owner client id {value:?}: {reason}")]
    OwnerClientId {
        /// The value given.
        value: String,
        /// Why it was refused.
        reason: IdError,
    },
    /// The owner client secret is empty.
    #[error("the owner client secret must not be empty")]
    OwnerClientSecret,
    /// The imported state already has a client with the owner's id, but not as that owner.
    #[error(
        "application {app}: the imported client {client_id} is not the owner given on the \
         command line ({reason}); change one or the other"
    )]
    OwnerConflict {
        /// The application.
        app: String,
        /// The client id.
        client_id: String,
        /// What differs.
        reason: &'static str,
    },
    /// The fixture is invalid.
    #[error(transparent)]
    Fixture(#[from] FixtureError),
    /// The state file cannot be used.
    #[error(transparent)]
    StateFile(#[from] StateFileError),
    /// The local certificate authority's directory cannot be used.
    #[error("{0}")]
    Ca(String),
    /// The starting state could not be written to the state file.
    #[error("the starting state could not be stored: {0}")]
    Store(String),
}
