//! The legacy wire shape: `{..., "stat": "ok"}` and the error envelope, always HTTP 200.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, RequestProblem};
use crate::journal;
use crate::store::StoreError;

/// Result of a legacy handler.
pub type LegacyResult<T> = Result<LegacyOk<T>, LegacyError>;

/// A legacy success: the operation's fields followed by `"stat": "ok"`.
#[derive(Debug)]
pub struct LegacyOk<T>(pub T);

/// A legacy success as sent: the operation's fields, then `"stat": "ok"`.
#[derive(Serialize, ToSchema)]
pub struct Success<T> {
    #[serde(flatten)]
    body: T,
    /// Always `ok`.
    #[schema(value_type = String, example = "ok", pattern = "^ok$")]
    stat: &'static str,
}

/// What a legacy endpoint answers, always with HTTP 200: a success or an error envelope.
#[derive(Serialize, ToSchema)]
#[expect(
    dead_code,
    reason = "only the OpenAPI document names it; handlers build its parts"
)]
#[serde(untagged)]
pub enum Answer<T> {
    /// `"stat": "ok"` and the operation's fields.
    Ok(Success<T>),
    /// `"stat": "error"`.
    Error(Failure),
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
    /// A client named by `for_client_id` unless the handler says otherwise
    /// ([`StoreError::with_argument`]).
    fn from(error: StoreError) -> Self {
        Self(error.with_argument("for_client_id"))
    }
}

/// The error envelope, fields in the order of the documentation's example.
#[derive(Serialize, ToSchema)]
pub struct Failure {
    /// The parameter the error is about, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    argument_name: Option<&'static str>,
    /// 16 lower-case letters and digits; also the response's `X-Request-Id`.
    request_id: String,
    /// The Registration error code (not an HTTP status).
    code: u16,
    /// What went wrong.
    error_description: String,
    /// The code's name, such as `invalid_argument`.
    error: String,
    /// Always `error`.
    #[schema(value_type = String, example = "error", pattern = "^error$")]
    stat: &'static str,
}

impl IntoResponse for LegacyError {
    fn into_response(self) -> Response {
        let (code, error, argument_name) = classify(&self.0);
        let mut response = failure(
            http_status(&self.0),
            code,
            error,
            argument_name,
            describe(&self.0),
        );
        response.extensions_mut().insert(journal::Failure {
            legacy_code: Some(code),
            error: error.to_owned(),
            detail: self.0.to_string(),
        });
        response
    }
}

/// HTTP 200, as every legacy answer, but for one: to `CONNECT`, a 2xx answer means that the
/// connection has become a tunnel, which would swallow whatever the client sends next, so the
/// refusal of that method is 405.
fn http_status(error: &ApiError) -> StatusCode {
    match error {
        ApiError::MethodNotAllowed { method, .. } if method == "CONNECT" => {
            StatusCode::METHOD_NOT_ALLOWED
        }
        _ => StatusCode::OK,
    }
}

/// An error envelope with any code and HTTP status: the answer of a fault rule, noted in the
/// journal as the failure it is.
pub fn injected(status: StatusCode, code: u16, error: &str) -> Response {
    let mut response = failure(
        status,
        code,
        error,
        None,
        format!("{error} (fault injected by the emulator)"),
    );
    response.extensions_mut().insert(journal::Failure {
        legacy_code: Some(code),
        error: error.to_owned(),
        detail: journal::FAULT_DETAIL.into(),
    });
    response
}

fn failure(
    status: StatusCode,
    code: u16,
    error: &str,
    argument_name: Option<&'static str>,
    error_description: String,
) -> Response {
    let mut response = envelope(Failure {
        argument_name,
        request_id: journal::request_id(),
        code,
        error_description,
        error: error.to_owned(),
        stat: "error",
    });
    *response.status_mut() = status;
    response
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

/// The `error_description`, written here and nowhere else: the domain's own descriptions are for
/// the journal and the log. Credential failures stay vague on the wire, as a real server's
/// would; the precise reason goes to the journal.
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
        // The problem's own wording is shared with the Configuration API, which makes a sentence
        // of it (docs/architecture.md).
        ApiError::BadRequest(problem) => problem.to_string(),
        ApiError::MissingArgument(name) => format!("missing required argument: {name}"),
        ApiError::InvalidArgument { argument, reason } => {
            format!("{argument} was not valid for the following reason: {reason}")
        }
        ApiError::ClientNotFound { argument } => {
            format!(
                "{argument} was not valid for the following reason: {argument} is not a valid id"
            )
        }
        ApiError::UnknownEndpoint(path) => format!("no such endpoint: {path}"),
        ApiError::MethodNotAllowed { path, method } => format!("{path} does not accept {method}"),
    }
}

/// A success's bytes, `"stat": "ok"` included, for [`prerendered`] to send, now or later.
pub fn rendered<T: Serialize>(body: T) -> Vec<u8> {
    // The operations' bodies are plain structs of strings and lists: writing them cannot fail.
    serde_json::to_vec(&Success { body, stat: "ok" }).unwrap_or_default()
}

/// A success rendered earlier ([`rendered`]), with the headers of every legacy answer.
pub fn prerendered(bytes: axum::body::Bytes) -> Response {
    let mut response = crate::body::RenderedJson(bytes).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn envelope(body: impl Serialize) -> Response {
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
