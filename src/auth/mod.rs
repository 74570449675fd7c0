//! Credentials in every form the two families take, and their verification against the store.
//!
//! The families' extractors gather what the request presents ([`Presented`]) and call
//! [`verify`]; permission (the `owner` feature) is checked by the handler itself with
//! [`Caller::require_owner`], where a reader sees it.

pub mod signature;

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

pub use crate::caller::Caller;
use crate::error::{ApiError, AuthSchemeProblem, CredentialFailure, Denial};
use crate::model::AppId;
use crate::redact::Redacted;
use crate::store::{Route, Store};

/// Standard base64 that accepts the value with or without its `=` padding: the documentation's
/// own curl examples send Basic credentials with the padding cut off.
const BASIC: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Credentials as a request presents them, before they are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    /// `Authorization: Basic base64(id:secret)`.
    Basic {
        /// The client id.
        client_id: String,
        /// The secret. Not `ClientSecret`: a presented value is not trusted to be one.
        secret: Redacted<String>,
    },
    /// `client_id` and `client_secret` request parameters (legacy family only).
    Parameters {
        /// The client id.
        client_id: String,
        /// The secret.
        secret: Redacted<String>,
    },
    /// A `janrain-signed` request (legacy family only).
    Signed {
        /// The client id.
        client_id: String,
        /// The decoded HMAC-SHA1 signature.
        signature: Redacted<Vec<u8>>,
        /// The texts the client may have signed (see [`signature::candidates`]). They hold every
        /// parameter value in clear, so they are never written out.
        candidates: Redacted<Vec<String>>,
        /// The instant in the `Date` header.
        date: SystemTime,
    },
}

impl Presented {
    /// The client id the credentials claim, not yet verified.
    pub fn client_id(&self) -> &str {
        match self {
            Self::Basic { client_id, .. }
            | Self::Parameters { client_id, .. }
            | Self::Signed { client_id, .. } => client_id,
        }
    }
}

/// What an `Authorization` header holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizationHeader {
    /// Basic credentials.
    Basic(Presented),
    /// `Signature <client_id>:<base64>`; the family completes it with the `Date` header and
    /// the parameters.
    Signature {
        /// The client id.
        client_id: String,
        /// The decoded signature.
        signature: Redacted<Vec<u8>>,
    },
    /// `OAuth <token>` or `Bearer <token>`: an end-user token, which no client-management call
    /// accepts.
    Token,
}

/// Reads an `Authorization` header value. The scheme name is case-insensitive and ends at the
/// first space or tab; a Basic value must decode to UTF-8 `id:secret`, split at the first colon.
/// No error carries any part of the value: it is credential material, whatever its form.
pub fn parse_authorization(value: &[u8]) -> Result<AuthorizationHeader, ApiError> {
    let value = std::str::from_utf8(value)
        .map_err(|_| ApiError::UnsupportedAuthScheme(AuthSchemeProblem::NotUtf8))?
        .trim();
    let (scheme, rest) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("basic") {
        return decode_basic(rest).map(AuthorizationHeader::Basic);
    }
    if scheme.eq_ignore_ascii_case("signature") {
        let (client_id, signature) = signature::parse_credentials(rest).ok_or(
            ApiError::InvalidCredentials(CredentialFailure::MalformedSignature),
        )?;
        return Ok(AuthorizationHeader::Signature {
            client_id,
            signature: Redacted(signature),
        });
    }
    if scheme.eq_ignore_ascii_case("oauth") || scheme.eq_ignore_ascii_case("bearer") {
        return Ok(AuthorizationHeader::Token);
    }
    Err(ApiError::UnsupportedAuthScheme(AuthSchemeProblem::Unknown))
}

thread_local! {
    /// The last Basic credentials this thread decoded, under a keyed hash of their encoded text:
    /// a client sends the same header with every call, and its decoding is most of the reading.
    static LAST_BASIC: std::cell::RefCell<Option<DecodedBasic>> = const { std::cell::RefCell::new(None) };
    /// This thread's key for that hash.
    static BASIC_KEY: foldhash::fast::RandomState = foldhash::fast::RandomState::default();
}

/// Basic credentials and the text they were decoded from.
struct DecodedBasic {
    hash: u64,
    encoded: Box<str>,
    presented: Presented,
}

/// `id:secret` from the base64 text of a Basic header. The text is compared with the last one
/// this thread decoded by a keyed hash first, which takes the same time whatever the text, and
/// as text only when the hashes agree: how long the comparison takes tells nothing of how much
/// of another client's credentials a guess matches.
fn decode_basic(encoded: &str) -> Result<Presented, ApiError> {
    use std::hash::BuildHasher as _;
    let hash = BASIC_KEY.with(|key| key.hash_one(encoded));
    let known = LAST_BASIC.with_borrow(|last| {
        last.as_ref()
            .filter(|last| last.hash == hash && *last.encoded == *encoded)
            .map(|last| last.presented.clone())
    });
    if let Some(presented) = known {
        return Ok(presented);
    }
    let malformed = || ApiError::InvalidCredentials(CredentialFailure::MalformedBasic);
    let decoded = BASIC.decode(encoded).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (client_id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let presented = Presented::Basic {
        client_id: client_id.to_owned(),
        secret: Redacted(secret.to_owned()),
    };
    LAST_BASIC.with_borrow_mut(|last| {
        *last = Some(DecodedBasic {
            hash,
            encoded: encoded.into(),
            presented: presented.clone(),
        })
    });
    Ok(presented)
}

/// Checks presented credentials against the client records of the application `route` leads
/// to (a signature's date must lie within `skew` of that application's clock), then the calling
/// client's allowlist against the address the request came from. One look into the store finds
/// the application and proves the caller; the application comes back whatever the outcome.
pub fn verify(
    store: &Store,
    route: Route<'_>,
    presented: &Presented,
    peer: IpAddr,
    skew: Duration,
) -> (AppId, Result<Caller, ApiError>) {
    let (app, caller) = match presented {
        Presented::Basic { client_id, secret } | Presented::Parameters { client_id, secret } => {
            store.authenticate(
                route,
                client_id,
                peer,
                |_| Ok(()),
                |stored| stored.matches(&secret.0),
            )
        }
        Presented::Signed {
            client_id,
            signature,
            candidates,
            date,
        } => {
            // The header has whole seconds, so compare whole seconds: a date sent exactly
            // `skew` ago stays valid for the rest of that second.
            let in_time = |now: SystemTime| {
                let off_by_secs = unix_secs(now).abs_diff(unix_secs(*date));
                if off_by_secs > skew.as_secs() {
                    return Err(ApiError::InvalidCredentials(
                        CredentialFailure::DateOutsideWindow { off_by_secs },
                    ));
                }
                Ok(())
            };
            let (app, caller) = store.authenticate(route, client_id, peer, in_time, |stored| {
                signature::verifies(stored, &candidates.0, &signature.0)
            });
            let caller = caller.map_err(|error| match error {
                ApiError::InvalidCredentials(CredentialFailure::WrongSecret(id)) => {
                    // The family, which has the parameters, says what was expected
                    // (`signature::shown`); only a failure pays for that text.
                    ApiError::InvalidCredentials(CredentialFailure::BadSignature {
                        client: id,
                        signed: None,
                    })
                }
                other => other,
            });
            (app, caller)
        }
    };
    let caller = caller.and_then(|caller| {
        if caller.whitelist.allows(peer) {
            Ok(caller)
        } else {
            Err(ApiError::Forbidden(Denial::AddressNotAllowed {
                client: caller.client_id.to_string(),
                ip: peer.to_string(),
            }))
        }
    });
    (app, caller)
}

/// The client a verification found, successful or not: the journal names a calling client only
/// once it is known to exist, so that a mistyped or swapped credential (a secret sent as the id)
/// is never recorded.
pub fn found_client(result: &Result<Caller, ApiError>) -> Option<&str> {
    match result {
        Ok(caller) => Some(caller.client_id.as_str()),
        Err(ApiError::InvalidCredentials(
            CredentialFailure::WrongSecret(id) | CredentialFailure::BadSignature { client: id, .. },
        ))
        | Err(ApiError::Forbidden(Denial::AddressNotAllowed { client: id, .. })) => Some(id),
        Err(_) => None,
    }
}

/// Seconds since 1970, negative before it.
fn unix_secs(at: SystemTime) -> i64 {
    match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
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

    proptest::proptest! {
        /// Read again and again, in any order, each header reads as it did the first time: the
        /// thread's last decoding is never taken for another's.
        #[test]
        fn a_header_read_again_reads_the_same(
            pairs in proptest::collection::vec(("[a-z0-9]{0,6}", "[a-z0-9:]{0,6}"), 1..6),
            order in proptest::collection::vec(0usize..6, 1..20),
        ) {
            let headers: Vec<String> = pairs
                .iter()
                .map(|(id, secret)| format!("Basic {}", BASIC.encode(format!("{id}:{secret}"))))
                .collect();
            for at in order {
                let at = at % headers.len();
                let (id, secret) = &pairs[at];
                proptest::prop_assert_eq!(
                    parse_authorization(headers[at].as_bytes()).expect("parsed"),
                    basic(id, secret)
                );
            }
        }
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

    #[test]
    fn a_refused_header_says_nothing_of_its_value() {
        let token = BASIC.encode("emulatorowner:emulatorsecret");
        for value in [
            token.clone(),
            format!("Bearer,{token}"),
            format!("Digest {token}"),
            format!("Basic{token}"),
        ] {
            let error = parse_authorization(value.as_bytes()).expect_err("refused");
            assert_eq!(
                error,
                ApiError::UnsupportedAuthScheme(AuthSchemeProblem::Unknown),
                "{value}"
            );
            assert!(!format!("{error} {error:?}").contains(&token));
        }
        // A tab ends the scheme as a space does.
        assert_eq!(
            parse_authorization(format!("Basic\t{token}").as_bytes()).expect("tab"),
            basic("emulatorowner", "emulatorsecret")
        );
        assert!(!format!("{:?}", basic("id", "hunter2")).contains("hunter2"));
    }
}
