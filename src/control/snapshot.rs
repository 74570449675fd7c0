//! `GET /__emulator/snapshot` and `POST /__emulator/reset`.

use axum::extract::{Json, State};

use super::{ControlError, ErrorBody, Status, ok};
use crate::body::RenderedJson;
use crate::fixture;
use crate::state::ServerState;
use crate::store::AppSnapshot;

/// The whole state in the fixture format, ready for `--import`; previous secrets still in their
/// grace period included.
#[utoipa::path(
    get,
    path = "/__emulator/snapshot",
    summary = "The whole state, in the fixture format",
    responses((status = 200, description = "{\"apps\": [...]}", body = Object))
)]
pub async fn snapshot(State(state): State<ServerState>) -> RenderedJson {
    let shared = state.store.app_snapshots();
    let views: Vec<_> = shared.iter().map(AppSnapshot::view).collect();
    let bytes = fixture::write_document(&views, state.store.now());
    RenderedJson(bytes.into())
}

/// Back to the state at start (imported or bootstrapped), atomically; with a state file, the
/// file too. The journal and pending faults are kept: they have their own `DELETE`.
#[utoipa::path(
    post,
    path = "/__emulator/reset",
    summary = "Back to the state at start",
    responses(
        (status = 200, description = "Reset", body = Status),
        (status = 500, description = "The state file could not be written", body = ErrorBody)
    )
)]
pub async fn reset(State(state): State<ServerState>) -> Result<Json<Status>, ControlError> {
    state.store.reset()?;
    Ok(ok())
}
