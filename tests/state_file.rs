//! `--state-file`: state survives restarts and `kill -9`, and a file that is not ours is refused
//! untouched.

mod support;

use support::FetchJson as _;

use std::collections::HashSet;
use std::path::Path;

use janrain_emulator::config::{
    DEFAULT_APP_ID, DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Running, client_names, run, start_with_state_file, stop};

fn clients_url(running: &Running) -> String {
    format!("{}/config/{DEFAULT_APP_ID}/clients", running.base)
}

async fn snapshot(http: &reqwest::Client, running: &Running) -> Value {
    http.get(format!("{}/__emulator/snapshot", running.base))
        .fetch_json()
        .await
}

#[tokio::test]
async fn every_kind_of_change_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("state.db");
    let http = reqwest::Client::new();
    let running = start_with_state_file(&path);
    let owner = |request: reqwest::RequestBuilder| {
        request.basic_auth(DEFAULT_OWNER_CLIENT_ID, Some(DEFAULT_OWNER_CLIENT_SECRET))
    };
    let made: Value = owner(http.post(clients_url(&running)))
        .json(
            &json!({"name": "kept", "features": ["direct_access"], "ipWhitelist": ["10.0.0.0/8"]}),
        )
        .fetch_json()
        .await;
    let id = made["_id"].as_str().expect("id");
    for (path, form) in [
        ("/clients/add", vec![("description", "doomed")]),
        (
            "/clients/set_description",
            vec![("for_client_id", id), ("description", "renamed")],
        ),
        (
            "/clients/reset_secret",
            vec![("for_client_id", id), ("hours_to_live", "24")],
        ),
    ] {
        let body: Value = owner(http.post(format!("{}{path}", running.base)))
            .form(&form)
            .fetch_json()
            .await;
        assert_eq!(body["stat"], "ok", "{path}: {body}");
    }
    let doomed = snapshot(&http, &running).await["apps"][0]["clients"][2]["_id"].clone();
    let status = owner(http.delete(format!(
        "{}/{}",
        clients_url(&running),
        doomed.as_str().expect("id")
    )))
    .send()
    .await
    .expect("sent")
    .status();
    assert_eq!(status, StatusCode::NO_CONTENT);
    let settings = owner(http.put(format!("{}/{id}/settings", clients_url(&running))))
        .json(&json!({"site_name": "Demo"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(settings.status(), StatusCode::OK);
    for (path, form) in [
        (
            "/settings/set_default_multi",
            vec![("items", r#"{"login_attempts": "5", "gone": "x"}"#)],
        ),
        ("/settings/delete_default", vec![("key", "gone")]),
        (
            "/settings/set",
            vec![("for_client_id", id), ("key", "rpx_realm"), ("value", "r")],
        ),
        (
            "/settings/set",
            vec![
                ("for_client_id", id),
                ("key", "site_name"),
                ("value", "Again"),
            ],
        ),
    ] {
        let body: Value = owner(http.post(format!("{}{path}", running.base)))
            .form(&form)
            .fetch_json()
            .await;
        assert_eq!(body["stat"], "ok", "{path}: {body}");
    }
    let before = snapshot(&http, &running).await;
    assert_eq!(
        before["apps"][0]["settings"],
        json!({"login_attempts": "5"}),
        "{before}"
    );
    let kept = &before["apps"][0]["clients"][1];
    assert_eq!(
        kept["settings"],
        json!({"site_name": "Again", "rpx_realm": "r"}),
        "an overwritten key keeps its place: {before}"
    );
    assert_eq!(kept["name"], "renamed");
    assert!(kept["_previousSecret"]["secret"].is_string(), "{before}");
    assert!(stop(running).success());

    let running = start_with_state_file(&path);
    assert_eq!(snapshot(&http, &running).await, before);
    // The file is a plain SQLite database.
    let db = rusqlite::Connection::open(&path).expect("opens");
    let names: Vec<String> = db
        .prepare("SELECT name FROM clients ORDER BY seq")
        .expect("query")
        .query_map([], |row| row.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("names");
    assert_eq!(names, ["Emulator owner client", "renamed"]);
    // Reset goes back to the bootstrapped state, in the file too.
    let status = http
        .post(format!("{}/__emulator/reset", running.base))
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(status, StatusCode::OK);
    assert!(stop(running).success());
    let running = start_with_state_file(&path);
    let after_reset = snapshot(&http, &running).await;
    assert_eq!(
        after_reset["apps"][0]["clients"]
            .as_array()
            .expect("clients")
            .len(),
        1
    );
    assert!(stop(running).success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_creates_survive_kill_9() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("state.db");
    let http = reqwest::Client::new();
    let mut acknowledged: HashSet<String> = HashSet::new();
    for round in 0..3 {
        let mut running = start_with_state_file(&path);
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<String>();
        let mut writers = tokio::task::JoinSet::new();
        for writer in 0..8 {
            let (http, url, sender) = (http.clone(), clients_url(&running), sender.clone());
            writers.spawn(async move {
                // Bounded: each writer stops at its 2,000th create or its first failed request.
                for n in 0..2000 {
                    let reply = http
                        .post(&url)
                        .basic_auth(DEFAULT_OWNER_CLIENT_ID, Some(DEFAULT_OWNER_CLIENT_SECRET))
                        .json(&json!({"name": format!("r{round}w{writer}n{n}")}))
                        .send()
                        .await;
                    let Ok(reply) = reply else { return };
                    if reply.status() != StatusCode::CREATED {
                        return;
                    }
                    let Ok(body) = reply.json::<Value>().await else {
                        return;
                    };
                    if sender
                        .send(body["_id"].as_str().unwrap_or_default().to_owned())
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
        drop(sender);
        // Kill mid-run, once this round has some acknowledged creates.
        let mut this_round = 0;
        while this_round < 150 {
            let Some(id) = receiver.recv().await else {
                break;
            };
            acknowledged.insert(id);
            this_round += 1;
        }
        // A round whose writers all failed before 150 acknowledgements would prove nothing.
        assert_eq!(
            this_round, 150,
            "round {round}: too few creates were acknowledged"
        );
        running.child.kill().expect("SIGKILL sent");
        running.child.wait().expect("reaped");
        // Responses that arrived before the kill count as acknowledged too.
        while let Some(id) = receiver.recv().await {
            acknowledged.insert(id);
        }
        writers.join_all().await;

        let running = start_with_state_file(&path);
        let listed: Value = http
            .get(clients_url(&running))
            .basic_auth(DEFAULT_OWNER_CLIENT_ID, Some(DEFAULT_OWNER_CLIENT_SECRET))
            .fetch_json()
            .await;
        let stored: HashSet<String> = listed
            .as_array()
            .expect("array")
            .iter()
            .map(|c| c["_id"].as_str().expect("id").to_owned())
            .collect();
        let lost: Vec<_> = acknowledged.difference(&stored).collect();
        assert!(
            lost.is_empty(),
            "round {round}: lost {} acknowledged creates",
            lost.len()
        );
        assert!(stop(running).success());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_settings_survive_kill_9() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("state.db");
    let http = reqwest::Client::new();
    let mut running = start_with_state_file(&path);
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<String>();
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..4 {
        let (http, base, sender) = (http.clone(), running.base.clone(), sender.clone());
        writers.spawn(async move {
            // Bounded: 200 keys per writer, 800 in all (under the limit of one level).
            for n in 0..200 {
                let key = format!("w{writer}n{n}");
                let reply = http
                    .post(format!("{base}/settings/set_default"))
                    .basic_auth(DEFAULT_OWNER_CLIENT_ID, Some(DEFAULT_OWNER_CLIENT_SECRET))
                    .form(&[("key", key.as_str()), ("value", "v")])
                    .send()
                    .await;
                let Ok(reply) = reply else { return };
                let Ok(body) = reply.json::<Value>().await else {
                    return;
                };
                if body["stat"] != "ok" || sender.send(key).is_err() {
                    return;
                }
            }
        });
    }
    drop(sender);
    let mut acknowledged = HashSet::new();
    while acknowledged.len() < 150 {
        let Some(key) = receiver.recv().await else {
            break;
        };
        acknowledged.insert(key);
    }
    assert_eq!(acknowledged.len(), 150, "too few writes were acknowledged");
    running.child.kill().expect("SIGKILL sent");
    running.child.wait().expect("reaped");
    while let Some(key) = receiver.recv().await {
        acknowledged.insert(key);
    }
    writers.join_all().await;

    let running = start_with_state_file(&path);
    let stored = snapshot(&http, &running).await["apps"][0]["settings"].clone();
    let stored = stored.as_object().expect("defaults kept");
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|key| !stored.contains_key(*key))
        .collect();
    assert!(lost.is_empty(), "lost {} acknowledged settings", lost.len());
    assert!(stop(running).success());
}

#[tokio::test]
async fn a_layout_1_file_is_brought_to_layout_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("old.db");
    {
        // A file as the emulator wrote it before settings had a table of their own.
        let db = rusqlite::Connection::open(&path).expect("created");
        db.execute_batch(&format!(
            "CREATE TABLE apps (seq INTEGER PRIMARY KEY, app_id TEXT NOT NULL UNIQUE, \
               capture_domains TEXT NOT NULL);
             CREATE TABLE clients (app_id TEXT NOT NULL REFERENCES apps (app_id) ON DELETE CASCADE,
               client_id TEXT NOT NULL, seq INTEGER NOT NULL, secret TEXT NOT NULL,
               previous_secret TEXT, previous_expires_ns INTEGER, name TEXT NOT NULL,
               features TEXT NOT NULL, whitelist TEXT NOT NULL, settings TEXT NOT NULL,
               PRIMARY KEY (app_id, client_id));
             CREATE INDEX clients_in_order ON clients (app_id, seq);
             INSERT INTO apps VALUES (0, '{DEFAULT_APP_ID}', '[]');
             INSERT INTO clients VALUES ('{DEFAULT_APP_ID}', '{DEFAULT_OWNER_CLIENT_ID}', 0,
               '{DEFAULT_OWNER_CLIENT_SECRET}', NULL, NULL, 'Emulator owner client', '[\"owner\"]',
               '[\"0.0.0.0/0\"]', '{{\"site_name\": \"Demo\", \"n\": 10, \"on\": true}}');
             PRAGMA application_id = {};
             PRAGMA user_version = 1;",
            0x4a41_4e45
        ))
        .expect("filled");
    }
    let http = reqwest::Client::new();
    let running = start_with_state_file(&path);
    let state = snapshot(&http, &running).await;
    assert_eq!(
        state["apps"][0]["clients"][0]["settings"],
        json!({"site_name": "Demo", "n": 10, "on": true}),
        "{state}"
    );
    assert!(stop(running).success());
    let db = rusqlite::Connection::open(&path).expect("opens");
    let version: i64 = db
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .expect("version");
    assert_eq!(version, 2);
}

fn refused(path: &Path) -> String {
    let output = run(&[
        "--listen",
        "127.0.0.1:0",
        "--state-file",
        path.to_str().expect("utf-8"),
    ]);
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "it never listened");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_file_that_is_not_a_state_file_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let garbage = dir.path().join("notes.txt");
    std::fs::write(&garbage, "these are my notes, not a database\n".repeat(200)).expect("written");
    let before = std::fs::read(&garbage).expect("read");
    let stderr = refused(&garbage);
    assert!(
        stderr.contains(&format!(
            "state file {}: is not a readable SQLite database",
            garbage.display()
        )),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&garbage).expect("read"), before);

    let foreign = dir.path().join("other.db");
    {
        let db = rusqlite::Connection::open(&foreign).expect("created");
        db.execute_batch("CREATE TABLE accounts (id INTEGER); INSERT INTO accounts VALUES (1);")
            .expect("filled");
    }
    let before = std::fs::read(&foreign).expect("read");
    let stderr = refused(&foreign);
    assert!(
        stderr.contains("is an SQLite database, but not a janrain-emulator state file"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&foreign).expect("read"), before);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("listed")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        2,
        "no journal or WAL file left behind: {leftovers:?}"
    );
}

#[tokio::test]
async fn applications_made_at_run_time_are_kept_and_deleted_in_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("state.db");
    let http = reqwest::Client::new();
    let running = start_with_state_file(&path);
    let mut made = Vec::new();
    for _ in 0..3 {
        let app: Value = http
            .post(format!("{}/__emulator/apps", running.base))
            .fetch_json()
            .await;
        made.push(app);
    }
    let doomed = made[1]["app_id"].as_str().expect("id").to_owned();
    let status = http
        .delete(format!("{}/__emulator/apps/{doomed}", running.base))
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(status, StatusCode::NO_CONTENT);
    let before = snapshot(&http, &running).await;
    assert!(stop(running).success());

    let running = start_with_state_file(&path);
    assert_eq!(snapshot(&http, &running).await, before);
    // A new application after a deleted one takes a place of its own in the file's order.
    let late: Value = http
        .post(format!("{}/__emulator/apps", running.base))
        .fetch_json()
        .await;
    let kept = &made[2];
    let listed: Value = http
        .post(format!("{}/clients/list", running.base))
        .basic_auth(
            kept["owner_client_id"].as_str().expect("id"),
            Some(kept["owner_client_secret"].as_str().expect("secret")),
        )
        .fetch_json()
        .await;
    assert_eq!(
        listed["stat"], "ok",
        "its owner still authenticates: {listed}"
    );
    let after = snapshot(&http, &running).await;
    assert!(stop(running).success());
    let running = start_with_state_file(&path);
    let ids: Vec<Value> = snapshot(&http, &running).await["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .map(|app| app["app_id"].clone())
        .collect();
    let expected: Vec<Value> = after["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .map(|app| app["app_id"].clone())
        .collect();
    assert_eq!(ids, expected);
    assert_eq!(ids.last(), Some(&late["app_id"]));
    assert!(!ids.contains(&Value::String(doomed)));
    assert!(stop(running).success());
}

#[tokio::test]
async fn a_client_made_after_a_restart_goes_last_though_others_were_deleted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("state.db");
    let http = reqwest::Client::new();
    let owner = |request: reqwest::RequestBuilder| {
        request.basic_auth(DEFAULT_OWNER_CLIENT_ID, Some(DEFAULT_OWNER_CLIENT_SECRET))
    };
    let running = start_with_state_file(&path);
    let mut ids = Vec::new();
    for name in ["a", "b", "c"] {
        let made: Value = owner(http.post(clients_url(&running)))
            .json(&json!({"name": name}))
            .fetch_json()
            .await;
        ids.push(made["_id"].as_str().expect("id").to_owned());
    }
    for id in &ids[..2] {
        owner(http.delete(format!("{}/{id}", clients_url(&running))))
            .send()
            .await
            .expect("sent");
    }
    assert!(stop(running).success());
    let running = start_with_state_file(&path);
    let _: Value = owner(http.post(clients_url(&running)))
        .json(&json!({"name": "d"}))
        .fetch_json()
        .await;
    assert!(stop(running).success());
    let running = start_with_state_file(&path);
    assert_eq!(
        client_names(&http, &running).await,
        ["Emulator owner client", "c", "d"]
    );
    assert!(stop(running).success());
}

/// Runs the binary and waits at most 10 s for it to exit: one that starts serving instead is
/// killed, and the test fails.
fn run_expecting_exit(args: &[&str]) -> std::process::Output {
    let mut child = std::process::Command::new(support::BINARY)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("binary starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} did not exit: it serves");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.wait_with_output().expect("output")
}

/// The bytes of the state file and of its write-ahead log.
fn file_bytes(path: &Path) -> (Vec<u8>, Option<Vec<u8>>) {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    (
        std::fs::read(path).expect("state file read"),
        std::fs::read(Path::new(&wal)).ok(),
    )
}

async fn create(http: &reqwest::Client, running: &Running, name: &str) -> String {
    let reply = http
        .post(clients_url(running))
        .basic_auth(DEFAULT_OWNER_CLIENT_ID, Some(DEFAULT_OWNER_CLIENT_SECRET))
        .json(&json!({ "name": name }))
        .send()
        .await
        .expect("sent");
    assert_eq!(reply.status(), StatusCode::CREATED, "create {name}");
    let body: Value = reply.json().await.expect("body");
    body["_id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn a_second_emulator_on_a_held_state_file_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("state.db");
    let http = reqwest::Client::new();
    let first = start_with_state_file(&path);
    create(&http, &first, "before the second").await;
    let before = file_bytes(&path);

    // By its own name, and through a symbolic link to it: one lock for one file.
    let link = dir.path().join("link.db");
    std::os::unix::fs::symlink(&path, &link).expect("symlink");
    for name in [&path, &link] {
        let output = run_expecting_exit(&[
            "--listen",
            "127.0.0.1:0",
            "--state-file",
            name.to_str().expect("utf-8"),
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(output.stdout.is_empty(), "it never listened");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.contains(&format!("state file {}", name.display()))
                && stderr.contains(&format!(
                    "is in use by another process (pid {})",
                    first.child.id()
                )),
            "{stderr}"
        );
    }
    assert_eq!(
        file_bytes(&path),
        before,
        "the refused emulator changed the file"
    );

    // The first one still serves, and writes.
    create(&http, &first, "after the second").await;
    assert!(stop(first).success());
    let reopened = start_with_state_file(&path);
    assert_eq!(
        client_names(&http, &reopened).await,
        [
            "Emulator owner client",
            "before the second",
            "after the second"
        ]
    );
    assert!(stop(reopened).success());
}

#[tokio::test]
async fn the_lock_dies_with_a_killed_emulator() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("state.db");
    let lock = dir.path().join("state.db.lock");
    let http = reqwest::Client::new();
    let mut killed = start_with_state_file(&path);
    create(&http, &killed, "acknowledged").await;
    let killed_pid = killed.child.id();
    assert_eq!(
        std::fs::read_to_string(&lock).expect("lock file").trim(),
        killed_pid.to_string()
    );
    killed.child.kill().expect("SIGKILL sent");
    killed.child.wait().expect("reaped");

    // At once: the lock file is still there, naming the dead process, and holds nothing back.
    let next = start_with_state_file(&path);
    assert_eq!(
        client_names(&http, &next).await,
        ["Emulator owner client", "acknowledged"]
    );
    assert_eq!(
        std::fs::read_to_string(&lock).expect("lock file").trim(),
        next.child.id().to_string()
    );
    create(&http, &next, "written by the next").await;
    assert!(stop(next).success());
}
