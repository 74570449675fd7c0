//! What counts as secret, decided in one place.
//!
//! Every writer that may see request content (the journal, the log, the detail of a failure, a
//! `Debug` rendering) asks this module before it writes a parameter's value: a parameter or field
//! whose name speaks of a secret is written as [`HIDDEN`], at any depth of a JSON value. Values
//! that are secret whatever they are called (an `Authorization` header, a signature, a presented
//! secret) are never handed to a writer at all: they are kept in [`Redacted`], whose `Debug` and
//! `Display` print nothing of them.

use std::borrow::Cow;
use std::fmt;

use serde_json::Value;

/// What a writer puts in place of a secret value.
pub const HIDDEN: &str = "(hidden)";

/// Whether a parameter or field of this name holds something that must never be written out:
/// any name containing `secret`, `password`, `token` or `signature`, or ending in `_key` or
/// `apikey` (`rpx_key`, `api_key`), case ignored. The setting name parameter `key` itself is not
/// one. A false positive hides a harmless value; a false negative would leak one.
pub fn is_secret_name(name: &str) -> bool {
    // Every request's parameter names pass here: compared in place, case ignored, without a
    // lowercased copy.
    let name = name.as_bytes();
    let word_at = |at: usize, word: &str| {
        name.get(at..at + word.len())
            .is_some_and(|part| part.eq_ignore_ascii_case(word.as_bytes()))
    };
    let ends_with = |word: &str| name.len() >= word.len() && word_at(name.len() - word.len(), word);
    (0..name.len()).any(|at| match name[at].to_ascii_lowercase() {
        b's' => word_at(at, "secret") || word_at(at, "signature"),
        b'p' => word_at(at, "password"),
        b't' => word_at(at, "token"),
        _ => false,
    }) || ends_with("_key")
        || ends_with("apikey")
}

/// `value` with every field of a secret name, at any depth, replaced by [`HIDDEN`].
pub fn hide_secret_fields(value: Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(name, value)| {
                    let value = if is_secret_name(&name) {
                        Value::String(HIDDEN.into())
                    } else {
                        hide_secret_fields(value)
                    };
                    (name, value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(hide_secret_fields).collect()),
        other => other,
    }
}

/// The value of a `name=value` parameter as a writer may show it.
pub fn shown_value<'a>(name: &str, value: &'a str) -> &'a str {
    if is_secret_name(name) { HIDDEN } else { value }
}

/// Form or query parameters as a writer may show them: [`shown_value`] for each, and two rules of
/// the settings operations, whose parameters name a setting rather than being one: the `value`
/// of a `key` with a secret name (`key=rpx_key&value=...`) is hidden, and so are the fields with
/// secret names inside `items`, a JSON object in a string.
pub fn shown_params<'a>(pairs: &[(&'a str, &'a str)]) -> Vec<(&'a str, Cow<'a, str>)> {
    let secret_setting = pairs
        .iter()
        .any(|(name, value)| *name == "key" && is_secret_name(value));
    pairs
        .iter()
        .map(|&(name, value)| {
            let shown = match name {
                "value" if secret_setting => Cow::Borrowed(HIDDEN),
                "items" => hide_in_json_text(value),
                _ => Cow::Borrowed(shown_value(name, value)),
            };
            (name, shown)
        })
        .collect()
}

/// A JSON object in a string with its secret fields hidden; any other text as it is.
fn hide_in_json_text(text: &str) -> Cow<'_, str> {
    match serde_json::from_str::<Value>(text) {
        Ok(value @ Value::Object(_)) => {
            let hidden = hide_secret_fields(value.clone());
            if hidden == value {
                Cow::Borrowed(text)
            } else {
                Cow::Owned(hidden.to_string())
            }
        }
        _ => Cow::Borrowed(text),
    }
}

/// A value that is secret whatever it is called (a presented secret, a signature): kept out of
/// `Debug` and `Display` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Redacted<T>(pub T);

impl<T> fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(HIDDEN)
    }
}

impl<T> fmt::Display for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(HIDDEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for name in [
            "client_secret",
            "Password",
            "access_token",
            "signature",
            "rpx_key",
            "api_key",
            "APIKEY",
            "my_secret",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["key", "keys", "client_id", "description", "monkey", "items"] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    proptest::proptest! {
        /// The comparison in place says what a lowercased copy would.
        #[test]
        fn secret_names_as_a_lowercased_copy_tells(name in "(?i)[a-z_é]{0,6}(secret|password|token|signature|_key|apikey)?[a-z_é]{0,6}") {
            let lower = name.to_ascii_lowercase();
            let expected = ["secret", "password", "token", "signature"]
                .iter()
                .any(|word| lower.contains(word))
                || lower.ends_with("_key")
                || lower.ends_with("apikey");
            proptest::prop_assert_eq!(is_secret_name(&name), expected);
        }
    }

    #[test]
    fn setting_values_of_secret_names_are_hidden() {
        let shown = |pairs: &[(&'static str, &'static str)]| -> Vec<(String, String)> {
            shown_params(pairs)
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value.into_owned()))
                .collect()
        };
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect()
        };
        assert_eq!(
            shown(&[("key", "rpx_key"), ("value", "abc")]),
            pairs(&[("key", "rpx_key"), ("value", HIDDEN)])
        );
        assert_eq!(
            shown(&[("key", "site_name"), ("value", "Demo")]),
            pairs(&[("key", "site_name"), ("value", "Demo")])
        );
        assert_eq!(
            shown(&[("items", r#"{"rpx_key": "abc", "site_name": "Demo"}"#)]),
            pairs(&[("items", r#"{"rpx_key":"(hidden)","site_name":"Demo"}"#)])
        );
        // Text that is not an object is shown as sent.
        assert_eq!(
            shown(&[("items", "{not json")]),
            pairs(&[("items", "{not json")])
        );
        assert_eq!(
            shown(&[("client_secret", "s")]),
            pairs(&[("client_secret", HIDDEN)])
        );
    }

    #[test]
    fn redacted_prints_nothing_of_its_value() {
        let value = Redacted("hunter2".to_owned());
        assert_eq!(format!("{value:?} {value}"), "(hidden) (hidden)");
    }
}
