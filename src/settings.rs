//! Settings: each client's own values and the application's defaults (the legacy API's "default"
//! settings, the Configuration API's "global" settings: one set of data).
//!
//! A value set for a client overrides the application's default of the same key. Both levels are
//! JSON objects ([`Settings`]) kept by the store; this module holds what is true of them whatever
//! the family: which keys and values are allowed, how many a level may hold, which keys are the
//! product's documented settings (the rest are "custom" settings), and the changes both families
//! make, applied as one unit.

use serde_json::Value;

use crate::model::Settings;

/// The most characters in a setting's key.
pub const MAX_KEY_CHARS: usize = 255;
/// The most characters in a setting's value (as text, for a value that is not a string).
pub const MAX_VALUE_CHARS: usize = 65_536;
/// The most settings one client, or the application's defaults, may hold.
pub const MAX_SETTINGS: usize = 1_000;

/// Keys that the Configuration API's settings objects use for their own structure, so that no
/// setting can be confused with them. Keys starting with `_` are reserved too (`_self`).
pub const RESERVED_KEYS: [&str; 3] = ["custom", "global", "clients"];

/// One entry of the settings catalogue (`GET /config/{appId}/settings/options`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingOption {
    /// The key.
    pub name: &'static str,
    /// The group the Console files it under; `Custom` is for settings of the customer's own.
    pub group: &'static str,
    /// The kind of value: `string`, `integer`, `boolean` or `url`.
    pub kind: &'static str,
    /// The values it may take, when they are a fixed list.
    pub values: Option<&'static [&'static str]>,
    /// Whether it may be set for the whole application only: at client level it is ignored.
    pub global_only: bool,
}

const fn option(name: &'static str, group: &'static str, kind: &'static str) -> SettingOption {
    SettingOption {
        name,
        group,
        kind,
        values: None,
        global_only: false,
    }
}

/// The settings the product documents (its settings pages and the Configuration API's settings
/// schema), in the documentation's groups. In the Configuration API these are shown at the top
/// level; any other key is a "custom" setting, shown in the `custom` object.
pub const CATALOGUE: [SettingOption; 25] = [
    option("backplane_bus", "Backplane", "string"),
    option("backplane_password", "Backplane", "string"),
    option("backplane_server", "Backplane", "url"),
    option("backplane_username", "Backplane", "string"),
    SettingOption {
        values: Some(&["1.2", "2.0"]),
        ..option("backplane_version", "Backplane", "string")
    },
    option("capture_server_url", "Capture", "url"),
    option("ccp_edit_form", "Customer Care Portal", "string"),
    option(
        "ccp_enable_email_send_buttons",
        "Customer Care Portal",
        "boolean",
    ),
    option("ccp_flow_name", "Customer Care Portal", "string"),
    option("ccp_flow_version", "Customer Care Portal", "string"),
    option("default_flow_name", "Flows", "string"),
    option("default_flow_version", "Flows", "string"),
    SettingOption {
        values: Some(&["smtp", "ses"]),
        ..option("email_method", "Email", "string")
    },
    option("jump_publish_settings", "Capture", "boolean"),
    option("login_attempts", "Login", "integer"),
    option("login_attempts_threshold", "Login", "integer"),
    option("password_recover_url", "Email", "url"),
    option("recover_code_lifetime", "Login", "integer"),
    option("rpx_app_id", "Social Login", "string"),
    option("rpx_key", "Social Login", "string"),
    option("rpx_realm", "Social Login", "string"),
    option("rpx_server", "Social Login", "url"),
    option("site_name", "Email", "string"),
    SettingOption {
        global_only: true,
        ..option("user_distinguisher_field", "Agent Access", "string")
    },
    SettingOption {
        global_only: true,
        ..option("user_distinguisher_field_values", "Agent Access", "string")
    },
];

/// Whether `key` is one of the product's documented settings rather than a custom one.
pub fn is_documented(key: &str) -> bool {
    CATALOGUE.iter().any(|option| option.name == key) || is_global_only(key)
}

/// Whether `key` may be set for the whole application only: the catalogue's global-only
/// settings, and `{entity_type}_distinguisher_field(_values)` of any entity type.
pub fn is_global_only(key: &str) -> bool {
    key.ends_with("_distinguisher_field") || key.ends_with("_distinguisher_field_values")
}

/// Where a setting lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Level {
    /// The application's defaults.
    Defaults,
    /// One client's own settings, by id.
    Client(String),
}

/// A key or value that cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    /// An empty key.
    #[error("the key is empty")]
    EmptyKey,
    /// A key with a control character.
    #[error("the key contains a control character")]
    ControlInKey,
    /// A key the Configuration API's objects use for themselves.
    #[error("{0} is a reserved name")]
    ReservedKey(String),
    /// A key longer than [`MAX_KEY_CHARS`].
    #[error("the key is longer than {MAX_KEY_CHARS} characters")]
    KeyTooLong,
    /// A value longer than [`MAX_VALUE_CHARS`].
    #[error("the value is longer than {MAX_VALUE_CHARS} characters")]
    ValueTooLong,
    /// A value that is a JSON array or object.
    #[error("the value of {0} is not a string, number or boolean")]
    NotScalar(String),
    /// A key given twice in one body (at the top level and in `custom`).
    #[error("{0} is given twice")]
    Twice(String),
    /// More settings than [`MAX_SETTINGS`] at one level.
    #[error("a client or application holds at most {MAX_SETTINGS} settings")]
    TooMany,
}

/// Checks a key: not empty, no control character, at most [`MAX_KEY_CHARS`], not reserved.
pub fn check_key(key: &str) -> Result<(), SettingError> {
    if key.is_empty() {
        return Err(SettingError::EmptyKey);
    }
    if key.chars().any(char::is_control) {
        return Err(SettingError::ControlInKey);
    }
    if key.chars().count() > MAX_KEY_CHARS {
        return Err(SettingError::KeyTooLong);
    }
    if key.starts_with('_') || RESERVED_KEYS.contains(&key) {
        return Err(SettingError::ReservedKey(key.to_owned()));
    }
    Ok(())
}

/// Checks a value for `key`: a string, number or boolean, at most [`MAX_VALUE_CHARS`] long.
pub fn check_value(key: &str, value: &Value) -> Result<(), SettingError> {
    let chars = match value {
        Value::String(text) => text.chars().count(),
        Value::Number(number) => number.to_string().len(),
        Value::Bool(_) => 0,
        Value::Null | Value::Array(_) | Value::Object(_) => {
            return Err(SettingError::NotScalar(key.to_owned()));
        }
    };
    if chars > MAX_VALUE_CHARS {
        return Err(SettingError::ValueTooLong);
    }
    Ok(())
}

/// Checks every key and value of a whole level, as a fixture or a replacement brings it.
pub fn check_all(settings: &Settings) -> Result<(), SettingError> {
    if settings.len() > MAX_SETTINGS {
        return Err(SettingError::TooMany);
    }
    settings.iter().try_for_each(|(key, value)| {
        check_key(key)?;
        check_value(key, value)
    })
}

/// A change to the settings of one level.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingsChange {
    /// Sets each key to its value, in order.
    Set(Vec<(String, Value)>),
    /// Removes each key.
    Delete(Vec<String>),
    /// Replaces the whole level.
    Replace(Settings),
}

impl SettingsChange {
    /// Applies the change to `settings`, all or nothing, and says for each key it names whether
    /// the key existed before (for [`SettingsChange::Replace`], nothing). Keys and values must
    /// have been checked; the count limit is checked here, against the result.
    pub fn apply(&self, settings: &mut Settings) -> Result<Vec<bool>, SettingError> {
        match self {
            Self::Set(pairs) => {
                let new_keys = pairs
                    .iter()
                    .enumerate()
                    .filter(|(at, (key, _))| {
                        !settings.contains_key(key)
                            && !pairs[..*at].iter().any(|(earlier, _)| earlier == key)
                    })
                    .count();
                if settings.len() + new_keys > MAX_SETTINGS {
                    return Err(SettingError::TooMany);
                }
                let existed = pairs
                    .iter()
                    .map(|(key, value)| settings.insert(key.clone(), value.clone()).is_some())
                    .collect();
                *settings = compact(std::mem::take(settings));
                Ok(existed)
            }
            Self::Delete(keys) => {
                let existed = keys
                    .iter()
                    .map(|key| settings.shift_remove(key).is_some())
                    .collect();
                *settings = compact(std::mem::take(settings));
                Ok(existed)
            }
            Self::Replace(all) => {
                if all.len() > MAX_SETTINGS {
                    return Err(SettingError::TooMany);
                }
                *settings = compact(all.clone());
                Ok(Vec::new())
            }
        }
    }
}

/// `settings` in a map of exactly its size. A JSON object read or grown one key at a time keeps
/// room for more (a map of one setting takes about 350 bytes, 100,000 of them 35 MB); the store
/// keeps every level compact.
pub fn compact(settings: Settings) -> Settings {
    if settings.is_empty() {
        return Settings::new();
    }
    let mut exact = Settings::with_capacity(settings.len());
    exact.extend(settings);
    exact
}

/// A client's settings as it sees them: the application's defaults, overridden by its own values.
pub fn effective(own: &Settings, defaults: &Settings) -> Settings {
    let mut merged = defaults.clone();
    for (key, value) in own {
        merged.insert(key.clone(), value.clone());
    }
    merged
}

/// The value a client sees for `key`: its own, else the default, else `None`.
pub fn effective_value<'a>(
    own: &'a Settings,
    defaults: &'a Settings,
    key: &str,
) -> Option<&'a Value> {
    own.get(key).or_else(|| defaults.get(key))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_catalogue_names_each_setting_once_and_its_global_only_ones_follow_the_rule() {
        let mut names: Vec<_> = super::CATALOGUE.iter().map(|o| o.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), super::CATALOGUE.len());
        for option in super::CATALOGUE {
            assert_eq!(
                option.global_only,
                super::is_global_only(option.name),
                "{}",
                option.name
            );
            assert!(super::is_documented(option.name));
        }
        assert!(super::is_global_only("member_distinguisher_field"));
        assert!(!super::is_global_only("site_name"));
    }

    use super::*;
    use serde_json::json;

    fn settings(value: Value) -> Settings {
        match value {
            Value::Object(map) => map,
            _ => Settings::new(),
        }
    }

    #[test]
    fn keys_are_checked() {
        assert!(check_key("site_name").is_ok());
        assert!(check_key("with space").is_ok());
        assert_eq!(check_key(""), Err(SettingError::EmptyKey));
        assert_eq!(check_key("a\nb"), Err(SettingError::ControlInKey));
        assert_eq!(
            check_key("_self"),
            Err(SettingError::ReservedKey("_self".into()))
        );
        assert_eq!(
            check_key("custom"),
            Err(SettingError::ReservedKey("custom".into()))
        );
        assert!(check_key(&"k".repeat(MAX_KEY_CHARS)).is_ok());
        assert_eq!(
            check_key(&"k".repeat(MAX_KEY_CHARS + 1)),
            Err(SettingError::KeyTooLong)
        );
    }

    #[test]
    fn values_are_scalars_of_bounded_length() {
        assert!(check_value("k", &json!("v")).is_ok());
        assert!(check_value("k", &json!(10)).is_ok());
        assert!(check_value("k", &json!(true)).is_ok());
        for bad in [json!(null), json!([1]), json!({"a": 1})] {
            assert_eq!(
                check_value("k", &bad),
                Err(SettingError::NotScalar("k".into()))
            );
        }
        assert!(check_value("k", &json!("v".repeat(MAX_VALUE_CHARS))).is_ok());
        assert_eq!(
            check_value("k", &json!("v".repeat(MAX_VALUE_CHARS + 1))),
            Err(SettingError::ValueTooLong)
        );
    }

    #[test]
    fn set_reports_which_keys_existed() {
        let mut level = settings(json!({"a": "1"}));
        let change = SettingsChange::Set(vec![
            ("a".into(), json!("2")),
            ("b".into(), json!("3")),
            ("b".into(), json!("4")),
        ]);
        assert_eq!(change.apply(&mut level), Ok(vec![true, false, true]));
        assert_eq!(Value::Object(level), json!({"a": "2", "b": "4"}));
    }

    #[test]
    fn delete_reports_which_keys_existed_and_keeps_order() {
        let mut level = settings(json!({"a": "1", "b": "2", "c": "3"}));
        let change = SettingsChange::Delete(vec!["b".into(), "x".into()]);
        assert_eq!(change.apply(&mut level), Ok(vec![true, false]));
        assert_eq!(level.keys().collect::<Vec<_>>(), ["a", "c"]);
    }

    #[test]
    fn the_count_limit_holds_and_a_refused_change_changes_nothing() {
        let mut level: Settings = (0..MAX_SETTINGS)
            .map(|n| (format!("k{n}"), json!("v")))
            .collect();
        // Overwriting an existing key is fine at the limit.
        let overwrite = SettingsChange::Set(vec![("k0".into(), json!("w"))]);
        assert_eq!(overwrite.apply(&mut level), Ok(vec![true]));
        let grow = SettingsChange::Set(vec![("k1".into(), json!("w")), ("new".into(), json!("v"))]);
        assert_eq!(grow.apply(&mut level), Err(SettingError::TooMany));
        assert_eq!(level.get("k1"), Some(&json!("v")));
        assert!(!level.contains_key("new"));
    }

    #[test]
    fn compact_keeps_the_keys_and_their_order() {
        let level = settings(json!({"b": "2", "a": "1"}));
        let compacted = compact(level.clone());
        assert_eq!(compacted, level);
        assert_eq!(compacted.keys().collect::<Vec<_>>(), ["b", "a"]);
        assert!(compact(Settings::new()).is_empty());
    }

    #[test]
    fn a_client_value_overrides_the_default() {
        let own = settings(json!({"both": "client", "own": "client"}));
        let defaults = settings(json!({"both": "default", "default": "default"}));
        assert_eq!(
            Value::Object(effective(&own, &defaults)),
            json!({"both": "client", "default": "default", "own": "client"})
        );
        assert_eq!(
            effective_value(&own, &defaults, "default"),
            Some(&json!("default"))
        );
        assert_eq!(effective_value(&own, &defaults, "none"), None);
    }
}
