//! The control plane: applications made at run time, the clocks, the journal, fault rules,
//! snapshot and reset, isolation per application, the OpenAPI document and the console's needs;
//! the helpers its files share.

mod apps;
mod clock;
mod console;
mod faults;
mod isolation;
mod journal;
mod openapi;
mod snapshot;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, read};

pub(crate) async fn control(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.http.request(method, app.url(path));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let reply = read(request).await;
    (reply.status, reply.body)
}

pub(crate) async fn add_fault(app: &TestApp, rule: Value) {
    let reply = read(app.http.post(app.url("/__emulator/faults")).json(&rule)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
}
