//! The request journal and fault rules: `/__emulator/requests` and `/__emulator/faults`.

use axum::extract::{Json, RawQuery, State};
use axum::http::StatusCode;

use super::{ControlError, ControlJson, ControlPath, ErrorBody};
use crate::faults::{FaultRule, FaultSpec};
use crate::journal::Entry;
use crate::params::Params;
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/__emulator/requests",
    tag = "control",
    summary = "Recent requests to the emulated APIs, newest first",
    params(
        ("family" = Option<String>, Query, description = "legacy or config"),
        ("app_id" = Option<String>, Query, description = "Only this application"),
        ("client_id" = Option<String>, Query, description = "Only this calling client"),
        ("status" = Option<String>, Query, description = "Only this HTTP status (`404`) or class of statuses (`4xx`)"),
        ("outcome" = Option<String>, Query, description = "`ok` or `error`; a legacy `stat: error` answer (HTTP 200) is an error"),
        ("limit" = Option<usize>, Query, description = "At most this many")
    ),
    responses(
        (status = 200, description = "The entries", body = Vec<Entry>),
        (status = 400, description = "A bad filter", body = ErrorBody)
    )
)]
/// `GET /__emulator/requests`: recent requests to the emulated APIs, newest first. Filters:
/// `family` (`legacy` or `config`), `app_id`, `client_id`, `status` (`404` or `4xx`), `outcome`
/// (`ok` or `error`), `limit`.
pub async fn requests(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<Entry>>, ControlError> {
    let params = Params::parse(query.unwrap_or_default().as_bytes())?;
    let family = params.optional("family");
    if let Some(family) = family
        && family != "legacy"
        && family != "config"
    {
        return Err(ControlError::Invalid(
            "family must be legacy or config".into(),
        ));
    }
    let status = params
        .optional("status")
        .map(StatusFilter::parse)
        .transpose()?;
    let failed = match params.optional("outcome") {
        None => None,
        Some("ok") => Some(false),
        Some("error") => Some(true),
        Some(_) => return Err(ControlError::Invalid("outcome must be ok or error".into())),
    };
    let limit = params
        .optional("limit")
        .map(|raw| {
            raw.parse::<usize>()
                .map_err(|_| ControlError::Invalid("limit must be a whole number".into()))
        })
        .transpose()?
        .unwrap_or(usize::MAX);
    let app_id = params.optional("app_id");
    let client_id = params.optional("client_id");
    let mut entries = state.journal.newest_first(|entry| {
        family.is_none_or(|f| entry.family == f)
            && app_id.is_none_or(|a| entry.app_id.as_deref() == Some(a))
            && client_id.is_none_or(|c| entry.client_id.as_deref() == Some(c))
            && status.is_none_or(|s| s.matches(entry.status))
            && failed.is_none_or(|failed| entry.failed() == failed)
    });
    entries.truncate(limit);
    Ok(Json(entries))
}

/// A `status` filter: one status, or a class such as `4xx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatusFilter {
    Exactly(u16),
    Class(u16),
}

impl StatusFilter {
    fn parse(raw: &str) -> Result<Self, ControlError> {
        let invalid = || {
            ControlError::Invalid(
                "status must be a status such as 404, or a class such as 4xx".into(),
            )
        };
        match raw.as_bytes() {
            [digit @ b'1'..=b'5', b'x' | b'X', b'x' | b'X'] => {
                Ok(Self::Class(u16::from(digit - b'0')))
            }
            _ => raw.parse::<u16>().map(Self::Exactly).map_err(|_| invalid()),
        }
    }

    fn matches(self, status: u16) -> bool {
        match self {
            Self::Exactly(wanted) => status == wanted,
            Self::Class(class) => status / 100 == class,
        }
    }
}

#[utoipa::path(
    delete,
    path = "/__emulator/requests",
    tag = "control",
    summary = "Forget the journal",
    responses((status = 204, description = "Cleared"))
)]
/// `DELETE /__emulator/requests`: forgets the journal.
pub async fn clear_requests(State(state): State<AppState>) -> StatusCode {
    state.journal.clear();
    StatusCode::NO_CONTENT
}

#[utoipa::path(
    get,
    path = "/__emulator/faults",
    tag = "control",
    summary = "Pending fault rules",
    responses((status = 200, description = "The rules", body = Vec<FaultRule>))
)]
/// `GET /__emulator/faults`: the pending rules, with the uses they have left.
pub async fn faults(State(state): State<AppState>) -> Json<Vec<FaultRule>> {
    Json(state.faults.list())
}

#[utoipa::path(
    post,
    path = "/__emulator/faults",
    tag = "control",
    summary = "Add a fault rule",
    request_body = FaultSpec,
    responses(
        (status = 201, description = "The rule", body = FaultRule),
        (status = 400, description = "An invalid rule", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody)
    )
)]
/// `POST /__emulator/faults`: adds a rule; 201 with it.
pub async fn add_fault(
    State(state): State<AppState>,
    ControlJson(body): ControlJson,
) -> Result<(StatusCode, Json<FaultRule>), ControlError> {
    let rule = state.faults.add(&body).map_err(ControlError::Invalid)?;
    Ok((StatusCode::CREATED, Json(rule)))
}

#[utoipa::path(
    delete,
    path = "/__emulator/faults",
    tag = "control",
    summary = "Remove every fault rule",
    responses((status = 204, description = "Removed"))
)]
/// `DELETE /__emulator/faults`: removes every rule.
pub async fn clear_faults(State(state): State<AppState>) -> StatusCode {
    state.faults.clear();
    StatusCode::NO_CONTENT
}

#[utoipa::path(
    delete,
    path = "/__emulator/faults/{id}",
    tag = "control",
    summary = "Remove one fault rule",
    params(("id" = String, Path, description = "The rule's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such rule", body = ErrorBody)
    )
)]
/// `DELETE /__emulator/faults/{id}`: removes one rule.
pub async fn remove_fault(
    State(state): State<AppState>,
    ControlPath(id): ControlPath,
) -> Result<StatusCode, ControlError> {
    let found = id.parse::<u64>().is_ok_and(|id| state.faults.remove(id));
    if found {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ControlError::NotFound(format!("no fault rule {id}")))
    }
}
