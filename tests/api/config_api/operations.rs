//! One client through the Configuration API: get, full replacement, delete, secret, settings.

use std::time::Duration;

use janrain_emulator::config::DEFAULT_OWNER_CLIENT_ID;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    Reply, TestApp, basic, owner_basic, per_client_operations, read, read_raw, spawn_app,
};

async fn create(app: &TestApp, body: Value) -> Value {
    let reply = app.config_api_create(body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body
}

fn client_url(app: &TestApp, id: &str, rest: &str) -> String {
    format!("{}/{id}{rest}", app.clients_url())
}

async fn call(app: &TestApp, method: reqwest::Method, url: String, body: Option<Value>) -> Reply {
    let mut request = app
        .http
        .request(method, url)
        .header("authorization", owner_basic());
    if let Some(body) = body {
        request = request.json(&body);
    }
    read(request).await
}

fn error(reply: &Reply) -> (u16, &str) {
    (
        reply.status.as_u16(),
        reply.body["errors"].as_str().unwrap_or("<no errors field>"),
    )
}

#[tokio::test]
async fn get_one_client() {
    let app = spawn_app().await;
    let made = create(&app, json!({"name": "one", "features": ["direct_access"]})).await;
    let id = made["_id"].as_str().expect("id");
    let got = call(&app, reqwest::Method::GET, client_url(&app, id, ""), None).await;
    assert_eq!((got.status, &got.body), (StatusCode::OK, &made));
    for unknown in ["nosuchclient", "bad%20id"] {
        let missing = call(
            &app,
            reqwest::Method::GET,
            client_url(&app, unknown, ""),
            None,
        )
        .await;
        assert_eq!(error(&missing), (404, "Client ID not found."));
    }
}

#[tokio::test]
async fn put_replaces_the_whole_client() {
    let app = spawn_app().await;
    let made = create(
        &app,
        json!({"name": "before", "features": ["direct_access"], "ipWhitelist": ["10.0.0.0/8"]}),
    )
    .await;
    let id = made["_id"].as_str().expect("id");
    let put = call(
        &app,
        reqwest::Method::PUT,
        client_url(&app, id, ""),
        Some(json!({"name": "after"})),
    )
    .await;
    assert_eq!(put.status, StatusCode::OK);
    assert_eq!(put.body["name"], "after");
    assert_eq!(
        put.body["features"],
        json!([]),
        "omitted features are removed"
    );
    assert_eq!(
        put.body["ipWhitelist"],
        json!(["0.0.0.0/0"]),
        "omitted allowlist is reset"
    );
    assert_eq!(
        put.body["_secret"], made["_secret"],
        "the secret is not part of it"
    );
    // The object read back can be sent back, its underscore fields ignored.
    let mut round_trip = put.body.clone();
    round_trip["features"] = json!(["access_issuer"]);
    let put = call(
        &app,
        reqwest::Method::PUT,
        client_url(&app, id, ""),
        Some(round_trip),
    )
    .await;
    assert_eq!(
        (put.status, &put.body["features"]),
        (StatusCode::OK, &json!(["access_issuer"]))
    );
    let legacy = app.legacy("/clients/list", &[]).await;
    assert_eq!(legacy["results"][1]["description"], "after", "one store");
}

#[tokio::test]
async fn put_errors() {
    let app = spawn_app().await;
    create(&app, json!({"name": "taken"})).await;
    let made = create(&app, json!({"name": "mine"})).await;
    let id = made["_id"].as_str().expect("id");
    let url = client_url(&app, id, "");
    let cases = [
        (
            json!({"name": "taken"}),
            409,
            "API client taken already exists.",
        ),
        (
            json!({"features": []}),
            400,
            "Missing data for required field.",
        ),
        (json!({"name": 1}), 400, "Not a valid string."),
        (
            json!({"name": "x", "features": ["metadata"]}),
            400,
            "The metadata feature can only be applied to a client by Akamai.",
        ),
        (
            json!({"name": "x", "ipWhitelist": ["1.2.3.4/40"]}),
            400,
            "Not a valid CIDR address.",
        ),
    ];
    for (body, status, text) in cases {
        let reply = call(&app, reqwest::Method::PUT, url.clone(), Some(body.clone())).await;
        assert_eq!(error(&reply), (status, text), "{body}");
    }
    // Keeping its own name is no conflict.
    let same = call(
        &app,
        reqwest::Method::PUT,
        url,
        Some(json!({"name": "mine"})),
    )
    .await;
    assert_eq!(same.status, StatusCode::OK);
    // The owner cannot take owner away from itself, nor shut itself out.
    let owner_url = client_url(&app, DEFAULT_OWNER_CLIENT_ID, "");
    let reply = call(
        &app,
        reqwest::Method::PUT,
        owner_url.clone(),
        Some(json!({"name": "o"})),
    )
    .await;
    assert_eq!(
        error(&reply),
        (
            400,
            "An owner client cannot remove the owner feature from itself."
        )
    );
    let reply = call(
        &app,
        reqwest::Method::PUT,
        owner_url,
        Some(json!({"name": "o", "features": ["owner"], "ipWhitelist": ["10.0.0.0/8"]})),
    )
    .await;
    assert_eq!(
        error(&reply),
        (
            400,
            "The IP whitelist must allow the address making the call."
        )
    );
    let missing = call(
        &app,
        reqwest::Method::PUT,
        client_url(&app, "nosuchclient", ""),
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(error(&missing), (404, "Client ID not found."));
    assert_eq!(
        app.names().await,
        ["Emulator owner client", "taken", "mine"]
    );
}

#[tokio::test]
async fn delete_answers_204_and_spares_owners() {
    let app = spawn_app().await;
    let made = create(&app, json!({"name": "doomed"})).await;
    let id = made["_id"].as_str().expect("id");
    let response = read_raw(
        app.http
            .delete(client_url(&app, id, ""))
            .header("authorization", owner_basic()),
    )
    .await;
    assert_eq!(response.status, StatusCode::NO_CONTENT);
    assert!(response.body.is_empty());
    let again = call(
        &app,
        reqwest::Method::DELETE,
        client_url(&app, id, ""),
        None,
    )
    .await;
    assert_eq!(error(&again), (404, "Client ID not found."));
    let owner = create(&app, json!({"name": "second owner", "features": ["owner"]})).await;
    let reply = call(
        &app,
        reqwest::Method::DELETE,
        client_url(&app, owner["_id"].as_str().expect("id"), ""),
        None,
    )
    .await;
    assert_eq!(
        error(&reply),
        (400, "Clients with the owner feature cannot be deleted.")
    );
    assert_eq!(app.names().await, ["Emulator owner client", "second owner"]);
}

#[tokio::test]
async fn secret_reset_with_grace() {
    let app = spawn_app().await;
    let made = create(&app, json!({"name": "rotating", "features": ["owner"]})).await;
    let id = made["_id"].as_str().expect("id");
    let old = made["_secret"].as_str().expect("secret");
    let reply = call(
        &app,
        reqwest::Method::PUT,
        client_url(&app, id, "/secret"),
        Some(json!({"hoursToLive": 2})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let new = reply.body["_secret"].as_str().expect("secret").to_owned();
    assert_ne!(new, old);
    assert_eq!(reply.body["_id"], id);
    let status = |secret: String| {
        let app = &app;
        async move {
            read(
                app.http
                    .get(app.clients_url())
                    .header("authorization", basic(id, &secret)),
            )
            .await
            .status
        }
    };
    assert_eq!(status(old.to_owned()).await, StatusCode::OK);
    assert_eq!(status(new.clone()).await, StatusCode::OK);
    app.clock.advance(Duration::from_secs(2 * 3600));
    assert_eq!(status(old.to_owned()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status(new).await, StatusCode::OK);
}

#[tokio::test]
async fn secret_reset_errors() {
    let app = spawn_app().await;
    let made = create(&app, json!({"name": "rotating"})).await;
    let url = client_url(&app, made["_id"].as_str().expect("id"), "/secret");
    let range = "Must be greater than or equal to 0 and less than or equal to 168.";
    for (body, status, text) in [
        (json!({}), 400, "Missing data for required field."),
        (json!({"hoursToLive": null}), 400, "Field may not be null."),
        (json!({"hoursToLive": "two"}), 400, "Not a valid integer."),
        (json!({"hoursToLive": 1.5}), 400, "Not a valid integer."),
        (json!({"hoursToLive": 169}), 400, range),
        (json!({"hoursToLive": -1}), 400, range),
    ] {
        let reply = call(&app, reqwest::Method::PUT, url.clone(), Some(body.clone())).await;
        assert_eq!(error(&reply), (status, text), "{body}");
    }
    let missing = call(
        &app,
        reqwest::Method::PUT,
        client_url(&app, "nosuchclient", "/secret"),
        Some(json!({"hoursToLive": 0})),
    )
    .await;
    assert_eq!(error(&missing), (404, "Client ID not found."));
    let after = call(
        &app,
        reqwest::Method::GET,
        client_url(&app, made["_id"].as_str().expect("id"), ""),
        None,
    )
    .await;
    assert_eq!(after.body["_secret"], made["_secret"], "nothing changed");
}

#[tokio::test]
async fn every_operation_wants_an_owner() {
    let app = spawn_app().await;
    let worker = create(
        &app,
        json!({"name": "worker", "features": ["direct_access"]}),
    )
    .await;
    let id = worker["_id"].as_str().expect("id");
    let auth = basic(id, worker["_secret"].as_str().expect("secret"));
    // Another client than itself: a client may read and replace its own settings
    // (tests/api/settings_config.rs), nothing else.
    let other = create(&app, json!({"name": "other"})).await;
    let other = other["_id"].as_str().expect("id");
    for (method, rest, body) in per_client_operations() {
        let mut request = app
            .http
            .request(method.clone(), client_url(&app, other, rest))
            .header("authorization", &auth);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply = read(request).await;
        assert_eq!(
            error(&reply),
            (403, "Authentication required."),
            "{method} {rest}"
        );
    }
}
