//! The route table around the families: unknown paths and methods answered in each family's
//! shape, the request id on every answer, answers never cached, and HTTP/2 requests routed by
//! their authority.

use janrain_emulator::Config;
use janrain_emulator::fixture::Fixture;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{owner_basic, read, read_raw, spawn_app, spawn_app_with};

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
async fn every_answer_carries_a_request_id_and_the_legacy_envelope_repeats_it() {
    let app = spawn_app().await;
    let config_api = app.clients_url();
    let answers = [
        (
            "legacy ok",
            app.http
                .post(app.url("/clients/list"))
                .header("authorization", owner_basic()),
        ),
        ("legacy error", app.http.post(app.url("/clients/list"))),
        ("legacy unknown path", app.http.get(app.url("/nowhere"))),
        (
            "Configuration API ok",
            app.http
                .get(&config_api)
                .header("authorization", owner_basic()),
        ),
        ("Configuration API error", app.http.get(&config_api)),
        ("control plane", app.http.get(app.url("/__emulator/health"))),
        (
            "control plane error",
            app.http.get(app.url("/__emulator/nowhere")),
        ),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (what, request) in answers {
        let reply = read(request).await;
        let id = reply
            .request_id
            .unwrap_or_else(|| panic!("{what}: no X-Request-Id"));
        assert_eq!(id.len(), 16, "{what}: {id}");
        assert!(seen.insert(id.clone()), "{what}: {id} given twice");
        if reply.body.get("stat") == Some(&json!("error")) {
            assert_eq!(reply.body["request_id"], id.as_str(), "{what}");
        }
    }
}

#[tokio::test]
async fn unknown_legacy_paths_and_methods_keep_the_envelope() {
    let app = spawn_app().await;
    for (method, path, description) in [
        (
            reqwest::Method::POST,
            "/clients/frobnicate",
            "no such endpoint: /clients/frobnicate",
        ),
        (reqwest::Method::GET, "/", "no such endpoint: /"),
        (
            reqwest::Method::PUT,
            "/clients/add",
            "/clients/add does not accept PUT",
        ),
        (
            reqwest::Method::DELETE,
            "/clients/list",
            "/clients/list does not accept DELETE",
        ),
    ] {
        let body = app
            .legacy_send(
                app.http
                    .request(method, app.url(path))
                    .header("authorization", owner_basic()),
            )
            .await;
        assert_eq!(
            (body["code"].as_i64(), body["error"].as_str()),
            (Some(404), Some("not_found"))
        );
        assert_eq!(body["error_description"], description);
    }
}

#[tokio::test]
async fn unknown_configuration_paths_and_methods() {
    let app = spawn_app().await;
    let cases = [
        (
            reqwest::Method::GET,
            "/config".to_owned(),
            404,
            "The requested URL was not found on the server.",
        ),
        (
            reqwest::Method::GET,
            format!("/config/{}/flows", app.app_id()),
            404,
            "The requested URL was not found on the server.",
        ),
        (
            reqwest::Method::PATCH,
            format!("/config/{}/clients", app.app_id()),
            405,
            "The method is not allowed for the requested URL.",
        ),
        (
            reqwest::Method::DELETE,
            format!("/config/{}/clients", app.app_id()),
            405,
            "The method is not allowed for the requested URL.",
        ),
    ];
    for (method, path, status, text) in cases {
        let reply = read(
            app.http
                .request(method, app.url(&path))
                .header("authorization", owner_basic()),
        )
        .await;
        assert_eq!(
            (reply.status.as_u16(), reply.body),
            (status, json!({ "errors": text })),
            "{path}"
        );
    }
}

#[tokio::test]
async fn control_plane_health_and_unknown_paths() {
    let app = spawn_app().await;
    let health = read(app.http.get(app.url("/__emulator/health"))).await;
    assert_eq!(
        (health.status, health.body),
        (StatusCode::OK, json!({"status": "ok"}))
    );
    let head = app
        .http
        .head(app.url("/__emulator/health"))
        .send()
        .await
        .expect("sent");
    assert_eq!(head.status(), StatusCode::OK);
    let unknown = read(app.http.get(app.url("/__emulator/nope"))).await;
    assert_eq!(
        (unknown.status, unknown.body),
        (
            StatusCode::NOT_FOUND,
            json!({"error": "no such endpoint: /__emulator/nope"})
        )
    );
    let wrong = read(app.http.delete(app.url("/__emulator/health"))).await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(unknown.request_id.is_some() && wrong.request_id.is_some());
}
