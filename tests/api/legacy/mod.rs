//! The legacy Clients and Settings API: its client and settings operations, credentials and
//! `janrain-signed` requests; the helpers its files and the cross-family files share.

mod clients;
mod credentials;
mod settings;
mod signed;

use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Creates a client through the legacy API; returns its id and secret.
pub(crate) async fn add(app: &TestApp, description: &str, features: &str) -> (String, String) {
    let body = app
        .legacy(
            "/clients/add",
            &[("description", description), ("features", features)],
        )
        .await;
    (
        body["client_id"].as_str().expect("id").to_owned(),
        body["client_secret"].as_str().expect("secret").to_owned(),
    )
}

/// The legacy listing entry of `id`.
pub(crate) async fn listed(app: &TestApp, id: &str) -> Option<Value> {
    let body = app.legacy("/clients/list", &[]).await;
    body["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|c| c["client_id"] == id)
        .cloned()
}

pub(crate) fn invalid(body: &Value, argument: &str, description: &str) {
    assert_eq!(
        (
            &body["code"],
            &body["error"],
            &body["argument_name"],
            &body["error_description"]
        ),
        (
            &json!(200),
            &json!("invalid_argument"),
            &json!(argument),
            &json!(description)
        ),
        "{body}"
    );
}

pub(crate) fn missing(body: &Value, argument: &str) {
    assert_eq!(
        (&body["code"], &body["error"], &body["argument_name"]),
        (&json!(100), &json!("missing_argument"), &json!(argument)),
        "{body}"
    );
}
