//! The domain outcomes every handler and extractor can end in.
//!
//! `ApiError` knows nothing of the wire: its `Display` describes the outcome for the journal and
//! the log, and `legacy::LegacyError` renders it as the HTTP 200 `stat`
//! envelope and `config_api::ConfigApiError` as `{"errors": "..."}` with a real status. Variants carry enough
//! for both renderers (the legacy argument name and reason, the kind of problem the Configuration
//! API names in its fixed texts).

use crate::model::{CidrError, ClientName, FeatureError, HoursOutOfRange, HoursToLive, NameError};
use crate::settings::SettingError;

/// Why a request could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// No credentials at all.
    #[error("no client credentials were provided")]
    MissingCredentials,
    /// An `Authorization` header of a scheme the family does not take, or one that cannot be read.
    #[error("the Authorization header is not one this API accepts: {0}")]
    UnsupportedAuthScheme(AuthSchemeProblem),
    /// Credentials that do not authenticate. The detail is for logs and the journal only.
    #[error("client credentials are invalid: {0}")]
    InvalidCredentials(CredentialFailure),
    /// An authenticated caller that may not do this.
    #[error("the calling client is not allowed to do this: {0}")]
    Forbidden(Denial),
    /// A required parameter or field is absent (or empty).
    #[error("missing required argument: {0}")]
    MissingArgument(&'static str),
    /// A parameter or field is present but not acceptable.
    #[error("{argument} was not valid for the following reason: {reason}")]
    InvalidArgument {
        /// The legacy parameter name; the Configuration API does not name the field.
        argument: &'static str,
        /// What is wrong with it.
        reason: InvalidReason,
    },
    /// Another client of the application already has this name.
    #[error("another client of the application is named {0:?}")]
    NameTaken(String),
    /// The application in the path does not exist.
    #[error("application not found")]
    AppNotFound,
    /// The client named by an id parameter or path segment does not exist.
    #[error("{argument} was not valid for the following reason: {argument} is not a valid id")]
    ClientNotFound {
        /// The legacy parameter that named it.
        argument: &'static str,
    },
    /// The request as a whole could not be read.
    #[error("{0}")]
    BadRequest(RequestProblem),
    /// No such endpoint.
    #[error("no such endpoint: {0}")]
    UnknownEndpoint(String),
    /// The emulator itself failed (its state file could not be written). Nothing was changed.
    #[error("internal error: {0}")]
    Internal(String),
    /// The endpoint exists but not for this HTTP method.
    #[error("{path} does not accept {method}")]
    MethodNotAllowed {
        /// The request path.
        path: String,
        /// The method that was used.
        method: String,
    },
}

/// What is wrong with an `Authorization` header. Never any part of its value: whatever its form,
/// it is credential material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthSchemeProblem {
    /// The value is not UTF-8.
    #[error("the value is not valid UTF-8")]
    NotUtf8,
    /// The scheme is none of those the emulator knows.
    #[error("its scheme is none of Basic, Signature, OAuth and Bearer")]
    Unknown,
    /// A known scheme that this family does not take.
    #[error("this API takes Basic credentials only")]
    BasicOnly,
}

/// What was wrong with credentials. Never sent on the wire, where the product only says 402/401.
/// The journal and the log show it, so it never holds a secret, a signature, or a client id that
/// matched no client (it may be a secret sent in the wrong place).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialFailure {
    /// No client with the id given in the application.
    #[error("no client with the id given in this application")]
    UnknownClient,
    /// The caller was deleted by a concurrent request between the check of its credentials and
    /// the change it asked for.
    #[error("the calling client no longer exists")]
    CallerGone,
    /// The secret matches neither the current one nor a previous one in its grace period.
    #[error("wrong secret for client {0}")]
    WrongSecret(String),
    /// Only one of `client_id` and `client_secret` was given.
    #[error("client_id and client_secret must be given together")]
    Incomplete,
    /// A Basic header that does not decode to `id:secret`.
    #[error("the Basic credentials cannot be decoded")]
    MalformedBasic,
    /// A `Signature` header that is not `<client_id>:<base64>`.
    #[error("the Signature credentials cannot be decoded")]
    MalformedSignature,
    /// A signed request without a readable `Date: YYYY-MM-DD HH:MM:SS` header.
    #[error("a signed request needs a Date header of the form YYYY-MM-DD HH:MM:SS (UTC)")]
    MissingDate,
    /// A signed request whose date is too far from the emulator's clock.
    #[error("the Date header is {off_by_secs} s away from the emulator's clock")]
    DateOutsideWindow {
        /// How far off, in seconds.
        off_by_secs: u64,
    },
    /// A signature that matches no secret of the client over any accepted text.
    #[error(
        "the signature of client {client} does not match{}",
        expected_text(signed)
    )]
    BadSignature {
        /// The client.
        client: String,
        /// The text the emulator expected to be signed (the Python library's form), with the
        /// values of secret parameters hidden; the family that has the parameters fills it in.
        signed: Option<String>,
    },
}

fn expected_text(signed: &Option<String>) -> String {
    signed
        .as_ref()
        .map(|text| format!("; expected it over {text:?}"))
        .unwrap_or_default()
}

/// Why an authenticated caller was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    /// The caller lacks the `owner` feature.
    #[error("client {0} does not have the owner feature")]
    NotOwner(String),
    /// The request came from an address outside the caller's allowlist.
    #[error("client {client} does not allow calls from {ip}")]
    AddressNotAllowed {
        /// The calling client.
        client: String,
        /// The address the emulator saw.
        ip: String,
    },
    /// An end-user access token, which cannot manage clients.
    #[error("access tokens cannot call client-management endpoints")]
    AccessToken,
}

/// What is wrong with a parameter or field value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidReason {
    /// A feature list that breaks a rule.
    #[error(transparent)]
    Feature(#[from] FeatureError),
    /// An allowlist entry that is not a CIDR block.
    #[error(transparent)]
    Cidr(#[from] CidrError),
    /// A legacy parameter that should hold JSON and does not.
    #[error("the JSON is not syntactically valid")]
    JsonSyntax,
    /// A value that should be a list (a JSON array) and is not.
    #[error("the value is not a JSON array")]
    NotList,
    /// A value that should be a string and is not.
    #[error("the value is not a string")]
    NotString,
    /// A JSON `null` where a value is required.
    #[error("the value may not be null")]
    Null,
    /// A value that should be a JSON object and is not.
    #[error("the value is not a JSON object")]
    NotObject,
    /// A value that should be `true` or `false` and is not.
    #[error("the value is not a boolean")]
    NotBoolean,
    /// A value that should be a whole number and is not.
    #[error("the value is not an integer")]
    NotInteger,
    /// A caller's change to itself that would take away its `owner` feature.
    #[error("an owner client cannot remove the owner feature from itself")]
    OwnerRemovedFromSelf,
    /// A caller's change to its own allowlist that would shut out the address it calls from.
    #[error("the whitelist must allow the address making the call ({ip})")]
    LocksOutCaller {
        /// The caller's address.
        ip: String,
    },
    /// A client asked to delete itself.
    #[error("a client cannot delete itself")]
    SelfDeletion,
    /// A client with the `owner` feature cannot be deleted through the Configuration API.
    #[error("clients with the owner feature cannot be deleted")]
    OwnerDeletion,
    /// A text longer than allowed.
    #[error("the value is longer than {max} characters")]
    TooLong {
        /// The most characters allowed.
        max: usize,
    },
    /// A setting's key or value that cannot be stored, or too many settings.
    #[error(transparent)]
    Setting(#[from] SettingError),
    /// A number outside its range.
    #[error("the value must be between {min} and {max}")]
    OutOfRange {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
}

impl ApiError {
    /// The outcome of a name refused in `argument`: a name without a visible character is not
    /// given at all.
    pub fn bad_name(argument: &'static str, error: NameError) -> Self {
        match error {
            NameError::Missing => Self::MissingArgument(argument),
            NameError::TooLong => Self::InvalidArgument {
                argument,
                reason: InvalidReason::TooLong {
                    max: ClientName::MAX_CHARS,
                },
            },
        }
    }
}

impl From<HoursOutOfRange> for InvalidReason {
    fn from(_: HoursOutOfRange) -> Self {
        Self::OutOfRange {
            min: 0,
            max: HoursToLive::MAX,
        }
    }
}

/// Problems with the request as a whole, before any parameter is looked at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestProblem {
    /// The body is over the size limit.
    #[error("the request body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body did not arrive in time.
    #[error("the request body did not arrive in time")]
    BodyTimeout,
    /// The body could not be read from the connection.
    #[error("the request body could not be read")]
    BodyUnreadable,
    /// A body of a media type the family does not take.
    #[error("a request body of type {found} is not accepted here; send {expected}")]
    UnsupportedMediaType {
        /// The `Content-Type` that was sent.
        found: String,
        /// What the family takes.
        expected: &'static str,
    },
    /// Parameters that are not valid UTF-8 once decoded.
    #[error("the request parameters are not valid UTF-8")]
    NotUtf8,
    /// A JSON body that does not parse.
    #[error("the request body is not valid JSON")]
    MalformedJson,
    /// A JSON body that parses but is not an object.
    #[error("the request body must be a JSON object")]
    NotAnObject,
}

impl From<RequestProblem> for ApiError {
    fn from(problem: RequestProblem) -> Self {
        ApiError::BadRequest(problem)
    }
}
