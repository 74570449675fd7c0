//! The store's invariants under interleaving: several owners changing each other, and each other's
//! clients, at the same moment, through both families. After every round: the application still
//! has an owner, client ids are unique, names are unique (every name here comes from the
//! Configuration API, which keeps them so), and no answer is a server error. In memory, and with a
//! state file whose reloaded state is the state that was served.

use std::collections::BTreeSet;
use std::path::Path;

use janrain_emulator::Config;
use janrain_emulator::fixture::Fixture;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, basic, read, spawn_app_with};

const APP: &str = "invariantsapp";
const OWNERS: [(&str, &str); 3] = [
    ("ownerone", "secretone"),
    ("ownertwo", "secrettwo"),
    ("ownerthree", "secretthree"),
];

/// An application whose only owners are `owners`, with a few other clients.
fn fixture(owners: &[(&str, &str)]) -> Fixture {
    let mut clients: Vec<Value> = owners
        .iter()
        .map(
            |(id, secret)| json!({"_id": id, "_secret": secret, "name": id, "features": ["owner"]}),
        )
        .collect();
    for n in 0..4 {
        clients.push(json!({
            "_id": format!("plain{n}"),
            "_secret": format!("plainsecret{n}"),
            "name": format!("plain {n}"),
            "features": ["direct_access"],
        }));
    }
    let document = json!({"apps": [{"app_id": APP, "clients": clients}]});
    Fixture::parse(&document.to_string()).expect("valid fixture")
}

async fn start(owners: &[(&str, &str)], state_file: Option<&Path>) -> TestApp {
    spawn_app_with(Config {
        app_id: APP.into(),
        owner: None,
        fixture: Some(fixture(owners)),
        state_file: state_file.map(Path::to_path_buf),
        ..Config::default()
    })
    .await
}

async fn snapshot(app: &TestApp) -> Value {
    read(app.http.get(app.url("/__emulator/snapshot")))
        .await
        .body
}

async fn reset(app: &TestApp) {
    let reply = read(app.http.post(app.url("/__emulator/reset"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}

/// Checks the invariants on the served state, and returns how many owners it has.
async fn check_invariants(app: &TestApp, round: usize) -> usize {
    let state = snapshot(app).await;
    let clients = state["apps"][0]["clients"].as_array().expect("clients");
    let ids: BTreeSet<&str> = clients
        .iter()
        .map(|c| c["_id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), clients.len(), "round {round}: client ids repeat");
    let names: BTreeSet<&str> = clients
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names.len(), clients.len(), "round {round}: names repeat");
    let owners = clients
        .iter()
        .filter(|c| {
            c["features"]
                .as_array()
                .is_some_and(|f| f.contains(&json!("owner")))
        })
        .count();
    assert!(owners >= 1, "round {round}: no owner left: {state}");
    owners
}

/// Sends each request from its own task, all released at once, and returns the replies in order.
async fn at_once(requests: Vec<reqwest::RequestBuilder>) -> Vec<crate::helpers::Reply> {
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                read(request).await
            })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.expect("request task"));
    }
    replies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_owners_deleting_each_other_leave_one() {
    let owners = &OWNERS[..2];
    let app = start(owners, None).await;
    for round in 0..150 {
        reset(&app).await;
        let delete = |(id, secret): (&str, &str), other: &str| {
            app.http
                .post(app.url("/clients/delete"))
                .header("authorization", basic(id, secret))
                .form(&[("client_id_for_deletion", other)])
        };
        let replies = at_once(vec![
            delete(owners[0], owners[1].0),
            delete(owners[1], owners[0].0),
        ])
        .await;
        let succeeded = replies.iter().filter(|r| r.body["stat"] == "ok").count();
        assert_eq!(succeeded, 1, "round {round}: {replies:?}");
        for reply in &replies {
            assert_eq!(reply.status, StatusCode::OK);
            if reply.body["stat"] == "error" {
                // Refused as the failed authentication it now is.
                assert_eq!(reply.body["code"], 402, "round {round}: {:?}", reply.body);
            }
        }
        assert_eq!(check_invariants(&app, round).await, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_owners_demoting_each_other_leave_one() {
    let owners = &OWNERS[..2];
    let app = start(owners, None).await;
    for round in 0..150 {
        reset(&app).await;
        let demote = |(id, secret): (&str, &str), other: &str| {
            app.http
                .put(format!("{}/{other}", app.clients_url()))
                .header("authorization", basic(id, secret))
                .json(&json!({"name": other, "features": ["direct_access"]}))
        };
        let replies = at_once(vec![
            demote(owners[0], owners[1].0),
            demote(owners[1], owners[0].0),
        ])
        .await;
        let statuses: Vec<StatusCode> = replies.iter().map(|r| r.status).collect();
        assert!(
            statuses.contains(&StatusCode::OK) && statuses.contains(&StatusCode::FORBIDDEN),
            "round {round}: {replies:?}"
        );
        assert_eq!(check_invariants(&app, round).await, 1);
    }
}

/// A tiny deterministic generator, so that a failing round can be replayed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

/// One random operation by owner `who` on one of the application's clients, which must not end
/// in a server error.
async fn random_operation(app: &TestApp, rng: &mut Lcg, who: (&str, &str), round: usize) {
    let targets = [
        "ownerone",
        "ownertwo",
        "ownerthree",
        "plain0",
        "plain1",
        "plain2",
        "plain3",
    ];
    let target = targets[rng.below(targets.len())];
    let auth = basic(who.0, who.1);
    let config = format!("{}/{target}", app.clients_url());
    let name = format!("renamed {round} {}", rng.below(4));
    let (status, body) = match rng.below(7) {
        0 => {
            let body = app
                .legacy_send(
                    app.http
                        .post(app.url("/clients/delete"))
                        .header("authorization", &auth)
                        .form(&[("client_id_for_deletion", target)]),
                )
                .await;
            (StatusCode::OK, body)
        }
        1 => {
            let features = if rng.below(2) == 0 {
                r#"["owner"]"#
            } else {
                r#"["direct_access"]"#
            };
            let body = app
                .legacy_send(
                    app.http
                        .post(app.url("/clients/set_features"))
                        .header("authorization", &auth)
                        .form(&[("for_client_id", target), ("features", features)]),
                )
                .await;
            (StatusCode::OK, body)
        }
        2 => {
            let body = app
                .legacy_send(
                    app.http
                        .post(app.url("/clients/reset_secret"))
                        .header("authorization", &auth)
                        .form(&[("for_client_id", target), ("hours_to_live", "1")]),
                )
                .await;
            (StatusCode::OK, body)
        }
        3 => {
            let features = if rng.below(2) == 0 {
                json!(["owner"])
            } else {
                json!([])
            };
            let reply = read(
                app.http
                    .put(&config)
                    .header("authorization", &auth)
                    .json(&json!({"name": name, "features": features})),
            )
            .await;
            (reply.status, reply.body)
        }
        4 => {
            let reply = read(app.http.delete(&config).header("authorization", &auth)).await;
            (reply.status, reply.body)
        }
        5 => {
            let reply = read(
                app.http
                    .put(format!("{config}/secret"))
                    .header("authorization", &auth)
                    .json(&json!({"hoursToLive": 1})),
            )
            .await;
            (reply.status, reply.body)
        }
        _ => {
            let reply = read(
                app.http
                    .post(app.clients_url())
                    .header("authorization", &auth)
                    .json(&json!({"name": name, "features": ["owner"]})),
            )
            .await;
            (reply.status, reply.body)
        }
    };
    assert!(!status.is_server_error(), "round {round}: {status} {body}");
    if let Some(code) = body.get("code").and_then(Value::as_u64) {
        assert!(code != 500, "round {round}: {body}");
    }
}

/// Rounds of several owners acting at once, with the invariants checked after each.
async fn interleave(app: &TestApp, rounds: usize) {
    for round in 0..rounds {
        reset(app).await;
        let worker = async |index: usize| {
            let mut rng = Lcg((round * 31 + index) as u64);
            for _ in 0..4 {
                random_operation(app, &mut rng, OWNERS[index], round).await;
            }
        };
        tokio::join!(worker(0), worker(1), worker(2));
        check_invariants(app, round).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn interleaved_owners_keep_the_invariants_in_memory() {
    let app = start(&OWNERS, None).await;
    interleave(&app, 40).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn interleaved_owners_keep_the_invariants_in_a_state_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("state.db");
    let app = start(&OWNERS, Some(&path)).await;
    interleave(&app, 25).await;
    let served = snapshot(&app).await;
    app.emulator.shutdown().await;
    // What the file holds is exactly what was served.
    let reloaded = start(&OWNERS, Some(&path)).await;
    assert_eq!(snapshot(&reloaded).await, served);
}
