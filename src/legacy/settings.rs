//! Handlers of the `/settings/*` operations: a client's own settings, read with the
//! application's defaults as fallback, and the defaults themselves.
//!
//! Who may call what: any client may read and change its own settings (`for_client_id` absent or
//! itself); another client's need `owner`, as do every change to the defaults and `get_all`;
//! `get_default` is open to every client. Values are stored as sent, as strings.

use axum::extract::State;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::{Answer, LegacyCall, LegacyError, LegacyOk, LegacyResult, LegacySettingsCall};
use crate::error::{ApiError, InvalidReason};
use crate::model::Settings;
use crate::settings::{self, Level, SettingsChange};
use crate::state::ServerState;
use crate::store::StoreError;

/// What the `for_client_id` parameter of a settings operation means.
const FOR_CLIENT_ID: &str = "The client; default: the caller. Another client's needs owner";

/// `{"result": ...}`: the answer of every documented settings operation.
#[derive(Serialize, ToSchema)]
pub struct Outcome {
    /// A value (`null` for a key set nowhere), an object of values or of booleans, a list of
    /// keys, or a boolean: whether the key existed before.
    result: Value,
}

fn outcome(result: impl Into<Value>) -> LegacyResult<Outcome> {
    Ok(LegacyOk(Outcome {
        result: result.into(),
    }))
}

/// The client whose settings a call is about: `for_client_id`, or the caller without it.
fn target_id(call: &LegacyCall) -> &str {
    call.params
        .optional("for_client_id")
        .unwrap_or(call.caller.client_id.as_str())
}

fn target(call: &LegacyCall) -> Level {
    Level::Client(target_id(call).to_owned())
}

/// A store refusal, naming `argument` for a setting it could not keep.
fn refused(argument: &'static str) -> impl Fn(StoreError) -> LegacyError {
    move |error| LegacyError(error.with_arguments("for_client_id", argument))
}

/// The client's own settings and the defaults, after the permission check.
fn read(state: &ServerState, call: &LegacyCall) -> Result<(Settings, Settings), LegacyError> {
    call.caller.require_settings_access(&target(call))?;
    state
        .store
        .client_settings(&call.caller.app, target_id(call))
        .map_err(refused("for_client_id"))
}

/// A `key` parameter as a key that may be stored.
fn key_to_store(call: &LegacyCall) -> Result<String, ApiError> {
    let key = call.params.required("key")?;
    settings::check_key(key).map_err(|problem| ApiError::InvalidArgument {
        argument: "key",
        reason: problem.into(),
    })?;
    Ok(key.to_owned())
}

/// The `value` parameter: required, but unlike other parameters an empty value is a value.
fn value_to_store(call: &LegacyCall, key: &str) -> Result<Value, ApiError> {
    let value = Value::String(
        call.params
            .get("value")
            .ok_or(ApiError::MissingArgument("value"))?
            .to_owned(),
    );
    settings::check_value(key, &value).map_err(|problem| ApiError::InvalidArgument {
        argument: "value",
        reason: problem.into(),
    })?;
    Ok(value)
}

/// The `items` parameter: a JSON object of keys to strings. Numbers and booleans are kept as
/// their JSON text (`10`, `true`), as a client that forgot to quote them meant; `null`, lists
/// and objects are refused.
fn items_to_store(call: &LegacyCall) -> Result<Vec<(String, Value)>, ApiError> {
    let argument = "items";
    let invalid = |reason: InvalidReason| ApiError::InvalidArgument { argument, reason };
    call.params
        .required_json_object(argument)?
        .into_iter()
        .map(|(key, value)| {
            settings::check_key(&key).map_err(|p| invalid(p.into()))?;
            let value = match value {
                Value::String(text) => Value::String(text),
                Value::Number(number) => Value::String(number.to_string()),
                Value::Bool(flag) => Value::String(flag.to_string()),
                _ => return Err(invalid(settings::SettingError::NotScalar(key).into())),
            };
            settings::check_value(&key, &value).map_err(|p| invalid(p.into()))?;
            Ok((key, value))
        })
        .collect()
}

/// `{key: existed}` for each key of a multiple set, in the order given.
fn per_key(pairs: &[(String, Value)], existed: &[bool]) -> Value {
    let mut report = Map::new();
    for ((key, _), existed) in pairs.iter().zip(existed) {
        report.insert(key.clone(), Value::Bool(*existed));
    }
    Value::Object(report)
}

/// Applies `change` at `level`, if the caller may; for each key it names, whether it existed.
fn apply(
    state: &ServerState,
    call: &LegacyCall,
    level: &Level,
    change: &SettingsChange,
    argument: &'static str,
) -> Result<Vec<bool>, LegacyError> {
    call.caller.require_settings_access(level)?;
    Ok(state
        .store
        .change_settings(&call.caller, level, change)
        .map_err(refused(argument))?
        .existed)
}

/// `set` and `set_default`: `key` to `value` at `level`; whether the key existed there.
fn set_one(state: &ServerState, call: &LegacyCall, level: &Level) -> LegacyResult<Outcome> {
    let key = key_to_store(call)?;
    let value = value_to_store(call, &key)?;
    let set = SettingsChange::Set(vec![(key, value)]);
    let existed = apply(state, call, level, &set, "key")?;
    outcome(existed.first().copied().unwrap_or(false))
}

/// `set_multi` and `set_default_multi`: every key of `items` at `level`, all or none; per key,
/// whether it existed there.
fn set_many(state: &ServerState, call: &LegacyCall, level: &Level) -> LegacyResult<Outcome> {
    let pairs = items_to_store(call)?;
    let set = SettingsChange::Set(pairs.clone());
    let existed = apply(state, call, level, &set, "items")?;
    outcome(per_key(&pairs, &existed))
}

/// `delete` and `delete_default`: `key` at `level` only; whether it existed there.
fn delete_one(state: &ServerState, call: &LegacyCall, level: &Level) -> LegacyResult<Outcome> {
    let key = call.params.required("key")?.to_owned();
    let delete = SettingsChange::Delete(vec![key]);
    let existed = apply(state, call, level, &delete, "key")?;
    outcome(existed.first().copied().unwrap_or(false))
}

/// `/settings/get`: the value of `key` for `for_client_id` (default: the caller), falling back
/// to the application's default; `null` if set at neither level.
#[utoipa::path(
    method(get, post),
    path = "/settings/get",
    operation_id = "settings_get",
    summary = "Get a client's setting",
    params(
        ("key" = String, Query, description = "The setting"),
        ("for_client_id" = Option<String>, Query, description = FOR_CLIENT_ID)
    ),
    responses((status = 200, body = Answer<Outcome>))
)]
pub async fn get(
    State(state): State<ServerState>,
    LegacySettingsCall(call): LegacySettingsCall,
) -> LegacyResult<Outcome> {
    let key = call.params.required("key")?;
    let (own, defaults) = read(&state, &call)?;
    outcome(settings::effective_value(&own, &defaults, key).cloned())
}

/// `/settings/get_multi`: the values of `keys` (a JSON array), each as `/settings/get` finds it.
#[utoipa::path(
    method(get, post),
    path = "/settings/get_multi",
    operation_id = "settings_get_multi",
    summary = "Get several of a client's settings",
    params(
        ("keys" = String, Query, description = "A JSON array of setting names"),
        ("for_client_id" = Option<String>, Query, description = FOR_CLIENT_ID)
    ),
    responses((status = 200, body = Answer<Outcome>))
)]
pub async fn get_multi(
    State(state): State<ServerState>,
    LegacySettingsCall(call): LegacySettingsCall,
) -> LegacyResult<Outcome> {
    let keys = call.params.required_json_array("keys")?;
    let keys = keys
        .iter()
        .map(|key| {
            key.as_str().ok_or(ApiError::InvalidArgument {
                argument: "keys",
                reason: InvalidReason::NotString,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (own, defaults) = read(&state, &call)?;
    let values: Map<String, Value> = keys
        .into_iter()
        .map(|key| {
            let value = settings::effective_value(&own, &defaults, key).cloned();
            (key.to_owned(), value.unwrap_or(Value::Null))
        })
        .collect();
    outcome(values)
}

/// `/settings/items`: every setting the client sees, its own values over the defaults.
#[utoipa::path(
    method(get, post),
    path = "/settings/items",
    operation_id = "settings_items",
    summary = "Get all of a client's settings, defaults included",
    params(("for_client_id" = Option<String>, Query, description = FOR_CLIENT_ID)),
    responses((status = 200, body = Answer<Outcome>))
)]
pub async fn items(
    State(state): State<ServerState>,
    LegacySettingsCall(call): LegacySettingsCall,
) -> LegacyResult<Outcome> {
    let (own, defaults) = read(&state, &call)?;
    outcome(settings::effective(&own, &defaults))
}

/// `/settings/keys`: the names of every setting the client sees, defaults included.
#[utoipa::path(
    method(get, post),
    path = "/settings/keys",
    operation_id = "settings_keys",
    summary = "List the names of a client's settings, defaults included",
    params(("for_client_id" = Option<String>, Query, description = FOR_CLIENT_ID)),
    responses((status = 200, body = Answer<Outcome>))
)]
pub async fn keys(
    State(state): State<ServerState>,
    LegacySettingsCall(call): LegacySettingsCall,
) -> LegacyResult<Outcome> {
    let (own, defaults) = read(&state, &call)?;
    let names: Vec<Value> = settings::effective(&own, &defaults)
        .keys()
        .map(|key| Value::String(key.clone()))
        .collect();
    outcome(names)
}

/// `/settings/set`: sets `key` to `value` for `for_client_id` (default: the caller); `result`
/// says whether the key already existed there.
#[utoipa::path(
    method(get, post),
    path = "/settings/set",
    operation_id = "settings_set",
    summary = "Set a client's setting",
    params(
        ("key" = String, Query, description = "The setting"),
        ("value" = String, Query, description = "Its value, a string (may be empty)"),
        ("for_client_id" = Option<String>, Query, description = FOR_CLIENT_ID)
    ),
    responses((status = 200, body = Answer<Outcome>))
)]
pub async fn set(
    State(state): State<ServerState>,
    LegacySettingsCall(call): LegacySettingsCall,
) -> LegacyResult<Outcome> {
    set_one(&state, &call, &target(&call))
}

/// `/settings/set_multi`: sets every key of `items` (a JSON object of strings) for
/// `for_client_id` (default: the caller), all or none; `result` says, per key, whether it
/// already existed.
#[utoipa::path(
    method(get, post),
    path = "/settings/set_multi",
    operation_id = "settings_set_multi",
    summary = "Set several of a client's settings",
    params(
        ("items" = String, Query, description = "A JSON object of setting names to string values"),
        ("for_client_id" = Option<String>, Query, description = FOR_CLIENT_ID)
    ),
    responses((status = 200, body = Answer<Outcome>))
)]
pub async fn set_multi(
    State(state): State<ServerState>,
    LegacySettingsCall(call): LegacySettingsCall,
) -> LegacyResult<Outcome> {
    set_many(&state, &call, &target(&call))
}

/// `/settings/delete`: removes the client's own value of `key`; the default stays. `result`
/// says whether the client had one.
#[utoipa::path(
    method(get, post),
    path = "/settings/delete",
    operation_id = "settings_delete",
    summary = "Delete a client's setting",
    params(
        ("key" = String, Query, description = "The setting"),
        ("for_client_id" = Option<String>, Query, description = FOR_CLIENT_ID)
    ),
    responses((status = 200, body = Answer<Outcome>))
)]
pub async fn delete(
    State(state): State<ServerState>,
    LegacySettingsCall(call): LegacySettingsCall,
) -> LegacyResult<Outcome> {
    delete_one(&state, &call, &target(&call))
}

/// `/settings/get_default`: the application's default for `key`, `null` if there is none. Any
/// client may call it.
#[utoipa::path(
    method(get, post),
    path = "/settings/get_default",
    operation_id = "settings_get_default",
    summary = "Get an application default",
    params(("key" = String, Query, description = "The setting")),
    responses((status = 200, body = Answer<Outcome>))
)]
pub async fn get_default(
    State(state): State<ServerState>,
    LegacySettingsCall(call): LegacySettingsCall,
) -> LegacyResult<Outcome> {
    let key = call.params.required("key")?;
    let defaults = state
        .store
        .default_settings(&call.caller.app)
        .map_err(refused("key"))?;
    outcome(defaults.get(key).cloned())
}

/// `/settings/set_default` (owner): sets the application's default of `key`; `result` says
/// whether it already existed.
#[utoipa::path(
    method(get, post),
    path = "/settings/set_default",
    operation_id = "settings_set_default",
    summary = "Set an application default",
    params(
        ("key" = String, Query, description = "The setting"),
        ("value" = String, Query, description = "Its value, a string (may be empty)")
    ),
    responses((status = 200, body = Answer<Outcome>))
)]
pub async fn set_default(
    State(state): State<ServerState>,
    LegacySettingsCall(call): LegacySettingsCall,
) -> LegacyResult<Outcome> {
    call.caller.require_owner()?;
    set_one(&state, &call, &Level::Defaults)
}

/// `/settings/set_default_multi` (owner): sets every key of `items` as an application default;
/// `result` says, per key, whether it already existed.
#[utoipa::path(
    method(get, post),
    path = "/settings/set_default_multi",
    operation_id = "settings_set_default_multi",
    summary = "Set several application defaults",
    params(("items" = String, Query, description = "A JSON object of setting names to string values")),
    responses((status = 200, body = Answer<Outcome>))
)]
pub async fn set_default_multi(
    State(state): State<ServerState>,
    LegacySettingsCall(call): LegacySettingsCall,
) -> LegacyResult<Outcome> {
    call.caller.require_owner()?;
    set_many(&state, &call, &Level::Defaults)
}

/// `/settings/delete_default` (owner): removes the application's default of `key`; clients'
/// own values stay. `result` says whether there was one.
#[utoipa::path(
    method(get, post),
    path = "/settings/delete_default",
    operation_id = "settings_delete_default",
    summary = "Delete an application default",
    params(("key" = String, Query, description = "The setting")),
    responses((status = 200, body = Answer<Outcome>))
)]
pub async fn delete_default(
    State(state): State<ServerState>,
    LegacySettingsCall(call): LegacySettingsCall,
) -> LegacyResult<Outcome> {
    call.caller.require_owner()?;
    delete_one(&state, &call, &Level::Defaults)
}

/// The body of `/settings/get_all`: no `result` wrapper.
#[derive(Serialize, ToSchema)]
pub struct Everything {
    /// Each client that has settings of its own, by client id.
    #[schema(value_type = Object)]
    client_settings: Map<String, Value>,
    /// The application's defaults.
    #[schema(value_type = Object)]
    default_settings: Settings,
}

/// `/settings/get_all` (owner; not in the documentation, but what `janrain-datalib` reads): the
/// defaults and every client's own settings, at the top level of the envelope.
#[utoipa::path(
    method(get, post),
    path = "/settings/get_all",
    operation_id = "settings_get_all",
    summary = "Get the defaults and every client's settings",
    responses((status = 200, body = Answer<Everything>))
)]
pub async fn get_all(
    State(state): State<ServerState>,
    LegacySettingsCall(call): LegacySettingsCall,
) -> LegacyResult<Everything> {
    call.caller.require_owner()?;
    let (defaults, clients) = state
        .store
        .all_settings(&call.caller.app)
        .map_err(refused("for_client_id"))?;
    Ok(LegacyOk(Everything {
        client_settings: clients
            .into_iter()
            .map(|(id, own)| (id.to_string(), Value::Object(own)))
            .collect(),
        default_settings: defaults,
    }))
}
