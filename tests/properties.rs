//! Property tests of the parsers that take untrusted input: no panic whatever comes in, and what
//! is valid is read back exactly. (The coverage-guided fuzz targets in fuzz/ go further.)

use janrain_emulator::error::{ApiError, AuthSchemeProblem, CredentialFailure};
use janrain_emulator::fixture::Fixture;
use janrain_emulator::internals::Params;
use janrain_emulator::internals::client_from_json;
use janrain_emulator::internals::signature;
use janrain_emulator::model::{Cidr, ClientSecret};
use proptest::prelude::*;
use serde_json::Value;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("owner"),
            Just("login_client"),
            Just("metadata"),
            Just("10.0.0.0/8"),
            Just("0.0.0.0/0")
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("name".to_owned()),
                        Just("features".to_owned()),
                        Just("ipWhitelist".to_owned()),
                        Just("apps".to_owned()),
                        Just("clients".to_owned()),
                        Just("app_id".to_owned()),
                        "[a-z_]{1,8}"
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

fn form_encode(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let enc = |s: &str| {
                percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
                    .to_string()
            };
            format!("{}={}", enc(k), enc(v))
        })
        .collect::<Vec<_>>()
        .join("&")
}

proptest! {
    #[test]
    fn the_proxy_accepts_janrain_hosts_only(
        prefix in "[a-zA-Z0-9.@:%\\[\\]_-]{0,20}",
        domain in prop_oneof![Just("janraincapture.com"), Just("janrain.com"), Just("example.com"), Just("")],
        suffix in "[a-zA-Z0-9.@:%_-]{0,12}",
    ) {
        proxy_target_property(&format!("{prefix}{domain}{suffix}"));
    }

    #[test]
    fn any_bytes_parse_as_parameters_or_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = Params::parse(&bytes);
    }

    #[test]
    fn encoded_parameters_read_back_exactly(pairs in prop::collection::vec(("[a-z_]{1,10}", ".{0,20}"), 0..8)) {
        let params = Params::parse(form_encode(&pairs).as_bytes()).expect("valid form");
        let read: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        prop_assert_eq!(read, pairs);
    }

    #[test]
    fn a_python_style_signature_always_verifies(
        pairs in prop::collection::vec(("[a-z_-]{1,10}", ".{0,20}"), 0..6),
        secret in "[a-z0-9]{1,40}",
        path in "/[a-z_/]{1,20}",
    ) {
        let params = Params::parse(form_encode(&pairs).as_bytes()).expect("valid form");
        let date = "2024-01-02 03:04:05";
        // janrain-python-api: sorted key=value lines after the path and the date.
        let mut lines: Vec<String> = pairs
            .iter()
            .filter(|(k, _)| k != "client_id" && k != "client_secret")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        lines.sort();
        let text = lines.iter().fold(format!("{path}\n{date}\n"), |acc, l| acc + l + "\n");
        let sig = signature::sign(&secret, &text);
        let decoded = base64_decode(&sig);
        let candidates = signature::candidates(&path, date, &params);
        prop_assert!(signature::verifies(&ClientSecret::new(secret.clone()).expect("secret"), &candidates, &decoded));
        let other = ClientSecret::new(format!("{secret}x")).expect("secret");
        prop_assert!(!signature::verifies(&other, &candidates, &decoded));
    }

    #[test]
    fn any_json_body_is_read_or_refused_cleanly(value in json_value()) {
        if let Value::Object(map) = &value {
            let _ = client_from_json(map);
        }
        let _ = Fixture::parse(&value.to_string());
    }

    #[test]
    fn any_text_is_a_cidr_or_a_clean_refusal(text in ".{0,24}") {
        let _ = Cidr::parse(&text);
        let _ = Fixture::parse(&text);
    }

    #[test]
    fn valid_blocks_parse_and_contain_their_own_address(a: u8, b: u8, c: u8, d: u8, prefix in 0u8..=32) {
        let text = format!("{a}.{b}.{c}.{d}/{prefix}");
        let block = Cidr::parse(&text).expect("valid block");
        prop_assert_eq!(block.as_str(), text.as_str());
        prop_assert!(block.contains(std::net::IpAddr::from([a, b, c, d])));
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64")
}

/// The committed fuzz seeds of one target (fuzz/seeds/<target>/), so that every test run
/// replays the cases the hostile-client battery and earlier fuzzing found, without libFuzzer.
fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
        .into_iter()
        .map(|path| std::fs::read(path).expect("seed"))
        .collect()
}

/// The property of the `authorization` fuzz target: a refused header ends in one of a fixed set
/// of outcomes, none of which carries any part of the value.
fn authorization_property(data: &[u8]) {
    if let Err(error) = janrain_emulator::internals::parse_authorization(data) {
        assert!(
            matches!(
                error,
                ApiError::UnsupportedAuthScheme(
                    AuthSchemeProblem::NotUtf8 | AuthSchemeProblem::Unknown
                ) | ApiError::InvalidCredentials(
                    CredentialFailure::MalformedBasic | CredentialFailure::MalformedSignature
                )
            ),
            "an outcome that may carry input: {error:?}"
        );
    }
}

/// The property of the `proxy_target` fuzz target: whatever the proxy accepts is a host under
/// one of Janrain's domains, spelled in host-name characters only, never with user information.
fn proxy_target_property(text: &str) {
    for need_port in [true, false] {
        if let Ok(target) = janrain_emulator::internals::proxy_target(text, need_port) {
            let host = target.host.as_str();
            assert!(
                [".janraincapture.com", ".janrain.com"]
                    .iter()
                    .any(|domain| host.ends_with(domain) && host.len() > domain.len()),
                "{text:?} gave {host}"
            );
            assert!(
                host.bytes().all(|b| b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || b == b'.'
                    || b == b'-'),
                "{text:?} gave {host}"
            );
            assert!(!text.contains('@'), "{text:?}");
            assert!(!need_port || target.port.is_some(), "{text:?}");
        }
    }
}

#[test]
fn the_fuzz_seeds_pass_their_targets_checks() {
    for seed in seeds("proxy_target") {
        if let Ok(text) = std::str::from_utf8(&seed) {
            proxy_target_property(text);
        }
    }
    for seed in seeds("authorization") {
        authorization_property(&seed);
    }
    for seed in seeds("legacy_params") {
        if let Ok(params) = Params::parse(&seed) {
            for name in ["features", "has_features", "whitelist"] {
                let _ = params.json_array(name);
            }
            // Debug output of parameters hides what the journal hides.
            let shown = format!("{params:?}");
            for (key, value) in params.iter() {
                if key.contains("secret") && value.len() >= 12 {
                    assert!(!shown.contains(value), "{shown}");
                }
            }
        }
    }
    for seed in seeds("config_api_json") {
        if let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&seed) {
            let _ = client_from_json(&body);
        }
    }
    for seed in seeds("signature") {
        let mut parts = seed.splitn(4, |b| *b == 0);
        let (Some(path), Some(date), Some(params)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let (Ok(path), Ok(date), Ok(params)) = (
            std::str::from_utf8(path),
            std::str::from_utf8(date),
            Params::parse(params),
        ) else {
            continue;
        };
        let _ = signature::candidates(path, date, &params);
        let shown = signature::shown(path, date, &params);
        for (key, value) in params.iter() {
            if key == "password" {
                assert!(!shown.contains(&format!("password={value}")), "{shown}");
            }
        }
    }
}

proptest! {
    #[test]
    fn a_refused_authorization_header_repeats_nothing_of_itself(
        scheme in prop_oneof![Just(""), Just("Bearer,"), Just("Digest "), Just("Basic"), Just("Basic "), Just("Signature ")],
        token in "[A-Za-z0-9+/]{12,40}={0,2}",
    ) {
        authorization_property(format!("{scheme}{token}").as_bytes());
    }
}
