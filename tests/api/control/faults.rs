//! Fault rules: answered in the family's shape before authentication, with a delay or a named
//! legacy error, managed and refused through the control plane.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::control::{add_fault, control};
use crate::helpers::{NOT_UTF8, owner_basic, read, spawn_app};

#[tokio::test]
async fn faults_fail_the_next_matching_calls_in_the_family_shape() {
    let app = spawn_app().await;
    let add = |body: Value| {
        control(
            &app,
            reqwest::Method::POST,
            "/__emulator/faults",
            Some(body),
        )
    };
    let (status, rule) =
        add(json!({"path": "/config/*", "method": "POST", "status": 503, "times": 2})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(rule["times"], 2);
    let (status, _) = add(json!({"path": "/clients/add", "legacy_code": 510})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, listed) = control(&app, reqwest::Method::GET, "/__emulator/faults", None).await;
    assert_eq!(listed.as_array().expect("array").len(), 2);

    for _ in 0..2 {
        let reply = app.config_api_create(json!({"name": "retried"})).await;
        assert_eq!(
            (reply.status, reply.body),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"errors": "Service Unavailable."})
            )
        );
    }
    assert_eq!(
        app.config_api_list("").await.status,
        StatusCode::OK,
        "GET does not match"
    );
    assert_eq!(
        app.config_api_create(json!({"name": "retried"}))
            .await
            .status,
        StatusCode::CREATED
    );

    let body = app.legacy("/clients/add", &[("description", "x")]).await;
    assert_eq!(
        (&body["code"], &body["error"]),
        (&json!(510), &json!("api_limit_error"))
    );
    assert_eq!(
        app.legacy("/clients/add", &[("description", "x")]).await["stat"],
        "ok"
    );
    let (_, listed) = control(&app, reqwest::Method::GET, "/__emulator/faults", None).await;
    assert_eq!(listed, json!([]), "used-up rules disappear");

    let (_, journal) = control(
        &app,
        reqwest::Method::GET,
        "/__emulator/requests?limit=2",
        None,
    )
    .await;
    assert_eq!(
        (&journal[1]["fault"], &journal[0]["fault"]),
        (&json!(true), &json!(false))
    );
    // A faulted legacy call is HTTP 200, and the journal still says how it failed.
    assert_eq!(
        (
            &journal[1]["legacy_code"],
            &journal[1]["error"],
            &journal[1]["detail"]
        ),
        (
            &json!(510),
            &json!("api_limit_error"),
            &json!("answered by a fault rule")
        )
    );
    let (_, failed) = control(
        &app,
        reqwest::Method::GET,
        "/__emulator/requests?outcome=error",
        None,
    )
    .await;
    let errors: Vec<_> = failed
        .as_array()
        .expect("array")
        .iter()
        .map(|entry| (entry["status"].clone(), entry["error"].clone()))
        .collect();
    assert_eq!(
        errors,
        [
            (json!(200), json!("api_limit_error")),
            (json!(503), json!("injected_fault")),
            (json!(503), json!("injected_fault")),
        ]
    );
    assert_eq!(app.names().await, ["Emulator owner client", "retried", "x"]);
}

#[tokio::test]
async fn a_legacy_fault_with_an_http_status() {
    let app = spawn_app().await;
    let (status, rule) = control(
        &app,
        reqwest::Method::POST,
        "/__emulator/faults",
        Some(json!({"path": "/clients/list", "status": 502})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let reply = read(
        app.http
            .post(app.url("/clients/list"))
            .header("authorization", owner_basic()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    assert_eq!(
        (&reply.body["stat"], &reply.body["code"]),
        (&json!("error"), &json!(500))
    );
}

#[tokio::test]
async fn delays_stall_then_answer() {
    let app = spawn_app().await;
    let (status, rule) = control(
        &app,
        reqwest::Method::POST,
        "/__emulator/faults",
        Some(json!({"path": "/clients/list", "delay_ms": 300})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let started = Instant::now();
    let body = app.legacy("/clients/list", &[]).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(body["stat"], "ok", "a delay-only fault answers normally");
}

#[tokio::test]
async fn fault_rules_are_managed() {
    let app = spawn_app().await;
    let (status, body) = control(
        &app,
        reqwest::Method::POST,
        "/__emulator/faults",
        Some(json!({"path": "/clients/add"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "a fault needs a status, a legacy_code or a delay_ms"})
        )
    );
    let (status, _) = control(
        &app,
        reqwest::Method::POST,
        "/__emulator/faults",
        Some(json!([1])),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, rule) = control(
        &app,
        reqwest::Method::POST,
        "/__emulator/faults",
        Some(json!({"path": "/clients/add", "status": 500, "times": 5})),
    )
    .await;
    let id = rule["id"].as_u64().expect("id");
    let (status, _) = control(
        &app,
        reqwest::Method::DELETE,
        &format!("/__emulator/faults/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = control(
        &app,
        reqwest::Method::DELETE,
        &format!("/__emulator/faults/{id}"),
        None,
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::NOT_FOUND,
            json!({"error": format!("no fault rule {id}")})
        )
    );
    let (status, rule) = control(
        &app,
        reqwest::Method::POST,
        "/__emulator/faults",
        Some(json!({"path": "/clients/add", "status": 500})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let (status, _) = control(&app, reqwest::Method::DELETE, "/__emulator/faults", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.legacy("/clients/add", &[("description", "x")]).await["stat"],
        "ok"
    );
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
async fn an_undecodable_fault_id_is_a_control_plane_404() {
    let app = spawn_app().await;
    for escape in NOT_UTF8 {
        let reply = read(
            app.http
                .delete(app.url(&format!("/__emulator/faults/{escape}"))),
        )
        .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        assert_eq!(reply.content_type.as_deref(), Some("application/json"));
        assert!(reply.body["error"].is_string(), "{:?}", reply.body);
    }
}

#[tokio::test]
async fn a_fault_with_an_undocumented_legacy_code_needs_its_name() {
    let app = spawn_app().await;
    let add = |body: Value| read(app.http.post(app.url("/__emulator/faults")).json(&body));
    let refused = add(json!({"path": "/clients/add", "legacy_code": 777})).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.body,
        json!({"error": "legacy_code 777 has no documented name: give legacy_error too"})
    );
    let named =
        add(json!({"path": "/clients/add", "legacy_code": 777, "legacy_error": "odd_error"})).await;
    assert_eq!(named.status, StatusCode::CREATED);
    let answer = app.legacy("/clients/add", &[("description", "x")]).await;
    assert_eq!(
        (answer["code"].clone(), answer["error"].clone()),
        (json!(777), json!("odd_error"))
    );
}
