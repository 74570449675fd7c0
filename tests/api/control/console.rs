//! The console page's files and the control endpoint it starts from. The page itself is tested
//! in a browser by `tests/browser/`.

use std::collections::BTreeSet;

use janrain_emulator::Config;
use janrain_emulator::config::DEFAULT_OWNER_CLIENT_ID;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::json;

use crate::helpers::{TestApp, read, read_raw, spawn_app, spawn_app_with};

const PAGE: &str = include_str!("../../../src/control/console/index.html");
/// The script as served: its three files, concatenated.
const SCRIPT: &str = concat!(
    include_str!("../../../src/control/console/script/1-page.js"),
    include_str!("../../../src/control/console/script/2-dialogs.js"),
    include_str!("../../../src/control/console/script/3-panels.js"),
);

/// Fetches a console file: its status, headers and text.
async fn fetch(app: &TestApp, path: &str) -> (StatusCode, HeaderMap, String) {
    let reply = read_raw(app.http.get(app.url(path))).await;
    let text = reply.text().to_owned();
    (reply.status, reply.headers, text)
}

#[tokio::test]
async fn the_page_and_its_files_are_served_from_the_binary() {
    let app = spawn_app().await;
    for (path, content_type, body) in [
        ("/__emulator/ui", "text/html; charset=utf-8", PAGE),
        ("/__emulator/ui/", "text/html; charset=utf-8", PAGE),
        (
            "/__emulator/ui/console.js",
            "text/javascript; charset=utf-8",
            SCRIPT,
        ),
        (
            "/__emulator/ui/console.css",
            "text/css; charset=utf-8",
            include_str!("../../../src/control/console/console.css"),
        ),
    ] {
        let (status, headers, text) = fetch(&app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(headers["content-type"], content_type, "{path}");
        assert_eq!(text, body, "{path}");
        let policy = headers["content-security-policy"].to_str().expect("ascii");
        assert!(policy.starts_with("default-src 'none'"), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
    }
    let (status, _, body) = fetch(&app, "/__emulator/ui/missing.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("no such endpoint"), "{body}");
}

/// The page holds no inline script or style (the content security policy forbids both), and
/// every file it loads is served.
#[tokio::test]
async fn the_page_loads_only_its_own_files() {
    let app = spawn_app().await;
    assert!(!PAGE.contains("<script>") && !PAGE.contains("<style") && !PAGE.contains(" style="));
    let inline_handler = PAGE.match_indices(" on").any(|(at, _)| {
        let name: String = PAGE[at + 3..]
            .chars()
            .take_while(char::is_ascii_lowercase)
            .collect();
        !name.is_empty() && PAGE[at + 3 + name.len()..].starts_with("=\"")
    });
    assert!(!inline_handler, "no inline event handlers");
    let mut loaded = 0;
    for attribute in ["src=\"", "href=\""] {
        for (at, _) in PAGE.match_indices(attribute) {
            let rest = &PAGE[at + attribute.len()..];
            let target = &rest[..rest.find('"').expect("closing quote")];
            if target.starts_with('/') {
                let (status, _, _) = fetch(&app, target).await;
                assert_eq!(status, StatusCode::OK, "{target}");
                loaded += 1;
            } else {
                assert!(
                    target.starts_with('#') || target.starts_with("data:"),
                    "the page loads {target} from elsewhere"
                );
            }
        }
    }
    assert_eq!(loaded, 2, "the script and the style sheet");
}

/// Every element the script looks up by id is in the page: a renamed id fails here, before
/// any browser runs.
#[test]
fn every_id_the_script_uses_is_in_the_page() {
    let ids_in_page: BTreeSet<&str> = PAGE
        .match_indices(" id=\"")
        .map(|(at, found)| {
            let rest = &PAGE[at + found.len()..];
            &rest[..rest.find('"').expect("closing quote")]
        })
        .collect();
    let used: BTreeSet<&str> = SCRIPT
        .match_indices("$(\"")
        .map(|(at, found)| {
            let rest = &SCRIPT[at + found.len()..];
            &rest[..rest.find('"').expect("closing quote")]
        })
        .collect();
    assert!(used.len() > 40, "{used:?}");
    let missing: Vec<_> = used.difference(&ids_in_page).collect();
    assert!(
        missing.is_empty(),
        "the script uses ids the page lacks: {missing:?}"
    );
    // Every error line the script may fill is there for each field it names.
    for (at, _) in SCRIPT.match_indices("showError(\"") {
        let rest = &SCRIPT[at + "showError(\"".len()..];
        let field = &rest[..rest.find('"').expect("closing quote")];
        assert!(
            ids_in_page.contains(format!("{field}-error").as_str()),
            "{field}"
        );
    }
}

#[tokio::test]
async fn info_says_what_the_page_needs() {
    let app = spawn_app().await;
    let mut reply = read(app.http.get(app.url("/__emulator/info"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    // The default cap fits the test process's descriptor limit; a cap asked for is below.
    let cap = reply.body["max_connections"].as_u64().expect("a count");
    assert!((1..=4_096).contains(&cap), "{cap}");
    reply
        .body
        .as_object_mut()
        .expect("object")
        .remove("max_connections");
    assert_eq!(
        reply.body,
        json!({
            "version": env!("CARGO_PKG_VERSION"),
            "default_app_id": app.app_id(),
            "owner_client_id": DEFAULT_OWNER_CLIENT_ID,
            "assignable_features": ["owner", "access_issuer", "direct_read_access", "direct_access", "login_client"],
            "journal_capacity": Config::default().journal_capacity,
            "max_fault_delay_ms": 300_000,
            "log": {"dropped_lines": 0, "buffered_lines": 1_024},
            "tls": {
                "https_url": null,
                "ca_pem": "/__emulator/ca.pem",
                "ca_kept": false,
                "permitted_names": ["janraincapture.com", "janrain.com", "localhost"],
                "permitted_addresses": ["127.0.0.0/8", "::1/128"],
                "excluded": ["email", "uri"],
                "extended_key_usage": ["serverAuth"],
            },
        })
    );
    let without_owner = spawn_app_with(Config {
        owner: None,
        journal_capacity: 7,
        max_connections: 7,
        ..Config::default()
    })
    .await;
    let reply = read(
        without_owner
            .http
            .get(without_owner.url("/__emulator/info")),
    )
    .await;
    assert_eq!(reply.body["owner_client_id"], json!(null));
    assert_eq!(reply.body["journal_capacity"], 7);
    assert_eq!(reply.body["max_connections"], 7);
}

/// `/favicon.ico` is a legacy path: a browser asking for it would put a 404 in the journal. The
/// page names an empty icon instead, and loading the page's files leaves the journal empty.
#[tokio::test]
async fn the_page_names_its_own_empty_icon_and_leaves_the_journal_empty() {
    assert!(PAGE.contains(r#"<link rel="icon" href="data:,">"#));
    let app = spawn_app().await;
    for path in [
        "/__emulator/ui",
        "/__emulator/ui/console.js",
        "/__emulator/ui/console.css",
    ] {
        assert_eq!(fetch(&app, path).await.0, StatusCode::OK, "{path}");
    }
    let journal = read(app.http.get(app.url("/__emulator/requests"))).await;
    assert_eq!(journal.body, json!([]));
}
