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
    let output = std::process::Command::new(support::BINARY)
        .args([
            "ca",
            "--url",
            &format!("{}/__emulator/ca.pem", running.base),
        ])
        .env("TMPDIR", dir.path())
        .output()
        .expect("runs");
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
    // A certificate made with the root's own key, as anyone who copied it could make one.
    let sign = |out: &str, subject: &str, san: &str, usage: &str| {
        let (ok, text) = openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "signed.key",
            "-out",
            out,
            "-days",
            "1",
            "-subj",
            subject,
            "-addext",
            san,
            "-addext",
            usage,
            "-CA",
            "ca/ca.pem",
            "-CAkey",
            "ca/ca-key.pem",
        ]);
        assert!(ok, "signing {out} for {san}: {text}");
    };
    let verify = |purpose: &str, file: &str| {
        openssl(&["verify", "-CAfile", "ca/ca.pem", "-purpose", purpose, file])
    };
    for (name, allowed) in [
        (REALM, true),
        (CONFIG_HOST, true),
        ("example.com", false),
        ("janraincapture.com.evil.test", false),
    ] {
        sign(
            "leaf.pem",
            &format!("/CN={name}"),
            &format!("subjectAltName=DNS:{name}"),
            "extendedKeyUsage=serverAuth",
        );
        let (verified, out) = verify("sslserver", "leaf.pem");
        assert_eq!(verified, allowed, "{name}: {out}");
        if !allowed {
            assert!(out.contains("permitted subtree violation"), "{name}: {out}");
        }
    }
    // Certificates for anything but a TLS server: an S/MIME certificate for any address, a
    // client certificate. The root's extended key usage (serverAuth) refuses them.
    for (what, san, usage, purposes) in [
        (
            "S/MIME",
            "subjectAltName=email:someone@example.com",
            "extendedKeyUsage=emailProtection",
            &["smimesign", "smimeencrypt"][..],
        ),
        (
            "TLS client",
            "subjectAltName=DNS:client.janraincapture.com",
            "extendedKeyUsage=clientAuth",
            &["sslclient"][..],
        ),
    ] {
        sign("other.pem", "/CN=someone", san, usage);
        for purpose in purposes {
            let (verified, out) = verify(purpose, "other.pem");
            assert!(!verified, "{what} for {purpose} verified: {out}");
            assert!(
                out.contains("unsuitable certificate purpose"),
                "{what}: {out}"
            );
        }
    }
    let (verified, out) = verify("sslserver", "leaf.pem");
    assert!(!verified, "the last leaf is outside the names: {out}");
    let (_, text) = openssl(&["x509", "-in", "ca/ca.pem", "-noout", "-text"]);
    assert!(text.contains("X509v3 Name Constraints: critical"), "{text}");
    assert!(text.contains("TLS Web Server Authentication"), "{text}");
    assert!(
        text.contains("Excluded:") && text.contains("email:") && text.contains("URI:"),
        "{text}"
    );
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

/// The one `error:` line of a start or `ca` that failed, checked to be the only one.
fn one_error_line(output: &std::process::Output) -> String {
    assert!(!output.status.success(), "{output:?}");
    assert!(
        output.stdout.is_empty(),
        "nothing is announced or printed: {output:?}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    lines[0].to_owned()
}

/// A start that serves both listeners from `ca`, which must refuse to start.
fn refused_start(ca: &Path) -> String {
    one_error_line(&support::run_briefly(&[
        "--listen",
        "127.0.0.1:0",
        "--https-listen",
        "127.0.0.1:0",
        "--ca-dir",
        ca.to_str().expect("utf-8"),
    ]))
}

/// A CA certificate for `subject_key`'s public key, signed by `signer`, with the limits given:
/// what someone who can write to the directory (or answer on the port) would put there.
fn forged_root(
    subject_key: &rcgen::KeyPair,
    signer: &rcgen::KeyPair,
    constraints: Option<rcgen::NameConstraints>,
    server_only: bool,
) -> String {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyUsagePurpose};
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, "janrain-emulator local CA (forged)");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    if server_only {
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    }
    params.name_constraints = constraints;
    let issuer = Issuer::new(params.clone(), signer);
    params
        .signed_by(subject_key, &issuer)
        .expect("signed")
        .pem()
}

/// The names an earlier version's root permitted, without its exclusions.
fn earlier_constraints() -> rcgen::NameConstraints {
    use rcgen::{CidrSubnet, GeneralSubtree};
    let mut permitted: Vec<GeneralSubtree> = ["janraincapture.com", "janrain.com", "localhost"]
        .iter()
        .map(|d| GeneralSubtree::DnsName((*d).to_owned()))
        .collect();
    permitted.push(GeneralSubtree::IpAddress(CidrSubnet::V4(
        [127, 0, 0, 0],
        [255, 0, 0, 0],
    )));
    permitted.push(GeneralSubtree::IpAddress(CidrSubnet::V6(
        std::net::Ipv6Addr::LOCALHOST.octets(),
        [0xff; 16],
    )));
    rcgen::NameConstraints {
        permitted_subtrees: permitted,
        excluded_subtrees: Vec::new(),
    }
}

fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::symlink_metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o7777
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[tokio::test]
async fn a_tampered_root_is_refused_before_anything_is_served_or_written() {
    let dir = tempfile::tempdir().expect("dir");
    let ca = dir.path().join("ca");
    let made = run(&["ca", "--ca-dir", ca.to_str().expect("utf-8")]);
    assert!(made.status.success(), "{made:?}");
    let key_pem = std::fs::read_to_string(ca.join("ca-key.pem")).expect("key");
    let key = rcgen::KeyPair::from_pem(&key_pem).expect("the kept key");
    let other = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("another key");
    let cases = [
        (
            "no name constraints, signed with the real key",
            forged_root(&key, &key, None, true),
            "no critical name constraints",
        ),
        (
            "the real public key, signed by another key",
            forged_root(&key, &other, Some(earlier_constraints()), true),
            "not self-signed by its own key",
        ),
        (
            "another key's root",
            forged_root(&other, &other, Some(earlier_constraints()), true),
            "not the one in the key file",
        ),
        (
            "a root as an earlier version made it",
            forged_root(&key, &key, Some(earlier_constraints()), false),
            "made by an earlier version of janrain-emulator",
        ),
    ];
    let cert_path = ca.join("ca.pem");
    for (what, pem, reason) in cases {
        std::fs::write(&cert_path, &pem).expect("tampered");
        set_mode(&cert_path, 0o644);
        let _ = std::fs::remove_file(ca.join("bundle.pem"));
        let line = refused_start(&ca);
        assert!(line.contains(reason), "{what}: {line}");
        assert!(
            line.contains(&cert_path.display().to_string()),
            "{what}: the line names the file: {line}"
        );
        assert!(
            line.contains("to make a new root"),
            "{what}: the line says how to mend it: {line}"
        );
        assert!(
            !ca.join("bundle.pem").exists(),
            "{what}: a bundle was written"
        );
        // `ca` refuses it the same way, and writes no bundle either.
        let line = one_error_line(&run(&["ca", "--ca-dir", ca.to_str().expect("utf-8")]));
        assert!(line.contains(reason), "{what}: {line}");
        assert!(!ca.join("bundle.pem").exists(), "{what}: ca wrote a bundle");
        assert_eq!(
            std::fs::read_to_string(&cert_path).expect("kept"),
            pem,
            "{what}: the file is left as it was"
        );
    }
    // The same certificate without its key: refused, not replaced by a new root.
    let unconstrained = forged_root(&key, &key, None, true);
    std::fs::write(&cert_path, &unconstrained).expect("tampered");
    std::fs::remove_file(ca.join("ca-key.pem")).expect("rm key");
    let line = refused_start(&ca);
    assert!(line.contains("holds ca.pem but not ca-key.pem"), "{line}");
    assert_eq!(
        std::fs::read_to_string(&cert_path).expect("kept"),
        unconstrained
    );
    assert!(!ca.join("bundle.pem").exists());
}

#[tokio::test]
async fn a_directory_others_may_change_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().expect("dir");
    let ca = dir.path().join("ca");
    assert!(
        run(&["ca", "--ca-dir", ca.to_str().expect("utf-8")])
            .status
            .success()
    );
    set_mode(&ca, 0o777);
    let line = refused_start(&ca);
    assert!(
        line.contains("is writable by group or others (mode 0777)")
            && line.contains(&format!("chmod 700 {}", ca.display())),
        "{line}"
    );
    set_mode(&ca, 0o700);
    set_mode(&ca.join("ca.pem"), 0o666);
    let line = refused_start(&ca);
    assert!(line.contains("chmod 644"), "{line}");
    set_mode(&ca.join("ca.pem"), 0o644);
    // A directory of another user, which only root can make here.
    if nix::unistd::geteuid().is_root() {
        let nobody = nix::unistd::Uid::from_raw(65534);
        nix::unistd::chown(&ca, Some(nobody), None).expect("chown");
        let line = refused_start(&ca);
        assert!(
            line.contains("belongs to uid 65534, not to the user running the emulator"),
            "{line}"
        );
        nix::unistd::chown(&ca, Some(nix::unistd::geteuid()), None).expect("chown back");
    } else {
        eprintln!("not root: the other user's directory is checked by the unit tests only");
    }
    // Mended, it starts again with the same root.
    let running = start_tls(&ca);
    assert_eq!(
        root_pem(&running).await,
        std::fs::read_to_string(ca.join("ca.pem")).expect("root")
    );
    stop(running);
}

#[tokio::test]
async fn no_file_of_the_directory_is_opened_through_a_link() {
    let dir = tempfile::tempdir().expect("dir");
    let ca = dir.path().join("ca");
    std::fs::create_dir(&ca).expect("dir");
    set_mode(&ca, 0o700);
    let elsewhere = dir.path().join("elsewhere.lock");
    std::os::unix::fs::symlink(&elsewhere, ca.join("ca.lock")).expect("link");
    let line = refused_start(&ca);
    assert!(line.contains("ca.lock is a symbolic link"), "{line}");
    assert!(!elsewhere.exists(), "the link was followed");
    assert!(!ca.join("ca.pem").exists() && !ca.join("ca-key.pem").exists());
}

#[tokio::test]
async fn files_get_their_modes_whatever_the_umask() {
    let dir = tempfile::tempdir().expect("dir");
    for (umask, command) in [("000", "ca"), ("077", "ca"), ("000", "serve")] {
        let ca = dir.path().join(format!("ca-{umask}-{command}"));
        let ca_arg = ca.to_str().expect("utf-8");
        if command == "ca" {
            let output =
                support::under_shell(&format!("umask {umask}"), &["ca", "--ca-dir", ca_arg])
                    .output()
                    .expect("runs");
            assert!(output.status.success(), "{output:?}");
        } else {
            let running = support::start_under_shell(
                &format!("umask {umask}"),
                &["--listen", "127.0.0.1:0", "--ca-dir", ca_arg],
            );
            stop(running);
        }
        let what = format!("umask {umask}, {command}");
        assert_eq!(mode_of(&ca), 0o700, "{what}: the directory");
        assert_eq!(mode_of(&ca.join("ca-key.pem")), 0o600, "{what}: the key");
        assert_eq!(
            mode_of(&ca.join("ca.pem")),
            0o644,
            "{what}: the certificate"
        );
        assert_eq!(mode_of(&ca.join("bundle.pem")), 0o644, "{what}: the bundle");
        assert_eq!(mode_of(&ca.join("ca.lock")), 0o600, "{what}: the lock");
    }
}

/// A server on a port of its own that answers every request with `body`: whatever process got
/// the port first.
async fn impostor(body: String) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = vec![0; 4096];
            let _ = stream.read(&mut request).await;
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/x-pem-file\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    (addr, task)
}

// Multi-threaded: the impostor answers while this thread waits for the command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_url_refuses_a_root_wider_than_janrains_and_writes_nothing() {
    let temporary = tempfile::tempdir().expect("dir");
    let tmp = temporary.path().to_str().expect("utf-8");
    let ca = |args: &[&str]| {
        let mut command = std::process::Command::new(support::BINARY);
        command.arg("ca").args(args).env("TMPDIR", tmp);
        support::run_to_refusal(command)
    };
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let (addr, task) = impostor(forged_root(&key, &key, None, true)).await;
    let url = format!("http://{addr}/__emulator/ca.pem");
    let line = one_error_line(&ca(&["--url", &url]));
    assert!(
        line.contains("is refused") && line.contains("no critical name constraints"),
        "{line}"
    );
    assert_eq!(
        std::fs::read_dir(temporary.path()).expect("dir").count(),
        0,
        "nothing was written"
    );
    task.abort();
    // A real emulator's root made with --ca-permit: refused unless ca is given the same.
    let running = start(
        &["--listen", "127.0.0.1:0", "--ca-permit", "example.test"],
        &[],
    );
    let url = format!("{}/__emulator/ca.pem", running.base);
    let line = one_error_line(&ca(&["--url", &url]));
    assert!(line.contains("also permits example.test"), "{line}");
    let first = ca(&["--url", &url, "--ca-permit", "example.test"]);
    assert!(first.status.success(), "{first:?}");
    let second = ca(&["--url", &url, "--ca-permit", "example.test"]);
    let (first, second) = (
        String::from_utf8(first.stdout).expect("utf-8"),
        String::from_utf8(second.stdout).expect("utf-8"),
    );
    let (first, second) = (Path::new(first.trim()), Path::new(second.trim()));
    // Each bundle in a new directory of its own, under the temporary directory.
    assert_ne!(first.parent(), second.parent());
    for path in [first, second] {
        let parent = path.parent().expect("a directory");
        assert_eq!(
            parent.parent(),
            Some(temporary.path()),
            "{}",
            path.display()
        );
        let name = parent.file_name().and_then(|n| n.to_str()).expect("name");
        assert!(
            name.starts_with("janrain-emulator-ca-") && name.len() > 30,
            "{name}"
        );
        assert_eq!(mode_of(parent), 0o755);
        assert_eq!(mode_of(path), 0o644);
        let bundle = std::fs::read_to_string(path).expect("bundle");
        assert!(bundle.ends_with(&root_pem(&running).await));
    }
    stop(running);
}

#[tokio::test]
async fn ca_permit_refuses_a_public_suffix() {
    for suffix in ["co.uk", "github.io", "com"] {
        let line = one_error_line(&support::run_briefly(&[
            "--listen",
            "127.0.0.1:0",
            "--ca-permit",
            suffix,
        ]));
        assert!(
            line.contains(&format!("--ca-permit {suffix:?}")),
            "{suffix}: {line}"
        );
        let line = one_error_line(&run(&["ca", "--ca-permit", suffix]));
        assert!(line.contains("--ca-permit"), "{suffix}: {line}");
    }
    let line = one_error_line(&support::run_briefly(&[
        "--listen",
        "127.0.0.1:0",
        "--ca-permit",
        "co.uk",
    ]));
    assert!(line.contains("is a public suffix"), "{line}");
}

#[tokio::test]
async fn info_reports_what_the_root_itself_permits() {
    let dir = tempfile::tempdir().expect("dir");
    let ca = dir.path().join("ca");
    let ca_arg = ca.to_str().expect("utf-8");
    let made = run(&["ca", "--ca-dir", ca_arg, "--ca-permit", "example.test"]);
    assert!(made.status.success(), "{made:?}");
    // Started later with another permit, the root still permits what it was made with.
    let running = start(
        &[
            "--listen",
            "127.0.0.1:0",
            "--ca-dir",
            ca_arg,
            "--ca-permit",
            "other.test",
        ],
        &[],
    );
    let info = reqwest::Client::new()
        .get(format!("{}/__emulator/info", running.base))
        .fetch_json()
        .await;
    assert_eq!(
        info["tls"]["permitted_names"],
        json!([
            "janraincapture.com",
            "janrain.com",
            "localhost",
            "example.test"
        ])
    );
    assert_eq!(
        info["tls"]["permitted_addresses"],
        json!(["127.0.0.0/8", "::1/128"])
    );
    assert_eq!(info["tls"]["excluded"], json!(["email", "uri"]));
    stop(running);
}
