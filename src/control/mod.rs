//! The emulator's own control plane, under the reserved prefix `/__emulator/`: health, state
//! (snapshot and reset), the request journal and fault injection. JSON in and out; errors are
//! `{"error": "<text>"}` with a real status.

mod observe;
mod state;

use axum::extract::{FromRequest, Json, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::body;
use crate::error::{ApiError, RequestProblem};

/// The prefix no emulated API uses.
pub const PREFIX: &str = "/__emulator";

/// The control-plane routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(crate::openapi::serve_document))
        .routes(routes!(state::snapshot))
        .routes(routes!(state::reset))
        .routes(routes!(observe::requests, observe::clear_requests))
        .routes(routes!(
            observe::faults,
            observe::add_fault,
            observe::clear_faults
        ))
        .routes(routes!(observe::remove_fault))
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

#[utoipa::path(
    get,
    path = "/__emulator/health",
    tag = "control",
    summary = "Readiness probe",
    responses((status = 200, description = "Serving", body = Status))
)]
/// `GET /__emulator/health`: 200 once the server accepts requests (and so once any imported or
/// stored state is loaded). The readiness probe for scripts, containers and CI.
async fn health() -> Json<Status> {
    ok()
}

/// A control-plane failure.
#[derive(Debug)]
pub enum ControlError {
    /// A domain outcome.
    Api(ApiError),
    /// A request the control plane cannot act on, and why.
    Invalid(String),
    /// Nothing by that name.
    NotFound(String),
}

impl From<ApiError> for ControlError {
    fn from(error: ApiError) -> Self {
        Self::Api(error)
    }
}

impl From<RequestProblem> for ControlError {
    fn from(problem: RequestProblem) -> Self {
        Self::Api(problem.into())
    }
}

/// `{"error": "<text>"}`: every control-plane error.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    error: String,
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let (status, error) = match self {
            ControlError::Invalid(text) => (StatusCode::BAD_REQUEST, text),
            ControlError::NotFound(text) => (StatusCode::NOT_FOUND, text),
            ControlError::Api(error) => (api_status(&error), error.to_string()),
        };
        (status, Json(ErrorBody { error })).into_response()
    }
}

fn api_status(error: &ApiError) -> StatusCode {
    match error {
        ApiError::UnknownEndpoint(_) | ApiError::AppNotFound | ApiError::ClientNotFound { .. } => {
            StatusCode::NOT_FOUND
        }
        ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
        ApiError::BadRequest(RequestProblem::BodyTooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
        ApiError::BadRequest(RequestProblem::BodyTimeout) => StatusCode::REQUEST_TIMEOUT,
        ApiError::BadRequest(RequestProblem::UnsupportedMediaType { .. }) => {
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        }
        ApiError::BadRequest(_)
        | ApiError::MissingArgument(_)
        | ApiError::InvalidArgument { .. } => StatusCode::BAD_REQUEST,
        ApiError::NameTaken(_) => StatusCode::CONFLICT,
        ApiError::MissingCredentials
        | ApiError::InvalidCredentials(_)
        | ApiError::UnsupportedAuthScheme(_) => StatusCode::UNAUTHORIZED,
        ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
        ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A JSON object body for a control endpoint.
#[derive(Debug)]
pub struct ControlJson(pub Map<String, Value>);

impl FromRequest<AppState> for ControlJson {
    type Rejection = ControlError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ControlError> {
        Ok(Self(body::read_json_object(request, &state.config).await?))
    }
}
