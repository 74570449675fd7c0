//! A client in both families, over the one store: made by one and seen by the other, names and
//! undecodable ids refused alike.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{NOT_UTF8, basic, owner_basic, per_client_operations, read, spawn_app};

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

#[tokio::test]
async fn an_undecodable_client_id_is_an_unknown_client() {
    let app = spawn_app().await;
    let base = app.clients_url();
    for escape in NOT_UTF8 {
        for (method, suffix, body) in per_client_operations() {
            let mut request = app
                .http
                .request(method.clone(), format!("{base}/{escape}{suffix}"))
                .header("authorization", owner_basic());
            if let Some(body) = body {
                request = request.json(&body);
            }
            let reply = read(request).await;
            assert_eq!(
                reply.status,
                StatusCode::NOT_FOUND,
                "{method} {escape}{suffix}"
            );
            assert_eq!(
                reply.body,
                json!({"errors": "Client ID not found."}),
                "{method} {escape}{suffix}"
            );
        }
        // In the application's place, it is an unknown application, in the words of each
        // operation's documentation.
        let reply = read(
            app.http
                .post(app.url(&format!("/config/{escape}/clients")))
                .header("authorization", owner_basic())
                .json(&json!({"name": "x"})),
        )
        .await;
        assert_eq!(reply.body, json!({"errors": "Application ID not found."}));
        let reply = read(
            app.http
                .get(app.url(&format!("/config/{escape}/clients")))
                .header("authorization", owner_basic()),
        )
        .await;
        assert_eq!(reply.body, json!({"errors": "Client ID not found."}));
    }
}

#[tokio::test]
async fn names_need_a_visible_character_and_at_most_1024_of_them() {
    let app = spawn_app().await;
    for invisible in [
        "\0",
        "\0\0\0",
        "\u{200B}",
        "\u{FEFF}\u{2060} ",
        "\t\u{3000}",
    ] {
        let legacy = app
            .legacy("/clients/add", &[("description", invisible)])
            .await;
        assert_eq!(legacy["code"], 100, "{invisible:?}");
        assert_eq!(legacy["argument_name"], "description");
        let config = app.config_api_create(json!({"name": invisible})).await;
        assert_eq!(config.status, StatusCode::BAD_REQUEST, "{invisible:?}");
        assert_eq!(
            config.body,
            json!({"errors": "Missing data for required field."})
        );
    }
    let longest = "n".repeat(1024);
    let too_long = "n".repeat(1025);
    let legacy = app
        .legacy("/clients/add", &[("description", &too_long)])
        .await;
    assert_eq!(
        legacy["error_description"],
        "description was not valid for the following reason: the value is longer than 1024 characters"
    );
    let config = app.config_api_create(json!({"name": too_long})).await;
    assert_eq!(config.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        config.body,
        json!({"errors": "Longer than maximum length 1024."})
    );
    assert_eq!(
        app.config_api_create(json!({"name": longest})).await.status,
        StatusCode::CREATED
    );
    // A visible character among invisible ones makes a name, kept exactly as sent.
    let kept = app
        .legacy("/clients/add", &[("description", "\u{200B}x\0")])
        .await;
    assert_eq!(kept["description"], "\u{200B}x\0");
}
