//! Whole listings are rendered once per version of an application (docs/benchmarks.md): every
//! change, through either family or the control plane, must show in the next listing.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn both(app: &TestApp) -> (Vec<String>, Vec<String>) {
    let config = app.names().await;
    let legacy = app.legacy("/clients/list", &[]).await;
    let legacy = legacy["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|c| c["description"].as_str().expect("description").to_owned())
        .collect();
    (config, legacy)
}

async fn secrets(app: &TestApp) -> Vec<Value> {
    let listing = app.legacy("/clients/list", &[]).await;
    listing["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|c| c["client_secret"].clone())
        .collect()
}

#[tokio::test]
async fn every_change_shows_in_the_next_whole_listing() {
    let app = spawn_app().await;
    let owner = "Emulator owner client".to_owned();
    let names = |list: &[&str]| -> (Vec<String>, Vec<String>) {
        let v: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
        (v.clone(), v)
    };
    assert_eq!(both(&app).await, (vec![owner.clone()], vec![owner.clone()]));
    let made = app.config_api_create(json!({"name": "a"})).await.body;
    let id = made["_id"].as_str().expect("id").to_owned();
    assert_eq!(both(&app).await, names(&["Emulator owner client", "a"]));
    app.legacy(
        "/clients/set_description",
        &[("for_client_id", &id), ("description", "b")],
    )
    .await;
    assert_eq!(both(&app).await, names(&["Emulator owner client", "b"]));
    let before = secrets(&app).await;
    app.legacy(
        "/clients/reset_secret",
        &[("for_client_id", &id), ("hours_to_live", "0")],
    )
    .await;
    assert_ne!(secrets(&app).await, before, "a new secret shows at once");
    app.legacy("/clients/add", &[("description", "c")]).await;
    app.legacy("/clients/delete", &[("client_id_for_deletion", &id)])
        .await;
    assert_eq!(both(&app).await, names(&["Emulator owner client", "c"]));
    app.http
        .post(app.url("/__emulator/reset"))
        .send()
        .await
        .expect("reset");
    assert_eq!(both(&app).await, (vec![owner.clone()], vec![owner.clone()]));
    app.legacy("/clients/add", &[("description", "d")]).await;
    app.http
        .post(app.url(&format!("/__emulator/apps/{}/reset", app.app_id())))
        .send()
        .await
        .expect("reset one");
    assert_eq!(both(&app).await, (vec![owner.clone()], vec![owner]));
}

/// A filtered listing is kept like the whole one, under its filter, and never served stale: a
/// change to a client's features, a new client and a deletion each show at once, whatever the
/// order or repetition of the filters.
#[tokio::test]
async fn a_filtered_listing_is_never_stale() {
    let app = crate::helpers::spawn_app().await;
    let filtered = |query: &'static str| {
        let app = &app;
        async move {
            crate::helpers::read(
                app.http
                    .get(format!("{}?{query}", app.clients_url()))
                    .header("authorization", crate::helpers::owner_basic()),
            )
            .await
            .body
            .as_array()
            .expect("a listing")
            .iter()
            .map(|c| c["name"].as_str().expect("name").to_owned())
            .collect::<Vec<_>>()
        }
    };
    let both = "has_feature=direct_read_access&has_feature=access_issuer";
    let swapped =
        "has_feature=access_issuer&has_feature=direct_read_access&has_feature=access_issuer";
    let made = app
        .config_api_create(
            serde_json::json!({"name": "reader", "features": ["direct_read_access"]}),
        )
        .await;
    let id = made.body["_id"].as_str().expect("id").to_owned();
    assert!(filtered(both).await.is_empty());
    assert!(filtered(swapped).await.is_empty());
    let changed = crate::helpers::read(
        app.http
            .put(format!("{}/{id}", app.clients_url()))
            .header("authorization", crate::helpers::owner_basic())
            .json(&serde_json::json!({"name": "reader", "features": ["direct_read_access", "access_issuer"]})),
    )
    .await;
    assert_eq!(changed.status, reqwest::StatusCode::OK);
    assert_eq!(filtered(both).await, ["reader"]);
    assert_eq!(filtered(swapped).await, ["reader"]);
    app.config_api_create(
        serde_json::json!({"name": "second", "features": ["access_issuer", "direct_read_access"]}),
    )
    .await;
    assert_eq!(filtered(both).await, ["reader", "second"]);
    let deleted = crate::helpers::read(
        app.http
            .delete(format!("{}/{id}", app.clients_url()))
            .header("authorization", crate::helpers::owner_basic()),
    )
    .await;
    assert_eq!(deleted.status, reqwest::StatusCode::NO_CONTENT);
    assert_eq!(filtered(swapped).await, ["second"]);
}
