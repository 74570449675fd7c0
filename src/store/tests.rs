use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::{ClientChange, NameRule, NewClient, Route, Store, StoreError};
use crate::caller::Caller;
use crate::clock::{ClockChange, ManualClock};
use crate::error::{ApiError, CredentialFailure};
use crate::model::{
    AppId, CaptureDomain, Client, ClientId, ClientName, ClientSecret, Feature, Features, Whitelist,
};
use crate::tokens::IdGenerator;

fn domain(host: &str) -> CaptureDomain {
    CaptureDomain::of_host(host).expect("a host name")
}

const LOCAL: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

/// A store with one application and its owner, and that owner as a caller.
fn store_with_app() -> (Store, Caller, ManualClock) {
    let clock = ManualClock::new(SystemTime::now());
    let store = Store::new(IdGenerator::seeded(1), Arc::new(clock.clone()));
    let app = AppId::parse("app").expect("app id");
    store
        .add_app(&app, vec![domain("app.example.com")])
        .expect("new app");
    let owner = Client::new(
        ClientId::parse("owner").expect("id"),
        ClientSecret::new("secret").expect("secret"),
        ClientName::parse("owner").expect("name"),
        Features::stored([Feature::Owner]),
    );
    store.insert_client(&app, owner).expect("owner");
    let caller = authenticated(&store, &app, "owner", |_| true).expect("owner authenticates");
    (store, caller, clock)
}

fn new_client(name: &str) -> NewClient {
    NewClient {
        name: ClientName::parse(name).expect("name"),
        features: Features::assignable([Feature::DirectAccess]).expect("features"),
        whitelist: Whitelist::allow_all(),
    }
}

/// The names of the application's clients other than the owner.
fn names(store: &Store, app: &AppId) -> Vec<String> {
    store
        .list_clients(app, |c| c.id.as_str() != "owner")
        .expect("list")
        .into_iter()
        .map(|c| c.name.to_string())
        .collect()
}

#[test]
fn creation_order_survives_deletes_and_renames() {
    let (store, owner, _) = store_with_app();
    let app = owner.app.clone();
    let ids: Vec<_> = ["a", "b", "c"]
        .into_iter()
        .map(|name| {
            store
                .create_client(&owner, new_client(name), NameRule::Unique)
                .expect("create")
                .id
                .clone()
        })
        .collect();
    store
        .delete_client(&owner, ids[0].as_str(), |_| Ok(()))
        .expect("delete");
    let rename = ClientChange {
        name: Some(ClientName::parse("b2").expect("name")),
        ..ClientChange::default()
    };
    store
        .update_client(&owner, ids[1].as_str(), rename, NameRule::Unique)
        .expect("rename");
    assert_eq!(names(&store, &app), ["b2", "c"]);
    // Freed names can be taken again; the new client goes last.
    for name in ["a", "b"] {
        store
            .create_client(&owner, new_client(name), NameRule::Unique)
            .expect("name is free");
    }
    assert_eq!(names(&store, &app), ["b2", "c", "a", "b"]);
}

#[test]
fn names_are_unique_only_when_asked() {
    let (store, owner, _) = store_with_app();
    let app = owner.app.clone();
    store
        .create_client(&owner, new_client("x"), NameRule::Unique)
        .expect("first");
    assert_eq!(
        store
            .create_client(&owner, new_client("x"), NameRule::Unique)
            .unwrap_err(),
        StoreError::NameTaken("x".into())
    );
    store
        .create_client(&owner, new_client("x"), NameRule::AllowDuplicate)
        .expect("legacy duplicate");
    assert_eq!(names(&store, &app), ["x", "x"]);
}

#[test]
fn authentication_honours_the_grace_period() {
    let (store, owner, clock) = store_with_app();
    let app = owner.app.clone();
    let client = store
        .create_client(&owner, new_client("x"), NameRule::Unique)
        .expect("create");
    let old = client.secret.expose().to_owned();
    let id = client.id.as_str();
    let with = |secret: &str| authenticated(&store, &app, id, |s| s.matches(secret));
    assert_eq!(with(&old).expect("right secret").client_id, client.id);
    let rotated = store
        .reset_secret(&owner, id, Duration::from_secs(60))
        .expect("reset");
    let new = rotated.secret.expose().to_owned();
    assert!(with(&old).is_ok() && with(&new).is_ok());
    clock.advance(Duration::from_secs(60));
    assert!(matches!(
        with(&old),
        Err(ApiError::InvalidCredentials(
            CredentialFailure::WrongSecret(_)
        ))
    ));
    assert!(with(&new).is_ok());
    assert!(matches!(
        authenticated(&store, &app, "unknown", |_| true),
        Err(ApiError::InvalidCredentials(
            CredentialFailure::UnknownClient
        ))
    ));
}

#[test]
fn snapshot_load_and_reset() {
    let (store, owner, _) = store_with_app();
    let app = owner.app.clone();
    store
        .create_client(&owner, new_client("kept"), NameRule::Unique)
        .expect("create");
    store.mark_initial();
    store
        .create_client(&owner, new_client("dropped"), NameRule::Unique)
        .expect("create");
    store.reset().expect("reset");
    assert_eq!(names(&store, &app), ["kept"]);
    assert_eq!(store.app_for_host("app.example.com"), Some(app.clone()));
    // The name index is rebuilt as well.
    assert!(
        store
            .create_client(&owner, new_client("kept"), NameRule::Unique)
            .is_err()
    );
}

#[test]
fn apps_and_domains_are_unique() {
    let (store, owner, _) = store_with_app();
    let app = owner.app.clone();
    assert!(matches!(
        store.add_app(&app, vec![]),
        Err(StoreError::AppExists(_))
    ));
    let other = AppId::parse("other").expect("id");
    assert_eq!(
        store.add_app(&other, vec![domain("app.example.com")]),
        Err(StoreError::DomainTaken(domain("app.example.com")))
    );
}

#[test]
fn a_caller_is_checked_again_when_its_change_is_applied() {
    let (store, owner, _) = store_with_app();
    let app = owner.app.clone();
    for id in ["second", "third"] {
        let mut other = store.client(&app, "owner").expect("owner");
        other.id = ClientId::parse(id).expect("id");
        store.insert_client(&app, other).expect("another owner");
    }
    let as_caller = |id: &str| authenticated(&store, &app, id, |_| true).expect("auth");
    let (second, third) = (as_caller("second"), as_caller("third"));
    // Authenticated, then deleted before its change lands.
    store
        .delete_client(&owner, "second", |_| Ok(()))
        .expect("delete");
    assert_eq!(
        store
            .create_client(&second, new_client("late"), NameRule::Unique)
            .unwrap_err(),
        StoreError::Refused(ApiError::InvalidCredentials(CredentialFailure::CallerGone))
    );
    // Authenticated, then stripped of `owner` before its change lands.
    let demote = ClientChange {
        features: Some(Features::default()),
        ..ClientChange::default()
    };
    store
        .update_client(&owner, "third", demote, NameRule::Unique)
        .expect("demote");
    assert!(matches!(
        store.delete_client(&third, "owner", |_| Ok(())),
        Err(StoreError::Refused(ApiError::Forbidden(_)))
    ));
    assert!(matches!(
        store.reset_secret(&third, "owner", Duration::ZERO),
        Err(StoreError::Refused(ApiError::Forbidden(_)))
    ));
    assert!(store.client(&app, "owner").is_ok());
}

#[test]
fn an_application_dropped_by_reset_takes_its_clock_with_it() {
    let (store, owner, _) = store_with_app();
    store.mark_initial();
    let (made, _) = store.create_app_with_owner().expect("made");
    let moved = ClockChange {
        advance: Some(Duration::from_secs(3600)),
        ..ClockChange::default()
    };
    store.change_app_clock(&made, moved).expect("moved");
    store.change_app_clock(&owner.app, moved).expect("moved");
    assert_eq!(store.lock().clocks.len(), 2);
    store.reset().expect("reset");
    assert!(store.app_clock(&made).is_err(), "the application is gone");
    assert_eq!(
        store.lock().clocks.len(),
        1,
        "only the kept application's clock stays"
    );
    assert!(!store.app_clock(&owner.app).expect("kept").system);
}

/// [`Store::authenticate`] for a call of `app` by client `id` from loopback, on time.
fn authenticated(
    store: &Store,
    app: &AppId,
    id: &str,
    proof: impl Fn(&ClientSecret) -> bool,
) -> Result<Caller, ApiError> {
    store
        .authenticate(Route::App(app), id, LOCAL, |_| Ok(()), proof)
        .1
}
