//! How often a request takes the store's lock, counted through the whole router.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use base64::Engine as _;
use http_body_util::BodyExt as _;

use super::{Layers, build_router_with};
use crate::clock::SystemClock;
use crate::config::{Config, DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET};
use crate::state::ServerState;

/// A legacy `/clients/delete` looks into the store once to find its application and prove its
/// caller (`Store::authenticate`), and once more to find its target and delete it, re-checking
/// the caller in that same lock (`Store::delete_client`). The journal's layer is left out: it
/// takes the lock once more after the answer, to put the entry's time on the application's
/// clock.
#[tokio::test]
async fn a_legacy_delete_takes_the_store_lock_once_to_look_up_and_once_to_change() {
    let state = ServerState::new(Config::default(), Arc::new(SystemClock)).expect("state");
    let router = build_router_with(
        state.clone(),
        Layers {
            observe: false,
            ..Layers::ALL
        },
    );
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{DEFAULT_OWNER_CLIENT_ID}:{DEFAULT_OWNER_CLIENT_SECRET}"
    ));
    let send = |path: &str, form: String| {
        Request::post(path)
            .header("host", "127.0.0.1:8080")
            .header("authorization", format!("Basic {basic}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .expect("request")
    };
    let added = router
        .answer(send("/clients/add", "description=doomed".into()))
        .await;
    let added: serde_json::Value =
        serde_json::from_slice(&added.into_body().collect().await.expect("body").to_bytes())
            .expect("json");
    let doomed = added["client_id"].as_str().expect("an id").to_owned();
    let before = state.store.locks_taken();
    let deleted = router
        .answer(send(
            "/clients/delete",
            format!("client_id_for_deletion={doomed}"),
        ))
        .await;
    let deleted: serde_json::Value = serde_json::from_slice(
        &deleted
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes(),
    )
    .expect("json");
    assert_eq!(deleted["stat"], "ok", "{deleted}");
    assert_eq!(state.store.locks_taken() - before, 2);
}
