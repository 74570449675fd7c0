//! One store behind both families.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{basic, read, spawn_app};

#[tokio::test]
async fn a_legacy_client_is_a_configuration_client() {
    let app = spawn_app().await;
    let added = app
        .legacy(
            "/clients/add",
            &[
                ("description", "made in legacy"),
                ("features", r#"["owner"]"#),
            ],
        )
        .await;
    let (id, secret) = (
        added["client_id"].as_str().expect("id"),
        added["client_secret"].as_str().expect("secret"),
    );
    // Listed by the other family under the same id, with description as name...
    let listed = app.config_api_list("?has_feature=owner").await;
    let found = listed
        .body
        .as_array()
        .expect("array")
        .iter()
        .find(|c| c["_id"] == id)
        .expect("listed")
        .clone();
    assert_eq!(found["name"], "made in legacy");
    assert_eq!(found["_secret"], secret);
    assert_eq!(found["ipWhitelist"], json!(["0.0.0.0/0"]));
    // ...and its credentials work there.
    let created = read(
        app.http
            .post(app.clients_url())
            .header("authorization", basic(id, secret))
            .json(&json!({"name": "made by a legacy-born owner"})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_configuration_client_is_a_legacy_client() {
    let app = spawn_app().await;
    let created = app
        .config_api_create(json!({
            "name": "made in config",
            "features": ["owner", "direct_access"],
            "ipWhitelist": ["0.0.0.0/0"]
        }))
        .await
        .body;
    let (id, secret) = (
        created["_id"].as_str().expect("id"),
        created["_secret"].as_str().expect("secret"),
    );
    let listed = app
        .legacy("/clients/list", &[("has_features", r#"["direct_access"]"#)])
        .await;
    assert_eq!(
        listed["results"],
        json!([{
            "client_id": id,
            "client_secret": secret,
            "description": "made in config",
            "whitelist": ["0.0.0.0/0"],
            "features": ["owner", "direct_access"]
        }])
    );
    // Its credentials work as parameters on the legacy family.
    let added = app
        .legacy_send(app.http.post(app.url("/clients/add")).form(&[
            ("client_id", id),
            ("client_secret", secret),
            ("description", "made by a config-born owner"),
        ]))
        .await;
    assert_eq!(added["stat"], "ok");
    assert_eq!(
        app.names().await,
        [
            "Emulator owner client",
            "made in config",
            "made by a config-born owner"
        ]
    );
}

#[tokio::test]
async fn a_configuration_name_can_collide_with_a_legacy_description() {
    let app = spawn_app().await;
    app.legacy("/clients/add", &[("description", "shared")])
        .await;
    let reply = app.config_api_create(json!({"name": "shared"})).await;
    assert_eq!(
        (reply.status, reply.body),
        (
            StatusCode::CONFLICT,
            json!({"errors": "API client shared already exists."})
        )
    );
}
