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

/// The identifier of an application (a tenant), as it appears in `/config/{appId}/...`.
/// Shared, as every authenticated call carries it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppId(Arc<str>);

impl AppId {
    /// Accepts 1 to 64 characters of `[A-Za-z0-9_-]`: anything that can stand in a URL path
    /// segment without escaping. Real application ids are 26 lower-case alphanumerics.
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        parse_id(raw, 64).map(|id| Self(id.into()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An id the emulator drew, already of the right shape.
    pub(crate) fn generated(token: String) -> Self {
        Self(token.into())
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The identifier of an API client (`client_id` in the legacy API, `_id` in the Configuration API).
/// Shared, so that the store's indexes hold it without copying the text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(Arc<str>);

impl ClientId {
    /// Accepts 1 to 128 characters of `[A-Za-z0-9_-]`. Generated ids are 32 lower-case
    /// alphanumerics, but fixtures and `--owner-client-id` may carry ids of other shapes.
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        parse_id(raw, 128).map(|id| Self(id.into()))
    }

    /// An id the emulator generated itself, already of the right shape.
    pub(crate) fn generated(token: String) -> Self {
        Self(token.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Borrow<str> for ClientId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl Serialize for ClientId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Why an application or client id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The id is empty.
    #[error("the id is empty")]
    Empty,
    /// The id is longer than allowed.
    #[error("the id is longer than {0} characters")]
    TooLong(usize),
    /// The id holds a character outside `[A-Za-z0-9_-]`.
    #[error("the id may hold only letters, digits, '_' and '-'")]
    BadCharacter,
}

fn parse_id(raw: &str, max: usize) -> Result<String, IdError> {
    if raw.is_empty() {
        return Err(IdError::Empty);
    }
    if raw.len() > max {
        return Err(IdError::TooLong(max));
    }
    if !raw
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(IdError::BadCharacter);
    }
    Ok(raw.to_owned())
}

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

/// A client's name: `name` in the Configuration API, `description` in the legacy API. Shared,
/// like [`ClientId`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientName(Arc<str>);

impl ClientName {
    /// The longest name either API accepts, in characters.
    pub const MAX_CHARS: usize = 1024;

    /// A name as the APIs accept it: at least one visible character (white space, control
    /// characters and characters that display as nothing, such as U+200B, do not count) and at
    /// most [`ClientName::MAX_CHARS`] characters. Names are kept exactly as given.
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        if raw.chars().all(is_invisible) {
            return Err(NameError::Missing);
        }
        if raw.chars().nth(Self::MAX_CHARS).is_some() {
            return Err(NameError::TooLong);
        }
        Ok(Self(raw.into()))
    }

    /// A name from stored or imported state, where the APIs' rules may not have applied (a real
    /// tenant's, or an earlier version's): anything but the empty text.
    pub fn stored(raw: &str) -> Option<Self> {
        (!raw.is_empty()).then(|| Self(raw.into()))
    }

    /// A name fixed in the emulator's own code.
    pub(crate) fn known(name: &'static str) -> Self {
        Self(name.into())
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty, or without a visible character: the APIs treat it as not given.
    #[error("the name has no visible character")]
    Missing,
    /// Over [`ClientName::MAX_CHARS`] characters.
    #[error("the name is longer than {} characters", ClientName::MAX_CHARS)]
    TooLong,
}

/// Characters that do not make a name visible: white space, control characters, and the
/// characters Unicode marks as default-ignorable (zero-width spaces and joiners, direction marks,
/// variation selectors, the byte order mark, fillers).
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFF8}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

impl fmt::Display for ClientName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Borrow<str> for ClientName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl Serialize for ClientName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

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

/// One IPv4 CIDR block of an allowlist, kept as the caller wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cidr {
    text: String,
    net: Ipv4Net,
}

/// Why a CIDR block was refused. `Display` gives the legacy API's reason text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    /// The prefix length is over 32 (the documented message).
    #[error("invalid cidr address: {0}; value after slash must be 32 or less")]
    PrefixTooLong(String),
    /// Anything else that is not `a.b.c.d/n`.
    #[error("invalid cidr address: {0}")]
    Malformed(String),
}

impl Cidr {
    /// Parses `a.b.c.d/n` with `n` from 0 to 32. A bare address without `/n` and IPv6 are
    /// refused: the documentation only shows IPv4 blocks with an explicit prefix.
    pub fn parse(raw: &str) -> Result<Self, CidrError> {
        let malformed = || CidrError::Malformed(raw.to_owned());
        let (addr, prefix) = raw.split_once('/').ok_or_else(malformed)?;
        let addr = Ipv4Addr::from_str(addr).map_err(|_| malformed())?;
        if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        let prefix: u8 = prefix.parse().map_err(|_| malformed())?;
        if prefix > 32 {
            return Err(CidrError::PrefixTooLong(raw.to_owned()));
        }
        let net = Ipv4Net::new(addr, prefix).map_err(|_| malformed())?;
        Ok(Self {
            text: raw.to_owned(),
            net,
        })
    }

    /// The block as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `ip` falls inside the block. An IPv4-mapped IPv6 address counts as its IPv4 form;
    /// any other IPv6 address matches only `0.0.0.0/0`, the allow-everything default.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(v4) => self.net.contains(&v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => self.net.contains(&v4),
                None => self.net.prefix_len() == 0,
            },
        }
    }
}

impl Serialize for Cidr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// A client's IP allowlist (`whitelist` / `ipWhitelist`). Shared: most clients have the
/// default, and all of them point at one copy of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Whitelist(Arc<[Cidr]>);

static ALLOW_ALL: LazyLock<Whitelist> = LazyLock::new(|| {
    Whitelist(Arc::from(vec![Cidr {
        text: "0.0.0.0/0".to_owned(),
        net: Ipv4Net::default(),
    }]))
});

impl Whitelist {
    /// The documented default, `["0.0.0.0/0"]`: every address.
    pub fn allow_all() -> Self {
        ALLOW_ALL.clone()
    }

    /// An allowlist of the given blocks, in order. An empty list is kept as it is and admits no
    /// address at all.
    pub fn new(blocks: Vec<Cidr>) -> Self {
        Self(Arc::from(blocks))
    }

    /// An allowlist from a JSON array of CIDR strings. A non-string element is malformed,
    /// reported by its JSON text.
    pub fn from_json(items: &[serde_json::Value]) -> Result<Self, CidrError> {
        items
            .iter()
            .map(|item| match item {
                serde_json::Value::String(text) => Cidr::parse(text),
                other => Err(CidrError::Malformed(other.to_string())),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self::new)
    }

    /// Whether a call from `ip` is allowed.
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|block| block.contains(ip))
    }

    /// The blocks in order.
    pub fn iter(&self) -> impl Iterator<Item = &Cidr> {
        self.0.iter()
    }
}

impl Serialize for Whitelist {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

impl Default for Whitelist {
    fn default() -> Self {
        Self::allow_all()
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
    /// The secret it replaced, while its grace period lasts.
    pub previous_secret: Option<PreviousSecret>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_accepts_ipv4_blocks_and_keeps_their_text() {
        let block = Cidr::parse("10.1.2.3/8").expect("valid block");
        assert_eq!(block.as_str(), "10.1.2.3/8");
        assert!(block.contains("10.200.0.1".parse().expect("ip")));
        assert!(!block.contains("11.0.0.1".parse().expect("ip")));
    }

    #[test]
    fn cidr_reasons_follow_the_documented_text() {
        assert_eq!(
            Cidr::parse("10.0.0.0/33").unwrap_err().to_string(),
            "invalid cidr address: 10.0.0.0/33; value after slash must be 32 or less"
        );
        for bad in [
            "10.0.0.1",
            "10.0.0/8",
            "::1/128",
            "a.b.c.d/8",
            "1.2.3.4/",
            "1.2.3.4/+8",
        ] {
            assert_eq!(
                Cidr::parse(bad),
                Err(CidrError::Malformed(bad.to_owned())),
                "{bad}"
            );
        }
    }

    #[test]
    fn allow_all_admits_ipv6_too() {
        assert!(Whitelist::allow_all().allows("::1".parse().expect("ip")));
        let only_ten = Whitelist::new(vec![Cidr::parse("10.0.0.0/8").expect("block")]);
        assert!(!only_ten.allows("::1".parse().expect("ip")));
        assert!(only_ten.allows("::ffff:10.0.0.1".parse().expect("ip")));
    }

    #[test]
    fn feature_rules() {
        assert_eq!(
            Features::assignable([Feature::LoginClient, Feature::Owner]),
            Err(FeatureError::LoginClientCombined)
        );
        assert_eq!(
            Features::assignable([Feature::Metadata]),
            Err(FeatureError::Metadata)
        );
        let twice = Features::assignable([Feature::Owner, Feature::Owner]).expect("valid");
        assert_eq!(twice.iter().collect::<Vec<_>>(), vec![Feature::Owner]);
        assert_eq!(
            "superuser_owner".parse::<Feature>(),
            Err(FeatureError::Unknown("superuser_owner".to_owned()))
        );
    }

    #[test]
    fn names_need_a_visible_character_and_a_bounded_length() {
        for missing in [
            "",
            " \t\n",
            "\0",
            "\0\0",
            "\u{200B}",
            "\u{FEFF} \u{2060}",
            "\u{3000}",
        ] {
            assert_eq!(
                ClientName::parse(missing),
                Err(NameError::Missing),
                "{missing:?}"
            );
        }
        for kept in [" a ", "\u{200B}x", "\"quoted\"", "é"] {
            assert_eq!(ClientName::parse(kept).expect("valid").as_str(), kept);
        }
        let longest = "n".repeat(ClientName::MAX_CHARS);
        assert!(ClientName::parse(&longest).is_ok());
        assert_eq!(
            ClientName::parse(&format!("{longest}n")),
            Err(NameError::TooLong)
        );
        // Characters, not bytes.
        assert!(ClientName::parse(&"é".repeat(ClientName::MAX_CHARS)).is_ok());
        // Stored state keeps whatever it has.
        assert!(ClientName::stored("\u{200B}").is_some());
        assert!(ClientName::stored("").is_none());
    }

    #[test]
    fn secret_debug_is_redacted() {
        let secret = ClientSecret::new("hunter2").expect("non-empty");
        assert_eq!(format!("{secret:?}"), "ClientSecret(***)");
        assert!(secret.matches("hunter2"));
        assert!(!secret.matches("hunter3"));
    }
}
