//! The Configuration API: `/config/{appId}/clients...` and `/config/{appId}/settings`.
//!
//! JSON bodies, HTTP Basic only, real status codes, and errors as `{"errors": "..."}`.

mod clients;
mod render;
mod settings;

use std::borrow::Cow;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts};
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[cfg(feature = "internals")]
pub use clients::client_from_json;
#[cfg(feature = "internals")]
pub use render::clients_listing;
pub use render::{ConfigApiError, ConfigApiResult, ConfigFailures, Errors, injected};
pub use settings::settings_from_body;

use crate::auth::{self, AuthorizationHeader, Caller};
use crate::body;
use crate::error::{ApiError, AuthSchemeProblem, RequestProblem};
use crate::journal;
use crate::model::AppId;
use crate::params::Params;
use crate::state::ServerState;
use crate::store::Route;

/// The Configuration API routes.
pub fn router() -> OpenApiRouter<ServerState> {
    OpenApiRouter::new()
        .routes(routes!(clients::list, clients::create))
        .routes(routes!(clients::get, clients::put, clients::delete))
        .routes(routes!(clients::reset_secret))
        .routes(routes!(settings::get_client, settings::put_client))
        .routes(routes!(settings::get_app, settings::put_app))
        .routes(routes!(settings::options))
}

/// The verified caller of a Configuration API request, in the application named by the path.
#[derive(Debug)]
pub struct ConfigApiCaller(pub Caller);

impl FromRequestParts<ServerState> for ConfigApiCaller {
    type Rejection = ConfigApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ServerState,
    ) -> Result<Self, ConfigApiError> {
        if let Some(query) = parts.uri.query() {
            let parsed = Params::parse(query.as_bytes());
            if let Ok(query) = &parsed {
                journal::note_params(query.iter());
            }
            // Kept for the handler's `ConfigQuery`, so that the query is parsed once.
            parts.extensions.insert(ConfigQuery(parsed));
        }
        // Credentials are looked at before the application: a request without any is refused
        // the same way whatever path it names.
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or(ApiError::MissingCredentials)?;
        let presented = match auth::parse_authorization(header.as_bytes())? {
            AuthorizationHeader::Basic(presented) => presented,
            AuthorizationHeader::Signature { .. } | AuthorizationHeader::Token => {
                return Err(ApiError::UnsupportedAuthScheme(AuthSchemeProblem::BasicOnly).into());
            }
        };
        let app = app_in_path(parts).map_err(|_| unknown_app(parts))?;
        journal::note_app(app.as_str());
        let (_, verified) = auth::verify(
            &state.store,
            Route::App(&app),
            &presented,
            state.caller_ip(parts),
            state.config.signature_skew,
        );
        if let Some(client_id) = auth::found_client(&verified) {
            journal::note_client(client_id);
        }
        let caller = verified.map_err(|error| match error {
            ApiError::AppNotFound => unknown_app(parts),
            other => other,
        })?;
        tracing::debug!(client_id = %caller.client_id, app = %app, "config call authenticated");
        Ok(Self(caller))
    }
}

/// The query string's parameters, or why they could not be read: the handler answers with that
/// after its own checks, as it would have parsed the query itself. [`ConfigApiCaller`], which
/// reads the query first, leaves its parsing in the request for this one.
#[derive(Debug, Clone)]
pub struct ConfigQuery(pub Result<Params, RequestProblem>);

impl FromRequestParts<ServerState> for ConfigQuery {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &ServerState,
    ) -> Result<Self, std::convert::Infallible> {
        Ok(parts.extensions.remove::<Self>().unwrap_or_else(|| {
            Self(Params::parse(
                parts.uri.query().unwrap_or_default().as_bytes(),
            ))
        }))
    }
}

/// The client id in the path, as sent; the store decides whether it exists.
#[derive(Debug)]
pub struct ClientPath(pub String);

impl FromRequestParts<ServerState> for ClientPath {
    type Rejection = ConfigApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &ServerState,
    ) -> Result<Self, ConfigApiError> {
        // An id that does not decode to UTF-8 names no client, as an unknown one does.
        let id = path_segment(parts, CLIENT_SEGMENT).ok_or(ApiError::ClientNotFound {
            argument: "client_id",
        })?;
        Ok(Self(id.into_owned()))
    }
}

/// Where the application id and the client id stand in `/config/{app_id}/clients/{client_id}`
/// (the path is tidied before routing, so no empty segment comes first).
const APP_SEGMENT: usize = 2;
const CLIENT_SEGMENT: usize = 4;

/// Segment `index` of the request path, percent-decoded; `None` if absent or not UTF-8. Each
/// segment is read on its own, so that an undecodable client id does not make the application
/// id unreadable too (axum's path extractors refuse all parameters when one fails).
fn path_segment(parts: &Parts, index: usize) -> Option<Cow<'_, str>> {
    let raw = parts.uri.path().split('/').nth(index)?;
    // Nearly every segment has no escape: it is borrowed as it stands, already UTF-8, without
    // the decoder's byte-by-byte pass and its second UTF-8 check.
    if !raw.contains('%') {
        return Some(Cow::Borrowed(raw));
    }
    percent_encoding::percent_decode_str(raw).decode_utf8().ok()
}

/// An unknown application, in the words the documentation gives the operation: `Client ID not
/// found.` for the listing and for every operation on one client ("a bad application and/or
/// client id"), `Application ID not found.` for creating a client and for the application's
/// settings.
fn unknown_app(parts: &Parts) -> ApiError {
    let mut segments = parts.uri.path().split('/').skip(APP_SEGMENT + 1);
    let on_clients = segments.next() == Some("clients");
    let one_client = segments.next().is_some_and(|id| !id.is_empty());
    if on_clients && (one_client || parts.method == axum::http::Method::GET) {
        ApiError::ClientNotFound {
            argument: "client_id",
        }
    } else {
        ApiError::AppNotFound
    }
}

/// The application the path names, as the family reads it (each segment percent-decoded on its
/// own); whether it exists is the store's answer.
pub fn app_in_path(parts: &Parts) -> Result<AppId, ApiError> {
    let raw = path_segment(parts, APP_SEGMENT).ok_or(ApiError::AppNotFound)?;
    // Whether the application exists is the store's answer, given when the credentials are
    // checked against it.
    AppId::parse(&raw).map_err(|_| ApiError::AppNotFound)
}

/// A JSON object body. Any other body is refused in the family's own shape, never with axum's
/// plain-text rejection.
#[derive(Debug)]
pub struct ConfigApiJson(pub Map<String, Value>);

impl FromRequest<ServerState> for ConfigApiJson {
    type Rejection = ConfigApiError;

    async fn from_request(request: Request, state: &ServerState) -> Result<Self, ConfigApiError> {
        let body = body::read_json_object(request, &state.config).await?;
        journal::note_json(&body);
        Ok(Self(body))
    }
}
