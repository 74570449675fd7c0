//! Handlers of `/config/{appId}/clients...`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::{ClientPath, ConfigApiCaller, ConfigApiJson, ConfigApiResult, ConfigQuery};
use super::{ConfigFailures, render};
use crate::body::RenderedJson;
use crate::error::{ApiError, InvalidReason};
use crate::model::{
    Client, ClientId, ClientName, ClientSecret, Feature, Features, HoursToLive, Whitelist,
    features_from_json,
};
use crate::state::ServerState;
use crate::store::{ClientChange, NameRule, NewClient};

/// The body of a create or a full replacement, for the OpenAPI document. The handlers read the
/// JSON themselves ([`client_from_json`]) to answer with the product's own messages.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ClientBody {
    /// Required, unique in the application.
    name: String,
    /// Default `["0.0.0.0/0"]`.
    #[schema(rename = "ipWhitelist")]
    ip_whitelist: Option<Whitelist>,
    /// Default none; `login_client` stands alone; `metadata` is refused.
    features: Option<Features>,
}

/// The path of one client, for the OpenAPI document ([`ClientPath`] and [`ConfigApiCaller`] read it).
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub(super) struct ClientPathParams {
    /// The application id.
    app_id: String,
    /// The client id.
    client_id: String,
}

/// The body of a secret reset, for the OpenAPI document.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SecretBody {
    /// Hours (0-168) the old secret keeps working.
    #[schema(rename = "hoursToLive", minimum = 0, maximum = 168)]
    hours_to_live: i64,
}

/// A client as the Configuration API shows it. Fields are in alphabetical order, as in the
/// documentation's listing. The schema of the OpenAPI document, and the serde form that the
/// renderer's own writing of a client is held to (`render::tests`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigApiClient {
    _id: ClientId,
    _secret: ClientSecret,
    _self: String,
    _settings: String,
    features: Features,
    #[serde(rename = "ipWhitelist")]
    ip_whitelist: Whitelist,
    name: ClientName,
}

#[cfg(test)]
impl ConfigApiClient {
    /// The representation of `client` of `app`, as serde writes it: what the renderer's bytes
    /// are checked against.
    pub fn new(app: &crate::model::AppId, client: Client) -> Self {
        let self_path = ["/config/", app.as_str(), "/clients/", client.id.as_str()].concat();
        Self {
            _settings: [self_path.as_str(), "/settings"].concat(),
            _self: self_path,
            _id: client.id,
            _secret: client.secret,
            features: client.features,
            ip_whitelist: client.whitelist,
            name: client.name,
        }
    }
}

/// `GET /config/{appId}/clients`: every client in creation order; each `has_feature` parameter
/// narrows the list to clients that have that feature too (AND).
#[utoipa::path(
    get,
    path = "/config/{app_id}/clients",
    summary = "List clients",
    params(("app_id" = String, Path, description = "The application id"), ("has_feature" = Option<Vec<Feature>>, Query, explode = true, description = "Keep clients that have this feature; repeat for all of several")),
    security(("basic" = [])),
    responses((status = 200, description = "The clients, in creation order", body = Vec<ConfigApiClient>), ConfigFailures)
)]
pub async fn list(
    State(state): State<ServerState>,
    ConfigApiCaller(caller): ConfigApiCaller,
    ConfigQuery(query): ConfigQuery,
) -> ConfigApiResult<RenderedJson> {
    caller.require_owner()?;
    let params = query?;
    let wanted = params
        .all("has_feature")
        .map(|name| {
            name.parse::<Feature>()
                .map_err(|reason| ApiError::InvalidArgument {
                    argument: "has_feature",
                    reason: reason.into(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let app = &caller.app;
    let render = |clients: Vec<Client>| render::clients_listing(app, &clients);
    let body = if wanted.is_empty() {
        // The whole listing, the big one, is rendered once per version of the application.
        state
            .listings
            .get(&state.store, app, "config_api", render)?
    } else {
        // Filters are a set (all must hold): one spelling of each, sorted, names the rendering.
        let mut names: Vec<&str> = wanted.iter().map(|feature| feature.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        state.listings.get_filtered(
            &state.store,
            app,
            "config_api",
            names.join(","),
            |client| client.features.contains_all(&wanted),
            render,
        )?
    };
    Ok(RenderedJson(body))
}

/// `POST /config/{appId}/clients`: 201 with the new client.
#[utoipa::path(
    post,
    path = "/config/{app_id}/clients",
    summary = "Create a client",
    params(("app_id" = String, Path, description = "The application id")),
    request_body = ClientBody,
    security(("basic" = [])),
    responses((status = 201, description = "The new client", body = ConfigApiClient), ConfigFailures)
)]
pub async fn create(
    State(state): State<ServerState>,
    ConfigApiCaller(caller): ConfigApiCaller,
    ConfigApiJson(body): ConfigApiJson,
) -> ConfigApiResult<(StatusCode, RenderedJson)> {
    caller.require_owner()?;
    let new = client_from_json(&body)?;
    let client = state.store.create_client(&caller, new, NameRule::Unique)?;
    Ok((
        StatusCode::CREATED,
        render::client_answer(&caller.app, &client),
    ))
}

/// `GET /config/{appId}/clients/{clientId}`.
#[utoipa::path(
    get,
    path = "/config/{app_id}/clients/{client_id}",
    summary = "View a client",
    params(ClientPathParams),
    security(("basic" = [])),
    responses((status = 200, description = "The client", body = ConfigApiClient), ConfigFailures)
)]
pub async fn get(
    State(state): State<ServerState>,
    ConfigApiCaller(caller): ConfigApiCaller,
    ClientPath(id): ClientPath,
) -> ConfigApiResult<RenderedJson> {
    caller.require_owner()?;
    let client = state.store.client(&caller.app, &id)?;
    Ok(render::client_answer(&caller.app, &client))
}

/// `PUT /config/{appId}/clients/{clientId}`: full replacement. An omitted `ipWhitelist` goes back
/// to `["0.0.0.0/0"]` and omitted `features` to none.
#[utoipa::path(
    put,
    path = "/config/{app_id}/clients/{client_id}",
    summary = "Replace a client",
    params(ClientPathParams),
    request_body = ClientBody,
    security(("basic" = [])),
    responses((status = 200, description = "The client as replaced", body = ConfigApiClient), ConfigFailures)
)]
pub async fn put(
    State(state): State<ServerState>,
    ConfigApiCaller(caller): ConfigApiCaller,
    ClientPath(id): ClientPath,
    ConfigApiJson(body): ConfigApiJson,
) -> ConfigApiResult<RenderedJson> {
    caller.require_owner()?;
    let replacement = client_from_json(&body)?;
    let change = ClientChange {
        name: Some(replacement.name),
        features: Some(replacement.features),
        whitelist: Some(replacement.whitelist),
    };
    let client = state
        .store
        .update_client(&caller, &id, change, NameRule::Unique)?;
    Ok(render::client_answer(&caller.app, &client))
}

/// `DELETE /config/{appId}/clients/{clientId}`: 204 with no body. Owner clients cannot be
/// deleted.
#[utoipa::path(
    delete,
    path = "/config/{app_id}/clients/{client_id}",
    summary = "Delete a client",
    params(ClientPathParams),
    security(("basic" = [])),
    responses((status = 204, description = "Deleted"), ConfigFailures)
)]
pub async fn delete(
    State(state): State<ServerState>,
    ConfigApiCaller(caller): ConfigApiCaller,
    ClientPath(id): ClientPath,
) -> ConfigApiResult<StatusCode> {
    caller.require_owner()?;
    state.store.delete_client(&caller, &id, |client| {
        if client.features.contains(Feature::Owner) {
            Err(invalid("client_id", InvalidReason::OwnerDeletion))
        } else {
            Ok(())
        }
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /config/{appId}/clients/{clientId}/secret` with `{"hoursToLive": 0..168}`: a new secret;
/// the old one keeps working for that many hours.
#[utoipa::path(
    put,
    path = "/config/{app_id}/clients/{client_id}/secret",
    summary = "Reset a client's secret",
    params(ClientPathParams),
    request_body = SecretBody,
    security(("basic" = [])),
    responses((status = 200, description = "The client with its new secret", body = ConfigApiClient), ConfigFailures)
)]
pub async fn reset_secret(
    State(state): State<ServerState>,
    ConfigApiCaller(caller): ConfigApiCaller,
    ClientPath(id): ClientPath,
    ConfigApiJson(body): ConfigApiJson,
) -> ConfigApiResult<RenderedJson> {
    caller.require_owner()?;
    let field = "hoursToLive";
    let hours = match body.get(field) {
        None => return Err(ApiError::MissingArgument(field).into()),
        Some(Value::Null) => return Err(invalid(field, InvalidReason::Null).into()),
        Some(value) => value
            .as_i64()
            .ok_or(invalid(field, InvalidReason::NotInteger))?,
    };
    let hours = HoursToLive::new(hours).map_err(|range| invalid(field, range.into()))?;
    let client = state.store.reset_secret(&caller, &id, hours.duration())?;
    Ok(render::client_answer(&caller.app, &client))
}

/// Reads `name` (required), `ipWhitelist` (default `["0.0.0.0/0"]`) and `features` (default
/// none). Unknown fields are ignored, so an object fetched from the API can be sent back.
pub fn client_from_json(body: &Map<String, Value>) -> Result<NewClient, ApiError> {
    let name = match body.get("name") {
        None => return Err(ApiError::MissingArgument("name")),
        Some(Value::String(name)) => {
            ClientName::parse(name).map_err(|e| ApiError::bad_name("name", e))?
        }
        Some(other) => return Err(invalid("name", not_a(other, InvalidReason::NotString))),
    };
    let whitelist = match array_field(body, "ipWhitelist")? {
        None => Whitelist::allow_all(),
        Some(items) => {
            Whitelist::from_json(items).map_err(|reason| invalid("ipWhitelist", reason.into()))?
        }
    };
    let features = match array_field(body, "features")? {
        None => Features::default(),
        Some(items) => features_from_json(items)
            .and_then(Features::assignable)
            .map_err(|reason| invalid("features", reason.into()))?,
    };
    Ok(NewClient {
        name,
        features,
        whitelist,
    })
}

fn array_field<'a>(
    body: &'a Map<String, Value>,
    field: &'static str,
) -> Result<Option<&'a [Value]>, ApiError> {
    match body.get(field) {
        None => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items)),
        Some(other) => Err(invalid(field, not_a(other, InvalidReason::NotList))),
    }
}

/// `null` has its own message; any other wrong type gets `otherwise`.
fn not_a(value: &Value, otherwise: InvalidReason) -> InvalidReason {
    if value.is_null() {
        InvalidReason::Null
    } else {
        otherwise
    }
}

fn invalid(argument: &'static str, reason: InvalidReason) -> ApiError {
    ApiError::InvalidArgument { argument, reason }
}
