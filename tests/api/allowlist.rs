//! IP allowlists are checked against the calling client, in both families, optionally through
//! `X-Forwarded-For`.

use janrain_emulator::Config;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, basic_of, read, spawn_app, spawn_app_with};

/// A second owner that only admits 10.0.0.0/8; returns its Basic header.
async fn fenced_owner(app: &TestApp) -> String {
    let made = app
        .config_api_create(
            json!({"name": "fenced", "features": ["owner"], "ipWhitelist": ["10.0.0.0/8"]}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED);
    basic_of(&made.body)
}

/// (legacy error code or 0 for ok, Configuration API status) for a call from `forwarded_for`.
async fn outcome(app: &TestApp, auth: &str, forwarded_for: Option<&str>) -> (i64, u16) {
    let with = |request: reqwest::RequestBuilder| match forwarded_for {
        Some(value) => request.header("x-forwarded-for", value),
        None => request,
    };
    let legacy = app
        .legacy_send(with(
            app.http
                .post(app.url("/clients/list"))
                .header("authorization", auth),
        ))
        .await;
    let rest = read(with(
        app.http
            .get(app.clients_url())
            .header("authorization", auth),
    ))
    .await;
    (legacy["code"].as_i64().unwrap_or(0), rest.status.as_u16())
}

#[tokio::test]
async fn a_call_from_outside_the_callers_list_is_refused() {
    let app = spawn_app().await;
    let auth = fenced_owner(&app).await;
    assert_eq!(outcome(&app, &auth, None).await, (403, 403));
    // Without --trust-forwarded-for the header is not believed.
    assert_eq!(outcome(&app, &auth, Some("10.1.2.3")).await, (403, 403));
}

#[tokio::test]
async fn behind_a_proxy_the_forwarded_address_counts() {
    let config = Config {
        trust_forwarded_for: true,
        ..Config::default()
    };
    let app = spawn_app_with(config).await;
    let auth = fenced_owner(&app).await;
    assert_eq!(outcome(&app, &auth, Some("10.1.2.3")).await, (0, 200));
    assert_eq!(
        outcome(&app, &auth, Some("10.1.2.3, 192.0.2.1")).await,
        (0, 200),
        "the first hop is the client"
    );
    assert_eq!(
        outcome(&app, &auth, Some("192.0.2.1, 10.1.2.3")).await,
        (403, 403)
    );
    assert_eq!(
        outcome(&app, &auth, Some("garbage, 10.1.2.3")).await,
        (0, 200),
        "unreadable entries are skipped"
    );
    // No header: the socket's address, 127.0.0.1.
    assert_eq!(outcome(&app, &auth, None).await, (403, 403));
}

#[tokio::test]
async fn the_allowlist_of_the_target_does_not_matter() {
    let app = spawn_app().await;
    let made = app
        .config_api_create(json!({"name": "far away", "ipWhitelist": ["10.0.0.0/8"]}))
        .await;
    let id = made.body["_id"].as_str().expect("id");
    let body = app
        .legacy(
            "/clients/set_description",
            &[("for_client_id", id), ("description", "renamed")],
        )
        .await;
    assert_eq!(body["stat"], "ok");
}
