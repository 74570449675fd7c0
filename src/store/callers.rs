//! Authentication: the application a call is for, found and its caller proved under one lock. A
//! presented secret is checked against a client's current and previous secret.

use std::net::IpAddr;
use std::time::SystemTime;

use super::index::Data;
use super::{Store, StoreError};
use crate::caller::Caller;
use crate::error::{ApiError, CredentialFailure};
use crate::model::{AppId, ClientSecret};

/// Which application a call is for, as its family finds it.
#[derive(Debug, Clone, Copy)]
pub enum Route<'a> {
    /// The one named (the Configuration API's path).
    App(&'a AppId),
    /// A legacy call's: the one whose capture domain its `Host` names (case, port and a trailing
    /// dot do not matter); else the application of the client the call claims to be (client ids
    /// are unique across the emulator); else `default`.
    Legacy {
        /// The `Host` of the call.
        host: Option<&'a str>,
        /// Where a call that names no known domain or client goes.
        default: &'a AppId,
    },
}

impl Route<'_> {
    fn resolve(self, data: &Data, claimed: Option<&str>) -> AppId {
        match self {
            Route::App(app) => app.clone(),
            Route::Legacy { host, default } => host
                .and_then(|host| data.app_for_host(host))
                .or_else(|| claimed.and_then(|id| data.app_of_client(id)))
                .unwrap_or(default)
                .clone(),
        }
    }
}

impl Store {
    /// The application `route` leads to for a call that claims to be client `claimed`.
    pub(crate) fn route(&self, route: Route<'_>, claimed: Option<&str>) -> AppId {
        route.resolve(&self.lock().data, claimed)
    }

    /// Finds the application `route` leads to and, in it, client `id`; asks `in_time` whether
    /// the call is on time by the application's clock (a signature's date), then `proof`
    /// whether the request proves knowledge of the client's secret: the current one, or the
    /// previous one while its grace period lasts. `proof` is called for every candidate,
    /// whatever the outcome of the first, so that the time taken does not tell which secret
    /// matched. Returns the application with the outcome, which the journal notes either way.
    #[doc(hidden)]
    pub fn authenticate(
        &self,
        route: Route<'_>,
        id: &str,
        ip: IpAddr,
        in_time: impl FnOnce(SystemTime) -> Result<(), ApiError>,
        proof: impl Fn(&ClientSecret) -> bool,
    ) -> (AppId, Result<Caller, ApiError>) {
        let inner = self.lock();
        let app = route.resolve(&inner.data, Some(id));
        let now = inner.clocks.at(&app, self.clock.now());
        let outcome = in_time(now).and_then(|()| {
            let unknown = || ApiError::InvalidCredentials(CredentialFailure::UnknownClient);
            let (_, client) = inner.data.find(&app, id).map_err(|error| match error {
                StoreError::AppNotFound => ApiError::AppNotFound,
                _ => unknown(),
            })?;
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
        });
        (app, outcome)
    }
}
