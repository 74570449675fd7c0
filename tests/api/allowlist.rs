//! IP allowlists: set and cleared through the legacy API, refused as Python's `ipaddress` would,
//! and checked against the calling client in both families, optionally through
//! `X-Forwarded-For`; an empty one shuts the client out everywhere.

use janrain_emulator::Config;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, basic, basic_of, read, spawn_app, spawn_app_with};
use crate::legacy::{add, invalid, listed, missing};

/// A second owner that only admits 10.0.0.0/8; returns its Basic header.
async fn fenced_owner(app: &TestApp) -> String {
    let made = app
        .config_api_create(
            json!({"name": "fenced", "features": ["owner"], "ipWhitelist": ["10.0.0.0/8"]}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED);
    basic_of(&made.body)
}

/// (legacy error code or 0 for ok, Configuration API status) for a call from `forwarded_for`.
async fn outcome(app: &TestApp, auth: &str, forwarded_for: Option<&str>) -> (i64, u16) {
    let with = |request: reqwest::RequestBuilder| match forwarded_for {
        Some(value) => request.header("x-forwarded-for", value),
        None => request,
    };
    let legacy = app
        .legacy_send(with(
            app.http
                .post(app.url("/clients/list"))
                .header("authorization", auth),
        ))
        .await;
    let rest = read(with(
        app.http
            .get(app.clients_url())
            .header("authorization", auth),
    ))
    .await;
    (legacy["code"].as_i64().unwrap_or(0), rest.status.as_u16())
}

#[tokio::test]
async fn a_call_from_outside_the_callers_list_is_refused() {
    let app = spawn_app().await;
    let auth = fenced_owner(&app).await;
    assert_eq!(outcome(&app, &auth, None).await, (403, 403));
    // Without --trust-forwarded-for the header is not believed.
    assert_eq!(outcome(&app, &auth, Some("10.1.2.3")).await, (403, 403));
}

#[tokio::test]
async fn behind_a_proxy_the_forwarded_address_counts() {
    let config = Config {
        trust_forwarded_for: true,
        ..Config::default()
    };
    let app = spawn_app_with(config).await;
    let auth = fenced_owner(&app).await;
    assert_eq!(outcome(&app, &auth, Some("10.1.2.3")).await, (0, 200));
    assert_eq!(
        outcome(&app, &auth, Some("10.1.2.3, 192.0.2.1")).await,
        (0, 200),
        "the first hop is the client"
    );
    assert_eq!(
        outcome(&app, &auth, Some("192.0.2.1, 10.1.2.3")).await,
        (403, 403)
    );
    assert_eq!(
        outcome(&app, &auth, Some("garbage, 10.1.2.3")).await,
        (0, 200),
        "unreadable entries are skipped"
    );
    // No header: the socket's address, 127.0.0.1.
    assert_eq!(outcome(&app, &auth, None).await, (403, 403));
}

#[tokio::test]
async fn the_allowlist_of_the_target_does_not_matter() {
    let app = spawn_app().await;
    let made = app
        .config_api_create(json!({"name": "far away", "ipWhitelist": ["10.0.0.0/8"]}))
        .await;
    let id = made.body["_id"].as_str().expect("id");
    let body = app
        .legacy(
            "/clients/set_description",
            &[("for_client_id", id), ("description", "renamed")],
        )
        .await;
    assert_eq!(body["stat"], "ok");
}

#[tokio::test]
async fn whitelists_are_set_enforced_and_cleared() {
    let app = spawn_app().await;
    let (id, secret) = add(&app, "fenced", r#"["owner"]"#).await;
    let body = app
        .legacy(
            "/clients/set_whitelist",
            &[("for_client_id", &id), ("whitelist", r#"["10.0.0.0/8"]"#)],
        )
        .await;
    assert_eq!(body, json!({"stat": "ok"}));
    assert_eq!(
        listed(&app, &id).await.expect("listed")["whitelist"],
        json!(["10.0.0.0/8"])
    );
    // The tests call from 127.0.0.1, outside the list: refused in both families.
    let refused = app.legacy_as("/clients/list", &id, &secret, &[]).await;
    assert_eq!(
        (
            &refused["code"],
            &refused["error"],
            &refused["error_description"]
        ),
        (
            &json!(403),
            &json!("client_permission_error"),
            &json!("the provided client does not have authorization for this action")
        )
    );
    let rest = crate::helpers::read(
        app.http
            .get(app.clients_url())
            .header("authorization", basic(&id, &secret)),
    )
    .await;
    assert_eq!(rest.status, reqwest::StatusCode::FORBIDDEN);
    // Cleared, it works again.
    let body = app
        .legacy("/clients/clear_whitelist", &[("for_client_id", &id)])
        .await;
    assert_eq!(body, json!({"stat": "ok"}));
    assert_eq!(
        listed(&app, &id).await.expect("listed")["whitelist"],
        json!(["0.0.0.0/0"])
    );
    let allowed = app.legacy_as("/clients/list", &id, &secret, &[]).await;
    assert_eq!(allowed["stat"], "ok");
}

#[tokio::test]
async fn whitelist_errors() {
    let app = spawn_app().await;
    let (id, _) = add(&app, "fenced", "[]").await;
    let reason = |text: &str| format!("whitelist was not valid for the following reason: {text}");
    for (list, text) in [
        (
            r#"["10.0.0.0/33"]"#,
            reason("invalid cidr address: 10.0.0.0/33; value after slash must be 32 or less"),
        ),
        (r#"["10.0.0.1"]"#, reason("invalid cidr address: 10.0.0.1")),
        (
            r#"["fe80::/10"]"#,
            reason("invalid cidr address: fe80::/10"),
        ),
        ("10.0.0.0/8", reason("the JSON is not syntactically valid")),
        (r#"{"a": 1}"#, reason("the value is not a JSON array")),
    ] {
        let body = app
            .legacy(
                "/clients/set_whitelist",
                &[("for_client_id", &id), ("whitelist", list)],
            )
            .await;
        invalid(&body, "whitelist", &text);
    }
    // The owner cannot shut itself out.
    let body = app
        .legacy(
            "/clients/set_whitelist",
            &[("whitelist", r#"["10.0.0.0/8"]"#)],
        )
        .await;
    invalid(
        &body,
        "whitelist",
        &reason("the whitelist must allow the address making the call (127.0.0.1)"),
    );
    let body = app
        .legacy(
            "/clients/set_whitelist",
            &[("whitelist", r#"["127.0.0.0/8", "10.0.0.0/8"]"#)],
        )
        .await;
    assert_eq!(
        body,
        json!({"stat": "ok"}),
        "a list that admits the caller is fine"
    );
    missing(
        &app.legacy("/clients/set_whitelist", &[("for_client_id", &id)])
            .await,
        "whitelist",
    );
}

#[tokio::test]
async fn an_empty_allowlist_shuts_a_client_out_everywhere() {
    let app = spawn_app().await;
    let made = app
        .config_api_create(json!({"name": "shut out", "features": ["owner"]}))
        .await
        .body;
    let (id, secret) = (
        made["_id"].as_str().expect("id"),
        made["_secret"].as_str().expect("secret"),
    );
    let set = app
        .legacy(
            "/clients/set_whitelist",
            &[("for_client_id", id), ("whitelist", "[]")],
        )
        .await;
    assert_eq!(set["stat"], "ok");
    let legacy = app.legacy_as("/clients/list", id, secret, &[]).await;
    assert_eq!(legacy["code"], 403, "{legacy}");
    let config = read(
        app.http
            .get(app.clients_url())
            .header("authorization", basic(id, secret)),
    )
    .await;
    assert_eq!(config.status, StatusCode::FORBIDDEN);
    let listed = app.config_api_list("").await.body;
    let stored = listed
        .as_array()
        .expect("array")
        .iter()
        .find(|c| c["_id"] == id)
        .expect("listed");
    assert_eq!(stored["ipWhitelist"], json!([]));
}

#[tokio::test]
async fn allowlist_blocks_follow_pythons_ipaddress() {
    let app = spawn_app().await;
    let made = app
        .legacy("/clients/add", &[("description", "listed")])
        .await;
    let id = made["client_id"].as_str().expect("id");
    let set = async |block: &str| {
        let list = format!("[\"{block}\"]");
        app.legacy(
            "/clients/set_whitelist",
            &[("for_client_id", id), ("whitelist", &list)],
        )
        .await
    };
    // A leading zero in the prefix length is read as decimal; in an octet it is refused, since
    // it could mean octal.
    for accepted in ["10.0.0.1/08", "10.0.0.1/008", "10.1.2.3/8", "0.0.0.0/00"] {
        assert_eq!(set(accepted).await["stat"], "ok", "{accepted}");
    }
    for refused in ["010.0.0.1/8", "10.0.0.1/0008", "10.0.0.1/ 8", "10.0.0.1/33"] {
        assert_eq!(set(refused).await["code"], 200, "{refused}");
    }
}
