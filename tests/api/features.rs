//! Features in both families: names only some clients' docs mention refused, order kept and
//! repeats dropped, and a stored `metadata` feature kept and filtered on.

use janrain_emulator::Config;
use janrain_emulator::fixture::Fixture;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{basic, read, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_stored_metadata_feature_is_kept_and_can_be_filtered_on() {
    let fixture = json!({"apps": [{
        "app_id": "metadataapp",
        "clients": [
            {"_id": "owner", "_secret": "ownersecret", "name": "owner", "features": ["owner"]},
            {"_id": "quiet", "_secret": "quietsecret", "name": "quiet", "features": ["metadata", "direct_access"]},
        ],
    }]});
    let app = spawn_app_with(Config {
        app_id: "metadataapp".into(),
        owner: None,
        fixture: Some(Fixture::parse(&fixture.to_string()).expect("fixture")),
        ..Config::default()
    })
    .await;
    let listed = read(
        app.http
            .get(app.url("/config/metadataapp/clients?has_feature=metadata"))
            .header("authorization", basic("owner", "ownersecret")),
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body[0]["_id"], "quiet");
    assert_eq!(
        listed.body[0]["features"],
        json!(["metadata", "direct_access"])
    );
    let legacy = app
        .legacy_as(
            "/clients/list",
            "owner",
            "ownersecret",
            &[("has_features", r#"["metadata"]"#)],
        )
        .await;
    assert_eq!(legacy["results"].as_array().map(Vec::len), Some(1));
    // Assigning it stays refused, also by sending a stored client back as it was read.
    let put = read(
        app.http
            .put(app.url("/config/metadataapp/clients/quiet"))
            .header("authorization", basic("owner", "ownersecret"))
            .json(&listed.body[0]),
    )
    .await;
    assert_eq!(put.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        put.body,
        json!({"errors": "The metadata feature can only be applied to a client by Akamai."})
    );
}

/// The features of the client called `name`, as the legacy listing shows them.
async fn legacy_features(app: &crate::helpers::TestApp, name: &str) -> Value {
    let listing = app.legacy("/clients/list", &[]).await;
    listing["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|c| c["description"] == name)
        .map(|c| c["features"].clone())
        .unwrap_or_else(|| panic!("{name} listed: {listing}"))
}

/// Feature names that some clients' own documentation mentions (`image_create` in
/// php-janrain-api and janrain-cli-tools, `default_read_only`) but today's documentation does
/// not: refused like any unknown name, in both families, and nothing is made.
#[tokio::test]
async fn feature_names_only_some_clients_mention_are_refused_in_both_families() {
    let app = spawn_app().await;
    for feature in ["image_create", "default_read_only"] {
        let list = format!(r#"["{feature}"]"#);
        let added = app
            .legacy(
                "/clients/add",
                &[("description", feature), ("features", list.as_str())],
            )
            .await;
        assert_eq!(added["stat"], "error", "{added}");
        assert_eq!(added["error"], "invalid_argument");
        assert_eq!(
            added["error_description"],
            format!(
                "features was not valid for the following reason: {feature} is not a valid feature name"
            )
        );
        let created = app
            .config_api_create(json!({"name": feature, "features": [feature]}))
            .await;
        assert_eq!(created.status, StatusCode::BAD_REQUEST);
        assert_eq!(created.body, json!({"errors": "Not a valid feature name."}));
    }
    let listing = app.legacy("/clients/list", &[]).await;
    assert_eq!(
        listing["results"].as_array().map(Vec::len),
        Some(1),
        "{listing}"
    );
}

#[tokio::test]
async fn features_keep_their_order_lose_repeats_and_are_case_sensitive() {
    let app = spawn_app().await;
    let added = app
        .legacy(
            "/clients/add",
            &[
                ("description", "legacy order"),
                ("features", r#"["direct_access", "owner", "direct_access"]"#),
            ],
        )
        .await;
    assert_eq!(added["stat"], "ok", "{added}");
    assert_eq!(
        legacy_features(&app, "legacy order").await,
        json!(["direct_access", "owner"])
    );
    let created = app
        .config_api_create(json!({
            "name": "config order",
            "features": ["owner", "direct_read_access", "owner"]
        }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(
        created.body["features"],
        json!(["owner", "direct_read_access"])
    );
    // The other family reads the same order.
    assert_eq!(
        legacy_features(&app, "config order").await,
        json!(["owner", "direct_read_access"])
    );
    // `Owner` is not `owner`.
    let refused = app
        .legacy(
            "/clients/add",
            &[("description", "capital"), ("features", r#"["Owner"]"#)],
        )
        .await;
    assert_eq!(
        refused["error_description"],
        "features was not valid for the following reason: Owner is not a valid feature name"
    );
    let refused = app
        .config_api_create(json!({"name": "capital", "features": ["Owner"]}))
        .await;
    assert_eq!(
        (refused.status, refused.body),
        (
            StatusCode::BAD_REQUEST,
            json!({"errors": "Not a valid feature name."})
        )
    );
}
