//! The client itself, its previous secret, and its settings.

use super::allowlist::Whitelist;
use super::features::{Feature, Features};
use super::ids::ClientId;
use super::name::ClientName;
use super::secret::ClientSecret;

/// Client settings (`/config/{appId}/clients/{clientId}/settings`): a JSON object.
pub type Settings = serde_json::Map<String, serde_json::Value>;

/// A secret that was replaced but stays valid until `expires_at`.
#[derive(Debug, Clone)]
pub struct PreviousSecret {
    /// The replaced secret.
    pub secret: ClientSecret,
    /// The instant after which it no longer authenticates.
    pub expires_at: std::time::SystemTime,
}

/// An API client as stored: the one record both API families read and write.
#[derive(Debug, Clone)]
pub struct Client {
    /// `client_id` / `_id`.
    pub id: ClientId,
    /// The current secret.
    pub secret: ClientSecret,
    /// The secret it replaced, while its grace period lasts. Boxed: few clients have one, and
    /// inline it would make every client's record a size class larger (a tenth of a big
    /// tenant's memory).
    pub previous_secret: Option<Box<PreviousSecret>>,
    /// `description` / `name`.
    pub name: ClientName,
    /// `features`.
    pub features: Features,
    /// `whitelist` / `ipWhitelist`.
    pub whitelist: Whitelist,
    /// Client-level settings.
    pub settings: Settings,
}

impl Client {
    /// An owner client as the emulator makes one for an application: [`Client::new`] with the
    /// `owner` feature alone.
    pub fn owner(id: ClientId, secret: ClientSecret, name: ClientName) -> Self {
        Self::new(id, secret, name, Features::stored([Feature::Owner]))
    }

    /// A client as a create makes it: no previous secret, the allow-everything allowlist, no
    /// settings. Seeding code changes the fields it needs from there.
    pub fn new(id: ClientId, secret: ClientSecret, name: ClientName, features: Features) -> Self {
        Self {
            id,
            secret,
            previous_secret: None,
            name,
            features,
            whitelist: Whitelist::allow_all(),
            settings: Settings::new(),
        }
    }
}
