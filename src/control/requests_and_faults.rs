//! The request journal and fault rules: `/__emulator/requests` and `/__emulator/faults`.

use std::time::Duration;

use axum::extract::{Json, RawQuery, State};
use axum::http::StatusCode;

use super::{ControlError, ControlJson, ControlPath, ErrorBody};
use crate::faults::{FaultRule, FaultSpec};
use crate::journal::{Entry, Query};
use crate::params::Params;
use crate::state::ServerState;

/// `GET /__emulator/requests`: recent requests to the emulated APIs, newest first. Filters:
/// `family` (`legacy` or `config`), `app_id`, `client_id`, `status` (`404` or `4xx`), `outcome`
/// (`ok` or `error`), `path` (exact, or a prefix ending in `*`), `method`, `since` (a request id:
/// only the entries after it), `limit`. With `wait_ms`, it waits (at most that long) until at
/// least `min` entries (default 1) match, for code that calls Janrain from a background job.
#[utoipa::path(
    get,
    path = "/__emulator/requests",
    summary = "Recent requests to the emulated APIs, newest first",
    params(
        ("family" = Option<String>, Query, description = "legacy or config"),
        ("app_id" = Option<String>, Query, description = "Only this application"),
        ("client_id" = Option<String>, Query, description = "Only this calling client"),
        ("status" = Option<String>, Query, description = "Only this HTTP status (`404`) or class of statuses (`4xx`)"),
        ("outcome" = Option<String>, Query, description = "`ok` or `error`; a legacy `stat: error` answer (HTTP 200) is an error"),
        ("path" = Option<String>, Query, description = "Only this path, or the paths under a prefix ending in `*`"),
        ("method" = Option<String>, Query, description = "Only this HTTP method"),
        ("since" = Option<String>, Query, description = "Only entries after the one with this request id"),
        ("wait_ms" = Option<u64>, Query, description = "Wait up to this long (at most 60000) for `min` entries to match"),
        ("min" = Option<usize>, Query, description = "With `wait_ms`: answer as soon as this many match (default 1)"),
        ("limit" = Option<usize>, Query, description = "At most this many")
    ),
    responses(
        (status = 200, description = "The entries", body = Vec<Entry>),
        (status = 400, description = "A bad filter", body = ErrorBody)
    )
)]
pub async fn requests(
    State(state): State<ServerState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<Entry>>, ControlError> {
    let params = Params::parse(query.unwrap_or_default().as_bytes())?;
    let filter = EntryFilter::parse(&params)?;
    let whole = |name: &str| {
        params
            .optional(name)
            .map(|raw| {
                raw.parse::<u64>()
                    .map_err(|_| ControlError::Invalid(format!("{name} must be a whole number")))
            })
            .transpose()
    };
    let limit = whole("limit")?.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let wait_ms = whole("wait_ms")?;
    if wait_ms.is_some_and(|ms| ms > MAX_WAIT_MS) {
        return Err(ControlError::Invalid(format!(
            "wait_ms must be at most {MAX_WAIT_MS}"
        )));
    }
    let min = match whole("min")? {
        Some(_) if wait_ms.is_none() => {
            return Err(ControlError::Invalid("min needs wait_ms".into()));
        }
        Some(0) => return Err(ControlError::Invalid("min must be 1 or more".into())),
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        None => 1,
    };
    let query = Query {
        app_id: params.optional("app_id"),
        since: params.optional("since"),
    };
    let read = || {
        state
            .journal
            .newest_first(&query, |entry| filter.keeps(entry))
            .map_err(|e| ControlError::Invalid(e.to_string()))
    };
    let deadline = tokio::time::Instant::now() + Duration::from_millis(wait_ms.unwrap_or(0));
    let mut entries = loop {
        // Registered before the read, so that an entry recorded in between still wakes it.
        let mut arrival = state.journal.arrival();
        arrival.enable();
        let entries = read()?;
        if entries.len() >= min || tokio::time::Instant::now() >= deadline {
            break entries;
        }
        let _ = tokio::time::timeout_at(deadline, arrival).await;
    };
    entries.truncate(limit);
    Ok(Json(entries))
}

/// The longest `wait_ms` of `GET /__emulator/requests`.
pub const MAX_WAIT_MS: u64 = 60_000;

/// The filters of `GET /__emulator/requests` that look at one entry.
struct EntryFilter<'a> {
    family: Option<&'a str>,
    client_id: Option<&'a str>,
    status: Option<StatusFilter>,
    failed: Option<bool>,
    path: Option<&'a str>,
    method: Option<String>,
}

impl<'a> EntryFilter<'a> {
    fn parse(params: &'a Params) -> Result<Self, ControlError> {
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
        let path = params.optional("path");
        if path.is_some_and(|p| !p.starts_with('/')) {
            return Err(ControlError::Invalid(
                "path must start with /, and may end in * for a prefix".into(),
            ));
        }
        let method = params.optional("method").map(str::to_ascii_uppercase);
        Ok(Self {
            family,
            client_id: params.optional("client_id"),
            status,
            failed,
            path,
            method,
        })
    }

    fn keeps(&self, entry: &Entry) -> bool {
        let path_matches = |wanted: &str| match wanted.strip_suffix('*') {
            Some(prefix) => entry.path.starts_with(prefix),
            None => entry.path == wanted,
        };
        self.family.is_none_or(|f| entry.family == f)
            && self
                .client_id
                .is_none_or(|c| entry.client_id.as_deref() == Some(c))
            && self.status.is_none_or(|s| s.matches(entry.status))
            && self.failed.is_none_or(|failed| entry.failed() == failed)
            && self.path.is_none_or(path_matches)
            && self.method.as_deref().is_none_or(|m| entry.method == m)
    }
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

/// `DELETE /__emulator/requests`: forgets the journal.
#[utoipa::path(
    delete,
    path = "/__emulator/requests",
    summary = "Forget the journal",
    responses((status = 204, description = "Cleared"))
)]
pub async fn clear_requests(State(state): State<ServerState>) -> StatusCode {
    state.journal.clear();
    StatusCode::NO_CONTENT
}

/// `GET /__emulator/faults`: the pending rules, with the uses they have left.
#[utoipa::path(
    get,
    path = "/__emulator/faults",
    summary = "Pending fault rules",
    responses((status = 200, description = "The rules", body = Vec<FaultRule>))
)]
pub async fn faults(State(state): State<ServerState>) -> Json<Vec<FaultRule>> {
    Json(state.faults.list())
}

/// `POST /__emulator/faults`: adds a rule; 201 with it.
#[utoipa::path(
    post,
    path = "/__emulator/faults",
    summary = "Add a fault rule",
    request_body = FaultSpec,
    responses(
        (status = 201, description = "The rule", body = FaultRule),
        (status = 400, description = "An invalid rule", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody)
    )
)]
pub async fn add_fault(
    State(state): State<ServerState>,
    ControlJson(body): ControlJson,
) -> Result<(StatusCode, Json<FaultRule>), ControlError> {
    // An application that does not exist is refused: its rule could never fire.
    if let Some(app) = body.get("app_id").and_then(|v| v.as_str()) {
        let known = crate::model::AppId::parse(app)
            .ok()
            .is_some_and(|id| state.store.app_summary(&id).is_ok());
        if !known {
            return Err(ControlError::Invalid(format!(
                "app_id: no application {app}"
            )));
        }
    }
    let rule = state.faults.add(&body).map_err(ControlError::Invalid)?;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// `DELETE /__emulator/faults`: removes every rule.
#[utoipa::path(
    delete,
    path = "/__emulator/faults",
    summary = "Remove every fault rule",
    responses((status = 204, description = "Removed"))
)]
pub async fn clear_faults(State(state): State<ServerState>) -> StatusCode {
    state.faults.clear();
    StatusCode::NO_CONTENT
}

/// `DELETE /__emulator/faults/{id}`: removes one rule.
#[utoipa::path(
    delete,
    path = "/__emulator/faults/{id}",
    summary = "Remove one fault rule",
    params(("id" = String, Path, description = "The rule's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such rule", body = ErrorBody)
    )
)]
pub async fn remove_fault(
    State(state): State<ServerState>,
    ControlPath(id): ControlPath,
) -> Result<StatusCode, ControlError> {
    let found = id.parse::<u64>().is_ok_and(|id| state.faults.remove(id));
    if found {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ControlError::NotFound(format!("no fault rule {id}")))
    }
}
