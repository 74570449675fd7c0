//! The legacy client operations: `/clients/add` and `/clients/list` as seeds 000-002 and the
//! reference describe them, `delete`, `set_description` and `set_features`, and an owner's rule
//! over all of them.

use insta::assert_json_snapshot;
use janrain_emulator::config::DEFAULT_OWNER_CLIENT_ID;
use serde_json::{Value, json};

use crate::helpers::{redact, spawn_app};
use crate::legacy::{add, invalid, listed, missing};

#[tokio::test]
async fn add_the_documented_example() {
    let app = spawn_app().await;
    let body = app
        .legacy(
            "/clients/add",
            &[
                ("description", "Client with direct read access"),
                ("features", r#"["direct_read_access"]"#),
            ],
        )
        .await;
    assert_json_snapshot!(redact(&body), @r#"
    {
      "features": [
        "direct_read_access"
      ],
      "description": "Client with direct read access",
      "client_id": "[client_id]",
      "client_secret": "[secret]",
      "stat": "ok"
    }
    "#);
}

#[tokio::test]
async fn add_refuses_an_unknown_feature_with_the_documented_error() {
    let app = spawn_app().await;
    let body = app
        .legacy(
            "/clients/add",
            &[("description", "x"), ("features", r#"["superuser_owner"]"#)],
        )
        .await;
    assert_json_snapshot!(redact(&body), @r#"
    {
      "argument_name": "features",
      "request_id": "[request_id]",
      "code": 200,
      "error_description": "features was not valid for the following reason: superuser_owner is not a valid feature name",
      "error": "invalid_argument",
      "stat": "error"
    }
    "#);
    assert_eq!(app.names().await.len(), 1, "nothing was created");
}

/// An error envelope without its request id: code, error, argument name, description.
type Envelope<'a> = (i64, &'a str, Option<&'a str>, &'a str);

fn error(body: &Value) -> Envelope<'_> {
    assert_eq!(body["stat"], "error");
    (
        body["code"].as_i64().expect("code"),
        body["error"].as_str().expect("error"),
        body["argument_name"].as_str(),
        body["error_description"].as_str().expect("description"),
    )
}

#[tokio::test]
async fn add_argument_errors() {
    let app = spawn_app().await;
    let cases: &[(&[(&str, &str)], Envelope<'_>)] = &[
        (
            &[("features", "[]")],
            (
                100,
                "missing_argument",
                Some("description"),
                "missing required argument: description",
            ),
        ),
        (
            &[("description", "")],
            (
                100,
                "missing_argument",
                Some("description"),
                "missing required argument: description",
            ),
        ),
        (
            &[
                ("description", "x"),
                ("features", r#"["login_client", "owner"]"#),
            ],
            (
                200,
                "invalid_argument",
                Some("features"),
                "features was not valid for the following reason: clients with the login_client feature cannot have any other features",
            ),
        ),
        (
            &[("description", "x"), ("features", r#"["metadata"]"#)],
            (
                200,
                "invalid_argument",
                Some("features"),
                "features was not valid for the following reason: the metadata feature can only be applied to a client by Akamai",
            ),
        ),
        (
            &[("description", "x"), ("features", "[owner")],
            (
                200,
                "invalid_argument",
                Some("features"),
                "features was not valid for the following reason: the JSON is not syntactically valid",
            ),
        ),
        (
            &[("description", "x"), ("features", r#""owner""#)],
            (
                200,
                "invalid_argument",
                Some("features"),
                "features was not valid for the following reason: the value is not a JSON array",
            ),
        ),
        (
            &[("description", "x"), ("features", "[1]")],
            (
                200,
                "invalid_argument",
                Some("features"),
                "features was not valid for the following reason: 1 is not a valid feature name",
            ),
        ),
    ];
    for (form, expected) in cases {
        let body = app.legacy("/clients/add", form).await;
        assert_eq!(error(&body), *expected, "{form:?}");
    }
    assert_eq!(app.names().await.len(), 1, "nothing was created");
}

#[tokio::test]
async fn add_without_features_makes_a_featureless_client() {
    let app = spawn_app().await;
    let body = app
        .legacy("/clients/add", &[("description", "plain")])
        .await;
    assert_eq!(body["features"], json!([]));
    assert_eq!(body["description"], "plain");
}

#[tokio::test]
async fn descriptions_are_kept_exactly_and_may_repeat() {
    let app = spawn_app().await;
    let quoted = r#""Client with direct read access""#;
    for _ in 0..2 {
        let body = app.legacy("/clients/add", &[("description", quoted)]).await;
        assert_eq!(body["description"], quoted);
    }
    assert_eq!(app.names().await[1..], [quoted, quoted]);
}

#[tokio::test]
async fn list_filters_with_or() {
    let app = spawn_app().await;
    for (name, features) in [
        ("reader", r#"["direct_read_access"]"#),
        ("issuer", r#"["access_issuer", "direct_access"]"#),
        ("login", r#"["login_client"]"#),
    ] {
        app.legacy(
            "/clients/add",
            &[("description", name), ("features", features)],
        )
        .await;
    }
    let descriptions = |body: &Value| -> Vec<String> {
        body["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|c| c["description"].as_str().expect("description").to_owned())
            .collect()
    };
    let all = app.legacy("/clients/list", &[]).await;
    assert_eq!(
        descriptions(&all),
        ["Emulator owner client", "reader", "issuer", "login"]
    );
    let some = app
        .legacy(
            "/clients/list",
            &[("has_features", r#"["direct_access","login_client"]"#)],
        )
        .await;
    assert_eq!(descriptions(&some), ["issuer", "login"]);
    let empty = app.legacy("/clients/list", &[("has_features", "[]")]).await;
    assert_eq!(descriptions(&empty).len(), 4, "[] filters nothing");
    let bad = app
        .legacy("/clients/list", &[("has_features", "owner")])
        .await;
    assert_eq!(
        error(&bad),
        (
            200,
            "invalid_argument",
            Some("has_features"),
            "has_features was not valid for the following reason: the JSON is not syntactically valid"
        )
    );
}

#[tokio::test]
async fn list_shows_every_field() {
    let app = spawn_app().await;
    app.legacy(
        "/clients/add",
        &[
            ("description", "reader"),
            ("features", r#"["direct_read_access"]"#),
        ],
    )
    .await;
    let body = app.legacy("/clients/list", &[]).await;
    assert_json_snapshot!(redact(&body), @r#"
    {
      "results": [
        {
          "client_id": "emulatorowner0000000000000000001",
          "client_secret": "emulatorsecret000000000000000001",
          "description": "Emulator owner client",
          "whitelist": [
            "0.0.0.0/0"
          ],
          "features": [
            "owner"
          ]
        },
        {
          "client_id": "[client_id]",
          "client_secret": "[secret]",
          "description": "reader",
          "whitelist": [
            "0.0.0.0/0"
          ],
          "features": [
            "direct_read_access"
          ]
        }
      ],
      "stat": "ok"
    }
    "#);
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
