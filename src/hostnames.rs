//! Host names: which are Janrain's, which the local certificate authority may vouch for, and a
//! strict reading of the target a client asks the proxy for.
//!
//! Everything here is a pure function of its text, so that the proxy's one decision (serve this
//! target here, or refuse it) and the names the root may sign for are decided in one place that
//! a fuzz target and the hostile battery can reach.

use std::net::IpAddr;

/// The domains whose hosts the proxy serves: Capture domains (`<realm>.janraincapture.com`)
/// and the Configuration API's (`v1.api.<region>.janrain.com`).
pub const JANRAIN_DOMAINS: [&str; 2] = ["janraincapture.com", "janrain.com"];

/// The names the local root may always vouch for (each with its subdomains), besides the
/// loopback addresses.
pub const BUILT_IN_PERMITTED: [&str; 3] = ["janraincapture.com", "janrain.com", "localhost"];

/// The longest host name DNS allows.
const MAX_NAME_CHARS: usize = 253;
/// The longest label of a host name.
const MAX_LABEL_CHARS: usize = 63;

/// A target the proxy may serve: a Janrain host name, normalised, and the port asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyTarget {
    /// The host name, lower-case, without a trailing dot.
    pub host: String,
    /// The port, when the authority named one.
    pub port: Option<u16>,
}

/// Why a target is refused. Each renders as the one-line reason the client is given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetRefusal {
    /// Nothing to connect to.
    #[error("the target is empty")]
    Empty,
    /// `user@host`: a way of hiding the real host from a reader of the URL. The user
    /// information (which may be a password) is never repeated.
    #[error("the target {0:?} carries user information, which a proxy target never needs")]
    UserInfo(String),
    /// An address rather than a name: it names no Janrain host.
    #[error(
        "the target {0:?} is an IP address; the emulator stands in for Janrain's host names only"
    )]
    IpLiteral(String),
    /// Not a host name at all.
    #[error("the target {0:?} is not a valid host name")]
    BadName(String),
    /// A port that is not a number from 1 to 65535.
    #[error("the target {0:?} has no valid port")]
    BadPort(String),
    /// `CONNECT` needs `host:port`.
    #[error("the target {0:?} names no port (CONNECT asks for host:port)")]
    MissingPort(String),
    /// A valid host that is not Janrain's.
    #[error(
        "{0} is not a Janrain host: the emulator answers only for *.janraincapture.com and \
         *.janrain.com, and never connects anywhere else"
    )]
    NotJanrain(String),
}

/// Reads `authority` (`host`, or `host:port`; with `need_port`, `host:port`) as a target the proxy
/// may serve: a Janrain host name. Every other form is refused: user information, IP literals
/// (bracketed or not), percent-encoding and other characters no host name has, empty labels,
/// look-alikes such as `x.janraincapture.com.evil.test` or `evil-janraincapture.com`.
pub fn proxy_target(authority: &str, need_port: bool) -> Result<ProxyTarget, TargetRefusal> {
    if authority.is_empty() {
        return Err(TargetRefusal::Empty);
    }
    if authority.contains('@') {
        return Err(TargetRefusal::UserInfo(shown(authority)));
    }
    if authority.starts_with('[') || authority.parse::<IpAddr>().is_ok() {
        return Err(TargetRefusal::IpLiteral(shown(authority)));
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => {
            // Digits only: `u16::from_str` would also take a leading `+`.
            let digits = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
            let port = digits
                .then(|| port.parse::<u16>().ok())
                .flatten()
                .filter(|port| *port != 0)
                .ok_or_else(|| TargetRefusal::BadPort(shown(authority)))?;
            (host, Some(port))
        }
        None if need_port => return Err(TargetRefusal::MissingPort(shown(authority))),
        None => (authority, None),
    };
    if host.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err(TargetRefusal::IpLiteral(shown(authority)));
    }
    let host = normalize_name(host).ok_or_else(|| TargetRefusal::BadName(shown(authority)))?;
    if !is_janrain_host(&host) {
        return Err(TargetRefusal::NotJanrain(host));
    }
    Ok(ProxyTarget { host, port })
}

/// `authority` as it may be shown in an answer or the log: user information (`user:password@`)
/// replaced by `***@`, and at most 300 characters.
pub fn shown(authority: &str) -> String {
    let host = match authority.rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => authority.to_owned(),
    };
    host.chars().take(300).collect()
}

/// `name` as a host name: lower-case, one trailing dot dropped, every label 1 to 63 letters,
/// digits and hyphens that neither starts nor ends with a hyphen; `None` for anything else
/// (including names that are all digits and dots, which read as addresses).
pub fn normalize_name(name: &str) -> Option<String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.len() > MAX_NAME_CHARS {
        return None;
    }
    let valid_label = |label: &str| {
        !label.is_empty()
            && label.len() <= MAX_LABEL_CHARS
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if !name.split('.').all(valid_label) {
        return None;
    }
    if name.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    Some(name.to_ascii_lowercase())
}

/// Whether `name` is `domain` or one of its subdomains (both already normalised). A match is
/// on whole labels: `evil-janrain.com` is not within `janrain.com`.
pub fn is_within(name: &str, domain: &str) -> bool {
    name == domain
        || name
            .strip_suffix(domain)
            .is_some_and(|prefix| prefix.ends_with('.'))
}

/// Whether `name` (normalised) is a host under one of Janrain's domains (the domains themselves
/// are not API hosts).
pub fn is_janrain_host(name: &str) -> bool {
    JANRAIN_DOMAINS
        .iter()
        .any(|domain| name != *domain && is_within(name, domain))
}

/// Reads a `--ca-permit` domain: a host name that is not a public suffix (a whole top-level
/// domain, `co.uk` or `github.io` would let the root vouch for every site under it), normalised.
/// The suffixes are the Public Suffix List's, ICANN and private sections both.
pub fn permit(domain: &str) -> Result<String, String> {
    let domain = domain.trim().trim_start_matches("*.");
    let name = normalize_name(domain)
        .ok_or_else(|| format!("--ca-permit {domain:?} is not a domain name"))?;
    if !name.contains('.') {
        return Err(format!(
            "--ca-permit {domain:?} is a whole top-level domain; name one of its domains, such as example.{name}"
        ));
    }
    if psl::domain_str(&name).is_none() {
        return Err(format!(
            "--ca-permit {domain:?} is a public suffix: the root would vouch for every site \
             registered under it; name a domain of your own, such as example.{name}"
        ));
    }
    Ok(name)
}

/// Whether the root may vouch for `name` (normalised), given the domains it was made with.
pub fn may_vouch_for(name: &str, extra: &[String]) -> bool {
    BUILT_IN_PERMITTED
        .iter()
        .copied()
        .chain(extra.iter().map(String::as_str))
        .any(|domain| is_within(name, domain))
}

/// The host of `authority` (`host`, `host:port`, `[v6]` or `[v6]:port`) without its port, and
/// whether it is an IP address; `None` when it is not an authority at all.
fn authority_host(authority: &str) -> Option<(&str, bool)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (address, after) = rest.split_once(']')?;
        let port_ok = after.is_empty()
            || after
                .strip_prefix(':')
                .is_some_and(|port| port.bytes().all(|b| b.is_ascii_digit()));
        return (port_ok && address.parse::<std::net::Ipv6Addr>().is_ok())
            .then_some((address, true));
    }
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        Some(_) => return None,
        None => authority,
    };
    Some((host, host.parse::<std::net::Ipv4Addr>().is_ok()))
}

/// Whether a request whose `Host` is `authority` may reach the control plane without a token:
/// one a web page of another site cannot send. A page that rebinds its own name to the
/// emulator's address still sends that name, so the names allowed are those no other site can
/// hold: an IP address, `localhost` (and its subdomains, which browsers keep on loopback), a
/// name without a dot (a compose service), a name under Janrain's domains, or one of `extra`
/// (`--control-host`, normalised).
pub fn control_host_allowed(authority: &str, extra: &[String]) -> bool {
    let Some((host, is_address)) = authority_host(authority) else {
        return false;
    };
    if is_address {
        return true;
    }
    let Some(name) = normalize_name(host) else {
        return false;
    };
    is_within(&name, "localhost")
        || !name.contains('.')
        || JANRAIN_DOMAINS
            .iter()
            .any(|domain| is_within(&name, domain))
        || extra.contains(&name)
}

/// Whether `origin` (an `Origin` header) is the origin of a page served by the emulator at
/// `authority` (the request's `Host`): `http` or `https`, the same host and the same port once
/// the scheme's default port is left out. `null` (a sandboxed or local page) is not.
pub fn is_own_origin(origin: &str, authority: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => return false,
    };
    let tidy = |text: &str| {
        let text = text.to_ascii_lowercase();
        match text.strip_suffix(default_port) {
            Some(bare) => bare.to_owned(),
            None => text,
        }
    };
    !rest.is_empty() && authority_host(rest).is_some() && tidy(rest) == tidy(authority)
}

/// Reads a `--control-host` name: a host name, normalised.
pub fn control_host(name: &str) -> Result<String, String> {
    normalize_name(name.trim()).ok_or_else(|| format!("--control-host {name:?} is not a host name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn janrain_hosts_are_targets() {
        for (authority, host, port) in [
            (
                "myrealm.janraincapture.com:443",
                "myrealm.janraincapture.com",
                Some(443),
            ),
            (
                "V1.API.US.JANRAIN.COM:8443",
                "v1.api.us.janrain.com",
                Some(8443),
            ),
            (
                "v1-staging.api.us.janrain.com.:443",
                "v1-staging.api.us.janrain.com",
                Some(443),
            ),
        ] {
            assert_eq!(
                proxy_target(authority, true),
                Ok(ProxyTarget {
                    host: host.into(),
                    port
                }),
                "{authority}"
            );
        }
        assert!(proxy_target("x.janraincapture.com", false).is_ok());
    }

    #[test]
    fn everything_else_is_refused() {
        for authority in [
            "",
            "example.com:443",
            "janraincapture.com:443",
            "janrain.com:443",
            "x.janraincapture.com.evil.test:443",
            "evil-janraincapture.com:443",
            "evil.janraincapture.com@example.com:443",
            "user:pw@x.janraincapture.com:443",
            "127.0.0.1:8080",
            "[::1]:8080",
            "::1",
            "localhost:8080",
            "x.capture.localhost:443",
            "x.janraincapture.com:0",
            "x.janraincapture.com:99999",
            "x.janraincapture.com:+443",
            "x.janraincapture.com:",
            "x.janraincapture.com",
            "x%2ejanraincapture.com:443",
            "x..janraincapture.com:443",
            "-x.janraincapture.com:443",
            "x_y.janraincapture.com:443",
            "x.janraincapture.com:443:443",
            "2130706433:80",
            "0x7f.0.0.1:80",
        ] {
            assert!(proxy_target(authority, true).is_err(), "{authority:?}");
        }
    }

    #[test]
    fn within_is_on_whole_labels() {
        assert!(is_within("a.janrain.com", "janrain.com"));
        assert!(is_within("janrain.com", "janrain.com"));
        assert!(!is_within("evil-janrain.com", "janrain.com"));
        assert!(!is_within("janrain.com.evil", "janrain.com"));
    }

    #[test]
    fn permits_are_domains_below_a_top_level_one() {
        assert_eq!(permit("Example.TEST"), Ok("example.test".into()));
        assert_eq!(permit("*.example.test"), Ok("example.test".into()));
        assert!(permit("com").is_err());
        for suffix in ["co.uk", "github.io", "*.com.au"] {
            let refused = permit(suffix).expect_err(suffix);
            assert!(refused.contains("public suffix"), "{refused}");
        }
        assert_eq!(permit("example.co.uk"), Ok("example.co.uk".into()));
        assert!(permit("ex ample.test").is_err());
        assert!(may_vouch_for("a.example.test", &["example.test".into()]));
        assert!(!may_vouch_for("example.com", &["example.test".into()]));
        assert!(may_vouch_for("localhost", &[]));
    }

    #[test]
    fn the_control_plane_takes_hosts_no_other_site_can_hold() {
        let extra = ["emulator.ci.example".to_owned()];
        for allowed in [
            "127.0.0.1",
            "127.0.0.1:8080",
            "10.1.2.3:80",
            "[::1]:8080",
            "[::1]",
            "localhost",
            "LOCALHOST:8080",
            "app.localhost:8080",
            "janrain",
            "janrain:8080",
            "myrealm.janraincapture.com",
            "v1.api.us.janrain.com:8443",
            "emulator.ci.example:8080",
        ] {
            assert!(control_host_allowed(allowed, &extra), "{allowed}");
        }
        for refused in [
            "rebind.attacker.example",
            "rebind.attacker.example:8080",
            "localhost.attacker.example",
            "janrain.com.attacker.example",
            "evil-janrain.com",
            "sub.emulator.ci.example",
            "",
            "[::1",
            "[::1]x",
            "a b",
            "127.0.0.1:80x",
        ] {
            assert!(!control_host_allowed(refused, &extra), "{refused:?}");
        }
    }

    #[test]
    fn an_origin_is_the_emulators_own_only_with_the_same_host_and_port() {
        for (origin, host) in [
            ("http://127.0.0.1:8080", "127.0.0.1:8080"),
            ("HTTP://LocalHost:8080", "localhost:8080"),
            ("http://localhost", "localhost:80"),
            ("https://x.janraincapture.com", "x.janraincapture.com"),
            ("http://[::1]:8080", "[::1]:8080"),
        ] {
            assert!(is_own_origin(origin, host), "{origin} {host}");
        }
        for (origin, host) in [
            ("http://attacker.example", "127.0.0.1:8080"),
            ("http://127.0.0.1:8081", "127.0.0.1:8080"),
            ("null", "127.0.0.1:8080"),
            ("file://", "127.0.0.1:8080"),
            ("ftp://127.0.0.1:8080", "127.0.0.1:8080"),
            ("http://127.0.0.1:8080/", "127.0.0.1:8080"),
            ("http://", ""),
        ] {
            assert!(!is_own_origin(origin, host), "{origin} {host}");
        }
    }
}
