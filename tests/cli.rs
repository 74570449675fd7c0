//! The real binary: start it on port 0, read the address it prints, call it, stop it with SIGTERM.

mod support;

use support::FetchJson as _;

use support::{run, start, stop};

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
    let health = http
        .get(format!("{}/__emulator/health", running.base))
        .fetch_json()
        .await;
    assert_eq!(health, serde_json::json!({"status": "ok"}));
    let listed = http
        .post(format!("{}/clients/list", running.base))
        .basic_auth(
            janrain_emulator::config::DEFAULT_OWNER_CLIENT_ID,
            Some(janrain_emulator::config::DEFAULT_OWNER_CLIENT_SECRET),
        )
        .fetch_json()
        .await;
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
    let output = run(&["--listen", "127.0.0.1:0", "--app-id", "not/a path"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("invalid application id \"not/a path\""),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "no address line before failing");
}

#[test]
fn an_invalid_fixture_names_the_file_the_application_and_the_field() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("fixture.json");
    std::fs::write(
        &path,
        r#"{"apps": [{"app_id": "myapp", "clients": [{"_id": "x", "_secret": "s", "name": "n", "ipWhitelist": ["10.0.0.0/40"]}]}]}"#,
    )
    .expect("written");
    let output = run(&[
        "--listen",
        "127.0.0.1:0",
        "--import",
        path.to_str().expect("utf-8"),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("invalid fixture file {}", path.display()))
            && stderr.contains(
                "apps[0] (app_id \"myapp\"), clients[0], field \"ipWhitelist\": invalid cidr address: 10.0.0.0/40"
            ),
        "{stderr}"
    );
    let missing = run(&["--import", "/nonexistent/fixture.json"]);
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .contains("could not read fixture file /nonexistent/fixture.json")
    );
}

#[tokio::test]
async fn import_serves_the_fixture_and_its_first_application() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("fixture.json");
    std::fs::write(
        &path,
        r#"{"apps": [{"app_id": "fixtureapp", "capture_domains": ["my-app.janraincapture.com"],
                      "clients": [{"_id": "fixtureowner", "_secret": "fixturesecret", "name": "owner", "features": ["owner"]}]}]}"#,
    )
    .expect("written");
    let running = start(
        &[
            "--listen",
            "127.0.0.1:0",
            "--import",
            path.to_str().expect("utf-8"),
        ],
        &[],
    );
    let http = reqwest::Client::new();
    let listed = http
        .post(format!("{}/clients/list", running.base))
        .basic_auth("fixtureowner", Some("fixturesecret"))
        .fetch_json()
        .await;
    assert_eq!(listed["results"][0]["client_id"], "fixtureowner");
    assert_eq!(
        listed["results"].as_array().expect("results").len(),
        1,
        "no default owner added"
    );
    let status = http
        .get(format!("{}/config/fixtureapp/clients", running.base))
        .basic_auth("fixtureowner", Some("fixturesecret"))
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(stop(running).success());
}

#[test]
fn version_and_help() {
    let version = run(&["--version"]);
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("janrain-emulator {}", env!("CARGO_PKG_VERSION"))
    );
    let help = String::from_utf8(run(&["--help"]).stdout).expect("utf-8");
    for flag in [
        "--listen",
        "--import",
        "--state-file",
        "--seed",
        "healthcheck",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
    assert!(help.contains("[default: 127.0.0.1:8080]"));
    // The conformance check, with its record and replay, is found from the command's own help.
    assert!(
        help.contains("python -m janrain_emulator.conformance") && help.contains("replay"),
        "{help}"
    );
}

#[test]
fn the_healthcheck_subcommand_sets_the_exit_status() {
    let running = start(&["--listen", "127.0.0.1:0"], &[]);
    let url = format!("{}/__emulator/health", running.base);
    assert!(run(&["healthcheck", "--url", &url]).status.success());
    // The address of --listen / JANRAIN_EMULATOR_LISTEN is the default target.
    let listen = running.base.trim_start_matches("http://").to_owned();
    assert!(run(&["--listen", &listen, "healthcheck"]).status.success());
    assert!(stop(running).success());
    let down = run(&["healthcheck", "--url", &url, "--timeout-ms", "500"]);
    assert_eq!(down.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&down.stderr).starts_with("unhealthy: "));
    // --wait-ms keeps asking, and still gives up.
    let gave_up = run(&["healthcheck", "--url", &url, "--wait-ms", "400"]);
    assert_eq!(gave_up.status.code(), Some(1));
    let said = String::from_utf8_lossy(&gave_up.stderr).into_owned();
    assert!(
        said.starts_with("unhealthy: ") && said.contains(" times in "),
        "{said}"
    );
}

#[test]
fn healthcheck_wait_ms_waits_for_an_emulator_that_starts_later() {
    // A free port, closed again: the emulator will take it once the waiting has begun.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let url = format!("http://127.0.0.1:{port}/__emulator/health");
    let waiting = std::process::Command::new(support::BINARY)
        .args(["healthcheck", "--url", &url, "--wait-ms", "30000"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("healthcheck starts");
    let running = start(&["--listen", &format!("127.0.0.1:{port}")], &[]);
    let waited = waiting.wait_with_output().expect("healthcheck ends");
    assert!(
        waited.status.success(),
        "{}",
        String::from_utf8_lossy(&waited.stderr)
    );
    assert!(stop(running).success());
}
