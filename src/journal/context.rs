//! The context of the request being handled: its id and what its handling learns about it (the
//! application, the calling client, its parameters, whether a fault answered it), noted by the
//! `note_*` functions from anywhere below the layer that observes the request, and turned into
//! the journal's entry once it is answered. A task-local, scoped by that layer.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde_json::{Map, Value};

use super::{Entry, Fields};
use crate::redact::{HIDDEN, hide_secret_fields, is_secret_name, shown_params};

/// The most parameters one entry keeps.
pub const MAX_PARAMS: usize = 32;

/// The longest value kept, in characters (a longer one is cut and ends in `…`); a structured
/// JSON value longer than this once written out is kept as its cut text.
pub const MAX_VALUE_CHARS: usize = 512;

tokio::task_local! {
    /// The context of the request being handled on this task; unset outside a request, or when
    /// the journal's layer is left out (the in-process benchmarks).
    pub(super) static CONTEXT: Arc<RequestContext>;
}

/// What the handling of one request learns about it, for the journal.
#[derive(Debug, Default)]
pub struct RequestContext {
    id: String,
    pub(super) note: Mutex<Note>,
}

#[derive(Debug, Default, Clone)]
pub(super) struct Note {
    app_id: Option<String>,
    client_id: Option<String>,
    fault: bool,
    pub(super) params: Fields,
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
        .unwrap_or_else(|_| crate::tokens::unseeded_token(crate::tokens::REQUEST_ID_LEN))
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
        Value::Array(_) | Value::Object(_) => {
            let text = value.to_string();
            if text.chars().count() > MAX_VALUE_CHARS {
                Value::String(cut(text))
            } else {
                value
            }
        }
        other => other,
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

    /// Runs `future` (the handling of the request) with this context as the one the `note_*`
    /// functions and [`request_id`] reach.
    pub async fn scope<F: std::future::Future>(self: Arc<Self>, future: F) -> F::Output {
        CONTEXT.scope(self, future).await
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
