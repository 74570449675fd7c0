//! The one store of applications and their API clients, shared by both API families.
//!
//! `Store` is a cheap handle around one `std::sync::Mutex`. Every method locks once, does the
//! whole operation (including checks that span clients, such as name uniqueness, and the write
//! to the state file when there is one) and returns owned values, so no guard ever reaches a
//! handler or an `.await`. A change is written to the state file before memory, so a failed
//! write leaves both as they were.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use crate::caller::Caller;
use crate::clock::{Clock, ClockChange, ClockReading, Shift};
use crate::error::{ApiError, CredentialFailure};
use crate::fixture::{Fixture, FixtureApp};
use crate::ids::IdGenerator;
use crate::model::{
    AppId, Client, ClientId, ClientName, ClientSecret, Features, PreviousSecret, Settings,
    Whitelist,
};
use crate::settings::{self, Level, SettingsChange};
use crate::state_file::StateFile;

/// A handle to the shared state. Clones share the same data.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Mutex<Inner>>,
    ids: Arc<IdGenerator>,
    clock: Arc<dyn Clock>,
    /// The applications whose clocks have been moved apart from the emulator's, and how.
    app_clocks: Arc<Mutex<HashMap<AppId, Shift>>>,
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
    origins: HashMap<AppId, App>,
    file: Option<StateFile>,
    /// The most applications there may be.
    max_apps: usize,
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

#[derive(Default, Clone)]
struct Data {
    /// Shared with the initial state (and so with `reset`) until an application changes: the
    /// first change copies that one application.
    apps: HashMap<AppId, Arc<App>>,
    order: Vec<AppId>,
    /// Capture domain (lower case, no port) to the application it serves.
    domains: HashMap<String, AppId>,
    /// Every client id to its application: ids are unique across the emulator, as in the real
    /// service, and a legacy call without a known `Host` finds its application by them.
    client_apps: Arc<HashMap<ClientId, AppId>>,
}

impl Data {
    fn from_fixture(fixture: Fixture) -> Self {
        let mut data = Data::default();
        for app in fixture.apps {
            let id = app.app_id.clone();
            data.add(App::from_fixture(app), &id);
        }
        data
    }

    /// Adds an application at the end of the order, with its domains and client ids.
    fn add(&mut self, app: App, id: &AppId) {
        self.index(&app, id);
        self.order.push(id.clone());
        self.apps.insert(id.clone(), Arc::new(app));
    }

    fn index(&mut self, app: &App, id: &AppId) {
        for domain in &app.capture_domains {
            self.domains.insert(domain.clone(), id.clone());
        }
        for client in app.in_order() {
            Arc::make_mut(&mut self.client_apps).insert(client.id.clone(), id.clone());
        }
    }

    fn unindex(&mut self, app: &App) {
        for domain in &app.capture_domains {
            self.domains.remove(domain);
        }
        for client in app.in_order() {
            Arc::make_mut(&mut self.client_apps).remove(&client.id);
        }
    }

    /// Takes an application out, with its domains and client ids.
    fn remove(&mut self, id: &AppId) -> Option<App> {
        let app = self.apps.remove(id)?;
        self.unindex(&app);
        self.order.retain(|other| other != id);
        Some(Arc::unwrap_or_clone(app))
    }

    /// Puts `app` in the place of application `id`, keeping its place in the order.
    fn replace(&mut self, id: &AppId, app: App) {
        if let Some(before) = self.apps.remove(id) {
            self.unindex(&before);
        }
        self.index(&app, id);
        self.apps.insert(id.clone(), Arc::new(app));
    }

    /// The first of `ids` that a client of an application other than `except` already has.
    fn taken_client_id<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a ClientId>,
        except: Option<&AppId>,
    ) -> Option<&'a ClientId> {
        ids.into_iter().find(|id| {
            self.client_apps
                .get(*id)
                .is_some_and(|owner| Some(owner) != except)
        })
    }

    fn to_fixture(&self) -> Fixture {
        let apps = self
            .order
            .iter()
            .filter_map(|id| self.apps.get(id).map(|app| app.to_fixture(id)))
            .collect();
        Fixture { apps }
    }

    fn app(&self, id: &AppId) -> Result<&App, StoreError> {
        self.apps
            .get(id)
            .map(|app| &**app)
            .ok_or(StoreError::AppNotFound)
    }

    fn app_mut(&mut self, id: &AppId) -> Result<&mut App, StoreError> {
        self.apps
            .get_mut(id)
            .map(Arc::make_mut)
            .ok_or(StoreError::AppNotFound)
    }
}

/// One application's clients, in creation order. The maps are B-trees: lookups cost
/// O(log n) string comparisons, and unlike a hash table nothing is ever rehashed all at once, so
/// no single create stalls while the store grows. Clients sit behind `Arc` so that the initial
/// state kept for `reset` shares them until they change.
#[derive(Default, Clone)]
struct App {
    capture_domains: Vec<String>,
    clients: BTreeMap<u64, Arc<Client>>,
    index: BTreeMap<ClientId, u64>,
    next_seq: u64,
    /// How many clients carry each name. The legacy API may create duplicates, so this counts
    /// rather than maps to one client.
    names: BTreeMap<ClientName, usize>,
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

impl App {
    /// The application of a fixture, its clients moved in (a big import is not copied).
    fn from_fixture(app: FixtureApp) -> Self {
        let mut entry = App {
            capture_domains: app.capture_domains,
            settings: app.settings,
            ..App::default()
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

    fn shared(&self, id: &AppId) -> SharedApp {
        SharedApp {
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

    /// Adds a client at the end of the order and returns its position.
    fn insert(&mut self, client: Client) -> u64 {
        self.generation = fresh_generation();
        let seq = self.next_seq;
        self.next_seq += 1;
        *self.names.entry(client.name.clone()).or_default() += 1;
        self.index.insert(client.id.clone(), seq);
        self.clients.insert(seq, Arc::new(client));
        seq
    }

    fn name_taken(&self, name: &ClientName) -> bool {
        self.names.get(name).is_some_and(|n| *n > 0)
    }

    fn forget_name(&mut self, name: &ClientName) {
        if let Some(count) = self.names.get_mut(name) {
            *count -= 1;
            if *count == 0 {
                self.names.remove(name);
            }
        }
    }

    fn remove(&mut self, id: &str) -> Option<Client> {
        self.generation = fresh_generation();
        let seq = self.index.remove(id)?;
        let client = self.clients.remove(&seq)?;
        self.forget_name(&client.name);
        Some(Arc::unwrap_or_clone(client))
    }

    /// The client and its position in the order.
    fn find(&self, id: &str) -> Result<(u64, &Client), StoreError> {
        let seq = *self.index.get(id).ok_or(StoreError::ClientNotFound)?;
        let client = self.clients.get(&seq).ok_or(StoreError::ClientNotFound)?;
        Ok((seq, client))
    }

    /// Replaces the client at `seq` (same id) with `client`.
    fn replace(&mut self, seq: u64, before: &Client, client: Client) {
        self.generation = fresh_generation();
        if before.name != client.name {
            self.forget_name(&before.name);
            *self.names.entry(client.name.clone()).or_default() += 1;
        }
        self.clients.insert(seq, Arc::new(client));
    }

    /// Checks, inside the critical section that applies a change, that `by` may still make it.
    fn check_caller(&self, by: &Caller) -> Result<(), StoreError> {
        let current = self.find(by.client_id.as_str()).ok().map(|(_, c)| c);
        by.still_allowed(current).map_err(StoreError::Refused)
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
pub fn default_capture_domain(app: &AppId) -> String {
    format!("{app}.capture.localhost")
}

/// One application of [`Store::shared_snapshot`].
#[derive(Debug)]
pub(crate) struct SharedApp {
    /// Its id.
    pub app_id: AppId,
    /// Its capture domains.
    pub capture_domains: Vec<String>,
    /// Its clients, in order, shared with the store.
    pub clients: Vec<Arc<Client>>,
    /// Its default settings.
    pub settings: Settings,
}

impl SharedApp {
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
    pub capture_domains: Vec<String>,
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

fn setting_refused(problem: settings::SettingError) -> StoreError {
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
    DomainTaken(String),
    /// As many applications as allowed exist already.
    #[error("the emulator holds at most {0} applications; delete some first")]
    TooManyApps(usize),
    /// The caller's own rule refused the change.
    #[error(transparent)]
    Refused(ApiError),
    /// A setting that cannot be stored, or one too many.
    #[error(transparent)]
    Setting(settings::SettingError),
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
            })),
            ids: Arc::new(ids),
            clock,
            app_clocks: Arc::default(),
        }
    }

    /// The generator of ids and secrets this store uses (also for request ids).
    pub(crate) fn ids(&self) -> &IdGenerator {
        &self.ids
    }

    /// The current time as the store sees it.
    pub fn now(&self) -> SystemTime {
        self.clock.now()
    }

    fn app_clocks(&self) -> MutexGuard<'_, HashMap<AppId, Shift>> {
        self.app_clocks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The current time of application `app`: the emulator's, moved by the application's own
    /// offset or frozen at its own instant (see [`Store::change_app_clock`]).
    pub fn now_in(&self, app: &AppId) -> SystemTime {
        self.in_app_time(app, self.clock.now())
    }

    /// Whether any application's clock stands apart from the emulator's (nearly never: then a
    /// request needs no lookup of its application's clock).
    pub fn app_clocks_moved(&self) -> bool {
        !self.app_clocks().is_empty()
    }

    /// The instant `at` of the emulator's clock, on application `app`'s clock.
    pub fn in_app_time(&self, app: &AppId, at: SystemTime) -> SystemTime {
        match self.app_clocks().get(app) {
            Some(shift) => shift.shifted(at),
            None => at,
        }
    }

    /// What application `app`'s clock shows, and how it is kept (`system`: it follows the
    /// emulator's clock unmoved).
    pub fn app_clock(&self, app: &AppId) -> Result<ClockReading, StoreError> {
        self.lock().data.app(app)?;
        let shift = self.app_clocks().get(app).copied().unwrap_or_default();
        Ok(shift.reading(self.clock.now()))
    }

    /// Moves, sets or freezes application `app`'s clock alone, as `POST /__emulator/clock`
    /// does the emulator's; `system` makes it follow the emulator's clock again.
    pub fn change_app_clock(
        &self,
        app: &AppId,
        change: ClockChange,
    ) -> Result<ClockReading, StoreError> {
        self.lock().data.app(app)?;
        let base = self.clock.now();
        let mut clocks = self.app_clocks();
        let mut shift = clocks.get(app).copied().unwrap_or_default();
        shift.apply(base, change);
        if shift.is_none() {
            clocks.remove(app);
        } else {
            clocks.insert(app.clone(), shift);
        }
        Ok(shift.reading(base))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every method checks before it changes anything, so the data behind a lock poisoned by
        // a panic elsewhere is still consistent.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

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
        let now: HashMap<AppId, App> = inner
            .data
            .apps
            .iter()
            .filter(|(id, _)| !inner.initial.apps.contains_key(*id))
            .map(|(id, app)| (id.clone(), App::clone(app)))
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
        let entry = App::from_fixture(app);
        inner.origins.insert(id.clone(), entry.clone());
        inner.data.add(entry, &id);
        Ok(())
    }

    /// Makes an application with a generated id, its capture domain
    /// ([`default_capture_domain`]) and a new owner client, which it returns.
    pub fn create_app_with_owner(&self) -> Result<(AppId, Client), StoreError> {
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
        drop(inner);
        self.app_clocks().remove(app);
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
        let inner = self.lock();
        inner
            .data
            .order
            .iter()
            .filter_map(|id| inner.data.apps.get(id).map(|app| app.summary(id)))
            .collect()
    }

    /// One application's id, capture domains and number of clients.
    pub fn app_summary(&self, app: &AppId) -> Result<AppSummary, StoreError> {
        Ok(self.lock().data.app(app)?.summary(app))
    }

    /// The application of the client with this id, if there is one.
    pub fn app_of_client(&self, id: &str) -> Option<AppId> {
        self.lock().data.client_apps.get(id).cloned()
    }

    /// The whole state, in order.
    pub fn snapshot(&self) -> Fixture {
        self.lock().data.to_fixture()
    }

    /// The whole state with its clients shared rather than copied, so that a snapshot is
    /// written outside the lock and without a copy of every client.
    pub(crate) fn shared_snapshot(&self) -> Vec<SharedApp> {
        let inner = self.lock();
        inner
            .data
            .order
            .iter()
            .filter_map(|id| inner.data.apps.get(id).map(|app| app.shared(id)))
            .collect()
    }

    /// One application as [`Store::shared_snapshot`] gives it.
    pub(crate) fn shared_app(&self, app: &AppId) -> Result<SharedApp, StoreError> {
        Ok(self.lock().data.app(app)?.shared(app))
    }

    /// Adds an application that serves legacy calls for `capture_domains`.
    pub fn add_app(&self, app: &AppId, capture_domains: Vec<String>) -> Result<(), StoreError> {
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
        let entry = App {
            capture_domains,
            ..App::default()
        };
        inner.origins.insert(app.clone(), entry.clone());
        inner.data.add(entry, app);
        Ok(())
    }

    /// The application whose capture domains include `host` (already normalised).
    pub fn app_for_host(&self, host: &str) -> Option<AppId> {
        self.lock().data.domains.get(host).cloned()
    }

    /// Stores a client with a given id and secret (fixtures, tests). Its id must be new to the
    /// application; its name need not be.
    pub fn insert_client(&self, app: &AppId, client: Client) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let entry = inner.data.app(app)?;
        if inner.data.client_apps.contains_key(&client.id) {
            return Err(StoreError::ClientExists(client.id.clone()));
        }
        settings::check_all(&client.settings).map_err(setting_refused)?;
        let seq = entry.next_seq;
        inner.persist(|file| file.put_new_client(app, seq, &client))?;
        Arc::make_mut(&mut inner.data.client_apps).insert(client.id.clone(), app.clone());
        inner.data.app_mut(app)?.insert(client);
        Ok(())
    }

    /// Creates a client with a fresh id and secret in the caller's application, if the caller
    /// may still do so when the change is applied.
    #[doc(hidden)]
    pub fn create_client(
        &self,
        by: &Caller,
        new: NewClient,
        rule: NameRule,
    ) -> Result<Client, StoreError> {
        let app = &by.app;
        let mut inner = self.lock();
        let entry = inner.data.app(app)?;
        entry.check_caller(by)?;
        if rule == NameRule::Unique && entry.name_taken(&new.name) {
            return Err(StoreError::NameTaken(new.name.to_string()));
        }
        let id = loop {
            // 36^32 possible ids make a collision practically impossible, but a fixture could
            // hold an id that a seeded generator draws; ids are unique across the emulator.
            let candidate = ClientId::generated(self.ids.client_token());
            if !inner.data.client_apps.contains_key(&candidate) {
                break candidate;
            }
        };
        let secret = ClientSecret::generated(self.ids.client_token());
        let client = Client {
            whitelist: new.whitelist,
            ..Client::new(id, secret, new.name, new.features)
        };
        let seq = entry.next_seq;
        inner.persist(|file| file.put_client(app, seq, &client))?;
        Arc::make_mut(&mut inner.data.client_apps).insert(client.id.clone(), app.clone());
        inner.data.app_mut(app)?.insert(client.clone());
        Ok(client)
    }

    /// Every client of `app` in creation order, with the version of that list: the same version
    /// means the same clients, so a rendering of the list can be kept and served again while
    /// [`Store::generation`] still gives that version.
    pub(crate) fn list_clients_versioned(
        &self,
        app: &AppId,
    ) -> Result<(u64, Vec<Client>), StoreError> {
        let inner = self.lock();
        let app = inner.data.app(app)?;
        Ok((app.generation, app.in_order().cloned().collect()))
    }

    /// The version of `app`'s client list now.
    pub(crate) fn generation(&self, app: &AppId) -> Result<u64, StoreError> {
        Ok(self.lock().data.app(app)?.generation)
    }

    /// All clients of `app` that `keep` accepts, in creation order.
    pub fn list_clients(
        &self,
        app: &AppId,
        keep: impl Fn(&Client) -> bool,
    ) -> Result<Vec<Client>, StoreError> {
        let inner = self.lock();
        let app = inner.data.app(app)?;
        Ok(app.in_order().filter(|c| keep(c)).cloned().collect())
    }

    /// One client of `app`.
    pub fn client(&self, app: &AppId, id: &str) -> Result<Client, StoreError> {
        let inner = self.lock();
        let (_, client) = inner.data.app(app)?.find(id)?;
        Ok(client.clone())
    }

    /// Applies `change` to client `id` of the caller's application, all or nothing: the caller
    /// must still be allowed to make it ([`Caller::still_allowed`]) and may not lock itself out
    /// ([`Caller::check_change`]); under [`NameRule::Unique`] a new name must not belong to
    /// another client.
    pub(crate) fn update_client(
        &self,
        by: &Caller,
        id: &str,
        change: ClientChange,
        rule: NameRule,
    ) -> Result<Client, StoreError> {
        let app = &by.app;
        let mut inner = self.lock();
        let entry = inner.data.app(app)?;
        entry.check_caller(by)?;
        let (seq, before) = entry.find(id)?;
        let before = before.clone();
        let mut after = before.clone();
        let ClientChange {
            name,
            features,
            whitelist,
        } = change;
        after.name = name.unwrap_or(after.name);
        after.features = features.unwrap_or(after.features);
        after.whitelist = whitelist.unwrap_or(after.whitelist);
        if after.name != before.name && rule == NameRule::Unique && entry.name_taken(&after.name) {
            return Err(StoreError::NameTaken(after.name.to_string()));
        }
        by.check_change(&before, &after)
            .map_err(StoreError::Refused)?;
        inner.replace_client(app, seq, &before, after)
    }

    /// Deletes client `id` of the caller's application if the caller may still do so and `check`
    /// (the family's own rule) allows it, returning what was deleted.
    pub(crate) fn delete_client(
        &self,
        by: &Caller,
        id: &str,
        check: impl FnOnce(&Client) -> Result<(), ApiError>,
    ) -> Result<Client, StoreError> {
        let app = &by.app;
        let mut inner = self.lock();
        let entry = inner.data.app(app)?;
        entry.check_caller(by)?;
        let (_, client) = entry.find(id)?;
        check(client).map_err(StoreError::Refused)?;
        let id = client.id.clone();
        inner.persist(|file| file.delete_client(app, &id))?;
        Arc::make_mut(&mut inner.data.client_apps).remove(&id);
        inner
            .data
            .app_mut(app)?
            .remove(id.as_str())
            .ok_or(StoreError::ClientNotFound)
    }

    /// Gives client `id` of the caller's application a new secret, if the caller may still do
    /// so. The old one keeps working for `grace` (not at all if it is zero); only the immediately
    /// previous secret is kept.
    pub(crate) fn reset_secret(
        &self,
        by: &Caller,
        id: &str,
        grace: Duration,
    ) -> Result<Client, StoreError> {
        let app = &by.app;
        let now = self.now_in(app);
        let mut inner = self.lock();
        let entry = inner.data.app(app)?;
        entry.check_caller(by)?;
        let (seq, before) = entry.find(id)?;
        let before = before.clone();
        let mut after = before.clone();
        after.secret = ClientSecret::generated(self.ids.client_token());
        after.previous_secret = (!grace.is_zero()).then(|| PreviousSecret {
            secret: before.secret.clone(),
            expires_at: now + grace,
        });
        inner.replace_client(app, seq, &before, after)
    }

    /// The application's default settings.
    pub fn default_settings(&self, app: &AppId) -> Result<Settings, StoreError> {
        Ok(self.lock().data.app(app)?.settings.clone())
    }

    /// Client `id`'s own settings and the application's defaults.
    pub fn client_settings(
        &self,
        app: &AppId,
        id: &str,
    ) -> Result<(Settings, Settings), StoreError> {
        let inner = self.lock();
        let entry = inner.data.app(app)?;
        let (_, client) = entry.find(id)?;
        Ok((client.settings.clone(), entry.settings.clone()))
    }

    /// The application's defaults and the own settings of each client that has any, in
    /// creation order.
    pub fn all_settings(
        &self,
        app: &AppId,
    ) -> Result<(Settings, Vec<(ClientId, Settings)>), StoreError> {
        let inner = self.lock();
        let entry = inner.data.app(app)?;
        let clients = entry
            .in_order()
            .filter(|client| !client.settings.is_empty())
            .map(|client| (client.id.clone(), client.settings.clone()))
            .collect();
        Ok((entry.settings.clone(), clients))
    }

    /// Applies `change` to the settings at `level` of the caller's application, all or nothing,
    /// if the caller may still make it: its own settings need only that it still exists and
    /// calls from inside its allowlist, any other level the `owner` feature as well. Keys and
    /// values must have been checked ([`settings::check_key`], [`settings::check_value`]).
    pub(crate) fn change_settings(
        &self,
        by: &Caller,
        level: &Level,
        change: &SettingsChange,
    ) -> Result<SettingsChanged, StoreError> {
        let app = &by.app;
        let mut inner = self.lock();
        let entry = inner.data.app(app)?;
        let current = entry.find(by.client_id.as_str()).ok().map(|(_, c)| c);
        by.still_allowed_as(current, !by.owns_level(level))
            .map_err(StoreError::Refused)?;
        match level {
            Level::Defaults => {
                let mut after = entry.settings.clone();
                let existed = change.apply(&mut after).map_err(setting_refused)?;
                inner.persist(|file| file.change_settings(app, None, change, &after))?;
                inner.data.app_mut(app)?.settings = after.clone();
                Ok(SettingsChanged {
                    existed,
                    defaults: after.clone(),
                    settings: after,
                })
            }
            Level::Client(id) => {
                let (seq, before) = entry.find(id)?;
                let before = before.clone();
                let mut after = before.clone();
                let existed = change.apply(&mut after.settings).map_err(setting_refused)?;
                let defaults = entry.settings.clone();
                inner.persist(|file| {
                    file.change_settings(app, Some(&before.id), change, &after.settings)
                })?;
                let settings = after.settings.clone();
                inner.data.app_mut(app)?.replace(seq, &before, after);
                Ok(SettingsChanged {
                    existed,
                    settings,
                    defaults,
                })
            }
        }
    }

    /// Finds client `id` in `app` and asks `proof` whether the request proves knowledge of its
    /// secret: the current one, or the previous one while its grace period lasts. `proof` is
    /// called for every candidate, whatever the outcome of the first, so that the time taken does
    /// not tell which secret matched.
    #[doc(hidden)]
    pub fn authenticate(
        &self,
        app: &AppId,
        id: &str,
        ip: std::net::IpAddr,
        proof: impl Fn(&ClientSecret) -> bool,
    ) -> Result<Caller, ApiError> {
        let unknown = || ApiError::InvalidCredentials(CredentialFailure::UnknownClient);
        let now = self.now_in(app);
        let inner = self.lock();
        let app_clients = inner.data.app(app).map_err(|_| ApiError::AppNotFound)?;
        let (_, client) = app_clients.find(id).map_err(|_| unknown())?;
        let current = proof(&client.secret);
        let previous = client
            .previous_secret
            .as_ref()
            .filter(|p| p.expires_at > now)
            .is_some_and(|p| proof(&p.secret));
        if !(current | previous) {
            return Err(ApiError::InvalidCredentials(
                CredentialFailure::WrongSecret(id.into()),
            ));
        }
        Ok(Caller {
            app: app.clone(),
            client_id: client.id.clone(),
            features: client.features.clone(),
            whitelist: client.whitelist.clone(),
            ip,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::model::Feature;

    const LOCAL: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    /// A store with one application and its owner, and that owner as a caller.
    fn store_with_app() -> (Store, Caller, ManualClock) {
        let clock = ManualClock::new(SystemTime::now());
        let store = Store::new(IdGenerator::seeded(1), Arc::new(clock.clone()));
        let app = AppId::parse("app").expect("app id");
        store
            .add_app(&app, vec!["app.example.com".into()])
            .expect("new app");
        let owner = Client::new(
            ClientId::parse("owner").expect("id"),
            ClientSecret::new("secret").expect("secret"),
            ClientName::parse("owner").expect("name"),
            Features::stored([Feature::Owner]),
        );
        store.insert_client(&app, owner).expect("owner");
        let caller = store
            .authenticate(&app, "owner", LOCAL, |_| true)
            .expect("owner authenticates");
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
        let with = |secret: &str| store.authenticate(&app, id, LOCAL, |s| s.matches(secret));
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
            store.authenticate(&app, "unknown", LOCAL, |_| true),
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
            store.add_app(&other, vec!["app.example.com".into()]),
            Err(StoreError::DomainTaken("app.example.com".into()))
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
        let as_caller = |id: &str| store.authenticate(&app, id, LOCAL, |_| true).expect("auth");
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
}
