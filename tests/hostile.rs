//! The hostile-client battery, against the real binary with logging at trace level: for every
//! route and method of the OpenAPI document, malformed credentials in every form, undecodable
//! escapes in every path segment, broken bodies, and odd HTTP framing on raw connections. After
//! each batch: the process is alive, the owner can still list in both families, no answer was a
//! server error or plain text, and none of the secrets the batch used appears in any error body,
//! in the journal, or in the log.

mod support;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use support::{FetchJson as _, Running, date_header, sign};

const APP: &str = "emulatorapp000000000000001";
const OWNER: &str = "batteryowner";
const SECRET: &str = "batterysecretQ7v2mX9kP4wZ8rT1yU6";
/// Values of parameters that the journal hides by their names.
const HIDDEN_VALUES: [(&str, &str); 3] = [
    ("password", "batterypasswordH3k9"),
    ("rpx_key", "batteryrpxkeyM2n8"),
    ("api_token", "batterytokenZ5q1"),
];
/// The client the batches may change or delete.
const VICTIM_NAME: &str = "victim";

struct Battery {
    running: Running,
    log: std::fs::File,
    http: reqwest::Client,
    /// Every secret used so far; none may appear in an error body, the journal or the log.
    secrets: Vec<String>,
    victim: String,
    /// (method, path) of every documented operation.
    operations: Vec<(Method, String)>,
}

impl Battery {
    async fn start() -> Self {
        let log = tempfile::tempfile().expect("log file");
        let running = support::start_logging_to(
            &[
                "--listen",
                "127.0.0.1:0",
                "--owner-client-id",
                OWNER,
                "--owner-client-secret",
                SECRET,
            ],
            &[("RUST_LOG", "trace")],
            log.try_clone().expect("log handle"),
        );
        let http = reqwest::Client::new();
        let document = http
            .get(format!("{}/__emulator/openapi.json", running.base))
            .fetch_json()
            .await;
        let mut operations = Vec::new();
        for (path, item) in document["paths"].as_object().expect("paths") {
            for method in ["get", "post", "put", "delete"] {
                if item.get(method).is_some() {
                    let method =
                        Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
                    operations.push((method, path.clone()));
                }
            }
        }
        assert!(operations.len() > 20, "{operations:?}");
        let mut battery = Self {
            running,
            log,
            http,
            secrets: vec![SECRET.to_owned()],
            victim: String::new(),
            operations,
        };
        battery
            .secrets
            .extend(HIDDEN_VALUES.iter().map(|(_, v)| (*v).to_owned()));
        battery.new_victim().await;
        battery
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base)
    }

    fn owner_basic(&self) -> String {
        format!("Basic {}", STANDARD.encode(format!("{OWNER}:{SECRET}")))
    }

    /// A client the batches may change or delete; its secret (from the create answer) and the
    /// one a rotation gives it join the secrets that must never be recorded.
    async fn new_victim(&mut self) {
        let made = self
            .http
            .post(self.url("/clients/add"))
            .header("authorization", self.owner_basic())
            .form(&[("description", VICTIM_NAME)])
            .fetch_json()
            .await;
        assert_eq!(made["stat"], "ok", "{made}");
        self.victim = made["client_id"].as_str().expect("id").to_owned();
        self.secrets
            .push(made["client_secret"].as_str().expect("secret").to_owned());
        let rotated = self
            .http
            .post(self.url("/clients/reset_secret"))
            .header("authorization", self.owner_basic())
            .form(&[
                ("for_client_id", self.victim.as_str()),
                ("hours_to_live", "1"),
            ])
            .fetch_json()
            .await;
        self.secrets.push(
            rotated["new_secret"]
                .as_str()
                .expect("new secret")
                .to_owned(),
        );
    }

    /// The path with its parameters filled in: the application, and the victim as the client.
    fn concrete(&self, path: &str) -> String {
        path.replace("{app_id}", APP)
            .replace("{client_id}", &self.victim)
            .replace("{id}", "1")
    }

    /// Parameters for a legacy call: harmless to the owner, and carrying values the journal hides.
    fn legacy_form(&self) -> Vec<(&'static str, String)> {
        let mut form = vec![
            ("description", "battery".to_owned()),
            ("for_client_id", self.victim.clone()),
            ("client_id_for_deletion", self.victim.clone()),
            ("features", r#"["direct_access"]"#.to_owned()),
        ];
        form.extend(HIDDEN_VALUES.iter().map(|(k, v)| (*k, (*v).to_owned())));
        form
    }

    fn json_body(&self) -> Value {
        let mut body = json!({"name": "battery", "hoursToLive": 0, "features": ["direct_access"]});
        for (key, value) in HIDDEN_VALUES {
            body[key] = json!(value);
        }
        body
    }

    /// Sends a request and checks the answer: no server error, JSON (or the console's own
    /// files), and no secret in an error's body.
    async fn send(&self, request: reqwest::RequestBuilder, what: &str) {
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().expect("ascii").to_owned());
        let path = response.url().path().to_owned();
        let body = response.bytes().await.expect("body");
        assert!(!status.is_server_error(), "{what}: {status} {body:?}");
        if !body.is_empty() {
            // The console's files and the local CA's root are not JSON, on purpose.
            let console = path.starts_with("/__emulator/ui") || path == "/__emulator/ca.pem";
            let content_type = content_type.unwrap_or_default();
            assert!(
                content_type.starts_with("application/json") || console,
                "{what}: {status} {content_type:?} {body:?}"
            );
        }
        let text = String::from_utf8_lossy(&body);
        let failed = status.is_client_error() || text.contains("\"stat\":\"error\"");
        if failed {
            self.assert_clean(&text, &format!("the answer to {what}"));
        }
    }

    fn assert_clean(&self, text: &str, place: &str) {
        for secret in self.all_secret_forms() {
            if let Some(at) = text.find(&secret) {
                // Enough around it to see where it stands, not the whole journal.
                let from = text[..at]
                    .char_indices()
                    .rev()
                    .nth(400)
                    .map_or(0, |(i, _)| i);
                let to = text[at..]
                    .char_indices()
                    .nth(200)
                    .map_or(text.len(), |(i, _)| at + i);
                panic!("a secret ({secret}) reached {place}: …{}…", &text[from..to]);
            }
        }
    }

    /// The secrets, and the forms they travel in: Basic tokens with and without padding.
    fn all_secret_forms(&self) -> Vec<String> {
        let mut forms = self.secrets.clone();
        for (id, secret) in [(OWNER, SECRET), (SECRET, OWNER)] {
            let pair = format!("{id}:{secret}");
            forms.push(STANDARD.encode(&pair));
            forms.push(STANDARD_NO_PAD.encode(&pair));
        }
        forms
    }

    /// The checks that end every batch.
    async fn after_batch(&mut self, batch: &str) {
        assert!(
            self.running.child.try_wait().expect("wait").is_none(),
            "the process died during {batch}"
        );
        let legacy = self
            .http
            .post(self.url("/clients/list"))
            .header("authorization", self.owner_basic())
            .fetch_json()
            .await;
        assert_eq!(legacy["stat"], "ok", "after {batch}: {legacy}");
        let config = self
            .http
            .get(self.url(&format!("/config/{APP}/clients")))
            .header("authorization", self.owner_basic())
            .send()
            .await
            .expect("sent");
        assert_eq!(config.status(), StatusCode::OK, "after {batch}");
        let journal = self
            .http
            .get(self.url("/__emulator/requests"))
            .send()
            .await
            .expect("sent")
            .text()
            .await
            .expect("journal");
        self.assert_clean(&journal, &format!("the journal after {batch}"));
        let log = support::read_log(&mut self.log);
        assert!(
            log.contains("TRACE") || log.contains("DEBUG"),
            "trace logging is on"
        );
        self.assert_clean(&log, &format!("the log after {batch}"));
        let cleared = self
            .http
            .delete(self.url("/__emulator/requests"))
            .send()
            .await
            .expect("sent");
        assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
        // Whatever the batch did to it, there is a victim for the next one.
        self.new_victim().await;
    }
}

/// Credentials given as request parameters.
type ParamSet = Vec<(&'static str, String)>;

/// Malformed or wrong credentials in every form: header values, and parameter sets.
fn credential_catalogue() -> (Vec<Vec<u8>>, Vec<ParamSet>) {
    let token = STANDARD.encode(format!("{OWNER}:{SECRET}"));
    let unpadded = STANDARD_NO_PAD.encode(format!("{OWNER}:{SECRET}"));
    let wrong = STANDARD.encode(format!("{OWNER}:{SECRET}x"));
    let swapped = STANDARD.encode(format!("{SECRET}:{OWNER}"));
    let no_colon = STANDARD.encode(SECRET);
    // A signature over some text with the right secret, sent where it does not verify.
    let signature = sign(SECRET, "/clients/list\n2020-01-01 00:00:00\n");
    let mut headers: Vec<Vec<u8>> = [
        token.clone(),
        unpadded.clone(),
        format!("Bearer,{token}"),
        format!("Bearer {token}"),
        format!("OAuth {SECRET}"),
        format!("Digest {token}"),
        format!("Basic{token}"),
        format!("Basic  {wrong}"),
        format!("Basic {swapped}"),
        format!("Basic {no_colon}"),
        format!("Basic {token}!!"),
        format!("Basic {}", &token[..token.len() / 2]),
        format!("Signature {OWNER}:{signature}"),
        format!("Signature {signature}"),
        format!("Signature {OWNER}:{SECRET}"),
        format!("Signature {SECRET}:{signature}"),
        SECRET.to_owned(),
        format!("Basic {token}, Basic {token}"),
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect();
    let mut not_utf8 = b"Basic \xff\xfe".to_vec();
    not_utf8.extend_from_slice(SECRET.as_bytes());
    headers.push(not_utf8);
    let params = vec![
        vec![
            ("client_id", OWNER.to_owned()),
            ("client_secret", format!("{SECRET}x")),
        ],
        vec![("client_secret", SECRET.to_owned())],
        vec![
            ("client_id", SECRET.to_owned()),
            ("client_secret", OWNER.to_owned()),
        ],
        vec![("client_id", OWNER.to_owned())],
        vec![("access_token", SECRET.to_owned())],
        vec![
            ("client_id", format!("{OWNER}\u{0}")),
            ("client_secret", SECRET.to_owned()),
        ],
    ];
    (headers, params)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hostile_client_battery() {
    let mut battery = Battery::start().await;
    credentials_batch(&battery).await;
    battery.after_batch("the credentials batch").await;
    escapes_batch(&battery).await;
    battery.after_batch("the escapes batch").await;
    bodies_batch(&battery).await;
    battery.after_batch("the bodies batch").await;
    framing_batch(&battery).await;
    battery.after_batch("the framing batch").await;
    proxy_batch(&battery).await;
    battery.after_batch("the proxy batch").await;
    cross_site_batch(&battery).await;
    battery.after_batch("the cross-site batch").await;
    assert!(support::stop(battery.running).success());
}

async fn credentials_batch(battery: &Battery) {
    let (headers, params) = credential_catalogue();
    let date = date_header(std::time::SystemTime::now());
    for (method, path) in &battery.operations {
        let url = battery.url(&battery.concrete(path));
        let legacy = path.starts_with("/clients/") || path.starts_with("/settings/");
        let with_body = |request: reqwest::RequestBuilder| {
            if legacy {
                request.form(&battery.legacy_form())
            } else if *method == Method::POST || *method == Method::PUT {
                request.json(&battery.json_body())
            } else {
                request
            }
        };
        for header in &headers {
            let mut extra = HeaderMap::new();
            extra.insert(
                "authorization",
                HeaderValue::from_bytes(header).expect("a header value"),
            );
            // A signed request's date inside the window, so that a mismatch is reached.
            extra.insert("date", HeaderValue::from_str(&date).expect("date"));
            let request = with_body(battery.http.request(method.clone(), &url).headers(extra));
            battery
                .send(request, &format!("{method} {path} with a malformed header"))
                .await;
        }
        for set in &params {
            let query: Vec<(&str, &str)> = set.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let request = with_body(battery.http.request(method.clone(), &url).query(&query));
            battery
                .send(request, &format!("{method} {path} with parameters"))
                .await;
        }
    }
    // A signed call whose signature does not match, over parameters the journal hides: the
    // mismatch is recorded, the hidden values are not.
    let mut form = battery.legacy_form();
    form.retain(|(k, _)| *k != "client_id_for_deletion");
    let mut lines: Vec<String> = form.iter().map(|(k, v)| format!("{k}={v}")).collect();
    lines.sort();
    let text = lines
        .iter()
        .fold(format!("/clients/list\n{date}\n"), |t, l| t + l + "\n");
    let bad = sign("not the secret", &text);
    let answer = battery
        .http
        .post(battery.url("/clients/list"))
        .header("authorization", format!("Signature {OWNER}:{bad}"))
        .header("date", &date)
        .form(&form)
        .fetch_json()
        .await;
    assert_eq!(answer["code"], 402, "{answer}");
    let journal = battery
        .http
        .get(battery.url("/__emulator/requests?limit=1"))
        .fetch_json()
        .await;
    let detail = journal[0]["detail"].as_str().expect("detail");
    assert!(detail.contains("does not match"), "{detail}");
    assert!(detail.contains("password=(hidden)"), "{detail}");
}

async fn escapes_batch(battery: &Battery) {
    let escapes = [
        "%FF",
        "%C3%28",
        "%ED%A0%80",
        "%00",
        "%2F",
        "%",
        "%zz",
        "..",
        "%25FF",
    ];
    let odd = Method::from_bytes(b"BREW").expect("method");
    for (method, path) in &battery.operations {
        let segments: Vec<&str> = path.split('/').collect();
        for index in 1..segments.len() {
            for escape in escapes {
                let mut changed = segments.clone();
                changed[index] = escape;
                let changed = battery.concrete(&changed.join("/"));
                for method in [method.clone(), odd.clone()] {
                    let request = battery
                        .http
                        .request(method.clone(), battery.url(&changed))
                        .header("authorization", battery.owner_basic());
                    battery.send(request, &format!("{method} {changed}")).await;
                }
            }
        }
        let query = battery.url(&format!(
            "{}?%FF=%FE&has_feature=%C3%28",
            battery.concrete(path)
        ));
        let request = battery
            .http
            .request(method.clone(), query)
            .header("authorization", battery.owner_basic());
        battery
            .send(request, &format!("{method} {path} with undecodable query"))
            .await;
    }
}

async fn bodies_batch(battery: &Battery) {
    let bodies: [(&str, &[u8]); 9] = [
        ("application/json", b"{\"name\": "),
        ("application/json", b"[1, 2, 3]"),
        ("application/json", b"\"just a string\""),
        ("application/json", b"\xff\xfe{}"),
        ("application/vnd.api+json", b"{\"name\": 5}"),
        (
            "application/x-www-form-urlencoded",
            b"description=%FF&features=%5B",
        ),
        (
            "application/x-www-form-urlencoded",
            b"features=[1,{}]&whitelist=[\"::1/128\"]",
        ),
        ("text/plain", b"description=x"),
        ("multipart/form-data; boundary=x", b"--x\r\n\r\n--x--"),
    ];
    for (method, path) in &battery.operations {
        if *method == Method::GET || *method == Method::DELETE {
            continue;
        }
        let url = battery.url(&battery.concrete(path));
        for (content_type, body) in bodies {
            let request = battery
                .http
                .request(method.clone(), &url)
                .header("authorization", battery.owner_basic())
                .header("content-type", content_type)
                .body(body.to_vec());
            battery
                .send(request, &format!("{method} {path} with {content_type}"))
                .await;
        }
        let nested = json!({"name": "deep", "x": (0..64).fold(json!(1), |v, _| json!([v]))});
        let request = battery
            .http
            .request(method.clone(), &url)
            .header("authorization", battery.owner_basic())
            .json(&nested);
        battery
            .send(request, &format!("{method} {path} with nested JSON"))
            .await;
    }
}

/// Sends `raw` on a connection of its own and reads for at most `wait`; the answer, or `None`
/// when there was none.
async fn raw_exchange(battery: &Battery, raw: &[u8], wait: Duration) -> Option<String> {
    let addr = battery.running.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    let _ = stream.write_all(raw).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(wait, stream.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    if text.is_empty() {
        return None;
    }
    for response in text.split("HTTP/1.1 ").skip(1) {
        let code: u16 = response[..3].parse().unwrap_or_else(|_| panic!("{text}"));
        assert!(code < 500, "{text}");
        assert!(
            !response
                .to_ascii_lowercase()
                .contains("content-type: text/plain"),
            "{text}"
        );
    }
    battery.assert_clean(&text, "a raw answer");
    Some(text)
}

async fn framing_batch(battery: &Battery) {
    let auth = battery.owner_basic();
    let many_headers: String = (0..150).map(|n| format!("X-Filler-{n}: {n}\r\n")).collect();
    let huge_header = format!("X-Big: {}\r\n", "a".repeat(500 * 1024));
    let long_uri = format!("/clients/list?x={}", "a".repeat(200 * 1024));
    let cases: Vec<(Vec<u8>, Option<&str>)> = vec![
        (b"GET /clients/\xfflist HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), Some("400")),
        (b"GET /clients/ list HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), Some("400")),
        (format!("GET /clients/list HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n").into_bytes(), Some("431")),
        (format!("GET /clients/list HTTP/1.1\r\nHost: x\r\n{huge_header}\r\n").into_bytes(), Some("431")),
        (format!("GET {long_uri} HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes(), Some("431")),
        (
            b"POST /clients/add HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde".to_vec(),
            Some("400"),
        ),
        (
            b"POST /clients/add HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc".to_vec(),
            Some("400"),
        ),
        (b"GET /clients/list HTTP/1.2\r\nHost: x\r\n\r\n".to_vec(), Some("400")),
        (
            format!("CONNECT /clients/list HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\r\nGET /__emulator/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").into_bytes(),
            Some("405"),
        ),
        (
            format!("POST /config/{APP}/clients HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 4000000000\r\nConnection: close\r\n\r\n").into_bytes(),
            Some("413"),
        ),
        (
            format!("POST /clients/add HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n").into_bytes(),
            None,
        ),
        (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03".to_vec(), None),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(), None),
        (b"GET\r\n\r\n".to_vec(), Some("400")),
    ];
    for (raw, expected) in cases {
        // An HTTP/2 preface without frames waits for them: a short look is enough there.
        let wait = if raw.starts_with(b"PRI ") { 300 } else { 5000 };
        let answer = raw_exchange(battery, &raw, Duration::from_millis(wait)).await;
        if let Some(expected) = expected {
            let answer = answer.unwrap_or_else(|| {
                panic!(
                    "no answer to {:?}",
                    String::from_utf8_lossy(&raw[..40.min(raw.len())])
                )
            });
            assert!(
                answer.starts_with(&format!("HTTP/1.1 {expected}")),
                "{expected}: {}",
                &answer[..answer.len().min(300)]
            );
        }
    }
}

/// The plain listener as a proxy: every target that is not a Janrain host, in every spelling a
/// target can take (other hosts, addresses, `localhost`, look-alikes, user information,
/// encodings), is refused with 403 and a reason, in CONNECT and in absolute form, and nothing is
/// connected to: a listener of the battery's own, named by those targets, sees no connection.
async fn proxy_batch(battery: &Battery) {
    let bystander = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = bystander.local_addr().expect("addr").port();
    let targets = [
        format!("127.0.0.1:{port}"),
        format!("127.1:{port}"),
        format!("0x7f000001:{port}"),
        format!("2130706433:{port}"),
        format!("[::1]:{port}"),
        format!("[::ffff:127.0.0.1]:{port}"),
        format!("localhost:{port}"),
        format!("LOCALHOST.:{port}"),
        format!("x.capture.localhost:{port}"),
        format!("example.com:{port}"),
        format!("x.janraincapture.com.evil.test:{port}"),
        format!("x.janraincapture.com.127.0.0.1.nip.io:{port}"),
        format!("evil-janraincapture.com:{port}"),
        format!("janraincapture.com.:{port}"),
        format!("x.janraincapture.com@127.0.0.1:{port}"),
        format!("127.0.0.1:{port}@x.janraincapture.com:443"),
        format!("user:{SECRET}@x.janraincapture.com:443"),
        format!("x%2ejanraincapture.com:{port}"),
        "x.janraincapture.com%3a443".to_owned(),
        "x.janraincapture.com:443%00".to_owned(),
        "x.janrain\u{2024}com:443".to_owned(),
        "x.janraincapture.com:-1".to_owned(),
        "x.janraincapture.com:65536".to_owned(),
        format!("x.janraincapture.com:{port}:{port}"),
    ];
    for target in &targets {
        for request in [
            format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n"),
            format!(
                "GET http://{target}/__emulator/health HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n"
            ),
        ] {
            let answer = raw_exchange(battery, request.as_bytes(), Duration::from_secs(5))
                .await
                .unwrap_or_else(|| panic!("no answer to {request:?}"));
            // hyper refuses what it cannot read as a request target at all, with 400.
            assert!(
                answer.starts_with("HTTP/1.1 403") || answer.starts_with("HTTP/1.1 400"),
                "{request:?}: {}",
                &answer[..answer.len().min(300)]
            );
            assert!(!answer.contains(SECRET), "{request:?} echoed the secret");
        }
    }
    let connected = tokio::time::timeout(Duration::from_millis(200), bystander.accept()).await;
    assert!(connected.is_err(), "the emulator connected onward");
}

/// What a web page of another site can send to the control plane, which has no token here:
/// every control route, every method, under `Host` names that a page rebinding its own name to
/// this address would send, and every changing route with `Origin`s of other sites (and the
/// `null` of a sandboxed page). Every one is refused with 403 and the flag to use, no secret is
/// in any answer, and the state is the same after as before.
async fn cross_site_batch(battery: &Battery) {
    let port = battery.running.base.rsplit(':').next().expect("a port");
    let before = battery
        .http
        .get(battery.url("/__emulator/snapshot"))
        .fetch_json()
        .await;
    let hosts = [
        "rebind.attacker.example".to_owned(),
        format!("rebind.attacker.example:{port}"),
        format!("REBIND.Attacker.Example.:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
        format!("localhost.attacker.example:{port}"),
        format!("janrain.com.attacker.example:{port}"),
        format!("x.janraincapture.com.evil.test:{port}"),
        format!("evil-janrain.com:{port}"),
        format!("[::1].attacker.example:{port}"),
        format!("a%2eb:{port}"),
        String::new(),
    ];
    let origins = [
        "http://attacker.example".to_owned(),
        format!("http://attacker.example:{port}"),
        format!("http://127.0.0.1.attacker.example:{port}"),
        format!("http://127.0.0.1:{}", 1),
        format!("https://127.0.0.1:{port}.attacker.example"),
        "null".to_owned(),
        "file://".to_owned(),
        format!("ftp://127.0.0.1:{port}"),
    ];
    let public = ["/__emulator/health", "/__emulator/ca.pem"];
    let control: Vec<&(Method, String)> = battery
        .operations
        .iter()
        .filter(|(_, path)| path.starts_with("/__emulator") && !public.contains(&path.as_str()))
        .collect();
    assert!(control.len() > 10, "{control:?}");
    for (method, path) in &control {
        let url = battery.url(&battery.concrete(path));
        for host in &hosts {
            let what = format!("{method} {path} with Host {host:?}");
            let body = refused_from_page(battery, method, &url, ("host", host), &what).await;
            assert!(body.contains("--control-token"), "{what}: {body}");
        }
        if *method == Method::GET {
            continue;
        }
        for origin in &origins {
            let what = format!("{method} {path} from {origin:?}");
            refused_from_page(battery, method, &url, ("origin", origin), &what).await;
        }
    }
    let after = battery
        .http
        .get(battery.url("/__emulator/snapshot"))
        .fetch_json()
        .await;
    assert_eq!(before, after, "a refused request changed the state");
}

/// Sends `method url` with one header as a page would set it, checks the refusal (403, no secret
/// in it) and returns its body.
async fn refused_from_page(
    battery: &Battery,
    method: &Method,
    url: &str,
    (name, value): (&str, &str),
    what: &str,
) -> String {
    let reply = battery
        .http
        .request(method.clone(), url)
        .header(name, value)
        .json(&json!({}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(reply.status(), StatusCode::FORBIDDEN, "{what}");
    let body = reply.text().await.expect("body");
    battery.assert_clean(&body, &format!("the answer to {what}"));
    body
}
