//! The other legacy operations: delete, set_description, set_features, set_whitelist,
//! clear_whitelist and reset_secret.

use std::time::Duration;

use janrain_emulator::config::{DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET};
use serde_json::{Value, json};

use crate::helpers::{TestApp, basic, spawn_app};

/// Creates a client through the legacy API; returns its id and secret.
async fn add(app: &TestApp, description: &str, features: &str) -> (String, String) {
    let body = app
        .legacy(
            "/clients/add",
            &[("description", description), ("features", features)],
        )
        .await;
    (
        body["client_id"].as_str().expect("id").to_owned(),
        body["client_secret"].as_str().expect("secret").to_owned(),
    )
}

/// The legacy listing entry of `id`.
async fn listed(app: &TestApp, id: &str) -> Option<Value> {
    let body = app.legacy("/clients/list", &[]).await;
    body["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|c| c["client_id"] == id)
        .cloned()
}

fn invalid(body: &Value, argument: &str, description: &str) {
    assert_eq!(
        (
            &body["code"],
            &body["error"],
            &body["argument_name"],
            &body["error_description"]
        ),
        (
            &json!(200),
            &json!("invalid_argument"),
            &json!(argument),
            &json!(description)
        ),
        "{body}"
    );
}

fn missing(body: &Value, argument: &str) {
    assert_eq!(
        (&body["code"], &body["error"], &body["argument_name"]),
        (&json!(100), &json!("missing_argument"), &json!(argument)),
        "{body}"
    );
}

#[tokio::test]
async fn delete_removes_the_client_everywhere() {
    let app = spawn_app().await;
    let (id, secret) = add(&app, "doomed", r#"["owner"]"#).await;
    let body = app
        .legacy("/clients/delete", &[("client_id_for_deletion", &id)])
        .await;
    assert_eq!(body, json!({"stat": "ok"}));
    assert!(listed(&app, &id).await.is_none());
    assert_eq!(app.names().await, ["Emulator owner client"]);
    let gone = app.legacy_as("/clients/list", &id, &secret, &[]).await;
    assert_eq!(gone["code"], 402, "its credentials stop working");
    // Its name is free again for the Configuration API.
    let again = app.config_api_create(json!({"name": "doomed"})).await;
    assert_eq!(again.status, reqwest::StatusCode::CREATED);
}

#[tokio::test]
async fn delete_errors() {
    let app = spawn_app().await;
    let unknown = app
        .legacy(
            "/clients/delete",
            &[("client_id_for_deletion", "cepqfrsvtyqmyxf8")],
        )
        .await;
    invalid(
        &unknown,
        "client_id_for_deletion",
        "client_id_for_deletion was not valid for the following reason: client_id_for_deletion is not a valid id",
    );
    missing(
        &app.legacy("/clients/delete", &[]).await,
        "client_id_for_deletion",
    );
    let itself = app
        .legacy(
            "/clients/delete",
            &[("client_id_for_deletion", DEFAULT_OWNER_CLIENT_ID)],
        )
        .await;
    invalid(
        &itself,
        "client_id_for_deletion",
        "client_id_for_deletion was not valid for the following reason: a client cannot delete itself",
    );
    assert_eq!(app.names().await, ["Emulator owner client"]);
}

#[tokio::test]
async fn set_description_for_another_client_and_for_itself() {
    let app = spawn_app().await;
    let (id, _) = add(&app, "old", "[]").await;
    let body = app
        .legacy(
            "/clients/set_description",
            &[("for_client_id", &id), ("description", "new")],
        )
        .await;
    assert_eq!(body, json!({"stat": "ok"}));
    let body = app
        .legacy("/clients/set_description", &[("description", "the owner")])
        .await;
    assert_eq!(body, json!({"stat": "ok"}));
    assert_eq!(app.names().await, ["the owner", "new"]);
    let unknown = app
        .legacy(
            "/clients/set_description",
            &[("for_client_id", "73et727cxds4vwtx"), ("description", "x")],
        )
        .await;
    invalid(
        &unknown,
        "for_client_id",
        "for_client_id was not valid for the following reason: for_client_id is not a valid id",
    );
    missing(
        &app.legacy("/clients/set_description", &[("for_client_id", &id)])
            .await,
        "description",
    );
}

#[tokio::test]
async fn set_features_replaces_the_list_within_the_rules() {
    let app = spawn_app().await;
    let (id, _) = add(&app, "worker", r#"["direct_read_access"]"#).await;
    let body = app
        .legacy(
            "/clients/set_features",
            &[
                ("for_client_id", &id),
                ("features", r#"["direct_access","access_issuer"]"#),
            ],
        )
        .await;
    assert_eq!(body, json!({"stat": "ok"}));
    assert_eq!(
        listed(&app, &id).await.expect("listed")["features"],
        json!(["direct_access", "access_issuer"])
    );
    let reason = |text: &str| format!("features was not valid for the following reason: {text}");
    for (target, features, text) in [
        (
            id.as_str(),
            r#"["login_client","owner"]"#,
            reason("clients with the login_client feature cannot have any other features"),
        ),
        (
            id.as_str(),
            r#"["metadata"]"#,
            reason("the metadata feature can only be applied to a client by Akamai"),
        ),
        (
            id.as_str(),
            r#"["root"]"#,
            reason("root is not a valid feature name"),
        ),
        (
            DEFAULT_OWNER_CLIENT_ID,
            r#"["direct_access"]"#,
            reason("an owner client cannot remove the owner feature from itself"),
        ),
    ] {
        let body = app
            .legacy(
                "/clients/set_features",
                &[("for_client_id", target), ("features", features)],
            )
            .await;
        invalid(&body, "features", &text);
    }
    // Without for_client_id the call acts on the caller, so the owner rule applies too.
    let body = app
        .legacy("/clients/set_features", &[("features", "[]")])
        .await;
    invalid(
        &body,
        "features",
        &reason("an owner client cannot remove the owner feature from itself"),
    );
    missing(
        &app.legacy("/clients/set_features", &[("for_client_id", &id)])
            .await,
        "features",
    );
    // An empty list is a featureless client.
    let body = app
        .legacy(
            "/clients/set_features",
            &[("for_client_id", &id), ("features", "[]")],
        )
        .await;
    assert_eq!(body, json!({"stat": "ok"}));
    assert_eq!(
        listed(&app, &id).await.expect("listed")["features"],
        json!([])
    );
}

#[tokio::test]
async fn whitelists_are_set_enforced_and_cleared() {
    let app = spawn_app().await;
    let (id, secret) = add(&app, "fenced", r#"["owner"]"#).await;
    let body = app
        .legacy(
            "/clients/set_whitelist",
            &[("for_client_id", &id), ("whitelist", r#"["10.0.0.0/8"]"#)],
        )
        .await;
    assert_eq!(body, json!({"stat": "ok"}));
    assert_eq!(
        listed(&app, &id).await.expect("listed")["whitelist"],
        json!(["10.0.0.0/8"])
    );
    // The tests call from 127.0.0.1, outside the list: refused in both families.
    let refused = app.legacy_as("/clients/list", &id, &secret, &[]).await;
    assert_eq!(
        (
            &refused["code"],
            &refused["error"],
            &refused["error_description"]
        ),
        (
            &json!(403),
            &json!("client_permission_error"),
            &json!("the provided client does not have authorization for this action")
        )
    );
    let rest = crate::helpers::read(
        app.http
            .get(app.clients_url())
            .header("authorization", basic(&id, &secret)),
    )
    .await;
    assert_eq!(rest.status, reqwest::StatusCode::FORBIDDEN);
    // Cleared, it works again.
    let body = app
        .legacy("/clients/clear_whitelist", &[("for_client_id", &id)])
        .await;
    assert_eq!(body, json!({"stat": "ok"}));
    assert_eq!(
        listed(&app, &id).await.expect("listed")["whitelist"],
        json!(["0.0.0.0/0"])
    );
    let allowed = app.legacy_as("/clients/list", &id, &secret, &[]).await;
    assert_eq!(allowed["stat"], "ok");
}

#[tokio::test]
async fn whitelist_errors() {
    let app = spawn_app().await;
    let (id, _) = add(&app, "fenced", "[]").await;
    let reason = |text: &str| format!("whitelist was not valid for the following reason: {text}");
    for (list, text) in [
        (
            r#"["10.0.0.0/33"]"#,
            reason("invalid cidr address: 10.0.0.0/33; value after slash must be 32 or less"),
        ),
        (r#"["10.0.0.1"]"#, reason("invalid cidr address: 10.0.0.1")),
        (
            r#"["fe80::/10"]"#,
            reason("invalid cidr address: fe80::/10"),
        ),
        ("10.0.0.0/8", reason("the JSON is not syntactically valid")),
        (r#"{"a": 1}"#, reason("the value is not a JSON array")),
    ] {
        let body = app
            .legacy(
                "/clients/set_whitelist",
                &[("for_client_id", &id), ("whitelist", list)],
            )
            .await;
        invalid(&body, "whitelist", &text);
    }
    // The owner cannot shut itself out.
    let body = app
        .legacy(
            "/clients/set_whitelist",
            &[("whitelist", r#"["10.0.0.0/8"]"#)],
        )
        .await;
    invalid(
        &body,
        "whitelist",
        &reason("the whitelist must allow the address making the call (127.0.0.1)"),
    );
    let body = app
        .legacy(
            "/clients/set_whitelist",
            &[("whitelist", r#"["127.0.0.0/8", "10.0.0.0/8"]"#)],
        )
        .await;
    assert_eq!(
        body,
        json!({"stat": "ok"}),
        "a list that admits the caller is fine"
    );
    missing(
        &app.legacy("/clients/set_whitelist", &[("for_client_id", &id)])
            .await,
        "whitelist",
    );
}

#[tokio::test]
async fn reset_secret_with_a_grace_period() {
    let app = spawn_app().await;
    let (id, old) = add(&app, "rotating", r#"["owner"]"#).await;
    let body = app
        .legacy(
            "/clients/reset_secret",
            &[("for_client_id", &id), ("hours_to_live", "24")],
        )
        .await;
    let new = body["new_secret"].as_str().expect("new_secret").to_owned();
    assert_eq!(body, json!({"new_secret": new, "stat": "ok"}));
    assert_eq!(new.len(), 32);
    assert_ne!(new, old);
    assert_eq!(
        listed(&app, &id).await.expect("listed")["client_secret"],
        new
    );
    // Both secrets work, in every credential form, until the grace period ends.
    let works = |secret: String| {
        let app = &app;
        let id = id.clone();
        async move {
            let basic = app.legacy_as("/clients/list", &id, &secret, &[]).await;
            let params = app
                .legacy_send(app.http.post(app.url("/clients/list")).form(&[
                    ("client_id", id.as_str()),
                    ("client_secret", secret.as_str()),
                ]))
                .await;
            (basic["stat"] == "ok", params["stat"] == "ok")
        }
    };
    assert_eq!(works(old.clone()).await, (true, true));
    assert_eq!(works(new.clone()).await, (true, true));
    app.clock.advance(Duration::from_secs(24 * 3600 - 1));
    assert_eq!(works(old.clone()).await, (true, true));
    app.clock.advance(Duration::from_secs(1));
    assert_eq!(works(old.clone()).await, (false, false));
    assert_eq!(works(new.clone()).await, (true, true));
}

#[tokio::test]
async fn only_the_immediately_previous_secret_has_grace() {
    let app = spawn_app().await;
    let (id, first) = add(&app, "rotating", r#"["owner"]"#).await;
    let reset = |hours: &'static str| {
        let app = &app;
        let id = id.clone();
        async move {
            app.legacy(
                "/clients/reset_secret",
                &[("for_client_id", id.as_str()), ("hours_to_live", hours)],
            )
            .await["new_secret"]
                .as_str()
                .expect("new_secret")
                .to_owned()
        }
    };
    let second = reset("48").await;
    let third = reset("48").await;
    let stat = |secret: &str| {
        let app = &app;
        let id = id.clone();
        let secret = secret.to_owned();
        async move { app.legacy_as("/clients/list", &id, &secret, &[]).await["stat"].clone() }
    };
    assert_eq!(stat(&first).await, "error");
    assert_eq!(stat(&second).await, "ok");
    assert_eq!(stat(&third).await, "ok");
    // Zero hours: the old secret dies at once; an absent hours_to_live means zero.
    let fourth = reset("0").await;
    assert_eq!(stat(&third).await, "error");
    let fifth = app
        .legacy("/clients/reset_secret", &[("for_client_id", &id)])
        .await["new_secret"]
        .as_str()
        .expect("new_secret")
        .to_owned();
    assert_eq!(stat(&fourth).await, "error");
    assert_eq!(stat(&fifth).await, "ok");
}

#[tokio::test]
async fn reset_secret_errors() {
    let app = spawn_app().await;
    let (id, _) = add(&app, "rotating", "[]").await;
    let reason =
        |text: &str| format!("hours_to_live was not valid for the following reason: {text}");
    for (hours, text) in [
        ("169", reason("the value must be between 0 and 168")),
        ("320", reason("the value must be between 0 and 168")),
        ("-1", reason("the value must be between 0 and 168")),
        ("1.5", reason("the value is not an integer")),
        ("day", reason("the value is not an integer")),
    ] {
        let body = app
            .legacy(
                "/clients/reset_secret",
                &[("for_client_id", &id), ("hours_to_live", hours)],
            )
            .await;
        invalid(&body, "hours_to_live", &text);
    }
    missing(
        &app.legacy("/clients/reset_secret", &[("hours_to_live", "1")])
            .await,
        "for_client_id",
    );
    let unknown = app
        .legacy(
            "/clients/reset_secret",
            &[("for_client_id", "nosuchclient"), ("hours_to_live", "1")],
        )
        .await;
    invalid(
        &unknown,
        "for_client_id",
        "for_client_id was not valid for the following reason: for_client_id is not a valid id",
    );
    // The boundaries are accepted.
    for hours in ["0", "168"] {
        let body = app
            .legacy(
                "/clients/reset_secret",
                &[("for_client_id", &id), ("hours_to_live", hours)],
            )
            .await;
        assert_eq!(body["stat"], "ok", "{hours}");
    }
}

#[tokio::test]
async fn the_owner_may_rotate_its_own_secret() {
    let app = spawn_app().await;
    let body = app
        .legacy(
            "/clients/reset_secret",
            &[
                ("for_client_id", DEFAULT_OWNER_CLIENT_ID),
                ("hours_to_live", "1"),
            ],
        )
        .await;
    let new = body["new_secret"].as_str().expect("new").to_owned();
    for secret in [DEFAULT_OWNER_CLIENT_SECRET, new.as_str()] {
        let body = app
            .legacy_as("/clients/list", DEFAULT_OWNER_CLIENT_ID, secret, &[])
            .await;
        assert_eq!(body["stat"], "ok");
    }
}

#[tokio::test]
async fn non_owners_may_call_none_of_them() {
    let app = spawn_app().await;
    let (id, secret) = add(&app, "reader", r#"["direct_read_access"]"#).await;
    for path in [
        "/clients/add",
        "/clients/list",
        "/clients/delete",
        "/clients/set_description",
        "/clients/set_features",
        "/clients/set_whitelist",
        "/clients/clear_whitelist",
        "/clients/reset_secret",
    ] {
        let body = app
            .legacy_as(path, &id, &secret, &[("for_client_id", &id)])
            .await;
        assert_eq!(body["code"], 403, "{path}: {body}");
    }
}
