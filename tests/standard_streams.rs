//! The real binary with its standard streams as harnesses leave them: standard error closed, or
//! a pipe nobody reads; standard output closed before the address line. The log is best effort
//! and never takes part in answering; the address line is handled without a panic.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{ChildStderr, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use janrain_emulator::config::{DEFAULT_APP_ID, DEFAULT_OWNER_CLIENT_ID};
use reqwest::StatusCode;
use serde_json::Value;
use support::{BINARY, FetchJson as _, Running, start_capturing, stop};

/// How many failing calls each test sends: each writes a line at the default level, several
/// times what a pipe's buffer and the log's queue hold together.
const FAILING_CALLS: usize = 2_000;

/// Sends [`FAILING_CALLS`] calls that fail (half legacy, half Configuration API), 16 at a time,
/// and checks that every one is answered in full, in its family's shape, within 10 s.
async fn failing_calls_are_answered(base: &str) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..16 {
        let (http, base) = (http.clone(), base.to_owned());
        workers.spawn(async move {
            for n in (worker..FAILING_CALLS).step_by(16) {
                if n % 2 == 0 {
                    // No credentials: the legacy envelope, HTTP 200.
                    let reply = http
                        .post(format!("{base}/clients/list"))
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("legacy call {n} got no answer: {e}"));
                    assert_eq!(reply.status(), StatusCode::OK, "call {n}");
                    let body: Value = reply.json().await.expect("a whole JSON body");
                    assert_eq!(body["stat"], "error", "call {n}: {body}");
                    assert_eq!(body["code"], 402, "call {n}: {body}");
                } else {
                    // A wrong secret: 401 in the Configuration API's shape.
                    let reply = http
                        .get(format!("{base}/config/{DEFAULT_APP_ID}/clients"))
                        .basic_auth(DEFAULT_OWNER_CLIENT_ID, Some("not the secret"))
                        .send()
                        .await
                        .unwrap_or_else(|e| {
                            panic!("Configuration API call {n} got no answer: {e}")
                        });
                    assert_eq!(reply.status(), StatusCode::UNAUTHORIZED, "call {n}");
                    let body: Value = reply.json().await.expect("a whole JSON body");
                    assert!(body["errors"].is_string(), "call {n}: {body}");
                }
            }
        });
    }
    workers.join_all().await;
}

async fn dropped_lines(base: &str) -> u64 {
    let info = reqwest::Client::new()
        .get(format!("{base}/__emulator/info"))
        .fetch_json()
        .await;
    info["log"]["dropped_lines"]
        .as_u64()
        .unwrap_or_else(|| panic!("no log.dropped_lines in {info}"))
}

/// Sends SIGTERM and checks for a clean exit: no panic on the way out.
fn stops_cleanly(running: Running) {
    let status = stop(running);
    assert!(status.success(), "exit on SIGTERM: {status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failing_calls_are_answered_with_standard_error_closed() {
    let mut running = start_capturing(&["--listen", "127.0.0.1:0"], &[]);
    // The log's reader goes away: every later write to standard error fails.
    drop(running.child.stderr.take());
    failing_calls_are_answered(&running.base).await;
    // The writer thread fails the lines still queued a moment after their calls were answered:
    // the count reaches every call's line soon, without any call waiting for it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let dropped = loop {
        let dropped = dropped_lines(&running.base).await;
        if dropped >= FAILING_CALLS as u64 || std::time::Instant::now() >= deadline {
            break dropped;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        dropped >= FAILING_CALLS as u64,
        "every failure's line is counted as dropped: {dropped}"
    );
    stops_cleanly(running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failing_calls_are_answered_with_standard_error_never_read() {
    let mut running = start_capturing(&["--listen", "127.0.0.1:0"], &[]);
    // Kept open and never read, as `Popen(..., stderr=PIPE)` without a reader thread leaves it.
    let unread: ChildStderr = running.child.stderr.take().expect("stderr piped");
    failing_calls_are_answered(&running.base).await;
    let dropped = dropped_lines(&running.base).await;
    assert!(dropped > 0, "a full pipe drops lines: {dropped}");

    // The reader comes back: what was queued is written, then one line says what was lost.
    let (found, notice) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(unread).lines() {
            let Ok(line) = line else { return };
            if line.contains("log lines were dropped") {
                let _ = found.send(line);
                return;
            }
        }
    });
    // One more line to write, in case the queue was drained before the reader came back.
    let _ = reqwest::Client::new()
        .post(format!("{}/clients/list", running.base))
        .send()
        .await;
    let line = notice
        .recv_timeout(Duration::from_secs(10))
        .expect("a line saying that log lines were dropped");
    let counted: u64 = line
        .split("total_dropped_lines=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {line:?}"));
    // The count only grows: it holds at least what was dropped before the reader came back.
    assert!(counted >= dropped, "{line} (dropped {dropped} before)");
    stops_cleanly(running);
}

#[tokio::test]
async fn the_log_is_json_when_asked_and_without_colours_on_a_pipe() {
    let mut running = start_capturing(
        &["--listen", "127.0.0.1:0", "--log-format", "json"],
        &[("RUST_LOG", "janrain_emulator=info")],
    );
    let stderr = running.child.stderr.take().expect("stderr piped");
    let mut lines = BufReader::new(stderr).lines();
    let ready = lines
        .next()
        .and_then(Result::ok)
        .expect("the first log line");
    let parsed: Value = serde_json::from_str(&ready).unwrap_or_else(|e| panic!("{ready:?}: {e}"));
    assert_eq!(parsed["fields"]["message"], "ready", "{parsed}");
    let mut text = start_capturing(&["--listen", "127.0.0.1:0"], &[]);
    let mut first = String::new();
    BufReader::new(text.child.stderr.take().expect("piped"))
        .read_line(&mut first)
        .expect("a line");
    assert!(first.contains(" ready "), "{first:?}");
    assert!(
        !first.contains('\u{1b}'),
        "no colour codes on a pipe: {first:?}"
    );
    stops_cleanly(text);
    stops_cleanly(running);
}

/// Runs the binary with standard output a pipe whose reading end is already closed, and
/// standard error piped.
fn spawn_with_closed_stdout(args: &[&str]) -> std::process::Child {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    Command::new(BINARY)
        .args(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts")
}

/// Waits at most 10 s for the process to end.
fn wait_for_exit(child: &mut std::process::Child) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the emulator did not exit");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn with_port_0_and_standard_output_closed_it_stops_with_one_line() {
    let mut child = spawn_with_closed_stdout(&["--listen", "127.0.0.1:0"]);
    let status = wait_for_exit(&mut child);
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("piped"), &mut stderr)
        .expect("stderr read");
    assert_eq!(status.code(), Some(1), "{status:?}: {stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: could not print the address line")
            && last.contains("--listen HOST:PORT"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn with_a_named_address_and_standard_output_closed_it_serves_on() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|free| free.local_addr())
        .expect("a free port")
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = spawn_with_closed_stdout(&["--listen", &listen]);
    let mut lines = BufReader::new(child.stderr.take().expect("piped")).lines();
    let mut seen = Vec::new();
    // The warning comes before the ready line, which comes once the port is open.
    for line in lines.by_ref() {
        let line = line.expect("a line");
        let ready = line.contains(" ready ");
        seen.push(line);
        if ready {
            break;
        }
    }
    let running = Running {
        child,
        base: format!("http://{listen}"),
        https: None,
    };
    assert!(
        seen.iter()
            .any(|line| line.contains("could not print the address line")),
        "{seen:#?}"
    );
    let health = reqwest::Client::new()
        .get(format!("{}/__emulator/health", running.base))
        .fetch_json()
        .await;
    assert_eq!(health["status"], "ok");
    stops_cleanly(running);
}

#[tokio::test]
async fn at_debug_level_a_request_s_lines_carry_its_request_id() {
    let mut running = start_capturing(
        &["--listen", "127.0.0.1:0"],
        &[("RUST_LOG", "janrain_emulator=debug")],
    );
    let stderr = running.child.stderr.take().expect("stderr piped");
    let response = reqwest::Client::new()
        .get(format!("{}/config/{DEFAULT_APP_ID}/clients", running.base))
        .basic_auth(
            DEFAULT_OWNER_CLIENT_ID,
            Some(janrain_emulator::config::DEFAULT_OWNER_CLIENT_SECRET),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let id = response.headers()["x-request-id"]
        .to_str()
        .expect("text")
        .to_owned();
    // The line the Configuration API's credentials write, inside the request's span.
    let line = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .find(|line| line.contains("config call authenticated"))
        .expect("the line of the authenticated call");
    assert!(line.contains(&format!("request_id=\"{id}\"")), "{line}");
    assert!(line.contains("path=/config/"), "{line}");
    stops_cleanly(running);
}
