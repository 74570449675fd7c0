//! Applications made at run time, one per test: isolation under concurrency, legacy calls
//! routed by credentials, client ids unique across the emulator, and the control token.

use std::time::Duration;

use janrain_emulator::Config;
use janrain_emulator::config::{
    ControlToken, DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET,
};
use janrain_emulator::fixture::Fixture;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, basic, basic_of, read, spawn_app, spawn_app_with};

/// `POST /__emulator/apps` with `body`: status and answer.
async fn new_app(app: &TestApp, body: Option<Value>) -> (StatusCode, Value) {
    let mut request = app.http.post(app.url("/__emulator/apps"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let reply = read(request).await;
    (reply.status, reply.body)
}

/// The owner credentials of an answer of `POST /__emulator/apps`.
fn owner(made: &Value) -> String {
    basic(
        made["owner_client_id"].as_str().expect("id"),
        made["owner_client_secret"].as_str().expect("secret"),
    )
}

/// A legacy call to `path` with `auth` and `Host: 127.0.0.1`, as a client library pointed at the
/// emulator sends it.
async fn legacy(app: &TestApp, auth: &str, path: &str, form: &[(&str, &str)]) -> Value {
    app.legacy_send(
        app.http
            .post(app.url(path))
            .header("authorization", auth)
            .header("host", "127.0.0.1")
            .form(form),
    )
    .await
}

fn descriptions(listing: &Value) -> Vec<String> {
    listing["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|c| c["description"].as_str().expect("description").to_owned())
        .collect()
}

#[tokio::test]
async fn a_new_application_holds_its_owner_and_answers_with_its_urls() {
    let app = spawn_app().await;
    let (status, made) = new_app(&app, None).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["app_id"].as_str().expect("app id");
    assert_eq!(id.len(), 26);
    assert_eq!(
        made["capture_domains"],
        json!([format!("{id}.capture.localhost")])
    );
    assert_eq!(made["legacy_base_url"], app.emulator.uri());
    assert_eq!(
        made["config_base_url"],
        format!("{}/config/{id}", app.emulator.uri())
    );
    assert_eq!(made["clients"], 1);
    // The Configuration API of that application, at the URL it gave.
    let listed = read(
        app.http
            .get(format!(
                "{}/clients",
                made["config_base_url"].as_str().expect("url")
            ))
            .header("authorization", owner(&made)),
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body.as_array().expect("clients").len(), 1);
    assert_eq!(listed.body[0]["features"], json!(["owner"]));
    // Listed, one by one and all together.
    let one = read(app.http.get(app.url(&format!("/__emulator/apps/{id}")))).await;
    assert_eq!(
        one.body,
        json!({"app_id": id, "capture_domains": made["capture_domains"], "clients": 1, "default": false})
    );
    let all = read(app.http.get(app.url("/__emulator/apps"))).await.body;
    let ids: Vec<&str> = all["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .map(|a| a["app_id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, [app.app_id().as_str(), id]);
}

#[tokio::test]
async fn a_body_gives_the_application_its_id_clients_settings_and_owner() {
    let app = spawn_app().await;
    let body = json!({
        "app_id": "givenapp000000000000000001",
        "capture_domains": ["given.example.com"],
        "settings": {"login_attempts": "5"},
        "clients": [{"_id": "givenreader000000000000000000001", "_secret": "s", "name": "reader",
                     "features": ["direct_read_access"], "settings": {"site_name": "R"}}],
        "owner_client_id": "givenowner0000000000000000000001",
        "owner_client_secret": "given-secret",
    });
    let (status, made) = new_app(&app, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["app_id"], "givenapp000000000000000001");
    assert_eq!(made["owner_client_secret"], "given-secret");
    assert_eq!(made["clients"], 2);
    let auth = basic("givenowner0000000000000000000001", "given-secret");
    let items = legacy(
        &app,
        &auth,
        "/settings/items",
        &[("for_client_id", "givenreader000000000000000000001")],
    )
    .await;
    assert_eq!(
        items["result"],
        json!({"login_attempts": "5", "site_name": "R"})
    );
    // A taken id, a taken capture domain, a taken client id: 409, nothing made.
    for (body, text) in [
        (
            json!({"app_id": "givenapp000000000000000001"}),
            "application givenapp000000000000000001 exists already",
        ),
        (
            json!({"capture_domains": ["given.example.com"]}),
            "the capture domain given.example.com is served by another application",
        ),
        (
            json!({"clients": [{"_id": DEFAULT_OWNER_CLIENT_ID, "_secret": "x", "name": "copy", "features": ["owner"]}]}),
            "client emulatorowner0000000000000000001 exists already",
        ),
        (
            json!({"owner_client_id": "givenreader000000000000000000001"}),
            "client givenreader000000000000000000001 exists already",
        ),
    ] {
        let (status, answer) = new_app(&app, Some(body.clone())).await;
        assert_eq!(
            (status, answer),
            (StatusCode::CONFLICT, json!({"error": text})),
            "{body}"
        );
    }
    let (status, answer) = new_app(&app, Some(json!({"clients": "nope"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .expect("error")
            .contains("field \"clients\""),
        "{answer}"
    );
    assert_eq!(
        read(app.http.get(app.url("/__emulator/apps"))).await.body["apps"]
            .as_array()
            .expect("apps")
            .len(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_workers_each_with_an_application_see_only_their_own() {
    let app = std::sync::Arc::new(spawn_app().await);
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..32 {
        let app = app.clone();
        workers.spawn(async move {
            let (status, made) = new_app(&app, None).await;
            assert_eq!(status, StatusCode::CREATED);
            let auth = owner(&made);
            let app_id = made["app_id"].as_str().expect("id").to_owned();
            for n in 0..5 {
                let name = format!("w{worker}c{n}");
                let added = legacy(&app, &auth, "/clients/add", &[("description", &name)]).await;
                assert_eq!(added["stat"], "ok", "{added}");
            }
            legacy(
                &app,
                &auth,
                "/settings/set_default",
                &[("key", "worker"), ("value", &worker.to_string())],
            )
            .await;
            let listing = legacy(&app, &auth, "/clients/list", &[]).await;
            let names = descriptions(&listing);
            let mine: Vec<String> = (0..5).map(|n| format!("w{worker}c{n}")).collect();
            assert_eq!(
                names[1..],
                mine[..],
                "worker {worker} sees only its own clients"
            );
            assert_eq!(
                legacy(&app, &auth, "/settings/get_default", &[("key", "worker")]).await["result"],
                worker.to_string()
            );
            let reset = read(
                app.http
                    .post(app.url(&format!("/__emulator/apps/{app_id}/reset"))),
            )
            .await;
            assert_eq!(reset.status, StatusCode::OK);
            let after = legacy(&app, &auth, "/clients/list", &[]).await;
            assert_eq!(descriptions(&after), ["Application owner client"]);
            assert_eq!(
                legacy(&app, &auth, "/settings/get_default", &[("key", "worker")]).await["result"],
                Value::Null
            );
            app_id
        });
    }
    let ids = workers.join_all().await;
    assert_eq!(
        ids.iter().collect::<std::collections::HashSet<_>>().len(),
        32
    );
    // The default application was never touched.
    assert_eq!(app.names().await, ["Emulator owner client"]);
}

#[tokio::test]
async fn legacy_calls_find_their_application_by_host_then_by_credentials() {
    let app = spawn_app().await;
    let (_, made) = new_app(
        &app,
        Some(json!({"capture_domains": ["second.example.com"]})),
    )
    .await;
    let auth = owner(&made);
    legacy(
        &app,
        &auth,
        "/clients/add",
        &[("description", "in the second")],
    )
    .await;
    // By credentials: Host names no capture domain.
    let by_credentials = legacy(&app, &auth, "/clients/list", &[]).await;
    assert_eq!(
        descriptions(&by_credentials),
        ["Application owner client", "in the second"]
    );
    // By Host, which comes first: the default owner is unknown in the second application...
    let by_host = app
        .legacy_send(
            app.http
                .post(app.url("/clients/list"))
                .header("authorization", crate::helpers::owner_basic())
                .header("host", "second.example.com:8080"),
        )
        .await;
    assert_eq!(by_host["code"], 402, "{by_host}");
    // ...and the second owner, with that Host, is its own.
    let both = app
        .legacy_send(
            app.http
                .post(app.url("/clients/list"))
                .header("authorization", &auth)
                .header("host", "second.example.com"),
        )
        .await;
    assert_eq!(descriptions(&both).len(), 2);
    // An id that names no client goes to the default application, where it is unknown too.
    let unknown = legacy(&app, &basic("nosuchclient", "x"), "/clients/list", &[]).await;
    assert_eq!(unknown["code"], 402);
    // The default application still answers its own owner.
    let default = legacy(&app, &crate::helpers::owner_basic(), "/clients/list", &[]).await;
    assert_eq!(descriptions(&default), ["Emulator owner client"]);
}

#[tokio::test]
async fn client_ids_are_unique_across_the_emulator() {
    let app = spawn_app().await;
    let (_, made) = new_app(&app, None).await;
    let other =
        janrain_emulator::model::AppId::parse(made["app_id"].as_str().expect("id")).expect("id");
    let copy = app
        .emulator
        .store()
        .client(app.emulator.app_id(), DEFAULT_OWNER_CLIENT_ID)
        .expect("owner");
    assert!(
        app.emulator.store().insert_client(&other, copy).is_err(),
        "an id of another application"
    );
    let fixture = r#"{"apps": [
            {"app_id": "a", "clients": [{"_id": "same", "_secret": "x", "name": "one"}]},
            {"app_id": "b", "clients": [{"_id": "same", "_secret": "y", "name": "two"}]}
        ]}"#;
    assert_eq!(
        Fixture::parse(fixture).unwrap_err().to_string(),
        r#"apps[1] (app_id "b"), clients[0], field "_id": a client of another application has this id"#
    );
}

#[tokio::test]
async fn deleting_an_application_ends_its_credentials_at_once() {
    let app = spawn_app().await;
    let (_, made) = new_app(&app, None).await;
    let auth = owner(&made);
    let id = made["app_id"].as_str().expect("id");
    assert_eq!(
        legacy(&app, &auth, "/clients/list", &[]).await["stat"],
        "ok"
    );
    let snapshot = read(
        app.http
            .get(app.url(&format!("/__emulator/apps/{id}/snapshot"))),
    )
    .await;
    assert_eq!(snapshot.body["apps"].as_array().expect("apps").len(), 1);
    assert!(
        Fixture::parse(&snapshot.body.to_string()).is_ok(),
        "importable"
    );
    let deleted = read(app.http.delete(app.url(&format!("/__emulator/apps/{id}")))).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(legacy(&app, &auth, "/clients/list", &[]).await["code"], 402);
    let gone = read(app.http.get(app.url(&format!("/__emulator/apps/{id}")))).await;
    assert_eq!(
        (gone.status, gone.body),
        (
            StatusCode::NOT_FOUND,
            json!({"error": "no such application"})
        )
    );
    let default = read(
        app.http
            .delete(app.url(&format!("/__emulator/apps/{}", app.app_id()))),
    )
    .await;
    assert_eq!(default.status, StatusCode::CONFLICT);
    // The global reset goes back to the start: applications made since are gone.
    new_app(&app, None).await;
    read(app.http.post(app.url("/__emulator/reset"))).await;
    assert_eq!(
        read(app.http.get(app.url("/__emulator/apps"))).await.body["apps"]
            .as_array()
            .expect("apps")
            .len(),
        1
    );
}

#[tokio::test]
async fn the_number_of_applications_is_bounded() {
    let app = spawn_app_with(Config {
        max_apps: 3,
        ..Config::default()
    })
    .await;
    for _ in 0..2 {
        assert_eq!(new_app(&app, None).await.0, StatusCode::CREATED);
    }
    let (status, answer) = new_app(&app, None).await;
    assert_eq!(
        (status, answer),
        (
            StatusCode::CONFLICT,
            json!({"error": "the emulator holds at most 3 applications; delete some first"})
        )
    );
}

#[tokio::test]
async fn the_rust_handle_makes_an_application_per_test() {
    let app = spawn_app().await;
    let mine = app.emulator.new_app().expect("an application");
    let listed = read(
        app.http
            .get(format!("{}/clients", mine.config_base_url))
            .header(
                "authorization",
                basic(&mine.owner_client_id, &mine.owner_client_secret),
            ),
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body[0]["_id"], mine.owner_client_id.as_str());
    assert_eq!(mine.legacy_base_url, app.emulator.uri());
}

#[tokio::test]
async fn with_a_control_token_every_control_route_but_health_and_the_page_wants_it() {
    let app = spawn_app_with(Config {
        control_token: ControlToken::new("s3cret-token"),
        ..Config::default()
    })
    .await;
    let document = read(
        app.http
            .get(app.url("/__emulator/openapi.json"))
            .bearer_auth("s3cret-token"),
    )
    .await
    .body;
    let open = [
        "/__emulator/health",
        "/__emulator/ca.pem",
        "/__emulator/ui",
        "/__emulator/ui/console.js",
        "/__emulator/ui/console.css",
    ];
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        if !path.starts_with("/__emulator") {
            continue;
        }
        let concrete = path
            .replace("{app_id}", app.app_id().as_str())
            .replace("{id}", "1");
        for method in item.as_object().expect("item").keys() {
            let method: reqwest::Method = method.to_uppercase().parse().expect("method");
            let without = read_status(app.http.request(method.clone(), app.url(&concrete))).await;
            let wrong = read_status(
                app.http
                    .request(method.clone(), app.url(&concrete))
                    .bearer_auth("wrong"),
            )
            .await;
            if open.contains(&path.as_str()) {
                assert_eq!(without, StatusCode::OK, "{method} {path} is open");
            } else {
                assert_eq!(
                    (without, wrong),
                    (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED),
                    "{method} {path}"
                );
                let with = read_status(
                    app.http
                        .request(method.clone(), app.url(&concrete))
                        .bearer_auth("s3cret-token"),
                )
                .await;
                assert_ne!(
                    with,
                    StatusCode::UNAUTHORIZED,
                    "{method} {path} with the token"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 15, "only {checked} routes checked");
    let refused = read(app.http.get(app.url("/__emulator/snapshot"))).await;
    assert_eq!(
        refused.body,
        json!({"error": "the control plane needs its token: Authorization: Bearer <--control-token>"})
    );
    // The emulated APIs do not ask for it.
    assert_eq!(
        legacy(
            &app,
            &basic(DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET),
            "/clients/list",
            &[]
        )
        .await["stat"],
        "ok"
    );
}

async fn read_status(request: reqwest::RequestBuilder) -> StatusCode {
    request
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("sent")
        .status()
}

#[tokio::test]
async fn an_application_of_the_start_resets_alone_to_its_start() {
    let app = spawn_app().await;
    let (_, made) = new_app(&app, None).await;
    let other = owner(&made);
    legacy(&app, &other, "/clients/add", &[("description", "kept")]).await;
    app.config_api_create(json!({"name": "dropped"})).await;
    let reset = read(
        app.http
            .post(app.url(&format!("/__emulator/apps/{}/reset", app.app_id()))),
    )
    .await;
    assert_eq!(reset.status, StatusCode::OK);
    assert_eq!(app.names().await, ["Emulator owner client"]);
    let listing = legacy(&app, &other, "/clients/list", &[]).await;
    assert_eq!(
        descriptions(&listing),
        ["Application owner client", "kept"],
        "the other one is untouched"
    );
}

/// An application of the start whose owner's id went to a new application cannot be reset to
/// its start: 409, and it keeps what it holds now.
#[tokio::test]
async fn a_reset_that_would_take_back_a_given_away_client_id_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let second = app
        .config_api_create(json!({"name": "second owner", "features": ["owner"]}))
        .await
        .body;
    let second_owner = basic_of(&second);
    let deleted = legacy(
        &app,
        &second_owner,
        "/clients/delete",
        &[("client_id_for_deletion", DEFAULT_OWNER_CLIENT_ID)],
    )
    .await;
    assert_eq!(deleted["stat"], "ok", "{deleted}");
    let (status, made) = new_app(
        &app,
        Some(json!({"owner_client_id": DEFAULT_OWNER_CLIENT_ID,
                    "owner_client_secret": DEFAULT_OWNER_CLIENT_SECRET})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let reset = read(
        app.http
            .post(app.url(&format!("/__emulator/apps/{}/reset", app.app_id()))),
    )
    .await;
    assert_eq!(reset.status, StatusCode::CONFLICT, "{}", reset.body);
    assert_eq!(
        reset.body,
        json!({"error": format!("client {DEFAULT_OWNER_CLIENT_ID} exists already")})
    );
    let listing = legacy(&app, &second_owner, "/clients/list", &[]).await;
    assert_eq!(descriptions(&listing), ["second owner"]);
}
