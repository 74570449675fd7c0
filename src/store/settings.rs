//! Settings: the application's defaults and each client's own values, read and changed as one
//! unit.

use super::{SettingsChanged, Store, StoreError, setting_refused};
use crate::caller::Caller;
use crate::model::{AppId, ClientId, Settings};
use crate::settings::{Level, SettingsChange};

impl Store {
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
        let (_, client) = inner.data.find(app, id)?;
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
        let current = inner
            .data
            .find(app, by.client_id.as_str())
            .ok()
            .map(|(_, c)| c);
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
                let (seq, before) = inner.data.find(app, id)?;
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
}
