//! The Configuration API's clients: `POST` and `GET /config/{appId}/clients` as seeds 003 and
//! 004 describe them, one client's `GET`, `PUT` and `DELETE`, the order of a client object's
//! fields, and an owner's rule over all of them.

use insta::assert_json_snapshot;
use janrain_emulator::config::DEFAULT_OWNER_CLIENT_ID;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::config_api::{call, client_url, create, error};
use crate::helpers::{
    basic, basic_of, owner_basic, per_client_operations, read, read_raw, redact, spawn_app,
};

#[tokio::test]
async fn create_the_documented_example() {
    let app = spawn_app().await;
    let reply = app
        .config_api_create(json!({
            "name": "Documentation Client",
            "ipWhitelist": ["0.0.0.0/0"],
            "features": ["login_client"]
        }))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    let id = reply.body["_id"].as_str().expect("id").to_owned();
    assert_eq!(
        reply.body["_self"],
        format!("/config/{}/clients/{id}", app.app_id())
    );
    assert_json_snapshot!(redact(&reply.body), @r#"
    {
      "_id": "[client_id]",
      "_secret": "[secret]",
      "_self": "/config/emulatorapp000000000000001/clients/[client_id]",
      "_settings": "/config/emulatorapp000000000000001/clients/[client_id]/settings",
      "features": [
        "login_client"
      ],
      "ipWhitelist": [
        "0.0.0.0/0"
      ],
      "name": "Documentation Client"
    }
    "#);
}

#[tokio::test]
async fn create_defaults() {
    let app = spawn_app().await;
    let reply = app.config_api_create(json!({"name": "bare"})).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.body["ipWhitelist"], json!(["0.0.0.0/0"]));
    assert_eq!(reply.body["features"], json!([]));
}

#[tokio::test]
async fn create_keeps_the_allowlist_as_given() {
    let app = spawn_app().await;
    let reply = app
        .config_api_create(json!({"name": "net", "ipWhitelist": ["10.0.0.0/8", "192.168.1.7/32"]}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(
        reply.body["ipWhitelist"],
        json!(["10.0.0.0/8", "192.168.1.7/32"])
    );
}

#[tokio::test]
async fn every_documented_create_error() {
    let app = spawn_app().await;
    app.config_api_create(json!({"name": "Test Client"})).await;
    let cases = [
        (
            json!({"name": "m", "features": ["metadata"]}),
            400,
            "The metadata feature can only be applied to a client by Akamai.",
        ),
        (
            json!({"name": "l", "features": ["login_client", "direct_access"]}),
            400,
            "Clients with the login_client feature cannot have any other features.",
        ),
        (
            json!({"features": ["owner"]}),
            400,
            "Missing data for required field.",
        ),
        (
            json!({"name": "   "}),
            400,
            "Missing data for required field.",
        ),
        (json!({"name": 42}), 400, "Not a valid string."),
        (json!({"name": ["x"]}), 400, "Not a valid string."),
        (json!({"name": null}), 400, "Field may not be null."),
        (
            json!({"name": "Test Client"}),
            409,
            "API client Test Client already exists.",
        ),
        (
            json!({"name": "c", "ipWhitelist": ["10.0.0.0/33"]}),
            400,
            "Not a valid CIDR address.",
        ),
        (
            json!({"name": "c", "ipWhitelist": ["10.0.0.1"]}),
            400,
            "Not a valid CIDR address.",
        ),
        (
            json!({"name": "c", "ipWhitelist": [7]}),
            400,
            "Not a valid CIDR address.",
        ),
        (
            json!({"name": "c", "ipWhitelist": "0.0.0.0/0"}),
            400,
            "Not a valid list.",
        ),
        (
            json!({"name": "f", "features": ["superuser_owner"]}),
            400,
            "Not a valid feature name.",
        ),
        (
            json!({"name": "f", "features": [true]}),
            400,
            "Not a valid feature name.",
        ),
        (
            json!({"name": "f", "features": "owner"}),
            400,
            "Not a valid list.",
        ),
        (
            json!({"name": "f", "features": null}),
            400,
            "Field may not be null.",
        ),
    ];
    for (body, status, text) in cases {
        let reply = app.config_api_create(body.clone()).await;
        assert_eq!(
            (reply.status.as_u16(), reply.body),
            (status, json!({ "errors": text })),
            "{body}"
        );
    }
    assert_eq!(app.names().await, ["Emulator owner client", "Test Client"]);
}

#[tokio::test]
async fn authentication_and_application_errors() {
    let app = spawn_app().await;
    let worker = app
        .config_api_create(json!({"name": "worker", "features": ["direct_access"]}))
        .await
        .body;
    let worker_auth = basic_of(&worker);
    let other_app = app.url("/config/htb8fuhxnf8e38jrzub3c7pfrr/clients");
    let cases = [
        (app.clients_url(), None, 401, "Authentication required."),
        (
            app.clients_url(),
            Some(basic(DEFAULT_OWNER_CLIENT_ID, "wrong")),
            401,
            "Authentication required.",
        ),
        (
            app.clients_url(),
            Some(basic("nobody", "x")),
            401,
            "Authentication required.",
        ),
        (
            app.clients_url(),
            Some("Basic ***".to_owned()),
            401,
            "Authentication required.",
        ),
        (
            app.clients_url(),
            Some("Bearer token".to_owned()),
            401,
            "Authentication required.",
        ),
        (
            app.clients_url(),
            Some(worker_auth),
            403,
            "Authentication required.",
        ),
        // The documentation gives the listing `Client ID not found.` and the creation
        // `Application ID not found.`: see below.
        (other_app.clone(), Some(owner_basic()), 404, "ID not found."),
        (other_app, None, 401, "Authentication required."),
    ];
    for (url, authorization, status, text) in cases {
        for post in [false, true] {
            let mut request = if post {
                app.http.post(&url).json(&json!({"name": "intruder"}))
            } else {
                app.http.get(&url)
            };
            if let Some(value) = &authorization {
                request = request.header("authorization", value);
            }
            let reply = read(request).await;
            let text = match text {
                "ID not found." if post => "Application ID not found.",
                "ID not found." => "Client ID not found.",
                text => text,
            };
            assert_eq!(
                (reply.status.as_u16(), reply.body),
                (status, json!({ "errors": text })),
                "{url} {authorization:?} post={post}"
            );
        }
    }
    assert_eq!(app.names().await, ["Emulator owner client", "worker"]);
}

#[tokio::test]
async fn list_in_creation_order_with_and_filters() {
    let app = spawn_app().await;
    for (name, features) in [
        ("both", json!(["direct_access", "access_issuer"])),
        ("direct", json!(["direct_access"])),
        ("login", json!(["login_client"])),
    ] {
        let reply = app
            .config_api_create(json!({"name": name, "features": features}))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED);
    }
    let names = crate::helpers::names_in;
    assert_eq!(
        names(&app.config_api_list("").await),
        ["Emulator owner client", "both", "direct", "login"]
    );
    assert_eq!(
        names(&app.config_api_list("?has_feature=login_client").await),
        ["login"]
    );
    assert_eq!(
        names(
            &app.config_api_list("?has_feature=direct_access&has_feature=access_issuer")
                .await
        ),
        ["both"]
    );
    assert_eq!(
        names(
            &app.config_api_list("?has_feature=owner&has_feature=login_client")
                .await
        ),
        Vec::<String>::new()
    );
    let bad = app.config_api_list("?has_feature=superuser").await;
    assert_eq!(
        (bad.status, bad.body),
        (
            StatusCode::BAD_REQUEST,
            json!({"errors": "Not a valid feature name."})
        )
    );
}

#[tokio::test]
async fn list_shows_every_field() {
    let app = spawn_app().await;
    app.config_api_create(json!({"name": "Default Login Client", "features": ["login_client"]}))
        .await;
    let reply = app.config_api_list("").await;
    assert_json_snapshot!(redact(&reply.body), @r#"
    [
      {
        "_id": "emulatorowner0000000000000000001",
        "_secret": "emulatorsecret000000000000000001",
        "_self": "/config/emulatorapp000000000000001/clients/emulatorowner0000000000000000001",
        "_settings": "/config/emulatorapp000000000000001/clients/emulatorowner0000000000000000001/settings",
        "features": [
          "owner"
        ],
        "ipWhitelist": [
          "0.0.0.0/0"
        ],
        "name": "Emulator owner client"
      },
      {
        "_id": "[client_id]",
        "_secret": "[secret]",
        "_self": "/config/emulatorapp000000000000001/clients/[client_id]",
        "_settings": "/config/emulatorapp000000000000001/clients/[client_id]/settings",
        "features": [
          "login_client"
        ],
        "ipWhitelist": [
          "0.0.0.0/0"
        ],
        "name": "Default Login Client"
      }
    ]
    "#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_of_one_name_have_one_winner() {
    let app = spawn_app().await;
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let request = app
            .http
            .post(app.clients_url())
            .header("authorization", owner_basic())
            .json(&json!({"name": "racer"}));
        racers.spawn(async move { read(request).await.status });
    }
    let statuses = racers.join_all().await;
    let count = |wanted| statuses.iter().filter(|s| **s == wanted).count();
    assert_eq!(
        (count(StatusCode::CREATED), count(StatusCode::CONFLICT)),
        (1, 31)
    );
    assert_eq!(app.names().await, ["Emulator owner client", "racer"]);
}

/// Each operation's documented text for an unknown application: the delete page gives
/// `Client ID not found.` for "a bad application and/or client id", and the single-client
/// operations and the listing follow it; creating a client gives `Application ID not found.`.
#[tokio::test]
async fn an_unknown_application_gets_each_operations_documented_text() {
    let app = spawn_app().await;
    let client = app.config_api_create(json!({"name": "exists"})).await.body["_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let other = "unknownapp0000000000000001";
    let base = app.url(&format!("/config/{other}"));
    let cases = [
        (
            reqwest::Method::GET,
            format!("{base}/clients"),
            None,
            "Client ID not found.",
        ),
        (
            reqwest::Method::POST,
            format!("{base}/clients"),
            Some(json!({"name": "x"})),
            "Application ID not found.",
        ),
        (
            reqwest::Method::GET,
            format!("{base}/clients/{client}"),
            None,
            "Client ID not found.",
        ),
        (
            reqwest::Method::PUT,
            format!("{base}/clients/{client}"),
            Some(json!({"name": "x"})),
            "Client ID not found.",
        ),
        (
            reqwest::Method::DELETE,
            format!("{base}/clients/{client}"),
            None,
            "Client ID not found.",
        ),
        (
            reqwest::Method::PUT,
            format!("{base}/clients/{client}/secret"),
            Some(json!({"hoursToLive": 0})),
            "Client ID not found.",
        ),
        (
            reqwest::Method::GET,
            format!("{base}/clients/{client}/settings"),
            None,
            "Client ID not found.",
        ),
        (
            reqwest::Method::PUT,
            format!("{base}/clients/{client}/settings"),
            Some(json!({})),
            "Client ID not found.",
        ),
        (
            reqwest::Method::GET,
            format!("{base}/settings"),
            None,
            "Application ID not found.",
        ),
        (
            reqwest::Method::PUT,
            format!("{base}/settings"),
            Some(json!({})),
            "Application ID not found.",
        ),
        (
            reqwest::Method::GET,
            format!("{base}/settings/options"),
            None,
            "Application ID not found.",
        ),
    ];
    for (method, url, body, text) in cases {
        let mut request = app
            .http
            .request(method.clone(), &url)
            .header("authorization", owner_basic());
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply = read(request).await;
        assert_eq!(
            (reply.status, reply.body),
            (StatusCode::NOT_FOUND, json!({"errors": text})),
            "{method} {url}"
        );
    }
    assert!(
        app.names().await.contains(&"exists".to_owned()),
        "nothing was deleted"
    );
}

#[tokio::test]
async fn get_one_client() {
    let app = spawn_app().await;
    let made = create(&app, json!({"name": "one", "features": ["direct_access"]})).await;
    let id = made["_id"].as_str().expect("id");
    let got = call(&app, reqwest::Method::GET, client_url(&app, id, ""), None).await;
    assert_eq!((got.status, &got.body), (StatusCode::OK, &made));
    for unknown in ["nosuchclient", "bad%20id"] {
        let missing = call(
            &app,
            reqwest::Method::GET,
            client_url(&app, unknown, ""),
            None,
        )
        .await;
        assert_eq!(error(&missing), (404, "Client ID not found."));
    }
}

#[tokio::test]
async fn put_replaces_the_whole_client() {
    let app = spawn_app().await;
    let made = create(
        &app,
        json!({"name": "before", "features": ["direct_access"], "ipWhitelist": ["10.0.0.0/8"]}),
    )
    .await;
    let id = made["_id"].as_str().expect("id");
    let put = call(
        &app,
        reqwest::Method::PUT,
        client_url(&app, id, ""),
        Some(json!({"name": "after"})),
    )
    .await;
    assert_eq!(put.status, StatusCode::OK);
    assert_eq!(put.body["name"], "after");
    assert_eq!(
        put.body["features"],
        json!([]),
        "omitted features are removed"
    );
    assert_eq!(
        put.body["ipWhitelist"],
        json!(["0.0.0.0/0"]),
        "omitted allowlist is reset"
    );
    assert_eq!(
        put.body["_secret"], made["_secret"],
        "the secret is not part of it"
    );
    // The object read back can be sent back, its underscore fields ignored.
    let mut round_trip = put.body.clone();
    round_trip["features"] = json!(["access_issuer"]);
    let put = call(
        &app,
        reqwest::Method::PUT,
        client_url(&app, id, ""),
        Some(round_trip),
    )
    .await;
    assert_eq!(
        (put.status, &put.body["features"]),
        (StatusCode::OK, &json!(["access_issuer"]))
    );
    let legacy = app.legacy("/clients/list", &[]).await;
    assert_eq!(legacy["results"][1]["description"], "after", "one store");
}

#[tokio::test]
async fn put_errors() {
    let app = spawn_app().await;
    create(&app, json!({"name": "taken"})).await;
    let made = create(&app, json!({"name": "mine"})).await;
    let id = made["_id"].as_str().expect("id");
    let url = client_url(&app, id, "");
    let cases = [
        (
            json!({"name": "taken"}),
            409,
            "API client taken already exists.",
        ),
        (
            json!({"features": []}),
            400,
            "Missing data for required field.",
        ),
        (json!({"name": 1}), 400, "Not a valid string."),
        (
            json!({"name": "x", "features": ["metadata"]}),
            400,
            "The metadata feature can only be applied to a client by Akamai.",
        ),
        (
            json!({"name": "x", "ipWhitelist": ["1.2.3.4/40"]}),
            400,
            "Not a valid CIDR address.",
        ),
    ];
    for (body, status, text) in cases {
        let reply = call(&app, reqwest::Method::PUT, url.clone(), Some(body.clone())).await;
        assert_eq!(error(&reply), (status, text), "{body}");
    }
    // Keeping its own name is no conflict.
    let same = call(
        &app,
        reqwest::Method::PUT,
        url,
        Some(json!({"name": "mine"})),
    )
    .await;
    assert_eq!(same.status, StatusCode::OK);
    // The owner cannot take owner away from itself, nor shut itself out.
    let owner_url = client_url(&app, DEFAULT_OWNER_CLIENT_ID, "");
    let reply = call(
        &app,
        reqwest::Method::PUT,
        owner_url.clone(),
        Some(json!({"name": "o"})),
    )
    .await;
    assert_eq!(
        error(&reply),
        (
            400,
            "An owner client cannot remove the owner feature from itself."
        )
    );
    let reply = call(
        &app,
        reqwest::Method::PUT,
        owner_url,
        Some(json!({"name": "o", "features": ["owner"], "ipWhitelist": ["10.0.0.0/8"]})),
    )
    .await;
    assert_eq!(
        error(&reply),
        (
            400,
            "The IP whitelist must allow the address making the call."
        )
    );
    let missing = call(
        &app,
        reqwest::Method::PUT,
        client_url(&app, "nosuchclient", ""),
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(error(&missing), (404, "Client ID not found."));
    assert_eq!(
        app.names().await,
        ["Emulator owner client", "taken", "mine"]
    );
}

#[tokio::test]
async fn delete_answers_204_and_spares_owners() {
    let app = spawn_app().await;
    let made = create(&app, json!({"name": "doomed"})).await;
    let id = made["_id"].as_str().expect("id");
    let response = read_raw(
        app.http
            .delete(client_url(&app, id, ""))
            .header("authorization", owner_basic()),
    )
    .await;
    assert_eq!(response.status, StatusCode::NO_CONTENT);
    assert!(response.body.is_empty());
    let again = call(
        &app,
        reqwest::Method::DELETE,
        client_url(&app, id, ""),
        None,
    )
    .await;
    assert_eq!(error(&again), (404, "Client ID not found."));
    let owner = create(&app, json!({"name": "second owner", "features": ["owner"]})).await;
    let reply = call(
        &app,
        reqwest::Method::DELETE,
        client_url(&app, owner["_id"].as_str().expect("id"), ""),
        None,
    )
    .await;
    assert_eq!(
        error(&reply),
        (400, "Clients with the owner feature cannot be deleted.")
    );
    assert_eq!(app.names().await, ["Emulator owner client", "second owner"]);
}

#[tokio::test]
async fn every_operation_wants_an_owner() {
    let app = spawn_app().await;
    let worker = create(
        &app,
        json!({"name": "worker", "features": ["direct_access"]}),
    )
    .await;
    let id = worker["_id"].as_str().expect("id");
    let auth = basic(id, worker["_secret"].as_str().expect("secret"));
    // Another client than itself: a client may read and replace its own settings
    // (tests/api/settings_config.rs), nothing else.
    let other = create(&app, json!({"name": "other"})).await;
    let other = other["_id"].as_str().expect("id");
    for (method, rest, body) in per_client_operations() {
        let mut request = app
            .http
            .request(method.clone(), client_url(&app, other, rest))
            .header("authorization", &auth);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply = read(request).await;
        assert_eq!(
            error(&reply),
            (403, "Authentication required."),
            "{method} {rest}"
        );
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
