//! The limits of a request: a head that never ends, a body that never arrives or is declared
//! too large, and a `CONNECT` refused without losing the request pipelined after it.

use std::time::Duration;

use janrain_emulator::Config;
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, owner_basic, read, spawn_app, spawn_app_with};

async fn quick_app() -> crate::helpers::TestApp {
    spawn_app_with(Config {
        read_timeout: Duration::from_millis(300),
        ..Config::default()
    })
    .await
}

/// Everything the server sends until it closes the connection.
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the server closes within 10 s")
        .expect("read");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_request_head_that_never_ends_is_cut_off() {
    let app = quick_app().await;
    let mut slow = TcpStream::connect(app.emulator.addr())
        .await
        .expect("connects");
    slow.write_all(b"POST /clients/list HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("partial head sent");
    // Meanwhile the server answers everyone else.
    let health = read(app.http.get(app.url("/__emulator/health"))).await;
    assert_eq!(health.body, json!({"status": "ok"}));
    let answer = until_closed(&mut slow).await;
    // Cut off without an answer, or with hyper's own refusal: never an answer of the router,
    // and never a server error.
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_body_that_never_arrives_gets_the_family_error() {
    let app = quick_app().await;
    for (path, content_type, expected) in [
        (
            format!("/config/{}/clients", app.app_id()),
            "application/json",
            "HTTP/1.1 408 Request Timeout",
        ),
        (
            "/clients/add".to_owned(),
            "application/x-www-form-urlencoded",
            "HTTP/1.1 200 OK",
        ),
    ] {
        let mut slow = TcpStream::connect(app.emulator.addr())
            .await
            .expect("connects");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Type: {content_type}\r\n\
             Content-Length: 100\r\nConnection: close\r\n\r\n{{\"na",
            owner_basic()
        );
        slow.write_all(head.as_bytes()).await.expect("sent");
        let answer = until_closed(&mut slow).await;
        assert!(answer.starts_with(expected), "{answer}");
        assert!(answer.contains("did not arrive in time"), "{answer}");
    }
    assert_eq!(app.names().await, ["Emulator owner client"]);
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
