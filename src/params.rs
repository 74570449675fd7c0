//! Request parameters as `application/x-www-form-urlencoded` pairs, from a query string or a body.

use serde_json::{Map, Value};

use crate::error::{ApiError, InvalidReason, RequestProblem};
use crate::redact;

/// Parameters in the order they arrived: query string first, then the form body. Keys may
/// repeat; a single-valued lookup takes the last occurrence, so a body value overrides the same
/// key in the query string. `Debug` hides the values of secret parameters.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl std::fmt::Debug for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pairs: Vec<(&str, &str)> = self.iter().collect();
        f.debug_list()
            .entries(redact::shown_params(&pairs))
            .finish()
    }
}

impl Params {
    /// Parses `input` and appends its pairs. Pairs are split at `&`, key from value at the first
    /// `=`, `+` means a space, and `%XX` escapes are decoded; the decoded text must be UTF-8.
    pub fn extend_urlencoded(&mut self, input: &[u8]) -> Result<(), RequestProblem> {
        for pair in input.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            let (key, value) = match pair.iter().position(|b| *b == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &b""[..]),
            };
            self.0.push((decode(key)?, decode(value)?));
        }
        Ok(())
    }

    /// Parses a whole query string or form body.
    pub fn parse(input: &[u8]) -> Result<Self, RequestProblem> {
        let mut params = Self::default();
        params.extend_urlencoded(input)?;
        Ok(params)
    }

    /// Appends one pair (tests build parameters this way).
    #[cfg(test)]
    pub(crate) fn push(&mut self, key: &str, value: &str) {
        self.0.push((key.to_owned(), value.to_owned()));
    }

    /// The last value given for `name`, as sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value given for `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The value of `name`, treating an empty value as absent.
    pub fn optional(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|value| !value.is_empty())
    }

    /// The value of a required parameter; absent or empty is `missing_argument`.
    pub fn required(&self, name: &'static str) -> Result<&str, ApiError> {
        self.optional(name).ok_or(ApiError::MissingArgument(name))
    }

    /// A parameter that holds a JSON array in a string, such as `features='["owner"]'`. Absent or
    /// empty is `None`.
    pub fn json_array(&self, name: &'static str) -> Result<Option<Vec<Value>>, ApiError> {
        let Some(raw) = self.optional(name) else {
            return Ok(None);
        };
        let invalid = |reason| ApiError::InvalidArgument {
            argument: name,
            reason,
        };
        match serde_json::from_str::<Value>(raw) {
            Ok(Value::Array(items)) => Ok(Some(items)),
            Ok(_) => Err(invalid(InvalidReason::NotList)),
            Err(_) => Err(invalid(InvalidReason::JsonSyntax)),
        }
    }

    /// A required parameter that holds a JSON array in a string.
    pub fn required_json_array(&self, name: &'static str) -> Result<Vec<Value>, ApiError> {
        self.json_array(name)?
            .ok_or(ApiError::MissingArgument(name))
    }

    /// A required parameter that holds a JSON object in a string, such as
    /// `items='{"site_name": "Demo"}'`.
    pub fn required_json_object(&self, name: &'static str) -> Result<Map<String, Value>, ApiError> {
        let raw = self.required(name)?;
        let invalid = |reason| ApiError::InvalidArgument {
            argument: name,
            reason,
        };
        match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(fields)) => Ok(fields),
            Ok(_) => Err(invalid(InvalidReason::NotObject)),
            Err(_) => Err(invalid(InvalidReason::JsonSyntax)),
        }
    }

    /// All pairs in arrival order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

fn decode(raw: &[u8]) -> Result<String, RequestProblem> {
    // Most parameters need neither step: copy those once, and decode only what has escapes.
    let bytes = if !raw.contains(&b'%') && !raw.contains(&b'+') {
        raw.to_vec()
    } else {
        let spaced: Vec<u8> = raw
            .iter()
            .map(|b| if *b == b'+' { b' ' } else { *b })
            .collect();
        std::borrow::Cow::from(percent_encoding::percent_decode(&spaced)).into_owned()
    };
    String::from_utf8(bytes).map_err(|_| RequestProblem::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_documented_example() {
        let params =
            Params::parse(b"description=my+client&features=%5B%22login_client%22%5D").expect("ok");
        assert_eq!(params.get("description"), Some("my client"));
        assert_eq!(params.get("features"), Some(r#"["login_client"]"#));
    }

    #[test]
    fn the_body_overrides_the_query() {
        let mut params = Params::parse(b"a=query&b=1").expect("ok");
        params.extend_urlencoded(b"a=body").expect("ok");
        assert_eq!(params.get("a"), Some("body"));
        assert_eq!(params.all("a").collect::<Vec<_>>(), ["query", "body"]);
    }

    #[test]
    fn keys_without_values_and_stray_separators() {
        let params = Params::parse(b"&flag&x=&y=a=b&&").expect("ok");
        assert_eq!(params.get("flag"), Some(""));
        assert_eq!(params.optional("x"), None);
        assert_eq!(params.get("y"), Some("a=b"));
    }

    #[test]
    fn invalid_utf8_is_refused() {
        assert_eq!(Params::parse(b"a=%ff"), Err(RequestProblem::NotUtf8));
        assert_eq!(
            Params::parse(&[b'a', b'=', 0xc3]),
            Err(RequestProblem::NotUtf8)
        );
    }

    #[test]
    fn json_arrays_in_strings() {
        let params = Params::parse(b"f=%5B1%5D&g=nope&h=%7B%7D").expect("ok");
        assert_eq!(
            params.json_array("f").expect("array"),
            Some(vec![Value::from(1)])
        );
        assert!(matches!(
            params.json_array("g"),
            Err(ApiError::InvalidArgument {
                reason: InvalidReason::JsonSyntax,
                ..
            })
        ));
        assert!(matches!(
            params.json_array("h"),
            Err(ApiError::InvalidArgument {
                reason: InvalidReason::NotList,
                ..
            })
        ));
        assert_eq!(params.json_array("absent").expect("ok"), None);
    }
}
