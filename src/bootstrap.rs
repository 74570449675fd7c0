//! The starting state: the imported fixture or an empty one, with the default application and
//! the configured owner made sure of; or, with a state file that already holds state, that state.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::{Config, ConfigError, OWNER_CLIENT_NAME, OwnerCredentials};
use crate::fixture::{Fixture, FixtureApp};
use crate::model::{AppId, Client, ClientId, ClientName, ClientSecret, Feature, Settings};
use crate::persistence::StateFile;
use crate::store::{Store, StoreError};
use crate::tokens::IdGenerator;

/// What the emulator starts with.
#[derive(Debug)]
pub struct Started {
    /// The store, loaded.
    pub store: Store,
    /// The configuration, without its fixture (which moved into the store).
    pub config: Config,
    /// The application legacy calls go to when their host matches no capture domain.
    pub default_app: AppId,
}

/// Validates `config` and builds the starting store.
pub fn build(config: Config, clock: Arc<dyn Clock>) -> Result<Started, ConfigError> {
    let default_app = AppId::parse(&config.app_id).map_err(|reason| ConfigError::AppId {
        value: config.app_id.clone(),
        reason,
    })?;
    let owner = config.owner.as_ref().map(owner_client).transpose()?;
    let mut config = config;
    // The fixture moves into the store rather than staying in the configuration.
    let mut seed = config.fixture.take().unwrap_or_default();
    ensure_start(&mut seed, &default_app, owner.as_ref(), OnConflict::Refuse)?;
    let store = Store::new(IdGenerator::for_seed(config.seed), clock);
    store.set_max_apps(config.max_apps);
    let stored = match &config.state_file {
        Some(path) => {
            let (file, stored) = StateFile::open(path)?;
            store.attach_state_file(file);
            stored
        }
        None => None,
    };
    let store_error = |e: StoreError| ConfigError::Store(e.to_string());
    match stored {
        Some(mut state) => {
            // The file wins over --import: it is where the work of earlier runs lives.
            let changed = ensure_start(&mut state, &default_app, owner.as_ref(), OnConflict::Keep)?;
            store.load(state, changed).map_err(store_error)?;
            store.set_initial(seed);
        }
        None => {
            store.load(seed, true).map_err(store_error)?;
            store.mark_initial();
        }
    }
    Ok(Started {
        store,
        config,
        default_app,
    })
}

fn owner_client(owner: &OwnerCredentials) -> Result<Client, ConfigError> {
    let id = ClientId::parse(&owner.client_id).map_err(|reason| ConfigError::OwnerClientId {
        value: owner.client_id.clone(),
        reason,
    })?;
    let secret =
        ClientSecret::new(owner.client_secret.clone()).ok_or(ConfigError::OwnerClientSecret)?;
    Ok(Client::owner(
        id,
        secret,
        ClientName::known(OWNER_CLIENT_NAME),
    ))
}

/// What to do when the starting state has a client with the owner's id that is not that owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnConflict {
    /// Refuse to start: the fixture and the flags disagree.
    Refuse,
    /// Keep the stored client: its secret may have been rotated on purpose in an earlier run.
    Keep,
}

/// Makes sure `state` has the default application and the owner in it. Returns whether it
/// changed anything.
fn ensure_start(
    state: &mut Fixture,
    app: &AppId,
    owner: Option<&Client>,
    on_conflict: OnConflict,
) -> Result<bool, ConfigError> {
    let (index, changed) = match state.apps.iter().position(|a| &a.app_id == app) {
        Some(index) => (index, false),
        None => {
            state.apps.push(FixtureApp {
                app_id: app.clone(),
                capture_domains: Vec::new(),
                clients: Vec::new(),
                settings: Settings::new(),
            });
            (state.apps.len() - 1, true)
        }
    };
    let Some(owner) = owner else {
        return Ok(changed);
    };
    let entry = &mut state.apps[index];
    let Some(existing) = entry.clients.iter().find(|c| c.id == owner.id) else {
        entry.clients.push(owner.clone());
        return Ok(true);
    };
    let conflict = if !existing.secret.matches(owner.secret.expose()) {
        Some("another secret")
    } else if !existing.features.contains(Feature::Owner) {
        Some("no owner feature")
    } else {
        None
    };
    match (conflict, on_conflict) {
        (None, _) => {}
        (Some(reason), OnConflict::Refuse) => {
            return Err(ConfigError::OwnerConflict {
                app: app.to_string(),
                client_id: owner.id.to_string(),
                reason,
            });
        }
        (Some(reason), OnConflict::Keep) => {
            tracing::warn!(
                client_id = %owner.id,
                "the state file's owner client differs from the command line ({reason}); keeping the stored one"
            );
        }
    }
    Ok(changed)
}
