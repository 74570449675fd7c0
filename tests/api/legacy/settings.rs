//! The legacy `/settings/*` operations: a client's own values over the application's defaults,
//! several keys at once, `get_all` as `janrain-datalib` reads it, who may read and change which,
//! every refusal, and the operations that are not there.

use janrain_emulator::config::{DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET};
use janrain_emulator::settings::MAX_VALUE_CHARS;
use serde_json::json;

use crate::helpers::{owner_basic, spawn_app};
use crate::settings::{error_of, worker};

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
