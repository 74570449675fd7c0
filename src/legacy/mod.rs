//! The legacy Clients and Settings API on the Capture domain: `/clients/*` and `/settings/*`.
//!
//! Parameters come from the query string and a form body, merged; credentials from HTTP Basic or
//! `client_id`/`client_secret` parameters. Every response, success or error, is HTTP 200 with a
//! `stat` field: client libraries read `stat`, and some throw on any other status.

mod clients;
mod render;
mod settings;

use axum::extract::{FromRequest, Request};
use axum::http::{header, request::Parts};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use render::{Answer, LegacyError, LegacyOk, LegacyResult, injected, prerendered, rendered};

use crate::auth::{self, AuthorizationHeader, Caller, Presented, signature};
use crate::body;
use crate::error::{ApiError, CredentialFailure, Denial, RequestProblem};
use crate::journal;
use crate::model::AppId;
use crate::params::Params;
use crate::redact::Redacted;
use crate::request_path::ReceivedPath;
use crate::state::ServerState;

/// The media type of a legacy request body.
const FORM: &str = "application/x-www-form-urlencoded";

/// The legacy routes. Every endpoint takes GET and POST alike: the documentation marks
/// `/clients/list` as GET while every example and client library POSTs.
pub fn router() -> OpenApiRouter<ServerState> {
    OpenApiRouter::new()
        .routes(routes!(clients::add))
        .routes(routes!(clients::list))
        .routes(routes!(clients::delete))
        .routes(routes!(clients::set_description))
        .routes(routes!(clients::set_features))
        .routes(routes!(clients::set_whitelist))
        .routes(routes!(clients::clear_whitelist))
        .routes(routes!(clients::reset_secret))
        .routes(routes!(settings::get))
        .routes(routes!(settings::get_multi))
        .routes(routes!(settings::items))
        .routes(routes!(settings::keys))
        .routes(routes!(settings::set))
        .routes(routes!(settings::set_multi))
        .routes(routes!(settings::delete))
        .routes(routes!(settings::get_default))
        .routes(routes!(settings::set_default))
        .routes(routes!(settings::set_default_multi))
        .routes(routes!(settings::delete_default))
        .routes(routes!(settings::get_all))
}

/// An authenticated legacy call: who calls, and with which parameters.
#[derive(Debug)]
pub struct LegacyCall {
    /// The verified caller.
    pub caller: Caller,
    /// Query and form parameters, merged.
    pub params: Params,
}

impl FromRequest<ServerState> for LegacyCall {
    type Rejection = LegacyError;

    async fn from_request(request: Request, state: &ServerState) -> Result<Self, Self::Rejection> {
        Self::extract(request, state, OtherBody::Refuse).await
    }
}

/// An authenticated call of a `/settings/*` operation. Unlike `/clients/*`, a body that is not a
/// form is ignored rather than refused: a real client of these operations sends `""` with a JSON
/// media type and puts every parameter in the query string.
#[derive(Debug)]
pub struct LegacySettingsCall(pub LegacyCall);

impl FromRequest<ServerState> for LegacySettingsCall {
    type Rejection = LegacyError;

    async fn from_request(request: Request, state: &ServerState) -> Result<Self, Self::Rejection> {
        LegacyCall::extract(request, state, OtherBody::Ignore)
            .await
            .map(Self)
    }
}

/// What to do with a body whose media type is not a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OtherBody {
    Refuse,
    Ignore,
}

impl LegacyCall {
    async fn extract(
        request: Request,
        state: &ServerState,
        other_body: OtherBody,
    ) -> Result<Self, LegacyError> {
        let (parts, body) = request.into_parts();
        let bytes = body::read_limited(&parts.headers, body, &state.config).await?;
        let params = request_params(&parts, &bytes, other_body)?;
        journal::note_params(params.iter());
        let route = state.legacy_route(&parts);
        let presented = match credentials(&parts, &params) {
            Ok(presented) => presented,
            Err(error) => {
                journal::note_app(state.store.route(route, None).as_str());
                return Err(error.into());
            }
        };
        let (app, verified) = auth::verify(
            &state.store,
            route,
            &presented,
            state.caller_ip(&parts),
            state.config.signature_skew,
        );
        journal::note_app(app.as_str());
        let verified = verified.map_err(|error| with_expected_text(error, &parts, &params));
        if let Some(client_id) = auth::found_client(&verified) {
            journal::note_client(client_id);
        }
        let caller = verified?;
        tracing::debug!(client_id = %caller.client_id, "legacy call authenticated");
        Ok(Self { caller, params })
    }
}

/// The parameters of a legacy request: its query string, then its form body (which wins for a
/// name given in both). A body of another media type is refused, or with `OtherBody::Ignore`
/// left out.
fn request_params(
    parts: &Parts,
    bytes: &[u8],
    other_body: OtherBody,
) -> Result<Params, LegacyError> {
    let mut params = Params::default();
    if let Some(query) = parts.uri.query() {
        params.extend_urlencoded(query.as_bytes())?;
    }
    if !bytes.is_empty() {
        let is_form = match body::media_type(&parts.headers) {
            None => true,
            Some(found) if found == FORM => true,
            Some(_) if other_body == OtherBody::Ignore => false,
            Some(found) => {
                return Err(RequestProblem::UnsupportedMediaType {
                    found,
                    expected: FORM,
                }
                .into());
            }
        };
        if is_form {
            params.extend_urlencoded(bytes)?;
        }
    }
    Ok(params)
}

/// The application a legacy request goes to, found exactly as its extractor finds it (the
/// capture domain its `Host` names, else the client its credentials claim, else the default),
/// from its head and its body: for a layer that must know it before any handler runs (a fault
/// rule for one application).
pub fn routed_app(state: &ServerState, parts: &Parts, body: &[u8]) -> AppId {
    let params = request_params(parts, body, OtherBody::Ignore).unwrap_or_default();
    let presented = credentials(parts, &params);
    let claimed = presented.as_ref().ok().map(Presented::client_id);
    state.store.route(state.legacy_route(parts), claimed)
}

/// The credentials of a legacy request: an `Authorization` header if there is one, otherwise
/// `client_id` and `client_secret` parameters.
fn credentials(parts: &Parts, params: &Params) -> Result<Presented, ApiError> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        return match auth::parse_authorization(value.as_bytes())? {
            AuthorizationHeader::Basic(presented) => Ok(presented),
            AuthorizationHeader::Signature {
                client_id,
                signature,
            } => {
                let date = parts
                    .headers
                    .get(header::DATE)
                    .and_then(|value| value.to_str().ok())
                    .ok_or(ApiError::InvalidCredentials(CredentialFailure::MissingDate))?;
                let at = signature::parse_date(date)
                    .ok_or(ApiError::InvalidCredentials(CredentialFailure::MissingDate))?;
                Ok(Presented::Signed {
                    client_id,
                    signature,
                    candidates: Redacted(
                        signed_paths(parts)
                            .flat_map(|path| signature::candidates(path, date.trim(), params))
                            .collect(),
                    ),
                    date: at,
                })
            }
            AuthorizationHeader::Token => Err(ApiError::Forbidden(Denial::AccessToken)),
        };
    }
    match (
        params.optional("client_id"),
        params.optional("client_secret"),
    ) {
        (Some(client_id), Some(secret)) => Ok(Presented::Parameters {
            client_id: client_id.to_owned(),
            secret: Redacted(secret.to_owned()),
        }),
        (None, None) if params.optional("access_token").is_some() => {
            Err(ApiError::Forbidden(Denial::AccessToken))
        }
        (None, None) => Err(ApiError::MissingCredentials),
        _ => Err(ApiError::InvalidCredentials(CredentialFailure::Incomplete)),
    }
}

/// A signature mismatch with the text the emulator expected, secret values hidden: computed only
/// when a signature failed, never on the way to a success.
fn with_expected_text(error: ApiError, parts: &Parts, params: &Params) -> ApiError {
    match error {
        ApiError::InvalidCredentials(CredentialFailure::BadSignature {
            client,
            signed: None,
        }) => {
            let date = parts
                .headers
                .get(header::DATE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            ApiError::InvalidCredentials(CredentialFailure::BadSignature {
                client,
                signed: Some(signature::shown(parts.uri.path(), date.trim(), params)),
            })
        }
        other => other,
    }
}

/// The paths a signature may have been computed over: the one routed, and the one the client
/// actually sent when the server tidied it (see [`crate::request_path::tidy_path`]).
fn signed_paths(parts: &Parts) -> impl Iterator<Item = &str> {
    std::iter::once(parts.uri.path()).chain(
        parts
            .extensions
            .get::<ReceivedPath>()
            .map(|received| received.0.as_str()),
    )
}
