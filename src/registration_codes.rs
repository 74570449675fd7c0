//! The error codes of the Registration (Capture) API that the legacy family answers with, and
//! their documented names. Shared by the legacy renderer and the fault rules, which both speak
//! this vocabulary.

/// The name the Registration API gives an error code, for the codes it documents.
pub fn name(code: u16) -> Option<&'static str> {
    Some(match code {
        100 => "missing_argument",
        200 => "invalid_argument",
        201 => "duplicate_argument",
        205 => "invalid_auth_method",
        210 => "invalid_credentials",
        211 => "no_password",
        212 => "no_such_account",
        213 => "password_incorrect",
        221 => "unknown_application",
        222 => "unknown_entity_type",
        223 => "unknown_attribute",
        224 => "application_not_found",
        226 => "flow_error",
        300 => "error_creating_record",
        310 => "record_not_found",
        330 => "timestamp_mismatch",
        340 => "invalid_data_format",
        341 => "invalid_json_type",
        360 => "constraint_violation",
        361 => "unique_violation",
        402 => "invalid_client_credentials",
        403 => "client_permission_error",
        413 => "no_access_grant",
        414 => "access_token_expired",
        480 => "api_feature_disabled",
        500 => "unexpected_error",
        510 => "api_limit_error",
        540 => "triggered_error",
        _ => return None,
    })
}
