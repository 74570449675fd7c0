//! The index of the store: applications in their order, capture domains to applications, and
//! every client id to its application. It is the one place that keeps them in step with the
//! applications' clients.

use std::sync::Arc;

use foldhash::HashMap;

use super::str_map::StrMap;
use super::{StoreError, StoredApp};
use crate::caller::Caller;
use crate::fixture::Fixture;
use crate::model::{AppId, CaptureDomain, Client, ClientId};

#[derive(Default, Clone)]
pub(super) struct Data {
    /// Shared with the initial state (and so with `reset`) until an application changes: the
    /// first change copies that one application.
    pub(super) apps: HashMap<AppId, Arc<StoredApp>>,
    pub(super) order: Vec<AppId>,
    /// Capture domain (lower case, no port) to the application it serves.
    pub(super) domains: HashMap<CaptureDomain, AppId>,
    /// Every client id to its application and its position there: ids are unique across the
    /// emulator, as in the real service, so one index finds a client for every application (and
    /// a legacy call without a known `Host` finds its application by it). Only this module
    /// changes it, in the same step as the application's clients.
    client_apps: Arc<StrMap<ClientId, Place>>,
}

/// Where a client is: its application, and its position in that application's order.
#[derive(Clone)]
struct Place {
    app: AppId,
    seq: u64,
}

impl Data {
    pub(super) fn from_fixture(fixture: Fixture) -> Self {
        let mut data = Data::default();
        for app in fixture.apps {
            let id = app.app_id.clone();
            data.add(StoredApp::from_fixture(app), &id);
        }
        data
    }

    /// Adds an application at the end of the order, with its domains and client ids.
    pub(super) fn add(&mut self, app: StoredApp, id: &AppId) {
        self.index(&app, id);
        self.order.push(id.clone());
        self.apps.insert(id.clone(), Arc::new(app));
    }

    fn index(&mut self, app: &StoredApp, id: &AppId) {
        for domain in &app.capture_domains {
            self.domains.insert(domain.clone(), id.clone());
        }
        let index = Arc::make_mut(&mut self.client_apps);
        for (seq, client) in &app.clients {
            let place = Place {
                app: id.clone(),
                seq: *seq,
            };
            index.insert(client.id.clone(), place);
        }
    }

    fn unindex(&mut self, app: &StoredApp) {
        for domain in &app.capture_domains {
            self.domains.remove(domain);
        }
        for client in app.in_order() {
            Arc::make_mut(&mut self.client_apps).remove(client.id.as_str());
        }
    }

    /// Takes an application out, with its domains and client ids.
    pub(super) fn remove(&mut self, id: &AppId) -> Option<StoredApp> {
        let app = self.apps.remove(id)?;
        self.unindex(&app);
        self.order.retain(|other| other != id);
        Some(Arc::unwrap_or_clone(app))
    }

    /// Puts `app` in the place of application `id`, keeping its place in the order.
    pub(super) fn replace(&mut self, id: &AppId, app: StoredApp) {
        if let Some(before) = self.apps.remove(id) {
            self.unindex(&before);
        }
        self.index(&app, id);
        self.apps.insert(id.clone(), Arc::new(app));
    }

    /// The first of `ids` that a client of an application other than `except` already has.
    pub(super) fn taken_client_id<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a ClientId>,
        except: Option<&AppId>,
    ) -> Option<&'a ClientId> {
        ids.into_iter().find(|id| {
            self.client_apps
                .get(id.as_str())
                .is_some_and(|place| Some(&place.app) != except)
        })
    }

    /// `each` of every application, in their order.
    pub(super) fn each_app<T>(&self, each: impl Fn(&StoredApp, &AppId) -> T) -> Vec<T> {
        self.order
            .iter()
            .filter_map(|id| self.apps.get(id).map(|app| each(app, id)))
            .collect()
    }

    pub(super) fn to_fixture(&self) -> Fixture {
        Fixture {
            apps: self.each_app(StoredApp::to_fixture),
        }
    }

    pub(super) fn app(&self, id: &AppId) -> Result<&StoredApp, StoreError> {
        self.apps
            .get(id)
            .map(|app| &**app)
            .ok_or(StoreError::AppNotFound)
    }

    /// The application's clients, to change. Clients are added and removed through
    /// [`Data::add_client`] and [`Data::remove_client`], which keep the id index in step.
    pub(super) fn app_mut(&mut self, id: &AppId) -> Result<&mut StoredApp, StoreError> {
        self.apps
            .get_mut(id)
            .map(Arc::make_mut)
            .ok_or(StoreError::AppNotFound)
    }

    /// The application whose capture domains include the domain `host` names (a `Host` header:
    /// case, port and a trailing dot do not matter).
    pub(super) fn app_for_host(&self, host: &str) -> Option<&AppId> {
        let domain = CaptureDomain::of_host(host).ok()?;
        self.domains.get(&domain)
    }

    /// The application a client id belongs to.
    pub(super) fn app_of_client(&self, id: &str) -> Option<&AppId> {
        self.client_apps.get(id).map(|place| &place.app)
    }

    /// Client `id` of application `app`, and its position in the order; `AppNotFound` when there
    /// is no such application, `ClientNotFound` when it has no such client.
    pub(super) fn find(&self, app: &AppId, id: &str) -> Result<(u64, &Client), StoreError> {
        let entry = self.app(app)?;
        let seq = self
            .client_apps
            .get(id)
            .filter(|place| place.app == *app)
            .ok_or(StoreError::ClientNotFound)?
            .seq;
        let client = entry.clients.get(&seq).ok_or(StoreError::ClientNotFound)?;
        Ok((seq, client))
    }

    /// Checks, inside the critical section that applies a change, that `by` may still make it:
    /// its application exists, and the client it is (if it still is) still allows the change.
    pub(super) fn check_caller(&self, by: &Caller) -> Result<(), StoreError> {
        let current = match self.find(&by.app, by.client_id.as_str()) {
            Ok((_, client)) => Some(client),
            Err(StoreError::ClientNotFound) => None,
            Err(other) => return Err(other),
        };
        by.still_allowed(current).map_err(StoreError::Refused)
    }

    /// Whether any application has a client with this id.
    pub(super) fn client_id_taken(&self, id: &ClientId) -> bool {
        self.client_apps.contains_key(id.as_str())
    }

    /// Adds `client` to application `app`, with its id to the index.
    pub(super) fn add_client(
        &mut self,
        app: &AppId,
        client: Client,
    ) -> Result<Arc<Client>, StoreError> {
        let (seq, client) = self.app_mut(app)?.insert(client);
        let place = Place {
            app: app.clone(),
            seq,
        };
        Arc::make_mut(&mut self.client_apps).insert(client.id.clone(), place);
        Ok(client)
    }

    /// Removes client `id` from application `app`, and its id from the index.
    pub(super) fn remove_client(
        &mut self,
        app: &AppId,
        id: &ClientId,
    ) -> Result<Client, StoreError> {
        let (seq, _) = self.find(app, id.as_str())?;
        let removed = self
            .app_mut(app)?
            .remove(seq)
            .ok_or(StoreError::ClientNotFound)?;
        Arc::make_mut(&mut self.client_apps).remove(id.as_str());
        Ok(removed)
    }
}
