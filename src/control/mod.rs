//! The emulator's own control plane, under the reserved prefix `/__emulator/`: health, info,
//! state (snapshot and reset), the request journal, fault injection and the console page. JSON in and out; errors are
//! `{"error": "<text>"}` with a real status.

mod apps;
mod clock;
mod console;
mod render;
mod requests_and_faults;
mod snapshot;

use axum::extract::{FromRequest, FromRequestParts, Json, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::body;
use crate::error::ApiError;
use crate::model::Feature;
use crate::state::ServerState;
pub use render::{ControlError, ErrorBody};

/// The control-plane routes.
pub fn router() -> OpenApiRouter<ServerState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(ca_pem))
        .routes(routes!(info))
        .routes(routes!(snapshot::snapshot))
        .routes(routes!(snapshot::reset))
        .routes(routes!(
            requests_and_faults::requests,
            requests_and_faults::clear_requests
        ))
        .routes(routes!(
            requests_and_faults::faults,
            requests_and_faults::add_fault,
            requests_and_faults::clear_faults
        ))
        .routes(routes!(requests_and_faults::remove_fault))
        .routes(routes!(apps::list, apps::create))
        .routes(routes!(apps::get, apps::delete))
        .routes(routes!(apps::reset))
        .routes(routes!(apps::snapshot))
        .routes(routes!(clock::get, clock::post))
        .routes(routes!(clock::app_get, clock::app_post))
        .routes(routes!(console::page))
        .routes(routes!(console::script))
        .routes(routes!(console::style))
}

/// `{"status": "ok"}`.
#[derive(Serialize, ToSchema)]
pub struct Status {
    /// Always `ok`.
    #[schema(value_type = String, example = "ok")]
    status: &'static str,
}

/// `{"status": "ok"}`.
fn ok() -> Json<Status> {
    Json(Status { status: "ok" })
}

/// `GET /__emulator/health`: 200 once the server accepts requests (and so once any imported or
/// stored state is loaded). The readiness probe for scripts, containers and CI.
#[utoipa::path(
    get,
    path = "/__emulator/health",
    summary = "Readiness probe",
    responses((status = 200, description = "Serving", body = Status))
)]
async fn health() -> Json<Status> {
    ok()
}

/// What a tool or the console page needs to know about this emulator.
#[derive(Serialize, ToSchema)]
pub struct Info {
    /// The emulator's version.
    #[schema(value_type = String, example = "0.1.0")]
    version: &'static str,
    /// The application that `/clients/*` calls without a known capture domain go to.
    default_app_id: String,
    /// The owner client made at start (`--owner-client-id`), if any. Its secret is in the
    /// snapshot.
    owner_client_id: Option<String>,
    /// The features the APIs let a caller assign, in the documentation's order.
    #[schema(value_type = Vec<String>)]
    assignable_features: Vec<&'static str>,
    /// How many requests the journal keeps.
    journal_capacity: usize,
    /// The longest delay a fault rule may ask for, in milliseconds.
    max_fault_delay_ms: u64,
    /// What became of the log's lines.
    log: LogInfo,
    /// The HTTPS routes: the TLS listener, and the local CA that vouches for it.
    tls: TlsInfo,
    /// The most connections kept open at once (`--max-connections`, within the descriptor
    /// limit): past it the oldest are asked to close.
    max_connections: usize,
}

/// The HTTPS routes in: a TLS listener (`--https-listen`) and the plain listener as a proxy for
/// Janrain's hosts, both presenting leaves of the local CA.
#[derive(Serialize, ToSchema)]
pub struct TlsInfo {
    /// The TLS listener's base URL, when there is one.
    https_url: Option<String>,
    /// Where the root's certificate is served.
    #[schema(value_type = String, example = "/__emulator/ca.pem")]
    ca_pem: &'static str,
    /// Whether the root is kept in a directory (`--ca-dir`) rather than in memory.
    ca_kept: bool,
    /// The names (each with its subdomains) the root vouches for, read from the root itself.
    permitted_names: Vec<String>,
    /// The address ranges the root vouches for.
    #[schema(value_type = Vec<String>, example = json!(["127.0.0.0/8", "::1/128"]))]
    permitted_addresses: [&'static str; 2],
    /// The kinds of name the root's constraints exclude whole.
    #[schema(value_type = Vec<String>, example = json!(["email", "uri"]))]
    excluded: [&'static str; 2],
    /// What the root's leaves may be used for: TLS servers only.
    #[schema(value_type = Vec<String>, example = json!(["serverAuth"]))]
    extended_key_usage: [&'static str; 1],
}

/// The log on standard error: best effort, never in the way of an answer.
#[derive(Serialize, ToSchema)]
pub struct LogInfo {
    /// Lines lost since the start, because standard error's reader fell behind (the queue was
    /// full) or went away (the write failed). Always 0 for an emulator embedded in a test.
    dropped_lines: u64,
    /// How many lines may wait for standard error before new ones are dropped.
    buffered_lines: usize,
}

/// `GET /__emulator/info`: the version, the default application, the owner client made at
/// start, the assignable features, the limits of the journal and of fault rules, and the count
/// of log lines dropped.
#[utoipa::path(
    get,
    path = "/__emulator/info",
    summary = "Version, default application and limits",
    responses((status = 200, description = "What this emulator is", body = Info))
)]
async fn info(State(state): State<ServerState>) -> Json<Info> {
    Json(Info {
        version: env!("CARGO_PKG_VERSION"),
        default_app_id: state.default_app.to_string(),
        owner_client_id: state.config.owner.as_ref().map(|o| o.client_id.clone()),
        assignable_features: Feature::ALL
            .into_iter()
            .filter(|feature| feature.is_assignable())
            .map(Feature::as_str)
            .collect(),
        journal_capacity: state.config.journal_capacity,
        max_fault_delay_ms: crate::faults::MAX_DELAY_MS,
        log: LogInfo {
            dropped_lines: state.log.dropped_lines(),
            buffered_lines: crate::logging::BUFFERED_LINES,
        },
        tls: TlsInfo {
            https_url: state.https_addr.get().map(|addr| format!("https://{addr}")),
            ca_pem: CA_PEM_PATH,
            ca_kept: state.ca.dir().is_some(),
            permitted_names: state.ca.permitted_names(),
            // Every root in use passed `ca::check_root`, which requires exactly these.
            permitted_addresses: crate::ca::PERMITTED_ADDRESSES,
            excluded: crate::ca::EXCLUDED_KINDS,
            extended_key_usage: crate::ca::EXTENDED_KEY_USAGE,
        },
        max_connections: state.connections.cap(),
    })
}

/// Where the root's certificate is served, open like health even with a control token.
pub const CA_PEM_PATH: &str = "/__emulator/ca.pem";

/// `GET /__emulator/ca.pem`: the local CA's root certificate, public (it holds no secret).
#[utoipa::path(
    get,
    path = "/__emulator/ca.pem",
    summary = "The local CA's root certificate",
    responses((status = 200, description = "The root, PEM: trust it for Janrain's names only (its name constraints say so)", content_type = "application/x-pem-file"))
)]
async fn ca_pem(State(state): State<ServerState>) -> Response {
    match state.ca.root_pem() {
        Ok(pem) => (
            [(axum::http::header::CONTENT_TYPE, "application/x-pem-file")],
            pem,
        )
            .into_response(),
        Err(error) => ControlError::Api(ApiError::Internal(error.to_string())).into_response(),
    }
}

/// The one parameter of a control path such as `/__emulator/faults/{id}`, percent-decoded. A
/// segment that does not decode to UTF-8 names nothing there: 404 in the control plane's shape,
/// never axum's plain-text rejection.
#[derive(Debug)]
pub struct ControlPath(pub String);

impl FromRequestParts<ServerState> for ControlPath {
    type Rejection = ControlError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ServerState,
    ) -> Result<Self, ControlError> {
        let found = match RawPathParams::from_request_parts(parts, state).await {
            Ok(params) => params.iter().next().map(|(_, value)| value.to_owned()),
            Err(_) => None,
        };
        found
            .map(Self)
            .ok_or_else(|| ControlError::NotFound(format!("nothing at {}", parts.uri.path())))
    }
}

/// A JSON object body for a control endpoint.
#[derive(Debug)]
pub struct ControlJson(pub Map<String, Value>);

impl FromRequest<ServerState> for ControlJson {
    type Rejection = ControlError;

    async fn from_request(request: Request, state: &ServerState) -> Result<Self, ControlError> {
        Ok(Self(body::read_json_object(request, &state.config).await?))
    }
}
