//! Authentication: a presented secret checked against a client's current and previous secret.

use super::{Store, StoreError};
use crate::caller::Caller;
use crate::error::{ApiError, CredentialFailure};
use crate::model::{AppId, ClientSecret};

impl Store {
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
        let inner = self.lock();
        let (_, client) = inner.data.find(app, id).map_err(|error| match error {
            StoreError::AppNotFound => ApiError::AppNotFound,
            _ => unknown(),
        })?;
        let current = proof(&client.secret);
        let previous = client
            .previous_secret
            .as_ref()
            // The clock is read only for a client that has a previous secret.
            .filter(|p| p.expires_at > self.now_in(app))
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
