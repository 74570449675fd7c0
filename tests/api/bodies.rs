//! Request bodies and parameters: broken bodies refused in each family's shape (never a panic, a
//! 500 or axum's plain-text rejection, and nothing stored changes), any JSON media type taken as
//! JSON, and an empty legacy parameter counted as absent.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{owner_basic, read, spawn_app};

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
