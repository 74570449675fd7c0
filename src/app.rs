//! The application state and the router that mounts both API families and the control plane.

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{Method, Uri};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use tower_http::trace::TraceLayer;

use crate::clock::Clock;
use crate::config::{Config, ConfigError, OWNER_CLIENT_NAME};
use crate::control::{self, ControlError};
use crate::error::ApiError;
use crate::ids::IdGenerator;
use crate::legacy::{self, LegacyError};
use crate::model::{
    AppId, Client, ClientId, ClientName, ClientSecret, Feature, Features, Whitelist,
};
use crate::request_id;
use crate::rest::{self, RestError};
use crate::store::Store;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The one store of clients.
    pub store: Store,
    /// The configuration the emulator started with.
    pub config: Arc<Config>,
    /// The application the legacy family serves.
    pub default_app: AppId,
}

impl AppState {
    /// Validates `config` and builds the starting state: the default application with its owner
    /// client.
    pub fn new(
        config: Config,
        ids: IdGenerator,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ConfigError> {
        let default_app = AppId::parse(&config.app_id).map_err(|reason| ConfigError::AppId {
            value: config.app_id.clone(),
            reason,
        })?;
        let owner_id = ClientId::parse(&config.owner_client_id).map_err(|reason| {
            ConfigError::OwnerClientId {
                value: config.owner_client_id.clone(),
                reason,
            }
        })?;
        let owner_secret = ClientSecret::new(config.owner_client_secret.clone())
            .ok_or(ConfigError::OwnerClientSecret)?;
        let store = Store::new(ids, clock);
        store.ensure_app(&default_app);
        let owner = Client {
            id: owner_id,
            secret: owner_secret,
            previous_secret: None,
            name: ClientName::known(OWNER_CLIENT_NAME),
            features: Features::stored([Feature::Owner]),
            whitelist: Whitelist::allow_all(),
            settings: Default::default(),
        };
        // The application was created just above and holds no client, so this cannot clash.
        let _ = store.insert_client(&default_app, owner);
        Ok(Self {
            store,
            config: Arc::new(config),
            default_app,
        })
    }
}

/// The whole HTTP surface.
pub fn build_router(state: AppState) -> Router {
    Router::new()
        .merge(legacy::router())
        .merge(rest::router())
        .merge(control::router())
        .fallback(unknown_endpoint)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            request_id::assign,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                // The path only: a query string may carry `client_secret`.
                tracing::info_span!(
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
enum Family {
    Legacy,
    Rest,
    Control,
}

impl Family {
    fn of(path: &str) -> Self {
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

    fn render(self, error: ApiError) -> Response {
        match self {
            Family::Legacy => LegacyError(error).into_response(),
            Family::Rest => RestError(error).into_response(),
            Family::Control => ControlError(error).into_response(),
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
