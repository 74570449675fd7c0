//! Many parallel requests: nothing lost, nothing half-done.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{basic, owner_basic, read, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mixed_creates_through_both_families_all_appear_in_both_listings() {
    let app = spawn_app().await;
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..64 {
        let http = app.http.clone();
        let (legacy, config) = (app.url("/clients/add"), app.clients_url());
        tasks.spawn(async move {
            let name = format!("parallel {n}");
            if n % 2 == 0 {
                let body = read(
                    http.post(legacy)
                        .header("authorization", owner_basic())
                        .form(&[("description", name.as_str())]),
                )
                .await
                .body;
                body["client_id"].as_str().expect("legacy id").to_owned()
            } else {
                let reply = read(
                    http.post(config)
                        .header("authorization", owner_basic())
                        .json(&json!({"name": name})),
                )
                .await;
                assert_eq!(reply.status, StatusCode::CREATED);
                reply.body["_id"].as_str().expect("config id").to_owned()
            }
        });
    }
    let made: BTreeSet<String> = tasks.join_all().await.into_iter().collect();
    assert_eq!(made.len(), 64);
    let config: BTreeSet<String> = app
        .config_api_list("")
        .await
        .body
        .as_array()
        .expect("array")
        .iter()
        .map(|c| c["_id"].as_str().expect("id").to_owned())
        .collect();
    let legacy: BTreeSet<String> = app.legacy("/clients/list", &[]).await["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|c| c["client_id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(config, legacy);
    assert!(made.is_subset(&config));
    assert_eq!(config.len(), 65, "the owner and the 64 new clients");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resets_and_a_delete_racing_with_the_clients_own_calls() {
    let app = spawn_app().await;
    let made = app
        .config_api_create(json!({"name": "busy", "features": ["owner"]}))
        .await
        .body;
    let id = made["_id"].as_str().expect("id").to_owned();
    let secret = made["_secret"].as_str().expect("secret").to_owned();
    let mut tasks = tokio::task::JoinSet::new();
    // The client keeps calling with its first secret...
    for _ in 0..4 {
        let (http, url, auth) = (
            app.http.clone(),
            app.url("/clients/list"),
            basic(&id, &secret),
        );
        tasks.spawn(async move {
            let mut codes = Vec::new();
            for _ in 0..40 {
                let body: Value = read(http.post(&url).header("authorization", &auth))
                    .await
                    .body;
                codes.push(if body["stat"] == "ok" {
                    0
                } else {
                    body["code"].as_i64().expect("code")
                });
            }
            codes
        });
    }
    // ...while the owner rotates its secret (with grace) and finally deletes it.
    let (http, url, target) = (
        app.http.clone(),
        app.url("/clients/reset_secret"),
        id.clone(),
    );
    tasks.spawn(async move {
        for _ in 0..20 {
            let body = read(
                http.post(&url)
                    .header("authorization", owner_basic())
                    .form(&[("for_client_id", target.as_str()), ("hours_to_live", "1")]),
            )
            .await
            .body;
            // Once the delete has won the race, the id is simply unknown.
            let unknown = body["code"] == 200 && body["argument_name"] == "for_client_id";
            assert!(body["stat"] == "ok" || unknown, "{body}");
        }
        Vec::new()
    });
    let form = [("client_id_for_deletion", id.as_str())];
    let delete = app.legacy("/clients/delete", &form);
    let (_, results) = tokio::join!(delete, tasks.join_all());
    for codes in results {
        // Each call either worked or, once its secret had rotated out or the client was gone,
        // was refused as a credential failure: never anything else.
        assert!(codes.iter().all(|c| *c == 0 || *c == 402), "{codes:?}");
    }
    let after = app.legacy("/clients/list", &[]).await;
    let listed: Vec<&str> = after["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|c| c["client_id"].as_str().expect("id"))
        .collect();
    assert!(
        !listed.contains(&id.as_str()),
        "the client is gone for good"
    );
    let config = app.config_api_list("").await;
    assert_eq!(config.body.as_array().expect("array").len(), listed.len());
}
