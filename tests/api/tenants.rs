//! Several applications in one emulator: fixtures, host routing, isolation.

use janrain_emulator::Config;
use janrain_emulator::config::OwnerCredentials;
use janrain_emulator::fixture::Fixture;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, basic, read, spawn_app_with};

const APP_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaa";
const APP_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbb";

fn two_apps() -> Fixture {
    let owner = |id: &str, secret: &str, name: &str| json!({"_id": id, "_secret": secret, "name": name, "features": ["owner"], "ipWhitelist": ["0.0.0.0/0"]});
    let document = json!({"apps": [
        {"app_id": APP_A, "capture_domains": ["a.example.com"],
         "clients": [owner("ownera", "secreta", "owner of a"),
                     {"_id": "readera", "_secret": "s", "name": "reader of a", "features": ["direct_read_access"]}]},
        {"app_id": APP_B, "capture_domains": ["b.example.com", "b.janraincapture.com"],
         "clients": [owner("ownerb", "secretb", "owner of b")]}
    ]});
    Fixture::parse(&document.to_string()).expect("valid fixture")
}

async fn start(fixture: Fixture, owner: Option<OwnerCredentials>, app_id: &str) -> TestApp {
    spawn_app_with(Config {
        app_id: app_id.to_owned(),
        owner,
        fixture: Some(fixture),
        ..Config::default()
    })
    .await
}

/// A legacy `/clients/list` sent with a `Host` header; the descriptions, or the error code.
async fn legacy_list(
    app: &TestApp,
    host: &str,
    id: &str,
    secret: &str,
) -> Result<Vec<String>, i64> {
    let body = app
        .legacy_send(
            app.http
                .post(app.url("/clients/list"))
                .header("host", host)
                .header("authorization", basic(id, secret)),
        )
        .await;
    match body["results"].as_array() {
        Some(results) => Ok(results
            .iter()
            .map(|c| c["description"].as_str().expect("description").to_owned())
            .collect()),
        None => Err(body["code"].as_i64().expect("code")),
    }
}

#[tokio::test]
async fn legacy_calls_go_to_the_application_of_their_host() {
    let app = start(two_apps(), None, APP_A).await;
    assert_eq!(
        legacy_list(&app, "b.example.com", "ownerb", "secretb").await,
        Ok(vec!["owner of b".to_owned()])
    );
    // Port and case do not matter.
    assert_eq!(
        legacy_list(&app, "B.JanrainCapture.com:8080", "ownerb", "secretb").await,
        Ok(vec!["owner of b".to_owned()])
    );
    // Any other host is the default application.
    assert_eq!(
        legacy_list(&app, "127.0.0.1:9", "ownera", "secreta").await,
        Ok(vec!["owner of a".to_owned(), "reader of a".to_owned()])
    );
    // An owner of one application is unknown in another.
    assert_eq!(
        legacy_list(&app, "b.example.com", "ownera", "secreta").await,
        Err(402)
    );
    assert_eq!(
        legacy_list(&app, "a.example.com", "ownerb", "secretb").await,
        Err(402)
    );
}

#[tokio::test]
async fn configuration_calls_are_isolated_by_application() {
    let app = start(two_apps(), None, APP_A).await;
    let list = |app_id: &str, id: &str, secret: &str| {
        read(
            app.http
                .get(app.url(&format!("/config/{app_id}/clients")))
                .header("authorization", basic(id, secret)),
        )
    };
    let own = list(APP_B, "ownerb", "secretb").await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.body.as_array().expect("array").len(), 1);
    let other = list(APP_B, "ownera", "secreta").await;
    assert_eq!(
        (other.status, other.body),
        (
            StatusCode::UNAUTHORIZED,
            json!({"errors": "Authentication required."})
        )
    );
    // Creating in B does not show in A.
    let created = read(
        app.http
            .post(app.url(&format!("/config/{APP_B}/clients")))
            .header("authorization", basic("ownerb", "secretb"))
            .json(&json!({"name": "owner of a"})),
    )
    .await;
    assert_eq!(
        created.status,
        StatusCode::CREATED,
        "names are unique per application only"
    );
    let a = list(APP_A, "ownera", "secreta").await;
    assert_eq!(a.body.as_array().expect("array").len(), 2);
}

#[tokio::test]
async fn a_fixture_without_owner_flags_is_taken_as_it_is() {
    let app = start(two_apps(), None, APP_A).await;
    let snapshot: Value = read(app.http.get(app.url("/__emulator/snapshot")))
        .await
        .body;
    let ids: Vec<_> = snapshot["apps"][0]["clients"]
        .as_array()
        .expect("clients")
        .iter()
        .map(|c| c["_id"].clone())
        .collect();
    assert_eq!(ids, [json!("ownera"), json!("readera")]);
}

#[tokio::test]
async fn owner_flags_ensure_an_owner_in_the_fixture() {
    let owner = OwnerCredentials {
        client_id: "extraowner".into(),
        client_secret: "extrasecret".into(),
    };
    let app = start(two_apps(), Some(owner), APP_B).await;
    assert_eq!(
        legacy_list(&app, "b.example.com", "extraowner", "extrasecret").await,
        Ok(vec![
            "owner of b".to_owned(),
            "Emulator owner client".to_owned()
        ])
    );
    // A new default application is created when the fixture lacks it.
    let fresh = start(
        two_apps(),
        Some(OwnerCredentials::default()),
        "cccccccccccccccccccccccccc",
    )
    .await;
    let snapshot = read(fresh.http.get(fresh.url("/__emulator/snapshot")))
        .await
        .body;
    assert_eq!(snapshot["apps"][2]["app_id"], "cccccccccccccccccccccccccc");
    assert_eq!(
        snapshot["apps"][2]["clients"][0]["name"],
        "Emulator owner client"
    );
}

#[tokio::test]
async fn an_owner_flag_that_contradicts_the_fixture_is_refused() {
    let owner = OwnerCredentials {
        client_id: "ownera".into(),
        client_secret: "not secreta".into(),
    };
    let config = Config {
        app_id: APP_A.into(),
        owner: Some(owner),
        fixture: Some(two_apps()),
        ..Config::default()
    };
    let error = janrain_emulator::Emulator::start(config)
        .await
        .expect_err("conflict")
        .to_string();
    assert_eq!(
        error,
        format!(
            "application {APP_A}: the imported client ownera is not the owner given on the command line (another secret); change one or the other"
        )
    );
}
