//! The Configuration API: its clients and settings; the helpers its files and the cross-family
//! files share.

mod clients;
mod settings;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Reply, TestApp, owner_basic, read};

pub(crate) async fn create(app: &TestApp, body: Value) -> Value {
    let reply = app.config_api_create(body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body
}

pub(crate) fn client_url(app: &TestApp, id: &str, rest: &str) -> String {
    format!("{}/{id}{rest}", app.clients_url())
}

pub(crate) async fn call(
    app: &TestApp,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> Reply {
    let mut request = app
        .http
        .request(method, url)
        .header("authorization", owner_basic());
    if let Some(body) = body {
        request = request.json(&body);
    }
    read(request).await
}

pub(crate) fn error(reply: &Reply) -> (u16, &str) {
    (
        reply.status.as_u16(),
        reply.body["errors"].as_str().unwrap_or("<no errors field>"),
    )
}
