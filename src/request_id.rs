//! One id per request: sent back as `X-Request-Id` and used as the legacy envelope's
//! `request_id`, so a failing call can be matched to its log line.

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

use crate::app::AppState;

/// The response header that carries the id.
pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled on this task. Outside a request (a renderer used on its
/// own, in a unit test) a fresh id is made so the envelope still has one.
pub fn current() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| crate::ids::unseeded_token(crate::ids::REQUEST_ID_LEN))
}

/// Middleware: assigns the id, records it on the request's tracing span, and sets the header.
pub async fn assign(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let id = state.store.ids().request_id();
    tracing::Span::current().record("request_id", id.as_str());
    let mut response = REQUEST_ID.scope(id.clone(), next.run(request)).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}
