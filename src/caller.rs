//! The verified caller of a client-management operation, and the permission rules that depend on
//! who calls.
//!
//! Families check permission explicitly in their handlers ([`Caller::require_owner`]), where a
//! reader sees it; the store checks the same rules again inside the critical section that applies
//! a change (`Caller::still_allowed`), so that a concurrent change to the caller itself (its
//! deletion, the loss of its `owner` feature, a new allowlist) cannot let a request through that
//! would be refused once it lands.

use std::net::IpAddr;

use crate::error::{ApiError, CredentialFailure, Denial, InvalidReason};
use crate::model::{AppId, Client, ClientId, Feature, Features, Whitelist};
use crate::settings::Level;

/// A verified caller: the client whose credentials the request carried.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The application the client belongs to.
    pub app: AppId,
    /// The calling client.
    pub client_id: ClientId,
    /// Its features at the time of the call.
    pub features: Features,
    /// Its allowlist at the time of the call.
    pub whitelist: Whitelist,
    /// The address the call came from.
    pub ip: IpAddr,
}

impl Caller {
    /// Every client-management call needs the `owner` feature.
    pub fn require_owner(&self) -> Result<(), ApiError> {
        owner_rule(&self.client_id, &self.features)
    }

    /// The rule of the settings operations: a client may read and change its own settings;
    /// another client's, or the application's defaults, need the `owner` feature.
    pub fn require_settings_access(&self, level: &Level) -> Result<(), ApiError> {
        if self.owns_level(level) {
            Ok(())
        } else {
            self.require_owner()
        }
    }

    /// Whether `level` is the caller's own settings.
    pub(crate) fn owns_level(&self, level: &Level) -> bool {
        matches!(level, Level::Client(id) if id == self.client_id.as_str())
    }

    /// The caller's rights checked against its record as it is now (`current`, `None` if it no
    /// longer exists): it must still exist, still be an owner, and still admit the address it
    /// calls from.
    pub(crate) fn still_allowed(&self, current: Option<&Client>) -> Result<(), ApiError> {
        self.still_allowed_as(current, true)
    }

    /// [`Caller::still_allowed`], with the `owner` feature needed only if `needs_owner` (a
    /// client changing its own settings needs none).
    pub(crate) fn still_allowed_as(
        &self,
        current: Option<&Client>,
        needs_owner: bool,
    ) -> Result<(), ApiError> {
        let current = current.ok_or(ApiError::InvalidCredentials(CredentialFailure::CallerGone))?;
        if needs_owner {
            owner_rule(&current.id, &current.features)?;
        }
        if !current.whitelist.allows(self.ip) {
            return Err(ApiError::Forbidden(Denial::AddressNotAllowed {
                client: current.id.to_string(),
                ip: self.ip.to_string(),
            }));
        }
        Ok(())
    }

    /// Refuses a change by the caller to its own record that would lock it out: dropping its
    /// `owner` feature, or an allowlist that no longer admits the address it calls from.
    pub fn check_change(&self, before: &Client, after: &Client) -> Result<(), ApiError> {
        if after.id != self.client_id {
            return Ok(());
        }
        if before.features.contains(Feature::Owner) && !after.features.contains(Feature::Owner) {
            return Err(ApiError::InvalidArgument {
                argument: "features",
                reason: InvalidReason::OwnerRemovedFromSelf,
            });
        }
        if !after.whitelist.allows(self.ip) {
            return Err(ApiError::InvalidArgument {
                argument: "whitelist",
                reason: InvalidReason::LocksOutCaller {
                    ip: self.ip.to_string(),
                },
            });
        }
        Ok(())
    }
}

fn owner_rule(id: &ClientId, features: &Features) -> Result<(), ApiError> {
    if features.contains(Feature::Owner) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(Denial::NotOwner(id.to_string())))
    }
}
