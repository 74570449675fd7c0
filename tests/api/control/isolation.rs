//! Isolation to the last part: fault rules, the clock and the journal of one application never
//! reach another's, so a parallel suite on one emulator does not interfere with itself.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, basic, read, spawn_app};

/// An application of the test's own: `(app_id, owner_id, owner_secret, capture_domain)`.
async fn new_app(app: &TestApp, domain: Option<&str>) -> (String, String, String, String) {
    let body = match domain {
        Some(domain) => json!({"capture_domains": [domain]}),
        None => json!({}),
    };
    let made = read(app.http.post(app.url("/__emulator/apps")).json(&body)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let text = |key: &str| made.body[key].as_str().expect(key).to_owned();
    let domain = made.body["capture_domains"][0]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (
        text("app_id"),
        text("owner_client_id"),
        text("owner_client_secret"),
        domain,
    )
}

async fn fault(app: &TestApp, rule: Value) -> Value {
    let added = read(app.http.post(app.url("/__emulator/faults")).json(&rule)).await;
    assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);
    added.body
}

async fn pending(app: &TestApp) -> usize {
    read(app.http.get(app.url("/__emulator/faults")))
        .await
        .body
        .as_array()
        .expect("rules")
        .len()
}

#[tokio::test]
async fn a_rule_for_one_application_never_fires_for_nor_is_spent_by_another() {
    let app = spawn_app().await;
    let (mine, my_owner, my_secret, _) = new_app(&app, None).await;
    let (theirs, their_owner, their_secret, their_domain) =
        new_app(&app, Some("theirs.example.com")).await;
    fault(
        &app,
        json!({"path": "/clients/*", "legacy_code": 510, "app_id": mine, "times": 3}),
    )
    .await;
    fault(
        &app,
        json!({"path": "/config/*", "status": 503, "app_id": mine, "times": 2}),
    )
    .await;
    // The other application's calls, legacy routed by credentials (Basic, then parameters in a
    // form body) and by Host, and the Configuration API by path: none is faulted, none spends.
    let legacy_basic = app
        .legacy_send(
            app.http
                .post(app.url("/clients/list"))
                .header("authorization", basic(&their_owner, &their_secret)),
        )
        .await;
    assert_eq!(legacy_basic["stat"], "ok");
    let legacy_form = app
        .legacy_send(app.http.post(app.url("/clients/list")).form(&[
            ("client_id", their_owner.as_str()),
            ("client_secret", their_secret.as_str()),
        ]))
        .await;
    assert_eq!(legacy_form["stat"], "ok");
    let by_host = app
        .legacy_send(
            app.http
                .post(app.url("/clients/list"))
                .header("host", &their_domain)
                .header("authorization", basic(&their_owner, &their_secret)),
        )
        .await;
    assert_eq!(by_host["stat"], "ok");
    let config = read(
        app.http
            .get(app.url(&format!("/config/{theirs}/clients")))
            .header("authorization", basic(&their_owner, &their_secret)),
    )
    .await;
    assert_eq!(config.status, StatusCode::OK);
    // The default application's calls are not faulted either.
    assert_eq!(app.legacy("/clients/list", &[]).await["stat"], "ok");
    assert_eq!(pending(&app).await, 2, "nothing was spent");
    // Its own calls are, by every route the families take.
    let faulted = app
        .legacy_send(
            app.http
                .post(app.url("/clients/list"))
                .header("authorization", basic(&my_owner, &my_secret)),
        )
        .await;
    assert_eq!(faulted["code"], 510);
    let faulted = app
        .legacy_send(app.http.post(app.url("/clients/list")).form(&[
            ("client_id", my_owner.as_str()),
            ("client_secret", my_secret.as_str()),
        ]))
        .await;
    assert_eq!(faulted["code"], 510);
    let faulted = app
        .legacy_send(app.http.post(app.url(&format!(
            "/clients/list?client_id={my_owner}&client_secret={my_secret}"
        ))))
        .await;
    assert_eq!(faulted["code"], 510);
    let faulted = read(
        app.http
            .get(app.url(&format!("/config/{mine}/clients")))
            .header("authorization", basic(&my_owner, &my_secret)),
    )
    .await;
    assert_eq!(faulted.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(pending(&app).await, 1);
    // A rule for an application that does not exist is refused; one that is deleted goes.
    let refused = read(app.http.post(app.url("/__emulator/faults")).json(
        &json!({"path": "/clients/*", "status": 503, "app_id": "nosuchapp00000000000000001"}),
    ))
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.body["error"],
        "app_id: no application nosuchapp00000000000000001"
    );
    let deleted = read(
        app.http
            .delete(app.url(&format!("/__emulator/apps/{mine}"))),
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(pending(&app).await, 0);
}

/// Each of 64 applications gives a client a new secret with an hour's grace; half of them move
/// their own clock past the hour, in steps, in parallel: each sees exactly its own grace end.
#[tokio::test]
async fn applications_move_their_own_clocks_in_parallel() {
    let app = spawn_app().await;
    let mut tasks = Vec::new();
    for n in 0..64 {
        let (id, owner, secret, _) = new_app(&app, None).await;
        let http = app.http.clone();
        let base = app.url("");
        tasks.push(tokio::spawn(async move {
            let moves = n % 2 == 0;
            let auth = basic(&owner, &secret);
            let rotated = read(
                http.put(format!("{base}/config/{id}/clients/{owner}/secret"))
                    .header("authorization", &auth)
                    .json(&json!({"hoursToLive": 1})),
            )
            .await;
            assert_eq!(rotated.status, StatusCode::OK, "{:?}", rotated.body);
            let old = auth;
            let list = |auth: String| {
                let http = http.clone();
                let url = format!("{base}/config/{id}/clients");
                async move {
                    read(http.get(url).header("authorization", auth))
                        .await
                        .status
                }
            };
            let clock = format!("{base}/__emulator/apps/{id}/clock");
            if moves {
                let moved = read(http.post(&clock).json(&json!({"advance_secs": 3599}))).await;
                assert_eq!(moved.body["system"], false);
                assert_eq!(
                    list(old.clone()).await,
                    StatusCode::OK,
                    "{n}: within the hour"
                );
                read(http.post(&clock).json(&json!({"advance_secs": 2}))).await;
                assert_eq!(
                    list(old.clone()).await,
                    StatusCode::UNAUTHORIZED,
                    "{n}: past it"
                );
                let back = read(http.post(&clock).json(&json!({"system": true}))).await;
                assert_eq!(back.body["system"], true);
                assert_eq!(
                    list(old).await,
                    StatusCode::OK,
                    "{n}: back on the emulator's clock"
                );
            } else {
                let shown = read(http.get(&clock)).await;
                assert_eq!(shown.body["system"], true);
                assert_eq!(
                    list(old).await,
                    StatusCode::OK,
                    "{n}: its clock did not move"
                );
            }
        }));
    }
    for task in tasks {
        task.await.expect("an application's task");
    }
    // The emulator's own clock did not move.
    let shown = read(app.http.get(app.url("/__emulator/clock"))).await;
    assert_eq!(shown.body["system"], true);
}

#[tokio::test]
async fn an_application_clock_follows_the_emulators_unless_frozen_and_stamps_its_journal() {
    let app = spawn_app().await;
    let (id, owner, secret, _) = new_app(&app, None).await;
    let clock = app.url(&format!("/__emulator/apps/{id}/clock"));
    let set = read(
        app.http
            .post(&clock)
            .json(&json!({"set": "2031-05-01T00:00:00Z", "freeze": true})),
    )
    .await;
    assert_eq!(set.body["now"], "2031-05-01T00:00:00Z");
    assert_eq!(set.body["frozen"], true);
    // Moving the emulator's clock leaves a frozen application where it stands.
    read(
        app.http
            .post(app.url("/__emulator/clock"))
            .json(&json!({"advance_secs": 100})),
    )
    .await;
    assert_eq!(
        read(app.http.get(&clock)).await.body["now"],
        "2031-05-01T00:00:00Z"
    );
    read(
        app.http
            .get(app.url(&format!("/config/{id}/clients")))
            .header("authorization", basic(&owner, &secret)),
    )
    .await;
    let entries = read(
        app.http
            .get(app.url(&format!("/__emulator/requests?app_id={id}"))),
    )
    .await;
    assert_eq!(entries.body[0]["time"], "2031-05-01T00:00:00Z");
    // Thawed, it runs on from its own instant and follows the emulator's moves.
    read(app.http.post(&clock).json(&json!({"freeze": false}))).await;
    read(
        app.http
            .post(app.url("/__emulator/clock"))
            .json(&json!({"advance_secs": 3600})),
    )
    .await;
    assert_eq!(
        read(app.http.get(&clock)).await.body["now"],
        "2031-05-01T01:00:00Z"
    );
    let unknown = read(
        app.http
            .get(app.url("/__emulator/apps/nosuchapp00000000000000001/clock")),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let bad = read(app.http.post(&clock).json(&json!({"advance_secs": -1}))).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_busy_neighbour_leaves_an_applications_journal_in_place() {
    let app = spawn_app().await;
    let (quiet, q_owner, q_secret, _) = new_app(&app, None).await;
    let (busy, b_owner, b_secret, _) = new_app(&app, None).await;
    let mine = read(
        app.http
            .get(app.url(&format!("/config/{quiet}/clients")))
            .header("authorization", basic(&q_owner, &q_secret)),
    )
    .await;
    let my_id = mine.request_id.clone().expect("a request id");
    let url = app.url(&format!("/config/{busy}/clients"));
    let auth = basic(&b_owner, &b_secret);
    for _ in 0..1_100 {
        let status = app
            .http
            .get(&url)
            .header("authorization", &auth)
            .send()
            .await
            .expect("sent")
            .status();
        assert_eq!(status, StatusCode::OK);
    }
    let kept = read(
        app.http
            .get(app.url(&format!("/__emulator/requests?app_id={quiet}"))),
    )
    .await;
    assert_eq!(kept.body.as_array().expect("entries").len(), 1);
    assert_eq!(kept.body[0]["request_id"], my_id.as_str());
    let busy_kept = read(
        app.http
            .get(app.url(&format!("/__emulator/requests?app_id={busy}"))),
    )
    .await;
    assert_eq!(busy_kept.body.as_array().expect("entries").len(), 1_000);
}

#[tokio::test]
async fn the_journal_filters_by_path_method_and_since_and_waits_for_entries() {
    let app = spawn_app().await;
    let (id, owner, secret, _) = new_app(&app, None).await;
    let auth = basic(&owner, &secret);
    let first = read(
        app.http
            .get(app.url(&format!("/config/{id}/clients")))
            .header("authorization", &auth),
    )
    .await;
    let since = first.request_id.expect("id");
    app.legacy_send(
        app.http
            .post(app.url("/clients/list"))
            .header("authorization", &auth),
    )
    .await;
    read(
        app.http
            .post(app.url(&format!("/config/{id}/clients")))
            .header("authorization", &auth)
            .json(&json!({"name": "made"})),
    )
    .await;
    let paths = |body: &Value| -> Vec<String> {
        body.as_array()
            .expect("entries")
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e["method"].as_str().unwrap_or(""),
                    e["path"].as_str().unwrap_or("")
                )
            })
            .collect()
    };
    let query = |q: &str| app.url(&format!("/__emulator/requests?app_id={id}&{q}"));
    let prefix = read(app.http.get(query("path=/config/*"))).await;
    assert_eq!(
        paths(&prefix.body),
        [
            format!("POST /config/{id}/clients"),
            format!("GET /config/{id}/clients")
        ]
    );
    let posts = read(app.http.get(query("method=post"))).await;
    assert_eq!(
        paths(&posts.body),
        [
            format!("POST /config/{id}/clients"),
            "POST /clients/list".to_owned()
        ]
    );
    let after = read(app.http.get(query(&format!("since={since}")))).await;
    assert_eq!(after.body.as_array().expect("entries").len(), 2);
    let gone = read(app.http.get(query("since=nosuchrequestid0"))).await;
    assert_eq!(gone.status, StatusCode::BAD_REQUEST);
    let bad = read(app.http.get(query("path=clients"))).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    // The long-poll: answered as soon as the call it waits for arrives.
    let waiting = {
        let http = app.http.clone();
        let url = query("path=/clients/add&wait_ms=10000");
        tokio::spawn(async move { read(http.get(url)).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = std::time::Instant::now();
    app.legacy_send(
        app.http
            .post(app.url("/clients/add"))
            .header("authorization", &auth)
            .form(&[("description", "from a background job")]),
    )
    .await;
    let woken = waiting.await.expect("the long-poll");
    assert_eq!(paths(&woken.body), ["POST /clients/add"]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "woken by the call"
    );
    // Without enough entries, it answers what there is when the wait ends.
    let short = read(app.http.get(query("path=/clients/add&wait_ms=100&min=2"))).await;
    assert_eq!(short.status, StatusCode::OK);
    assert_eq!(short.body.as_array().expect("entries").len(), 1);
    let refused = read(app.http.get(query("min=2"))).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
}

/// The signature window follows the application's clock: a request signed with the emulator's
/// time is refused once the application's clock stands an hour apart, and only there.
#[tokio::test]
async fn the_signature_window_follows_the_applications_clock() {
    let app = spawn_app().await;
    let (id, owner, secret, _) = new_app(&app, None).await;
    let now = read(app.http.get(app.url("/__emulator/clock"))).await.body["now"]
        .as_str()
        .expect("now")
        .to_owned();
    let at = time::OffsetDateTime::parse(&now, &time::format_description::well_known::Rfc3339)
        .expect("rfc 3339");
    let date = crate::helpers::date_header(at.into());
    let signed = |owner: &str, secret: &str| {
        let mut request = app.http.post(app.url("/clients/list"));
        for (name, value) in
            crate::helpers::signed_headers("/clients/list", &[], owner, secret, &date)
        {
            request = request.header(name, value);
        }
        request
    };
    assert_eq!(app.legacy_send(signed(&owner, &secret)).await["stat"], "ok");
    read(
        app.http
            .post(app.url(&format!("/__emulator/apps/{id}/clock")))
            .json(&json!({"advance_secs": 3600})),
    )
    .await;
    let refused = app.legacy_send(signed(&owner, &secret)).await;
    assert_eq!(refused["code"], 402, "{refused}");
    // The default application's clock did not move: the same date is fine there.
    assert_eq!(
        app.legacy_send(signed(
            janrain_emulator::config::DEFAULT_OWNER_CLIENT_ID,
            janrain_emulator::config::DEFAULT_OWNER_CLIENT_SECRET
        ))
        .await["stat"],
        "ok"
    );
}
