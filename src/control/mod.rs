//! The emulator's own control plane, under the reserved prefix `/__emulator/`.

use axum::Router;
use axum::extract::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use crate::app::AppState;
use crate::error::ApiError;

/// The prefix no emulated API uses.
pub const PREFIX: &str = "/__emulator";

/// The control-plane routes.
pub fn router() -> Router<AppState> {
    Router::new().route(&format!("{PREFIX}/health"), get(health))
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
}

/// `GET /__emulator/health`: 200 once the server accepts requests. The readiness probe for
/// scripts, containers and CI.
async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// A control-plane failure: a real status and `{"error": "<text>"}`.
#[derive(Debug)]
pub struct ControlError(pub ApiError);

#[derive(Serialize)]
struct ErrorBody {
    error: String,
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let status = match &self.0 {
            ApiError::UnknownEndpoint(_) | ApiError::AppNotFound => StatusCode::NOT_FOUND,
            ApiError::ClientNotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::BadRequest(_)
            | ApiError::MissingArgument(_)
            | ApiError::InvalidArgument { .. } => StatusCode::BAD_REQUEST,
            ApiError::NameTaken(_) => StatusCode::CONFLICT,
            ApiError::MissingCredentials
            | ApiError::InvalidCredentials(_)
            | ApiError::UnsupportedAuthScheme(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let body = ErrorBody {
            error: self.0.to_string(),
        };
        (status, Json(body)).into_response()
    }
}
