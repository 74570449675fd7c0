//! Secrets in both families: a reset with its grace period, only the immediately previous secret
//! kept, `hours_to_live` and `hoursToLive` read and refused as documented.

use std::time::Duration;

use janrain_emulator::config::{DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::config_api::{call, client_url, create, error};
use crate::helpers::{TestApp, basic, read, spawn_app};
use crate::legacy::{add, invalid, listed, missing};

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
async fn secret_reset_with_grace() {
    let app = spawn_app().await;
    let made = create(&app, json!({"name": "rotating", "features": ["owner"]})).await;
    let id = made["_id"].as_str().expect("id");
    let old = made["_secret"].as_str().expect("secret");
    let reply = call(
        &app,
        reqwest::Method::PUT,
        client_url(&app, id, "/secret"),
        Some(json!({"hoursToLive": 2})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let new = reply.body["_secret"].as_str().expect("secret").to_owned();
    assert_ne!(new, old);
    assert_eq!(reply.body["_id"], id);
    let status = |secret: String| {
        let app = &app;
        async move {
            read(
                app.http
                    .get(app.clients_url())
                    .header("authorization", basic(id, &secret)),
            )
            .await
            .status
        }
    };
    assert_eq!(status(old.to_owned()).await, StatusCode::OK);
    assert_eq!(status(new.clone()).await, StatusCode::OK);
    app.clock.advance(Duration::from_secs(2 * 3600));
    assert_eq!(status(old.to_owned()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status(new).await, StatusCode::OK);
}

#[tokio::test]
async fn secret_reset_errors() {
    let app = spawn_app().await;
    let made = create(&app, json!({"name": "rotating"})).await;
    let url = client_url(&app, made["_id"].as_str().expect("id"), "/secret");
    let range = "Must be greater than or equal to 0 and less than or equal to 168.";
    for (body, status, text) in [
        (json!({}), 400, "Missing data for required field."),
        (json!({"hoursToLive": null}), 400, "Field may not be null."),
        (json!({"hoursToLive": "two"}), 400, "Not a valid integer."),
        (json!({"hoursToLive": 1.5}), 400, "Not a valid integer."),
        (json!({"hoursToLive": 169}), 400, range),
        (json!({"hoursToLive": -1}), 400, range),
    ] {
        let reply = call(&app, reqwest::Method::PUT, url.clone(), Some(body.clone())).await;
        assert_eq!(error(&reply), (status, text), "{body}");
    }
    let missing = call(
        &app,
        reqwest::Method::PUT,
        client_url(&app, "nosuchclient", "/secret"),
        Some(json!({"hoursToLive": 0})),
    )
    .await;
    assert_eq!(error(&missing), (404, "Client ID not found."));
    let after = call(
        &app,
        reqwest::Method::GET,
        client_url(&app, made["_id"].as_str().expect("id"), ""),
        None,
    )
    .await;
    assert_eq!(after.body["_secret"], made["_secret"], "nothing changed");
}

async fn reset_with(app: &TestApp, id: &str, hours: &str) -> Value {
    app.legacy(
        "/clients/reset_secret",
        &[("for_client_id", id), ("hours_to_live", hours)],
    )
    .await
}

#[tokio::test]
async fn hours_to_live_is_read_as_a_decimal_integer() {
    let app = spawn_app().await;
    let made = app
        .legacy("/clients/add", &[("description", "rotated")])
        .await;
    let id = made["client_id"].as_str().expect("id");
    for accepted in ["+5", " 5", "05", "-0", "168 "] {
        assert_eq!(
            reset_with(&app, id, accepted).await["stat"],
            "ok",
            "{accepted:?}"
        );
    }
    for (refused, reason) in [
        ("5.0", "the value is not an integer"),
        ("0x5", "the value is not an integer"),
        ("1_0", "the value is not an integer"),
        ("five", "the value is not an integer"),
        ("-1", "the value must be between 0 and 168"),
        ("169", "the value must be between 0 and 168"),
    ] {
        let body = reset_with(&app, id, refused).await;
        assert_eq!(body["code"], 200, "{refused:?}");
        assert_eq!(
            body["error_description"],
            format!("hours_to_live was not valid for the following reason: {reason}"),
            "{refused:?}"
        );
    }
}
