//! Client secrets, compared in constant time and never shown, and how long a replaced one keeps working.

use std::fmt;

use serde::{Serialize, Serializer};
use subtle::ConstantTimeEq;

/// A client secret. Its `Debug` output is redacted so that it cannot reach a log by accident, and
/// comparison is constant-time.
#[derive(Clone)]
pub struct ClientSecret(String);

impl ClientSecret {
    /// Wraps a secret; any non-empty text is accepted.
    pub fn new(raw: impl Into<String>) -> Option<Self> {
        let raw = raw.into();
        (!raw.is_empty()).then_some(Self(raw))
    }

    /// A secret the emulator generated itself, never empty.
    pub(crate) fn generated(token: String) -> Self {
        Self(token)
    }

    /// The secret in clear, for the places that must send it (API responses) or key an HMAC.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison with a presented secret.
    pub fn matches(&self, presented: &str) -> bool {
        self.0.as_bytes().ct_eq(presented.as_bytes()).into()
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(***)")
    }
}

impl Serialize for ClientSecret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// How long a replaced secret keeps working: 0 to 168 hours (a week).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HoursToLive(u8);

impl HoursToLive {
    /// The longest grace period.
    pub const MAX: i64 = 168;

    /// Accepts 0 to 168.
    pub fn new(hours: i64) -> Result<Self, HoursOutOfRange> {
        u8::try_from(hours)
            .ok()
            .filter(|h| i64::from(*h) <= Self::MAX)
            .map(Self)
            .ok_or(HoursOutOfRange)
    }

    /// The grace period.
    pub fn duration(self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.0) * 3600)
    }
}

/// A grace period outside 0 to [`HoursToLive::MAX`] hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoursOutOfRange;
