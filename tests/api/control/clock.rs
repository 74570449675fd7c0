//! `/__emulator/clock`: time moved without sleeping, and everything that depends on it follows.

use janrain_emulator::clock::Clock as _;
use janrain_emulator::config::{DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, basic, date_header, read, signed_headers, spawn_app};

async fn clock(app: &TestApp, body: Option<Value>) -> (StatusCode, Value) {
    let request = match body {
        None => app.http.get(app.url("/__emulator/clock")),
        Some(body) => app.http.post(app.url("/__emulator/clock")).json(&body),
    };
    let reply = read(request).await;
    (reply.status, reply.body)
}

#[tokio::test]
async fn the_clock_is_read_moved_set_frozen_and_given_back() {
    let app = spawn_app().await;
    let (status, first) = clock(&app, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (first["system"].clone(), first["frozen"].clone()),
        (json!(true), json!(false))
    );
    let (_, set) = clock(
        &app,
        Some(json!({"set": "2030-01-01T00:00:00Z", "freeze": true})),
    )
    .await;
    assert_eq!(
        set,
        json!({"now": "2030-01-01T00:00:00Z", "system": false, "frozen": true})
    );
    let (_, moved) = clock(&app, Some(json!({"advance_secs": 90}))).await;
    assert_eq!(moved["now"], "2030-01-01T00:01:30Z");
    let (_, back) = clock(&app, Some(json!({"system": true}))).await;
    assert_eq!(
        (back["system"].clone(), back["frozen"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(
        back["now"], first["now"],
        "the test's own clock stood still all along"
    );
    for (body, text) in [
        (
            json!({}),
            "nothing to do: give system, set, advance_secs or freeze",
        ),
        (
            json!({"advance_secs": -1}),
            "advance_secs must be a number of seconds, 0 or more",
        ),
        (
            json!({"set": "tomorrow"}),
            "set must be an RFC 3339 instant, such as 2030-01-01T00:00:00Z",
        ),
        (json!({"freeze": "yes"}), "freeze must be true or false"),
        (json!({"system": false}), "system must be true"),
        (
            json!({"rewind": 1}),
            "rewind is not a clock field: give system, set, advance_secs or freeze",
        ),
        (
            json!({"advance_secs": 5, "set": "nope"}),
            "set must be an RFC 3339 instant, such as 2030-01-01T00:00:00Z",
        ),
    ] {
        let (status, answer) = clock(&app, Some(body.clone())).await;
        assert_eq!(
            (status, answer),
            (StatusCode::BAD_REQUEST, json!({"error": text})),
            "{body}"
        );
    }
    assert_eq!(
        clock(&app, None).await.1,
        back,
        "a refused request moved nothing"
    );
}

#[tokio::test]
async fn a_grace_period_ends_when_the_clock_passes_it() {
    let app = spawn_app().await;
    let added = app
        .legacy(
            "/clients/add",
            &[("description", "rotated"), ("features", r#"["owner"]"#)],
        )
        .await;
    let id = added["client_id"].as_str().expect("id");
    let old = added["client_secret"].as_str().expect("secret");
    app.legacy(
        "/clients/reset_secret",
        &[("for_client_id", id), ("hours_to_live", "1")],
    )
    .await;
    let list_as = |secret: &str| {
        app.legacy_send(
            app.http
                .post(app.url("/clients/list"))
                .header("authorization", basic(id, secret)),
        )
    };
    assert_eq!(list_as(old).await["stat"], "ok", "inside the grace period");
    clock(&app, Some(json!({"advance_secs": 3599}))).await;
    assert_eq!(list_as(old).await["stat"], "ok", "one second left");
    clock(&app, Some(json!({"advance_secs": 1}))).await;
    assert_eq!(list_as(old).await["code"], 402, "the grace period is over");
}

#[tokio::test]
async fn the_signature_window_and_the_journal_follow_the_clock() {
    let app = spawn_app().await;
    let signed_at = app.emulator.clock().now();
    let date = date_header(signed_at);
    let call = || {
        let headers = signed_headers(
            "/clients/list",
            &[],
            DEFAULT_OWNER_CLIENT_ID,
            DEFAULT_OWNER_CLIENT_SECRET,
            &date,
        );
        let request = app.http.post(app.url("/clients/list"));
        app.legacy_send(headers.into_iter().fold(request, |request, (name, value)| {
            request.header(name, value)
        }))
    };
    assert_eq!(call().await["stat"], "ok");
    clock(&app, Some(json!({"advance_secs": 901}))).await;
    assert_eq!(
        call().await["code"],
        402,
        "the date is now outside the window"
    );
    clock(
        &app,
        Some(json!({"set": janrain_emulator::clock::rfc3339(signed_at)})),
    )
    .await;
    assert_eq!(call().await["stat"], "ok", "back inside it");
    clock(
        &app,
        Some(json!({"set": "2031-06-01T12:00:00Z", "freeze": true})),
    )
    .await;
    app.legacy("/clients/list", &[]).await;
    let journal = read(app.http.get(app.url("/__emulator/requests?limit=1")))
        .await
        .body;
    assert_eq!(journal[0]["time"], "2031-06-01T12:00:00Z", "{journal}");
}
