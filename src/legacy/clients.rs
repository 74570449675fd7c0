//! Handlers of the `/clients/*` operations.

use serde::Serialize;

use super::{LegacyCall, LegacyOk, LegacyResult};
use crate::app::AppState;
use crate::error::{ApiError, InvalidReason};
use crate::model::{
    ClientId, ClientName, ClientSecret, Feature, Features, Whitelist, features_from_json,
};
use crate::store::{NameRule, NewClient};
use axum::extract::State;

/// The body of a successful `/clients/add`, fields in the documentation's order.
#[derive(Serialize)]
pub struct Added {
    features: Features,
    description: ClientName,
    client_id: ClientId,
    client_secret: ClientSecret,
}

/// `POST /clients/add`: `description` (required) and `features` (a JSON array in a string).
pub async fn add(State(state): State<AppState>, call: LegacyCall) -> LegacyResult<Added> {
    call.caller.require_owner()?;
    let description = call.params.required("description")?;
    let name = ClientName::parse(description).ok_or(ApiError::MissingArgument("description"))?;
    let features = parse_features(&call, "features")?;
    let features = Features::assignable(features).map_err(|reason| ApiError::InvalidArgument {
        argument: "features",
        reason: reason.into(),
    })?;
    let new = NewClient {
        name,
        features,
        whitelist: Whitelist::allow_all(),
    };
    let client = state
        .store
        .create_client(&call.caller.app, new, NameRule::AllowDuplicate)?;
    Ok(LegacyOk(Added {
        features: client.features,
        description: client.name,
        client_id: client.id,
        client_secret: client.secret,
    }))
}

/// One client in a `/clients/list` result.
#[derive(Serialize)]
pub struct Listed {
    client_id: ClientId,
    client_secret: ClientSecret,
    description: ClientName,
    whitelist: Whitelist,
    features: Features,
}

/// The body of a successful `/clients/list`.
#[derive(Serialize)]
pub struct Listing {
    results: Vec<Listed>,
}

/// `/clients/list`: every client of the application, in creation order; with `has_features`, only
/// those that have at least one of the named features.
pub async fn list(State(state): State<AppState>, call: LegacyCall) -> LegacyResult<Listing> {
    call.caller.require_owner()?;
    let wanted = parse_features(&call, "has_features")?;
    let clients = state.store.list_clients(&call.caller.app, |client| {
        // An empty array filters nothing, like an absent one.
        wanted.is_empty() || client.features.contains_any(&wanted)
    })?;
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
    Ok(LegacyOk(Listing { results }))
}

/// A parameter holding a JSON array of feature names; absent or empty is no features.
fn parse_features(call: &LegacyCall, argument: &'static str) -> Result<Vec<Feature>, ApiError> {
    let items = call.params.json_array(argument)?.unwrap_or_default();
    features_from_json(&items).map_err(|reason| ApiError::InvalidArgument {
        argument,
        reason: InvalidReason::Feature(reason),
    })
}
