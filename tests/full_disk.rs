//! A state file on a full disk: every write that cannot be stored is refused in its family's
//! shape with nothing changed, every acknowledged write survives a restart, and writes work
//! again once there is room.
//!
//! The disk is a small `tmpfs`, so the test needs to mount one: it runs as root on Linux (as
//! the README's test command does in CI) and says that it skips everywhere else.

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use janrain_emulator::config::{
    DEFAULT_APP_ID, DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET,
};
use reqwest::StatusCode;
use serde_json::{Map, Value, json};
use support::{FetchJson as _, Running, start_with_state_file, stop};

/// The size of the file system, and how much of it a file of the test's takes first, so that
/// requests fill the rest quickly.
const DISK: &str = "2m";
const FILLER_BYTES: usize = 1_536 * 1024;

/// A `tmpfs` mounted on a temporary directory, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount() -> Result<Self, String> {
        if !cfg!(target_os = "linux") {
            return Err("a tmpfs is mounted on Linux only".into());
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let output = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={DISK},mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("mount could not run: {e}"))?;
        if output.status.success() {
            Ok(Self { dir })
        } else {
            Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// The writes the test makes, one of each kind in turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// `POST /clients/add`.
    LegacyClient,
    /// `POST /settings/set_default`, a large value.
    LegacyDefault,
    /// `POST /config/{appId}/clients`.
    ConfigClient,
    /// `PUT /config/{appId}/clients/{id}/settings`, a large value more each time.
    ConfigSettings,
    /// `POST /__emulator/apps`.
    ControlApp,
}

const KINDS: [Kind; 5] = [
    Kind::LegacyClient,
    Kind::LegacyDefault,
    Kind::ConfigClient,
    Kind::ConfigSettings,
    Kind::ControlApp,
];

/// What was acknowledged, and what was refused, to be checked against the state after a
/// restart.
#[derive(Debug, Default)]
struct Ledger {
    clients: Vec<String>,
    refused_clients: Vec<String>,
    defaults: Vec<String>,
    refused_defaults: Vec<String>,
    /// The settings of the target client, as the last acknowledged replacement left them.
    target_settings: Map<String, Value>,
    apps: Vec<String>,
    refusals: BTreeMap<Kind, usize>,
}

struct Writer {
    http: reqwest::Client,
    base: String,
    target: String,
    big: String,
}

impl Writer {
    fn owner(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request.basic_auth(DEFAULT_OWNER_CLIENT_ID, Some(DEFAULT_OWNER_CLIENT_SECRET))
    }

    /// Makes write `n` of `kind`; returns whether it was acknowledged. A refusal must be the
    /// family's own answer to a failed write; anything else fails the test.
    async fn write(&self, kind: Kind, n: usize, ledger: &mut Ledger) -> bool {
        let base = &self.base;
        let name = format!("{kind:?}-{n}");
        let reply = match kind {
            Kind::LegacyClient => self
                .owner(self.http.post(format!("{base}/clients/add")))
                .form(&[("description", name.as_str())]),
            Kind::LegacyDefault => self
                .owner(self.http.post(format!("{base}/settings/set_default")))
                .form(&[("key", name.as_str()), ("value", self.big.as_str())]),
            Kind::ConfigClient => self
                .owner(
                    self.http
                        .post(format!("{base}/config/{DEFAULT_APP_ID}/clients")),
                )
                .json(&json!({ "name": name })),
            Kind::ConfigSettings => {
                let mut next = ledger.target_settings.clone();
                next.insert(name.clone(), Value::String(self.big.clone()));
                self.owner(self.http.put(format!(
                    "{base}/config/{DEFAULT_APP_ID}/clients/{}/settings",
                    self.target
                )))
                .json(&next)
            }
            Kind::ControlApp => self.http.post(format!("{base}/__emulator/apps")),
        }
        .send()
        .await
        .expect("answered");
        let status = reply.status();
        let body: Value = reply.json().await.expect("a JSON body");
        let legacy = matches!(kind, Kind::LegacyClient | Kind::LegacyDefault);
        let ok = if legacy {
            assert_eq!(status, StatusCode::OK, "{kind:?}: {body}");
            body["stat"] == "ok"
        } else {
            status.is_success()
        };
        if ok {
            match kind {
                Kind::LegacyClient | Kind::ConfigClient => ledger.clients.push(name),
                Kind::LegacyDefault => ledger.defaults.push(name),
                Kind::ConfigSettings => {
                    ledger
                        .target_settings
                        .insert(name, Value::String(self.big.clone()));
                }
                Kind::ControlApp => ledger
                    .apps
                    .push(body["app_id"].as_str().expect("app_id").to_owned()),
            }
            return true;
        }
        match kind {
            Kind::LegacyClient | Kind::LegacyDefault => {
                assert_eq!(body["stat"], "error", "{body}");
                assert_eq!(body["code"], 500, "{body}");
                assert_eq!(body["error"], "unexpected_error", "{body}");
                assert_eq!(
                    body["error_description"], "an unexpected error occurred; nothing was changed",
                    "{body}"
                );
                assert_eq!(
                    body["request_id"].as_str().map(str::len),
                    Some(16),
                    "{body}"
                );
            }
            Kind::ConfigClient | Kind::ConfigSettings => {
                assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
                assert_eq!(
                    body,
                    json!({"errors": "An unexpected error occurred; nothing was changed."})
                );
            }
            Kind::ControlApp => {
                assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
                let text = body["error"].as_str().unwrap_or_default();
                assert!(
                    text.contains("the state file could not be written") && text.contains("full"),
                    "{body}"
                );
            }
        }
        match kind {
            Kind::LegacyClient | Kind::ConfigClient => ledger.refused_clients.push(name),
            Kind::LegacyDefault => ledger.refused_defaults.push(name),
            Kind::ConfigSettings | Kind::ControlApp => {}
        }
        *ledger.refusals.entry(kind).or_default() += 1;
        false
    }
}

/// Checks the served state against the ledger: everything acknowledged, nothing refused.
async fn check_state(http: &reqwest::Client, running: &Running, target: &str, ledger: &Ledger) {
    let snapshot = http
        .get(format!("{}/__emulator/snapshot", running.base))
        .fetch_json()
        .await;
    let apps = snapshot["apps"].as_array().expect("apps");
    let default = apps
        .iter()
        .find(|app| app["app_id"] == DEFAULT_APP_ID)
        .expect("the default application");
    let names: Vec<&str> = default["clients"]
        .as_array()
        .expect("clients")
        .iter()
        .map(|client| client["name"].as_str().expect("name"))
        .collect();
    for name in &ledger.clients {
        assert!(names.contains(&name.as_str()), "acknowledged {name} lost");
    }
    for name in &ledger.refused_clients {
        assert!(!names.contains(&name.as_str()), "refused {name} stored");
    }
    let defaults = default["settings"].as_object().expect("defaults");
    for key in &ledger.defaults {
        assert!(
            defaults.contains_key(key),
            "acknowledged default {key} lost"
        );
    }
    for key in &ledger.refused_defaults {
        assert!(!defaults.contains_key(key), "refused default {key} stored");
    }
    let target = default["clients"]
        .as_array()
        .expect("clients")
        .iter()
        .find(|client| client["_id"] == target)
        .expect("the target client");
    assert_eq!(
        target["settings"].as_object().expect("settings"),
        &ledger.target_settings,
        "the target's settings are those of the last acknowledged replacement"
    );
    let app_ids: Vec<&str> = apps
        .iter()
        .map(|app| app["app_id"].as_str().expect("id"))
        .collect();
    for app in &ledger.apps {
        assert!(app_ids.contains(&app.as_str()), "acknowledged {app} lost");
    }
    assert_eq!(apps.len(), 1 + ledger.apps.len(), "{app_ids:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_in_each_family_shape_and_loses_nothing() {
    let disk = match Tmpfs::mount() {
        Ok(disk) => disk,
        Err(why) => {
            eprintln!("skipped: cannot mount a tmpfs for the full-disk test ({why})");
            return;
        }
    };
    let state_file = disk.path("state.db");
    let filler = disk.path("filler");
    std::fs::write(&filler, vec![0u8; FILLER_BYTES]).expect("filler written");

    let http = reqwest::Client::new();
    let mut running = start_with_state_file(&state_file);
    let made: Value = http
        .post(format!("{}/config/{DEFAULT_APP_ID}/clients", running.base))
        .basic_auth(DEFAULT_OWNER_CLIENT_ID, Some(DEFAULT_OWNER_CLIENT_SECRET))
        .json(&json!({"name": "target"}))
        .fetch_json()
        .await;
    let target = made["_id"].as_str().expect("id").to_owned();
    let mut ledger = Ledger {
        clients: vec!["target".into()],
        ..Ledger::default()
    };
    let writer = Writer {
        http: http.clone(),
        base: running.base.clone(),
        target: target.clone(),
        big: "x".repeat(8 * 1024),
    };

    // Fill the disk through both families and the control plane, until each kind of write has
    // been refused twice. Bounded: the disk holds a few hundred of these at most.
    let mut n = 0;
    while KINDS
        .iter()
        .any(|kind| ledger.refusals.get(kind).copied().unwrap_or(0) < 2)
    {
        assert!(n < 5_000, "the disk never filled up: {:?}", ledger.refusals);
        let kind = KINDS[n % KINDS.len()];
        writer.write(kind, n, &mut ledger).await;
        n += 1;
    }
    // Each kind had writes acknowledged before the disk filled up (the target is one client).
    assert!(
        ledger.clients.len() >= 3
            && !ledger.defaults.is_empty()
            && !ledger.target_settings.is_empty()
            && !ledger.apps.is_empty(),
        "{ledger:?}"
    );
    eprintln!(
        "disk full after {n} writes: {} clients, {} defaults, {} client settings and {} applications acknowledged; refusals {:?}",
        ledger.clients.len(),
        ledger.defaults.len(),
        ledger.target_settings.len(),
        ledger.apps.len(),
        ledger.refusals
    );
    // Reads go on while the disk is full.
    check_state(&http, &running, &target, &ledger).await;

    // Killed on a full disk, started again on it: everything acknowledged is there.
    running.child.kill().expect("SIGKILL sent");
    running.child.wait().expect("reaped");
    let running = start_with_state_file(&state_file);
    check_state(&http, &running, &target, &ledger).await;

    // Room again: every kind of write works.
    std::fs::remove_file(&filler).expect("filler removed");
    let writer = Writer {
        base: running.base.clone(),
        ..writer
    };
    for kind in KINDS {
        n += 1;
        assert!(
            writer.write(kind, n, &mut ledger).await,
            "{kind:?} refused with room on the disk"
        );
    }
    check_state(&http, &running, &target, &ledger).await;
    assert!(stop(running).success());
    let running = start_with_state_file(&state_file);
    check_state(&http, &running, &target, &ledger).await;
    assert!(stop(running).success());
}
