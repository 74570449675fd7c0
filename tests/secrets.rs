//! Secrets never reach the logs, at any level, nor the journal; and the warning about public
//! credentials on a non-loopback address.

mod support;

use support::FetchJson as _;

use std::io::Read;

use base64::Engine as _;
use support::{start_capturing, start_logging_to, stop};

const SECRET: &str = "topsecretvalue0000000000000000042";
const PASSWORD: &str = "apasswordthejournalhides";

fn read_stderr(mut running: support::Running) -> String {
    let mut stderr = running.child.stderr.take().expect("stderr piped");
    assert!(stop(running).success());
    let mut text = String::new();
    stderr.read_to_string(&mut text).expect("stderr read");
    text
}

#[tokio::test]
async fn secrets_stay_out_of_trace_logs_and_the_journal() {
    // A file, not a pipe: at trace level the log outgrows a pipe's buffer, and a full pipe
    // would stall the server until the test read it.
    let mut log = tempfile::tempfile().expect("log file");
    let running = start_logging_to(
        &[
            "--listen",
            "127.0.0.1:0",
            "--owner-client-id",
            "owner",
            "--owner-client-secret",
            SECRET,
        ],
        &[("RUST_LOG", "trace")],
        log.try_clone().expect("log handle"),
    );
    let http = reqwest::Client::new();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("owner:{SECRET}"))
    );
    // The secret in every place a request can carry it, right and wrong.
    let made: serde_json::Value = http
        .post(format!(
            "{}/config/emulatorapp000000000000001/clients",
            running.base
        ))
        .header("authorization", &basic)
        .json(&serde_json::json!({"name": "x"}))
        .fetch_json()
        .await;
    let new_secret = made["_secret"].as_str().expect("secret").to_owned();
    for query in [
        format!("client_id=owner&client_secret={SECRET}"),
        format!("client_id=owner&client_secret={SECRET}x"),
    ] {
        http.post(format!("{}/clients/list?{query}", running.base))
            .send()
            .await
            .expect("sent");
    }
    http.post(format!("{}/clients/list", running.base))
        .form(&[("client_id", "owner"), ("client_secret", SECRET)])
        .send()
        .await
        .expect("sent");
    // A signature that does not match, with a date inside the window, so that the mismatch
    // (whose detail shows the text the emulator expected) is reached; over a parameter whose
    // value the journal hides.
    let date = support::date_header(std::time::SystemTime::now());
    let mismatch: serde_json::Value = http
        .post(format!("{}/clients/list", running.base))
        .header(
            "authorization",
            format!("Signature owner:{}", "A".repeat(28)),
        )
        .header("date", &date)
        .form(&[("password", PASSWORD)])
        .fetch_json()
        .await;
    assert_eq!(mismatch["code"], 402);
    // Secrets in success answers: a legacy create and a rotation.
    let added: serde_json::Value = http
        .post(format!("{}/clients/add", running.base))
        .header("authorization", &basic)
        .form(&[("description", "legacy")])
        .fetch_json()
        .await;
    let added_secret = added["client_secret"].as_str().expect("secret").to_owned();
    let rotated: serde_json::Value = http
        .post(format!("{}/clients/reset_secret", running.base))
        .header("authorization", &basic)
        .form(&[
            ("for_client_id", added["client_id"].as_str().expect("id")),
            ("hours_to_live", "1"),
        ])
        .fetch_json()
        .await;
    let rotated_secret = rotated["new_secret"].as_str().expect("secret").to_owned();
    // Over HTTP/2 too, whose frames the h2 library traces.
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client");
    for auth in [basic.clone(), format!("{basic}x")] {
        let response = h2
            .post(format!("{}/clients/list", running.base))
            .header("authorization", auth)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.version(), reqwest::Version::HTTP_2);
    }
    let journal = http
        .get(format!("{}/__emulator/requests", running.base))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    drop(h2);
    assert!(stop(running).success());
    let logs = support::read_log(&mut log);
    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG"),
        "trace logging is on"
    );
    assert!(
        journal.contains("does not match; expected it over"),
        "the mismatch was reached: {journal}"
    );
    let token = basic.trim_start_matches("Basic ");
    for (place, text) in [("logs", &logs), ("journal", &journal)] {
        for secret in [
            SECRET,
            new_secret.as_str(),
            added_secret.as_str(),
            rotated_secret.as_str(),
            PASSWORD,
            token,
            token.trim_end_matches('='),
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert!(
                !text.contains(secret),
                "a secret reached the {place}: {secret}"
            );
        }
    }
}

/// Which addresses are warned about is a unit test (`cli::exposure_warnings`): tests listen on
/// loopback only. Here, the binary on loopback warns about nothing.
#[test]
fn on_loopback_no_exposure_is_warned_about() {
    let logs = read_stderr(start_capturing(&["--listen", "127.0.0.1:0"], &[]));
    assert!(logs.contains("ready"), "{logs}");
    assert!(!logs.contains("beyond loopback"), "{logs}");
}

#[test]
fn json_logs_are_one_object_per_line() {
    let logs = read_stderr(start_capturing(
        &["--listen", "127.0.0.1:0", "--log-format", "json"],
        &[],
    ));
    let lines: Vec<&str> = logs.lines().collect();
    assert!(!lines.is_empty());
    for line in lines {
        let value: serde_json::Value = serde_json::from_str(line).expect("a JSON object per line");
        assert!(value["level"].is_string(), "{line}");
    }
}
