//! The benchmark's baseline: a minimal HTTP server that reads each request's body whole and
//! answers with the same JSON body, straight from hyper. `scripts/bench` compares the emulator's
//! throughput to it, each load scenario against a baseline that is sent that scenario's requests
//! and answers with the bytes of one of that scenario's answers.
//!
//! Built by `cargo build --release --bench baseline` (the scripts find the executable in cargo's
//! JSON messages), and run as `baseline 127.0.0.1:0 [BODY_FILE]`: it prints
//! `listening on http://ADDR`; without a file the body is a 26-byte envelope.

use std::convert::Infallible;

use axum::body::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

const BODY: &[u8] = br#"{"stat":"ok","results":[]}"#;

/// The answer: `body`, with the headers the emulator sends (its `X-Request-Id` included), so
/// that only the emulator's own work differs.
fn answer(body: &Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.clone()));
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        "x-request-id",
        hyper::header::HeaderValue::from_static("baselinerequest0"),
    );
    response
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let body = match std::env::args().nth(2) {
        Some(path) => Bytes::from(std::fs::read(path)?),
        None => Bytes::from_static(BODY),
    };
    let listener = TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let body = body.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                let response = answer(&body);
                async move {
                    // Read to its end, as the emulator reads what it is sent.
                    let _ = request.into_body().collect().await;
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
