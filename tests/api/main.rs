//! Black-box tests over real HTTP: each test starts its own emulator on a free port.
//!
//! Arranged like `src/`: one place for each family's operations and one for the control plane,
//! then the files that cut across them, each named for what it covers.
// The families and the control plane.
mod config_api;
mod control;
mod legacy;

// Across the families.
mod allowlist;
mod bodies;
mod clients;
mod concurrency;
mod embedded;
mod features;
mod invariants;
mod limits;
mod listings;
mod routes;
mod secrets;
mod settings;
mod tenants;

mod helpers;
#[path = "../support/mod.rs"]
mod support;
