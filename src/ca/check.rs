//! What a root must be before the emulator serves it, puts it in a bundle or signs with its key:
//! the checks every root passes on every load, whether it was read from `--ca-dir`, fetched by
//! `janrain-emulator ca --url`, or made a moment ago.
//!
//! A root passes only if it is exactly what this version of the emulator makes: a v3 CA
//! certificate, self-signed by its own key (and, when the key is at hand, by that key),
//! `pathlen:0`, extended key usage `serverAuth` alone, and critical name constraints that permit
//! the built-in names, the loopback addresses and permitted domains only, and exclude every
//! e-mail address and URI. Anything wider is refused, whatever else is in its directory.

use std::time::{SystemTime, UNIX_EPOCH};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, NameConstraints, ParsedExtension};
use x509_parser::oid_registry::{
    OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER, OID_X509_EXT_BASIC_CONSTRAINTS,
    OID_X509_EXT_EXTENDED_KEY_USAGE, OID_X509_EXT_KEY_USAGE, OID_X509_EXT_NAME_CONSTRAINTS,
    OID_X509_EXT_SUBJECT_KEY_IDENTIFIER,
};
use x509_parser::prelude::FromDer as _;
use x509_parser::x509::X509Version;

use crate::hostnames;

/// The loopback ranges a root permits, as a name constraint encodes them: address, then mask.
pub(super) const LOOPBACK_V4: [u8; 8] = [127, 0, 0, 0, 255, 0, 0, 0];
/// `::1/128`, address then mask.
pub(super) const LOOPBACK_V6: [u8; 32] = {
    let mut bytes = [0xff; 32];
    let mut i = 0;
    while i < 16 {
        bytes[i] = 0;
        i += 1;
    }
    bytes[15] = 1;
    bytes
};

/// The address ranges every root that passes permits ([`LOOPBACK_V4`], [`LOOPBACK_V6`]), as
/// `info` reports them.
pub const PERMITTED_ADDRESSES: [&str; 2] = ["127.0.0.0/8", "::1/128"];
/// The kinds of name every root excludes whole.
pub const EXCLUDED_KINDS: [&str; 2] = ["email", "uri"];
/// The one extended key usage every root has.
pub const EXTENDED_KEY_USAGE: [&str; 1] = ["serverAuth"];

/// Which domains beyond the built-in ones a root may permit.
#[derive(Debug, Clone, Copy)]
pub enum PermitRule<'a> {
    /// Any domain `--ca-permit` would take: a root read from `--ca-dir` keeps the domains it was
    /// made with.
    AnyValid,
    /// Only these (normalised): what `janrain-emulator ca --url` was given with `--ca-permit`.
    Only(&'a [String]),
}

/// What a root that passed permits, beyond the built-in names and loopback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootLimits {
    /// The `--ca-permit` domains it was made with, in its own order.
    pub permits: Vec<String>,
}

/// Why a root is refused. Each renders as the reason in a one-line error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RootProblem {
    /// Not a DER certificate at all.
    #[error("it is not an X.509 certificate ({0})")]
    NotCertificate(String),
    /// Not signed by the key it carries.
    #[error("it is not self-signed by its own key")]
    NotSelfSigned,
    /// Its public key is not the key kept beside it.
    #[error("its public key is not the one in the key file beside it")]
    WrongKey,
    /// Not a CA certificate, or one that may sign other CAs.
    #[error(
        "it is not a CA limited to signing leaves (critical basic constraints CA:TRUE, pathlen:0)"
    )]
    NotLeafOnlyCa,
    /// A key usage beyond signing certificates and revocation lists.
    #[error("its key usage is not limited to signing certificates")]
    KeyUsage,
    /// Extended key usage other than `serverAuth` alone.
    #[error("its extended key usage is not serverAuth alone")]
    ExtendedKeyUsage,
    /// No name constraints, or constraints that are not critical.
    #[error("it has no critical name constraints, so it could vouch for any site")]
    Unconstrained,
    /// A permitted name wider than the emulator's.
    #[error("its name constraints permit {0}, more than Janrain's names, localhost and loopback")]
    Wider(String),
    /// A permitted domain that was not asked for.
    #[error("it also permits {0}, which was not given with --ca-permit")]
    PermitNotGiven(String),
    /// A built-in name it does not permit: not a root of this emulator.
    #[error("it does not permit {0}, so it is not a root of this emulator")]
    Missing(String),
    /// Excluded names other than the emulator's.
    #[error("its excluded names are not the emulator's (every e-mail address and URI)")]
    Exclusions,
    /// A root of an earlier version, without the limits this one adds.
    #[error("it was made by an earlier version of janrain-emulator, without {0}")]
    EarlierVersion(String),
    /// A critical extension the emulator does not make.
    #[error("it carries a critical extension the emulator does not make ({0})")]
    UnknownCritical(String),
    /// Outside its validity period.
    #[error("it is not valid now (valid from {from} to {until}, Unix time)")]
    NotValidNow {
        /// Its notBefore, in seconds since 1970.
        from: i64,
        /// Its notAfter, in seconds since 1970.
        until: i64,
    },
}

/// The one certificate of `pem`: the text must be one `CERTIFICATE` block and nothing else, so
/// that what is served and written is exactly what was checked.
pub fn single_certificate(pem: &str) -> Result<CertificateDer<'static>, RootProblem> {
    let text = pem.trim();
    let one_block = text.starts_with("-----BEGIN CERTIFICATE-----")
        && text.ends_with("-----END CERTIFICATE-----")
        && text.matches("-----BEGIN").count() == 1;
    if !one_block {
        return Err(RootProblem::NotCertificate(
            "the file must hold one PEM CERTIFICATE block and nothing else".into(),
        ));
    }
    CertificateDer::from_pem_slice(text.as_bytes())
        .map_err(|e| RootProblem::NotCertificate(format!("not PEM: {e}")))
}

/// Checks `der` as a root this emulator may use; `key` is the raw public key of the private key
/// kept beside it, when there is one. Returns the domains it permits beyond the built-in ones.
pub fn check_root(
    der: &[u8],
    key: Option<&[u8]>,
    rule: PermitRule<'_>,
    now: SystemTime,
) -> Result<RootLimits, RootProblem> {
    let (rest, cert) =
        X509Certificate::from_der(der).map_err(|e| RootProblem::NotCertificate(e.to_string()))?;
    if !rest.is_empty() {
        return Err(RootProblem::NotCertificate(
            "bytes follow the certificate".into(),
        ));
    }
    if cert.version() != X509Version::V3 {
        return Err(RootProblem::NotCertificate("not version 3".into()));
    }
    if cert.subject().as_raw() != cert.issuer().as_raw() || cert.verify_signature(None).is_err() {
        return Err(RootProblem::NotSelfSigned);
    }
    if key.is_some_and(|key| key != &*cert.public_key().subject_public_key.data) {
        return Err(RootProblem::WrongKey);
    }
    let now = now.duration_since(UNIX_EPOCH).map_or(0, |since| {
        i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
    });
    let (from, until) = (
        cert.validity().not_before.timestamp(),
        cert.validity().not_after.timestamp(),
    );
    if now < from || now > until {
        return Err(RootProblem::NotValidNow { from, until });
    }
    for extension in cert.extensions() {
        let known = [
            &OID_X509_EXT_BASIC_CONSTRAINTS,
            &OID_X509_EXT_KEY_USAGE,
            &OID_X509_EXT_EXTENDED_KEY_USAGE,
            &OID_X509_EXT_NAME_CONSTRAINTS,
            &OID_X509_EXT_SUBJECT_KEY_IDENTIFIER,
            &OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER,
        ];
        let parsed = !matches!(
            extension.parsed_extension(),
            ParsedExtension::UnsupportedExtension { .. } | ParsedExtension::ParseError { .. }
        );
        if extension.critical && !(parsed && known.contains(&&extension.oid)) {
            return Err(RootProblem::UnknownCritical(extension.oid.to_id_string()));
        }
    }
    check_basic_constraints(&cert)?;
    let constraints = match cert.name_constraints() {
        Ok(Some(constraints)) if constraints.critical => constraints.value,
        _ => return Err(RootProblem::Unconstrained),
    };
    let permits = check_permitted(constraints, rule)?;
    let mut missing = Vec::new();
    match cert.extended_key_usage() {
        Ok(None) => missing.push("its limit to TLS servers (extended key usage serverAuth)"),
        Ok(Some(eku)) => {
            let usage = eku.value;
            let server_only = usage.server_auth
                && !usage.any
                && !usage.client_auth
                && !usage.code_signing
                && !usage.email_protection
                && !usage.time_stamping
                && !usage.ocsp_signing
                && usage.other.is_empty();
            if !server_only {
                return Err(RootProblem::ExtendedKeyUsage);
            }
        }
        Err(_) => return Err(RootProblem::ExtendedKeyUsage),
    }
    if !check_excluded(constraints)? {
        missing.push("its exclusion of every e-mail address and URI");
    }
    if !missing.is_empty() {
        return Err(RootProblem::EarlierVersion(missing.join(" and ")));
    }
    Ok(RootLimits { permits })
}

fn check_basic_constraints(cert: &X509Certificate<'_>) -> Result<(), RootProblem> {
    let leaf_only =
        cert.basic_constraints().ok().flatten().is_some_and(|bc| {
            bc.critical && bc.value.ca && bc.value.path_len_constraint == Some(0)
        });
    if !leaf_only {
        return Err(RootProblem::NotLeafOnlyCa);
    }
    let usage = cert
        .key_usage()
        .ok()
        .flatten()
        .ok_or(RootProblem::KeyUsage)?
        .value;
    let beyond_signing = usage.non_repudiation()
        || usage.key_encipherment()
        || usage.data_encipherment()
        || usage.key_agreement()
        || usage.encipher_only()
        || usage.decipher_only();
    if !usage.key_cert_sign() || beyond_signing {
        return Err(RootProblem::KeyUsage);
    }
    Ok(())
}

/// The permitted subtrees: the built-in names, the loopback ranges and permitted domains,
/// nothing else. Returns the domains beyond the built-in ones.
fn check_permitted(
    constraints: &NameConstraints<'_>,
    rule: PermitRule<'_>,
) -> Result<Vec<String>, RootProblem> {
    let Some(permitted) = &constraints.permitted_subtrees else {
        return Err(RootProblem::Wider("every name".into()));
    };
    let mut built_in = Vec::new();
    let mut permits = Vec::new();
    let (mut v4, mut v6) = (false, false);
    for subtree in permitted {
        match &subtree.base {
            GeneralName::DNSName(name) => {
                let name = *name;
                if hostnames::BUILT_IN_PERMITTED.contains(&name) {
                    built_in.push(name);
                    continue;
                }
                // A permit as `--ca-permit` reads one, written as it writes it.
                if hostnames::permit(name).as_deref() != Ok(name) {
                    return Err(RootProblem::Wider(format!("{name:?}")));
                }
                if let PermitRule::Only(given) = rule
                    && !given.iter().any(|domain| domain == name)
                {
                    return Err(RootProblem::PermitNotGiven(name.to_owned()));
                }
                permits.push(name.to_owned());
            }
            GeneralName::IPAddress(range) if *range == LOOPBACK_V4 => v4 = true,
            GeneralName::IPAddress(range) if *range == LOOPBACK_V6 => v6 = true,
            GeneralName::IPAddress(range) => {
                return Err(RootProblem::Wider(format!(
                    "the address range {range:02x?}"
                )));
            }
            other => return Err(RootProblem::Wider(name_kind(other).to_owned())),
        }
    }
    for name in hostnames::BUILT_IN_PERMITTED {
        if !built_in.contains(&name) {
            return Err(RootProblem::Missing(name.to_owned()));
        }
    }
    if !(v4 && v6) {
        return Err(RootProblem::Missing("the loopback addresses".into()));
    }
    Ok(permits)
}

/// Whether the excluded subtrees are the emulator's (every e-mail address, every URI); `false`
/// when there are none (a root of an earlier version), an error when they are others.
fn check_excluded(constraints: &NameConstraints<'_>) -> Result<bool, RootProblem> {
    let Some(excluded) = &constraints.excluded_subtrees else {
        return Ok(false);
    };
    let (mut email, mut uri) = (false, false);
    for subtree in excluded {
        match subtree.base {
            GeneralName::RFC822Name("") if !email => email = true,
            GeneralName::URI("") if !uri => uri = true,
            _ => return Err(RootProblem::Exclusions),
        }
    }
    if email && uri {
        Ok(true)
    } else {
        Err(RootProblem::Exclusions)
    }
}

fn name_kind(name: &GeneralName<'_>) -> &'static str {
    match name {
        GeneralName::RFC822Name(_) => "e-mail addresses",
        GeneralName::URI(_) => "URIs",
        GeneralName::DirectoryName(_) => "directory names",
        GeneralName::OtherName(..) => "other names",
        GeneralName::RegisteredID(_) => "registered ids",
        _ => "a kind of name the emulator never permits",
    }
}
