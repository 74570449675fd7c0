//! Slow or half-sent requests do not hold the server.

use std::time::Duration;

use janrain_emulator::Config;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{owner_basic, read, spawn_app_with};

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
