//! A local emulator of the Janrain / Akamai Identity Cloud API-client management APIs.
//!
//! Two families over one store of API clients:
//!
//! - the **legacy Clients API** of the Capture domain (`/clients/add`, `/clients/list`, ...):
//!   form parameters, HTTP Basic or parameter credentials, and HTTP 200 on every response with a
//!   `stat` field;
//! - the **Configuration API** (`/config/{appId}/clients...`): JSON, Basic credentials, real status
//!   codes and `{"errors": "..."}`.
//!
//! A client created through one family is the same client in the other.
//!
//! # Embedding it in tests
//!
//! Each [`Emulator`] listens on its own free port with its own store, and stops when dropped, so
//! tests can run in parallel:
//!
//! ```
//! use janrain_emulator::{Config, Emulator};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = Emulator::start(Config::default()).await?;
//! let config = emulator.config();
//! let url = format!("{}/config/{}/clients", emulator.uri(), emulator.app_id());
//! # let _ = (config, url);
//! let clients = emulator.store().list_clients(emulator.app_id(), |_| true)?;
//! assert_eq!(clients.len(), 1); // the owner client it starts with
//! # Ok(())
//! # }
//! ```

pub mod app;
pub mod auth;
mod body;
pub mod cli;
pub mod clock;
pub mod config;
pub mod control;
pub mod error;
pub mod faults;
pub mod fixture;
pub mod ids;
pub mod journal;
pub mod legacy;
pub mod model;
pub mod params;
pub mod rest;
pub mod server;
pub mod state_file;
pub mod store;

pub use config::Config;
pub use server::{Emulator, StartError, serve};
pub use store::Store;
