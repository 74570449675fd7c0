//! Domain values: identifiers, secrets, features, allowlists and the client itself.
//!
//! Every type here is built by a `parse`-style constructor, so the rest of the crate handles
//! values that are already valid. Parse errors say *why* in the lower-case wording that the legacy
//! API puts after "was not valid for the following reason:"; the Configuration API renderer maps
//! them onto its own fixed texts.

/// The text behind a value held as shared text (`Arc<str>`): `as_str`, `Display`, `Borrow<str>`
/// (so maps keyed by it are searched with a `&str`) and `Serialize` as a plain string.
macro_rules! shared_text {
    ($($type:ident),+) => {$(
        impl $type {
            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::borrow::Borrow<str> for $type {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }
    )+};
}

mod allowlist;
mod client;
mod domain;
mod features;
mod ids;
mod name;
mod secret;
#[cfg(test)]
mod tests;

pub use allowlist::{Cidr, CidrError, Whitelist};
pub use client::{Client, PreviousSecret, Settings};
pub use domain::CaptureDomain;
pub use features::{Feature, FeatureError, Features, features_from_json};
pub use ids::{AppId, ClientId, IdError};
pub use name::{ClientName, NameError};
pub use secret::{ClientSecret, HoursOutOfRange, HoursToLive};
