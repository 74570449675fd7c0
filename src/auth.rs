//! Credentials in every form the two families take, and their verification against the store.
//!
//! The families' extractors gather what the request presents ([`Presented`]) and call
//! [`verify`]; permission (the `owner` feature) is checked by the handler itself with
//! [`Caller::require_owner`], where a reader sees it.

use std::net::IpAddr;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::error::{ApiError, CredentialFailure, Denial};
use crate::model::{AppId, ClientId, Feature, Features, Whitelist};
use crate::store::Store;

/// Standard base64 that accepts the value with or without its `=` padding: the documentation's
/// own curl examples send Basic credentials with the padding cut off.
const BASIC: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

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
}

impl Caller {
    /// Every client-management call needs the `owner` feature.
    pub fn require_owner(&self) -> Result<(), ApiError> {
        if self.features.contains(Feature::Owner) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(Denial::NotOwner(
                self.client_id.to_string(),
            )))
        }
    }
}

/// Credentials as a request presents them, before they are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    /// `Authorization: Basic base64(id:secret)`.
    Basic {
        /// The client id.
        client_id: String,
        /// The secret. Not `ClientSecret`: a presented value is not trusted to be one.
        secret: Redacted,
    },
    /// `client_id` and `client_secret` request parameters (legacy family only).
    Parameters {
        /// The client id.
        client_id: String,
        /// The secret.
        secret: Redacted,
    },
}

impl Presented {
    /// The client id the request claims to be.
    pub fn client_id(&self) -> &str {
        match self {
            Presented::Basic { client_id, .. } | Presented::Parameters { client_id, .. } => {
                client_id
            }
        }
    }
}

/// A presented secret: kept out of `Debug` output like a stored one.
#[derive(Clone, PartialEq, Eq)]
pub struct Redacted(pub String);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// What an `Authorization` header holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizationHeader {
    /// Basic credentials.
    Basic(Presented),
    /// `OAuth <token>` or `Bearer <token>`: an end-user token, which no client-management call
    /// accepts.
    Token,
}

/// Reads an `Authorization` header value. The scheme name is case-insensitive; a Basic value
/// must decode to UTF-8 `id:secret`, split at the first colon.
pub fn parse_authorization(value: &[u8]) -> Result<AuthorizationHeader, ApiError> {
    let value = std::str::from_utf8(value)
        .map_err(|_| ApiError::UnsupportedAuthScheme("not valid UTF-8".into()))?
        .trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("basic") {
        let malformed = || ApiError::InvalidCredentials(CredentialFailure::MalformedBasic);
        let decoded = BASIC.decode(rest).map_err(|_| malformed())?;
        let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
        let (client_id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
        return Ok(AuthorizationHeader::Basic(Presented::Basic {
            client_id: client_id.to_owned(),
            secret: Redacted(secret.to_owned()),
        }));
    }
    if scheme.eq_ignore_ascii_case("oauth") || scheme.eq_ignore_ascii_case("bearer") {
        return Ok(AuthorizationHeader::Token);
    }
    Err(ApiError::UnsupportedAuthScheme(format!(
        "scheme {scheme:?} is not supported"
    )))
}

/// Checks presented credentials against client records of `app`, then the calling client's
/// allowlist against the address the request came from.
pub fn verify(
    store: &Store,
    app: &AppId,
    presented: &Presented,
    peer: IpAddr,
) -> Result<Caller, ApiError> {
    let caller = match presented {
        Presented::Basic { client_id, secret } | Presented::Parameters { client_id, secret } => {
            store.authenticate(app, client_id, |stored| stored.matches(&secret.0))?
        }
    };
    if !caller.whitelist.allows(peer) {
        return Err(ApiError::Forbidden(Denial::AddressNotAllowed {
            client: caller.client_id.to_string(),
            ip: peer.to_string(),
        }));
    }
    Ok(caller)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(id: &str, secret: &str) -> AuthorizationHeader {
        AuthorizationHeader::Basic(Presented::Basic {
            client_id: id.into(),
            secret: Redacted(secret.into()),
        })
    }

    #[test]
    fn basic_with_and_without_padding() {
        // "abcdefg:hijklmnop", the documentation's example, padded and not.
        assert_eq!(
            parse_authorization(b"Basic YWJjZGVmZzpoaWprbG1ub3A=").expect("padded"),
            basic("abcdefg", "hijklmnop")
        );
        assert_eq!(
            parse_authorization(b"basic YWJjZGVmZzpoaWprbG1ub3A").expect("unpadded"),
            basic("abcdefg", "hijklmnop")
        );
    }

    #[test]
    fn the_secret_may_hold_colons() {
        let header = format!("Basic {}", BASIC.encode("id:se:cret"));
        assert_eq!(
            parse_authorization(header.as_bytes()).expect("parsed"),
            basic("id", "se:cret")
        );
    }

    #[test]
    fn unreadable_headers_are_refused() {
        assert!(matches!(
            parse_authorization(b"Basic !!!"),
            Err(ApiError::InvalidCredentials(
                CredentialFailure::MalformedBasic
            ))
        ));
        let no_colon = format!("Basic {}", BASIC.encode("nocolon"));
        assert!(parse_authorization(no_colon.as_bytes()).is_err());
        assert!(matches!(
            parse_authorization(b"Digest abc"),
            Err(ApiError::UnsupportedAuthScheme(_))
        ));
        assert_eq!(
            parse_authorization(b"OAuth token").expect("token"),
            AuthorizationHeader::Token
        );
    }
}
