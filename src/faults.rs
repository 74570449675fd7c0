//! Fault injection: the next matching requests fail or stall, in their family's own shape, so
//! that users can test their retry and timeout handling.
//!
//! A rule (`POST /__emulator/faults`) names a path (exact, or a prefix ending in `*`), optionally
//! a method, and what to do: answer with an HTTP `status`, answer with a legacy error
//! `legacy_code` (an HTTP 200 `stat: error` envelope, as the real service fails), wait
//! `delay_ms` first, or only wait. Each rule applies to `times` requests, then disappears.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::family::Family;
use crate::registration_codes;

/// The longest delay a rule may ask for.
pub const MAX_DELAY_MS: u64 = 300_000;

/// One rule, with the number of uses it has left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FaultRule {
    /// Its id, for `DELETE /__emulator/faults/{id}`.
    pub id: u64,
    /// The path it matches: exact, or a prefix when it ends in `*`.
    pub path: String,
    /// The method it matches; any when absent.
    pub method: Option<String>,
    /// The HTTP status to answer with.
    pub status: Option<u16>,
    /// For the legacy family, the error code of the envelope.
    pub legacy_code: Option<u16>,
    /// For the legacy family, the error name (default: the code's documented name).
    pub legacy_error: Option<String>,
    /// How many more requests it applies to.
    pub times: u32,
    /// How long to stall first, in milliseconds.
    pub delay_ms: u64,
    /// Only requests routed to this application (absent: any application's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
}

/// The body of `POST /__emulator/faults`, for the OpenAPI document ([`FaultRule::from_json`]
/// reads it, with messages that say what is wrong).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct FaultSpec {
    /// An exact path, or a prefix ending in `*`.
    path: String,
    /// Only this HTTP method.
    method: Option<String>,
    /// Answer with this HTTP status.
    #[schema(minimum = 400, maximum = 599)]
    status: Option<u16>,
    /// Legacy paths: answer with an HTTP 200 error envelope with this code.
    #[schema(minimum = 100, maximum = 999)]
    legacy_code: Option<u16>,
    /// Legacy paths: the error name (default: the code's documented name).
    legacy_error: Option<String>,
    /// How many requests it applies to (default 1).
    #[schema(minimum = 1)]
    times: Option<u32>,
    /// Stall this long first, in milliseconds.
    #[schema(maximum = 300000)]
    delay_ms: Option<u64>,
    /// Only requests routed to this application (by capture domain, credentials or path, as the
    /// families route them); never used up by another's.
    app_id: Option<String>,
}

impl FaultRule {
    /// Reads a rule from a `POST /__emulator/faults` body; the error says what is wrong.
    pub fn from_json(id: u64, body: &Map<String, Value>) -> Result<Self, String> {
        const FIELDS: [&str; 8] = [
            "path",
            "method",
            "status",
            "legacy_code",
            "legacy_error",
            "times",
            "delay_ms",
            "app_id",
        ];
        if let Some(key) = body.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(format!(
                "unknown field {key:?} (expected one of {})",
                FIELDS.join(", ")
            ));
        }
        let path = match body.get("path") {
            Some(Value::String(path)) if path.starts_with('/') => path.clone(),
            Some(_) => return Err("path must be a string starting with /".into()),
            None => return Err("path is required".into()),
        };
        let family = Family::of(path.trim_end_matches('*'));
        if family == Family::Control {
            return Err("faults apply to the emulated APIs, not to /__emulator".into());
        }
        let method = match body.get("method") {
            None | Some(Value::Null) => None,
            Some(Value::String(m))
                if !m.is_empty() && m.bytes().all(|b| b.is_ascii_alphabetic()) =>
            {
                Some(m.to_ascii_uppercase())
            }
            Some(_) => return Err("method must be an HTTP method such as POST".into()),
        };
        let status = number(body, "status", 400, 599)?.map(|n| n as u16);
        let legacy_code = number(body, "legacy_code", 100, 999)?.map(|n| n as u16);
        let legacy_error = match body.get("legacy_error") {
            None | Some(Value::Null) => None,
            Some(Value::String(e))
                if !e.is_empty() && e.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') =>
            {
                Some(e.clone())
            }
            Some(_) => return Err("legacy_error must be a name such as api_limit_error".into()),
        };
        let times = number(body, "times", 1, u64::from(u32::MAX))?.unwrap_or(1) as u32;
        let delay_ms = number(body, "delay_ms", 0, MAX_DELAY_MS)?.unwrap_or(0);
        if (legacy_code.is_some() || legacy_error.is_some()) && family != Family::Legacy {
            return Err("legacy_code and legacy_error apply to legacy paths only".into());
        }
        if legacy_error.is_some() && legacy_code.is_none() {
            return Err("legacy_error needs a legacy_code".into());
        }
        if let Some(code) = legacy_code
            && legacy_error.is_none()
            && registration_codes::name(code).is_none()
        {
            return Err(format!(
                "legacy_code {code} has no documented name: give legacy_error too"
            ));
        }
        if status.is_none() && legacy_code.is_none() && delay_ms == 0 {
            return Err("a fault needs a status, a legacy_code or a delay_ms".into());
        }
        let app_id = match body.get("app_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(app)) if !app.is_empty() => Some(app.clone()),
            Some(_) => return Err("app_id must be an application id".into()),
        };
        Ok(Self {
            id,
            path,
            method,
            status,
            legacy_code,
            legacy_error,
            times,
            delay_ms,
            app_id,
        })
    }

    fn matches_request(&self, method: &str, path: &str) -> bool {
        let path_matches = match self.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => path == self.path,
        };
        path_matches && self.method.as_deref().is_none_or(|m| m == method)
    }

    fn matches(&self, method: &str, path: &str, app: Option<&str>) -> bool {
        self.matches_request(method, path)
            && self
                .app_id
                .as_deref()
                .is_none_or(|wanted| app == Some(wanted))
    }
}

fn number(
    body: &Map<String, Value>,
    name: &str,
    min: u64,
    max: u64,
) -> Result<Option<u64>, String> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .filter(|n| (min..=max).contains(n))
            .map(Some)
            .ok_or_else(|| format!("{name} must be a whole number from {min} to {max}")),
    }
}

/// The pending rules.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<(u64, Vec<FaultRule>)>,
    /// How many rules are pending, readable without the lock: with none, which is nearly always,
    /// a request pays one atomic load.
    pending: AtomicUsize,
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, Vec<FaultRule>)> {
        self.rules
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a rule read from `body`; rules apply in the order they were added.
    pub fn add(&self, body: &Map<String, Value>) -> Result<FaultRule, String> {
        let mut rules = self.lock();
        let rule = FaultRule::from_json(rules.0 + 1, body)?;
        rules.0 += 1;
        rules.1.push(rule.clone());
        self.pending.store(rules.1.len(), Ordering::Release);
        Ok(rule)
    }

    /// The pending rules.
    pub fn list(&self) -> Vec<FaultRule> {
        self.lock().1.clone()
    }

    /// Removes every rule.
    pub fn clear(&self) {
        let mut rules = self.lock();
        rules.1.clear();
        self.pending.store(0, Ordering::Release);
    }

    /// Removes rule `id`; whether it existed.
    pub fn remove(&self, id: u64) -> bool {
        let mut rules = self.lock();
        let before = rules.1.len();
        rules.1.retain(|r| r.id != id);
        self.pending.store(rules.1.len(), Ordering::Release);
        rules.1.len() != before
    }

    /// Whether any rule is pending, without the lock.
    pub fn any(&self) -> bool {
        self.pending.load(Ordering::Acquire) != 0
    }

    /// Whether a pending rule for one application matches `method` and `path`: only then does
    /// the request's application need to be found before [`Faults::take`].
    pub fn needs_app(&self, method: &str, path: &str) -> bool {
        self.any()
            && self
                .lock()
                .1
                .iter()
                .any(|r| r.app_id.is_some() && r.matches_request(method, path))
    }

    /// Removes the rules of application `app` (it was deleted).
    pub fn forget_app(&self, app: &str) {
        let mut rules = self.lock();
        rules.1.retain(|r| r.app_id.as_deref() != Some(app));
        self.pending.store(rules.1.len(), Ordering::Release);
    }

    /// Uses up one application of the first rule that matches a request routed to `app` (when
    /// known), if any. A rule for another application neither fires nor is used up.
    pub fn take(&self, method: &str, path: &str, app: Option<&str>) -> Option<FaultRule> {
        if self.pending.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut rules = self.lock();
        let index = rules.1.iter().position(|r| r.matches(method, path, app))?;
        let rule = &mut rules.1[index];
        rule.times -= 1;
        let taken = rule.clone();
        if rule.times == 0 {
            rules.1.remove(index);
            self.pending.store(rules.1.len(), Ordering::Release);
        }
        Some(taken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(body: Value) -> Result<FaultRule, String> {
        FaultRule::from_json(1, body.as_object().expect("object"))
    }

    #[test]
    fn rules_are_checked() {
        let cases = [
            (json!({}), "path is required"),
            (
                json!({"path": "clients/add", "status": 503}),
                "path must be a string starting with /",
            ),
            (
                json!({"path": "/__emulator/health", "status": 503}),
                "faults apply to the emulated APIs, not to /__emulator",
            ),
            (
                json!({"path": "/clients/add"}),
                "a fault needs a status, a legacy_code or a delay_ms",
            ),
            (
                json!({"path": "/clients/add", "status": 200}),
                "status must be a whole number from 400 to 599",
            ),
            (
                json!({"path": "/config/a/clients", "legacy_code": 510}),
                "legacy_code and legacy_error apply to legacy paths only",
            ),
            (
                json!({"path": "/clients/add", "status": 503, "times": 0}),
                "times must be a whole number from 1 to 4294967295",
            ),
            (
                json!({"path": "/clients/add", "delay_ms": 300_001}),
                "delay_ms must be a whole number from 0 to 300000",
            ),
            (
                json!({"path": "/clients/add", "legacy_code": 777}),
                "legacy_code 777 has no documented name: give legacy_error too",
            ),
            (
                json!({"path": "/clients/add", "status": 503, "colour": "red"}),
                "unknown field \"colour\" (expected one of path, method, status, legacy_code, legacy_error, times, delay_ms, app_id)",
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(rule(body.clone()), Err(expected.to_owned()), "{body}");
        }
    }

    #[test]
    fn rules_match_and_wear_out() {
        let faults = Faults::default();
        let body = json!({"path": "/config/*", "method": "post", "status": 503, "times": 2});
        faults
            .add(body.as_object().expect("object"))
            .expect("valid");
        assert!(faults.take("GET", "/config/a/clients", None).is_none());
        assert!(faults.take("POST", "/clients/add", None).is_none());
        assert_eq!(
            faults
                .take("POST", "/config/a/clients", None)
                .map(|r| r.times),
            Some(1)
        );
        assert_eq!(
            faults
                .take("POST", "/config/b/clients", None)
                .map(|r| r.times),
            Some(0)
        );
        assert!(faults.take("POST", "/config/a/clients", None).is_none());
        assert!(faults.list().is_empty());
    }

    #[test]
    fn a_rule_for_one_application_is_never_used_by_another() {
        let faults = Faults::default();
        let body = json!({"path": "/clients/*", "status": 503, "app_id": "mine"});
        faults
            .add(body.as_object().expect("object"))
            .expect("valid");
        assert!(faults.needs_app("POST", "/clients/add"));
        assert!(!faults.needs_app("POST", "/config/x/clients"));
        assert!(faults.take("POST", "/clients/add", Some("other")).is_none());
        assert!(faults.take("POST", "/clients/add", None).is_none());
        assert_eq!(faults.list().len(), 1, "not used up by another's request");
        assert!(faults.take("POST", "/clients/add", Some("mine")).is_some());
        assert!(faults.list().is_empty());
    }
}
