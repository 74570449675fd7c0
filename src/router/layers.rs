//! The layers around every route, as plain `async fn`s that call the next one, outermost first:
//! the request span ([`around`]), request ids and the journal ([`observe`]), fault rules
//! ([`inject_faults`]) and the control plane's guard ([`guard`]); then the routes. They are one
//! middleware around the whole router rather than axum `from_fn` layers, which wrap every route
//! apart and box the rest of the chain at each layer: that doubled the instructions of a
//! readiness probe (docs/benchmarks.md). They live in the wiring
//! because they are where the families meet the shared services: the journal and the fault rules
//! know requests and outcomes, and these layers tell them which family a request is in and
//! render a fault's answer in that family's shape.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse as _, Response};
use tower::ServiceExt as _;
use tracing::Instrument as _;

use super::Layers;
use crate::control::ControlError;
use crate::family::Family;
use crate::faults::FaultRule;
use crate::journal::{self, Failure, Observed, REQUEST_ID_HEADER, RequestContext};
use crate::state::ServerState;
use crate::{config_api, hostnames, legacy, registration_codes};

/// What the layers run with: the state, and which of them are on.
#[derive(Clone)]
pub struct Chain {
    pub state: ServerState,
    pub layers: Layers,
}

/// The answer to `request`: the layers, then `routes`. The request's span has the path only
/// (a query string may carry `client_secret`), at debug level, so that it costs nothing unless
/// asked for (`RUST_LOG=janrain_emulator=debug`).
pub async fn around(chain: &Chain, request: Request, routes: &Router) -> Response {
    if !chain.layers.trace {
        return observe(chain, request, routes).await;
    }
    let span = tracing::debug_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = tracing::field::Empty,
    );
    observe(chain, request, routes).instrument(span).await
}

/// Gives the request its id (the `X-Request-Id` header, and the span's `request_id`) and
/// handles it in its journal context; records a request of the emulated APIs in the journal
/// once answered, with the failure its renderer put in the response's extensions (logged with
/// the request id).
async fn observe(chain: &Chain, request: Request, routes: &Router) -> Response {
    if !chain.layers.observe {
        return inject_faults(chain, request, routes).await;
    }
    let state = &chain.state;
    let id = state.store.ids().request_id();
    tracing::Span::current().record("request_id", id.as_str());
    // What the journal keeps of the request, read before the handler takes it.
    let received = Family::of(request.uri().path())
        .journal_name()
        .map(|family| Received {
            family,
            method: method_name(request.method()),
            path: request.uri().path().to_owned(),
            time: state.store.now(),
            started: Instant::now(),
        });
    let header = HeaderValue::from_str(&id).ok();
    let context = Arc::new(RequestContext::new(id));
    let mut response = context
        .clone()
        .scope(inject_faults(chain, request, routes))
        .await;
    if let Some(value) = header {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    if let Some(received) = received {
        record(state, context, received, &mut response);
    }
    response
}

/// Records a request of the emulated APIs in the journal, and logs it if it failed.
fn record(
    state: &ServerState,
    context: Arc<RequestContext>,
    received: Received,
    response: &mut Response,
) {
    let failure = response.extensions_mut().remove::<Failure>();
    // The entry's time is on its application's clock, which may stand apart from the emulator's.
    let app = context
        .app_id()
        .and_then(|app| crate::model::AppId::parse(&app).ok());
    let time = match app {
        Some(app) => state.store.in_app_time(&app, received.time),
        None => received.time,
    };
    let duration_ms = received.started.elapsed().as_secs_f64() * 1000.0;
    if let Some(failure) = &failure {
        tracing::info!(
            request_id = %context.id(),
            status = response.status().as_u16(),
            code = failure.legacy_code,
            error = %failure.error,
            detail = %failure.detail,
            "{} call failed",
            received.family
        );
    }
    let observed = Observed {
        family: received.family,
        method: received.method,
        path: received.path,
        time,
        status: response.status().as_u16(),
        duration_ms,
    };
    state
        .journal
        .record(context.entry(observed, failure.as_ref()));
}

/// What the journal keeps of a request of the emulated APIs, read as it arrives.
struct Received {
    family: &'static str,
    method: Cow<'static, str>,
    path: String,
    time: std::time::SystemTime,
    started: Instant,
}

/// The method's name; the standard ones without a copy.
fn method_name(method: &Method) -> Cow<'static, str> {
    const STANDARD: [&str; 9] = [
        "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE",
    ];
    match STANDARD.iter().find(|name| **name == method.as_str()) {
        Some(name) => Cow::Borrowed(name),
        None => Cow::Owned(method.as_str().to_owned()),
    }
}

/// The fault rules: the first that matches a request of the emulated APIs answers it, after its
/// delay, in the family's shape, before any authentication. A fault's legacy answer is HTTP 200,
/// which to CONNECT would open a tunnel: CONNECT is never served, so it is never faulted either.
async fn inject_faults(chain: &Chain, request: Request, routes: &Router) -> Response {
    let state = &chain.state;
    let family = Family::of(request.uri().path());
    let could_fault = chain.layers.faults
        && family != Family::Control
        && request.method() != Method::CONNECT
        && state.faults.any();
    if !could_fault {
        return guard(chain, request, routes).await;
    }
    // Boxed, so that every request's future does not carry the fault path's: unboxed, a call
    // costs 2% to 5% more (health 10,277 -> 10,742 instructions, docs/benchmarks.md).
    Box::pin(with_fault_rules(chain, family, request, routes)).await
}

/// [`inject_faults`], once some rule is pending.
async fn with_fault_rules(
    chain: &Chain,
    family: Family,
    request: Request,
    routes: &Router,
) -> Response {
    let state = &chain.state;
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    // The application is found only when a rule for one application could apply: it may mean
    // reading a legacy form body for its `client_id`.
    let (request, app) = if state.faults.needs_app(&method, &path) {
        match routed_app(state, family, request).await {
            Ok(routed) => routed,
            Err(answer) => return answer,
        }
    } else {
        (request, None)
    };
    let Some(rule) = state.faults.take(&method, &path, app.as_deref()) else {
        return guard(chain, request, routes).await;
    };
    // The journal entry names the application even though no handler runs, so that the test's
    // own journal shows its faulted calls.
    let (request, app) = match app {
        Some(app) => (request, Some(app)),
        None => match routed_app(state, family, request).await {
            Ok(routed) => routed,
            Err(answer) => return answer,
        },
    };
    if let Some(app) = &app {
        journal::note_app(app);
    }
    journal::note_fault();
    tracing::info!(rule = rule.id, "injecting a fault");
    if rule.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(rule.delay_ms)).await;
    }
    match fault_answer(&rule, family) {
        Some(response) => response,
        None => guard(chain, request, routes).await,
    }
}

/// The application a request of the emulated APIs is routed to, as its family will route it
/// (`config_api::app_in_path`, `legacy::routed_app`). For the legacy API this reads the body,
/// within the family's limits; a body that cannot be read is answered as the family answers it.
async fn routed_app(
    state: &ServerState,
    family: Family,
    request: Request,
) -> Result<(Request, Option<String>), Response> {
    let (parts, body) = request.into_parts();
    if family == Family::ConfigApi {
        let app = config_api::app_in_path(&parts)
            .ok()
            .map(|app| app.to_string());
        return Ok((Request::from_parts(parts, body), app));
    }
    let bytes = crate::body::read_limited(&parts.headers, body, &state.config)
        .await
        .map_err(|problem| crate::router::render(family, problem.into()))?;
    let app = legacy::routed_app(state, &parts, &bytes);
    Ok((
        Request::from_parts(parts, axum::body::Body::from(bytes)),
        Some(app.to_string()),
    ))
}

/// The answer a rule gives in `family`'s shape, or `None` for a delay-only rule.
fn fault_answer(rule: &FaultRule, family: Family) -> Option<Response> {
    let status = rule.status.and_then(|s| StatusCode::from_u16(s).ok());
    match (family, rule.legacy_code) {
        (Family::Legacy, Some(code)) => {
            // A code without a documented name comes with `legacy_error` (see `FaultRule`).
            let error = rule
                .legacy_error
                .as_deref()
                .or_else(|| registration_codes::name(code))
                .unwrap_or("unexpected_error");
            Some(legacy::injected(
                status.unwrap_or(StatusCode::OK),
                code,
                error,
            ))
        }
        (Family::Legacy, None) => {
            status.map(|status| legacy::injected(status, 500, "unexpected_error"))
        }
        _ => status.map(config_api::injected),
    }
}

/// The control-plane routes open without the token: the readiness probe, the local CA's root
/// certificate (public by nature), and the console's files, which hold no data (the page asks
/// for the token before it reads any).
const OPEN_CONTROL_PATHS: [&str; 5] = [
    "/__emulator/health",
    crate::control::CA_PEM_PATH,
    "/__emulator/ui",
    "/__emulator/ui/console.js",
    "/__emulator/ui/console.css",
];

/// The control-plane routes a web page of any site may reach when there is no token: they tell
/// nothing and change nothing.
const PUBLIC_CONTROL_PATHS: [&str; 2] = ["/__emulator/health", crate::control::CA_PEM_PATH];

/// The control plane's guard: refuses a control-plane request (under `/__emulator`) that
/// [`control_refusal`] refuses; lets every other through.
async fn guard(chain: &Chain, request: Request, routes: &Router) -> Response {
    if chain.layers.guard
        && let Some(refusal) = control_refusal(&chain.state, &request)
    {
        return refusal;
    }
    match routes.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// The refusal of a control-plane request, if any. With `--control-token`, one without
/// `Authorization: Bearer <token>` (compared in constant time), but for [`OPEN_CONTROL_PATHS`];
/// without, one that a web page of another site could have sent ([`cross_site_refusal`]), but
/// for [`PUBLIC_CONTROL_PATHS`].
fn control_refusal(state: &ServerState, request: &Request) -> Option<Response> {
    let path = request.uri().path();
    if Family::of(path) != Family::Control {
        return None;
    }
    let config = &state.config;
    let Some(token) = config.control_token.as_ref() else {
        if PUBLIC_CONTROL_PATHS.contains(&path) {
            return None;
        }
        return cross_site_refusal(request, &config.control_hosts)
            .map(|reason| ControlError::Refused(reason).into_response());
    };
    if OPEN_CONTROL_PATHS.contains(&path) {
        return None;
    }
    let presented = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .map(|value| value.as_bytes())
        .and_then(|value| {
            let (scheme, rest) = value.split_at(value.iter().position(|b| *b == b' ')?);
            scheme
                .eq_ignore_ascii_case(b"bearer")
                .then(|| rest.trim_ascii())
        });
    if presented.is_some_and(|presented| token.matches(presented)) {
        None
    } else {
        Some(ControlError::Unauthorized.into_response())
    }
}

/// Why a request without the token is refused, if it could have come from a web page of another
/// site: its `Host` is a name another site could point at this address (DNS rebinding: the page
/// then reads answers as its own origin's), or it changes something and its `Origin` is not the
/// emulator's own (a cross-site form or `fetch`, which a browser sends without asking). A
/// request with no `Host` at all comes from no browser. The rule is `hostnames`'.
fn cross_site_refusal(request: &Request, extra: &[String]) -> Option<String> {
    let authority = match request.headers().get(axum::http::header::HOST) {
        Some(host) => Some(host.to_str().unwrap_or("")),
        None => request.uri().authority().map(|a| a.as_str()),
    };
    if let Some(authority) = authority
        && !hostnames::control_host_allowed(authority, extra)
    {
        let shown = hostnames::shown(authority);
        let name = shown
            .rsplit_once(':')
            .map_or(shown.as_str(), |(name, _)| name);
        return Some(format!(
            "the control plane does not answer a request for {shown:?} without --control-token: \
             a web page of another site can send such a request by pointing its own name at \
             this address; call the emulator by IP address, localhost, a name without a dot or \
             a Janrain name, or start it with --control-host {name} (or --control-token)"
        ));
    }
    let reads_only = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let origin = request.headers().get(axum::http::header::ORIGIN);
    if let (false, Some(origin)) = (reads_only, origin) {
        let origin = origin.to_str().unwrap_or("");
        let own = authority.is_some_and(|authority| hostnames::is_own_origin(origin, authority));
        if !own {
            return Some(format!(
                "the control plane does not take a change from a page of another origin \
                 ({:?}) without --control-token; set --control-token to allow it (its pages \
                 then send the token), or send the request without an Origin header",
                hostnames::shown(origin)
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_is_named_as_it_was_sent() {
        for name in [
            "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE", "PURGE",
        ] {
            let method = Method::from_bytes(name.as_bytes()).expect("a method");
            assert_eq!(method_name(&method), name);
        }
        assert!(matches!(method_name(&Method::POST), Cow::Borrowed(_)));
    }
}
