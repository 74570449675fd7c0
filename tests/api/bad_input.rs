//! Malformed requests, unknown paths and methods: each family answers in its own shape, never
//! with a panic, a 500 or axum's plain-text rejection, and nothing stored changes.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{owner_basic, read, spawn_app};

const MIB: usize = 1024 * 1024;

#[tokio::test]
async fn broken_configuration_bodies() {
    let app = spawn_app().await;
    let send = |content_type: &'static str, body: Vec<u8>| {
        app.http
            .post(app.clients_url())
            .header("authorization", owner_basic())
            .header("content-type", content_type)
            .body(body)
    };
    let big_name = "x".repeat(MIB + 1);
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (
            send("application/json", b"{\"name\":".to_vec()),
            400,
            "The request body is not valid JSON.",
        ),
        (
            send("application/json", Vec::new()),
            400,
            "The request body is not valid JSON.",
        ),
        (
            send("application/json", b"[]".to_vec()),
            400,
            "Invalid input type.",
        ),
        (
            send("application/json", b"null".to_vec()),
            400,
            "Invalid input type.",
        ),
        (
            send("application/json", b"\"name\"".to_vec()),
            400,
            "Invalid input type.",
        ),
        (
            send("application/json", vec![b'{', 0xff, 0xfe, b'}']),
            400,
            "The request body is not valid JSON.",
        ),
        (
            send("text/plain", b"{\"name\":\"x\"}".to_vec()),
            415,
            "A request body of type text/plain is not accepted here; send application/json.",
        ),
        (
            send("application/x-www-form-urlencoded", b"name=x".to_vec()),
            415,
            "A request body of type application/x-www-form-urlencoded is not accepted here; send application/json.",
        ),
        (
            send(
                "application/json",
                format!("{{\"name\":\"{big_name}\"}}").into_bytes(),
            ),
            413,
            "The request body is larger than 1048576 bytes.",
        ),
    ];
    for (request, status, text) in cases {
        let reply = read(request).await;
        assert_eq!(
            (reply.status.as_u16(), reply.body),
            (status, json!({ "errors": text }))
        );
        assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    }
    assert_eq!(app.names().await, ["Emulator owner client"]);
}

#[tokio::test]
async fn json_with_a_charset_and_without_a_content_type_is_accepted() {
    let app = spawn_app().await;
    for (content_type, name) in [(Some("application/json; charset=utf-8"), "a"), (None, "b")] {
        let mut request = app
            .http
            .post(app.clients_url())
            .header("authorization", owner_basic())
            .body(format!("{{\"name\":\"{name}\"}}"));
        if let Some(value) = content_type {
            request = request.header("content-type", value);
        }
        assert_eq!(read(request).await.status, StatusCode::CREATED);
    }
}

#[tokio::test]
async fn broken_legacy_bodies() {
    let app = spawn_app().await;
    let send = |content_type: &'static str, body: Vec<u8>| {
        app.http
            .post(app.url("/clients/add"))
            .header("authorization", owner_basic())
            .header("content-type", content_type)
            .body(body)
    };
    let cases = vec![
        (
            send(
                "application/x-www-form-urlencoded",
                b"description=%ff%fe".to_vec(),
            ),
            "the request parameters are not valid UTF-8",
        ),
        (
            send(
                "application/x-www-form-urlencoded",
                vec![b'd', b'=', 0xc3, 0x28],
            ),
            "the request parameters are not valid UTF-8",
        ),
        (
            send("application/json", b"{\"description\":\"x\"}".to_vec()),
            "a request body of type application/json is not accepted here; send application/x-www-form-urlencoded",
        ),
        (
            send(
                "application/x-www-form-urlencoded",
                format!("description={}", "x".repeat(MIB)).into_bytes(),
            ),
            "the request body is larger than the 1048576-byte limit",
        ),
    ];
    for (request, description) in cases {
        let body = app.legacy_send(request).await;
        assert_eq!(
            (body["code"].as_i64(), body["error"].as_str()),
            (Some(200), Some("invalid_argument"))
        );
        assert_eq!(body["error_description"], description);
    }
    let query = app
        .legacy_send(
            app.http
                .post(format!("{}?description=%ff", app.url("/clients/add")))
                .header("authorization", owner_basic()),
        )
        .await;
    assert_eq!(
        query["error_description"],
        "the request parameters are not valid UTF-8"
    );
    assert_eq!(app.names().await, ["Emulator owner client"]);
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
