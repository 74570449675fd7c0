//! IPv4 CIDR blocks and the allowlists (`whitelist` / `ipWhitelist`) made of them.

use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;
use std::sync::{Arc, LazyLock};

use ipnet::Ipv4Net;
use serde::{Serialize, Serializer};

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
