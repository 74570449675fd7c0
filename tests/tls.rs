//! HTTPS through the real binary: the TLS listener (HTTP/1.1 and HTTP/2 by ALPN), the plain
//! listener as a proxy for Janrain's hosts only, and the local CA behind both: its name
//! constraints (checked by `openssl verify`), its key's mode, and the same root after a restart.

mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use janrain_emulator::config::{
    DEFAULT_APP_ID, DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET,
};
use reqwest::{StatusCode, Version};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use support::{FetchJson as _, Running, run, start, stop};

const REALM: &str = "myrealm.janraincapture.com";
const CONFIG_HOST: &str = "v1.api.us.janrain.com";

fn start_tls(ca_dir: &Path) -> Running {
    start(
        &[
            "--listen",
            "127.0.0.1:0",
            "--https-listen",
            "127.0.0.1:0",
            "--ca-dir",
            ca_dir.to_str().expect("utf-8"),
        ],
        &[],
    )
}

fn socket(base: &str) -> SocketAddr {
    base.rsplit_once("://")
        .expect("a URL")
        .1
        .parse()
        .expect("an address")
}

async fn root_pem(running: &Running) -> String {
    let reply = reqwest::get(format!("{}/__emulator/ca.pem", running.base))
        .await
        .expect("sent");
    assert_eq!(reply.status(), StatusCode::OK);
    assert_eq!(reply.headers()["content-type"], "application/x-pem-file");
    reply.text().await.expect("text")
}

/// A client that trusts the emulator's root only.
fn trusting(pem: &str) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).expect("a PEM root"))
        .no_proxy()
}

/// An application whose capture domain is the realm's host, as a test makes one.
async fn realm_app(running: &Running) -> Value {
    let made = reqwest::Client::new()
        .post(format!("{}/__emulator/apps", running.base))
        .json(&json!({"capture_domains": [REALM]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(made.status(), StatusCode::CREATED);
    made.json().await.expect("json")
}

#[tokio::test]
async fn the_tls_listener_serves_both_families_over_http1_and_http2_for_janrain_names() {
    let dir = tempfile::tempdir().expect("dir");
    let running = start_tls(&dir.path().join("ca"));
    let pem = root_pem(&running).await;
    let https = socket(running.https.as_deref().expect("an https line"));
    let app = realm_app(&running).await;
    let (owner, secret) = (
        app["owner_client_id"].as_str().expect("id"),
        app["owner_client_secret"].as_str().expect("secret"),
    );
    for http1 in [true, false] {
        let mut builder = trusting(&pem)
            .resolve(REALM, https)
            .resolve(CONFIG_HOST, https);
        if http1 {
            builder = builder.http1_only();
        }
        let http = builder.build().expect("client");
        let expected = if http1 {
            Version::HTTP_11
        } else {
            Version::HTTP_2
        };
        let port = https.port();
        // The legacy family picks the application by the name the client asked for.
        let listed = http
            .post(format!("https://{REALM}:{port}/clients/list"))
            .basic_auth(DEFAULT_OWNER_CLIENT_ID, Some(DEFAULT_OWNER_CLIENT_SECRET))
            .send()
            .await
            .expect("legacy call over TLS");
        assert_eq!(listed.version(), expected);
        let listed: Value = listed.json().await.expect("json");
        assert_eq!(
            listed["code"], 402,
            "the default owner is not the realm's: {listed}"
        );
        let listed: Value = http
            .post(format!("https://{REALM}:{port}/clients/list"))
            .basic_auth(owner, Some(secret))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        assert_eq!(listed["stat"], "ok", "{listed}");
        assert_eq!(listed["results"][0]["client_id"], owner);
        // The Configuration API on its own host.
        let app_id = app["app_id"].as_str().expect("app id");
        let clients = http
            .get(format!(
                "https://{CONFIG_HOST}:{port}/config/{app_id}/clients"
            ))
            .basic_auth(owner, Some(secret))
            .send()
            .await
            .expect("config call over TLS");
        assert_eq!(clients.version(), expected);
        assert_eq!(clients.status(), StatusCode::OK);
    }
    // A client that connects by address gets the loopback leaf.
    let by_address = trusting(&pem).build().expect("client");
    let health: Value = by_address
        .get(format!("https://{https}/__emulator/health"))
        .fetch_json()
        .await;
    assert_eq!(health, json!({"status": "ok"}));
    // A name the root may not vouch for gets no certificate at all.
    let foreign = trusting(&pem)
        .resolve("example.com", https)
        .build()
        .expect("client");
    let refused = foreign
        .get(format!(
            "https://example.com:{}/__emulator/health",
            https.port()
        ))
        .send()
        .await;
    assert!(refused.is_err(), "{refused:?}");
    stop(running);
}

#[tokio::test]
async fn the_plain_listener_proxies_janrain_hosts_and_nothing_else() {
    let dir = tempfile::tempdir().expect("dir");
    let running = start_tls(&dir.path().join("ca"));
    let pem = root_pem(&running).await;
    let app = realm_app(&running).await;
    let (owner, secret) = (
        app["owner_client_id"].as_str().expect("id"),
        app["owner_client_secret"].as_str().expect("secret"),
    );
    let proxied = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).expect("pem"))
        .proxy(reqwest::Proxy::all(&running.base).expect("proxy"))
        .build()
        .expect("client");
    // Through a tunnel (CONNECT), with a leaf for the realm's name.
    let listed: Value = proxied
        .post(format!("https://{REALM}/clients/list"))
        .basic_auth(owner, Some(secret))
        .fetch_json()
        .await;
    assert_eq!(listed["results"][0]["client_id"], owner, "{listed}");
    let app_id = app["app_id"].as_str().expect("app id");
    let clients = proxied
        .get(format!("https://{CONFIG_HOST}/config/{app_id}/clients"))
        .basic_auth(owner, Some(secret))
        .send()
        .await
        .expect("sent");
    assert_eq!(clients.status(), StatusCode::OK);
    // In absolute form, for plain http:// URLs.
    let listed: Value = proxied
        .post(format!("http://{REALM}/clients/list"))
        .basic_auth(owner, Some(secret))
        .fetch_json()
        .await;
    assert_eq!(listed["stat"], "ok", "{listed}");
    // Anything else is refused, with a reason, and nothing is connected to: a listener of the
    // test's own, named in every way a target can be spelled, never sees a connection.
    let bystander = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = bystander.local_addr().expect("addr").port();
    let plain = socket(&running.base);
    let targets = [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        format!("example.com:{port}"),
        "x.janraincapture.com.evil.test:443".to_owned(),
        "evil-janraincapture.com:443".to_owned(),
        format!("{REALM}@127.0.0.1:{port}"),
        format!("user:pw@{REALM}:443"),
        "janraincapture.com:443".to_owned(),
        REALM.to_owned(),
        format!("{REALM}:0"),
        format!("2130706433:{port}"),
    ];
    for target in &targets {
        if target == REALM {
            // A port is needed to CONNECT only: in absolute form this is a Janrain URL.
            continue;
        }
        let answer = raw(
            plain,
            &format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n"),
        )
        .await;
        assert!(
            answer.starts_with("HTTP/1.1 403"),
            "CONNECT {target}: {answer}"
        );
        assert!(answer.contains("refused: "), "CONNECT {target}: {answer}");
        if target == REALM {
            // A port is needed to CONNECT only: in absolute form this is a Janrain URL.
            continue;
        }
        let answer = raw(
            plain,
            &format!("GET http://{target}/__emulator/health HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n"),
        )
        .await;
        // A target hyper cannot even read as a URL is refused as a bad request instead.
        assert!(
            answer.starts_with("HTTP/1.1 403") || answer.starts_with("HTTP/1.1 400"),
            "GET http://{target}/: {answer}"
        );
    }
    let connected = tokio::time::timeout(Duration::from_millis(200), bystander.accept()).await;
    assert!(connected.is_err(), "the emulator connected onward");
    // The emulator still serves.
    let listed: Value = proxied
        .post(format!("https://{REALM}/clients/list"))
        .basic_auth(owner, Some(secret))
        .fetch_json()
        .await;
    assert_eq!(listed["stat"], "ok");
    stop(running);
}

/// Sends `request` on a fresh connection and reads what comes back within a second.
async fn raw(addr: SocketAddr, request: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("sent");
    let mut answer = vec![0; 4096];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("an answer in time")
        .expect("read");
    String::from_utf8_lossy(&answer[..read]).into_owned()
}

#[tokio::test]
async fn the_root_is_kept_private_and_the_same_after_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let ca = dir.path().join("ca");
    let first = start_tls(&ca);
    let before = root_pem(&first).await;
    stop(first);
    let second = start_tls(&ca);
    assert_eq!(root_pem(&second).await, before);
    stop(second);
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&ca), 0o700);
        assert_eq!(mode(&ca.join("ca-key.pem")), 0o600);
        std::fs::set_permissions(
            ca.join("ca-key.pem"),
            std::fs::Permissions::from_mode(0o644),
        )
        .expect("chmod");
    }
    let output = run(&[
        "--listen",
        "127.0.0.1:0",
        "--ca-dir",
        ca.to_str().expect("utf-8"),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("ca-key.pem is readable by group or others (mode 0644)"),
        "{stderr}"
    );
}

#[tokio::test]
async fn ca_prints_a_bundle_of_the_machine_roots_and_the_emulator_root() {
    let dir = tempfile::tempdir().expect("dir");
    let ca = dir.path().join("ca");
    // Before any emulator runs, from the directory.
    let output = run(&["ca", "--ca-dir", ca.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{output:?}");
    let path = String::from_utf8(output.stdout).expect("utf-8");
    let path = Path::new(path.trim());
    assert_eq!(path, ca.join("bundle.pem"));
    let bundle = std::fs::read_to_string(path).expect("bundle");
    let root = std::fs::read_to_string(ca.join("ca.pem")).expect("root");
    assert!(bundle.ends_with(&root), "the root comes last");
    // And from a running emulator, whose root lives in memory.
    let running = start(&["--listen", "127.0.0.1:0"], &[]);
    let output = run(&[
        "ca",
        "--url",
        &format!("{}/__emulator/ca.pem", running.base),
    ]);
    assert!(output.status.success(), "{output:?}");
    let path = String::from_utf8(output.stdout).expect("utf-8");
    let bundle = std::fs::read_to_string(path.trim()).expect("bundle");
    assert!(bundle.ends_with(&root_pem(&running).await));
    stop(running);
}

/// `openssl verify` of a leaf signed with the root's own key: fine for a Janrain name, refused
/// for any other, since the root's name constraints say so to every client.
#[tokio::test]
async fn the_root_key_cannot_vouch_for_another_site_even_when_copied() {
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        eprintln!("skipped: openssl is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let ca = dir.path().join("ca");
    let output = run(&["ca", "--ca-dir", ca.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{output:?}");
    let openssl = |args: &[&str]| {
        let output = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("openssl runs");
        (
            output.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        )
    };
    for (name, allowed) in [
        (REALM, true),
        (CONFIG_HOST, true),
        ("example.com", false),
        ("janraincapture.com.evil.test", false),
    ] {
        let (ok, out) = openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.pem",
            "-days",
            "1",
            "-subj",
            &format!("/CN={name}"),
            "-addext",
            &format!("subjectAltName=DNS:{name}"),
            "-CA",
            "ca/ca.pem",
            "-CAkey",
            "ca/ca-key.pem",
        ]);
        assert!(ok, "signing a leaf for {name}: {out}");
        let (verified, out) = openssl(&["verify", "-CAfile", "ca/ca.pem", "leaf.pem"]);
        assert_eq!(verified, allowed, "{name}: {out}");
        if !allowed {
            assert!(out.contains("permitted subtree violation"), "{name}: {out}");
        }
    }
    let (_, text) = openssl(&["x509", "-in", "ca/ca.pem", "-noout", "-text"]);
    assert!(text.contains("X509v3 Name Constraints: critical"), "{text}");
}

#[tokio::test]
async fn the_default_application_answers_on_its_own_host_through_the_proxy() {
    // Without --ca-dir the root lives in memory, made when first asked for.
    let running = start(&["--listen", "127.0.0.1:0"], &[]);
    let pem = root_pem(&running).await;
    let proxied = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).expect("pem"))
        .proxy(reqwest::Proxy::https(&running.base).expect("proxy"))
        .build()
        .expect("client");
    let created = proxied
        .post(format!(
            "https://v1.api.eu.janrain.com/config/{DEFAULT_APP_ID}/clients"
        ))
        .basic_auth(DEFAULT_OWNER_CLIENT_ID, Some(DEFAULT_OWNER_CLIENT_SECRET))
        .json(&json!({"name": "through the proxy"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(
        root_pem(&running).await,
        pem,
        "one root for the process's life"
    );
    stop(running);
}
