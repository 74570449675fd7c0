//! My service against the Janrain emulator, in a container of its image.

use janrain_emulator::testcontainers::JanrainEmulator;

#[tokio::test]
async fn my_code_against_the_emulator() -> Result<(), Box<dyn std::error::Error>> {
    // The image named by JANRAIN_EMULATOR_IMAGE, else ghcr.io/OWNER/janrain-emulator:latest.
    let janrain = JanrainEmulator::default().with_seed(1).run().await?;
    let owner = janrain.owner().await?;
    let added: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/clients/add", janrain.uri()))
        .basic_auth(&owner.client_id, Some(&owner.client_secret))
        .form(&[("description", "my service")])
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(added["stat"], "ok");
    let app = janrain.new_app().await?; // an application of its own, as the pytest plugin gives
    assert_ne!(app.app_id, janrain.app_id());
    Ok(())
}
