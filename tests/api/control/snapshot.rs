//! Snapshot and reset through the control plane, and seeded runs that repeat their ids.

use janrain_emulator::Config;
use janrain_emulator::config::{DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET};
use janrain_emulator::fixture::Fixture;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::control::{add_fault, control};
use crate::helpers::{TestApp, owner_basic, read, spawn_app, spawn_app_with};

async fn snapshot(app: &TestApp) -> Value {
    let reply = read(app.http.get(app.url("/__emulator/snapshot"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.body
}

#[tokio::test]
async fn the_snapshot_round_trips_through_import() {
    let app = spawn_app().await;
    let made = app
        .config_api_create(json!({"name": "rotated", "features": ["direct_access"], "ipWhitelist": ["10.0.0.0/8"]}))
        .await
        .body;
    let id = made["_id"].as_str().expect("id");
    app.legacy(
        "/clients/reset_secret",
        &[("for_client_id", id), ("hours_to_live", "24")],
    )
    .await;
    read(
        app.http
            .put(format!("{}/{id}/settings", app.clients_url()))
            .header("authorization", owner_basic())
            .json(&json!({"site_name": "Demo"})),
    )
    .await;
    app.legacy(
        "/settings/set_default",
        &[("key", "login_attempts"), ("value", "5")],
    )
    .await;
    let first = snapshot(&app).await;
    assert_eq!(first["apps"][0]["settings"], json!({"login_attempts": "5"}));
    let client = &first["apps"][0]["clients"][1];
    assert_eq!(client["_previousSecret"]["secret"], made["_secret"]);
    assert_eq!(client["settings"], json!({"site_name": "Demo"}));
    assert_eq!(client["ipWhitelist"], json!(["10.0.0.0/8"]));

    let fixture = Fixture::parse(&first.to_string()).expect("the snapshot is a valid fixture");
    let copy = spawn_app_with(Config {
        owner: None,
        fixture: Some(fixture),
        ..Config::default()
    })
    .await;
    assert_eq!(snapshot(&copy).await, first);
    // The previous secret still works in the copy.
    let old = made["_secret"].as_str().expect("secret");
    let body = copy
        .legacy_as(
            "/clients/list",
            DEFAULT_OWNER_CLIENT_ID,
            DEFAULT_OWNER_CLIENT_SECRET,
            &[],
        )
        .await;
    assert_eq!(body["stat"], "ok");
    let reply = read(
        copy.http
            .post(copy.url("/clients/list"))
            .form(&[("client_id", id), ("client_secret", old)]),
    )
    .await;
    assert_eq!(
        reply.body["code"], 403,
        "authenticated (the old secret is valid), but not an owner"
    );
}

#[tokio::test]
async fn reset_goes_back_to_the_start() {
    let app = spawn_app().await;
    let start = snapshot(&app).await;
    app.config_api_create(json!({"name": "temporary"})).await;
    app.legacy(
        "/clients/set_description",
        &[("description", "renamed owner")],
    )
    .await;
    for path in ["/settings/set", "/settings/set_default"] {
        let body = app
            .legacy(path, &[("key", "site_name"), ("value", "x")])
            .await;
        assert_eq!(body["stat"], "ok");
    }
    let (status, body) = control(&app, reqwest::Method::POST, "/__emulator/reset", None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok"})));
    assert_eq!(snapshot(&app).await, start);
    // The name index is back too.
    assert_eq!(
        app.config_api_create(json!({"name": "temporary"}))
            .await
            .status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_seed_makes_runs_reproducible() {
    let run = || async {
        let app = spawn_app_with(Config {
            seed: Some(42),
            ..Config::default()
        })
        .await;
        let made = app.config_api_create(json!({"name": "seeded"})).await;
        let added = app
            .legacy("/clients/add", &[("description", "also seeded")])
            .await;
        let failed = app.legacy("/clients/add", &[]).await;
        (
            made.body,
            made.request_id,
            added,
            failed["request_id"].clone(),
        )
    };
    let (first, second) = (run().await, run().await);
    assert_eq!(first, second);
    let other = spawn_app_with(Config {
        seed: Some(43),
        ..Config::default()
    })
    .await;
    assert_ne!(
        other
            .config_api_create(json!({"name": "seeded"}))
            .await
            .body["_id"],
        first.0["_id"]
    );
}

#[tokio::test]
async fn reset_keeps_the_journal_and_the_faults() {
    let app = spawn_app().await;
    app.legacy("/clients/add", &[("description", "gone after reset")])
        .await;
    add_fault(
        &app,
        json!({"path": "/clients/delete", "status": 500, "times": 3}),
    )
    .await;
    let reset = read(app.http.post(app.url("/__emulator/reset"))).await;
    assert_eq!(reset.status, StatusCode::OK);
    assert_eq!(app.names().await, ["Emulator owner client"]);
    let faults = read(app.http.get(app.url("/__emulator/faults"))).await.body;
    assert_eq!(faults[0]["times"], 3, "{faults}");
    let journal = read(app.http.get(app.url("/__emulator/requests?family=legacy")))
        .await
        .body;
    assert_eq!(journal[0]["path"], "/clients/add", "{journal}");
}
