//! Settings in both families over the one store: a client's own values, the application's
//! defaults ("global" settings), who may read and change which, and every refusal.

use janrain_emulator::config::{DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET};
use janrain_emulator::settings::{MAX_SETTINGS, MAX_VALUE_CHARS};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, basic, owner_basic, read, spawn_app};

/// A client made by the owner through the legacy API, without `owner`: `(id, secret)`.
async fn worker(app: &TestApp, name: &str) -> (String, String) {
    let added = app
        .legacy(
            "/clients/add",
            &[("description", name), ("features", r#"["direct_access"]"#)],
        )
        .await;
    (
        added["client_id"].as_str().expect("id").to_owned(),
        added["client_secret"].as_str().expect("secret").to_owned(),
    )
}

fn client_settings_url(app: &TestApp, id: &str) -> String {
    format!("{}/{id}/settings", app.clients_url())
}

fn app_settings_url(app: &TestApp) -> String {
    app.url(&format!("/config/{}/settings", app.app_id()))
}

async fn rest(
    app: &TestApp,
    method: reqwest::Method,
    url: &str,
    auth: &str,
    body: Option<Value>,
) -> Reply {
    let mut request = app.http.request(method, url).header("authorization", auth);
    if let Some(body) = body {
        request = request.json(&body);
    }
    read(request).await
}

fn error_of(body: &Value) -> (i64, &str, &str) {
    (
        body["code"].as_i64().expect("code"),
        body["error"].as_str().expect("error"),
        body["error_description"].as_str().expect("description"),
    )
}

#[tokio::test]
async fn a_client_value_overrides_the_default_and_each_level_is_deleted_alone() {
    let app = spawn_app().await;
    let (id, _) = worker(&app, "site").await;
    let id = id.as_str();
    let set_default = app
        .legacy(
            "/settings/set_default",
            &[("key", "site_name"), ("value", "Default")],
        )
        .await;
    assert_eq!(set_default["result"], false, "a new default");
    // The default, seen through a client that has no value of its own.
    let get = |key: &'static str| [("key", key), ("for_client_id", id)];
    assert_eq!(
        app.legacy("/settings/get", &get("site_name")).await["result"],
        "Default"
    );
    let set = app
        .legacy(
            "/settings/set",
            &[
                ("key", "site_name"),
                ("value", "Own"),
                ("for_client_id", id),
            ],
        )
        .await;
    assert_eq!(set["result"], false, "the client had no value of its own");
    assert_eq!(
        app.legacy("/settings/get", &get("site_name")).await["result"],
        "Own"
    );
    let again = app
        .legacy(
            "/settings/set",
            &[
                ("key", "site_name"),
                ("value", "Own 2"),
                ("for_client_id", id),
            ],
        )
        .await;
    assert_eq!(again["result"], true, "overwritten");
    assert_eq!(
        app.legacy("/settings/get_default", &[("key", "site_name")])
            .await["result"],
        "Default",
        "the default is untouched"
    );
    // A key set nowhere is null, not an error.
    assert_eq!(
        app.legacy("/settings/get", &get("nowhere")).await,
        json!({"result": null, "stat": "ok"})
    );
    assert_eq!(
        app.legacy("/settings/get_default", &[("key", "nowhere")])
            .await,
        json!({"result": null, "stat": "ok"})
    );
    // Deleting the client's value brings the default back; deleting the default leaves the
    // clients' values alone.
    let deleted = app
        .legacy(
            "/settings/delete",
            &[("key", "site_name"), ("for_client_id", id)],
        )
        .await;
    assert_eq!(deleted["result"], true);
    assert_eq!(
        app.legacy("/settings/get", &get("site_name")).await["result"],
        "Default"
    );
    let gone = app
        .legacy(
            "/settings/delete",
            &[("key", "site_name"), ("for_client_id", id)],
        )
        .await;
    assert_eq!(gone["result"], false, "nothing left to delete");
    app.legacy(
        "/settings/set",
        &[
            ("key", "site_name"),
            ("value", "Own"),
            ("for_client_id", id),
        ],
    )
    .await;
    let no_default = app
        .legacy("/settings/delete_default", &[("key", "site_name")])
        .await;
    assert_eq!(no_default["result"], true);
    assert_eq!(
        app.legacy("/settings/delete_default", &[("key", "site_name")])
            .await["result"],
        false
    );
    assert_eq!(
        app.legacy("/settings/get", &get("site_name")).await["result"],
        "Own"
    );
}

#[tokio::test]
async fn multiple_keys_items_and_keys() {
    let app = spawn_app().await;
    let (id, _) = worker(&app, "multi").await;
    let id = id.as_str();
    let defaults = app
        .legacy(
            "/settings/set_default_multi",
            &[("items", r#"{"public": "true", "level": "1"}"#)],
        )
        .await;
    assert_eq!(defaults["result"], json!({"public": false, "level": false}));
    let own = app
        .legacy(
            "/settings/set_multi",
            &[
                ("items", r#"{"owner": "Jay", "level": "10"}"#),
                ("for_client_id", id),
            ],
        )
        .await;
    assert_eq!(own["result"], json!({"owner": false, "level": false}));
    let again = app
        .legacy(
            "/settings/set_multi",
            &[
                ("items", r#"{"owner": "Kay", "new": "n"}"#),
                ("for_client_id", id),
            ],
        )
        .await;
    assert_eq!(again["result"], json!({"owner": true, "new": false}));
    let multi = app
        .legacy(
            "/settings/get_multi",
            &[
                ("keys", r#"["owner", "public", "level", "nowhere"]"#),
                ("for_client_id", id),
            ],
        )
        .await;
    assert_eq!(
        multi["result"],
        json!({"owner": "Kay", "public": "true", "level": "10", "nowhere": null})
    );
    let items = app
        .legacy("/settings/items", &[("for_client_id", id)])
        .await;
    assert_eq!(
        items["result"],
        json!({"public": "true", "level": "10", "owner": "Kay", "new": "n"})
    );
    let keys = app.legacy("/settings/keys", &[("for_client_id", id)]).await;
    assert_eq!(keys["result"], json!(["public", "level", "owner", "new"]));
    // Numbers and booleans in items are kept as their JSON text.
    let loose = app
        .legacy(
            "/settings/set_multi",
            &[
                ("items", r#"{"count": 10, "on": true}"#),
                ("for_client_id", id),
            ],
        )
        .await;
    assert_eq!(loose["result"], json!({"count": false, "on": false}));
    let read_back = app
        .legacy(
            "/settings/get_multi",
            &[("keys", r#"["count", "on"]"#), ("for_client_id", id)],
        )
        .await;
    assert_eq!(read_back["result"], json!({"count": "10", "on": "true"}));
    // An empty value is a value.
    let empty = app
        .legacy(
            "/settings/set",
            &[("key", "blank"), ("value", ""), ("for_client_id", id)],
        )
        .await;
    assert_eq!(empty["result"], false);
    assert_eq!(
        app.legacy("/settings/get", &[("key", "blank"), ("for_client_id", id)])
            .await["result"],
        ""
    );
}

#[tokio::test]
async fn get_all_is_what_datalib_reads() {
    let app = spawn_app().await;
    let (with, _) = worker(&app, "with settings").await;
    worker(&app, "without settings").await;
    app.legacy(
        "/settings/set_default",
        &[("key", "both"), ("value", "default")],
    )
    .await;
    app.legacy(
        "/settings/set",
        &[
            ("key", "both"),
            ("value", "client"),
            ("for_client_id", &with),
        ],
    )
    .await;
    let all = app.legacy("/settings/get_all", &[]).await;
    let mut expected = serde_json::Map::new();
    expected.insert(with.clone(), json!({"both": "client"}));
    assert_eq!(
        all,
        json!({"client_settings": expected, "default_settings": {"both": "default"}, "stat": "ok"}),
        "no result wrapper; only clients that have settings of their own"
    );
    // A deleted client's settings go with it.
    app.legacy("/clients/delete", &[("client_id_for_deletion", &with)])
        .await;
    assert_eq!(
        app.legacy("/settings/get_all", &[]).await["client_settings"],
        json!({})
    );
}

#[tokio::test]
async fn a_client_manages_its_own_settings_and_only_an_owner_anything_else() {
    let app = spawn_app().await;
    let (id, secret) = worker(&app, "self-service").await;
    let (other, _) = worker(&app, "neighbour").await;
    let as_worker = |path: &'static str, form: Vec<(&'static str, String)>| {
        let app = &app;
        let (id, secret) = (id.clone(), secret.clone());
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.legacy_as(path, &id, &secret, &form).await
        }
    };
    let own = |extra: Vec<(&'static str, String)>| {
        let mut form = vec![
            ("key", "site_name".to_owned()),
            ("value", "Mine".to_owned()),
        ];
        form.extend(extra);
        form
    };
    // Its own settings, with for_client_id absent or naming itself.
    assert_eq!(as_worker("/settings/set", own(vec![])).await["stat"], "ok");
    assert_eq!(
        as_worker("/settings/set", own(vec![("for_client_id", id.clone())])).await["result"],
        true
    );
    for path in ["/settings/get", "/settings/delete"] {
        let body = as_worker(path, vec![("key", "site_name".into())]).await;
        assert_eq!(body["stat"], "ok", "{path}: {body}");
    }
    for path in ["/settings/items", "/settings/keys"] {
        assert_eq!(as_worker(path, vec![]).await["stat"], "ok", "{path}");
    }
    assert_eq!(
        as_worker("/settings/get_multi", vec![("keys", r#"["a"]"#.into())]).await["stat"],
        "ok"
    );
    assert_eq!(
        as_worker(
            "/settings/set_multi",
            vec![("items", r#"{"a": "1"}"#.into())]
        )
        .await["stat"],
        "ok"
    );
    // get_default is open to every client.
    assert_eq!(
        as_worker("/settings/get_default", vec![("key", "a".into())]).await["stat"],
        "ok"
    );
    // Another client's settings, the defaults and get_all need owner.
    let forbidden = (403, "client_permission_error");
    let refusals: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("/settings/set", own(vec![("for_client_id", other.clone())])),
        (
            "/settings/get",
            vec![("key", "a".into()), ("for_client_id", other.clone())],
        ),
        ("/settings/items", vec![("for_client_id", other.clone())]),
        ("/settings/keys", vec![("for_client_id", other.clone())]),
        (
            "/settings/delete",
            vec![("key", "a".into()), ("for_client_id", other.clone())],
        ),
        (
            "/settings/get_multi",
            vec![
                ("keys", r#"["a"]"#.into()),
                ("for_client_id", other.clone()),
            ],
        ),
        (
            "/settings/set_multi",
            vec![
                ("items", r#"{"a": "1"}"#.into()),
                ("for_client_id", other.clone()),
            ],
        ),
        ("/settings/set_default", own(vec![])),
        (
            "/settings/set_default_multi",
            vec![("items", r#"{"a": "1"}"#.into())],
        ),
        ("/settings/delete_default", vec![("key", "a".into())]),
        ("/settings/get_all", vec![]),
    ];
    for (path, form) in refusals {
        let body = as_worker(path, form).await;
        let (code, error, _) = error_of(&body);
        assert_eq!((code, error), forbidden, "{path}: {body}");
    }
    assert_eq!(
        app.legacy("/settings/get_all", &[]).await["default_settings"],
        json!({}),
        "no refused change landed"
    );
}

#[tokio::test]
async fn settings_calls_respect_the_callers_allowlist() {
    let app = spawn_app().await;
    let (id, secret) = worker(&app, "fenced").await;
    app.legacy(
        "/clients/set_whitelist",
        &[("for_client_id", &id), ("whitelist", r#"["10.0.0.0/8"]"#)],
    )
    .await;
    for path in ["/settings/get_default", "/settings/items", "/settings/set"] {
        let body = app
            .legacy_as(path, &id, &secret, &[("key", "k"), ("value", "v")])
            .await;
        assert_eq!(error_of(&body).0, 403, "{path}: {body}");
    }
}

#[tokio::test]
async fn every_refusal_of_the_legacy_settings_operations() {
    let app = spawn_app().await;
    let long_value = "v".repeat(MAX_VALUE_CHARS + 1);
    let long_key = "k".repeat(256);
    let cases: Vec<Case<'_>> = vec![
        ("/settings/get", vec![], missing("key")),
        ("/settings/set", vec![("value", "v")], missing("key")),
        ("/settings/set", vec![("key", "k")], missing("value")),
        ("/settings/delete", vec![], missing("key")),
        ("/settings/get_default", vec![], missing("key")),
        (
            "/settings/set_default",
            vec![("key", "k")],
            missing("value"),
        ),
        ("/settings/delete_default", vec![], missing("key")),
        ("/settings/get_multi", vec![], missing("keys")),
        ("/settings/set_multi", vec![], missing("items")),
        ("/settings/set_default_multi", vec![], missing("items")),
        (
            "/settings/get_multi",
            vec![("keys", "[nope")],
            invalid("keys", "the JSON is not syntactically valid"),
        ),
        (
            "/settings/get_multi",
            vec![("keys", r#"{"a": 1}"#)],
            invalid("keys", "the value is not a JSON array"),
        ),
        (
            "/settings/get_multi",
            vec![("keys", "[1]")],
            invalid("keys", "the value is not a string"),
        ),
        (
            "/settings/set_multi",
            vec![("items", "{nope")],
            invalid("items", "the JSON is not syntactically valid"),
        ),
        (
            "/settings/set_multi",
            vec![("items", r#"["a"]"#)],
            invalid("items", "the value is not a JSON object"),
        ),
        (
            "/settings/set_default_multi",
            vec![("items", r#"{"a": null}"#)],
            invalid("items", "the value of a is not a string, number or boolean"),
        ),
        (
            "/settings/set_multi",
            vec![("items", r#"{"a": {"b": "c"}}"#)],
            invalid("items", "the value of a is not a string, number or boolean"),
        ),
        (
            "/settings/set",
            vec![("key", "_self"), ("value", "v")],
            invalid("key", "_self is a reserved name"),
        ),
        (
            "/settings/set_default",
            vec![("key", "custom"), ("value", "v")],
            invalid("key", "custom is a reserved name"),
        ),
        (
            "/settings/set",
            vec![("key", &long_key), ("value", "v")],
            invalid("key", "the key is longer than 255 characters"),
        ),
        (
            "/settings/set",
            vec![("key", "k"), ("value", &long_value)],
            invalid("value", "the value is longer than 65536 characters"),
        ),
        (
            "/settings/set",
            vec![("key", "a\u{7}b"), ("value", "v")],
            invalid("key", "the key contains a control character"),
        ),
        (
            "/settings/set",
            vec![
                ("key", "k"),
                ("value", "v"),
                ("for_client_id", "nosuchclient"),
            ],
            invalid("for_client_id", "for_client_id is not a valid id"),
        ),
        (
            "/settings/items",
            vec![("for_client_id", "nosuchclient")],
            invalid("for_client_id", "for_client_id is not a valid id"),
        ),
    ];
    for (path, form, (code, error, description)) in cases {
        let body = app.legacy(path, &form).await;
        assert_eq!(
            error_of(&body),
            (code, error, description.as_str()),
            "{path} {:?}",
            form.iter().map(|(k, _)| *k).collect::<Vec<_>>()
        );
    }
    assert_eq!(
        app.legacy("/settings/get_all", &[]).await["client_settings"],
        json!({})
    );
}

/// A legacy error's code, name and description.
type Expected = (i64, &'static str, String);

/// A call's path and parameters, and the error it must get.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Expected);

fn missing(argument: &str) -> Expected {
    (
        100,
        "missing_argument",
        format!("missing required argument: {argument}"),
    )
}

fn invalid(argument: &str, reason: &str) -> Expected {
    (
        200,
        "invalid_argument",
        format!("{argument} was not valid for the following reason: {reason}"),
    )
}

#[tokio::test]
async fn one_level_holds_a_bounded_number_of_settings() {
    let app = spawn_app().await;
    let items = |range: std::ops::Range<usize>| {
        let map: serde_json::Map<String, Value> =
            range.map(|n| (format!("k{n}"), json!("v"))).collect();
        Value::Object(map).to_string()
    };
    let full = app
        .legacy(
            "/settings/set_default_multi",
            &[("items", &items(0..MAX_SETTINGS))],
        )
        .await;
    assert_eq!(full["stat"], "ok");
    let one_more = app
        .legacy("/settings/set_default", &[("key", "extra"), ("value", "v")])
        .await;
    assert_eq!(
        error_of(&one_more),
        (
            200,
            "invalid_argument",
            "key was not valid for the following reason: a client or application holds at most 1000 settings"
        )
    );
    // Overwriting stays possible at the limit, and a refused batch changes nothing.
    let overwrite = app
        .legacy("/settings/set_default", &[("key", "k0"), ("value", "w")])
        .await;
    assert_eq!(overwrite["result"], true);
    let batch = app
        .legacy(
            "/settings/set_default_multi",
            &[("items", r#"{"k1": "w", "extra": "v"}"#)],
        )
        .await;
    assert_eq!(error_of(&batch).1, "invalid_argument");
    assert_eq!(
        app.legacy("/settings/get_default", &[("key", "k1")]).await["result"],
        "v"
    );
    // The Configuration API holds the same line.
    let body: serde_json::Map<String, Value> = (0..=MAX_SETTINGS)
        .map(|n| (format!("k{n}"), json!("v")))
        .collect();
    let reply = rest(
        &app,
        reqwest::Method::PUT,
        &app_settings_url(&app),
        &owner_basic(),
        Some(Value::Object(body)),
    )
    .await;
    assert_eq!(
        (reply.status, reply.body),
        (
            StatusCode::BAD_REQUEST,
            json!({"errors": "At most 1000 settings are allowed."})
        )
    );
}

#[tokio::test]
async fn get_works_and_a_body_that_is_not_a_form_is_ignored() {
    let app = spawn_app().await;
    // As one wrapper sends it: parameters in the query, `""` as a JSON body.
    let url = format!(
        "{}?for_client_id={DEFAULT_OWNER_CLIENT_ID}&key=site_name&value=Demo",
        app.url("/settings/set")
    );
    let set = app
        .legacy_send(
            app.http
                .post(url)
                .header("authorization", owner_basic())
                .header("content-type", "application/json")
                .body("\"\""),
        )
        .await;
    assert_eq!(set, json!({"result": false, "stat": "ok"}));
    let got = app
        .legacy_send(app.http.get(app.url("/settings/get")).query(&[
            ("key", "site_name"),
            ("client_id", DEFAULT_OWNER_CLIENT_ID),
            ("client_secret", DEFAULT_OWNER_CLIENT_SECRET),
        ]))
        .await;
    assert_eq!(got["result"], "Demo");
}

/// The widget operations and the undocumented listings some clients name are not emulated:
/// they get the unknown-endpoint envelope, as any unknown path does.
#[tokio::test]
async fn the_widget_and_undocumented_settings_operations_are_unknown_endpoints() {
    let app = spawn_app().await;
    for path in [
        "/settings/widget/get",
        "/settings/widget/set",
        "/settings/default_keys",
        "/settings/client_keys",
        "/settings/default_items",
        "/settings/client_items",
    ] {
        let answer = app.legacy(path, &[("key", "k")]).await;
        assert_eq!(
            (
                &answer["code"],
                &answer["error"],
                &answer["error_description"]
            ),
            (
                &json!(404),
                &json!("not_found"),
                &json!(format!("no such endpoint: {path}"))
            ),
            "{path}"
        );
    }
}

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
async fn what_one_family_writes_the_other_reads() {
    let app = spawn_app().await;
    let (id, _) = worker(&app, "shared").await;
    // Legacy writes, Configuration API reads.
    app.legacy(
        "/settings/set",
        &[
            ("key", "site_name"),
            ("value", "Legacy"),
            ("for_client_id", &id),
        ],
    )
    .await;
    app.legacy(
        "/settings/set_default",
        &[("key", "rpx_realm"), ("value", "realm")],
    )
    .await;
    let seen = rest(
        &app,
        reqwest::Method::GET,
        &client_settings_url(&app, &id),
        &owner_basic(),
        None,
    )
    .await;
    assert_eq!(seen.body["site_name"], "Legacy");
    assert_eq!(seen.body["global"], json!({"rpx_realm": "realm"}));
    // Configuration API writes, legacy reads.
    rest(
        &app,
        reqwest::Method::PUT,
        &client_settings_url(&app, &id),
        &owner_basic(),
        Some(json!({"site_name": "Config", "custom": {"extra": "x"}})),
    )
    .await;
    rest(
        &app,
        reqwest::Method::PUT,
        &app_settings_url(&app),
        &owner_basic(),
        Some(json!({"rpx_realm": "other"})),
    )
    .await;
    let items = app
        .legacy("/settings/items", &[("for_client_id", &id)])
        .await;
    assert_eq!(
        items["result"],
        json!({"rpx_realm": "other", "site_name": "Config", "extra": "x"})
    );
}

#[tokio::test]
async fn the_journal_hides_the_values_of_secret_settings() {
    let app = spawn_app().await;
    app.legacy(
        "/settings/set_default",
        &[("key", "rpx_key"), ("value", "apikey-value")],
    )
    .await;
    app.legacy(
        "/settings/set_multi",
        &[(
            "items",
            r#"{"backplane_password": "pw-value", "site_name": "Demo"}"#,
        )],
    )
    .await;
    rest(
        &app,
        reqwest::Method::PUT,
        &app_settings_url(&app),
        &owner_basic(),
        Some(json!({"rpx_key": "config-value"})),
    )
    .await;
    let journal = read(app.http.get(app.url("/__emulator/requests")))
        .await
        .body
        .to_string();
    for secret in ["apikey-value", "pw-value", "config-value"] {
        assert!(!journal.contains(secret), "{secret} in {journal}");
    }
    // The name of the setting, and the values of other settings, stay readable.
    assert!(
        journal.contains("rpx_key") && journal.contains("Demo"),
        "{journal}"
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
