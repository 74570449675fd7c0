//! Behaviours the README and docs/quirks.md promise, each with a test that fails when it breaks.

use janrain_emulator::Config;
use janrain_emulator::fixture::Fixture;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, basic, owner_basic, read, read_raw, spawn_app, spawn_app_with};

async fn add_fault(app: &TestApp, rule: Value) {
    let reply = read(app.http.post(app.url("/__emulator/faults")).json(&rule)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
}

#[tokio::test]
async fn legacy_answers_are_never_cached() {
    let app = spawn_app().await;
    for form in [&[][..], &[("description", "")][..]] {
        let reply = read_raw(
            app.http
                .post(app.url("/clients/add"))
                .header("authorization", owner_basic())
                .form(form),
        )
        .await;
        assert_eq!(
            reply.headers.get("cache-control").map(|v| v.as_bytes()),
            Some(&b"no-store"[..])
        );
    }
    let unknown = read_raw(app.http.get(app.url("/clients/nope"))).await;
    assert_eq!(unknown.headers["cache-control"], "no-store");
}

#[tokio::test]
async fn any_json_media_type_is_json() {
    let app = spawn_app().await;
    for (content_type, expected) in [
        ("application/vnd.janrain+json", StatusCode::CREATED),
        ("Application/JSON; charset=utf-8", StatusCode::CREATED),
        ("application/merge-patch+json; q=1", StatusCode::CREATED),
        ("application/jsonx", StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("text/json", StatusCode::UNSUPPORTED_MEDIA_TYPE),
    ] {
        let reply = read(
            app.http
                .post(app.clients_url())
                .header("authorization", owner_basic())
                .header("content-type", content_type)
                .body(json!({"name": content_type}).to_string()),
        )
        .await;
        assert_eq!(reply.status, expected, "{content_type}: {:?}", reply.body);
    }
}

#[tokio::test]
async fn end_user_tokens_cannot_manage_clients() {
    let app = spawn_app().await;
    let legacy = [
        app.http
            .post(app.url("/clients/list"))
            .form(&[("access_token", "abc")]),
        app.http.post(app.url("/clients/list?access_token=abc")),
        app.http
            .post(app.url("/clients/list"))
            .header("authorization", "OAuth abc"),
        app.http
            .post(app.url("/clients/list"))
            .header("authorization", "Bearer abc"),
    ];
    for request in legacy {
        let body = app.legacy_send(request).await;
        assert_eq!(
            (&body["code"], &body["error"]),
            (&json!(403), &json!("client_permission_error")),
            "{body}"
        );
    }
    let config = read(
        app.http
            .get(app.clients_url())
            .header("authorization", "Bearer abc"),
    )
    .await;
    assert_eq!(config.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_fault_may_name_its_legacy_error() {
    let app = spawn_app().await;
    add_fault(
        &app,
        json!({"path": "/clients/list", "legacy_code": 510, "legacy_error": "rate_limited"}),
    )
    .await;
    let body = app.legacy("/clients/list", &[]).await;
    assert_eq!(
        (&body["code"], &body["error"]),
        (&json!(510), &json!("rate_limited"))
    );
    // Without a name, the documented one.
    add_fault(&app, json!({"path": "/clients/list", "legacy_code": 510})).await;
    assert_eq!(
        app.legacy("/clients/list", &[]).await["error"],
        "api_limit_error"
    );
}

#[tokio::test]
async fn an_empty_parameter_counts_as_absent() {
    let app = spawn_app().await;
    let made = app
        .legacy(
            "/clients/add",
            &[("description", "no features"), ("features", "")],
        )
        .await;
    assert_eq!(made["features"], json!([]));
    let id = made["client_id"].as_str().expect("id");
    // Where the parameter is required, empty is missing.
    let body = app
        .legacy(
            "/clients/set_features",
            &[("for_client_id", id), ("features", "")],
        )
        .await;
    assert_eq!(
        (&body["code"], &body["argument_name"]),
        (&json!(100), &json!("features"))
    );
    // An empty for_client_id is the caller itself.
    let renamed = app
        .legacy(
            "/clients/set_description",
            &[("for_client_id", ""), ("description", "me")],
        )
        .await;
    assert_eq!(renamed["stat"], "ok");
    assert!(app.names().await.contains(&"me".to_owned()));
}

#[tokio::test]
async fn an_empty_allowlist_shuts_a_client_out_everywhere() {
    let app = spawn_app().await;
    let made = app
        .config_api_create(json!({"name": "shut out", "features": ["owner"]}))
        .await
        .body;
    let (id, secret) = (
        made["_id"].as_str().expect("id"),
        made["_secret"].as_str().expect("secret"),
    );
    let set = app
        .legacy(
            "/clients/set_whitelist",
            &[("for_client_id", id), ("whitelist", "[]")],
        )
        .await;
    assert_eq!(set["stat"], "ok");
    let legacy = app.legacy_as("/clients/list", id, secret, &[]).await;
    assert_eq!(legacy["code"], 403, "{legacy}");
    let config = read(
        app.http
            .get(app.clients_url())
            .header("authorization", basic(id, secret)),
    )
    .await;
    assert_eq!(config.status, StatusCode::FORBIDDEN);
    let listed = app.config_api_list("").await.body;
    let stored = listed
        .as_array()
        .expect("array")
        .iter()
        .find(|c| c["_id"] == id)
        .expect("listed");
    assert_eq!(stored["ipWhitelist"], json!([]));
}

#[tokio::test]
async fn a_stored_metadata_feature_is_kept_and_can_be_filtered_on() {
    let fixture = json!({"apps": [{
        "app_id": "metadataapp",
        "clients": [
            {"_id": "owner", "_secret": "ownersecret", "name": "owner", "features": ["owner"]},
            {"_id": "quiet", "_secret": "quietsecret", "name": "quiet", "features": ["metadata", "direct_access"]},
        ],
    }]});
    let app = spawn_app_with(Config {
        app_id: "metadataapp".into(),
        owner: None,
        fixture: Some(Fixture::parse(&fixture.to_string()).expect("fixture")),
        ..Config::default()
    })
    .await;
    let listed = read(
        app.http
            .get(app.url("/config/metadataapp/clients?has_feature=metadata"))
            .header("authorization", basic("owner", "ownersecret")),
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body[0]["_id"], "quiet");
    assert_eq!(
        listed.body[0]["features"],
        json!(["metadata", "direct_access"])
    );
    let legacy = app
        .legacy_as(
            "/clients/list",
            "owner",
            "ownersecret",
            &[("has_features", r#"["metadata"]"#)],
        )
        .await;
    assert_eq!(legacy["results"].as_array().map(Vec::len), Some(1));
    // Assigning it stays refused, also by sending a stored client back as it was read.
    let put = read(
        app.http
            .put(app.url("/config/metadataapp/clients/quiet"))
            .header("authorization", basic("owner", "ownersecret"))
            .json(&listed.body[0]),
    )
    .await;
    assert_eq!(put.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        put.body,
        json!({"errors": "The metadata feature can only be applied to a client by Akamai."})
    );
}

#[tokio::test]
async fn faults_answer_before_authentication() {
    let app = spawn_app().await;
    add_fault(&app, json!({"path": "/clients/list", "status": 503})).await;
    add_fault(&app, json!({"path": "/config/*", "status": 503})).await;
    // No credentials at all: the fault answers, not the credential check.
    let legacy = read(app.http.post(app.url("/clients/list"))).await;
    assert_eq!(legacy.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(legacy.body["stat"], "error");
    let config = read(app.http.get(app.clients_url())).await;
    assert_eq!(config.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(config.body, json!({"errors": "Service Unavailable."}));
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

#[tokio::test]
async fn http2_requests_are_routed_by_their_authority() {
    let fixture = json!({"apps": [
        {"app_id": "firstapp", "clients": [
            {"_id": "firstowner", "_secret": "firstsecret", "name": "first", "features": ["owner"]}]},
        {"app_id": "secondapp", "capture_domains": ["second.example.com"], "clients": [
            {"_id": "secondowner", "_secret": "secondsecret", "name": "second", "features": ["owner"]}]},
    ]});
    let app = spawn_app_with(Config {
        app_id: "firstapp".into(),
        owner: None,
        fixture: Some(Fixture::parse(&fixture.to_string()).expect("fixture")),
        ..Config::default()
    })
    .await;
    let addr = app.emulator.addr();
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .resolve("second.example.com", addr)
        .build()
        .expect("client");
    let response = h2
        .post(format!(
            "http://second.example.com:{}/clients/list",
            addr.port()
        ))
        .basic_auth("secondowner", Some("secondsecret"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["stat"], "ok", "{body}");
    assert_eq!(body["results"][0]["client_id"], "secondowner");
    // The first application's owner is unknown on that authority.
    let other = h2
        .post(format!(
            "http://second.example.com:{}/clients/list",
            addr.port()
        ))
        .basic_auth("firstowner", Some("firstsecret"))
        .send()
        .await
        .expect("sent")
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(other["code"], 402);
}

#[tokio::test]
async fn half_a_pair_of_parameter_credentials_is_invalid() {
    let app = spawn_app().await;
    for form in [
        &[(
            "client_id",
            janrain_emulator::config::DEFAULT_OWNER_CLIENT_ID,
        )][..],
        &[(
            "client_secret",
            janrain_emulator::config::DEFAULT_OWNER_CLIENT_SECRET,
        )][..],
    ] {
        let body = app
            .legacy_send(app.http.post(app.url("/clients/list")).form(form))
            .await;
        assert_eq!(
            (&body["code"], &body["error"]),
            (&json!(402), &json!("invalid_client_credentials")),
            "{body}"
        );
    }
    let journal = read(app.http.get(app.url("/__emulator/requests?limit=2")))
        .await
        .body;
    for entry in journal.as_array().expect("entries") {
        assert_eq!(
            entry["detail"],
            "client credentials are invalid: client_id and client_secret must be given together"
        );
    }
}
