//! The request journal and the per-request context that feeds it.
//!
//! Every request gets an id (sent back as `X-Request-Id`, and the legacy envelope's
//! `request_id`). Requests to the emulated APIs are recorded, newest last, in a bounded ring:
//! method, path (never the raw query string, which may carry `client_secret`), application,
//! calling client, status, for failures the reason, and the parameters the request carried
//! (legacy query and form parameters; Configuration API query parameters and JSON body fields).
//! A parameter whose name speaks of a secret, a password or a token is recorded as
//! [`HIDDEN`], at any depth; signatures and `Authorization` headers are never recorded. Long
//! values are cut, and at most [`MAX_PARAMS`] parameters are kept, so an entry stays small
//! whatever the request carried.

use std::borrow::Cow;
use std::collections::VecDeque;

mod fields;
pub use fields::Fields;

use foldhash::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde::Serialize;
use serde_json::{Map, Value};

/// The response header that carries the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

pub use crate::redact::HIDDEN;
use crate::redact::{hide_secret_fields, is_secret_name, shown_params};

/// The most parameters one entry keeps.
pub const MAX_PARAMS: usize = 32;

/// The longest value kept, in characters (a longer one is cut and ends in `…`); a structured
/// JSON value longer than this once written out is kept as its cut text.
pub const MAX_VALUE_CHARS: usize = 512;

tokio::task_local! {
    /// The context of the request being handled on this task; `None` inside a request that is
    /// not observed (`RequestContext::unobserved`).
    static CONTEXT: Option<Arc<RequestContext>>;
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
    fault: bool,
    params: Fields,
}

fn with_note(update: impl FnOnce(&mut Note)) {
    let _ = CONTEXT.try_with(|context| {
        if let Some(context) = context {
            let mut note = context
                .note
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            update(&mut note);
        }
    });
}

/// The id of the request being handled on this task. Outside a request (a renderer used on its
/// own) a fresh id is made, so that an envelope always has one.
pub fn request_id() -> String {
    CONTEXT
        .try_with(|context| context.as_ref().map(|context| context.id.clone()))
        .ok()
        .flatten()
        .unwrap_or_else(|| crate::ids::unseeded_token(crate::ids::REQUEST_ID_LEN))
}

/// Notes the client a request claims to be from.
pub fn note_client(client_id: &str) {
    with_note(|note| note.client_id = Some(client_id.to_owned()));
}

/// Notes the application a request is for.
pub fn note_app(app_id: &str) {
    with_note(|note| note.app_id = Some(app_id.to_owned()));
}

/// The `detail` of a request that a fault rule answered with an error.
pub const FAULT_DETAIL: &str = "answered by a fault rule";

/// Notes that an injected fault answered the request.
pub fn note_fault() {
    with_note(|note| note.fault = true);
}

/// Notes URL-encoded parameters (a query string, a form body, or both merged). A name given more
/// than once is recorded as the list of its values.
pub fn note_params<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) {
    with_note(|note| {
        let pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
        let mut repeated = Fields::default();
        for (name, value) in shown_params(&pairs) {
            let room = repeated.len() < MAX_PARAMS;
            match repeated.get_mut(name) {
                Some(Value::Array(values)) => values.push(Value::String(value.into_owned())),
                Some(single) => {
                    let first = single.take();
                    *single = Value::Array(vec![first, Value::String(value.into_owned())]);
                }
                None if room => repeated.insert(name.to_owned(), Value::String(value.into_owned())),
                None => {}
            }
        }
        for (name, value) in repeated {
            keep_param(&mut note.params, name, value);
        }
    });
}

/// Notes the fields of a JSON body.
pub fn note_json(body: &Map<String, Value>) {
    with_note(|note| {
        note.params.reserve(body.len().min(MAX_PARAMS));
        for (name, value) in body {
            keep_param(&mut note.params, name.clone(), value.clone());
        }
    });
}

fn keep_param(params: &mut Fields, name: String, value: Value) {
    if params.len() >= MAX_PARAMS && !params.contains_key(&name) {
        return;
    }
    let value = if is_secret_name(&name) {
        Value::String(HIDDEN.into())
    } else {
        bounded(hide_secret_fields(value))
    };
    params.insert(cut(name), value);
}

fn bounded(value: Value) -> Value {
    match value {
        Value::String(text) => Value::String(cut(text)),
        // Written out only when too long to keep as it is, which its length tells without
        // writing it; counted only when a bound from its texts' bytes leaves it in doubt.
        Value::Array(_) | Value::Object(_)
            if json_chars_at_most(&value) > MAX_VALUE_CHARS
                && json_chars(&value) > MAX_VALUE_CHARS =>
        {
            Value::String(cut(value.to_string()))
        }
        other => other,
    }
}

/// At least as many characters as `value` takes written as compact JSON ([`json_chars`]), from
/// the byte lengths of its texts alone: a byte is at most one character, written as at most six
/// (`\u00XX`), and no number is written longer than 24.
fn json_chars_at_most(value: &Value) -> usize {
    let text = |text: &str| 2 + 6 * text.len();
    match value {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => 24,
        Value::String(s) => text(s),
        Value::Array(items) => {
            2 + items.len() + items.iter().map(json_chars_at_most).sum::<usize>()
        }
        Value::Object(fields) => {
            2 + fields.len()
                + fields
                    .iter()
                    .map(|(name, value)| text(name) + 1 + json_chars_at_most(value))
                    .sum::<usize>()
        }
    }
}

/// How many characters `value` takes written as compact JSON (as `Value::to_string` writes it).
fn json_chars(value: &Value) -> usize {
    let text = |text: &str| {
        2 + text
            .chars()
            .map(|c| match c {
                '"' | '\\' | '\u{8}' | '\u{c}' | '\n' | '\r' | '\t' => 2,
                c if c < ' ' => 6,
                _ => 1,
            })
            .sum::<usize>()
    };
    let commas = |n: usize| n.saturating_sub(1);
    match value {
        Value::Null | Value::Bool(true) => 4,
        Value::Bool(false) => 5,
        Value::Number(n) => n.to_string().len(),
        Value::String(s) => text(s),
        Value::Array(items) => {
            2 + commas(items.len()) + items.iter().map(json_chars).sum::<usize>()
        }
        Value::Object(fields) => {
            2 + commas(fields.len())
                + fields
                    .iter()
                    .map(|(name, value)| text(name) + 1 + json_chars(value))
                    .sum::<usize>()
        }
    }
}

/// `text`, or its first [`MAX_VALUE_CHARS`] characters and `…`; a short text is kept as it is,
/// without a copy.
fn cut(mut text: String) -> String {
    if let Some((at, _)) = text.char_indices().nth(MAX_VALUE_CHARS) {
        text.truncate(at);
        text.push('…');
    }
    text
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

/// The facts of a request that the layer observing it knows before and after the handler.
#[derive(Debug, Clone)]
pub struct Observed {
    /// `legacy` or `config`.
    pub family: &'static str,
    /// The HTTP method: the standard ones are not copied.
    pub method: Cow<'static, str>,
    /// The path, without the query string.
    pub path: String,
    /// When it arrived.
    pub time: SystemTime,
    /// The HTTP status of the answer.
    pub status: u16,
    /// How long it took, in milliseconds.
    pub duration_ms: f64,
}

/// How a request failed, as its family's renderer tells it: put in the response's extensions
/// (as axum's error-handling example does), so that the renderer stays pure and the layer that
/// observes the request records and logs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The Registration error code of a legacy failure (its HTTP status is 200).
    pub legacy_code: Option<u16>,
    /// The error name.
    pub error: String,
    /// Why, for the journal and the log; never a secret (see `crate::redact`).
    pub detail: String,
}

impl RequestContext {
    /// The context of a request with this id.
    pub fn new(id: String) -> Self {
        Self {
            id,
            note: Mutex::new(Note::default()),
        }
    }

    /// Runs `future` outside any request's context: the `note_*` functions note nothing, and
    /// [`request_id`] makes a fresh id (the in-process benchmarks leave the journal out so).
    pub fn unobserved<F: std::future::Future>(
        future: F,
    ) -> tokio::task::futures::TaskLocalFuture<Option<Arc<Self>>, F> {
        CONTEXT.scope(None, future)
    }

    /// Runs `future` (the handling of the request) with this context as the one the `note_*`
    /// functions and [`request_id`] reach. Not an `async fn`, whose future would hold `future`
    /// twice: as its argument, and inside the task-local scope it awaits.
    pub fn scope<F: std::future::Future>(
        self: Arc<Self>,
        future: F,
    ) -> tokio::task::futures::TaskLocalFuture<Option<Arc<Self>>, F> {
        CONTEXT.scope(Some(self), future)
    }

    /// The request's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The application the request was found to be for, once its handler noted it.
    pub fn app_id(&self) -> Option<String> {
        self.note
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .app_id
            .clone()
    }

    /// The journal entry of the request, once answered. Its notes and its id are taken, not
    /// copied: the id is copied only if something still holds the context, which nothing does
    /// once [`RequestContext::scope`] has ended.
    pub fn entry(self: Arc<Self>, observed: Observed, failure: Option<&Failure>) -> Entry {
        let mut note = std::mem::take(
            &mut *self
                .note
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        hide_unmatched_client_id(&mut note);
        let request_id = match Arc::try_unwrap(self) {
            Ok(context) => context.id,
            Err(shared) => shared.id.clone(),
        };
        Entry {
            request_id,
            time: observed.time,
            family: observed.family,
            method: observed.method,
            path: observed.path,
            app_id: note.app_id,
            client_id: note.client_id,
            status: observed.status,
            legacy_code: failure.and_then(|f| f.legacy_code),
            error: failure.map(|f| f.error.clone()),
            detail: failure.map(|f| f.detail.clone()),
            fault: note.fault,
            duration_ms: observed.duration_ms,
            params: note.params,
        }
    }
}

/// A `client_id` parameter is shown only when it names the client the request was found to come
/// from: any other value may be a secret sent in the wrong place (credentials swapped), and the
/// journal cannot tell.
fn hide_unmatched_client_id(note: &mut Note) {
    if let Some(value) = note.params.get_mut("client_id")
        && value.as_str() != note.client_id.as_deref()
    {
        *value = Value::String(HIDDEN.into());
    }
}

fn serialize_rfc3339<S: serde::Serializer>(
    at: &SystemTime,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&crate::clock::rfc3339(*at))
}

#[cfg(test)]
mod tests;
