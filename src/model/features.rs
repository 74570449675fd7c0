//! Client features (permission sets) and the rules of their assignment.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// A client feature (a permission set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feature {
    /// Full administrative access; required for every client-management call.
    Owner,
    /// May issue access tokens for other clients.
    AccessIssuer,
    /// Read access to all records.
    DirectReadAccess,
    /// Read and write access to all records.
    DirectAccess,
    /// Login and registration client; cannot be combined with any other feature.
    LoginClient,
    /// Writes do not bump `lastUpdated`. Only Akamai may assign it, so the APIs refuse it, but a
    /// client imported from a real tenant may carry it.
    Metadata,
}

impl Feature {
    /// Every feature, in the order the documentation lists them.
    pub const ALL: [Feature; 6] = [
        Feature::Owner,
        Feature::AccessIssuer,
        Feature::DirectReadAccess,
        Feature::DirectAccess,
        Feature::LoginClient,
        Feature::Metadata,
    ];

    /// Whether a caller of either API may assign it: all but `metadata`, which only Akamai
    /// applies.
    pub fn is_assignable(self) -> bool {
        self != Feature::Metadata
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Feature::Owner => "owner",
            Feature::AccessIssuer => "access_issuer",
            Feature::DirectReadAccess => "direct_read_access",
            Feature::DirectAccess => "direct_access",
            Feature::LoginClient => "login_client",
            Feature::Metadata => "metadata",
        }
    }
}

impl FromStr for Feature {
    type Err = FeatureError;

    /// Names are matched exactly (case-sensitive), as the APIs do.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Feature::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| FeatureError::Unknown(s.to_owned()))
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Feature {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Why a feature list was refused. `Display` gives the legacy API's reason text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeatureError {
    /// A name that is not a feature (for a non-string JSON element, its JSON text).
    #[error("{0} is not a valid feature name")]
    Unknown(String),
    /// `metadata` was asked for; only Akamai may assign it.
    #[error("the metadata feature can only be applied to a client by Akamai")]
    Metadata,
    /// `login_client` was combined with another feature.
    #[error("clients with the login_client feature cannot have any other features")]
    LoginClientCombined,
}

/// The features of a client, in the order they were given, without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Features(Vec<Feature>);

impl Features {
    /// Features that a caller of either API may assign: no `metadata`, and `login_client` alone.
    pub fn assignable(list: impl IntoIterator<Item = Feature>) -> Result<Self, FeatureError> {
        let features = Self::stored(list);
        if !features.0.iter().all(|feature| feature.is_assignable()) {
            return Err(FeatureError::Metadata);
        }
        if features.contains(Feature::LoginClient) && features.0.len() > 1 {
            return Err(FeatureError::LoginClientCombined);
        }
        Ok(features)
    }

    /// Features as found in stored or imported state, where no assignment rule applies.
    pub fn stored(list: impl IntoIterator<Item = Feature>) -> Self {
        let mut out: Vec<Feature> = Vec::new();
        for feature in list {
            if !out.contains(&feature) {
                out.push(feature);
            }
        }
        Self(out)
    }

    /// Whether the set holds `feature`.
    pub fn contains(&self, feature: Feature) -> bool {
        self.0.contains(&feature)
    }

    /// Whether the set holds at least one of `wanted`.
    pub fn contains_any(&self, wanted: &[Feature]) -> bool {
        wanted.iter().any(|f| self.contains(*f))
    }

    /// Whether the set holds every one of `wanted`.
    pub fn contains_all(&self, wanted: &[Feature]) -> bool {
        wanted.iter().all(|f| self.contains(*f))
    }

    /// The features in order.
    pub fn iter(&self) -> impl Iterator<Item = Feature> + '_ {
        self.0.iter().copied()
    }
}

/// Feature names from a JSON array, as both families receive them. A non-string element is an
/// unknown name, reported by its JSON text. No assignment rule is applied here: filters may name
/// any feature.
pub fn features_from_json(items: &[serde_json::Value]) -> Result<Vec<Feature>, FeatureError> {
    items
        .iter()
        .map(|item| match item {
            serde_json::Value::String(name) => name.parse(),
            other => Err(FeatureError::Unknown(other.to_string())),
        })
        .collect()
}
