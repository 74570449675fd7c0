//! `GET /__emulator/snapshot` and `POST /__emulator/reset`.

use axum::extract::{Json, State};

use super::{ControlError, ErrorBody, Status, ok};
use crate::body::RenderedJson;
use crate::fixture;
use crate::state::ServerState;
use crate::store::AppSnapshot;

control! {
    [get "/__emulator/snapshot", "The whole state, in the fixture format",
        responses((status = 200, description = "{\"apps\": [...]}", body = Object))]
    /// The whole state in the fixture format, ready for `--import`; previous secrets still in their
    /// grace period included.
    pub async fn snapshot(State(state): State<ServerState>) -> RenderedJson {
        let shared = state.store.app_snapshots();
        let views: Vec<_> = shared.iter().map(AppSnapshot::view).collect();
        let bytes = fixture::write_document(&views, state.store.now());
        RenderedJson(bytes.into())
    }
}

control! {
    [post "/__emulator/reset", "Back to the state at start",
        responses(
            (status = 200, description = "Reset", body = Status),
            (status = 500, description = "The state file could not be written", body = ErrorBody)
        )]
    /// Back to the state at start (imported or bootstrapped), atomically; with a state file, the
    /// file too. The journal and pending faults are kept: they have their own `DELETE`.
    pub async fn reset(State(state): State<ServerState>) -> Result<Json<Status>, ControlError> {
        state.store.reset()?;
        Ok(ok())
    }
}
