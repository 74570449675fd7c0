//! The request journal: what it records of each call (never a secret), its bound, and when it
//! names a client.

use janrain_emulator::Config;
use janrain_emulator::config::{DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::control::control;
use crate::helpers::{owner_basic, read, signed_headers, spawn_app, spawn_app_with};

#[tokio::test]
async fn the_journal_records_calls_without_secrets() {
    let app = spawn_app().await;
    let made = app.config_api_create(json!({"name": "journaled"})).await;
    let secret = made.body["_secret"].as_str().expect("secret").to_owned();
    app.legacy("/clients/add", &[("features", "[]")]).await;
    read(
        app.http
            .post(format!(
                "{}?client_secret={secret}",
                app.url("/clients/list")
            ))
            .query(&[("client_id", made.body["_id"].as_str().expect("id"))]),
    )
    .await;
    let date = crate::helpers::date_header(std::time::SystemTime::now());
    let headers = signed_headers(
        "/clients/list",
        &[],
        DEFAULT_OWNER_CLIENT_ID,
        "wrong",
        &date,
    );
    let mut signed = app.http.post(app.url("/clients/list"));
    for (name, value) in &headers {
        signed = signed.header(*name, value);
    }
    read(signed).await;
    read(app.http.get(app.url("/__emulator/health"))).await;

    let (status, entries) = control(&app, reqwest::Method::GET, "/__emulator/requests", None).await;
    assert_eq!(status, StatusCode::OK);
    let entries = entries.as_array().expect("array").clone();
    assert_eq!(
        entries.len(),
        4,
        "control-plane calls are not journaled: {entries:#?}"
    );
    let text = serde_json::to_string(&entries).expect("json");
    for secret in [
        secret.as_str(),
        DEFAULT_OWNER_CLIENT_SECRET,
        "Signature",
        "Basic ",
    ] {
        assert!(!text.contains(secret), "{secret} leaked into {text}");
    }
    let newest = &entries[0];
    assert_eq!(newest["path"], "/clients/list");
    assert_eq!(
        (&newest["legacy_code"], &newest["error"]),
        (&json!(402), &json!("invalid_client_credentials"))
    );
    assert_eq!(newest["client_id"], DEFAULT_OWNER_CLIENT_ID);
    let detail = newest["detail"].as_str().expect("detail");
    assert!(
        detail.contains("signature of client") && detail.contains("does not match"),
        "{detail}"
    );
    let missing = &entries[2];
    assert_eq!(
        (&missing["legacy_code"], &missing["error"]),
        (&json!(100), &json!("missing_argument"))
    );
    let created = &entries[3];
    assert_eq!(created["family"], "config");
    assert_eq!(created["method"], "POST");
    assert_eq!(created["path"], format!("/config/{}/clients", app.app_id()));
    assert_eq!(created["status"], 201);
    assert_eq!(created["app_id"], app.app_id());
    assert_eq!(created["request_id"].as_str(), made.request_id.as_deref());
    assert!(created.get("error").is_none());

    let (_, legacy_only) = control(
        &app,
        reqwest::Method::GET,
        "/__emulator/requests?family=config",
        None,
    )
    .await;
    assert_eq!(legacy_only.as_array().expect("array").len(), 1);
    let (_, limited) = control(
        &app,
        reqwest::Method::GET,
        "/__emulator/requests?limit=2&status=200",
        None,
    )
    .await;
    assert_eq!(limited.as_array().expect("array").len(), 2);
    let (status, bad) = control(
        &app,
        reqwest::Method::GET,
        "/__emulator/requests?family=soap",
        None,
    )
    .await;
    assert_eq!(
        (status, bad),
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "family must be legacy or config"})
        )
    );
    let (status, _) = control(&app, reqwest::Method::DELETE, "/__emulator/requests", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, empty) = control(&app, reqwest::Method::GET, "/__emulator/requests", None).await;
    assert_eq!(empty, json!([]));
}

#[tokio::test]
async fn journal_entries_carry_their_parameters_but_never_secrets() {
    let app = spawn_app().await;
    read(app.http.post(app.url("/clients/add")).form(&[
        ("client_id", DEFAULT_OWNER_CLIENT_ID),
        ("client_secret", DEFAULT_OWNER_CLIENT_SECRET),
        ("description", "from a form"),
        ("features", r#"["login_client","owner"]"#),
    ]))
    .await;
    let made = app
        .config_api_create(
            json!({"name": "rest", "features": ["metadata"], "settings": {"api_secret": "x"}}),
        )
        .await;
    assert_eq!(made.status, StatusCode::BAD_REQUEST, "{:?}", made.body);
    app.config_api_list("?has_feature=owner&has_feature=login_client")
        .await;

    let (_, entries) = control(&app, reqwest::Method::GET, "/__emulator/requests", None).await;
    let text = entries.to_string();
    assert!(!text.contains(DEFAULT_OWNER_CLIENT_SECRET), "{text}");
    assert_eq!(
        entries[0]["params"],
        json!({"has_feature": ["owner", "login_client"]})
    );
    assert_eq!(
        entries[1]["params"],
        json!({"name": "rest", "features": ["metadata"], "settings": {"api_secret": "(hidden)"}})
    );
    assert_eq!(
        entries[2]["params"],
        json!({
            "client_id": DEFAULT_OWNER_CLIENT_ID,
            "client_secret": "(hidden)",
            "description": "from a form",
            "features": r#"["login_client","owner"]"#
        })
    );

    let count = |path: &'static str| {
        let app = &app;
        async move {
            let (status, entries) = control(app, reqwest::Method::GET, path, None).await;
            assert_eq!(status, StatusCode::OK, "{path}: {entries}");
            entries.as_array().expect("array").len()
        }
    };
    // The legacy failure is HTTP 200 but an error; the REST one is a 400.
    assert_eq!(count("/__emulator/requests?outcome=error").await, 2);
    assert_eq!(count("/__emulator/requests?outcome=ok").await, 1);
    assert_eq!(count("/__emulator/requests?status=4xx").await, 1);
    assert_eq!(count("/__emulator/requests?status=2XX").await, 2);
    assert_eq!(count("/__emulator/requests?status=400").await, 1);
    assert_eq!(
        count("/__emulator/requests?family=legacy&outcome=error").await,
        1
    );
    for (query, error) in [
        (
            "status=4yy",
            "status must be a status such as 404, or a class such as 4xx",
        ),
        (
            "status=6xx",
            "status must be a status such as 404, or a class such as 4xx",
        ),
        ("outcome=maybe", "outcome must be ok or error"),
        ("limit=-1", "limit must be a whole number"),
    ] {
        let (status, body) = control(
            &app,
            reqwest::Method::GET,
            &format!("/__emulator/requests?{query}"),
            None,
        )
        .await;
        assert_eq!(
            (status, body),
            (StatusCode::BAD_REQUEST, json!({"error": error}))
        );
    }
}

#[tokio::test]
async fn the_journal_is_bounded() {
    let app = spawn_app_with(Config {
        journal_capacity: 3,
        ..Config::default()
    })
    .await;
    for _ in 0..5 {
        app.legacy("/clients/list", &[]).await;
    }
    let (_, entries) = control(&app, reqwest::Method::GET, "/__emulator/requests", None).await;
    assert_eq!(entries.as_array().expect("array").len(), 3);
}

/// A `client_id` is recorded only for a client that exists; one that names none, or a
/// `client_id` parameter beside other credentials, may be a secret sent in the wrong place.
#[tokio::test]
async fn the_journal_names_a_client_only_once_it_is_known_to_exist() {
    let app = spawn_app().await;
    let pasted_secret = "thisisasecretpastedintothewrong1";
    read(
        app.http
            .post(app.url("/clients/list"))
            .form(&[("client_id", pasted_secret), ("client_secret", "whatever")]),
    )
    .await;
    read(
        app.http
            .post(app.url("/clients/list"))
            .header("authorization", owner_basic())
            .form(&[("client_id", pasted_secret)]),
    )
    .await;
    read(app.http.post(app.url("/clients/list")).form(&[
        ("client_id", DEFAULT_OWNER_CLIENT_ID),
        ("client_secret", "wrong"),
    ]))
    .await;
    let (_, entries) = control(&app, reqwest::Method::GET, "/__emulator/requests", None).await;
    assert!(!entries.to_string().contains(pasted_secret), "{entries:#}");
    let [wrong_secret, beside_basic, unknown] = entries.as_array().expect("array").as_slice()
    else {
        panic!("three entries: {entries:#}");
    };
    assert!(
        unknown.get("client_id").is_none_or(Value::is_null),
        "{unknown}"
    );
    assert_eq!(unknown["params"]["client_id"], "(hidden)");
    assert_eq!(beside_basic["client_id"], DEFAULT_OWNER_CLIENT_ID);
    assert_eq!(beside_basic["params"]["client_id"], "(hidden)");
    assert_eq!(
        wrong_secret["client_id"], DEFAULT_OWNER_CLIENT_ID,
        "found, wrong secret"
    );
    assert_eq!(wrong_secret["params"]["client_id"], DEFAULT_OWNER_CLIENT_ID);
}
