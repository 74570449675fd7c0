//! `Authorization` header values of any form: parsing never panics, and whatever it refuses, the
//! refusal is one of a fixed set of outcomes that carry nothing of the value, which is credential
//! material whatever its form.
#![no_main]

use janrain_emulator::internals::{AuthorizationHeader, Presented, parse_authorization};
use janrain_emulator::error::{ApiError, AuthSchemeProblem, CredentialFailure};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_authorization(data) {
        Err(error) => assert!(
            matches!(
                error,
                ApiError::UnsupportedAuthScheme(
                    AuthSchemeProblem::NotUtf8 | AuthSchemeProblem::Unknown
                ) | ApiError::InvalidCredentials(
                    CredentialFailure::MalformedBasic | CredentialFailure::MalformedSignature
                )
            ),
            "an outcome that may carry input: {error:?}"
        ),
        Ok(AuthorizationHeader::Basic(Presented::Basic { secret, .. })) => {
            assert_eq!(format!("{secret:?}"), "(hidden)");
        }
        Ok(_) => {}
    }
});
