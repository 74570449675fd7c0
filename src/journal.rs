//! The request journal and the per-request context that feeds it.
//!
//! Every request gets an id (sent back as `X-Request-Id`, and the legacy envelope's
//! `request_id`). Requests to the emulated APIs are recorded, newest last, in a bounded ring:
//! method, path (never the query string, which may carry `client_secret`), application, calling
//! client, status, and for failures the reason. Secrets, signatures and `Authorization` headers
//! are never recorded.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

use crate::app::{AppState, Family};

/// The response header that carries the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

tokio::task_local! {
    static CONTEXT: Arc<RequestContext>;
}

/// What the handling of one request learns about it, for the journal.
#[derive(Debug, Default)]
pub struct RequestContext {
    id: String,
    note: Mutex<Note>,
}

#[derive(Debug, Default, Clone)]
struct Note {
    app_id: Option<String>,
    client_id: Option<String>,
    legacy_code: Option<u16>,
    error: Option<String>,
    detail: Option<String>,
    fault: bool,
}

fn with_note(update: impl FnOnce(&mut Note)) {
    let _ = CONTEXT.try_with(|context| {
        let mut note = context
            .note
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        update(&mut note);
    });
}

/// The id of the request being handled on this task. Outside a request (a renderer used on its
/// own) a fresh id is made, so that an envelope always has one.
pub fn request_id() -> String {
    CONTEXT
        .try_with(|context| context.id.clone())
        .unwrap_or_else(|_| crate::ids::unseeded_token(crate::ids::REQUEST_ID_LEN))
}

/// Notes the client a request claims to be from.
pub fn note_client(client_id: &str) {
    with_note(|note| note.client_id = Some(client_id.to_owned()));
}

/// Notes the application a request is for.
pub fn note_app(app_id: &str) {
    with_note(|note| note.app_id = Some(app_id.to_owned()));
}

/// Notes how a request failed: the legacy code if any, the error name, and why.
pub fn note_failure(legacy_code: Option<u16>, error: &str, detail: String) {
    with_note(|note| {
        note.legacy_code = legacy_code;
        note.error = Some(error.to_owned());
        note.detail = Some(detail);
    });
}

/// Notes that an injected fault answered the request.
pub fn note_fault() {
    with_note(|note| note.fault = true);
}

/// One recorded request.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Entry {
    /// The request id.
    pub request_id: String,
    /// When it arrived (RFC 3339, the emulator's clock). Kept as an instant and formatted only
    /// when the journal is read.
    #[serde(serialize_with = "serialize_rfc3339")]
    #[schema(value_type = String)]
    pub time: SystemTime,
    /// `legacy` or `config`.
    #[schema(value_type = String)]
    pub family: &'static str,
    /// The HTTP method.
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The application it was for, when known.
    pub app_id: Option<String>,
    /// The client it claimed to come from, when known.
    pub client_id: Option<String>,
    /// The HTTP status of the response.
    pub status: u16,
    /// For a legacy error, the Registration error code (the HTTP status is 200).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legacy_code: Option<u16>,
    /// For a failure, the error name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// For a failure, why (credential failures say which rule failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Whether an injected fault answered it.
    pub fault: bool,
    /// How long it took, in milliseconds.
    pub duration_ms: f64,
}

/// The bounded journal of recent requests.
#[derive(Debug)]
pub struct Journal {
    entries: Mutex<VecDeque<Entry>>,
    capacity: usize,
}

impl Journal {
    /// A journal that keeps the last `capacity` requests (none if zero).
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(VecDeque::with_capacity(capacity.min(4096))),
            capacity,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds an entry, dropping the oldest when full.
    pub fn record(&self, entry: Entry) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.lock();
        while entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// The entries that `keep` accepts, newest first.
    pub fn newest_first(&self, keep: impl Fn(&Entry) -> bool) -> Vec<Entry> {
        self.lock()
            .iter()
            .rev()
            .filter(|e| keep(e))
            .cloned()
            .collect()
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        self.lock().clear();
    }
}

/// Middleware: gives the request its id, records it in the journal once answered, and sets the
/// `X-Request-Id` header.
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let id = state.store.ids().request_id();
    tracing::Span::current().record("request_id", id.as_str());
    let family = Family::of(request.uri().path());
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let arrived = state.store.now();
    let started = Instant::now();
    let context = Arc::new(RequestContext {
        id: id.clone(),
        note: Mutex::new(Note::default()),
    });
    let mut response = CONTEXT.scope(context.clone(), next.run(request)).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    if let Some(family) = family.journal_name() {
        let note = context
            .note
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        state.journal.record(Entry {
            request_id: id,
            time: arrived,
            family,
            method,
            path,
            app_id: note.app_id,
            client_id: note.client_id,
            status: response.status().as_u16(),
            legacy_code: note.legacy_code,
            error: note.error,
            detail: note.detail,
            fault: note.fault,
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        });
    }
    response
}

fn serialize_rfc3339<S: serde::Serializer>(
    at: &SystemTime,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&crate::clock::rfc3339(*at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: usize) -> Entry {
        Entry {
            request_id: n.to_string(),
            time: SystemTime::UNIX_EPOCH,
            family: "legacy",
            method: "POST".into(),
            path: "/clients/list".into(),
            app_id: None,
            client_id: None,
            status: 200,
            legacy_code: None,
            error: None,
            detail: None,
            fault: false,
            duration_ms: 0.0,
        }
    }

    #[test]
    fn the_journal_is_bounded_and_newest_first() {
        let journal = Journal::new(3);
        for n in 0..5 {
            journal.record(entry(n));
        }
        let ids: Vec<_> = journal
            .newest_first(|_| true)
            .into_iter()
            .map(|e| e.request_id)
            .collect();
        assert_eq!(ids, ["4", "3", "2"]);
        journal.clear();
        assert!(journal.newest_first(|_| true).is_empty());
        let off = Journal::new(0);
        off.record(entry(1));
        assert!(off.newest_first(|_| true).is_empty());
    }
}
