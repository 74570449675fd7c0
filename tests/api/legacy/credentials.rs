//! Legacy credentials: every operation through every credential form, failures as `402`,
//! non-owners as `403`, end-user tokens and half a pair of parameter credentials refused.

use janrain_emulator::clock::Clock;
use janrain_emulator::config::{DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, basic, date_header, read, signed_headers, spawn_app};

#[derive(Debug, Clone, Copy)]
enum Form {
    Basic,
    BodyParameters,
    QueryParameters,
    SignedBody,
    SignedQuery,
}

fn request(app: &TestApp, form: Form, path: &str, params: &[(&str, &str)]) -> RequestBuilder {
    let (id, secret) = (DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET);
    let url = app.url(path);
    let with_credentials: Vec<(&str, &str)> = [("client_id", id), ("client_secret", secret)]
        .into_iter()
        .chain(params.iter().copied())
        .collect();
    let signed = |request: RequestBuilder| {
        let date = date_header(app.clock.now());
        signed_headers(path, params, id, secret, &date)
            .into_iter()
            .fold(request, |request, (name, value)| {
                request.header(name, value)
            })
    };
    match form {
        Form::Basic => app
            .http
            .post(url)
            .header("authorization", basic(id, secret))
            .form(params),
        Form::BodyParameters => app.http.post(url).form(&with_credentials),
        Form::QueryParameters => app.http.post(url).query(&with_credentials),
        Form::SignedBody => signed(app.http.post(url).form(params)),
        Form::SignedQuery => signed(app.http.get(url).query(params)),
    }
}

#[tokio::test]
async fn every_operation_in_every_form() {
    let app = spawn_app().await;
    for form in [
        Form::Basic,
        Form::BodyParameters,
        Form::QueryParameters,
        Form::SignedBody,
        Form::SignedQuery,
    ] {
        let added = app
            .legacy_send(request(
                &app,
                form,
                "/clients/add",
                &[
                    ("description", "matrix"),
                    ("features", r#"["direct_access", "owner"]"#),
                ],
            ))
            .await;
        assert_eq!(added["stat"], "ok", "{form:?} add: {added}");
        let id = added["client_id"].as_str().expect("id").to_owned();
        let id = id.as_str();
        let steps: [(&str, Vec<(&str, &str)>); 7] = [
            ("/clients/list", vec![("has_features", r#"["owner"]"#)]),
            (
                "/clients/set_description",
                vec![("for_client_id", id), ("description", "renamed")],
            ),
            (
                "/clients/set_features",
                vec![("for_client_id", id), ("features", r#"["access_issuer"]"#)],
            ),
            (
                "/clients/set_whitelist",
                vec![
                    ("for_client_id", id),
                    ("whitelist", r#"["10.0.0.0/8", "127.0.0.1/32"]"#),
                ],
            ),
            ("/clients/clear_whitelist", vec![("for_client_id", id)]),
            (
                "/clients/reset_secret",
                vec![("for_client_id", id), ("hours_to_live", "1")],
            ),
            ("/clients/delete", vec![("client_id_for_deletion", id)]),
        ];
        for (path, params) in steps {
            let body = app.legacy_send(request(&app, form, path, &params)).await;
            assert_eq!(body["stat"], "ok", "{form:?} {path}: {body}");
        }
    }
    assert_eq!(app.names().await, ["Emulator owner client"]);
}

/// A legacy call and the `result` it must answer.
type Step<'a> = (&'a str, Vec<(&'a str, &'a str)>, serde_json::Value);

#[tokio::test]
async fn every_settings_operation_in_every_form() {
    let app = spawn_app().await;
    let owner = DEFAULT_OWNER_CLIENT_ID;
    for form in [
        Form::Basic,
        Form::BodyParameters,
        Form::QueryParameters,
        Form::SignedBody,
        Form::SignedQuery,
    ] {
        let name = format!("{form:?}");
        let items = format!(r#"{{"{name}": "v", "level": "10"}}"#);
        let steps: Vec<Step<'_>> = vec![
            (
                "/settings/set_default",
                vec![("key", "site_name"), ("value", "Default")],
                serde_json::json!(false),
            ),
            (
                "/settings/set",
                vec![("key", &name), ("value", "mine"), ("for_client_id", owner)],
                serde_json::json!(false),
            ),
            (
                "/settings/set_multi",
                vec![("items", &items)],
                serde_json::json!({name.as_str(): true, "level": false}),
            ),
            (
                "/settings/get",
                vec![("key", &name)],
                serde_json::json!("v"),
            ),
            (
                "/settings/get_multi",
                vec![("keys", r#"["site_name", "nowhere"]"#)],
                serde_json::json!({"site_name": "Default", "nowhere": null}),
            ),
            (
                "/settings/get_default",
                vec![("key", "site_name")],
                serde_json::json!("Default"),
            ),
            (
                "/settings/set_default_multi",
                vec![("items", r#"{"site_name": "Again"}"#)],
                serde_json::json!({"site_name": true}),
            ),
            (
                "/settings/items",
                vec![],
                serde_json::json!({"site_name": "Again", name.as_str(): "v", "level": "10"}),
            ),
            (
                "/settings/keys",
                vec![("for_client_id", owner)],
                serde_json::json!(["site_name", name.as_str(), "level"]),
            ),
            (
                "/settings/delete",
                vec![("key", &name)],
                serde_json::json!(true),
            ),
            (
                "/settings/delete",
                vec![("key", "level")],
                serde_json::json!(true),
            ),
            (
                "/settings/delete_default",
                vec![("key", "site_name")],
                serde_json::json!(true),
            ),
        ];
        for (path, params, result) in steps {
            let body = app.legacy_send(request(&app, form, path, &params)).await;
            assert_eq!(body["stat"], "ok", "{form:?} {path}: {body}");
            assert_eq!(body["result"], result, "{form:?} {path}");
        }
        let all = app
            .legacy_send(request(&app, form, "/settings/get_all", &[]))
            .await;
        assert_eq!(
            all,
            serde_json::json!({"client_settings": {}, "default_settings": {}, "stat": "ok"}),
            "{form:?}"
        );
    }
}

#[tokio::test]
async fn end_user_tokens_cannot_manage_clients() {
    let app = spawn_app().await;
    let legacy = [
        app.http
            .post(app.url("/clients/list"))
            .form(&[("access_token", "abc")]),
        app.http.post(app.url("/clients/list?access_token=abc")),
        app.http
            .post(app.url("/clients/list"))
            .header("authorization", "OAuth abc"),
        app.http
            .post(app.url("/clients/list"))
            .header("authorization", "Bearer abc"),
    ];
    for request in legacy {
        let body = app.legacy_send(request).await;
        assert_eq!(
            (&body["code"], &body["error"]),
            (&json!(403), &json!("client_permission_error")),
            "{body}"
        );
    }
    let config = read(
        app.http
            .get(app.clients_url())
            .header("authorization", "Bearer abc"),
    )
    .await;
    assert_eq!(config.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn half_a_pair_of_parameter_credentials_is_invalid() {
    let app = spawn_app().await;
    for form in [
        &[(
            "client_id",
            janrain_emulator::config::DEFAULT_OWNER_CLIENT_ID,
        )][..],
        &[(
            "client_secret",
            janrain_emulator::config::DEFAULT_OWNER_CLIENT_SECRET,
        )][..],
    ] {
        let body = app
            .legacy_send(app.http.post(app.url("/clients/list")).form(form))
            .await;
        assert_eq!(
            (&body["code"], &body["error"]),
            (&json!(402), &json!("invalid_client_credentials")),
            "{body}"
        );
    }
    let journal = read(app.http.get(app.url("/__emulator/requests?limit=2")))
        .await
        .body;
    for entry in journal.as_array().expect("entries") {
        assert_eq!(
            entry["detail"],
            "client credentials are invalid: client_id and client_secret must be given together"
        );
    }
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
