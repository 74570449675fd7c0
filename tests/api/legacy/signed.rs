//! `janrain-signed` requests on the legacy family.

use std::time::Duration;

use janrain_emulator::Config;
use janrain_emulator::clock::Clock;
use janrain_emulator::config::{DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, date_header, read, sign, signed_headers, spawn_app, spawn_app_with};

const OWNER: (&str, &str) = (DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET);

/// Sends `params` as a form body with the given headers.
async fn send(
    app: &TestApp,
    path: &str,
    params: &[(&str, &str)],
    headers: &[(&str, String)],
) -> Value {
    let mut request = app.http.post(app.url(path)).form(params);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    app.legacy_send(request).await
}

/// The emulator's current time as a `Date` header.
fn now(app: &TestApp) -> String {
    date_header(app.clock.now())
}

#[tokio::test]
async fn signed_calls_as_janrain_python_api_makes_them() {
    let app = spawn_app().await;
    let date = now(&app);
    let params = [
        ("description", "signed client"),
        ("features", r#"["direct_access", "access_issuer"]"#),
    ];
    let headers = signed_headers("/clients/add", &params, OWNER.0, OWNER.1, &date);
    let added = send(&app, "/clients/add", &params, &headers).await;
    assert_eq!(added["stat"], "ok", "{added}");
    assert_eq!(added["features"], json!(["direct_access", "access_issuer"]));
    // No parameters at all.
    let headers = signed_headers("/clients/list", &[], OWNER.0, OWNER.1, &date);
    let listed = send(&app, "/clients/list", &[], &headers).await;
    assert_eq!(listed["results"].as_array().expect("results").len(), 2);
}

#[tokio::test]
async fn every_accepted_form_of_the_signed_text() {
    let app = spawn_app().await;
    let date = now(&app);
    let signature = |text: String| {
        [
            (
                "authorization",
                format!("Signature {}:{}", OWNER.0, sign(OWNER.1, &text)),
            ),
            ("date", date.clone()),
        ]
    };
    // The sample code's empty-parameter form, with its extra newline.
    let body = send(
        &app,
        "/clients/list",
        &[],
        &signature(format!("/clients/list\n{date}\n\n")),
    )
    .await;
    assert_eq!(body["stat"], "ok", "{body}");
    // Sorted by key rather than by line: "a" before "a-" where the lines sort "a-=..." first.
    let params = [("has_features", r#"["owner"]"#), ("has_features-", "x")];
    let by_key = format!("/clients/list\n{date}\nhas_features=[\"owner\"]\nhas_features-=x\n");
    let body = send(&app, "/clients/list", &params, &signature(by_key)).await;
    assert_eq!(body["stat"], "ok", "{body}");
    let by_line = format!("/clients/list\n{date}\nhas_features-=x\nhas_features=[\"owner\"]\n");
    let body = send(&app, "/clients/list", &params, &signature(by_line)).await;
    assert_eq!(body["stat"], "ok", "{body}");
    // JSON without spaces, as Go and PHP write it, verifies as received.
    let params = [
        ("description", "go client"),
        ("features", r#"["direct_access","access_issuer"]"#),
    ];
    let headers = signed_headers("/clients/add", &params, OWNER.0, OWNER.1, &date);
    let body = send(&app, "/clients/add", &params, &headers).await;
    assert_eq!(body["stat"], "ok", "{body}");
    // Parameters in the query string are signed too, and client_id/client_secret never are.
    let query = [("has_features", r#"["owner"]"#)];
    let headers = signed_headers("/clients/list", &query, OWNER.0, OWNER.1, &date);
    let mut request = app.http.post(app.url("/clients/list")).query(&query);
    for (name, value) in &headers {
        request = request.header(*name, value);
    }
    let body = app.legacy_send(request).await;
    assert_eq!(body["results"].as_array().expect("results").len(), 1);
}

#[tokio::test]
async fn bad_signatures_are_402() {
    let app = spawn_app().await;
    let date = now(&app);
    let params = [("description", "x")];
    let good = signed_headers("/clients/add", &params, OWNER.0, OWNER.1, &date);
    type Form<'a> = &'a [(&'a str, &'a str)];
    type Headers = Vec<(&'static str, String)>;
    let cases: Vec<(&str, Headers, Form<'_>)> = vec![
        ("tampered parameter", good.to_vec(), &[("description", "y")]),
        (
            "wrong secret",
            signed_headers("/clients/add", &params, OWNER.0, "nope", &date).to_vec(),
            &params,
        ),
        (
            "other path",
            signed_headers("/clients/list", &params, OWNER.0, OWNER.1, &date).to_vec(),
            &params,
        ),
        (
            "unknown client",
            signed_headers("/clients/add", &params, "nobody", OWNER.1, &date).to_vec(),
            &params,
        ),
        ("no date", vec![good[0].clone()], &params),
        (
            "RFC 1123 date",
            vec![
                good[0].clone(),
                ("date", "Tue, 02 Jan 2024 03:04:05 GMT".into()),
            ],
            &params,
        ),
        (
            "not base64",
            vec![
                ("authorization", format!("Signature {}:***", OWNER.0)),
                good[1].clone(),
            ],
            &params,
        ),
        (
            "no colon",
            vec![("authorization", "Signature abc".into()), good[1].clone()],
            &params,
        ),
    ];
    for (case, headers, sent) in cases {
        let body = send(&app, "/clients/add", sent, &headers).await;
        assert_eq!(
            (&body["code"], &body["error"]),
            (&json!(402), &json!("invalid_client_credentials")),
            "{case}: {body}"
        );
    }
    assert_eq!(app.names().await, ["Emulator owner client"]);
}

#[tokio::test]
async fn the_date_must_be_within_the_window() {
    let app = spawn_app().await;
    let at = |offset: i64| {
        let now = app.clock.now();
        let shift = Duration::from_secs(offset.unsigned_abs());
        date_header(if offset < 0 { now - shift } else { now + shift })
    };
    for (offset, ok) in [
        (-900, true),
        (900, true),
        (-901, false),
        (901, false),
        (-86_400, false),
    ] {
        let date = at(offset);
        let headers = signed_headers("/clients/list", &[], OWNER.0, OWNER.1, &date);
        let body = send(&app, "/clients/list", &[], &headers).await;
        assert_eq!(body["stat"] == "ok", ok, "{offset}: {body}");
    }
}

#[tokio::test]
async fn the_window_is_configurable() {
    let config = Config {
        signature_skew: Duration::from_secs(60),
        ..Config::default()
    };
    let app = spawn_app_with(config).await;
    let late = date_header(app.clock.now() - Duration::from_secs(61));
    let headers = signed_headers("/clients/list", &[], OWNER.0, OWNER.1, &late);
    assert_eq!(
        send(&app, "/clients/list", &[], &headers).await["code"],
        402
    );
    let fine = date_header(app.clock.now() - Duration::from_secs(60));
    let headers = signed_headers("/clients/list", &[], OWNER.0, OWNER.1, &fine);
    assert_eq!(
        send(&app, "/clients/list", &[], &headers).await["stat"],
        "ok"
    );
}

#[tokio::test]
async fn a_previous_secret_signs_during_its_grace_period() {
    let app = spawn_app().await;
    let body = app
        .legacy(
            "/clients/reset_secret",
            &[("for_client_id", OWNER.0), ("hours_to_live", "1")],
        )
        .await;
    let new = body["new_secret"].as_str().expect("new").to_owned();
    for secret in [OWNER.1, new.as_str()] {
        let headers = signed_headers("/clients/list", &[], OWNER.0, secret, &now(&app));
        assert_eq!(
            send(&app, "/clients/list", &[], &headers).await["stat"],
            "ok"
        );
    }
    app.clock.advance(Duration::from_secs(3600));
    let headers = signed_headers("/clients/list", &[], OWNER.0, OWNER.1, &now(&app));
    assert_eq!(
        send(&app, "/clients/list", &[], &headers).await["code"],
        402
    );
}

#[tokio::test]
async fn the_configuration_api_takes_basic_only() {
    let app = spawn_app().await;
    let headers = signed_headers(
        &format!("/config/{}/clients", app.app_id()),
        &[],
        OWNER.0,
        OWNER.1,
        &now(&app),
    );
    let mut request = app.http.get(app.clients_url());
    for (name, value) in &headers {
        request = request.header(*name, value);
    }
    let reply = read(request).await;
    assert_eq!(
        (reply.status, reply.body),
        (
            StatusCode::UNAUTHORIZED,
            json!({"errors": "Authentication required."})
        )
    );
}

#[tokio::test]
async fn doubled_and_trailing_slashes_are_tolerated_and_signatures_over_them_verify() {
    let app = spawn_app().await;
    // A client that joins "http://host/" and "/clients/list" sends "//clients/list", and signs
    // what it sent (as the Go library signs the URL's path).
    let date = now(&app);
    let headers = signed_headers("//clients/list", &[], OWNER.0, OWNER.1, &date);
    let body = send(&app, "//clients/list", &[], &headers).await;
    assert_eq!(body["stat"], "ok", "{body}");
    // One that signs the tidy path but sends a trailing slash.
    let headers = signed_headers("/clients/list", &[], OWNER.0, OWNER.1, &date);
    let body = send(&app, "/clients/list/", &[], &headers).await;
    assert_eq!(body["stat"], "ok", "{body}");
    let reply = read(
        app.http
            .get(format!("{}/", app.clients_url()))
            .header("authorization", crate::helpers::owner_basic()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
}
