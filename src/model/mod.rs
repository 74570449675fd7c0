//! Domain values: identifiers, secrets, features, allowlists and the client itself.
//!
//! Every type here is built by a `parse`-style constructor, so the rest of the crate handles
//! values that are already valid. Parse errors say *why* in the lower-case wording that the legacy
//! API puts after "was not valid for the following reason:"; the Configuration API renderer maps
//! them onto its own fixed texts.

use std::borrow::Borrow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;
use std::sync::{Arc, LazyLock};

use ipnet::Ipv4Net;
use serde::{Serialize, Serializer};
use subtle::ConstantTimeEq;

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
