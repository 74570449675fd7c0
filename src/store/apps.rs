//! Applications: loading the start state, making, deleting and resetting them, their capture
//! domains, summaries and snapshots.

use foldhash::HashMap;

use super::index::Data;
use super::{
    APP_ID_LEN, AppSnapshot, AppSummary, Inner, Store, StoreError, StoredApp,
    default_capture_domain, setting_refused,
};
use crate::fixture::{Fixture, FixtureApp};
use crate::model::{AppId, CaptureDomain, Client, ClientId, ClientName, ClientSecret, Settings};
use crate::persistence::StateFile;
use crate::settings;

impl Store {
    /// Writes every change from now on to `file` as well. The file's content is not read.
    pub(crate) fn attach_state_file(&self, file: StateFile) {
        self.lock().file = Some(file);
    }

    /// Replaces the whole state with `fixture`, and the state file's content with it when
    /// `persist` is set.
    pub(crate) fn load(&self, fixture: Fixture, persist: bool) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if persist {
            inner.persist(|file| file.replace_all(&fixture))?;
        }
        inner.data = Data::from_fixture(fixture);
        Ok(())
    }

    /// Makes the current state the one [`Store::reset`] goes back to.
    pub(crate) fn mark_initial(&self) {
        let mut inner = self.lock();
        inner.initial = inner.data.clone();
        inner.origins.clear();
    }

    /// Sets the state that [`Store::reset`] goes back to.
    pub(crate) fn set_initial(&self, fixture: Fixture) {
        let mut inner = self.lock();
        inner.initial = Data::from_fixture(fixture);
        // Applications in the file but not at the start go back to how they are now.
        let now: HashMap<AppId, StoredApp> = inner
            .data
            .apps
            .iter()
            .filter(|(id, _)| !inner.initial.apps.contains_key(*id))
            .map(|(id, app)| (id.clone(), StoredApp::clone(app)))
            .collect();
        inner.origins = now;
    }

    /// Sets the most applications there may be.
    pub(crate) fn set_max_apps(&self, max: usize) {
        self.lock().max_apps = max;
    }

    /// Goes back to the initial state, atomically: applications made since are gone.
    pub(crate) fn reset(&self) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let initial = inner.initial.clone();
        if inner.file.is_some() {
            let fixture = initial.to_fixture();
            inner.persist(|file| file.replace_all(&fixture))?;
        }
        inner.origins.clear();
        inner.data = initial;
        // An application the reset dropped takes its clock with it, as a deleted one does: one
        // made again under its id starts on the emulator's clock.
        let Inner { data, clocks, .. } = &mut *inner;
        clocks.retain(|app| data.apps.contains_key(app));
        Ok(())
    }

    /// Adds an application made at run time, with its clients and settings, all or nothing. Its
    /// id, its capture domains and its clients' ids must be new to the emulator.
    pub(crate) fn create_app(&self, app: FixtureApp) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if inner.data.apps.contains_key(&app.app_id) {
            return Err(StoreError::AppExists(app.app_id.clone()));
        }
        if inner.data.apps.len() >= inner.max_apps {
            return Err(StoreError::TooManyApps(inner.max_apps));
        }
        if let Some(taken) = app
            .capture_domains
            .iter()
            .find(|d| inner.data.domains.contains_key(*d))
        {
            return Err(StoreError::DomainTaken(taken.clone()));
        }
        if let Some(taken) = inner
            .data
            .taken_client_id(app.clients.iter().map(|c| &c.id), None)
        {
            return Err(StoreError::ClientExists(taken.clone()));
        }
        for client in &app.clients {
            settings::check_all(&client.settings).map_err(setting_refused)?;
        }
        settings::check_all(&app.settings).map_err(setting_refused)?;
        inner.persist(|file| file.put_whole_app(&app))?;
        let id = app.app_id.clone();
        let entry = StoredApp::from_fixture(app);
        inner.origins.insert(id.clone(), entry.clone());
        inner.data.add(entry, &id);
        Ok(())
    }

    /// Makes an application with a generated id, its capture domain
    /// ([`default_capture_domain`]) and a new owner client, which it returns.
    pub(crate) fn create_app_with_owner(&self) -> Result<(AppId, Client), StoreError> {
        let owner = Client::owner(
            ClientId::generated(self.ids.client_token()),
            ClientSecret::generated(self.ids.client_token()),
            ClientName::known(crate::config::APP_OWNER_CLIENT_NAME),
        );
        loop {
            let app_id = self.generated_app_id();
            let app = FixtureApp {
                capture_domains: vec![default_capture_domain(&app_id)],
                app_id: app_id.clone(),
                clients: vec![owner.clone()],
                settings: Settings::new(),
            };
            match self.create_app(app) {
                Err(StoreError::AppExists(_)) => {}
                done => return done.map(|()| (app_id, owner)),
            }
        }
    }

    /// A new application id of the real shape (26 lower-case letters and digits).
    pub(crate) fn generated_app_id(&self) -> AppId {
        AppId::generated(self.ids.token(APP_ID_LEN))
    }

    /// Deletes an application with its clients and settings; their credentials stop working at
    /// once.
    pub(crate) fn delete_app(&self, app: &AppId) -> Result<(), StoreError> {
        let mut inner = self.lock();
        inner.data.app(app)?;
        inner.persist(|file| file.delete_app(app))?;
        inner.data.remove(app);
        inner.origins.remove(app);
        inner.clocks.forget(app);
        Ok(())
    }

    /// Puts one application back to how it was at start, or when it was made.
    pub(crate) fn reset_app(&self, app: &AppId) -> Result<(), StoreError> {
        let mut inner = self.lock();
        inner.data.app(app)?;
        let origin = inner
            .origins
            .get(app)
            .or_else(|| inner.initial.apps.get(app).map(|app| &**app))
            .cloned()
            .ok_or(StoreError::AppNotFound)?;
        if let Some(taken) = inner
            .data
            .taken_client_id(origin.in_order().map(|c| &c.id), Some(app))
        {
            return Err(StoreError::ClientExists(taken.clone()));
        }
        if let Some(taken) = origin
            .capture_domains
            .iter()
            .find(|d| inner.data.domains.get(*d).is_some_and(|owner| owner != app))
        {
            return Err(StoreError::DomainTaken(taken.clone()));
        }
        let fixture = origin.to_fixture(app);
        inner.persist(|file| file.replace_app(&fixture))?;
        inner.data.replace(app, origin);
        Ok(())
    }

    /// Every application's id, capture domains and number of clients, in order.
    pub fn apps(&self) -> Vec<AppSummary> {
        self.lock().data.each_app(StoredApp::summary)
    }

    /// One application's id, capture domains and number of clients.
    pub(crate) fn app_summary(&self, app: &AppId) -> Result<AppSummary, StoreError> {
        Ok(self.lock().data.app(app)?.summary(app))
    }

    /// The whole state, in order.
    pub fn snapshot(&self) -> Fixture {
        self.lock().data.to_fixture()
    }

    /// The whole state with its clients shared rather than copied, so that a snapshot is
    /// written outside the lock and without a copy of every client.
    pub(crate) fn app_snapshots(&self) -> Vec<AppSnapshot> {
        self.lock().data.each_app(StoredApp::snapshot)
    }

    /// One application as [`Store::app_snapshots`] gives it.
    pub(crate) fn app_snapshot(&self, app: &AppId) -> Result<AppSnapshot, StoreError> {
        Ok(self.lock().data.app(app)?.snapshot(app))
    }

    /// Adds an application that serves legacy calls for `capture_domains`.
    pub fn add_app(
        &self,
        app: &AppId,
        capture_domains: Vec<CaptureDomain>,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if inner.data.apps.contains_key(app) {
            return Err(StoreError::AppExists(app.clone()));
        }
        if let Some(taken) = capture_domains
            .iter()
            .find(|d| inner.data.domains.contains_key(*d))
        {
            return Err(StoreError::DomainTaken(taken.clone()));
        }
        inner.persist(|file| file.put_app(app, &capture_domains))?;
        let entry = StoredApp {
            capture_domains,
            ..StoredApp::default()
        };
        inner.origins.insert(app.clone(), entry.clone());
        inner.data.add(entry, app);
        Ok(())
    }

    /// The application whose capture domains include the domain `host` names (a `Host` header:
    /// case, port and a trailing dot do not matter).
    pub fn app_for_host(&self, host: &str) -> Option<AppId> {
        self.lock().data.app_for_host(host).cloned()
    }
}
