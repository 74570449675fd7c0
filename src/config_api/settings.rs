//! Handlers of the settings resources: `/config/{appId}/clients/{clientId}/settings` (a client's
//! own settings) and `/config/{appId}/settings` (the application's global settings, which the
//! legacy API calls its defaults).
//!
//! Both objects put the product's documented settings at the top level beside `_self`, and every
//! other key (a "custom" setting) in a `custom` object; a client's object adds the application's
//! settings as `global`. A `PUT` takes the same shape back: `_self`, `global` and `clients` are
//! ignored, so an object read from the API can be sent back as it is.

use axum::Json;
use axum::extract::State;
use serde_json::{Map, Value};
use utoipa::IntoParams;

use super::clients::ClientPathParams;
use super::{
    ClientPath, ConfigApiCaller, ConfigApiJson, ConfigApiResult, ConfigFailures, ConfigQuery,
};
use crate::error::{ApiError, InvalidReason};
use crate::model::{AppId, ClientId, Settings};
use crate::settings::{self, Level, SettingError, SettingsChange};
use crate::state::ServerState;

/// The query of `GET /config/{appId}/settings`, for the OpenAPI document.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AppSettingsQuery {
    /// `true` adds each client's own settings, under `clients`; default `false`.
    include_clients: Option<bool>,
}

/// `GET /config/{appId}/clients/{clientId}/settings`: the client's own settings, with the
/// application's as `global`. The owner may read any client's; a client its own.
#[utoipa::path(
    get,
    path = "/config/{app_id}/clients/{client_id}/settings",
    summary = "View a client's settings",
    params(ClientPathParams),
    security(("basic" = [])),
    responses((status = 200, description = "`_self`, the client's documented settings, `custom` (its other settings) and `global` (the application's)", body = Object), ConfigFailures)
)]
pub async fn get_client(
    State(state): State<ServerState>,
    ConfigApiCaller(caller): ConfigApiCaller,
    ClientPath(id): ClientPath,
) -> ConfigApiResult<Json<Map<String, Value>>> {
    caller.require_settings_access(&Level::Client(id.clone()))?;
    let (own, defaults) = state.store.client_settings(&caller.app, &id)?;
    Ok(Json(client_view(&caller.app, &id, &own, &defaults)))
}

/// `PUT /config/{appId}/clients/{clientId}/settings`: replaces the client's own settings whole;
/// keys left out are removed, the application's settings are untouched.
#[utoipa::path(
    put,
    path = "/config/{app_id}/clients/{client_id}/settings",
    summary = "Replace a client's settings",
    params(ClientPathParams),
    request_body(content = Object, description = "Settings at the top level and in `custom`; a `null` value leaves the key out; `_self` and `global` are ignored"),
    security(("basic" = [])),
    responses((status = 200, description = "The settings as replaced, in the shape of the GET", body = Object), ConfigFailures)
)]
pub async fn put_client(
    State(state): State<ServerState>,
    ConfigApiCaller(caller): ConfigApiCaller,
    ClientPath(id): ClientPath,
    ConfigApiJson(body): ConfigApiJson,
) -> ConfigApiResult<Json<Map<String, Value>>> {
    let level = Level::Client(id.clone());
    caller.require_settings_access(&level)?;
    let mut replacement = settings_from_body(&body)?;
    // Global-only settings are ignored at client level, as the documentation says.
    replacement.retain(|key, _| !settings::is_global_only(key));
    let changed =
        state
            .store
            .change_settings(&caller, &level, &SettingsChange::Replace(replacement))?;
    Ok(Json(client_view(
        &caller.app,
        &id,
        &changed.settings,
        &changed.defaults,
    )))
}

/// `GET /config/{appId}/settings` (owner): the application's global settings; with
/// `include_clients=true`, each client's own settings as well.
#[utoipa::path(
    get,
    path = "/config/{app_id}/settings",
    summary = "View the application's settings",
    params(("app_id" = String, Path, description = "The application id"), AppSettingsQuery),
    security(("basic" = [])),
    responses((status = 200, description = "`_self`, the documented global settings and `custom`; with `include_clients`, `clients` by client id", body = Object), ConfigFailures)
)]
pub async fn get_app(
    State(state): State<ServerState>,
    ConfigApiCaller(caller): ConfigApiCaller,
    ConfigQuery(query): ConfigQuery,
) -> ConfigApiResult<Json<Map<String, Value>>> {
    caller.require_settings_access(&Level::Defaults)?;
    let params = query?;
    let include_clients = match params.get("include_clients") {
        None => false,
        Some(text) => parse_bool(text).ok_or(ApiError::InvalidArgument {
            argument: "include_clients",
            reason: InvalidReason::NotBoolean,
        })?,
    };
    let view = if include_clients {
        let (defaults, clients) = state.store.all_settings(&caller.app)?;
        app_view(&caller.app, &defaults, Some(&clients))
    } else {
        let defaults = state.store.default_settings(&caller.app)?;
        app_view(&caller.app, &defaults, None)
    };
    Ok(Json(view))
}

/// `PUT /config/{appId}/settings` (owner): replaces the application's global settings whole.
#[utoipa::path(
    put,
    path = "/config/{app_id}/settings",
    summary = "Replace the application's settings",
    params(("app_id" = String, Path, description = "The application id")),
    request_body(content = Object, description = "Settings at the top level and in `custom`; a `null` value leaves the key out; `_self` and `clients` are ignored"),
    security(("basic" = [])),
    responses((status = 200, description = "The settings as replaced, in the shape of the GET", body = Object), ConfigFailures)
)]
pub async fn put_app(
    State(state): State<ServerState>,
    ConfigApiCaller(caller): ConfigApiCaller,
    ConfigApiJson(body): ConfigApiJson,
) -> ConfigApiResult<Json<Map<String, Value>>> {
    caller.require_settings_access(&Level::Defaults)?;
    let replacement = settings_from_body(&body)?;
    let changed = state.store.change_settings(
        &caller,
        &Level::Defaults,
        &SettingsChange::Replace(replacement),
    )?;
    Ok(Json(app_view(&caller.app, &changed.defaults, None)))
}

/// `GET /config/{appId}/settings/options` (owner): the catalogue of the product's settings, each
/// with its `group`, `type`, fixed `values` if any, and whether it is `globalOnly`. A key not
/// listed, or listed in the `Custom` group, is a custom setting.
#[utoipa::path(
    get,
    path = "/config/{app_id}/settings/options",
    summary = "List the settings the product knows",
    params(("app_id" = String, Path, description = "The application id")),
    security(("basic" = [])),
    responses((status = 200, description = "An array of `{name, group, type, values, globalOnly}`", body = Vec<Object>), ConfigFailures)
)]
pub async fn options(ConfigApiCaller(caller): ConfigApiCaller) -> ConfigApiResult<Json<Value>> {
    caller.require_settings_access(&Level::Defaults)?;
    let catalogue = settings::CATALOGUE
        .iter()
        .map(|option| {
            serde_json::json!({
                "name": option.name,
                "group": option.group,
                "type": option.kind,
                "values": option.values,
                "globalOnly": option.global_only,
            })
        })
        .collect();
    Ok(Json(Value::Array(catalogue)))
}

/// The settings a body holds: its top-level keys and those of its `custom` object, `null`
/// values left out; `_self`, `global` and `clients` (which the GETs add) are ignored. `clone`
/// reads a tenant's settings objects with it too.
pub fn settings_from_body(body: &Map<String, Value>) -> Result<Settings, ApiError> {
    let invalid = |problem: SettingError| ApiError::InvalidArgument {
        argument: "settings",
        reason: problem.into(),
    };
    let custom = match body.get("custom") {
        None | Some(Value::Null) => None,
        Some(Value::Object(custom)) => Some(custom),
        Some(_) => {
            return Err(ApiError::InvalidArgument {
                argument: "custom",
                reason: InvalidReason::NotObject,
            });
        }
    };
    let top = body
        .iter()
        .filter(|(key, _)| !IGNORED_IN_BODY.contains(&key.as_str()));
    let mut settings = Settings::new();
    for (key, value) in top.chain(custom.into_iter().flatten()) {
        if value.is_null() {
            continue;
        }
        settings::check_key(key).map_err(invalid)?;
        settings::check_value(key, value).map_err(invalid)?;
        if settings.insert(key.clone(), value.clone()).is_some() {
            return Err(invalid(SettingError::Twice(key.clone())));
        }
    }
    settings::check_all(&settings).map_err(invalid)?;
    Ok(settings)
}

/// Top-level fields of a settings body that are structure, not settings (the GETs write them).
const IGNORED_IN_BODY: [&str; 4] = ["_self", "custom", "global", "clients"];

/// `_self`, the documented settings of `level`, then `custom` with the rest.
fn split(self_path: String, level: &Settings) -> Map<String, Value> {
    let mut view = Map::new();
    view.insert("_self".into(), Value::String(self_path));
    let mut custom = Map::new();
    for (key, value) in level {
        if settings::is_documented(key) {
            view.insert(key.clone(), value.clone());
        } else {
            custom.insert(key.clone(), value.clone());
        }
    }
    view.insert("custom".into(), Value::Object(custom));
    view
}

fn client_view(app: &AppId, id: &str, own: &Settings, defaults: &Settings) -> Map<String, Value> {
    // A global-only key kept for the client (the legacy API can write one) does not apply there.
    let mut own = own.clone();
    own.retain(|key, _| !settings::is_global_only(key));
    let mut view = split(format!("/config/{app}/clients/{id}/settings"), &own);
    view.insert("global".into(), Value::Object(defaults.clone()));
    view
}

fn app_view(
    app: &AppId,
    defaults: &Settings,
    clients: Option<&[(ClientId, Settings)]>,
) -> Map<String, Value> {
    let mut view = split(format!("/config/{app}/settings"), defaults);
    if let Some(clients) = clients {
        let by_id = clients
            .iter()
            .map(|(id, own)| (id.to_string(), Value::Object(own.clone())))
            .collect();
        view.insert("clients".into(), Value::Object(by_id));
    }
    view
}

/// `true` or `false`, case ignored, as the service's framework reads a boolean query value.
fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" | "" => Some(false),
        _ => None,
    }
}
