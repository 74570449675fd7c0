//! Black-box tests over real HTTP: each test starts its own emulator on a free port.

mod allowlist;
mod apps;
mod bad_input;
mod clock;
mod concurrency;
mod config_api_clients;
mod config_api_operations;
mod console;
mod control;
mod credential_forms;
mod cross_family;
mod documented;
mod embedded;
mod helpers;
mod invariants;
mod isolation;
mod legacy_clients;
mod legacy_operations;
mod limits;
mod listings;
mod openapi;
mod refusals;
mod settings;
mod signed;
#[path = "../support/mod.rs"]
mod support;
mod tenants;
