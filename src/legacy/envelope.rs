//! The legacy wire shape: `{..., "stat": "ok"}` and the error envelope, always HTTP 200.

use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::{ApiError, RequestProblem};
use crate::request_id;
use crate::store::StoreError;

/// Result of a legacy handler.
pub type LegacyResult<T> = Result<LegacyOk<T>, LegacyError>;

/// A legacy success: the operation's fields followed by `"stat": "ok"`.
#[derive(Debug)]
pub struct LegacyOk<T>(pub T);

#[derive(Serialize)]
struct Success<T> {
    #[serde(flatten)]
    body: T,
    stat: &'static str,
}

impl<T: Serialize> IntoResponse for LegacyOk<T> {
    fn into_response(self) -> Response {
        envelope(Success {
            body: self.0,
            stat: "ok",
        })
    }
}

/// A legacy failure, rendered as HTTP 200 with `stat: "error"`.
#[derive(Debug)]
pub struct LegacyError(pub ApiError);

impl From<ApiError> for LegacyError {
    fn from(error: ApiError) -> Self {
        Self(error)
    }
}

impl From<RequestProblem> for LegacyError {
    fn from(problem: RequestProblem) -> Self {
        Self(problem.into())
    }
}

impl From<StoreError> for LegacyError {
    fn from(error: StoreError) -> Self {
        Self(error.into())
    }
}

/// The error envelope, fields in the order of the documentation's example.
#[derive(Serialize)]
struct Failure {
    #[serde(skip_serializing_if = "Option::is_none")]
    argument_name: Option<&'static str>,
    request_id: String,
    code: u16,
    error_description: String,
    error: &'static str,
    stat: &'static str,
}

impl IntoResponse for LegacyError {
    fn into_response(self) -> Response {
        let (code, error, argument_name) = classify(&self.0);
        let error_description = describe(&self.0);
        tracing::info!(code, error, detail = %self.0, "legacy call failed");
        envelope(Failure {
            argument_name,
            request_id: request_id::current(),
            code,
            error_description,
            error,
            stat: "error",
        })
    }
}

/// The Registration error code, its name, and the parameter it is about.
fn classify(error: &ApiError) -> (u16, &'static str, Option<&'static str>) {
    match error {
        ApiError::MissingCredentials | ApiError::InvalidCredentials(_) => {
            (402, "invalid_client_credentials", None)
        }
        ApiError::UnsupportedAuthScheme(_) => (205, "invalid_auth_method", None),
        ApiError::Forbidden(_) => (403, "client_permission_error", None),
        ApiError::MissingArgument(name) => (100, "missing_argument", Some(*name)),
        ApiError::InvalidArgument { argument, .. } | ApiError::ClientNotFound { argument } => {
            (200, "invalid_argument", Some(*argument))
        }
        ApiError::NameTaken(_) => (200, "invalid_argument", Some("description")),
        ApiError::AppNotFound => (224, "application_not_found", None),
        ApiError::BadRequest(_) => (200, "invalid_argument", None),
        ApiError::UnknownEndpoint(_) | ApiError::MethodNotAllowed { .. } => {
            (404, "not_found", None)
        }
        ApiError::Internal(_) => (500, "unexpected_error", None),
    }
}

/// The `error_description`. Credential failures stay vague on the wire, as a real server's
/// would; the precise reason goes to the log.
fn describe(error: &ApiError) -> String {
    match error {
        ApiError::MissingCredentials => {
            "no client credentials were provided: use HTTP Basic or client_id and client_secret"
                .to_owned()
        }
        ApiError::InvalidCredentials(_) => "the client credentials are not valid".to_owned(),
        ApiError::UnsupportedAuthScheme(detail) => {
            format!("the Authorization header is not supported: {detail}")
        }
        ApiError::Forbidden(_) => {
            "the provided client does not have authorization for this action".to_owned()
        }
        ApiError::NameTaken(name) => format!(
            "description was not valid for the following reason: API client {name} already exists."
        ),
        ApiError::AppNotFound => "no application is served on this host".to_owned(),
        ApiError::Internal(_) => "an unexpected error occurred; nothing was changed".to_owned(),
        ApiError::BadRequest(RequestProblem::BodyTooLarge { limit }) => {
            format!("the request body is larger than the {limit}-byte limit")
        }
        other => other.to_string(),
    }
}

fn envelope(body: impl Serialize) -> Response {
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
