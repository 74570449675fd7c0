//! A local emulator of the Janrain / Akamai Identity Cloud API-client management APIs.
//!
//! Two families over one store of API clients and their settings:
//!
//! - the **legacy Clients and Settings API** of the Capture domain (`/clients/add`,
//!   `/clients/list`, ..., `/settings/get`, `/settings/set`, ...): form parameters, HTTP Basic,
//!   `janrain-signed` or parameter credentials, and HTTP 200 on every response with a `stat`
//!   field;
//! - the **Configuration API** (`/config/{appId}/clients...`, `/config/{appId}/settings`): JSON,
//!   Basic credentials, real status codes and `{"errors": "..."}`.
//!
//! A client created through one family is the same client in the other, and a setting written
//! by one is read by the other.
//!
//! # Embedding it in tests
//!
//! [`Emulator::start`] listens on a free port of `127.0.0.1` with a store of its own, so tests
//! can run in parallel; the handle gives the base URL, the store for seeding and assertions, and
//! stops the server when dropped (or, waiting for it, with [`Emulator::shutdown`]).
//!
//! ```
//! use janrain_emulator::config::{DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET};
//! use janrain_emulator::{Config, Emulator};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = Emulator::start(Config::default()).await?;
//!
//! // Your code under test calls it over HTTP, as it would call Identity Cloud.
//! let created: serde_json::Value = reqwest::Client::new()
//!     .post(format!("{}/config/{}/clients", emulator.uri(), emulator.app_id()))
//!     .basic_auth(DEFAULT_OWNER_CLIENT_ID, Some(DEFAULT_OWNER_CLIENT_SECRET))
//!     .json(&serde_json::json!({"name": "my service", "features": ["direct_access"]}))
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//!
//! // The test then asserts on the store directly.
//! let clients = emulator.store().list_clients(emulator.app_id(), |_| true)?;
//! assert_eq!(clients.len(), 2); // the owner it starts with, and the new client
//! assert_eq!(clients[1].id.as_str(), created["_id"]);
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # One application per test, and time that moves
//!
//! Tests that share one emulator (a `static` started once, or a CI service container) keep out
//! of each other's way with an application each: [`Emulator::new_app`] (or
//! `POST /__emulator/apps`) makes one with its own owner client. Legacy calls reach it with its
//! owner's credentials, whatever their `Host`. [`Emulator::clock`] moves time instead of
//! sleeping, as `POST /__emulator/clock` does.
//!
//! ```
//! use std::time::Duration;
//! use janrain_emulator::{Config, Emulator};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = Emulator::start(Config::default()).await?;
//! let mine = emulator.new_app()?;
//! let http = reqwest::Client::new();
//! let owner = (mine.owner_client_id.as_str(), Some(mine.owner_client_secret.as_str()));
//!
//! // The legacy API at the emulator's own address: the credentials pick the application.
//! let added: serde_json::Value = http
//!     .post(format!("{}/clients/add", mine.legacy_base_url))
//!     .basic_auth(owner.0, owner.1)
//!     .form(&[("description", "only in my application"), ("features", r#"["owner"]"#)])
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! let id = added["client_id"].as_str().unwrap_or_default();
//! assert_eq!(emulator.store().list_clients(&mine.app_id, |_| true)?.len(), 2);
//! assert!(emulator.store().list_clients(emulator.app_id(), |c| c.id.as_str() == id)?.is_empty());
//!
//! // A replaced secret keeps working for an hour; an hour later, it does not.
//! let old = added["client_secret"].as_str().unwrap_or_default().to_owned();
//! http.post(format!("{}/clients/reset_secret", mine.legacy_base_url))
//!     .basic_auth(owner.0, owner.1)
//!     .form(&[("for_client_id", id), ("hours_to_live", "1")])
//!     .send()
//!     .await?;
//! emulator.clock().advance(Duration::from_secs(3600));
//! let refused: serde_json::Value = http
//!     .post(format!("{}/clients/list", mine.legacy_base_url))
//!     .basic_auth(id, Some(old))
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!(refused["code"], 402);
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! [`Config`] sets up the rest: `fixture` for a starting state (see [`fixture`]), `seed` for
//! reproducible ids, `state_file` for persistence; [`Emulator::start_with`] takes a
//! [`ManualClock`](clock::ManualClock) to move time without sleeping.

mod auth;
mod body;
mod bootstrap;
mod ca;
mod ca_command;
pub mod caller;
mod cli;
pub mod clock;
mod clone_command;
pub mod command;
pub mod config;
mod config_api;
mod connections;
mod control;
pub mod error;
mod family;
mod faults;
pub mod fixture;
mod healthcheck;
mod hostnames;
mod journal;
mod legacy;
mod listing_cache;
mod logging;
pub mod model;
mod openapi;
mod params;
mod persistence;
mod proxy;
mod redact;
mod registration_codes;
mod request_path;
mod router;
mod server;
pub mod settings;
mod state;
pub mod store;
#[cfg(feature = "testcontainers")]
pub mod testcontainers;
mod tokens;

pub use config::Config;
pub use server::{AppHandle, Emulator, StartError};
pub use store::Store;

/// Not part of the public API, and not covered by its stability: what the project's own
/// benchmarks, fuzz targets and property tests reach inside the crate, with the cargo feature
/// `internals` (which its tests and benchmarks turn on). It may change at any time.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals {
    pub use crate::auth::{AuthorizationHeader, Presented, parse_authorization, signature};
    pub use crate::config_api::{client_from_json, clients_listing};
    pub use crate::hostnames::proxy_target;
    pub use crate::params::Params;
    pub use crate::persistence::StateFile;
    pub use crate::router::{Emulated, Layers, ServerState, build_router_with};
    pub use crate::tokens::IdGenerator;
}
