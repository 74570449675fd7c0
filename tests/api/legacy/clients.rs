//! `/clients/add` and `/clients/list`, as seeds 000-002 and the reference describe them.

use insta::assert_json_snapshot;
use janrain_emulator::config::{DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET};
use serde_json::{Value, json};

use crate::helpers::{basic, redact, spawn_app};

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
async fn every_credential_form_authenticates() {
    let app = spawn_app().await;
    let (id, secret) = (DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET);
    // Form fields, as janrain-python-api sends them with sign_requests=False.
    let body = app
        .legacy_send(app.http.post(app.url("/clients/add")).form(&[
            ("client_id", id),
            ("client_secret", secret),
            ("description", "form"),
        ]))
        .await;
    assert_eq!(body["stat"], "ok", "{body}");
    // Everything in the query string of a body-less POST, as the PHP and Mule clients do.
    let body = app
        .legacy_send(app.http.post(app.url("/clients/add")).query(&[
            ("client_id", id),
            ("client_secret", secret),
            ("description", "query"),
        ]))
        .await;
    assert_eq!(body["stat"], "ok", "{body}");
    // Basic without base64 padding, as the documentation's curl examples send it.
    let unpadded = basic(id, secret).trim_end_matches('=').to_owned();
    let body = app
        .legacy_send(
            app.http
                .get(app.url("/clients/list"))
                .header("authorization", unpadded),
        )
        .await;
    assert_eq!(body["stat"], "ok", "{body}");
    assert_eq!(body["results"].as_array().expect("results").len(), 3);
}

#[tokio::test]
async fn credential_failures_are_402_and_non_owners_403() {
    let app = spawn_app().await;
    let worker = app
        .legacy(
            "/clients/add",
            &[
                ("description", "worker"),
                ("features", r#"["direct_access"]"#),
            ],
        )
        .await;
    let worker_id = worker["client_id"].as_str().expect("id");
    let worker_secret = worker["client_secret"].as_str().expect("secret");
    let attempts = [
        (None, 402, "invalid_client_credentials"),
        (
            Some(basic(DEFAULT_OWNER_CLIENT_ID, "wrong")),
            402,
            "invalid_client_credentials",
        ),
        (
            Some(basic("nosuchclient", "x")),
            402,
            "invalid_client_credentials",
        ),
        (
            Some("Basic %%%".to_owned()),
            402,
            "invalid_client_credentials",
        ),
        (Some("Digest x".to_owned()), 205, "invalid_auth_method"),
        (
            Some("OAuth sometoken".to_owned()),
            403,
            "client_permission_error",
        ),
        (
            Some(basic(worker_id, worker_secret)),
            403,
            "client_permission_error",
        ),
    ];
    for (authorization, code, name) in attempts {
        let mut request = app
            .http
            .post(app.url("/clients/add"))
            .form(&[("description", "intruder")]);
        if let Some(value) = &authorization {
            request = request.header("authorization", value);
        }
        let body = app.legacy_send(request).await;
        assert_eq!(
            (body["code"].as_i64(), body["error"].as_str()),
            (Some(code), Some(name)),
            "{authorization:?}: {body}"
        );
    }
    let forbidden = app
        .legacy_send(
            app.http
                .post(app.url("/clients/list"))
                .header("authorization", basic(worker_id, worker_secret)),
        )
        .await;
    assert_eq!(
        forbidden["error_description"],
        "the provided client does not have authorization for this action"
    );
    // Only one of the two credential parameters.
    let half = app
        .legacy_send(
            app.http
                .post(app.url("/clients/list"))
                .form(&[("client_id", DEFAULT_OWNER_CLIENT_ID)]),
        )
        .await;
    assert_eq!(half["code"], 402);
    assert_eq!(app.names().await, ["Emulator owner client", "worker"]);
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
