//! Handlers of the `/clients/*` operations.

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{Answer, LegacyCall, LegacyError, LegacyOk, LegacyResult, prerendered, rendered};
use crate::error::{ApiError, InvalidReason};
use crate::model::{
    Client, ClientId, ClientName, ClientSecret, Feature, Features, HoursToLive, Whitelist,
    features_from_json,
};
use crate::state::ServerState;
use crate::store::{ClientChange, NameRule, NewClient};

/// What the `for_client_id` parameter of a change to a client means.
const FOR_CLIENT_ID: &str = "The client to change; default: the caller";

/// The body of a successful `/clients/add`, fields in the documentation's order.
#[derive(Serialize, ToSchema)]
pub struct Added {
    features: Features,
    description: ClientName,
    client_id: ClientId,
    client_secret: ClientSecret,
}

/// `POST /clients/add`: `description` (required) and `features` (a JSON array in a string).
#[utoipa::path(
    method(get, post),
    path = "/clients/add",
    summary = "Create a client",
    params(
        ("description" = String, Query, description = "The new client's name"),
        ("features" = Option<String>, Query, description = "A JSON array of feature names, as a string")
    ),
    responses((status = 200, body = Answer<Added>))
)]
pub async fn add(State(state): State<ServerState>, call: LegacyCall) -> LegacyResult<Added> {
    call.caller.require_owner()?;
    let description = call.params.required("description")?;
    let name = ClientName::parse(description).map_err(|e| ApiError::bad_name("description", e))?;
    let new = NewClient {
        name,
        features: assignable_features(&call.params.json_array("features")?.unwrap_or_default())?,
        whitelist: Whitelist::allow_all(),
    };
    let client = state
        .store
        .create_client(&call.caller, new, NameRule::AllowDuplicate)?;
    // The store keeps the client: the answer copies the four fields it shows.
    Ok(LegacyOk(Added {
        features: client.features.clone(),
        description: client.name.clone(),
        client_id: client.id.clone(),
        client_secret: client.secret.clone(),
    }))
}

/// One client in a `/clients/list` result.
#[derive(Serialize, ToSchema)]
pub struct Listed {
    client_id: ClientId,
    client_secret: ClientSecret,
    description: ClientName,
    whitelist: Whitelist,
    features: Features,
}

/// The body of a successful `/clients/list`.
#[derive(Serialize, ToSchema)]
pub struct Listing {
    results: Vec<Listed>,
}

/// `/clients/list`: every client of the application, in creation order; with
/// `has_features`, only those that have at least one of the named features. Answered with
/// bytes rendered once per version of the application, hence its own return type.
#[utoipa::path(
    method(get, post),
    path = "/clients/list",
    summary = "List clients",
    params(
        ("has_features" = Option<String>, Query, description = "A JSON array of feature names: keep clients with at least one")
    ),
    responses((status = 200, body = Answer<Listing>))
)]
pub async fn list(
    State(state): State<ServerState>,
    call: LegacyCall,
) -> Result<Response, LegacyError> {
    call.caller.require_owner()?;
    let wanted = parse_features(&call, "has_features")?;
    let render = |clients: Vec<Client>| {
        let results = clients
            .into_iter()
            .map(|client| Listed {
                client_id: client.id,
                client_secret: client.secret,
                description: client.name,
                whitelist: client.whitelist,
                features: client.features,
            })
            .collect();
        rendered(Listing { results })
    };
    // An empty array filters nothing, like an absent one; the whole listing, the big one, is
    // rendered once per version of the application.
    let body = if wanted.is_empty() {
        state
            .listings
            .get(&state.store, &call.caller.app, "legacy", render)?
    } else {
        let clients = state.store.list_clients(&call.caller.app, |client| {
            client.features.contains_any(&wanted)
        })?;
        render(clients).into()
    };
    Ok(prerendered(body))
}

/// The body of operations that answer only `{"stat": "ok"}`.
#[derive(Serialize, ToSchema)]
pub struct Done {}

/// `/clients/delete`: removes `client_id_for_deletion`. A client cannot delete itself, which
/// also keeps the last owner in place.
#[utoipa::path(
    method(get, post),
    path = "/clients/delete",
    summary = "Delete a client",
    params(
        ("client_id_for_deletion" = String, Query, description = "The client to delete")
    ),
    responses((status = 200, body = Answer<Done>))
)]
pub async fn delete(State(state): State<ServerState>, call: LegacyCall) -> LegacyResult<Done> {
    call.caller.require_owner()?;
    let argument = "client_id_for_deletion";
    let id = call.params.required(argument)?;
    state
        .store
        .delete_client(&call.caller, id, |client| {
            if client.id == call.caller.client_id {
                Err(ApiError::InvalidArgument {
                    argument,
                    reason: InvalidReason::SelfDeletion,
                })
            } else {
                Ok(())
            }
        })
        .map_err(|error| error.with_argument(argument))?;
    Ok(LegacyOk(Done {}))
}

/// `/clients/set_description`: renames `for_client_id` (default: the caller).
#[utoipa::path(
    method(get, post),
    path = "/clients/set_description",
    summary = "Rename a client",
    params(
        ("for_client_id" = Option<String>, Query, description = FOR_CLIENT_ID),
        ("description" = String, Query, description = "The new name")
    ),
    responses((status = 200, body = Answer<Done>))
)]
pub async fn set_description(
    State(state): State<ServerState>,
    call: LegacyCall,
) -> LegacyResult<Done> {
    call.caller.require_owner()?;
    let description = call.params.required("description")?;
    let name = ClientName::parse(description).map_err(|e| ApiError::bad_name("description", e))?;
    change(
        &state,
        &call,
        ClientChange {
            name: Some(name),
            ..ClientChange::default()
        },
    )
}

/// `/clients/set_features`: replaces the features of `for_client_id` (default: the caller).
#[utoipa::path(
    method(get, post),
    path = "/clients/set_features",
    summary = "Replace a client's features",
    params(
        ("for_client_id" = Option<String>, Query, description = FOR_CLIENT_ID),
        ("features" = String, Query, description = "A JSON array of feature names, replacing the old ones")
    ),
    responses((status = 200, body = Answer<Done>))
)]
pub async fn set_features(
    State(state): State<ServerState>,
    call: LegacyCall,
) -> LegacyResult<Done> {
    call.caller.require_owner()?;
    let features = assignable_features(&call.params.required_json_array("features")?)?;
    change(
        &state,
        &call,
        ClientChange {
            features: Some(features),
            ..ClientChange::default()
        },
    )
}

/// `/clients/set_whitelist`: replaces the allowlist of `for_client_id` (default: the caller).
#[utoipa::path(
    method(get, post),
    path = "/clients/set_whitelist",
    summary = "Replace a client's IP allowlist",
    params(
        ("for_client_id" = Option<String>, Query, description = FOR_CLIENT_ID),
        ("whitelist" = String, Query, description = "A JSON array of IPv4 CIDR blocks, replacing the old ones")
    ),
    responses((status = 200, body = Answer<Done>))
)]
pub async fn set_whitelist(
    State(state): State<ServerState>,
    call: LegacyCall,
) -> LegacyResult<Done> {
    call.caller.require_owner()?;
    let items = call.params.required_json_array("whitelist")?;
    let whitelist = Whitelist::from_json(&items).map_err(|reason| ApiError::InvalidArgument {
        argument: "whitelist",
        reason: reason.into(),
    })?;
    change(
        &state,
        &call,
        ClientChange {
            whitelist: Some(whitelist),
            ..ClientChange::default()
        },
    )
}

/// `/clients/clear_whitelist`: sets the allowlist of `for_client_id` (default: the caller) back
/// to `["0.0.0.0/0"]`.
#[utoipa::path(
    method(get, post),
    path = "/clients/clear_whitelist",
    summary = "Reset a client's IP allowlist to 0.0.0.0/0",
    params(
        ("for_client_id" = Option<String>, Query, description = FOR_CLIENT_ID)
    ),
    responses((status = 200, body = Answer<Done>))
)]
pub async fn clear_whitelist(
    State(state): State<ServerState>,
    call: LegacyCall,
) -> LegacyResult<Done> {
    call.caller.require_owner()?;
    change(
        &state,
        &call,
        ClientChange {
            whitelist: Some(Whitelist::allow_all()),
            ..ClientChange::default()
        },
    )
}

/// The body of a successful `/clients/reset_secret`.
#[derive(Serialize, ToSchema)]
pub struct NewSecret {
    new_secret: ClientSecret,
}

/// `/clients/reset_secret`: a new secret for `for_client_id`; the old one keeps working for
/// `hours_to_live` hours (0 to 168). An absent `hours_to_live` means 0: a client library sends
/// nothing when asked for 0.
#[utoipa::path(
    method(get, post),
    path = "/clients/reset_secret",
    summary = "Give a client a new secret",
    params(
        ("for_client_id" = String, Query, description = "The client"),
        ("hours_to_live" = Option<i64>, Query, description = "Hours (0-168) the old secret keeps working; default 0")
    ),
    responses((status = 200, body = Answer<NewSecret>))
)]
pub async fn reset_secret(
    State(state): State<ServerState>,
    call: LegacyCall,
) -> LegacyResult<NewSecret> {
    call.caller.require_owner()?;
    let id = call.params.required("for_client_id")?;
    let hours = match call.params.optional("hours_to_live") {
        None => HoursToLive::default(),
        Some(raw) => parse_hours(raw)?,
    };
    let client = state
        .store
        .reset_secret(&call.caller, id, hours.duration())?;
    Ok(LegacyOk(NewSecret {
        new_secret: client.secret,
    }))
}

fn parse_hours(raw: &str) -> Result<HoursToLive, ApiError> {
    let invalid = |reason| ApiError::InvalidArgument {
        argument: "hours_to_live",
        reason,
    };
    let hours: i64 = raw
        .trim()
        .parse()
        .map_err(|_| invalid(InvalidReason::NotInteger))?;
    HoursToLive::new(hours).map_err(|range| invalid(range.into()))
}

/// Applies `change` to `for_client_id`, or to the caller without it, refusing changes that would
/// lock the caller out of its own record.
fn change(state: &ServerState, call: &LegacyCall, change: ClientChange) -> LegacyResult<Done> {
    let target = call
        .params
        .optional("for_client_id")
        .unwrap_or(call.caller.client_id.as_str());
    state
        .store
        .update_client(&call.caller, target, change, NameRule::AllowDuplicate)?;
    Ok(LegacyOk(Done {}))
}

/// The `features` parameter's items as features a caller may assign.
fn assignable_features(items: &[Value]) -> Result<Features, ApiError> {
    features_from_json(items)
        .and_then(Features::assignable)
        .map_err(|reason| ApiError::InvalidArgument {
            argument: "features",
            reason: reason.into(),
        })
}

/// A parameter holding a JSON array of feature names; absent or empty is no features.
fn parse_features(call: &LegacyCall, argument: &'static str) -> Result<Vec<Feature>, ApiError> {
    let items = call.params.json_array(argument)?.unwrap_or_default();
    features_from_json(&items).map_err(|reason| ApiError::InvalidArgument {
        argument,
        reason: InvalidReason::Feature(reason),
    })
}
