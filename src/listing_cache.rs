//! Whole client listings, rendered once and served again until the application changes.
//!
//! A listing of 1,000 clients is about 340 KB of JSON; building it per request (cloning every
//! client under the store's lock, then serialising) made it the slowest call of the emulator.
//! The store gives each version of an application's client list a number never reused
//! ([`Store::list_clients_versioned`]); a rendering kept under that number is served as long as
//! the application's version is still the same, so a stale listing is never served. Filtered
//! listings are kept the same way, under their filter: a test suite lists with the same
//! filters again and again between changes.

use foldhash::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;

use crate::model::{AppId, Client};
use crate::store::{Store, StoreError};

/// The most renderings kept: past it, the cache starts again empty (an emulator with many
/// applications listed in turn does not keep every listing).
const MAX_ENTRIES: usize = 256;

/// Renderings by application, by what renders them (a family's listing) and by the filter that
/// chose the clients (empty for every client), each with the version of the list it was
/// rendered from.
type Renderings = HashMap<(AppId, &'static str, String), (u64, Bytes)>;

/// Renderings by application and by what renders them (a family's listing).
#[derive(Debug, Default)]
pub struct ListingCache(Mutex<Renderings>);

impl ListingCache {
    /// The listing of every client of `app` as `render` writes it, rendered again only when the
    /// application's clients changed since it last was. `kind` names the rendering.
    pub fn get(
        &self,
        store: &Store,
        app: &AppId,
        kind: &'static str,
        render: impl FnOnce(Vec<Client>) -> Vec<u8>,
    ) -> Result<Bytes, StoreError> {
        self.get_filtered(store, app, kind, String::new(), |_| true, render)
    }

    /// The listing of the clients of `app` that `keep` accepts, as `render` writes it, rendered
    /// again only when the application's clients changed since it last was. `filter` names
    /// what `keep` accepts, in one canonical spelling: two filters of the same name must keep
    /// the same clients.
    pub fn get_filtered(
        &self,
        store: &Store,
        app: &AppId,
        kind: &'static str,
        filter: String,
        keep: impl Fn(&Client) -> bool,
        render: impl FnOnce(Vec<Client>) -> Vec<u8>,
    ) -> Result<Bytes, StoreError> {
        let now = store.generation(app)?;
        let key = (app.clone(), kind, filter);
        if let Some((generation, bytes)) = self.lock().get(&key)
            && *generation == now
        {
            return Ok(bytes.clone());
        }
        let (generation, mut clients) = store.list_clients_versioned(app)?;
        clients.retain(|client| keep(client));
        let bytes = Bytes::from(render(clients));
        let mut cache = self.lock();
        if cache.len() >= MAX_ENTRIES {
            cache.clear();
        }
        cache.insert(key, (generation, bytes.clone()));
        Ok(bytes)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Renderings> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
