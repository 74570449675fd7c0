//! The Configuration API's error shape: a real status and `{"errors": "<text>"}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

use crate::error::{ApiError, InvalidReason, RequestProblem};
use crate::journal;
use crate::model::FeatureError;
use crate::settings::{MAX_KEY_CHARS, MAX_SETTINGS, MAX_VALUE_CHARS, SettingError};
use crate::store::StoreError;

/// Result of a Configuration API handler.
pub type ConfigApiResult<T> = Result<T, ConfigApiError>;

/// A Configuration API failure.
#[derive(Debug)]
pub struct ConfigApiError(pub ApiError);

impl From<ApiError> for ConfigApiError {
    fn from(error: ApiError) -> Self {
        Self(error)
    }
}

impl From<RequestProblem> for ConfigApiError {
    fn from(problem: RequestProblem) -> Self {
        Self(problem.into())
    }
}

impl From<StoreError> for ConfigApiError {
    fn from(error: StoreError) -> Self {
        Self(error.with_argument("client_id"))
    }
}

impl IntoResponse for ConfigApiError {
    fn into_response(self) -> Response {
        let (status, text) = render(&self.0);
        let mut response = errors(status, text);
        response.extensions_mut().insert(journal::Failure {
            legacy_code: None,
            error: error_name(&self.0).to_owned(),
            detail: self.0.to_string(),
        });
        response
    }
}

/// The answer of a fault rule: `status`, with its reason phrase as the text (`Service
/// Unavailable.`), noted in the journal as the failure it is.
pub fn injected(status: StatusCode) -> Response {
    let reason = status.canonical_reason().unwrap_or("Error");
    let mut response = errors(status, format!("{reason}."));
    response.extensions_mut().insert(journal::Failure {
        legacy_code: None,
        error: "injected_fault".to_owned(),
        detail: journal::FAULT_DETAIL.into(),
    });
    response
}

/// `{"errors": text}` with `status`.
pub fn errors(status: StatusCode, text: String) -> Response {
    (status, Json(Errors { errors: text })).into_response()
}

/// Status and text. The texts of the validation errors are the product's own (they are
/// marshmallow's messages); the rest are written in the same style.
fn render(error: &ApiError) -> (StatusCode, String) {
    let fixed = |status, text: &str| (status, text.to_owned());
    match error {
        ApiError::MissingCredentials
        | ApiError::InvalidCredentials(_)
        | ApiError::UnsupportedAuthScheme(_) => {
            fixed(StatusCode::UNAUTHORIZED, "Authentication required.")
        }
        // The documentation gives one text for 401 and 403 alike.
        ApiError::Forbidden(_) => fixed(StatusCode::FORBIDDEN, "Authentication required."),
        ApiError::MissingArgument(_) => {
            fixed(StatusCode::BAD_REQUEST, "Missing data for required field.")
        }
        ApiError::InvalidArgument { reason, .. } => (StatusCode::BAD_REQUEST, invalid_text(reason)),
        ApiError::NameTaken(name) => (
            StatusCode::CONFLICT,
            format!("API client {name} already exists."),
        ),
        ApiError::AppNotFound => fixed(StatusCode::NOT_FOUND, "Application ID not found."),
        ApiError::ClientNotFound { .. } => fixed(StatusCode::NOT_FOUND, "Client ID not found."),
        ApiError::BadRequest(problem) => request_problem(problem),
        ApiError::UnknownEndpoint(_) => fixed(
            StatusCode::NOT_FOUND,
            "The requested URL was not found on the server.",
        ),
        ApiError::Internal(_) => fixed(
            StatusCode::INTERNAL_SERVER_ERROR,
            "An unexpected error occurred; nothing was changed.",
        ),
        ApiError::MethodNotAllowed { .. } => fixed(
            StatusCode::METHOD_NOT_ALLOWED,
            "The method is not allowed for the requested URL.",
        ),
    }
}

/// A short machine name for the journal, mirroring the legacy error names.
fn error_name(error: &ApiError) -> &'static str {
    match error {
        ApiError::MissingCredentials
        | ApiError::InvalidCredentials(_)
        | ApiError::UnsupportedAuthScheme(_) => "authentication_required",
        ApiError::Forbidden(_) => "forbidden",
        ApiError::MissingArgument(_) => "missing_argument",
        ApiError::InvalidArgument { .. } | ApiError::BadRequest(_) => "invalid_argument",
        ApiError::NameTaken(_) => "conflict",
        ApiError::AppNotFound | ApiError::ClientNotFound { .. } | ApiError::UnknownEndpoint(_) => {
            "not_found"
        }
        ApiError::MethodNotAllowed { .. } => "method_not_allowed",
        ApiError::Internal(_) => "internal_error",
    }
}

fn invalid_text(reason: &InvalidReason) -> String {
    let text = match reason {
        InvalidReason::Feature(FeatureError::Unknown(_)) => "Not a valid feature name.",
        InvalidReason::Feature(FeatureError::Metadata) => {
            "The metadata feature can only be applied to a client by Akamai."
        }
        InvalidReason::Feature(FeatureError::LoginClientCombined) => {
            "Clients with the login_client feature cannot have any other features."
        }
        InvalidReason::Cidr(_) => "Not a valid CIDR address.",
        InvalidReason::NotString => "Not a valid string.",
        InvalidReason::NotList | InvalidReason::JsonSyntax => "Not a valid list.",
        InvalidReason::Null => "Field may not be null.",
        InvalidReason::NotInteger => "Not a valid integer.",
        InvalidReason::NotObject => "Not a valid mapping type.",
        InvalidReason::NotBoolean => "Not a valid boolean.",
        InvalidReason::OwnerRemovedFromSelf => {
            "An owner client cannot remove the owner feature from itself."
        }
        InvalidReason::LocksOutCaller { .. } => {
            "The IP whitelist must allow the address making the call."
        }
        InvalidReason::SelfDeletion => "A client cannot delete itself.",
        InvalidReason::OwnerDeletion => "Clients with the owner feature cannot be deleted.",
        InvalidReason::TooLong { max } => return format!("Longer than maximum length {max}."),
        InvalidReason::Setting(problem) => return setting_text(problem),
        InvalidReason::OutOfRange { min, max } => {
            return format!(
                "Must be greater than or equal to {min} and less than or equal to {max}."
            );
        }
    };
    text.to_owned()
}

fn setting_text(problem: &SettingError) -> String {
    match problem {
        SettingError::EmptyKey => "Setting names may not be empty.".to_owned(),
        SettingError::ControlInKey => {
            "Setting names may not contain control characters.".to_owned()
        }
        SettingError::ReservedKey(key) => format!("The setting name {key} is reserved."),
        SettingError::KeyTooLong => format!("Longer than maximum length {MAX_KEY_CHARS}."),
        SettingError::ValueTooLong => format!("Longer than maximum length {MAX_VALUE_CHARS}."),
        SettingError::NotScalar(_) => {
            "Setting values must be strings, numbers or booleans.".to_owned()
        }
        SettingError::Twice(key) => format!("The setting {key} is given twice."),
        SettingError::TooMany => format!("At most {MAX_SETTINGS} settings are allowed."),
    }
}

fn request_problem(problem: &RequestProblem) -> (StatusCode, String) {
    let status = match problem {
        RequestProblem::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        RequestProblem::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        RequestProblem::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
        RequestProblem::NotAnObject => {
            return (StatusCode::BAD_REQUEST, "Invalid input type.".into());
        }
        RequestProblem::BodyUnreadable
        | RequestProblem::NotUtf8
        | RequestProblem::MalformedJson => StatusCode::BAD_REQUEST,
    };
    (status, sentence(&problem.to_string()))
}

/// "the body is ..." becomes "The body is ...."
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let first = chars.next().map(|c| c.to_uppercase().collect::<String>());
    format!("{}{}.", first.unwrap_or_default(), chars.as_str())
}

/// `{"errors": "<text>"}`: every Configuration API error.
#[derive(Debug, Serialize, ToSchema)]
pub struct Errors {
    /// What went wrong, such as `Authentication required.`
    pub errors: String,
}

/// The errors every Configuration API endpoint may answer.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ConfigFailures {
    /// Invalid body or parameters: `Missing data for required field.`, `Not a valid CIDR
    /// address.`, ...
    #[response(status = 400)]
    BadRequest(Errors),
    /// No credentials, or wrong ones: `Authentication required.`
    #[response(status = 401)]
    Unauthorized(Errors),
    /// The caller is not an owner, or calls from outside its allowlist.
    #[response(status = 403)]
    Forbidden(Errors),
    /// `Application ID not found.` or `Client ID not found.`
    #[response(status = 404)]
    NotFound(Errors),
    /// `API client <name> already exists.`
    #[response(status = 409)]
    Conflict(Errors),
    /// The body is larger than the limit.
    #[response(status = 413)]
    TooLarge(Errors),
    /// The body is not JSON.
    #[response(status = 415)]
    UnsupportedMediaType(Errors),
    /// The body did not arrive in time.
    #[response(status = 408)]
    Timeout(Errors),
}
