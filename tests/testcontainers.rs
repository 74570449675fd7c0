//! A new user's Rust tests on the `testcontainers` feature's image, against the image
//! scripts/check-container built (`JANRAIN_EMULATOR_IMAGE`), through a Docker-compatible engine
//! (`DOCKER_HOST`). `cargo test` lists them as ignored, with the reason; the check runs them with
//! `--ignored`.

use janrain_emulator::testcontainers::{ContainerError, Credentials, JanrainEmulator};
use serde_json::{Value, json};

fn image() -> JanrainEmulator {
    let reference = std::env::var("JANRAIN_EMULATOR_IMAGE")
        .expect("JANRAIN_EMULATOR_IMAGE names the image to run (scripts/check-container sets it)");
    JanrainEmulator::new(&reference)
}

async fn legacy(base: &str, owner: &Credentials, call: &str, form: &[(&str, &str)]) -> Value {
    reqwest::Client::new()
        .post(format!("{base}/{call}"))
        .basic_auth(&owner.client_id, Some(&owner.client_secret))
        .form(form)
        .send()
        .await
        .expect("the legacy call is answered")
        .json()
        .await
        .expect("the legacy answer is JSON")
}

#[tokio::test]
#[ignore = "needs a container engine (DOCKER_HOST) and the image (JANRAIN_EMULATOR_IMAGE): scripts/check-container runs it"]
async fn the_default_tenant_answers_both_families() {
    let janrain = image().run().await.expect("the container starts");
    assert!(
        janrain.uri().starts_with("http://127.0.0.1:"),
        "{}",
        janrain.uri()
    );
    let owner = janrain.owner().await.expect("the default owner");
    let added = legacy(
        janrain.legacy_base_url(),
        &owner,
        "clients/add",
        &[("description", "from a container")],
    )
    .await;
    assert_eq!(added["stat"], "ok", "{added}");
    let listed = legacy(janrain.uri(), &owner, "clients/list", &[]).await;
    let names: Vec<&str> = listed["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|c| c["description"].as_str())
        .collect();
    assert_eq!(names, ["Emulator owner client", "from a container"]);
    let config: Value = reqwest::Client::new()
        .get(format!("{}/clients", janrain.config_base_url()))
        .basic_auth(&owner.client_id, Some(&owner.client_secret))
        .send()
        .await
        .expect("the Configuration API answers")
        .json()
        .await
        .expect("its answer is JSON");
    let config_names: Vec<&str> = config
        .as_array()
        .expect("a list of clients")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(config_names, names);
    // Each test may have an application of its own, as Emulator::new_app gives.
    let mine = janrain.new_app().await.expect("a new application");
    assert_ne!(mine.app_id, janrain.app_id());
    let own = legacy(&mine.legacy_base_url, &mine.owner, "clients/list", &[]).await;
    assert_eq!(own["results"].as_array().map(Vec::len), Some(1), "{own}");
    janrain.stop().await.expect("the container is removed");
}

#[tokio::test]
#[ignore = "needs a container engine (DOCKER_HOST) and the image (JANRAIN_EMULATOR_IMAGE): scripts/check-container runs it"]
async fn flags_a_read_only_fixture_a_seed_and_a_control_token() {
    let dir = tempfile::tempdir().expect("a directory for the fixture");
    let fixture = dir.path().join("fixture.json");
    let owner = Credentials {
        client_id: "fixtureowner00000000000000000001".into(),
        client_secret: "fixturesecret0000000000000000001".into(),
    };
    let document = json!({"apps": [{
        "app_id": "fixtureapp0000000000000001",
        "clients": [{
            "_id": owner.client_id, "_secret": owner.client_secret,
            "name": "Fixture owner", "features": ["owner"],
        }],
    }]});
    std::fs::write(&fixture, document.to_string()).expect("the fixture is written");

    let janrain = image()
        .with_seed(7)
        .with_fixture(&fixture)
        .with_control_token("t0ken")
        .run()
        .await
        .expect("the container starts");
    assert_eq!(janrain.app_id(), "fixtureapp0000000000000001");
    // Read once in each run: under --seed, every request draws from the seeded stream, so both
    // runs make the same calls before the client is made.
    assert_eq!(janrain.owner().await.expect("the fixture's owner"), owner);
    let made = legacy(
        janrain.uri(),
        &owner,
        "clients/add",
        &[("description", "seeded")],
    )
    .await;
    assert_eq!(made["stat"], "ok", "{made}");
    // The control plane refuses a caller without the token; the handle carries it.
    let refused = reqwest::get(format!("{}/__emulator/apps", janrain.uri()))
        .await
        .expect("the control plane answers");
    assert_eq!(refused.status(), 401);
    assert!(
        !janrain
            .new_app()
            .await
            .expect("a new application")
            .app_id
            .is_empty()
    );
    // The file is mounted read-only: the emulator could not change it.
    let docker = testcontainers::bollard::Docker::connect_with_defaults().expect("DOCKER_HOST");
    let inspected = docker
        .inspect_container(janrain.container().id(), None)
        .await
        .expect("the container is inspected");
    let rw: Vec<Option<bool>> = inspected
        .mounts
        .unwrap_or_default()
        .iter()
        .filter(|m| m.destination.as_deref() == Some("/fixture/fixture.json"))
        .map(|m| m.rw)
        .collect();
    assert_eq!(rw, [Some(false)]);
    janrain.stop().await.expect("the container is removed");

    // The same seed gives the same generated client again.
    let again = image()
        .with_seed(7)
        .with_fixture(&fixture)
        .run()
        .await
        .expect("the second container starts");
    assert_eq!(again.owner().await.expect("the fixture's owner"), owner);
    let second = legacy(
        again.uri(),
        &owner,
        "clients/add",
        &[("description", "seeded")],
    )
    .await;
    assert_eq!(second["client_id"], made["client_id"]);
    let missing = again
        .control(reqwest::Method::GET, "/apps/no-such-app/snapshot", None)
        .await
        .expect_err("no such application");
    assert!(
        matches!(missing, ContainerError::Refused { status: 404, .. }),
        "{missing}"
    );
    again.stop().await.expect("the container is removed");
}
