//! Handlers of `/config/{appId}/clients...`.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value};

use super::{RestCaller, RestJson, RestResult};
use crate::app::AppState;
use crate::error::{ApiError, InvalidReason};
use crate::model::{
    AppId, Client, ClientId, ClientName, ClientSecret, Feature, Features, Whitelist,
    features_from_json,
};
use crate::params::Params;
use crate::store::{NameRule, NewClient};

/// A client as the Configuration API shows it. Fields are in alphabetical order, as in the
/// documentation's listing.
#[derive(Debug, Serialize)]
pub struct RestClient {
    _id: ClientId,
    _secret: ClientSecret,
    _self: String,
    _settings: String,
    features: Features,
    #[serde(rename = "ipWhitelist")]
    ip_whitelist: Whitelist,
    name: ClientName,
}

impl RestClient {
    /// The representation of `client` of `app`.
    pub fn new(app: &AppId, client: Client) -> Self {
        let self_path = format!("/config/{app}/clients/{}", client.id);
        Self {
            _settings: format!("{self_path}/settings"),
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
pub async fn list(
    State(state): State<AppState>,
    RestCaller(caller): RestCaller,
    RawQuery(query): RawQuery,
) -> RestResult<Json<Vec<RestClient>>> {
    caller.require_owner()?;
    let params = Params::parse(query.unwrap_or_default().as_bytes())?;
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
    let clients = state
        .store
        .list_clients(&caller.app, |client| client.features.contains_all(&wanted))?;
    Ok(Json(
        clients
            .into_iter()
            .map(|client| RestClient::new(&caller.app, client))
            .collect(),
    ))
}

/// `POST /config/{appId}/clients`: 201 with the new client.
pub async fn create(
    State(state): State<AppState>,
    RestCaller(caller): RestCaller,
    RestJson(body): RestJson,
) -> RestResult<(StatusCode, Json<RestClient>)> {
    caller.require_owner()?;
    let new = client_from_json(&body)?;
    let client = state
        .store
        .create_client(&caller.app, new, NameRule::Unique)?;
    Ok((
        StatusCode::CREATED,
        Json(RestClient::new(&caller.app, client)),
    ))
}

/// Reads `name` (required), `ipWhitelist` (default `["0.0.0.0/0"]`) and `features` (default
/// none). Unknown fields are ignored, so an object fetched from the API can be sent back.
pub fn client_from_json(body: &Map<String, Value>) -> Result<NewClient, ApiError> {
    let name = match body.get("name") {
        None => return Err(ApiError::MissingArgument("name")),
        Some(Value::String(name)) => {
            ClientName::parse(name).ok_or(ApiError::MissingArgument("name"))?
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
