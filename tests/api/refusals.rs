//! Refusals in each family's own shape, for input that used to slip past the extractors, and the
//! lenient inputs the emulator accepts or refuses on purpose (docs/quirks.md).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, owner_basic, per_client_operations, read, spawn_app};

/// Escapes that do not decode to UTF-8: a lone byte, a broken two-byte sequence, a surrogate.
const NOT_UTF8: [&str; 3] = ["%FF", "%C3%28", "%ED%A0%80"];

#[tokio::test]
async fn an_undecodable_client_id_is_an_unknown_client() {
    let app = spawn_app().await;
    let base = app.clients_url();
    for escape in NOT_UTF8 {
        for (method, suffix, body) in per_client_operations() {
            let mut request = app
                .http
                .request(method.clone(), format!("{base}/{escape}{suffix}"))
                .header("authorization", owner_basic());
            if let Some(body) = body {
                request = request.json(&body);
            }
            let reply = read(request).await;
            assert_eq!(
                reply.status,
                StatusCode::NOT_FOUND,
                "{method} {escape}{suffix}"
            );
            assert_eq!(
                reply.body,
                json!({"errors": "Client ID not found."}),
                "{method} {escape}{suffix}"
            );
        }
        // In the application's place, it is an unknown application, in the words of each
        // operation's documentation.
        let reply = read(
            app.http
                .post(app.url(&format!("/config/{escape}/clients")))
                .header("authorization", owner_basic())
                .json(&json!({"name": "x"})),
        )
        .await;
        assert_eq!(reply.body, json!({"errors": "Application ID not found."}));
        let reply = read(
            app.http
                .get(app.url(&format!("/config/{escape}/clients")))
                .header("authorization", owner_basic()),
        )
        .await;
        assert_eq!(reply.body, json!({"errors": "Client ID not found."}));
    }
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

/// Sends `raw` on one connection and reads until the server closes it or 5 s pass.
async fn exchange(app: &TestApp, raw: &[u8]) -> String {
    let mut stream = TcpStream::connect(app.emulator.addr())
        .await
        .expect("connects");
    stream.write_all(raw).await.expect("sent");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn connect_is_refused_and_the_next_pipelined_request_is_answered() {
    let app = spawn_app().await;
    let answer = exchange(
        &app,
        b"CONNECT /clients/add HTTP/1.1\r\nHost: x\r\n\r\n\
          GET /__emulator/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        answer.starts_with("HTTP/1.1 405 Method Not Allowed"),
        "{answer}"
    );
    assert!(answer.contains("\"stat\":\"error\""), "{answer}");
    assert!(
        answer.contains("/clients/add does not accept CONNECT"),
        "{answer}"
    );
    assert!(
        answer.contains("{\"status\":\"ok\"}"),
        "the next request: {answer}"
    );
    // A fault rule on every legacy path does not turn CONNECT into a tunnel either.
    let rule = read(
        app.http
            .post(app.url("/__emulator/faults"))
            .json(&json!({"path": "/*", "legacy_code": 510})),
    )
    .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{:?}", rule.body);
    let answer = exchange(
        &app,
        b"CONNECT /clients/list HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");
    // Other odd methods get the ordinary "does not accept" envelope, with HTTP 200.
    let odd = app.legacy_send(app.http.request(
        reqwest::Method::from_bytes(b"BREW").expect("method"),
        app.url("/clients/list"),
    ));
    // The fault rule is still pending (CONNECT did not use it): let it answer, then go on.
    assert_eq!(odd.await["code"], 510);
    let odd = app
        .legacy_send(app.http.request(
            reqwest::Method::from_bytes(b"BREW").expect("method"),
            app.url("/clients/list"),
        ))
        .await;
    assert_eq!(
        odd["error_description"],
        "/clients/list does not accept BREW"
    );
}

#[tokio::test]
async fn a_declared_body_over_the_limit_is_refused_at_once() {
    let app = spawn_app().await;
    let too_large = 2 * 1024 * 1024 * 1024_u64;
    for (path, content_type) in [
        (
            format!("/config/{}/clients", app.app_id()),
            "application/json",
        ),
        (
            "/clients/add".to_owned(),
            "application/x-www-form-urlencoded",
        ),
    ] {
        for expect in ["Expect: 100-continue\r\n", ""] {
            let head = format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\n\
                 Content-Type: {content_type}\r\n{expect}Content-Length: {too_large}\r\n\
                 Connection: close\r\n\r\n",
                owner_basic()
            );
            let started = std::time::Instant::now();
            let answer = exchange(&app, head.as_bytes()).await;
            // The read timeout is 30 s: an answer within the exchange's 5 s came at once.
            assert!(started.elapsed() < Duration::from_secs(5), "{answer}");
            assert!(!answer.contains("100 Continue"), "{answer}");
            if path.starts_with("/config/") {
                assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
                assert!(
                    answer.contains(
                        "{\"errors\":\"The request body is larger than 1048576 bytes.\"}"
                    ),
                    "{answer}"
                );
            } else {
                assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
                assert!(answer.contains("\"code\":200"), "{answer}");
                assert!(
                    answer.contains("larger than the 1048576-byte limit"),
                    "{answer}"
                );
            }
        }
    }
    assert_eq!(app.names().await, ["Emulator owner client"]);
}

async fn reset_with(app: &TestApp, id: &str, hours: &str) -> Value {
    app.legacy(
        "/clients/reset_secret",
        &[("for_client_id", id), ("hours_to_live", hours)],
    )
    .await
}

#[tokio::test]
async fn hours_to_live_is_read_as_a_decimal_integer() {
    let app = spawn_app().await;
    let made = app
        .legacy("/clients/add", &[("description", "rotated")])
        .await;
    let id = made["client_id"].as_str().expect("id");
    for accepted in ["+5", " 5", "05", "-0", "168 "] {
        assert_eq!(
            reset_with(&app, id, accepted).await["stat"],
            "ok",
            "{accepted:?}"
        );
    }
    for (refused, reason) in [
        ("5.0", "the value is not an integer"),
        ("0x5", "the value is not an integer"),
        ("1_0", "the value is not an integer"),
        ("five", "the value is not an integer"),
        ("-1", "the value must be between 0 and 168"),
        ("169", "the value must be between 0 and 168"),
    ] {
        let body = reset_with(&app, id, refused).await;
        assert_eq!(body["code"], 200, "{refused:?}");
        assert_eq!(
            body["error_description"],
            format!("hours_to_live was not valid for the following reason: {reason}"),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn names_need_a_visible_character_and_at_most_1024_of_them() {
    let app = spawn_app().await;
    for invisible in [
        "\0",
        "\0\0\0",
        "\u{200B}",
        "\u{FEFF}\u{2060} ",
        "\t\u{3000}",
    ] {
        let legacy = app
            .legacy("/clients/add", &[("description", invisible)])
            .await;
        assert_eq!(legacy["code"], 100, "{invisible:?}");
        assert_eq!(legacy["argument_name"], "description");
        let config = app.config_api_create(json!({"name": invisible})).await;
        assert_eq!(config.status, StatusCode::BAD_REQUEST, "{invisible:?}");
        assert_eq!(
            config.body,
            json!({"errors": "Missing data for required field."})
        );
    }
    let longest = "n".repeat(1024);
    let too_long = "n".repeat(1025);
    let legacy = app
        .legacy("/clients/add", &[("description", &too_long)])
        .await;
    assert_eq!(
        legacy["error_description"],
        "description was not valid for the following reason: the value is longer than 1024 characters"
    );
    let config = app.config_api_create(json!({"name": too_long})).await;
    assert_eq!(config.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        config.body,
        json!({"errors": "Longer than maximum length 1024."})
    );
    assert_eq!(
        app.config_api_create(json!({"name": longest})).await.status,
        StatusCode::CREATED
    );
    // A visible character among invisible ones makes a name, kept exactly as sent.
    let kept = app
        .legacy("/clients/add", &[("description", "\u{200B}x\0")])
        .await;
    assert_eq!(kept["description"], "\u{200B}x\0");
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

#[tokio::test]
async fn allowlist_blocks_follow_pythons_ipaddress() {
    let app = spawn_app().await;
    let made = app
        .legacy("/clients/add", &[("description", "listed")])
        .await;
    let id = made["client_id"].as_str().expect("id");
    let set = async |block: &str| {
        let list = format!("[\"{block}\"]");
        app.legacy(
            "/clients/set_whitelist",
            &[("for_client_id", id), ("whitelist", &list)],
        )
        .await
    };
    // A leading zero in the prefix length is read as decimal; in an octet it is refused, since
    // it could mean octal.
    for accepted in ["10.0.0.1/08", "10.0.0.1/008", "10.1.2.3/8", "0.0.0.0/00"] {
        assert_eq!(set(accepted).await["stat"], "ok", "{accepted}");
    }
    for refused in ["010.0.0.1/8", "10.0.0.1/0008", "10.0.0.1/ 8", "10.0.0.1/33"] {
        assert_eq!(set(refused).await["code"], 200, "{refused}");
    }
}
