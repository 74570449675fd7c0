//! The request journal: the bounded ring of recent requests and its queries. What each entry
//! holds is gathered by the request's context (`context`).
//!
//! Every request gets an id (sent back as `X-Request-Id`, and the legacy envelope's
//! `request_id`). Requests to the emulated APIs are recorded, newest last, in a bounded ring:
//! method, path (never the raw query string, which may carry `client_secret`), application,
//! calling client, status, for failures the reason, and the parameters the request carried
//! (legacy query and form parameters; Configuration API query parameters and JSON body fields).
//! A parameter whose name speaks of a secret, a password or a token is recorded as
//! `[hidden]`, at any depth; signatures and `Authorization` headers are never recorded. Long
//! values are cut, and at most [`MAX_PARAMS`] parameters are kept, so an entry stays small
//! whatever the request carried.

mod context;
mod fields;

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use foldhash::HashMap;
use serde::Serialize;
use serde_json::Value;

pub use context::{
    FAULT_DETAIL, Failure, Observed, RequestContext, note_app, note_client, note_fault, note_json,
    note_params, request_id,
};
pub use fields::Fields;

/// The response header that carries the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

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
    pub method: Cow<'static, str>,
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
    /// The parameters it carried, by name: legacy query and form parameters as sent (a name
    /// given twice has the list of its values); Configuration API query parameters and body
    /// fields. Secrets are `"(hidden)"`; long values are cut.
    #[schema(value_type = Object)]
    pub params: Fields,
}

impl Entry {
    /// Whether the request failed: an HTTP error status, or a legacy `stat: error` envelope.
    pub fn failed(&self) -> bool {
        self.status >= 400 || self.legacy_code.is_some()
    }
}

/// The most bytes (estimated) the whole journal keeps, whatever the number of applications.
pub const BUDGET_BYTES: usize = 32 * 1024 * 1024;

/// The journal of recent requests: up to `capacity` entries per application (requests of no
/// known application count as one more), within [`BUDGET_BYTES`] in all. When the whole journal
/// is over its budget, the application holding the most gives up its oldest entry first, so that
/// a busy neighbour never evicts the entries another test is about to read.
#[derive(Debug)]
pub struct Journal {
    rings: Mutex<Rings>,
    capacity: usize,
    budget: usize,
    /// Woken at every new entry, for the long-poll of `GET /__emulator/requests`.
    arrived: tokio::sync::Notify,
    /// How many long-polls wait for an entry ([`Arrival`]s alive).
    waiting: AtomicUsize,
}

/// A wait for the next entry: [`Journal::arrival`]. While it lives, each new entry notifies.
pub struct Arrival<'a> {
    notified: std::pin::Pin<Box<tokio::sync::futures::Notified<'a>>>,
    waiting: &'a AtomicUsize,
}

impl Arrival<'_> {
    /// Starts listening now, before the journal is read.
    pub fn enable(&mut self) {
        self.notified.as_mut().enable();
    }
}

impl std::future::Future for Arrival<'_> {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        self.notified.as_mut().poll(cx)
    }
}

impl Drop for Arrival<'_> {
    fn drop(&mut self) {
        self.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Debug, Default)]
struct Rings {
    /// The sequence number of the next entry: the order of entries across applications.
    next: u64,
    /// The estimated size of every entry kept.
    bytes: usize,
    by_app: HashMap<Option<String>, Ring>,
}

#[derive(Debug, Default)]
struct Ring {
    entries: VecDeque<Kept>,
    bytes: usize,
}

#[derive(Debug)]
struct Kept {
    seq: u64,
    size: usize,
    entry: Entry,
}

/// What `GET /__emulator/requests` asks of the journal, besides its own filters.
#[derive(Debug, Default, Clone)]
pub struct Query<'a> {
    /// Only this application's entries.
    pub app_id: Option<&'a str>,
    /// Only entries after the one with this request id.
    pub since: Option<&'a str>,
}

/// `since` names no entry the journal holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("since names no request the journal holds (it may have been evicted or cleared)")]
pub struct UnknownSince;

impl Journal {
    /// A journal that keeps the last `capacity` requests of each application (none if zero),
    /// within [`BUDGET_BYTES`].
    pub fn new(capacity: usize) -> Self {
        Self::with_budget(capacity, BUDGET_BYTES)
    }

    /// [`Journal::new`] with another total budget, in bytes.
    pub fn with_budget(capacity: usize, budget: usize) -> Self {
        Self {
            rings: Mutex::new(Rings::default()),
            capacity,
            budget,
            arrived: tokio::sync::Notify::new(),
            waiting: AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Rings> {
        self.rings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds an entry, dropping its application's oldest when that one is full, and the largest
    /// application's oldest while the journal is over its budget.
    pub fn record(&self, entry: Entry) {
        if self.capacity == 0 {
            return;
        }
        let size = estimated_size(&entry);
        // What the entry pushes out is dropped once the lock is released: its memory is cold, and
        // the other threads' requests wait for the lock meanwhile.
        let mut pushed_out = None;
        let mut over_budget = Vec::new();
        {
            let mut rings = self.lock();
            let rings = &mut *rings;
            let seq = rings.next;
            rings.next += 1;
            // The application's ring is found by reference: a key is copied only for a new one.
            if !rings.by_app.contains_key(&entry.app_id) {
                rings.by_app.insert(entry.app_id.clone(), Ring::default());
            }
            let Some(ring) = rings.by_app.get_mut(&entry.app_id) else {
                return;
            };
            while ring.entries.len() >= self.capacity {
                if let Some(old) = ring.entries.pop_front() {
                    ring.bytes -= old.size;
                    rings.bytes -= old.size;
                    over_budget.extend(pushed_out.replace(old));
                }
            }
            ring.entries.push_back(Kept { seq, size, entry });
            ring.bytes += size;
            rings.bytes += size;
            // The budget takes from rings of two entries or more, so that no ring is ever left
            // empty: the map holds no application without entries.
            while rings.bytes > self.budget {
                let Some(largest) = rings
                    .by_app
                    .values_mut()
                    .filter(|ring| ring.entries.len() > 1)
                    .max_by_key(|ring| ring.bytes)
                else {
                    break;
                };
                if let Some(old) = largest.entries.pop_front() {
                    largest.bytes -= old.size;
                    rings.bytes -= old.size;
                    over_budget.push(old);
                }
            }
        }
        drop((pushed_out, over_budget));
        // Nearly always nobody waits: then the notification's own lock is not taken. A waiter
        // counts itself before it reads the journal (see `Arrival`), and this count is read after
        // the entry is in: either the waiter's read sees the entry or this sees the waiter.
        if self.waiting.load(Ordering::SeqCst) > 0 {
            self.arrived.notify_waiters();
        }
    }

    /// The entries that `query` and `keep` accept, newest first.
    pub fn newest_first(
        &self,
        query: &Query<'_>,
        keep: impl Fn(&Entry) -> bool,
    ) -> Result<Vec<Entry>, UnknownSince> {
        let rings = self.lock();
        let after = match query.since {
            None => None,
            Some(id) => Some(
                rings
                    .by_app
                    .values()
                    .flat_map(|ring| ring.entries.iter())
                    .find(|kept| kept.entry.request_id == id)
                    .map(|kept| kept.seq)
                    .ok_or(UnknownSince)?,
            ),
        };
        let mut found: Vec<&Kept> = match query.app_id {
            Some(app) => rings
                .by_app
                .get(&Some(app.to_owned()))
                .map(|ring| ring.entries.iter().collect())
                .unwrap_or_default(),
            None => rings
                .by_app
                .values()
                .flat_map(|ring| ring.entries.iter())
                .collect(),
        };
        found.retain(|kept| after.is_none_or(|after| kept.seq > after) && keep(&kept.entry));
        found.sort_unstable_by_key(|kept| std::cmp::Reverse(kept.seq));
        Ok(found.into_iter().map(|kept| kept.entry.clone()).collect())
    }

    /// A future that completes when the next entry is recorded. A long-poll enables it before it
    /// reads the journal, so that an entry recorded in between still wakes it, and bounds the
    /// wait itself.
    pub fn arrival(&self) -> Arrival<'_> {
        // Counted before anything is read, so that `record` knows to notify (see there).
        self.waiting.fetch_add(1, Ordering::SeqCst);
        Arrival {
            notified: Box::pin(self.arrived.notified()),
            waiting: &self.waiting,
        }
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        let mut rings = self.lock();
        rings.by_app.clear();
        rings.bytes = 0;
    }
}

/// About what an entry takes in memory: its strings, and its parameters' names and values.
fn estimated_size(entry: &Entry) -> usize {
    fn value_size(value: &Value) -> usize {
        match value {
            Value::String(text) => text.len() + 24,
            Value::Array(items) => items.iter().map(value_size).sum::<usize>() + 24,
            Value::Object(map) => {
                map.iter()
                    .map(|(k, v)| k.len() + value_size(v))
                    .sum::<usize>()
                    + 48
            }
            _ => 16,
        }
    }
    std::mem::size_of::<Kept>()
        + entry.request_id.len()
        + entry.method.len()
        + entry.path.len()
        + entry.app_id.as_ref().map_or(0, String::len)
        + entry.client_id.as_ref().map_or(0, String::len)
        + entry.error.as_ref().map_or(0, String::len)
        + entry.detail.as_ref().map_or(0, String::len)
        + entry
            .params
            .iter()
            .map(|(k, v)| k.len() + value_size(v))
            .sum::<usize>()
}

fn serialize_rfc3339<S: serde::Serializer>(
    at: &SystemTime,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&crate::clock::rfc3339(*at))
}

#[cfg(test)]
mod tests;
