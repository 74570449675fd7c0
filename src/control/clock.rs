//! `GET` and `POST /__emulator/clock`: the time everything runs on, moved without sleeping.

use std::time::Duration;

use axum::extract::{Json, State};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::apps::AppInPath;
use super::{ControlError, ControlJson, ErrorBody};
use crate::clock::{ClockChange, ClockReading, parse_rfc3339, rfc3339};
use crate::state::ServerState;

/// What the clock shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClockShown {
    /// The current instant, RFC 3339 in UTC.
    now: String,
    /// Whether it is the real clock, unmoved and running.
    system: bool,
    /// Whether it stands still.
    frozen: bool,
}

impl From<ClockReading> for ClockShown {
    fn from(reading: ClockReading) -> Self {
        Self {
            now: rfc3339(reading.now),
            system: reading.system,
            frozen: reading.frozen,
        }
    }
}

/// `GET /__emulator/clock`.
#[utoipa::path(
    get,
    path = "/__emulator/clock",
    summary = "The emulator's time",
    responses((status = 200, description = "The clock", body = ClockShown))
)]
pub async fn get(State(state): State<ServerState>) -> Json<ClockShown> {
    Json(state.clock.reading().into())
}

/// The fields `POST /__emulator/clock` takes; given together they apply in this order.
const FIELDS: [&str; 4] = ["system", "set", "advance_secs", "freeze"];

/// `POST /__emulator/clock`. Grace periods, the `janrain-signed` date window and journal
/// timestamps all follow it.
#[utoipa::path(
    post,
    path = "/__emulator/clock",
    summary = "Move, set or freeze the emulator's time",
    request_body(content = Object, description = "Any of, applied in this order: `{\"system\": true}` back to the real clock, `{\"set\": \"<RFC 3339>\"}`, `{\"advance_secs\": N}` forward, `{\"freeze\": true|false}`"),
    responses(
        (status = 200, description = "The clock as it now is", body = ClockShown),
        (status = 400, description = "A field the clock cannot take", body = ErrorBody)
    )
)]
pub async fn post(
    State(state): State<ServerState>,
    ControlJson(body): ControlJson,
) -> Result<Json<ClockShown>, ControlError> {
    let change = change_in(&body)?;
    let clock = &state.clock;
    clock.apply(change);
    Ok(Json(clock.reading().into()))
}

/// `GET /__emulator/apps/{appId}/clock`: the application's clock; `system` is true while it
/// follows the emulator's clock unmoved.
#[utoipa::path(
    get,
    path = "/__emulator/apps/{app_id}/clock",
    summary = "One application's time",
    params(("app_id" = String, Path, description = "The application id")),
    responses(
        (status = 200, description = "Its clock: `system` when it follows the emulator's", body = ClockShown),
        (status = 404, description = "No such application", body = ErrorBody)
    )
)]
pub async fn app_get(
    State(state): State<ServerState>,
    AppInPath(app): AppInPath,
) -> Result<Json<ClockShown>, ControlError> {
    let reading = state.store.app_clock(&app)?;
    Ok(Json(reading.into()))
}

/// `POST /__emulator/apps/{appId}/clock`: moves that application's clock alone. Its grace
/// periods, its signature window and its journal entries follow it; moving the emulator's clock
/// moves it too, unless it is frozen.
#[utoipa::path(
    post,
    path = "/__emulator/apps/{app_id}/clock",
    summary = "Move, set or freeze one application's time",
    params(("app_id" = String, Path, description = "The application id")),
    request_body(content = Object, description = "As `POST /__emulator/clock`; `{\"system\": true}` makes it follow the emulator's clock again"),
    responses(
        (status = 200, description = "Its clock as it now is", body = ClockShown),
        (status = 400, description = "A field the clock cannot take", body = ErrorBody),
        (status = 404, description = "No such application", body = ErrorBody)
    )
)]
pub async fn app_post(
    State(state): State<ServerState>,
    AppInPath(app): AppInPath,
    ControlJson(body): ControlJson,
) -> Result<Json<ClockShown>, ControlError> {
    let change = change_in(&body)?;
    let reading = state.store.change_app_clock(&app, change)?;
    Ok(Json(reading.into()))
}

/// The change a clock body asks for; everything is read before anything moves, so a bad field
/// changes nothing.
fn change_in(body: &serde_json::Map<String, Value>) -> Result<ClockChange, ControlError> {
    let invalid = |text: &str| ControlError::Invalid(text.to_owned());
    if let Some(unknown) = body.keys().find(|key| !FIELDS.contains(&key.as_str())) {
        return Err(ControlError::Invalid(format!(
            "{unknown} is not a clock field: give system, set, advance_secs or freeze"
        )));
    }
    if body.is_empty() {
        return Err(invalid(
            "nothing to do: give system, set, advance_secs or freeze",
        ));
    }
    let system = match body.get("system") {
        None => false,
        Some(Value::Bool(true)) => true,
        Some(_) => return Err(invalid("system must be true")),
    };
    let set = match body.get("set") {
        None => None,
        Some(Value::String(text)) => Some(parse_rfc3339(text).ok_or_else(|| {
            invalid("set must be an RFC 3339 instant, such as 2030-01-01T00:00:00Z")
        })?),
        Some(_) => return Err(invalid("set must be an RFC 3339 instant")),
    };
    let advance = match body.get("advance_secs") {
        None => None,
        Some(value) => Some(
            value
                .as_f64()
                .filter(|secs| secs.is_finite() && *secs >= 0.0 && *secs <= 1e12)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| invalid("advance_secs must be a number of seconds, 0 or more"))?,
        ),
    };
    let freeze = match body.get("freeze") {
        None => None,
        Some(Value::Bool(flag)) => Some(*flag),
        Some(_) => return Err(invalid("freeze must be true or false")),
    };
    Ok(ClockChange {
        system,
        set,
        advance,
        freeze,
    })
}
