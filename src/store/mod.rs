//! The one store of applications and their API clients, shared by both API families.
//!
//! `Store` is a cheap handle around one `std::sync::Mutex`. Every method locks once, does the
//! whole operation (including checks that span clients, such as name uniqueness, and the write
//! to the state file when there is one) and returns owned values, so no guard ever reaches a
//! handler or an `.await`. A change is written to the state file before memory, so a failed
//! write leaves both as they were.

mod apps;
mod callers;
mod clients;
mod index;
mod settings;
mod str_map;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

// The project's hasher: fast, still seeded per process.
use foldhash::{HashMap, HashMapExt as _};

pub use self::callers::Route;
use self::index::Data;
use self::str_map::StrMap;
use crate::caller::Caller;
use crate::clock::{AppClocks, Clock, ClockChange, ClockReading};
use crate::error::ApiError;
use crate::fixture::FixtureApp;
use crate::model::{
    AppId, CaptureDomain, Client, ClientId, ClientName, Features, Settings, Whitelist,
};
use crate::persistence::StateFile;
use crate::tokens::IdGenerator;

/// A handle to the shared state. Clones share the same data.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Mutex<Inner>>,
    ids: Arc<IdGenerator>,
    clock: Arc<dyn Clock>,
    /// How many times the lock was taken, for the tests that count them.
    #[cfg(test)]
    locks: Arc<std::sync::atomic::AtomicUsize>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

struct Inner {
    data: Data,
    /// What `reset` goes back to. It shares unchanged clients with `data`.
    initial: Data,
    /// What the own reset of an application made at run time goes back to: its state when made.
    /// One of the start goes back to its state in `initial`, which is not copied here.
    origins: HashMap<AppId, StoredApp>,
    file: Option<StateFile>,
    /// The most applications there may be.
    max_apps: usize,
    /// The applications whose clocks have been moved apart from the emulator's, and how.
    clocks: AppClocks,
}

impl Inner {
    /// Runs a write against the state file, if there is one.
    fn persist(
        &mut self,
        write: impl FnOnce(&mut StateFile) -> Result<(), rusqlite::Error>,
    ) -> Result<(), StoreError> {
        match &mut self.file {
            Some(file) => write(file).map_err(|e| StoreError::Persistence(e.to_string())),
            None => Ok(()),
        }
    }

    /// Writes `after`, the new version of client `seq` of `app`, to the state file, then puts it
    /// in place of `before`; the client is returned as stored.
    fn replace_client(
        &mut self,
        app: &AppId,
        seq: u64,
        before: &Client,
        after: Client,
    ) -> Result<Client, StoreError> {
        self.persist(|file| file.put_client(app, seq, &after))?;
        self.data.app_mut(app)?.replace(seq, before, after.clone());
        Ok(after)
    }
}

/// One application's clients, in creation order: a B-tree by position. A client is found by its
/// id through the emulator-wide index of [`Data`] (ids are unique across the emulator), which
/// gives its application and position; names are counted in a [`StrMap`]. Clients sit behind `Arc`
/// so that the initial state kept for `reset` shares them until they change.
#[derive(Default, Clone)]
struct StoredApp {
    capture_domains: Vec<CaptureDomain>,
    clients: BTreeMap<u64, Arc<Client>>,
    next_seq: u64,
    /// How many clients carry each name. The legacy API may create duplicates, so this counts
    /// rather than maps to one client.
    names: StrMap<ClientName, usize>,
    /// The application's default settings.
    settings: Settings,
    /// Which version of the application's clients this is (see [`Store::list_clients_versioned`]).
    generation: u64,
}

/// Versions of applications' client lists: drawn from one counter for the whole process, so a
/// version is never given to two different lists, even across resets and restored states.
static GENERATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn fresh_generation() -> u64 {
    GENERATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl StoredApp {
    /// The application of a fixture, its clients moved in (a big import is not copied).
    fn from_fixture(app: FixtureApp) -> Self {
        let mut entry = StoredApp {
            capture_domains: app.capture_domains,
            settings: app.settings,
            ..StoredApp::default()
        };
        for client in app.clients {
            entry.insert(client);
        }
        entry
    }

    fn summary(&self, id: &AppId) -> AppSummary {
        AppSummary {
            app_id: id.clone(),
            capture_domains: self.capture_domains.clone(),
            clients: self.clients.len(),
        }
    }

    fn snapshot(&self, id: &AppId) -> AppSnapshot {
        AppSnapshot {
            app_id: id.clone(),
            capture_domains: self.capture_domains.clone(),
            clients: self.clients.values().cloned().collect(),
            settings: self.settings.clone(),
        }
    }

    fn to_fixture(&self, id: &AppId) -> FixtureApp {
        FixtureApp {
            app_id: id.clone(),
            capture_domains: self.capture_domains.clone(),
            clients: self.in_order().cloned().collect(),
            settings: self.settings.clone(),
        }
    }

    /// Adds a client at the end of the order; returns its position and the client as stored.
    /// Its id goes into [`Data`]'s index, which only `Data` changes.
    fn insert(&mut self, client: Client) -> (u64, Arc<Client>) {
        self.generation = fresh_generation();
        let seq = self.next_seq;
        self.next_seq += 1;
        *self.names.get_or_default(client.name.clone()) += 1;
        let client = Arc::new(client);
        self.clients.insert(seq, client.clone());
        (seq, client)
    }

    fn name_taken(&self, name: &ClientName) -> bool {
        self.names.get(name.as_str()).is_some_and(|n| *n > 0)
    }

    fn forget_name(&mut self, name: &ClientName) {
        if let Some(count) = self.names.get_mut(name.as_str()) {
            *count -= 1;
            if *count == 0 {
                self.names.remove(name.as_str());
            }
        }
    }

    /// Takes out the client at `seq`.
    fn remove(&mut self, seq: u64) -> Option<Client> {
        self.generation = fresh_generation();
        let client = self.clients.remove(&seq)?;
        self.forget_name(&client.name);
        Some(Arc::unwrap_or_clone(client))
    }

    /// Replaces the client at `seq` (same id) with `client`.
    fn replace(&mut self, seq: u64, before: &Client, client: Client) {
        self.generation = fresh_generation();
        if before.name != client.name {
            self.forget_name(&before.name);
            *self.names.get_or_default(client.name.clone()) += 1;
        }
        self.clients.insert(seq, Arc::new(client));
    }

    fn in_order(&self) -> impl Iterator<Item = &Client> {
        self.clients.values().map(|client| &**client)
    }
}

/// What a new client is made of; id and secret are generated by the store.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct NewClient {
    /// Its name (legacy `description`).
    pub name: ClientName,
    /// Its features.
    pub features: Features,
    /// Its allowlist.
    pub whitelist: Whitelist,
}

/// A change to an existing client; a `None` field is left as it is.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClientChange {
    /// A new name.
    pub name: Option<ClientName>,
    /// New features, replacing the old ones.
    pub features: Option<Features>,
    /// A new allowlist, replacing the old one.
    pub whitelist: Option<Whitelist>,
}

/// The length of a generated application id, as real ones are.
const APP_ID_LEN: usize = 26;

/// The capture domain of an application made at run time without one: under `localhost`, which
/// many resolvers (and curl) answer with the loopback address.
pub fn default_capture_domain(app: &AppId) -> CaptureDomain {
    // An application id is letters and digits: always a host name.
    CaptureDomain::of_host(&format!("{app}.capture.localhost"))
        .unwrap_or_else(|_| unreachable!("an application id makes a host name"))
}

/// One application of [`Store::app_snapshots`].
#[derive(Debug)]
pub(crate) struct AppSnapshot {
    /// Its id.
    pub app_id: AppId,
    /// Its capture domains.
    pub capture_domains: Vec<CaptureDomain>,
    /// Its clients, in order, shared with the store.
    pub clients: Vec<Arc<Client>>,
    /// Its default settings.
    pub settings: Settings,
}

impl AppSnapshot {
    /// The application as the fixture writer takes it.
    pub(crate) fn view(&self) -> crate::fixture::AppView<'_, Arc<Client>> {
        crate::fixture::AppView {
            app_id: &self.app_id,
            capture_domains: &self.capture_domains,
            clients: &self.clients,
            settings: &self.settings,
        }
    }
}

/// One application, as [`Store::apps`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSummary {
    /// Its id.
    pub app_id: AppId,
    /// The host names whose legacy calls it serves.
    pub capture_domains: Vec<CaptureDomain>,
    /// How many clients it has.
    pub clients: usize,
}

/// The outcome of [`Store::change_settings`].
#[derive(Debug, Clone)]
pub(crate) struct SettingsChanged {
    /// For each key the change named, whether it existed before.
    pub existed: Vec<bool>,
    /// The level's settings after the change.
    pub settings: Settings,
    /// The application's defaults after the change.
    pub defaults: Settings,
}

fn setting_refused(problem: crate::settings::SettingError) -> StoreError {
    StoreError::Setting(problem)
}

/// Whether a create must refuse a name that another client of the application already has.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// Refuse with [`ApiError::NameTaken`] (the Configuration API).
    Unique,
    /// Allow it (the legacy API, whose documentation never mentions uniqueness).
    AllowDuplicate,
}

/// Failures of store operations, before a family gives them its wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// No such application.
    #[error("application not found")]
    AppNotFound,
    /// No such client in the application.
    #[error("client not found")]
    ClientNotFound,
    /// A client with this name exists.
    #[error("another client of the application is named {0:?}")]
    NameTaken(String),
    /// An application with this id exists already.
    #[error("application {0} exists already")]
    AppExists(AppId),
    /// A client with this id exists already, in this application or another.
    #[error("client {0} exists already")]
    ClientExists(ClientId),
    /// A capture domain already served by another application.
    #[error("the capture domain {0} is served by another application")]
    DomainTaken(CaptureDomain),
    /// As many applications as allowed exist already.
    #[error("the emulator holds at most {0} applications; delete some first")]
    TooManyApps(usize),
    /// The caller's own rule refused the change.
    #[error(transparent)]
    Refused(ApiError),
    /// A setting that cannot be stored, or one too many.
    #[error(transparent)]
    Setting(crate::settings::SettingError),
    /// The state file could not be written; nothing was changed.
    #[error("the state file could not be written: {0}")]
    Persistence(String),
}

impl StoreError {
    /// The domain error, naming `argument` as the parameter that held a client id: each family
    /// names its own (the legacy `for_client_id`, the Configuration API's path `client_id`).
    /// A refused setting names `settings`; see [`StoreError::with_arguments`].
    pub(crate) fn with_argument(self, argument: &'static str) -> ApiError {
        self.with_arguments(argument, "settings")
    }

    /// [`StoreError::with_argument`], naming `setting_argument` as the parameter that held a
    /// refused setting.
    pub(crate) fn with_arguments(
        self,
        argument: &'static str,
        setting_argument: &'static str,
    ) -> ApiError {
        match self {
            StoreError::Setting(problem) => ApiError::InvalidArgument {
                argument: setting_argument,
                reason: problem.into(),
            },
            StoreError::AppNotFound => ApiError::AppNotFound,
            StoreError::ClientNotFound => ApiError::ClientNotFound { argument },
            StoreError::NameTaken(name) => ApiError::NameTaken(name),
            StoreError::Refused(error) => error,
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl Store {
    /// An empty store drawing ids from `ids` and time from `clock`.
    #[doc(hidden)]
    pub fn new(ids: IdGenerator, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                data: Data::default(),
                initial: Data::default(),
                origins: HashMap::new(),
                file: None,
                max_apps: crate::config::DEFAULT_MAX_APPS,
                clocks: AppClocks::default(),
            })),
            ids: Arc::new(ids),
            clock,
            #[cfg(test)]
            locks: Arc::default(),
        }
    }

    /// How many times the lock has been taken so far.
    #[cfg(test)]
    pub(crate) fn locks_taken(&self) -> usize {
        self.locks.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The generator of ids and secrets this store uses (also for request ids).
    pub(crate) fn ids(&self) -> &IdGenerator {
        &self.ids
    }

    /// The current time as the store sees it.
    pub fn now(&self) -> SystemTime {
        self.clock.now()
    }

    /// The instant `at` of the emulator's clock, on application `app`'s clock.
    pub(crate) fn in_app_time(&self, app: &AppId, at: SystemTime) -> SystemTime {
        self.lock().clocks.at(app, at)
    }

    /// What application `app`'s clock shows, and how it is kept (`system`: it follows the
    /// emulator's clock unmoved).
    pub(crate) fn app_clock(&self, app: &AppId) -> Result<ClockReading, StoreError> {
        let inner = self.lock();
        inner.data.app(app)?;
        Ok(inner.clocks.reading(app, self.clock.now()))
    }

    /// Moves, sets or freezes application `app`'s clock alone, as `POST /__emulator/clock`
    /// does the emulator's; `system` makes it follow the emulator's clock again.
    pub(crate) fn change_app_clock(
        &self,
        app: &AppId,
        change: ClockChange,
    ) -> Result<ClockReading, StoreError> {
        let mut inner = self.lock();
        inner.data.app(app)?;
        Ok(inner.clocks.change(app, self.clock.now(), change))
    }

    /// The lock, once the caller's application exists and the caller may still act in it: it
    /// still exists, and its allowlist still admits the address it calls from. Every change a
    /// caller makes starts here, so that a caller deleted or fenced in the meantime is refused
    /// inside the lock that would apply the change.
    fn lock_for(&self, by: &Caller) -> Result<MutexGuard<'_, Inner>, StoreError> {
        let inner = self.lock();
        inner.data.check_caller(by)?;
        Ok(inner)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        #[cfg(test)]
        self.locks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // Every method checks before it changes anything, so the data behind a lock poisoned by
        // a panic elsewhere is still consistent.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
