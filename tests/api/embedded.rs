//! The library handle: isolated instances, seeding through the store, shutdown.

use janrain_emulator::model::{
    Client, ClientId, ClientName, ClientSecret, Feature, Features, Whitelist,
};
use janrain_emulator::{Config, Emulator};
use serde_json::json;

use crate::helpers::{basic, read};

#[tokio::test]
async fn instances_are_isolated_and_seedable() {
    let (one, two) = (
        Emulator::start(Config::default()).await.expect("starts"),
        Emulator::start(Config::default()).await.expect("starts"),
    );
    assert_ne!(one.uri(), two.uri());
    let seeded = Client {
        id: ClientId::parse("seededowner").expect("id"),
        secret: ClientSecret::new("seededsecret").expect("secret"),
        previous_secret: None,
        name: ClientName::parse("seeded").expect("name"),
        features: Features::stored([Feature::Owner]),
        whitelist: Whitelist::allow_all(),
        settings: Default::default(),
    };
    one.store()
        .insert_client(one.app_id(), seeded)
        .expect("seeded");
    let http = reqwest::Client::new();
    let list = |emulator: &Emulator| {
        read(
            http.get(format!(
                "{}/config/{}/clients",
                emulator.uri(),
                emulator.app_id()
            ))
            .header("authorization", basic("seededowner", "seededsecret")),
        )
    };
    assert_eq!(list(&one).await.body[1]["name"], json!("seeded"));
    assert_eq!(list(&two).await.status, reqwest::StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn shutdown_closes_the_port() {
    let emulator = Emulator::start(Config::default()).await.expect("starts");
    let health = format!("{}/__emulator/health", emulator.uri());
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    assert!(http.get(&health).send().await.is_ok());
    emulator.shutdown().await;
    assert!(
        http.get(&health).send().await.is_err(),
        "nothing listens any more"
    );
}

/// Code under test that builds Janrain's real URLs reaches an embedded emulator with two
/// settings of its HTTP client: the proxy URL and the root certificate.
#[tokio::test]
async fn the_handle_gives_the_proxy_and_the_root_for_code_that_names_the_real_hosts() {
    let emulator = Emulator::start(Config::default()).await.expect("starts");
    let mine = emulator.new_app().expect("an application");
    let pem = emulator.ca_pem().expect("a root");
    assert_eq!(emulator.ca_pem().expect("the same root"), pem);
    let http = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).expect("pem"))
        .proxy(reqwest::Proxy::all(emulator.proxy_url()).expect("proxy"))
        .build()
        .expect("client");
    let listed = read(
        http.get(format!(
            "https://v1.api.eu.janrain.com/config/{}/clients",
            mine.app_id
        ))
        .header(
            "authorization",
            basic(&mine.owner_client_id, &mine.owner_client_secret),
        ),
    )
    .await;
    assert_eq!(listed.status, reqwest::StatusCode::OK);
    assert_eq!(listed.body[0]["_id"], mine.owner_client_id.as_str());
    let legacy = read(
        http.post("https://anyrealm.janraincapture.com/clients/list")
            .header(
                "authorization",
                basic(&mine.owner_client_id, &mine.owner_client_secret),
            ),
    )
    .await;
    assert_eq!(legacy.body["stat"], "ok");
    emulator.shutdown().await;
}

/// An application's clock moves alone, through its handle: its secret's grace period ends, the
/// emulator's and the other applications' do not.
#[tokio::test]
async fn an_app_handle_moves_its_own_clock() {
    let emulator = Emulator::start(Config::default()).await.expect("starts");
    let (mine, other) = (
        emulator.new_app().expect("an application"),
        emulator.new_app().expect("another"),
    );
    let http = reqwest::Client::new();
    let rotate_then_list = |app: &janrain_emulator::AppHandle| {
        let http = http.clone();
        let app = app.clone();
        async move {
            let auth = basic(&app.owner_client_id, &app.owner_client_secret);
            let rotated = read(
                http.put(format!(
                    "{}/clients/{}/secret",
                    app.config_base_url, app.owner_client_id
                ))
                .header("authorization", &auth)
                .json(&json!({"hoursToLive": 1})),
            )
            .await;
            assert_eq!(rotated.status, reqwest::StatusCode::OK);
            auth
        }
    };
    let (old_mine, old_other) = (
        rotate_then_list(&mine).await,
        rotate_then_list(&other).await,
    );
    let reading = mine
        .advance_clock(std::time::Duration::from_secs(3601))
        .expect("moved");
    assert!(!reading.system);
    let status = |app: &janrain_emulator::AppHandle, auth: &str| {
        read(
            http.get(format!("{}/clients", app.config_base_url))
                .header("authorization", auth),
        )
    };
    assert_eq!(
        status(&mine, &old_mine).await.status,
        reqwest::StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status(&other, &old_other).await.status,
        reqwest::StatusCode::OK
    );
    assert!(emulator.clock().reading().system);
    assert!(other.clock().expect("read").system);
    mine.follow_emulator_clock().expect("back");
    assert_eq!(
        status(&mine, &old_mine).await.status,
        reqwest::StatusCode::OK
    );
    emulator.shutdown().await;
}
