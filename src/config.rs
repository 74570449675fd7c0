//! Configuration: plain data that the command line fills in and tests build directly.

/// The default application id: 26 lower-case alphanumerics, the shape of a real one.
pub const DEFAULT_APP_ID: &str = "emulatorapp000000000000001";
/// The default owner client id: 32 lower-case alphanumerics, the shape of a real one.
pub const DEFAULT_OWNER_CLIENT_ID: &str = "emulatorowner0000000000000000001";
/// The default owner client secret. Public on purpose: it is for local use only.
pub const DEFAULT_OWNER_CLIENT_SECRET: &str = "emulatorsecret000000000000000001";
/// The name given to the owner client the emulator starts with.
pub const OWNER_CLIENT_NAME: &str = "Emulator owner client";
/// The default largest request body, in bytes.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// The default tolerance between a signed request's `Date` and the emulator's clock, in seconds.
pub const DEFAULT_SIGNATURE_SKEW_SECS: u64 = 15 * 60;

/// Everything the emulator needs to know to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The default application: the one the legacy family serves.
    pub app_id: String,
    /// The owner client the default application starts with.
    pub owner_client_id: String,
    /// Its secret.
    pub owner_client_secret: String,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How far a signed request's `Date` may be from the emulator's clock, either way.
    pub signature_skew: std::time::Duration,
    /// Take the caller's address from `X-Forwarded-For` (behind a proxy or a container network)
    /// instead of the socket's peer address.
    pub trust_forwarded_for: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            app_id: DEFAULT_APP_ID.to_owned(),
            owner_client_id: DEFAULT_OWNER_CLIENT_ID.to_owned(),
            owner_client_secret: DEFAULT_OWNER_CLIENT_SECRET.to_owned(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            signature_skew: std::time::Duration::from_secs(DEFAULT_SIGNATURE_SKEW_SECS),
            trust_forwarded_for: false,
        }
    }
}

/// A configuration value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The application id is not usable in a URL path.
    #[error("invalid application id {value:?}: {reason}")]
    AppId {
        /// The value given.
        value: String,
        /// Why it was refused.
        reason: crate::model::IdError,
    },
    /// The owner client id cannot be used (it also has to survive Basic's `id:secret` split).
    #[error("invalid owner client id {value:?}: {reason}")]
    OwnerClientId {
        /// The value given.
        value: String,
        /// Why it was refused.
        reason: crate::model::IdError,
    },
    /// The owner client secret is empty.
    #[error("the owner client secret must not be empty")]
    OwnerClientSecret,
}
