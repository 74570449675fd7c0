//! Application and client identifiers, and why one is refused.

use std::sync::Arc;

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

    /// An id the emulator drew, already of the right shape.
    pub(crate) fn generated(token: String) -> Self {
        Self(token.into())
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
}

shared_text!(AppId, ClientId);

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
