//! `spawn_app()` and typed helpers for both families.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use janrain_emulator::config::{DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET};
use std::sync::Arc;
use std::time::SystemTime;

use janrain_emulator::clock::ManualClock;
use janrain_emulator::{Config, Emulator};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;

/// A running emulator and an HTTP client for it.
pub struct TestApp {
    pub emulator: Emulator,
    pub http: reqwest::Client,
    /// The emulator's clock: it stands still unless a test moves it.
    pub clock: ManualClock,
}

/// A response read whole: status, `X-Request-Id`, and the JSON body (`Null` if empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub request_id: Option<String>,
    pub content_type: Option<String>,
    pub body: Value,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Config::default()).await
}

/// An emulator with its own configuration and a clock, set to now, that the test moves.
pub async fn spawn_app_with(config: Config) -> TestApp {
    let clock = ManualClock::new(SystemTime::now());
    let emulator = Emulator::start_with(config, Arc::new(clock.clone()))
        .await
        .expect("emulator starts");
    TestApp {
        emulator,
        http: reqwest::Client::new(),
        clock,
    }
}

/// A `janrain-signed` `Authorization` header and `Date`, computed the way janrain-python-api
/// does (sorted `key=value` lines), independently of the emulator's own code.
pub fn signed_headers(
    path: &str,
    params: &[(&str, &str)],
    client_id: &str,
    secret: &str,
    date: &str,
) -> [(&'static str, String); 2] {
    let mut lines: Vec<String> = params
        .iter()
        .filter(|(k, _)| *k != "client_id" && *k != "client_secret")
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    lines.sort();
    let text = lines
        .iter()
        .fold(format!("{path}\n{date}\n"), |acc, line| acc + line + "\n");
    [
        (
            "authorization",
            format!("Signature {client_id}:{}", sign(secret, &text)),
        ),
        ("date", date.to_owned()),
    ]
}

pub use crate::support::{date_header, sign};

pub fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

/// The Basic header of a client as the Configuration API answers it (`_id`, `_secret`).
pub fn basic_of(client: &Value) -> String {
    basic(
        client["_id"].as_str().expect("_id"),
        client["_secret"].as_str().expect("_secret"),
    )
}

pub fn owner_basic() -> String {
    basic(DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET)
}

/// A response read whole, whatever its body.
pub struct RawReply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl RawReply {
    /// The body as text.
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("UTF-8 body")
    }
}

pub async fn read_raw(request: RequestBuilder) -> RawReply {
    let response = request.send().await.expect("request sent");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("body read").to_vec();
    RawReply {
        status,
        headers,
        body,
    }
}

pub async fn read(request: RequestBuilder) -> Reply {
    let RawReply {
        status,
        headers,
        body: bytes,
    } = read_raw(request).await;
    let header = |name: &str| {
        headers
            .get(name)
            .map(|v| v.to_str().expect("ascii header").to_owned())
    };
    let request_id = header("x-request-id");
    let content_type = header("content-type");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&bytes)
            )
        })
    };
    Reply {
        status,
        request_id,
        content_type,
        body,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.uri())
    }

    pub fn app_id(&self) -> String {
        self.emulator.app_id().to_string()
    }

    pub fn clients_url(&self) -> String {
        self.url(&format!("/config/{}/clients", self.app_id()))
    }

    /// A legacy call as the owner, with Basic credentials and a form body. Checks the legacy
    /// family's invariants on the way: HTTP 200, JSON, a `stat`, and for errors a request id that
    /// matches the response header.
    pub async fn legacy(&self, path: &str, form: &[(&str, &str)]) -> Value {
        self.legacy_send(
            self.http
                .post(self.url(path))
                .header("authorization", owner_basic())
                .form(form),
        )
        .await
    }

    /// A legacy call with explicit credentials (Basic) as `client_id`/`secret`.
    pub async fn legacy_as(
        &self,
        path: &str,
        id: &str,
        secret: &str,
        form: &[(&str, &str)],
    ) -> Value {
        self.legacy_send(
            self.http
                .post(self.url(path))
                .header("authorization", basic(id, secret))
                .form(form),
        )
        .await
    }

    pub async fn legacy_send(&self, request: RequestBuilder) -> Value {
        let reply = read(request).await;
        assert_eq!(reply.status, StatusCode::OK, "legacy is always HTTP 200");
        assert_eq!(reply.content_type.as_deref(), Some("application/json"));
        let stat = reply.body["stat"].as_str().expect("stat present");
        if stat == "error" {
            let request_id = reply.body["request_id"].as_str().expect("request_id");
            assert_eq!(request_id.len(), 16);
            assert!(
                request_id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            );
            assert_eq!(reply.request_id.as_deref(), Some(request_id));
        } else {
            assert_eq!(stat, "ok");
        }
        reply.body
    }

    pub async fn config_api_create(&self, body: Value) -> Reply {
        read(
            self.http
                .post(self.clients_url())
                .header("authorization", owner_basic())
                .json(&body),
        )
        .await
    }

    pub async fn config_api_list(&self, query: &str) -> Reply {
        read(
            self.http
                .get(format!("{}{query}", self.clients_url()))
                .header("authorization", owner_basic()),
        )
        .await
    }

    /// Names of every client, through the Configuration API.
    pub async fn names(&self) -> Vec<String> {
        names_in(&self.config_api_list("").await)
    }
}

/// Every Configuration API operation on one client: its method, the path after the client's id,
/// and a body it accepts.
pub fn per_client_operations() -> [(reqwest::Method, &'static str, Option<Value>); 6] {
    [
        (reqwest::Method::GET, "", None),
        (
            reqwest::Method::PUT,
            "",
            Some(serde_json::json!({"name": "x"})),
        ),
        (reqwest::Method::DELETE, "", None),
        (
            reqwest::Method::PUT,
            "/secret",
            Some(serde_json::json!({"hoursToLive": 0})),
        ),
        (reqwest::Method::GET, "/settings", None),
        (
            reqwest::Method::PUT,
            "/settings",
            Some(serde_json::json!({})),
        ),
    ]
}

/// The names of the clients in a successful Configuration API listing.
pub fn names_in(reply: &Reply) -> Vec<String> {
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply
        .body
        .as_array()
        .expect("array")
        .iter()
        .map(|c| c["name"].as_str().expect("name").to_owned())
        .collect()
}

fn is_token(value: &str, len: usize) -> bool {
    value.len() == len
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Replaces generated values by placeholders for snapshots. A value that does not have the
/// generated shape is left alone, so the snapshot shows it and fails.
pub fn redact(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), redact_field(key, value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}

fn redact_field(key: &str, value: &Value) -> Value {
    let Some(text) = value.as_str() else {
        return redact(value);
    };
    let generated = text != DEFAULT_OWNER_CLIENT_ID && text != DEFAULT_OWNER_CLIENT_SECRET;
    match key {
        "client_id" | "_id" if generated && is_token(text, 32) => "[client_id]".into(),
        "client_secret" | "_secret" if generated && is_token(text, 32) => "[secret]".into(),
        "request_id" if is_token(text, 16) => "[request_id]".into(),
        "_self" | "_settings" => {
            let parts: Vec<&str> = text.split('/').collect();
            match parts.get(4) {
                Some(id) if is_token(id, 32) && *id != DEFAULT_OWNER_CLIENT_ID => {
                    text.replacen(id, "[client_id]", 1).into()
                }
                _ => value.clone(),
            }
        }
        _ => value.clone(),
    }
}

/// Escapes that do not decode to UTF-8: a lone byte, a broken two-byte sequence, a surrogate.
pub const NOT_UTF8: [&str; 3] = ["%FF", "%C3%28", "%ED%A0%80"];
