//! The `janrain-signed` scheme of the legacy family.
//!
//! `Authorization: Signature <client_id>:<base64 HMAC-SHA1>` with `Date: YYYY-MM-DD HH:MM:SS`
//! (UTC). The signed text is the request path, the `Date` value, and every parameter except
//! `client_id` and `client_secret` as `key=value` lines, sorted, each line ending in `\n`:
//!
//! ```text
//! /clients/add\n2024-01-02 03:04:05\ndescription=my client\nfeatures=["owner"]\n
//! ```
//!
//! Real clients differ in small ways, and each way is accepted: Python and Go sort the
//! `key=value` lines while the Java, JavaScript, PHP and Ruby samples sort by key (the two differ
//! when one key is a prefix of another); with no parameters, the Python library signs
//! `path\ndate\n` while the samples sign `path\ndate\n\n`. Values are taken exactly as received,
//! never re-serialised, so `["a", "b"]` and `["a","b"]` each verify as sent.

use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use time::PrimitiveDateTime;
use time::macros::format_description;

use crate::model::ClientSecret;
use crate::params::Params;
use crate::redact;

type HmacSha1 = Hmac<Sha1>;

/// Parameters that carry credentials and are never signed.
const UNSIGNED: [&str; 2] = ["client_id", "client_secret"];

/// Every text a legitimate client could have signed for this request, most common first.
pub fn candidates(path: &str, date: &str, params: &Params) -> Vec<String> {
    let signed = signed_pairs(params);
    let head = format!("{path}\n{date}\n");
    if signed.is_empty() {
        return vec![head.clone(), format!("{head}\n")];
    }
    let mut by_line = signed.clone();
    by_line.sort_by(line_order);
    let mut by_key = signed;
    by_key.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let first = render(&head, &by_line, |_, value| value);
    let second = render(&head, &by_key, |_, value| value);
    if first == second {
        vec![first]
    } else {
        vec![first, second]
    }
}

/// The first of the [`candidates`] as a failure may show it: the values of secret parameters
/// (`redact::is_secret_name`) are hidden, so that the journal and the log can say what
/// the emulator expected without holding what the journal hides elsewhere.
pub fn shown(path: &str, date: &str, params: &Params) -> String {
    let mut pairs = signed_pairs(params);
    pairs.sort_by(line_order);
    let shown = redact::shown_params(&pairs);
    let shown: Vec<(&str, &str)> = shown.iter().map(|(key, value)| (*key, &**value)).collect();
    render(&format!("{path}\n{date}\n"), &shown, |_, value| value)
}

fn signed_pairs(params: &Params) -> Vec<(&str, &str)> {
    params
        .iter()
        .filter(|(key, _)| !UNSIGNED.contains(key))
        .collect()
}

/// The order of the Python library: by the whole `key=value` line.
fn line_order(a: &(&str, &str), b: &(&str, &str)) -> std::cmp::Ordering {
    let line = |(key, value): &(&str, &str)| format!("{key}={value}");
    line(a).as_bytes().cmp(line(b).as_bytes())
}

fn render<'a>(
    head: &str,
    pairs: &[(&str, &'a str)],
    value: impl Fn(&str, &'a str) -> &'a str,
) -> String {
    pairs.iter().fold(head.to_owned(), |mut text, (key, raw)| {
        text.push_str(key);
        text.push('=');
        text.push_str(value(key, raw));
        text.push('\n');
        text
    })
}

/// The base64 signature of `text` under `secret`, as a client computes it.
#[cfg(any(test, feature = "internals"))]
pub fn sign(secret: &str, text: &str) -> String {
    STANDARD.encode(mac(secret, text).finalize().into_bytes())
}

fn mac(secret: &str, text: &str) -> HmacSha1 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <HmacSha1 as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(text.as_bytes());
    mac
}

/// Whether `signature` (decoded) signs one of `candidates` under `secret`. Every candidate is
/// checked, each in constant time.
pub fn verifies(secret: &ClientSecret, candidates: &[String], signature: &[u8]) -> bool {
    candidates
        .iter()
        .map(|text| mac(secret.expose(), text).verify_slice(signature).is_ok())
        .fold(false, |any, ok| any | ok)
}

/// Reads the value after `Signature `: `<client_id>:<base64 signature>`.
pub fn parse_credentials(value: &str) -> Option<(String, Vec<u8>)> {
    let (client_id, signature) = value.trim().rsplit_once(':')?;
    let signature = STANDARD.decode(signature.trim()).ok()?;
    (!client_id.is_empty()).then(|| (client_id.to_owned(), signature))
}

/// Reads a `Date` header of the form `YYYY-MM-DD HH:MM:SS`, in UTC.
pub fn parse_date(value: &str) -> Option<SystemTime> {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    PrimitiveDateTime::parse(value.trim(), &format)
        .ok()
        .map(|at| SystemTime::from(at.assume_utc()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &str = "2024-01-02 03:04:05";

    fn params(pairs: &[(&str, &str)]) -> Params {
        let mut params = Params::default();
        for (key, value) in pairs {
            params.push(key, value);
        }
        params
    }

    /// The reference's test vectors, produced with janrain-python-api 0.4.0.
    #[test]
    fn reference_vectors() {
        let add = params(&[
            ("description", "my client"),
            ("features", r#"["direct_access", "access_issuer"]"#),
        ]);
        let texts = candidates("/clients/add", DATE, &add);
        assert_eq!(
            texts[0],
            "/clients/add\n2024-01-02 03:04:05\ndescription=my client\nfeatures=[\"direct_access\", \"access_issuer\"]\n"
        );
        assert_eq!(
            sign("ownersecret", &texts[0]),
            "YQ5TvTNw/fRyaowNBglFyHcEo1w="
        );

        let list = candidates("/clients/list", DATE, &Params::default());
        assert_eq!(
            list,
            [
                "/clients/list\n2024-01-02 03:04:05\n",
                "/clients/list\n2024-01-02 03:04:05\n\n"
            ]
        );
        assert_eq!(
            sign("ownersecret", &list[0]),
            "nGTzrzfAexSDjTIF/KtO3MhvYaY="
        );
        assert_eq!(
            sign("ownersecret", &list[1]),
            "fhoacSIPGBSi3QLkNi3DrBaZZRM="
        );

        let reset = params(&[("hours_to_live", "24"), ("for_client_id", "abc")]);
        let texts = candidates("/clients/reset_secret", DATE, &reset);
        assert_eq!(texts.len(), 1, "both orders agree here");
        assert_eq!(
            sign("ownersecret", &texts[0]),
            "GCjr43hvMbZtT1ySBW0WH4rPLfM="
        );
    }

    #[test]
    fn credentials_are_not_signed() {
        let with_credentials = params(&[
            ("client_id", "ownerid"),
            ("client_secret", "ownersecret"),
            ("for_client_id", "abc"),
            ("hours_to_live", "24"),
        ]);
        let texts = candidates("/clients/reset_secret", DATE, &with_credentials);
        assert_eq!(
            sign("ownersecret", &texts[0]),
            "GCjr43hvMbZtT1ySBW0WH4rPLfM="
        );
    }

    #[test]
    fn both_sort_orders_are_candidates() {
        // By line "a-=1" sorts first ('-' is below '='); by key "a" sorts first.
        let texts = candidates("/x", DATE, &params(&[("a-", "1"), ("a", "z")]));
        assert_eq!(
            texts,
            [
                "/x\n2024-01-02 03:04:05\na-=1\na=z\n",
                "/x\n2024-01-02 03:04:05\na=z\na-=1\n"
            ]
        );
    }

    #[test]
    fn verification_is_exact() {
        let secret = ClientSecret::new("ownersecret").expect("secret");
        let texts = candidates("/clients/list", DATE, &Params::default());
        let good = STANDARD
            .decode("fhoacSIPGBSi3QLkNi3DrBaZZRM=")
            .expect("b64");
        assert!(verifies(&secret, &texts, &good));
        let other = ClientSecret::new("othersecret").expect("secret");
        assert!(!verifies(&other, &texts, &good));
        assert!(!verifies(&secret, &texts, &good[..10]));
    }

    #[test]
    fn header_and_date_parsing() {
        assert_eq!(
            parse_credentials("ownerid:YQ5TvTNw/fRyaowNBglFyHcEo1w="),
            Some((
                "ownerid".to_owned(),
                STANDARD
                    .decode("YQ5TvTNw/fRyaowNBglFyHcEo1w=")
                    .expect("b64")
            ))
        );
        assert_eq!(parse_credentials("nocolon"), None);
        assert_eq!(parse_credentials(":abc="), None);
        let at = parse_date(DATE).expect("date");
        let secs = at
            .duration_since(SystemTime::UNIX_EPOCH)
            .expect("after epoch")
            .as_secs();
        assert_eq!(secs, 1_704_164_645);
        assert_eq!(parse_date("Tue, 02 Jan 2024 03:04:05 GMT"), None);
    }

    #[test]
    fn the_shown_text_hides_secret_values() {
        let sent = params(&[
            ("description", "x"),
            ("password", "hunter2"),
            ("rpx_key", "k1"),
            ("client_secret", "s"),
        ]);
        assert_eq!(
            shown("/clients/add", DATE, &sent),
            format!("/clients/add\n{DATE}\ndescription=x\npassword=(hidden)\nrpx_key=(hidden)\n")
        );
        // The verified texts keep the values.
        assert!(candidates("/clients/add", DATE, &sent)[0].contains("password=hunter2"));
    }
}
