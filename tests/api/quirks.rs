//! Choices of docs/quirks.md that hold in both families and that no operation's own tests
//! prove: how features are kept, the request id on every answer, and the order of a client
//! object's fields on the wire.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{owner_basic, read, read_raw, spawn_app};

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

#[tokio::test]
async fn every_answer_carries_a_request_id_and_the_legacy_envelope_repeats_it() {
    let app = spawn_app().await;
    let config_api = app.clients_url();
    let answers = [
        (
            "legacy ok",
            app.http
                .post(app.url("/clients/list"))
                .header("authorization", owner_basic()),
        ),
        ("legacy error", app.http.post(app.url("/clients/list"))),
        ("legacy unknown path", app.http.get(app.url("/nowhere"))),
        (
            "Configuration API ok",
            app.http
                .get(&config_api)
                .header("authorization", owner_basic()),
        ),
        ("Configuration API error", app.http.get(&config_api)),
        ("control plane", app.http.get(app.url("/__emulator/health"))),
        (
            "control plane error",
            app.http.get(app.url("/__emulator/nowhere")),
        ),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (what, request) in answers {
        let reply = read(request).await;
        let id = reply
            .request_id
            .unwrap_or_else(|| panic!("{what}: no X-Request-Id"));
        assert_eq!(id.len(), 16, "{what}: {id}");
        assert!(seen.insert(id.clone()), "{what}: {id} given twice");
        if reply.body.get("stat") == Some(&json!("error")) {
            assert_eq!(reply.body["request_id"], id.as_str(), "{what}");
        }
    }
}

/// Where each of `keys` first appears in `text`, which must hold them all.
fn positions(text: &str, keys: &[&str]) -> Vec<usize> {
    keys.iter()
        .map(|key| {
            text.find(&format!("\"{key}\":"))
                .unwrap_or_else(|| panic!("{key} in {text}"))
        })
        .collect()
}

#[tokio::test]
async fn client_objects_list_their_fields_in_alphabetical_order() {
    let app = spawn_app().await;
    let created = read_raw(
        app.http
            .post(app.clients_url())
            .header("authorization", owner_basic())
            .json(&json!({"ipWhitelist": ["0.0.0.0/0"], "name": "ordered", "features": ["owner"]})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let id = serde_json::from_slice::<Value>(&created.body).expect("JSON")["_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let keys = [
        "_id",
        "_secret",
        "_self",
        "_settings",
        "features",
        "ipWhitelist",
        "name",
    ];
    let one = read_raw(
        app.http
            .get(format!("{}/{id}", app.clients_url()))
            .header("authorization", owner_basic()),
    )
    .await;
    let listing = read_raw(
        app.http
            .get(app.clients_url())
            .header("authorization", owner_basic()),
    )
    .await;
    for (what, text) in [
        ("create", created.text()),
        ("get", one.text()),
        ("list", listing.text()),
    ] {
        let at = positions(text, &keys);
        assert!(at.is_sorted(), "{what}: {text}");
    }
}
