//! Capture domains: the host names whose legacy calls an application serves.

use std::sync::Arc;

/// A capture domain, as a `Host` header names it: lower-case, without port, brackets or trailing
/// dot, letters, digits, dots and hyphens only. Made only by [`CaptureDomain::of_host`], so two
/// spellings of one host (`My-App.example.com:8080`, `my-app.example.com.`) are one domain, and
/// every comparison is of the one form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaptureDomain(Arc<str>);

impl CaptureDomain {
    /// The domain a host (a `Host` header, a fixture's entry) names; why not, if it names none.
    pub fn of_host(host: &str) -> Result<Self, String> {
        let host = host.trim();
        let without_port = if let Some(rest) = host.strip_prefix('[') {
            // [v6]:port
            rest.split(']').next().unwrap_or_default()
        } else {
            host.rsplit_once(':')
                .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
                .map_or(host, |(name, _)| name)
        };
        let domain = without_port.trim_end_matches('.').to_ascii_lowercase();
        let valid = !domain.is_empty()
            && domain
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if !valid {
            return Err(format!("{domain:?} is not a host name"));
        }
        Ok(Self(domain.into()))
    }
}

shared_text!(CaptureDomain);

impl PartialEq<&str> for CaptureDomain {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}
