//! The binary's own wiring of the flags the README documents, each through the process itself:
//! what a flag changes is seen over HTTP, so a flag that parsed but went nowhere fails here.

mod support;

use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use janrain_emulator::config::{DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use support::{
    FetchJson as _, Running, client_names, date_header, read_log, sign, start, start_logging_to,
    stop,
};

fn owner(request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    request.basic_auth(DEFAULT_OWNER_CLIENT_ID, Some(DEFAULT_OWNER_CLIENT_SECRET))
}

fn clients_url(running: &Running) -> String {
    format!("{}/config/emulatorapp000000000000001/clients", running.base)
}

/// The `X-Request-Id` an answer carries.
fn request_id(response: &reqwest::Response) -> String {
    response.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned()
}

/// A new connection to `addr` on which `bytes` were sent.
async fn sent_on_a_new_connection(addr: &str, bytes: &[u8]) -> tokio::net::TcpStream {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    stream.write_all(bytes).await.expect("sent");
    stream
}

/// Everything the server sends on `stream` until it closes it, within 10 s.
async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> String {
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("answered and closed within 10 s")
        .expect("read");
    String::from_utf8_lossy(&answer).into_owned()
}

/// A signed `/clients/list` with the given date, as janrain-python-api signs it.
async fn signed_list(http: &reqwest::Client, running: &Running, date: &str) -> Value {
    let signature = sign(
        DEFAULT_OWNER_CLIENT_SECRET,
        &format!("/clients/list\n{date}\n"),
    );
    http.post(format!("{}/clients/list", running.base))
        .header(
            "authorization",
            format!("Signature {DEFAULT_OWNER_CLIENT_ID}:{signature}"),
        )
        .header("date", date)
        .fetch_json()
        .await
}

#[tokio::test]
async fn signature_skew_secs_sets_the_date_window() {
    let http = reqwest::Client::new();
    let minute_ago = date_header(SystemTime::now() - Duration::from_secs(60));
    let narrow = start(
        &["--listen", "127.0.0.1:0", "--signature-skew-secs", "10"],
        &[],
    );
    assert_eq!(signed_list(&http, &narrow, &minute_ago).await["code"], 402);
    let now = date_header(SystemTime::now());
    assert_eq!(signed_list(&http, &narrow, &now).await["stat"], "ok");
    assert!(stop(narrow).success());
    let wide = start(
        &[],
        &[
            ("JANRAIN_EMULATOR_LISTEN", "127.0.0.1:0"),
            ("JANRAIN_EMULATOR_SIGNATURE_SKEW_SECS", "120"),
        ],
    );
    assert_eq!(signed_list(&http, &wide, &minute_ago).await["stat"], "ok");
    assert!(stop(wide).success());
}

#[tokio::test]
async fn read_timeout_secs_bounds_a_stalled_body() {
    let running = start(
        &["--listen", "127.0.0.1:0", "--read-timeout-secs", "1"],
        &[],
    );
    let addr = running.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connects");
    let head = format!(
        "POST /config/emulatorapp000000000000001/clients HTTP/1.1\r\nHost: x\r\n\
         Authorization: Basic {}\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\
         Connection: close\r\n\r\n{{\"na",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{DEFAULT_OWNER_CLIENT_ID}:{DEFAULT_OWNER_CLIENT_SECRET}"
        ))
    );
    let started = Instant::now();
    stream.write_all(head.as_bytes()).await.expect("sent");
    let answer = read_until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // The default is 30 s: an answer within 10 s came from the flag.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert!(stop(running).success());
}

#[tokio::test]
async fn trust_forwarded_for_takes_the_callers_address_from_the_header() {
    let http = reqwest::Client::new();
    for (flag, expected) in [
        (None, StatusCode::FORBIDDEN),
        (Some("--trust-forwarded-for"), StatusCode::OK),
    ] {
        let mut args = vec!["--listen", "127.0.0.1:0"];
        args.extend(flag);
        let running = start(&args, &[]);
        let made = owner(http.post(clients_url(&running)))
            .json(&json!({"name": "behind a proxy", "features": ["owner"], "ipWhitelist": ["10.0.0.0/8"]}))
            .fetch_json()
            .await;
        let (id, secret) = (
            made["_id"].as_str().expect("id"),
            made["_secret"].as_str().expect("secret"),
        );
        let status = http
            .get(clients_url(&running))
            .basic_auth(id, Some(secret))
            .header("x-forwarded-for", "10.1.2.3, 127.0.0.1")
            .send()
            .await
            .expect("sent")
            .status();
        assert_eq!(status, expected, "{flag:?}");
        assert!(stop(running).success());
    }
}

#[tokio::test]
async fn seed_makes_ids_secrets_and_request_ids_repeat() {
    let http = reqwest::Client::new();
    let run = async |seed: &str| {
        let running = start(&["--listen", "127.0.0.1:0", "--seed", seed], &[]);
        let response = owner(http.post(clients_url(&running)))
            .json(&json!({"name": "seeded"}))
            .send()
            .await
            .expect("sent");
        let request_id = request_id(&response);
        let made: Value = response.json().await.expect("json");
        assert!(stop(running).success());
        (made["_id"].clone(), made["_secret"].clone(), request_id)
    };
    let first = run("7").await;
    assert_eq!(run("7").await, first);
    let other = run("8").await;
    assert_ne!(other.0, first.0);
    assert_ne!(other.1, first.1);
    assert_ne!(other.2, first.2);
}

#[tokio::test]
async fn a_failure_is_logged_with_the_request_id_it_answered_with() {
    let mut log = tempfile::tempfile().expect("log");
    let running = start_logging_to(
        &["--listen", "127.0.0.1:0"],
        &[],
        log.try_clone().expect("log handle"),
    );
    let http = reqwest::Client::new();
    let legacy = http
        .post(format!("{}/clients/list", running.base))
        .basic_auth(DEFAULT_OWNER_CLIENT_ID, Some("wrong"))
        .send()
        .await
        .expect("sent");
    let legacy_id = request_id(&legacy);
    let body: Value = legacy.json().await.expect("json");
    assert_eq!(body["request_id"], legacy_id.as_str());
    let config = http
        .get(clients_url(&running))
        .basic_auth(DEFAULT_OWNER_CLIENT_ID, Some("wrong"))
        .send()
        .await
        .expect("sent");
    let config_id = request_id(&config);
    assert!(stop(running).success());
    let text = read_log(&mut log);
    for (id, family) in [
        (legacy_id, "legacy call failed"),
        (config_id, "config call failed"),
    ] {
        let line = text
            .lines()
            .find(|line| line.contains(&id))
            .unwrap_or_else(|| panic!("no log line with {id}:\n{text}"));
        assert!(line.contains(family), "{line}");
    }
}

/// A fixture with one application and its owner, written to `dir`.
fn fixture_file(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("fixture.json");
    let fixture = json!({"apps": [{
        "app_id": "emulatorapp000000000000001",
        "clients": [{
            "_id": DEFAULT_OWNER_CLIENT_ID,
            "_secret": DEFAULT_OWNER_CLIENT_SECRET,
            "name": "imported owner",
            "features": ["owner"],
        }],
    }]});
    std::fs::write(&path, fixture.to_string()).expect("fixture written");
    path
}

#[tokio::test]
async fn a_state_file_with_state_wins_over_import() {
    let dir = tempfile::tempdir().expect("dir");
    let state = dir.path().join("state.db");
    let state = state.to_str().expect("utf-8");
    let fixture = fixture_file(dir.path());
    let fixture = fixture.to_str().expect("utf-8");
    let http = reqwest::Client::new();
    // First run: the file is empty, so the import is the start.
    let first = start(
        &[
            "--listen",
            "127.0.0.1:0",
            "--state-file",
            state,
            "--import",
            fixture,
        ],
        &[],
    );
    assert_eq!(client_names(&http, &first).await, ["imported owner"]);
    let made = owner(http.post(clients_url(&first)))
        .json(&json!({"name": "from the file"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(made.status(), StatusCode::CREATED);
    assert!(stop(first).success());
    // Second run with the same import: the file's state is served.
    let second = start(
        &[
            "--listen",
            "127.0.0.1:0",
            "--state-file",
            state,
            "--import",
            fixture,
        ],
        &[],
    );
    assert_eq!(
        client_names(&http, &second).await,
        ["imported owner", "from the file"]
    );
    // Reset goes back to the import, in the file too.
    let reset = http
        .post(format!("{}/__emulator/reset", second.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(reset.status(), StatusCode::OK);
    assert!(stop(second).success());
    let third = start(&["--listen", "127.0.0.1:0", "--state-file", state], &[]);
    assert_eq!(client_names(&http, &third).await, ["imported owner"]);
    assert!(stop(third).success());
}

#[tokio::test]
async fn a_stored_owner_whose_secret_was_rotated_is_kept_with_a_warning() {
    let dir = tempfile::tempdir().expect("dir");
    let state = dir.path().join("state.db");
    let state = state.to_str().expect("utf-8");
    let http = reqwest::Client::new();
    let first = start(&["--listen", "127.0.0.1:0", "--state-file", state], &[]);
    let rotated = owner(http.put(format!(
        "{}/{DEFAULT_OWNER_CLIENT_ID}/secret",
        clients_url(&first)
    )))
    .json(&json!({"hoursToLive": 0}))
    .fetch_json()
    .await;
    let new_secret = rotated["_secret"].as_str().expect("secret").to_owned();
    assert!(stop(first).success());
    let mut log = tempfile::tempfile().expect("log");
    let second = start_logging_to(
        &["--listen", "127.0.0.1:0", "--state-file", state],
        &[],
        log.try_clone().expect("log handle"),
    );
    let status = http
        .get(clients_url(&second))
        .basic_auth(DEFAULT_OWNER_CLIENT_ID, Some(&new_secret))
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(status, StatusCode::OK, "the stored secret still works");
    assert!(stop(second).success());
    let text = read_log(&mut log);
    assert!(text.contains("WARN"), "{text}");
    assert!(
        text.contains("differs from the command line (another secret); keeping the stored one"),
        "{text}"
    );
    assert!(!text.contains(&new_secret), "the warning names no secret");
}

#[tokio::test]
async fn sigterm_ends_the_process_promptly_whatever_clients_hold() {
    let running = start(&["--listen", "127.0.0.1:0"], &[]);
    let addr = running.base.trim_start_matches("http://").to_owned();
    // An HTTP/2 peer that never answers GOAWAY: the preface and its SETTINGS, then silence.
    let _idle = sent_on_a_new_connection(
        &addr,
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00",
    )
    .await;
    // A request that a fault rule stalls for five minutes.
    let http = reqwest::Client::new();
    let rule = http
        .post(format!("{}/__emulator/faults", running.base))
        .json(&json!({"path": "/clients/list", "delay_ms": 300_000}))
        .send()
        .await
        .expect("sent");
    assert_eq!(rule.status(), StatusCode::CREATED);
    let stalled = tokio::spawn(http.post(format!("{}/clients/list", running.base)).send());
    // The stalled request has reached the server once the rule is used up (the journal would
    // only record it when answered).
    for _ in 0..500 {
        let pending = http
            .get(format!("{}/__emulator/faults", running.base))
            .fetch_json()
            .await;
        if pending.as_array().is_some_and(Vec::is_empty) {
            break;
        }
        tokio::task::yield_now().await;
    }
    let started = Instant::now();
    let status = tokio::task::spawn_blocking(move || stop(running))
        .await
        .expect("stopped");
    assert!(status.success(), "{status:?}");
    // The drain limit is 3 s; stop() itself gives up after 5.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    stalled.abort();
}

#[tokio::test]
async fn clock_starts_the_emulator_frozen_at_an_instant() {
    let running = start(
        &[
            "--listen",
            "127.0.0.1:0",
            "--clock",
            "2030-01-01T00:00:00Z",
            "--seed",
            "3",
        ],
        &[],
    );
    let http = reqwest::Client::new();
    let shown: Value = http
        .get(format!("{}/__emulator/clock", running.base))
        .fetch_json()
        .await;
    assert_eq!(
        shown,
        json!({"now": "2030-01-01T00:00:00Z", "system": false, "frozen": true})
    );
    // A signed request dated at that instant is inside the window.
    let signed = signed_list(&http, &running, "2030-01-01 00:00:00").await;
    assert_eq!(signed["stat"], "ok", "{signed}");
    assert!(stop(running).success());
    let refused = support::run(&["--listen", "127.0.0.1:0", "--clock", "soon"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("--clock \"soon\" is not an RFC 3339 instant"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

#[tokio::test]
async fn control_token_guards_the_control_plane_of_the_binary() {
    let running = start(
        &["--listen", "127.0.0.1:0"],
        &[("JANRAIN_EMULATOR_CONTROL_TOKEN", "from-the-environment")],
    );
    let http = reqwest::Client::new();
    let url = format!("{}/__emulator/snapshot", running.base);
    let without = http.get(&url).send().await.expect("sent").status();
    let with = http
        .get(&url)
        .bearer_auth("from-the-environment")
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!((without, with), (StatusCode::UNAUTHORIZED, StatusCode::OK));
    let health = http
        .get(format!("{}/__emulator/health", running.base))
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(health, StatusCode::OK);
    assert!(stop(running).success());
}

/// A control-plane call with the `Host` and `Origin` a browser page would send.
async fn as_page(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    host: Option<&str>,
    origin: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = http.request(method, url);
    if let Some(host) = host {
        request = request.header("host", host);
    }
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    let reply = request.send().await.expect("sent");
    let status = reply.status();
    let text = reply.text().await.expect("text");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn without_a_token_the_control_plane_refuses_what_another_sites_page_could_send() {
    let running = start(&["--listen", "127.0.0.1:0"], &[]);
    let http = reqwest::Client::new();
    let base = &running.base;
    let port = base.rsplit(':').next().expect("a port");
    let snapshot = format!("{base}/__emulator/snapshot");
    // A page that rebinds its own name to 127.0.0.1 reads as its own origin, but sends its name.
    for host in [
        "rebind.attacker.example",
        &format!("rebind.attacker.example:{port}"),
    ] {
        let (status, body) =
            as_page(&http, reqwest::Method::GET, &snapshot, Some(host), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{host}: {body}");
        let error = body["error"].as_str().expect("an error");
        assert!(
            error.contains("--control-host rebind.attacker.example"),
            "{error}"
        );
        assert!(!body.to_string().contains(DEFAULT_OWNER_CLIENT_SECRET));
    }
    // The names no other site can hold are served.
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        format!("janrain:{port}"),
        format!("myrealm.janraincapture.com:{port}"),
    ] {
        let (status, _) = as_page(&http, reqwest::Method::GET, &snapshot, Some(&host), None).await;
        assert_eq!(status, StatusCode::OK, "{host}");
    }
    // The readiness probe and the root answer any Host; the emulated APIs are not the control
    // plane's to guard.
    for path in ["/__emulator/health", "/__emulator/ca.pem"] {
        let url = format!("{base}{path}");
        let (status, _) = as_page(
            &http,
            reqwest::Method::GET,
            &url,
            Some("rebind.attacker.example"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    // A cross-site form or fetch that changes something: refused, and nothing changes.
    let apps = format!("{base}/__emulator/apps");
    let count = |body: Value| body["apps"].as_array().map_or(0, Vec::len);
    let (_, before) = as_page(&http, reqwest::Method::GET, &apps, None, None).await;
    for origin in [
        "http://attacker.example",
        "null",
        &format!("http://127.0.0.1:{}", 1),
    ] {
        for url in [&apps, &format!("{base}/__emulator/reset")] {
            let (status, body) =
                as_page(&http, reqwest::Method::POST, url, None, Some(origin)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{origin} {url}: {body}");
            assert!(
                body["error"]
                    .as_str()
                    .expect("error")
                    .contains("--control-token"),
                "{body}"
            );
        }
    }
    let (_, after) = as_page(&http, reqwest::Method::GET, &apps, None, None).await;
    assert_eq!(count(after), count(before.clone()));
    // The emulator's own page, and a script that sends no Origin, are taken.
    let own = format!("http://127.0.0.1:{port}");
    let (status, _) = as_page(&http, reqwest::Method::POST, &apps, None, Some(&own)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = as_page(&http, reqwest::Method::POST, &apps, None, None).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, after) = as_page(&http, reqwest::Method::GET, &apps, None, None).await;
    assert_eq!(count(after), count(before) + 2);
    stop(running);
    // A name of the user's own, given by the flag, is served; others still are not.
    let running = start(
        &[
            "--listen",
            "127.0.0.1:0",
            "--control-host",
            "Emulator.CI.example",
        ],
        &[],
    );
    let snapshot = format!("{}/__emulator/snapshot", running.base);
    for (host, expected) in [
        ("emulator.ci.example:8080", StatusCode::OK),
        ("rebind.attacker.example", StatusCode::FORBIDDEN),
    ] {
        let (status, _) = as_page(&http, reqwest::Method::GET, &snapshot, Some(host), None).await;
        assert_eq!(status, expected, "{host}");
    }
    stop(running);
    // With a token, the token is the guard: any Host and Origin that present it are served.
    let running = start(
        &["--listen", "127.0.0.1:0", "--control-token", "t0ken"],
        &[],
    );
    let reply = http
        .post(format!("{}/__emulator/apps", running.base))
        .header("host", "rebind.attacker.example")
        .header("origin", "http://attacker.example")
        .bearer_auth("t0ken")
        .send()
        .await
        .expect("sent");
    assert_eq!(reply.status(), StatusCode::CREATED);
    stop(running);
}

/// Opens `count` connections to `addr` that send nothing, and keeps them.
async fn idle_connections(addr: &str, count: usize) -> Vec<tokio::net::TcpStream> {
    let mut held = Vec::with_capacity(count);
    for _ in 0..count {
        // An emulator that stopped accepting would leave the connect waiting for minutes.
        let connected =
            tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(addr))
                .await
                .expect("connected within 5 s: the emulator accepts");
        held.push(connected.expect("connect"));
    }
    held
}

/// `GET /__emulator/health` on a new connection, within `limit`.
async fn health_within(base: &str, limit: Duration) -> Result<StatusCode, String> {
    let http = reqwest::Client::builder()
        .timeout(limit)
        .build()
        .expect("client");
    http.get(format!("{base}/__emulator/health"))
        .send()
        .await
        .map(|reply| reply.status())
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn health_answers_while_idle_connections_hold_the_descriptors() {
    // 256 descriptors: the default cap is what that leaves after the emulator's own files.
    let running = support::start_under_shell("ulimit -n 256", &["--listen", "127.0.0.1:0"]);
    let addr = running.base.trim_start_matches("http://").to_owned();
    // More idle connections than the process has descriptors.
    let held = idle_connections(&addr, 400).await;
    let answered = health_within(&running.base, Duration::from_secs(5)).await;
    assert_eq!(answered, Ok(StatusCode::OK));
    let info = reqwest::Client::new()
        .get(format!("{}/__emulator/info", running.base))
        .fetch_json()
        .await;
    let cap = info["max_connections"].as_u64().expect("a cap");
    assert!((64..256).contains(&cap), "{cap}");
    drop(held);
    assert!(stop(running).success());
}

#[tokio::test]
async fn max_connections_closes_the_oldest_but_lets_a_request_in_flight_finish() {
    let running = start(&["--listen", "127.0.0.1:0", "--max-connections", "8"], &[]);
    let addr = running.base.trim_start_matches("http://").to_owned();
    let http = reqwest::Client::new();
    // The oldest connection has a request in flight, stalled by a fault rule.
    let rule = http
        .post(format!("{}/__emulator/faults", running.base))
        .json(&json!({"path": "/clients/list", "delay_ms": 1500, "times": 1}))
        .send()
        .await
        .expect("sent");
    assert_eq!(rule.status(), StatusCode::CREATED);
    let mut busy = sent_on_a_new_connection(
        &addr,
        b"POST /clients/list HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 0\r\n\r\n",
    )
    .await;
    // The rule leaves the list when the request takes it: it is then in the handler's hands.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let pending = http
            .get(format!("{}/__emulator/faults", running.base))
            .fetch_json()
            .await;
        if pending.as_array().is_some_and(Vec::is_empty) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the stalled request never arrived"
        );
        tokio::task::yield_now().await;
    }
    let mut idle = idle_connections(&addr, 20).await;
    assert_eq!(
        health_within(&running.base, Duration::from_secs(5)).await,
        Ok(StatusCode::OK)
    );
    // The stalled request is answered, then its connection closes.
    let answer = read_until_closed(&mut busy).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"stat\""), "{answer}");
    // The oldest idle ones were closed to make room: they read the end of the stream.
    let mut byte = [0u8; 1];
    let first = tokio::time::timeout(Duration::from_secs(5), idle[0].read(&mut byte))
        .await
        .expect("closed in time");
    assert!(matches!(first, Ok(0)), "{first:?}");
    assert!(stop(running).success());
}
