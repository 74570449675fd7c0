//! The layers around every route: request ids and the journal, and fault rules. They live in the
//! wiring because they are where the families meet the shared services: the journal and the
//! fault rules know requests and outcomes, and these layers tell them which family a request is
//! in and render a fault's answer in that family's shape.

use std::borrow::Cow;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::routing::future::RouteFuture;
use tokio::task::futures::TaskLocalFuture;
use tracing::Instrument as _;

use super::Layers;
use crate::control::ControlError;
use crate::family::Family;
use crate::faults::FaultRule;
use crate::journal::{self, Failure, Observed, REQUEST_ID_HEADER, RequestContext};
use crate::shared::AppState;
use crate::{config_api, hostnames, legacy, registration_codes};

/// What the emulator's middleware runs with: the state, and which of its stages are on.
#[derive(Clone)]
pub struct Chain {
    pub state: AppState,
    pub layers: Layers,
}

/// The routes the layers lead to.
type Next<'a> = &'a Router;

/// The routes' future for `request`. The router is always ready, so it is called at once,
/// without the `Oneshot` that would hold the request a second time.
fn route(next: Next<'_>, request: Request) -> RouteFuture<Infallible> {
    tower::Service::call(&mut next.clone(), request)
}

/// The emulator's layers as one middleware around the routes, outermost first: the request span,
/// [`observe`] (request id and journal), fault rules and the control token ([`inner`]). Plain
/// functions, not axum layers: every `from_fn` layer costs about a dozen allocations per request
/// (a boxed future and a boxed service), as many as the rest of a cached listing.
///
/// The stages decide what they can before anything is awaited, and their futures are written by
/// hand ([`Observing`], [`Inner`]) rather than as `async fn`s: an `async fn` keeps its arguments
/// apart from what it awaits, so each stage held the request again, and hyper moves the whole
/// future twice a request. The chain's future is about half a kilobyte (it was 3.9 KB as a
/// future per stage).
pub fn around<'a>(
    chain: &'a Chain,
    request: Request,
    next: Next<'a>,
) -> impl Future<Output = Response> + Send + 'a {
    // The path only: a query string may carry `client_secret`. At debug level, so that it costs
    // nothing unless asked for (RUST_LOG=janrain_emulator=debug).
    let span = if chain.layers.trace {
        tracing::debug_span!(
            "request",
            method = %request.method(),
            path = %request.uri().path(),
            request_id = tracing::field::Empty,
        )
    } else {
        tracing::Span::none()
    };
    let observing = observe(chain, request, next, &span);
    observing.instrument(span)
}

/// Gives the request its id and starts [`inner`] in the request's context; [`Observing`] records
/// it in the journal once answered (with the failure its renderer put in the response's
/// extensions, logged with the request id), and sets the `X-Request-Id` header.
fn observe<'a>(
    chain: &'a Chain,
    request: Request,
    next: Next<'a>,
    span: &tracing::Span,
) -> Observing<'a> {
    if !chain.layers.observe {
        return Observing {
            stage: RequestContext::unobserved(inner(chain, request, next)),
            chain,
            observed: None,
        };
    }
    let state = &chain.state;
    let id = state.store.ids().request_id();
    // Only a span that is recorded takes the id: finding the current one costs a lookup.
    if !span.is_disabled() {
        span.record("request_id", id.as_str());
    }
    // What the journal keeps of the request, read before the handler takes it: only for the
    // emulated APIs, whose calls the journal records.
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
    Observing {
        stage: context.clone().scope(inner(chain, request, next)),
        chain,
        observed: Some(Observation {
            context,
            header,
            received,
        }),
    }
}

pin_project_lite::pin_project! {
    /// [`observe`]'s future: the request's handling in its context, then what the journal and
    /// the answer's header take from it.
    struct Observing<'a> {
        #[pin]
        stage: TaskLocalFuture<Option<Arc<RequestContext>>, Inner<'a>>,
        chain: &'a Chain,
        observed: Option<Observation>,
    }
}

/// What [`observe`] learnt of a request before it was handled.
struct Observation {
    context: Arc<RequestContext>,
    header: Option<HeaderValue>,
    received: Option<Received>,
}

impl Future for Observing<'_> {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Response> {
        let this = self.project();
        let mut response = std::task::ready!(this.stage.poll(cx));
        if let Some(observed) = this.observed.take() {
            finish(this.chain, observed, &mut response);
        }
        Poll::Ready(response)
    }
}

/// Sets the answer's `X-Request-Id` and, for the emulated APIs, records the request in the
/// journal.
fn finish(chain: &Chain, observed: Observation, response: &mut Response) {
    let Observation {
        context,
        header,
        received,
    } = observed;
    if let Some(value) = header {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let Some(received) = received else {
        return;
    };
    let state = &chain.state;
    let failure = response.extensions_mut().remove::<Failure>();
    // The entry's time is on its application's clock, which may stand apart from the emulator's.
    let moved = state.store.app_clocks_moved();
    let app = moved
        .then(|| context.app_id())
        .flatten()
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

/// The fault rules, then the control token, then the routes, decided before anything is
/// awaited: the routes' future, an answer already made, or (when a rule could apply) the boxed
/// rules' path.
fn inner<'a>(chain: &'a Chain, request: Request, next: Next<'a>) -> Inner<'a> {
    let family = Family::of(request.uri().path());
    if could_fault(chain, family, &request) {
        // Boxed: its body reads and delay would otherwise make every request's future larger.
        return Inner::Faults(Box::pin(with_fault_rules(chain, family, request, next)));
    }
    guarded(chain, request, next)
}

/// The control token's refusal of `request`, if any; else the routes' future.
fn guarded<'a>(chain: &'a Chain, request: Request, next: Next<'a>) -> Inner<'a> {
    match guard_control(chain, &request) {
        Some(refusal) => Inner::Answered(Some(refusal)),
        None => Inner::Routed(route(next, request)),
    }
}

/// [`inner`]'s future. Each kind is `Unpin` (the router's future holds its handler's boxed), so
/// it is polled without pinning by hand.
enum Inner<'a> {
    Routed(RouteFuture<Infallible>),
    Answered(Option<Response>),
    Faults(Pin<Box<dyn Future<Output = Response> + Send + 'a>>),
}

impl Future for Inner<'_> {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Response> {
        match self.get_mut() {
            Inner::Routed(route) => match std::task::ready!(Pin::new(route).poll(cx)) {
                Ok(response) => Poll::Ready(response),
                Err(never) => match never {},
            },
            Inner::Answered(answer) => match answer.take() {
                Some(response) => Poll::Ready(response),
                None => Poll::Pending,
            },
            Inner::Faults(faults) => faults.as_mut().poll(cx),
        }
    }
}

/// Whether a fault rule could apply to `request`: one of the emulated APIs' while some rule is
/// pending. A fault's legacy answer is HTTP 200, which to CONNECT would open a tunnel: CONNECT is
/// never served, so it is never faulted either. With no rule pending, which is nearly always, a
/// request costs one atomic load here.
fn could_fault(chain: &Chain, family: Family, request: &Request) -> bool {
    chain.layers.faults
        && family != Family::Control
        && request.method() != Method::CONNECT
        && chain.state.faults.any()
}

/// [`inner`], once some rule is pending: the first that matches answers, after its delay.
async fn with_fault_rules(
    chain: &Chain,
    family: Family,
    request: Request,
    next: Next<'_>,
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
        return guarded(chain, request, next).await;
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
        None => guarded(chain, request, next).await,
    }
}

/// The application a request of the emulated APIs is routed to, as its family will route it
/// (`config_api::app_in_path`, `legacy::routed_app`). For the legacy API this reads the body,
/// within the family's limits; a body that cannot be read is answered as the family answers it.
async fn routed_app(
    state: &AppState,
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

/// The refusal of a control-plane request (under `/__emulator`), if any. With `--control-token`,
/// one without `Authorization: Bearer <token>` (compared in constant time), but for
/// [`OPEN_CONTROL_PATHS`]; without, one that a web page of another site could have sent
/// ([`cross_site_refusal`]), but for [`PUBLIC_CONTROL_PATHS`].
fn guard_control(chain: &Chain, request: &Request) -> Option<Response> {
    if !chain.layers.guard {
        return None;
    }
    let path = request.uri().path();
    if Family::of(path) != Family::Control {
        return None;
    }
    let config = &chain.state.config;
    let Some(token) = config.control_token.as_ref() else {
        if PUBLIC_CONTROL_PATHS.contains(&path) {
            return None;
        }
        return cross_site_refusal(request, &config.control_hosts).map(|reason| {
            axum::response::IntoResponse::into_response(ControlError::Refused(reason))
        });
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
        Some(axum::response::IntoResponse::into_response(
            ControlError::Unauthorized,
        ))
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
