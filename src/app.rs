//! The application state and the router that mounts both API families and the control plane.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::http::{Method, Uri, header, request::Parts};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use tower_http::trace::TraceLayer;

use crate::clock::Clock;
use crate::config::{Config, ConfigError, OWNER_CLIENT_NAME, OwnerCredentials};
use crate::control::{self, ControlError};
use crate::error::ApiError;
use crate::faults::{self, Faults};
use crate::fixture::{Fixture, FixtureApp, normalize_host};
use crate::ids::IdGenerator;
use crate::journal::{self, Journal};
use crate::legacy::LegacyError;
use crate::model::{
    AppId, Client, ClientId, ClientName, ClientSecret, Feature, Features, Whitelist,
};
use crate::rest::RestError;
use crate::state_file::StateFile;
use crate::store::Store;
use crate::store::StoreError;

/// What every handler can reach. axum clones the state for every extractor and middleware that
/// asks for it, so it is one `Arc`: a single reference count to bump, not one per field.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

/// The contents of [`AppState`].
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
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// Validates `config` and builds the starting state: the imported fixture (or, without one,
    /// an empty state) with the default application and the configured owner made sure of; or,
    /// with a state file that already holds state, that state.
    pub fn new(config: Config, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let default_app = AppId::parse(&config.app_id).map_err(|reason| ConfigError::AppId {
            value: config.app_id.clone(),
            reason,
        })?;
        let owner = config.owner.as_ref().map(owner_client).transpose()?;
        let mut config = config;
        // The fixture moves into the store rather than staying in the configuration.
        let mut seed = config.fixture.take().unwrap_or_default();
        ensure_start(&mut seed, &default_app, owner.as_ref(), OnConflict::Refuse)?;
        let store = Store::new(IdGenerator::for_seed(config.seed), clock);
        let stored = match &config.state_file {
            Some(path) => {
                let (file, stored) = StateFile::open(path)?;
                store.attach_state_file(file);
                stored
            }
            None => None,
        };
        let store_error = |e: StoreError| ConfigError::Store(e.to_string());
        match stored {
            Some(mut state) => {
                // The file wins over --import: it is where the work of earlier runs lives.
                let changed =
                    ensure_start(&mut state, &default_app, owner.as_ref(), OnConflict::Keep)?;
                store.load(state, changed).map_err(store_error)?;
                store.set_initial(seed);
            }
            None => {
                store.load(seed, true).map_err(store_error)?;
                store.mark_initial();
            }
        }
        Ok(Self(Arc::new(Shared {
            store,
            journal: Journal::new(config.journal_capacity),
            faults: Faults::default(),
            config,
            default_app,
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

    /// The application a legacy call is for: the one whose capture domains hold the request's
    /// host (port ignored), or the default application.
    pub fn legacy_app(&self, parts: &Parts) -> AppId {
        parts
            .headers
            .get(header::HOST)
            .and_then(|value| value.to_str().ok())
            .or_else(|| parts.uri.host())
            .map(normalize_host)
            .and_then(|host| self.store.app_for_host(&host))
            .unwrap_or_else(|| self.default_app.clone())
    }
}

fn owner_client(owner: &OwnerCredentials) -> Result<Client, ConfigError> {
    let id = ClientId::parse(&owner.client_id).map_err(|reason| ConfigError::OwnerClientId {
        value: owner.client_id.clone(),
        reason,
    })?;
    let secret =
        ClientSecret::new(owner.client_secret.clone()).ok_or(ConfigError::OwnerClientSecret)?;
    Ok(Client {
        id,
        secret,
        previous_secret: None,
        name: ClientName::known(OWNER_CLIENT_NAME),
        features: Features::stored([Feature::Owner]),
        whitelist: Whitelist::allow_all(),
        settings: Default::default(),
    })
}

/// What to do when the starting state has a client with the owner's id that is not that owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnConflict {
    /// Refuse to start: the fixture and the flags disagree.
    Refuse,
    /// Keep the stored client: its secret may have been rotated on purpose in an earlier run.
    Keep,
}

/// Makes sure `state` has the default application and the owner in it. Returns whether it
/// changed anything.
fn ensure_start(
    state: &mut Fixture,
    app: &AppId,
    owner: Option<&Client>,
    on_conflict: OnConflict,
) -> Result<bool, ConfigError> {
    let (index, changed) = match state.apps.iter().position(|a| &a.app_id == app) {
        Some(index) => (index, false),
        None => {
            state.apps.push(FixtureApp {
                app_id: app.clone(),
                capture_domains: Vec::new(),
                clients: Vec::new(),
            });
            (state.apps.len() - 1, true)
        }
    };
    let Some(owner) = owner else {
        return Ok(changed);
    };
    let entry = &mut state.apps[index];
    let Some(existing) = entry.clients.iter().find(|c| c.id == owner.id) else {
        entry.clients.push(owner.clone());
        return Ok(true);
    };
    let conflict = if !existing.secret.matches(owner.secret.expose()) {
        Some("another secret")
    } else if !existing.features.contains(Feature::Owner) {
        Some("no owner feature")
    } else {
        None
    };
    match (conflict, on_conflict) {
        (None, _) => {}
        (Some(reason), OnConflict::Refuse) => {
            return Err(ConfigError::OwnerConflict {
                app: app.to_string(),
                client_id: owner.id.to_string(),
                reason,
            });
        }
        (Some(reason), OnConflict::Keep) => {
            tracing::warn!(
                client_id = %owner.id,
                "the state file's owner client differs from the command line ({reason}); keeping the stored one"
            );
        }
    }
    Ok(changed)
}

/// The whole HTTP surface.
pub fn build_router(state: AppState) -> Router {
    Router::from(crate::openapi::routes())
        .fallback(unknown_endpoint)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            faults::inject,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            journal::observe,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                // The path only: a query string may carry `client_secret`. At debug level, so
                // that it costs nothing unless asked for (RUST_LOG=janrain_emulator=debug).
                tracing::debug_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    request_id = tracing::field::Empty,
                )
            }),
        )
        .with_state(state)
}

/// Which family a path belongs to, so that even unrouted requests get that family's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// The legacy Clients API.
    Legacy,
    /// The Configuration API.
    Rest,
    /// The emulator's control plane.
    Control,
}

impl Family {
    /// The family of a request path.
    pub fn of(path: &str) -> Self {
        let under = |prefix: &str| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        if under(control::PREFIX) {
            Family::Control
        } else if under("/config") {
            Family::Rest
        } else {
            // The legacy API owns the root of the Capture domain.
            Family::Legacy
        }
    }

    /// How the journal names the family; the control plane is not journaled.
    pub fn journal_name(self) -> Option<&'static str> {
        match self {
            Family::Legacy => Some("legacy"),
            Family::Rest => Some("config"),
            Family::Control => None,
        }
    }

    /// `error` in this family's shape.
    pub fn render(self, error: ApiError) -> Response {
        match self {
            Family::Legacy => LegacyError(error).into_response(),
            Family::Rest => RestError(error).into_response(),
            Family::Control => ControlError::Api(error).into_response(),
        }
    }
}

async fn unknown_endpoint(uri: Uri) -> Response {
    let path = uri.path();
    Family::of(path).render(ApiError::UnknownEndpoint(path.to_owned()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    Family::of(path).render(ApiError::MethodNotAllowed {
        path: path.to_owned(),
        method: method.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::Family;

    #[test]
    fn paths_belong_to_families() {
        assert_eq!(Family::of("/clients/add"), Family::Legacy);
        assert_eq!(Family::of("/"), Family::Legacy);
        assert_eq!(Family::of("/configuration"), Family::Legacy);
        assert_eq!(Family::of("/config"), Family::Rest);
        assert_eq!(Family::of("/config/app/clients/x/y"), Family::Rest);
        assert_eq!(Family::of("/__emulator/nope"), Family::Control);
        assert_eq!(Family::of("/__emulatorx"), Family::Legacy);
    }
}
