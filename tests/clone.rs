//! `janrain-emulator clone` with an emulator as the tenant (it speaks the same API): a seeded
//! application cloned through each family, a second emulator started from the file answering
//! every listing and settings read as the source does, nothing changed at the source, secrets
//! fresh unless kept, and the rate limit and a refused owner met mid-run.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use reqwest::StatusCode;
use serde_json::{Value, json};

use support::{BINARY, FetchJson as _, Running, start, stop};

const APP: &str = "cloneapp0000000000000000001";
const OWNER: &str = "cloneowner0000000000000000000001";
const SECRET: &str = "clone-owner-secret";

/// A source emulator with a second application beside its default one, holding clients with
/// features, allowlists and settings, and defaults of its own.
async fn source() -> Running {
    let running = start(&["--listen", "127.0.0.1:0"], &[]);
    let body = json!({
        "app_id": APP,
        "capture_domains": ["clone-source.example.test"],
        "settings": {"login_attempts": "5", "my_custom_default": "d"},
        "clients": [
            {"_id": "clonereader00000000000000000001", "_secret": "reader-secret", "name": "reader",
             "features": ["direct_read_access"], "ipWhitelist": ["10.0.0.0/8", "192.168.0.0/16"],
             "settings": {"site_name": "Reader", "my_custom": "x"}},
            {"_id": "clonelogin000000000000000000001", "_secret": "login-secret", "name": "login",
             "features": ["login_client", "access_issuer"]},
            {"_id": "clonesecond0000000000000000owner", "_secret": "second-owner-secret",
             "name": "second owner", "features": ["owner"], "settings": {"site_name": "Owner 2"}},
        ],
        "owner_client_id": OWNER,
        "owner_client_secret": SECRET,
    });
    let made = reqwest::Client::new()
        .post(format!("{}/__emulator/apps", running.base))
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(made.status(), StatusCode::CREATED);
    running
}

fn clone(running: &Running, output: &Path, extra: &[&str]) -> Output {
    Command::new(BINARY)
        .args(["clone", "--from", &running.base, "--client-id", OWNER])
        .args(["--output", output.to_str().expect("utf-8")])
        .args(extra)
        .env("JANRAIN_CLIENT_SECRET", SECRET)
        .output()
        .expect("runs")
}

/// Everything an owner reads of the application, in both families, with the secrets apart.
async fn reads(base: &str, owner: (&str, &str), secrets: bool) -> Value {
    let http = reqwest::Client::new();
    let legacy = |path: &str| {
        http.post(format!("{base}{path}"))
            .basic_auth(owner.0, Some(owner.1))
            .fetch_json()
    };
    let config = |path: &str| {
        http.get(format!("{base}/config/{APP}{path}"))
            .basic_auth(owner.0, Some(owner.1))
            .fetch_json()
    };
    let mut listed = legacy("/clients/list").await;
    let mut clients = config("/clients").await;
    if !secrets {
        for client in listed["results"].as_array_mut().expect("results") {
            client["client_secret"] = Value::Null;
        }
        for client in clients.as_array_mut().expect("clients") {
            client["_secret"] = Value::Null;
        }
    }
    let mut each = serde_json::Map::new();
    for client in clients.as_array().expect("clients") {
        let id = client["_id"].as_str().expect("id");
        each.insert(
            id.to_owned(),
            config(&format!("/clients/{id}/settings")).await,
        );
    }
    json!({
        "legacy list": listed,
        "legacy settings": legacy("/settings/get_all").await,
        "config list": clients,
        "config client settings": each,
        "config settings": config("/settings").await,
    })
}

async fn snapshot(base: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{base}/__emulator/snapshot"))
        .fetch_json()
        .await
}

/// The new secret `clone` printed for `owner`.
fn new_secret(output: &Output, owner: &str) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .find_map(|line| line.strip_prefix(&format!("owner {owner} secret ")))
        .unwrap_or_else(|| panic!("no new secret for {owner} in {stdout}"))
        .to_owned()
}

fn imported(file: &Path) -> Running {
    start(
        &[
            "--listen",
            "127.0.0.1:0",
            "--import",
            file.to_str().expect("utf-8"),
            "--app-id",
            APP,
        ],
        &[],
    )
}

#[tokio::test]
async fn a_clone_through_either_family_answers_every_read_as_the_source_and_changes_nothing() {
    let source = source().await;
    let before = snapshot(&source.base).await;
    let wanted = reads(&source.base, (OWNER, SECRET), false).await;
    let dir = tempfile::tempdir().expect("dir");
    for (family, extra) in [
        ("legacy", vec!["--app-id", APP]),
        (
            "config",
            vec!["--config-url", &source.base, "--app-id", APP],
        ),
    ] {
        let file = dir.path().join(format!("{family}.json"));
        let output = clone(&source, &file, &extra);
        assert!(output.status.success(), "{family}: {output:?}");
        let text = std::fs::read_to_string(&file).expect("written");
        // Fresh secrets: none of the source's is in the file.
        for secret in [
            SECRET,
            "reader-secret",
            "login-secret",
            "second-owner-secret",
        ] {
            assert!(!text.contains(secret), "{family}: {secret} in the file");
        }
        let owner_secret = new_secret(&output, OWNER);
        new_secret(&output, "clonesecond0000000000000000owner");
        let target = imported(&file);
        let got = reads(&target.base, (OWNER, &owner_secret), false).await;
        assert_eq!(got, wanted, "{family}");
        stop(target);
    }
    // The source is as it was, and its journal holds reads only.
    assert_eq!(snapshot(&source.base).await, before);
    let journal: Value = reqwest::Client::new()
        .get(format!(
            "{}/__emulator/requests?app_id={APP}&limit=1000",
            source.base
        ))
        .fetch_json()
        .await;
    let mut paths: Vec<String> = journal
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| {
            format!(
                "{} {}",
                entry["method"].as_str().unwrap_or(""),
                entry["path"].as_str().unwrap_or("")
            )
        })
        .filter(|call| !call.contains("/__emulator/"))
        .collect();
    paths.sort();
    paths.dedup();
    assert!(
        paths.iter().all(|call| call.starts_with("GET /config/")
            || call == "POST /clients/list"
            || call == "POST /settings/get_all"),
        "{paths:?}"
    );
    stop(source);
}

#[tokio::test]
async fn kept_secrets_are_the_tenants_in_a_file_only_its_owner_may_read() {
    let source = source().await;
    let wanted = reads(&source.base, (OWNER, SECRET), true).await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("kept.json");
    let output = clone(&source, &file, &["--app-id", APP, "--keep-secrets"]);
    assert!(output.status.success(), "{output:?}");
    assert!(output.stdout.is_empty(), "no new secrets to print");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("holds the tenant's live secrets"),
        "{stderr}"
    );
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let target = imported(&file);
    assert_eq!(reads(&target.base, (OWNER, SECRET), true).await, wanted);
    stop(target);
    stop(source);
}

async fn fault(running: &Running, rule: Value) {
    let added = reqwest::Client::new()
        .post(format!("{}/__emulator/faults", running.base))
        .json(&rule)
        .send()
        .await
        .expect("sent");
    assert_eq!(added.status(), StatusCode::CREATED, "{rule}");
}

#[tokio::test]
async fn the_rate_limit_is_waited_out_and_a_refused_owner_writes_nothing() {
    let source = source().await;
    let dir = tempfile::tempdir().expect("dir");
    // Two legacy 510s, then a 429 from the Configuration API: each tried again.
    fault(
        &source,
        json!({"path": "/clients/list", "legacy_code": 510, "times": 2}),
    )
    .await;
    let file = dir.path().join("limited.json");
    let output = clone(&source, &file, &["--app-id", APP]);
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.matches("is rate limited; trying again").count(),
        2,
        "{stderr}"
    );
    fault(
        &source,
        json!({"path": "/config/*", "status": 429, "times": 1}),
    )
    .await;
    let output = clone(
        &source,
        &file,
        &["--config-url", &source.base, "--app-id", APP],
    );
    assert!(output.status.success(), "{output:?}");
    // Refused mid-run: after the listing, at the settings. One line, exit 2, no file.
    for (family, rule, extra) in [
        (
            "legacy",
            json!({"path": "/settings/get_all", "legacy_code": 402}),
            vec!["--app-id", APP],
        ),
        (
            "config",
            json!({"path": format!("/config/{APP}/settings"), "status": 401}),
            vec!["--config-url", &source.base, "--app-id", APP],
        ),
    ] {
        fault(&source, rule).await;
        let refused = dir.path().join(format!("refused-{family}.json"));
        let output = clone(&source, &refused, &extra);
        assert_eq!(output.status.code(), Some(2), "{family}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{family}: {stderr}");
        assert!(
            errors[0].contains("refused the owner") && errors[0].ends_with("nothing was written"),
            "{family}: {stderr}"
        );
        assert!(!refused.exists(), "{family}: a file was written");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(Result::ok)
            // The writer's temporary file is a hidden one beside the fixture.
            .filter(|entry| entry.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{family}: {leftovers:?}");
    }
    stop(source);
}

#[test]
fn the_secret_never_comes_from_the_command_line() {
    let without_secret = |extra: &[&str]| {
        Command::new(BINARY)
            .args([
                "clone",
                "--from",
                "http://127.0.0.1:9",
                "--client-id",
                OWNER,
            ])
            .args(extra)
            .env_remove("JANRAIN_CLIENT_SECRET")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("runs")
    };
    let output = without_secret(&["--client-secret", SECRET]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--client-secret"), "{stderr}");
    // Without the environment variable and without a terminal: one line saying what to set.
    let output = without_secret(&[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("set JANRAIN_CLIENT_SECRET"), "{stderr}");
}

#[tokio::test]
async fn tls_is_verified_against_the_machines_roots_or_the_bundle_given() {
    let running = start(
        &["--listen", "127.0.0.1:0", "--https-listen", "127.0.0.1:0"],
        &[],
    );
    let https = running.https.clone().expect("the TLS listener");
    let root = reqwest::get(format!("{}/__emulator/ca.pem", running.base))
        .await
        .expect("sent")
        .text()
        .await
        .expect("the root");
    let dir = tempfile::tempdir().expect("dir");
    let bundle = dir.path().join("root.pem");
    std::fs::write(&bundle, root).expect("written");
    let run = |output: &Path, extra: &[&str]| {
        Command::new(BINARY)
            .args(["clone", "--from", &https])
            .args([
                "--client-id",
                janrain_emulator::config::DEFAULT_OWNER_CLIENT_ID,
            ])
            .args(["--output", output.to_str().expect("utf-8")])
            .args(extra)
            .env(
                "JANRAIN_CLIENT_SECRET",
                janrain_emulator::config::DEFAULT_OWNER_CLIENT_SECRET,
            )
            .output()
            .expect("runs")
    };
    // The emulator's root is no root of the machine's: refused, nothing written.
    let refused = dir.path().join("refused.json");
    let output = run(&refused, &[]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("certificate") && stderr.contains("nothing was written"),
        "{stderr}"
    );
    assert!(!refused.exists());
    // Trusted through --ca-bundle, it is read.
    let file = dir.path().join("fixture.json");
    let output = run(&file, &["--ca-bundle", bundle.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{output:?}");
    assert!(
        std::fs::read_to_string(&file)
            .expect("written")
            .contains("\"127.0.0.1\"")
    );
    stop(running);
}
