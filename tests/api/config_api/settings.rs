//! The Configuration API's settings: a client's and the application's settings objects
//! (documented, `custom` and `global` apart), their permissions and refusals, and the options
//! catalogue.

use janrain_emulator::settings::MAX_VALUE_CHARS;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{basic, owner_basic, read, spawn_app};
use crate::settings::{app_settings_url, client_settings_url, rest, worker};

#[tokio::test]
async fn the_configuration_api_shows_documented_custom_and_global_settings_apart() {
    let app = spawn_app().await;
    let (id, _) = worker(&app, "configured").await;
    let url = client_settings_url(&app, &id);
    let empty = rest(&app, reqwest::Method::GET, &url, &owner_basic(), None).await;
    assert_eq!(empty.status, StatusCode::OK);
    let self_path = format!("/config/{}/clients/{id}/settings", app.app_id());
    assert_eq!(
        empty.body,
        json!({"_self": self_path, "custom": {}, "global": {}})
    );
    app.legacy(
        "/settings/set_default",
        &[("key", "login_attempts"), ("value", "7")],
    )
    .await;
    let put = rest(
        &app,
        reqwest::Method::PUT,
        &url,
        &owner_basic(),
        Some(json!({
            "_self": "ignored",
            "site_name": "Demo",
            "login_attempts": 4,
            "dropped": null,
            "custom": {"favourite_colour": "blue"},
            "global": {"login_attempts": "ignored"},
        })),
    )
    .await;
    let expected = json!({
        "_self": self_path,
        "site_name": "Demo",
        "login_attempts": 4,
        "custom": {"favourite_colour": "blue"},
        "global": {"login_attempts": "7"},
    });
    assert_eq!((put.status, &put.body), (StatusCode::OK, &expected));
    let got = rest(&app, reqwest::Method::GET, &url, &owner_basic(), None).await;
    assert_eq!(got.body, expected);
    // What the GET answered can be sent back as it is.
    let round_trip = rest(
        &app,
        reqwest::Method::PUT,
        &url,
        &owner_basic(),
        Some(got.body.clone()),
    )
    .await;
    assert_eq!(round_trip.body, expected);
    // A replacement: keys left out are removed, the global value is untouched.
    let replaced = rest(
        &app,
        reqwest::Method::PUT,
        &url,
        &owner_basic(),
        Some(json!({"site_name": "Renamed"})),
    )
    .await;
    assert_eq!(
        replaced.body,
        json!({"_self": self_path, "site_name": "Renamed", "custom": {}, "global": {"login_attempts": "7"}})
    );
}

#[tokio::test]
async fn the_application_settings_resource() {
    let app = spawn_app().await;
    let (id, _) = worker(&app, "with own").await;
    let url = app_settings_url(&app);
    let self_path = format!("/config/{}/settings", app.app_id());
    let put = rest(
        &app,
        reqwest::Method::PUT,
        &url,
        &owner_basic(),
        Some(json!({"login_attempts": "5", "custom": {"brand": "acme"}, "_self": "x", "clients": {}})),
    )
    .await;
    let expected = json!({"_self": self_path, "login_attempts": "5", "custom": {"brand": "acme"}});
    assert_eq!((put.status, &put.body), (StatusCode::OK, &expected));
    assert_eq!(
        rest(&app, reqwest::Method::GET, &url, &owner_basic(), None)
            .await
            .body,
        expected
    );
    // The legacy family sees them as defaults.
    assert_eq!(
        app.legacy("/settings/get", &[("key", "brand"), ("for_client_id", &id)])
            .await["result"],
        "acme"
    );
    app.legacy(
        "/settings/set",
        &[
            ("key", "site_name"),
            ("value", "Own"),
            ("for_client_id", &id),
        ],
    )
    .await;
    let with_clients = rest(
        &app,
        reqwest::Method::GET,
        &format!("{url}?include_clients=true"),
        &owner_basic(),
        None,
    )
    .await;
    let mut clients = serde_json::Map::new();
    clients.insert(id.clone(), json!({"site_name": "Own"}));
    assert_eq!(
        with_clients.body,
        json!({"_self": self_path, "login_attempts": "5", "custom": {"brand": "acme"}, "clients": clients})
    );
    let bad = rest(
        &app,
        reqwest::Method::GET,
        &format!("{url}?include_clients=maybe"),
        &owner_basic(),
        None,
    )
    .await;
    assert_eq!(
        (bad.status, bad.body),
        (
            StatusCode::BAD_REQUEST,
            json!({"errors": "Not a valid boolean."})
        )
    );
}

#[tokio::test]
async fn configuration_api_permissions_and_refusals() {
    let app = spawn_app().await;
    let (id, secret) = worker(&app, "self").await;
    let (other, _) = worker(&app, "other").await;
    let auth = basic(&id, &secret);
    // A client may read and replace its own settings.
    let own = client_settings_url(&app, &id);
    let put = rest(
        &app,
        reqwest::Method::PUT,
        &own,
        &auth,
        Some(json!({"site_name": "Mine"})),
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    assert_eq!(
        rest(&app, reqwest::Method::GET, &own, &auth, None)
            .await
            .body["site_name"],
        "Mine"
    );
    // Not another client's, nor the application's.
    let forbidden = json!({"errors": "Authentication required."});
    for (method, url) in [
        (reqwest::Method::GET, client_settings_url(&app, &other)),
        (reqwest::Method::PUT, client_settings_url(&app, &other)),
        (reqwest::Method::GET, app_settings_url(&app)),
        (reqwest::Method::PUT, app_settings_url(&app)),
    ] {
        let reply = rest(&app, method.clone(), &url, &auth, Some(json!({}))).await;
        assert_eq!(
            (reply.status, &reply.body),
            (StatusCode::FORBIDDEN, &forbidden),
            "{method} {url}"
        );
    }
    let cases = [
        (
            json!({"a": [1]}),
            "Setting values must be strings, numbers or booleans.",
        ),
        (json!({"custom": "x"}), "Not a valid mapping type."),
        (
            json!({"a": "1", "custom": {"a": "2"}}),
            "The setting a is given twice.",
        ),
        (json!({"": "1"}), "Setting names may not be empty."),
        (
            json!({"custom": {"_x": "1"}}),
            "The setting name _x is reserved.",
        ),
        (json!({"_x": "1"}), "The setting name _x is reserved."),
        (
            json!({"k": "v".repeat(MAX_VALUE_CHARS + 1)}),
            "Longer than maximum length 65536.",
        ),
    ];
    for (body, text) in cases {
        let reply = rest(
            &app,
            reqwest::Method::PUT,
            &own,
            &owner_basic(),
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            (reply.status, reply.body),
            (StatusCode::BAD_REQUEST, json!({"errors": text})),
            "{body}"
        );
    }
    assert_eq!(
        rest(&app, reqwest::Method::GET, &own, &owner_basic(), None)
            .await
            .body["site_name"],
        "Mine",
        "no refused body changed anything"
    );
    let missing = rest(
        &app,
        reqwest::Method::GET,
        &client_settings_url(&app, "nosuchclient"),
        &owner_basic(),
        None,
    )
    .await;
    assert_eq!(
        (missing.status, missing.body),
        (
            StatusCode::NOT_FOUND,
            json!({"errors": "Client ID not found."})
        )
    );
    let not_object = rest(
        &app,
        reqwest::Method::PUT,
        &own,
        &owner_basic(),
        Some(json!(["x"])),
    )
    .await;
    assert_eq!(
        (not_object.status, not_object.body),
        (
            StatusCode::BAD_REQUEST,
            json!({"errors": "Invalid input type."})
        )
    );
}

#[tokio::test]
async fn the_options_catalogue_names_each_documented_setting_for_the_owner_only() {
    let app = spawn_app().await;
    let url = app.url(&format!("/config/{}/settings/options", app.app_id()));
    let reply = read(app.http.get(&url).header("authorization", owner_basic())).await;
    assert_eq!(reply.status, StatusCode::OK);
    let options = reply.body.as_array().expect("an array");
    assert!(options.len() >= 23, "{options:?}");
    for option in options {
        let keys: Vec<&str> = option
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["name", "group", "type", "values", "globalOnly"]);
    }
    let site_name = options
        .iter()
        .find(|o| o["name"] == "site_name")
        .expect("site_name");
    assert_eq!(site_name["globalOnly"], false);
    assert!(
        options
            .iter()
            .any(|o| o["globalOnly"] == true && o["name"] == "user_distinguisher_field")
    );
    // Owner only, like the application's settings.
    let (id, secret) = worker(&app, "reader").await;
    let reply = read(
        app.http
            .get(&url)
            .header("authorization", basic(&id, &secret)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = read(app.http.get(&url)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn global_only_settings_are_ignored_at_client_level() {
    let app = spawn_app().await;
    let (id, _) = worker(&app, "scoped").await;
    let put = read(
        app.http
            .put(client_settings_url(&app, &id))
            .header("authorization", owner_basic())
            .json(&json!({"site_name": "Mine", "user_distinguisher_field": "region"})),
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    assert_eq!(put.body["site_name"], "Mine");
    assert!(
        put.body.get("user_distinguisher_field").is_none(),
        "{:?}",
        put.body
    );
    // At the application's level it is kept, and shown to every client as global.
    let global = read(
        app.http
            .put(app_settings_url(&app))
            .header("authorization", owner_basic())
            .json(&json!({"user_distinguisher_field": "region"})),
    )
    .await;
    assert_eq!(global.body["user_distinguisher_field"], "region");
    let seen = read(
        app.http
            .get(client_settings_url(&app, &id))
            .header("authorization", owner_basic()),
    )
    .await;
    assert!(seen.body.get("user_distinguisher_field").is_none());
    assert_eq!(seen.body["global"]["user_distinguisher_field"], "region");
}
