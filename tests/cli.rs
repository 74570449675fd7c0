//! The real binary: start it on port 0, read the address it prints, call it, stop it with SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const BINARY: &str = env!("CARGO_BIN_EXE_janrain-emulator");

/// A started emulator process; killed if a test fails before stopping it.
struct Running {
    child: Child,
    base: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str], env: &[(&str, &str)]) -> Running {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("binary starts");
    let stdout = child.stdout.take().expect("stdout piped");
    let mut line = String::new();
    // Blocks until the server has bound its socket and printed the line: no sleep needed.
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("address line");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    Running { child, base }
}

fn stop(mut running: Running) -> std::process::ExitStatus {
    let pid = Pid::from_raw(i32::try_from(running.child.id()).expect("pid fits"));
    kill(pid, Signal::SIGTERM).expect("signal sent");
    for _ in 0..500 {
        if let Some(status) = running.child.try_wait().expect("wait") {
            return status;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the emulator did not stop within 5 s of SIGTERM");
}

#[tokio::test]
async fn starts_on_port_zero_serves_and_stops_on_sigterm() {
    let running = start(&["--listen", "127.0.0.1:0"], &[]);
    assert!(
        running.base.starts_with("http://127.0.0.1:"),
        "{}",
        running.base
    );
    assert!(
        !running.base.ends_with(":0"),
        "prints the port actually bound"
    );
    let http = reqwest::Client::new();
    let health: serde_json::Value = http
        .get(format!("{}/__emulator/health", running.base))
        .send()
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(health, serde_json::json!({"status": "ok"}));
    let listed: serde_json::Value = http
        .post(format!("{}/clients/list", running.base))
        .basic_auth(
            janrain_emulator::config::DEFAULT_OWNER_CLIENT_ID,
            Some(janrain_emulator::config::DEFAULT_OWNER_CLIENT_SECRET),
        )
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(listed["stat"], "ok");
    assert_eq!(
        listed["results"][0]["features"],
        serde_json::json!(["owner"])
    );
    let status = stop(running);
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
}

#[tokio::test]
async fn flags_also_come_from_the_environment() {
    let running = start(
        &[],
        &[
            ("JANRAIN_EMULATOR_LISTEN", "127.0.0.1:0"),
            ("JANRAIN_EMULATOR_APP_ID", "htb8fuhxnf8e38jrzub3c7pfrr"),
            ("JANRAIN_EMULATOR_OWNER_CLIENT_ID", "myowner"),
            ("JANRAIN_EMULATOR_OWNER_CLIENT_SECRET", "mysecret"),
        ],
    );
    let reply = reqwest::Client::new()
        .get(format!(
            "{}/config/htb8fuhxnf8e38jrzub3c7pfrr/clients",
            running.base
        ))
        .basic_auth("myowner", Some("mysecret"))
        .send()
        .await
        .expect("list");
    assert_eq!(reply.status(), reqwest::StatusCode::OK);
    let body: serde_json::Value = reply.json().await.expect("json");
    assert_eq!(body[0]["_id"], "myowner");
    assert!(stop(running).success());
}

#[test]
fn a_bad_flag_value_is_a_clear_startup_error() {
    let output = Command::new(BINARY)
        .args(["--listen", "127.0.0.1:0", "--app-id", "not/a path"])
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("invalid application id \"not/a path\""),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "no address line before failing");
}
