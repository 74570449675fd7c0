//! The control plane: snapshot and reset, seeded ids, the journal, faults.

use std::time::{Duration, Instant};

use janrain_emulator::Config;
use janrain_emulator::config::{DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET};
use janrain_emulator::fixture::Fixture;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, owner_basic, read, signed_headers, spawn_app, spawn_app_with};

async fn snapshot(app: &TestApp) -> Value {
    let reply = read(app.http.get(app.url("/__emulator/snapshot"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.body
}

async fn control(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.http.request(method, app.url(path));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let reply = read(request).await;
    (reply.status, reply.body)
}

#[tokio::test]
async fn the_snapshot_round_trips_through_import() {
    let app = spawn_app().await;
    let made = app
        .config_api_create(json!({"name": "rotated", "features": ["direct_access"], "ipWhitelist": ["10.0.0.0/8"]}))
        .await
        .body;
    let id = made["_id"].as_str().expect("id");
    app.legacy(
        "/clients/reset_secret",
        &[("for_client_id", id), ("hours_to_live", "24")],
    )
    .await;
    read(
        app.http
            .put(format!("{}/{id}/settings", app.clients_url()))
            .header("authorization", owner_basic())
            .json(&json!({"site_name": "Demo"})),
    )
    .await;
    app.legacy(
        "/settings/set_default",
        &[("key", "login_attempts"), ("value", "5")],
    )
    .await;
    let first = snapshot(&app).await;
    assert_eq!(first["apps"][0]["settings"], json!({"login_attempts": "5"}));
    let client = &first["apps"][0]["clients"][1];
    assert_eq!(client["_previousSecret"]["secret"], made["_secret"]);
    assert_eq!(client["settings"], json!({"site_name": "Demo"}));
    assert_eq!(client["ipWhitelist"], json!(["10.0.0.0/8"]));

    let fixture = Fixture::parse(&first.to_string()).expect("the snapshot is a valid fixture");
    let copy = spawn_app_with(Config {
        owner: None,
        fixture: Some(fixture),
        ..Config::default()
    })
    .await;
    assert_eq!(snapshot(&copy).await, first);
    // The previous secret still works in the copy.
    let old = made["_secret"].as_str().expect("secret");
    let body = copy
        .legacy_as(
            "/clients/list",
            DEFAULT_OWNER_CLIENT_ID,
            DEFAULT_OWNER_CLIENT_SECRET,
            &[],
        )
        .await;
    assert_eq!(body["stat"], "ok");
    let reply = read(
        copy.http
            .post(copy.url("/clients/list"))
            .form(&[("client_id", id), ("client_secret", old)]),
    )
    .await;
    assert_eq!(
        reply.body["code"], 403,
        "authenticated (the old secret is valid), but not an owner"
    );
}

#[tokio::test]
async fn reset_goes_back_to_the_start() {
    let app = spawn_app().await;
    let start = snapshot(&app).await;
    app.config_api_create(json!({"name": "temporary"})).await;
    app.legacy(
        "/clients/set_description",
        &[("description", "renamed owner")],
    )
    .await;
    for path in ["/settings/set", "/settings/set_default"] {
        let body = app
            .legacy(path, &[("key", "site_name"), ("value", "x")])
            .await;
        assert_eq!(body["stat"], "ok");
    }
    let (status, body) = control(&app, reqwest::Method::POST, "/__emulator/reset", None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok"})));
    assert_eq!(snapshot(&app).await, start);
    // The name index is back too.
    assert_eq!(
        app.config_api_create(json!({"name": "temporary"}))
            .await
            .status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_seed_makes_runs_reproducible() {
    let run = || async {
        let app = spawn_app_with(Config {
            seed: Some(42),
            ..Config::default()
        })
        .await;
        let made = app.config_api_create(json!({"name": "seeded"})).await;
        let added = app
            .legacy("/clients/add", &[("description", "also seeded")])
            .await;
        let failed = app.legacy("/clients/add", &[]).await;
        (
            made.body,
            made.request_id,
            added,
            failed["request_id"].clone(),
        )
    };
    let (first, second) = (run().await, run().await);
    assert_eq!(first, second);
    let other = spawn_app_with(Config {
        seed: Some(43),
        ..Config::default()
    })
    .await;
    assert_ne!(
        other
            .config_api_create(json!({"name": "seeded"}))
            .await
            .body["_id"],
        first.0["_id"]
    );
}

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

#[tokio::test]
async fn faults_fail_the_next_matching_calls_in_the_family_shape() {
    let app = spawn_app().await;
    let add = |body: Value| {
        control(
            &app,
            reqwest::Method::POST,
            "/__emulator/faults",
            Some(body),
        )
    };
    let (status, rule) =
        add(json!({"path": "/config/*", "method": "POST", "status": 503, "times": 2})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(rule["times"], 2);
    let (status, _) = add(json!({"path": "/clients/add", "legacy_code": 510})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, listed) = control(&app, reqwest::Method::GET, "/__emulator/faults", None).await;
    assert_eq!(listed.as_array().expect("array").len(), 2);

    for _ in 0..2 {
        let reply = app.config_api_create(json!({"name": "retried"})).await;
        assert_eq!(
            (reply.status, reply.body),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"errors": "Service Unavailable."})
            )
        );
    }
    assert_eq!(
        app.config_api_list("").await.status,
        StatusCode::OK,
        "GET does not match"
    );
    assert_eq!(
        app.config_api_create(json!({"name": "retried"}))
            .await
            .status,
        StatusCode::CREATED
    );

    let body = app.legacy("/clients/add", &[("description", "x")]).await;
    assert_eq!(
        (&body["code"], &body["error"]),
        (&json!(510), &json!("api_limit_error"))
    );
    assert_eq!(
        app.legacy("/clients/add", &[("description", "x")]).await["stat"],
        "ok"
    );
    let (_, listed) = control(&app, reqwest::Method::GET, "/__emulator/faults", None).await;
    assert_eq!(listed, json!([]), "used-up rules disappear");

    let (_, journal) = control(
        &app,
        reqwest::Method::GET,
        "/__emulator/requests?limit=2",
        None,
    )
    .await;
    assert_eq!(
        (&journal[1]["fault"], &journal[0]["fault"]),
        (&json!(true), &json!(false))
    );
    // A faulted legacy call is HTTP 200, and the journal still says how it failed.
    assert_eq!(
        (
            &journal[1]["legacy_code"],
            &journal[1]["error"],
            &journal[1]["detail"]
        ),
        (
            &json!(510),
            &json!("api_limit_error"),
            &json!("answered by a fault rule")
        )
    );
    let (_, failed) = control(
        &app,
        reqwest::Method::GET,
        "/__emulator/requests?outcome=error",
        None,
    )
    .await;
    let errors: Vec<_> = failed
        .as_array()
        .expect("array")
        .iter()
        .map(|entry| (entry["status"].clone(), entry["error"].clone()))
        .collect();
    assert_eq!(
        errors,
        [
            (json!(200), json!("api_limit_error")),
            (json!(503), json!("injected_fault")),
            (json!(503), json!("injected_fault")),
        ]
    );
    assert_eq!(app.names().await, ["Emulator owner client", "retried", "x"]);
}

#[tokio::test]
async fn a_legacy_fault_with_an_http_status() {
    let app = spawn_app().await;
    let (status, rule) = control(
        &app,
        reqwest::Method::POST,
        "/__emulator/faults",
        Some(json!({"path": "/clients/list", "status": 502})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let reply = read(
        app.http
            .post(app.url("/clients/list"))
            .header("authorization", owner_basic()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    assert_eq!(
        (&reply.body["stat"], &reply.body["code"]),
        (&json!("error"), &json!(500))
    );
}

#[tokio::test]
async fn delays_stall_then_answer() {
    let app = spawn_app().await;
    let (status, rule) = control(
        &app,
        reqwest::Method::POST,
        "/__emulator/faults",
        Some(json!({"path": "/clients/list", "delay_ms": 300})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let started = Instant::now();
    let body = app.legacy("/clients/list", &[]).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(body["stat"], "ok", "a delay-only fault answers normally");
}

#[tokio::test]
async fn fault_rules_are_managed() {
    let app = spawn_app().await;
    let (status, body) = control(
        &app,
        reqwest::Method::POST,
        "/__emulator/faults",
        Some(json!({"path": "/clients/add"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "a fault needs a status, a legacy_code or a delay_ms"})
        )
    );
    let (status, _) = control(
        &app,
        reqwest::Method::POST,
        "/__emulator/faults",
        Some(json!([1])),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, rule) = control(
        &app,
        reqwest::Method::POST,
        "/__emulator/faults",
        Some(json!({"path": "/clients/add", "status": 500, "times": 5})),
    )
    .await;
    let id = rule["id"].as_u64().expect("id");
    let (status, _) = control(
        &app,
        reqwest::Method::DELETE,
        &format!("/__emulator/faults/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = control(
        &app,
        reqwest::Method::DELETE,
        &format!("/__emulator/faults/{id}"),
        None,
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::NOT_FOUND,
            json!({"error": format!("no fault rule {id}")})
        )
    );
    let (status, rule) = control(
        &app,
        reqwest::Method::POST,
        "/__emulator/faults",
        Some(json!({"path": "/clients/add", "status": 500})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let (status, _) = control(&app, reqwest::Method::DELETE, "/__emulator/faults", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.legacy("/clients/add", &[("description", "x")]).await["stat"],
        "ok"
    );
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
