//! The state every handler, extractor and layer reaches: one `Arc` of the store, the
//! configuration, the journal and the fault rules.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::http::{header, request::Parts};

use crate::bootstrap::{self, Started};
use crate::ca::LocalCa;
use crate::clock::{Clock, ClockChange, ControlledClock};
use crate::config::{Config, ConfigError};
use crate::connections::{self, Connections};
use crate::faults::Faults;
use crate::journal::Journal;
use crate::listing_cache::ListingCache;
use crate::logging::LogStats;
use crate::model::AppId;
use crate::store::{Route, Store};

/// What every handler can reach. axum clones the state for every extractor and middleware that
/// asks for it, so it is one `Arc`: a single reference count to bump, not one per field.
#[derive(Debug, Clone)]
pub struct ServerState(Arc<Shared>);

/// The contents of [`ServerState`].
#[derive(Debug)]
pub struct Shared {
    /// The one store of clients.
    pub store: Store,
    /// The configuration the emulator started with.
    pub config: Config,
    /// The application legacy calls go to when their host matches no capture domain.
    pub default_app: AppId,
    /// Recent requests.
    pub journal: Journal,
    /// Pending fault rules.
    pub faults: Faults,
    /// The clock everything runs on, which the control plane may move.
    pub clock: Arc<ControlledClock>,
    /// Whole client listings, kept until their application changes.
    pub listings: ListingCache,
    /// What became of the binary's log lines (all zero when embedded: the log is the host's).
    pub log: Arc<LogStats>,
    /// The local certificate authority of the TLS listener and the proxy's tunnels.
    pub ca: Arc<LocalCa>,
    /// The TLS listener's address, once it listens (`--https-listen`).
    pub https_addr: std::sync::OnceLock<SocketAddr>,
    /// The open connections of every listener, and their cap.
    pub connections: Arc<Connections>,
}

impl std::ops::Deref for ServerState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl ServerState {
    /// Validates `config` and builds the starting state (see [`crate::bootstrap`]), with an empty
    /// journal and no fault rules.
    pub fn new(config: Config, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        Self::with_log(config, clock, Arc::default())
    }

    /// [`ServerState::new`], reporting on the binary's log through `log`.
    pub fn with_log(
        config: Config,
        clock: Arc<dyn Clock>,
        log: Arc<LogStats>,
    ) -> Result<Self, ConfigError> {
        let clock = Arc::new(ControlledClock::new(clock));
        if let Some(at) = config.clock {
            clock.apply(ClockChange {
                set: Some(at),
                freeze: Some(true),
                ..ClockChange::default()
            });
        }
        let ca = LocalCa::open(config.ca_dir.as_deref(), config.ca_permit.clone())
            .map_err(|e| ConfigError::Ca(e.to_string()))?;
        if let Some((path, Err(error))) = ca.write_kept_bundle() {
            tracing::warn!(path = %path.display(), %error, "could not write the CA bundle");
        }
        let connections = Connections::new(connections::cap_for(config.max_connections));
        let Started {
            store,
            config,
            default_app,
        } = bootstrap::build(config, clock.clone())?;
        Ok(Self(Arc::new(Shared {
            store,
            journal: Journal::new(config.journal_capacity),
            faults: Faults::default(),
            config,
            default_app,
            clock,
            listings: ListingCache::default(),
            log,
            ca: Arc::new(ca),
            https_addr: std::sync::OnceLock::new(),
            connections,
        })))
    }

    /// The address the call came from: the socket's peer or, when the configuration trusts it, the
    /// first address of `X-Forwarded-For`. Router-level tests without a socket count as loopback.
    pub fn caller_ip(&self, parts: &Parts) -> IpAddr {
        let forwarded = || {
            parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(','))
                .find_map(|entry| entry.trim().parse::<IpAddr>().ok())
        };
        let peer = || {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |info| info.0.ip())
        };
        self.config
            .trust_forwarded_for
            .then(forwarded)
            .flatten()
            .unwrap_or_else(peer)
    }

    /// How a legacy call finds its application: by the capture domain its `Host` names, else by
    /// the client its credentials claim, else the default application.
    pub fn legacy_route<'a>(&'a self, parts: &'a Parts) -> Route<'a> {
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|value| value.to_str().ok())
            .or_else(|| parts.uri.host());
        Route::Legacy {
            host,
            default: &self.default_app,
        }
    }
}
