//! The control plane's renderer: every failure as `{"error": "..."}` with a real status, and the
//! conversions of the outcomes it meets (the store's refusals, request problems, the families'
//! errors) into it.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, RequestProblem};
use crate::store::StoreError;

/// A control-plane failure.
#[derive(Debug)]
pub enum ControlError {
    /// A domain outcome.
    Api(ApiError),
    /// A request the control plane cannot act on, and why.
    Invalid(String),
    /// Nothing by that name.
    NotFound(String),
    /// The request conflicts with what exists (a taken id, a limit reached).
    Conflict(String),
    /// The emulator will not do what is asked, and why: a proxy target that is not Janrain's.
    Refused(String),
    /// The control token is missing or wrong.
    Unauthorized,
}

impl From<ApiError> for ControlError {
    fn from(error: ApiError) -> Self {
        Self::Api(error)
    }
}

/// The store's refusals in the control plane's words, as each family converts them in its own.
impl From<StoreError> for ControlError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::AppNotFound => Self::NotFound("no such application".into()),
            StoreError::AppExists(_)
            | StoreError::ClientExists(_)
            | StoreError::DomainTaken(_)
            | StoreError::TooManyApps(_) => Self::Conflict(error.to_string()),
            StoreError::Setting(problem) => Self::Invalid(problem.to_string()),
            other => Self::Api(ApiError::Internal(other.to_string())),
        }
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
            ControlError::Conflict(text) => (StatusCode::CONFLICT, text),
            ControlError::Refused(reason) => (StatusCode::FORBIDDEN, format!("refused: {reason}")),
            ControlError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "the control plane needs its token: Authorization: Bearer <--control-token>"
                    .to_owned(),
            ),
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
