//! Clients: seeding, creating, listing, reading, changing and deleting them, and new secrets.

use std::sync::Arc;
use std::time::Duration;

use super::{ClientChange, NameRule, NewClient, Store, StoreError, setting_refused};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::model::{AppId, Client, ClientId, ClientSecret, PreviousSecret};
use crate::settings;

impl Store {
    /// Stores a client with a given id and secret (fixtures, tests). Its id must be new to the
    /// application; its name need not be.
    pub fn insert_client(&self, app: &AppId, client: Client) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let entry = inner.data.app(app)?;
        if inner.data.client_id_taken(&client.id) {
            return Err(StoreError::ClientExists(client.id.clone()));
        }
        settings::check_all(&client.settings).map_err(setting_refused)?;
        let seq = entry.next_seq;
        inner.persist(|file| file.put_new_client(app, seq, &client))?;
        inner.data.add_client(app, client).map(drop)
    }

    /// Creates a client with a fresh id and secret in the caller's application, if the caller
    /// may still do so when the change is applied.
    #[doc(hidden)]
    pub fn create_client(
        &self,
        by: &Caller,
        new: NewClient,
        rule: NameRule,
    ) -> Result<Arc<Client>, StoreError> {
        let app = &by.app;
        let mut inner = self.lock_for(by)?;
        let entry = inner.data.app(app)?;
        if rule == NameRule::Unique && entry.name_taken(&new.name) {
            return Err(StoreError::NameTaken(new.name.to_string()));
        }
        let id = loop {
            // 36^32 possible ids make a collision practically impossible, but a fixture could
            // hold an id that a seeded generator draws; ids are unique across the emulator.
            let candidate = ClientId::generated(self.ids.client_token());
            if !inner.data.client_id_taken(&candidate) {
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
        // Shared with the store, not copied: the answer is written from it.
        inner.data.add_client(app, client)
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
        let (_, client) = inner.data.find(app, id)?;
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
        let mut inner = self.lock_for(by)?;
        let entry = inner.data.app(app)?;
        let (seq, before) = inner.data.find(app, id)?;
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
        let mut inner = self.lock_for(by)?;
        let (_, client) = inner.data.find(app, id)?;
        check(client).map_err(StoreError::Refused)?;
        let id = client.id.clone();
        inner.persist(|file| file.delete_client(app, &id))?;
        inner.data.remove_client(app, &id)
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
        let mut inner = self.lock_for(by)?;
        let now = inner.clocks.at(app, self.clock.now());
        let (seq, before) = inner.data.find(app, id)?;
        let before = before.clone();
        let mut after = before.clone();
        after.secret = ClientSecret::generated(self.ids.client_token());
        after.previous_secret = (!grace.is_zero()).then(|| {
            Box::new(PreviousSecret {
                secret: before.secret.clone(),
                expires_at: now + grace,
            })
        });
        inner.replace_client(app, seq, &before, after)
    }
}
