//! The Configuration API's wire shape: its errors, a real status and `{"errors": "<text>"}`;
//! and its clients, written as bytes straight from the stored ones.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

use crate::body::{RenderedJson, write_json_str};
use crate::error::{ApiError, InvalidReason, RequestProblem};
use crate::journal;
use crate::model::{AppId, Client, FeatureError};
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

/// The answer that shows `client` of `app`: what create, view, replace and secret reset send.
pub fn client_answer(app: &AppId, client: &Client) -> RenderedJson {
    let mut out = Vec::with_capacity(ANSWER_BYTES + client.name.as_str().len());
    write_client(&mut out, app, client);
    RenderedJson(out.into())
}

/// About what a client's answer takes besides its name: ids, secret, paths, a few features.
const ANSWER_BYTES: usize = 384;

/// Writes `client` of `app` as the Configuration API shows it: the bytes that serde writes for
/// [`ConfigApiClient`](super::clients::ConfigApiClient) (`tests::written_as_serde_writes_it`
/// holds the two to each other). Every answer that shows a client, and every listing, is
/// written here.
///
/// **Speed machinery, kept by measurement** (docs/benchmarks.md, "The Configuration API's
/// clients through serde"): written by serde, a create costs 12% more instructions, and 20% more
/// than the figures the rule started from.
fn write_client(out: &mut Vec<u8>, app: &AppId, client: &Client) {
    // Ids are `[A-Za-z0-9_-]`, feature names are the product's own and allowlist blocks are
    // dotted digits with a prefix: none has anything to escape. Secrets and names may hold
    // anything.
    let id = client.id.as_str().as_bytes();
    let path = |out: &mut Vec<u8>, end: &[u8]| {
        out.extend_from_slice(b"\"/config/");
        out.extend_from_slice(app.as_str().as_bytes());
        out.extend_from_slice(b"/clients/");
        out.extend_from_slice(id);
        out.extend_from_slice(end);
    };
    out.extend_from_slice(b"{\"_id\":\"");
    out.extend_from_slice(id);
    out.extend_from_slice(b"\",\"_secret\":");
    write_json_str(out, client.secret.expose());
    out.extend_from_slice(b",\"_self\":");
    path(out, b"\"");
    out.extend_from_slice(b",\"_settings\":");
    path(out, b"/settings\"");
    out.extend_from_slice(b",\"features\":");
    write_plain_strings(out, client.features.iter().map(|feature| feature.as_str()));
    out.extend_from_slice(b",\"ipWhitelist\":");
    write_plain_strings(out, client.whitelist.iter().map(|block| block.as_str()));
    out.extend_from_slice(b",\"name\":");
    write_json_str(out, client.name.as_str());
    out.push(b'}');
}

/// Writes `texts`, which hold nothing JSON escapes, as a JSON array of strings.
fn write_plain_strings<'a>(out: &mut Vec<u8>, texts: impl Iterator<Item = &'a str>) {
    write_array(out, texts, |out, text| {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    });
}

/// Writes a JSON array of `items`, each written by `write`.
fn write_array<T>(
    out: &mut Vec<u8>,
    items: impl IntoIterator<Item = T>,
    mut write: impl FnMut(&mut Vec<u8>, T),
) {
    out.push(b'[');
    for (n, item) in items.into_iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write(out, item);
    }
    out.push(b']');
}

/// `clients` of `app` as a JSON array of [`write_client`]s: a listing's body.
pub fn clients_listing(app: &AppId, clients: &[Client]) -> Vec<u8> {
    let names: usize = clients.iter().map(|c| c.name.as_str().len()).sum();
    let mut out = Vec::with_capacity(2 + clients.len() * (ANSWER_BYTES + 1) + names);
    write_array(&mut out, clients, |out, client| {
        write_client(out, app, client)
    });
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::config_api::clients::ConfigApiClient;
    use crate::model::{Cidr, ClientId, ClientName, ClientSecret, Feature, Features, Whitelist};

    fn client(
        id: &str,
        secret: &str,
        name: &str,
        features: Vec<Feature>,
        blocks: &[&str],
    ) -> Client {
        let whitelist = Whitelist::new(
            blocks
                .iter()
                .map(|block| Cidr::parse(block).expect("a block"))
                .collect(),
        );
        Client {
            whitelist,
            ..Client::new(
                ClientId::parse(id).expect("an id"),
                ClientSecret::new(secret).expect("a secret"),
                ClientName::stored(name).expect("a name"),
                Features::stored(features),
            )
        }
    }

    proptest! {
        /// Any client, names and secrets with quotes, backslashes, control characters and
        /// non-ASCII text included: the hand-written answer is the bytes serde writes for
        /// `ConfigApiClient`, alone and in a listing.
        #[test]
        fn written_as_serde_writes_it(
            id in "[A-Za-z0-9_-]{1,40}",
            secret in "\\PC{1,40}|[\"\\\\\u{0}-\u{1f}a]{1,40}",
            name in "\\PC{1,40}|[\"\\\\\u{0}-\u{1f}\u{7f}é€a]{1,40}",
            features in proptest::sample::subsequence(Feature::ALL.to_vec(), 0..=6),
            blocks in proptest::sample::subsequence(vec!["0.0.0.0/0", "10.0.0.0/8", "192.168.1.7/32"], 0..=3),
        ) {
            let app = AppId::parse("emulatorapp000000000000001").expect("an app");
            let client = client(&id, &secret, &name, features, &blocks);
            let mut written = Vec::new();
            write_client(&mut written, &app, &client);
            let serde = serde_json::to_vec(&ConfigApiClient::new(&app, client.clone())).expect("json");
            prop_assert_eq!(String::from_utf8_lossy(&written), String::from_utf8_lossy(&serde));
            let two = [client.clone(), client.clone()];
            let listed: Vec<ConfigApiClient> =
                two.iter().map(|c| ConfigApiClient::new(&app, c.clone())).collect();
            prop_assert_eq!(clients_listing(&app, &two), serde_json::to_vec(&listed).expect("json"));
            prop_assert_eq!(clients_listing(&app, &[]), b"[]".to_vec());
        }
    }
}
