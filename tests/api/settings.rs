//! Settings across the families over the one store, and the helpers the families' settings
//! tests share: what one family writes the other reads, a level's bound, and secret values
//! kept out of the journal.

use janrain_emulator::settings::MAX_SETTINGS;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, owner_basic, read, spawn_app};

/// A client made by the owner through the legacy API, without `owner`: `(id, secret)`.
pub(crate) async fn worker(app: &TestApp, name: &str) -> (String, String) {
    let added = app
        .legacy(
            "/clients/add",
            &[("description", name), ("features", r#"["direct_access"]"#)],
        )
        .await;
    (
        added["client_id"].as_str().expect("id").to_owned(),
        added["client_secret"].as_str().expect("secret").to_owned(),
    )
}

pub(crate) fn client_settings_url(app: &TestApp, id: &str) -> String {
    format!("{}/{id}/settings", app.clients_url())
}

pub(crate) fn app_settings_url(app: &TestApp) -> String {
    app.url(&format!("/config/{}/settings", app.app_id()))
}

pub(crate) async fn rest(
    app: &TestApp,
    method: reqwest::Method,
    url: &str,
    auth: &str,
    body: Option<Value>,
) -> Reply {
    let mut request = app.http.request(method, url).header("authorization", auth);
    if let Some(body) = body {
        request = request.json(&body);
    }
    read(request).await
}

pub(crate) fn error_of(body: &Value) -> (i64, &str, &str) {
    (
        body["code"].as_i64().expect("code"),
        body["error"].as_str().expect("error"),
        body["error_description"].as_str().expect("description"),
    )
}

#[tokio::test]
async fn one_level_holds_a_bounded_number_of_settings() {
    let app = spawn_app().await;
    let items = |range: std::ops::Range<usize>| {
        let map: serde_json::Map<String, Value> =
            range.map(|n| (format!("k{n}"), json!("v"))).collect();
        Value::Object(map).to_string()
    };
    let full = app
        .legacy(
            "/settings/set_default_multi",
            &[("items", &items(0..MAX_SETTINGS))],
        )
        .await;
    assert_eq!(full["stat"], "ok");
    let one_more = app
        .legacy("/settings/set_default", &[("key", "extra"), ("value", "v")])
        .await;
    assert_eq!(
        error_of(&one_more),
        (
            200,
            "invalid_argument",
            "key was not valid for the following reason: a client or application holds at most 1000 settings"
        )
    );
    // Overwriting stays possible at the limit, and a refused batch changes nothing.
    let overwrite = app
        .legacy("/settings/set_default", &[("key", "k0"), ("value", "w")])
        .await;
    assert_eq!(overwrite["result"], true);
    let batch = app
        .legacy(
            "/settings/set_default_multi",
            &[("items", r#"{"k1": "w", "extra": "v"}"#)],
        )
        .await;
    assert_eq!(error_of(&batch).1, "invalid_argument");
    assert_eq!(
        app.legacy("/settings/get_default", &[("key", "k1")]).await["result"],
        "v"
    );
    // The Configuration API holds the same line.
    let body: serde_json::Map<String, Value> = (0..=MAX_SETTINGS)
        .map(|n| (format!("k{n}"), json!("v")))
        .collect();
    let reply = rest(
        &app,
        reqwest::Method::PUT,
        &app_settings_url(&app),
        &owner_basic(),
        Some(Value::Object(body)),
    )
    .await;
    assert_eq!(
        (reply.status, reply.body),
        (
            StatusCode::BAD_REQUEST,
            json!({"errors": "At most 1000 settings are allowed."})
        )
    );
}

#[tokio::test]
async fn what_one_family_writes_the_other_reads() {
    let app = spawn_app().await;
    let (id, _) = worker(&app, "shared").await;
    // Legacy writes, Configuration API reads.
    app.legacy(
        "/settings/set",
        &[
            ("key", "site_name"),
            ("value", "Legacy"),
            ("for_client_id", &id),
        ],
    )
    .await;
    app.legacy(
        "/settings/set_default",
        &[("key", "rpx_realm"), ("value", "realm")],
    )
    .await;
    let seen = rest(
        &app,
        reqwest::Method::GET,
        &client_settings_url(&app, &id),
        &owner_basic(),
        None,
    )
    .await;
    assert_eq!(seen.body["site_name"], "Legacy");
    assert_eq!(seen.body["global"], json!({"rpx_realm": "realm"}));
    // Configuration API writes, legacy reads.
    rest(
        &app,
        reqwest::Method::PUT,
        &client_settings_url(&app, &id),
        &owner_basic(),
        Some(json!({"site_name": "Config", "custom": {"extra": "x"}})),
    )
    .await;
    rest(
        &app,
        reqwest::Method::PUT,
        &app_settings_url(&app),
        &owner_basic(),
        Some(json!({"rpx_realm": "other"})),
    )
    .await;
    let items = app
        .legacy("/settings/items", &[("for_client_id", &id)])
        .await;
    assert_eq!(
        items["result"],
        json!({"rpx_realm": "other", "site_name": "Config", "extra": "x"})
    );
}

#[tokio::test]
async fn the_journal_hides_the_values_of_secret_settings() {
    let app = spawn_app().await;
    app.legacy(
        "/settings/set_default",
        &[("key", "rpx_key"), ("value", "apikey-value")],
    )
    .await;
    app.legacy(
        "/settings/set_multi",
        &[(
            "items",
            r#"{"backplane_password": "pw-value", "site_name": "Demo"}"#,
        )],
    )
    .await;
    rest(
        &app,
        reqwest::Method::PUT,
        &app_settings_url(&app),
        &owner_basic(),
        Some(json!({"rpx_key": "config-value"})),
    )
    .await;
    let journal = read(app.http.get(app.url("/__emulator/requests")))
        .await
        .body
        .to_string();
    for secret in ["apikey-value", "pw-value", "config-value"] {
        assert!(!journal.contains(secret), "{secret} in {journal}");
    }
    // The name of the setting, and the values of other settings, stay readable.
    assert!(
        journal.contains("rpx_key") && journal.contains("Demo"),
        "{journal}"
    );
}
