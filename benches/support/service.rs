//! The whole service called in-process, without sockets: the emulator's router with every layer,
//! over an application of 1,000 clients of which 10 have both `direct_read_access` and
//! `access_issuer`, the mix of `scripts/bench`'s scenarios (h) and (i). Shared by the Criterion
//! benchmark (`benches/service.rs`) and the allocation count (`benches/allocations.rs`).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use http_body_util::BodyExt as _;
use janrain_emulator::Config;
use janrain_emulator::clock::SystemClock;
use janrain_emulator::config::{
    DEFAULT_APP_ID, DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET,
};
use janrain_emulator::internals::{Emulated, Layers, ServerState, build_router_with};

/// How many clients the application holds, the owner included.
pub const CLIENTS: usize = 1_000;

/// One kind of request, as a load scenario of `scripts/bench` sends it.
#[derive(Debug, Clone, Copy)]
pub enum Call {
    /// `GET /__emulator/health`: the router and the layers, no work.
    Health,
    /// `GET /config/{appId}/clients`: the whole listing, from the listing cache.
    WholeListing,
    /// The same with two `has_feature` filters, which 10 clients match.
    FilteredListing,
    /// `POST /config/{appId}/clients` with a name never used before.
    Create,
    /// Legacy `/clients/add` with Basic credentials.
    LegacyAdd,
}

impl Call {
    /// Every call, in the order they are reported.
    pub const ALL: [Call; 5] = [
        Call::Health,
        Call::WholeListing,
        Call::FilteredListing,
        Call::Create,
        Call::LegacyAdd,
    ];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Call::Health => "health",
            Call::WholeListing => "whole listing of 1,000",
            Call::FilteredListing => "filtered listing, 10 of 1,000",
            Call::Create => "Configuration API create",
            Call::LegacyAdd => "legacy /clients/add",
        }
    }

    /// The status a successful call answers with.
    fn expected(self) -> StatusCode {
        match self {
            Call::Create => StatusCode::CREATED,
            _ => StatusCode::OK,
        }
    }
}

/// The emulator's router over its own state, with a counter for unique names.
pub struct Service {
    router: Emulated,
    basic: String,
    made: u64,
}

impl Service {
    /// The default application with its owner and `CLIENTS - 1` more clients, served with the
    /// `layers` given.
    pub async fn new(layers: Layers) -> Self {
        let state = ServerState::new(Config::default(), Arc::new(SystemClock)).expect("state");
        let credentials = format!("{DEFAULT_OWNER_CLIENT_ID}:{DEFAULT_OWNER_CLIENT_SECRET}");
        let service = Self {
            router: build_router_with(state, layers),
            basic: format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(credentials)
            ),
            made: 0,
        };
        for n in 0..CLIENTS - 1 {
            let features = if n < 10 {
                r#"["direct_read_access", "access_issuer"]"#
            } else {
                r#"["direct_access"]"#
            };
            let body = format!(r#"{{"name": "bench client {n}", "features": {features}}}"#);
            let request = service.config_request("POST", "", Body::from(body));
            service.send(request, StatusCode::CREATED).await;
        }
        service
    }

    /// Sends one `call` and reads its whole answer; returns the body's length.
    pub async fn call(&mut self, call: Call) -> usize {
        let request = self.request(call);
        self.send(request, call.expected()).await
    }

    /// The request of one `call`, as the caller's side builds it.
    pub fn request(&mut self, call: Call) -> Request<Body> {
        match call {
            Call::Health => Request::get("/__emulator/health")
                .body(Body::empty())
                .expect("request"),
            Call::WholeListing => self.config_request("GET", "", Body::empty()),
            Call::FilteredListing => self.config_request(
                "GET",
                "?has_feature=direct_read_access&has_feature=access_issuer",
                Body::empty(),
            ),
            Call::Create => {
                self.made += 1;
                let body = format!(r#"{{"name": "bench create {}"}}"#, self.made);
                self.config_request("POST", "", Body::from(body))
            }
            Call::LegacyAdd => Request::post("/clients/add")
                .header(header::AUTHORIZATION, &self.basic)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(
                    "description=bench+client&features=%5B%22direct_access%22%5D",
                ))
                .expect("request"),
        }
    }

    fn config_request(&self, method: &str, query: &str, body: Body) -> Request<Body> {
        Request::builder()
            .method(method)
            .uri(format!("/config/{DEFAULT_APP_ID}/clients{query}"))
            .header(header::AUTHORIZATION, &self.basic)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .expect("request")
    }

    async fn send(&self, request: Request<Body>, expected: StatusCode) -> usize {
        let response = self.router.answer(request).await;
        assert_eq!(response.status(), expected, "{}", response.status());
        let body = response.into_body().collect().await.expect("body");
        body.to_bytes().len()
    }
}
