//! The wiring: the route table of both families and the control plane, the layers around it
//! (request ids and the journal, fault rules, tracing), and the fallbacks that answer unknown
//! paths and methods in their family's shape.

mod layers;
#[cfg(test)]
mod tests;

use std::sync::LazyLock;

use axum::Json;
use axum::Router;
use axum::extract::Request;
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config_api::ConfigApiError;
use crate::control::ControlError;
use crate::error::ApiError;
use crate::family::Family;
use crate::legacy::LegacyError;
pub use crate::state::ServerState;

/// Every route of the emulator, with its documentation: each family's router registers its
/// handlers together with their `#[utoipa::path]` description, so a route cannot exist without
/// appearing in the OpenAPI document.
pub fn routes() -> OpenApiRouter<ServerState> {
    OpenApiRouter::with_openapi(crate::openapi::base())
        .merge(crate::legacy::router())
        .merge(crate::config_api::router())
        .merge(crate::control::router())
        .routes(routes!(serve_document))
}

static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> =
    LazyLock::new(|| crate::openapi::finish(routes().into_openapi()));

/// The OpenAPI document of every route.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    &DOCUMENT
}

/// `GET /__emulator/openapi.json`.
#[utoipa::path(
    get,
    path = "/__emulator/openapi.json",
    responses((status = 200, description = "This document", content_type = "application/json"))
)]
async fn serve_document() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(document())
}

/// The layers around the routes (`layers`). The emulator always runs them all; the in-process
/// benchmarks (`benches/`) leave some out to show what each costs a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layers {
    /// Request ids and the journal (`layers::observe`).
    pub observe: bool,
    /// Fault rules (`layers::inject_faults`).
    pub faults: bool,
    /// The control plane's guard (`layers::guard`).
    pub guard: bool,
    /// The request span, at debug level.
    pub trace: bool,
}

impl Layers {
    /// Every layer: the emulator as it serves.
    pub const ALL: Self = Self {
        observe: true,
        faults: true,
        guard: true,
        trace: true,
    };
}

/// The whole HTTP surface: the route table, and the layers every request passes through on its
/// way to it (`layers::around`).
#[derive(Clone)]
pub struct Emulated {
    routes: Router,
    chain: layers::Chain,
}

impl Emulated {
    /// The answer to `request`.
    pub async fn answer(&self, request: Request) -> Response {
        layers::around(&self.chain, request, &self.routes).await
    }
}

/// The whole HTTP surface.
pub fn build_router(state: ServerState) -> Emulated {
    build_router_with(state, Layers::ALL)
}

/// The HTTP surface with only the `layers` given.
pub fn build_router_with(state: ServerState, layers: Layers) -> Emulated {
    let routes = Router::from(routes())
        .fallback(unknown_endpoint)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state.clone());
    Emulated {
        routes,
        chain: layers::Chain { state, layers },
    }
}

/// `error` in the shape of `family`.
pub fn render(family: Family, error: ApiError) -> Response {
    match family {
        Family::Legacy => LegacyError(error).into_response(),
        Family::ConfigApi => ConfigApiError(error).into_response(),
        Family::Control => ControlError::Api(error).into_response(),
    }
}

async fn unknown_endpoint(uri: Uri) -> Response {
    let path = uri.path();
    render(Family::of(path), ApiError::UnknownEndpoint(path.to_owned()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    render(
        Family::of(path),
        ApiError::MethodNotAllowed {
            path: path.to_owned(),
            method: method.to_string(),
        },
    )
}
