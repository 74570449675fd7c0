//! The OpenAPI document: served, complete, and every route in it is a real route.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::{owner_basic, read, read_raw, spawn_app};

/// Every route the emulator serves, as `METHOD path`.
const ROUTES: &[&str] = &[
    "DELETE /__emulator/apps/{app_id}",
    "DELETE /__emulator/faults",
    "DELETE /__emulator/faults/{id}",
    "DELETE /__emulator/requests",
    "DELETE /config/{app_id}/clients/{client_id}",
    "GET /__emulator/apps",
    "GET /__emulator/apps/{app_id}",
    "GET /__emulator/apps/{app_id}/clock",
    "GET /__emulator/apps/{app_id}/snapshot",
    "GET /__emulator/ca.pem",
    "GET /__emulator/clock",
    "GET /__emulator/faults",
    "GET /__emulator/health",
    "GET /__emulator/info",
    "GET /__emulator/openapi.json",
    "GET /__emulator/requests",
    "GET /__emulator/snapshot",
    "GET /__emulator/ui",
    "GET /__emulator/ui/console.css",
    "GET /__emulator/ui/console.js",
    "GET /config/{app_id}/settings/options",
    "GET /clients/add",
    "GET /clients/clear_whitelist",
    "GET /clients/delete",
    "GET /clients/list",
    "GET /clients/reset_secret",
    "GET /clients/set_description",
    "GET /clients/set_features",
    "GET /clients/set_whitelist",
    "GET /config/{app_id}/clients",
    "GET /config/{app_id}/clients/{client_id}",
    "GET /config/{app_id}/clients/{client_id}/settings",
    "GET /config/{app_id}/settings",
    "GET /settings/delete",
    "GET /settings/delete_default",
    "GET /settings/get",
    "GET /settings/get_all",
    "GET /settings/get_default",
    "GET /settings/get_multi",
    "GET /settings/items",
    "GET /settings/keys",
    "GET /settings/set",
    "GET /settings/set_default",
    "GET /settings/set_default_multi",
    "GET /settings/set_multi",
    "POST /__emulator/apps",
    "POST /__emulator/apps/{app_id}/reset",
    "POST /__emulator/clock",
    "POST /__emulator/faults",
    "POST /__emulator/reset",
    "POST /clients/add",
    "POST /clients/clear_whitelist",
    "POST /clients/delete",
    "POST /clients/list",
    "POST /clients/reset_secret",
    "POST /clients/set_description",
    "POST /clients/set_features",
    "POST /clients/set_whitelist",
    "POST /config/{app_id}/clients",
    "POST /__emulator/apps/{app_id}/clock",
    "POST /settings/delete",
    "POST /settings/delete_default",
    "POST /settings/get",
    "POST /settings/get_all",
    "POST /settings/get_default",
    "POST /settings/get_multi",
    "POST /settings/items",
    "POST /settings/keys",
    "POST /settings/set",
    "POST /settings/set_default",
    "POST /settings/set_default_multi",
    "POST /settings/set_multi",
    "PUT /config/{app_id}/clients/{client_id}",
    "PUT /config/{app_id}/clients/{client_id}/secret",
    "PUT /config/{app_id}/clients/{client_id}/settings",
    "PUT /config/{app_id}/settings",
];

fn documented(document: &Value) -> BTreeSet<String> {
    document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("path item")
                .keys()
                .filter(|k| ["get", "post", "put", "delete", "patch"].contains(&k.as_str()))
                .map(move |method| format!("{} {path}", method.to_uppercase()))
        })
        .collect()
}

#[tokio::test]
async fn the_document_lists_exactly_the_routes() {
    let app = spawn_app().await;
    let reply = read(app.http.get(app.url("/__emulator/openapi.json"))).await;
    assert_eq!(reply.status, reqwest::StatusCode::OK);
    assert_eq!(reply.body["openapi"], "3.1.0");
    let expected: BTreeSet<String> = ROUTES.iter().map(|r| (*r).to_owned()).collect();
    assert_eq!(documented(&reply.body), expected);
}

/// Whether a response is the router's answer to an unknown path or method, in any family.
fn is_fallback(status: u16, body: &Value) -> bool {
    body["error"] == "not_found"
        || body["errors"] == "The requested URL was not found on the server."
        || body["errors"] == "The method is not allowed for the requested URL."
        || body["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("no such endpoint") || e.contains("does not accept"))
        || status == 405
}

#[tokio::test]
async fn every_documented_route_is_served() {
    let app = spawn_app().await;
    let document = read(app.http.get(app.url("/__emulator/openapi.json")))
        .await
        .body;
    for route in documented(&document) {
        let (method, path) = route.split_once(' ').expect("METHOD path");
        let path = path
            .replace("{app_id}", &app.app_id())
            .replace("{client_id}", "nosuchclient")
            .replace("{id}", "1");
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let reply = read_raw(
            app.http
                .request(method, app.url(&path))
                .header("authorization", owner_basic()),
        )
        .await;
        let status = reply.status;
        assert!(
            !status.is_server_error(),
            "{route}: {status} {:?}",
            String::from_utf8_lossy(&reply.body)
        );
        // The console's files are not JSON.
        let body: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
        assert!(
            !is_fallback(status.as_u16(), &body),
            "{route} is documented but not routed: {status} {body}"
        );
    }
}
