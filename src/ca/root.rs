//! A root: made with the limits the emulator gives every root, or read back and checked against
//! them (`check`), and the leaves it signs, each verified by webpki as a client would before it
//! is served.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
    SanType, SerialNumber,
};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use sha1::{Digest as _, Sha1};

use super::check::{self, LOOPBACK_V4, LOOPBACK_V6, PermitRule, RootLimits, RootProblem};
use super::{CaError, LOOPBACK_LEAF, LeafRefusal};
use crate::hostnames;

/// Leaves kept at once; past it the cache starts again (each costs a key and a signature).
const MAX_CACHED_LEAVES: usize = 4_096;
/// How long a root is valid.
const ROOT_VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 3600);
/// How long a leaf is valid (the most browsers accept, should one be used there).
const LEAF_VALIDITY: Duration = Duration::from_secs(397 * 24 * 3600);
/// The Name Constraints extension's OID.
const NAME_CONSTRAINTS_OID: [u64; 4] = [2, 5, 29, 30];

/// A root: its certificate, the issuer made of its key, what it permits, and the leaves issued
/// so far.
pub(super) struct Root {
    pub(super) cert_pem: String,
    pub(super) limits: RootLimits,
    anchor: rustls::pki_types::TrustAnchor<'static>,
    issuer: Issuer<'static, KeyPair>,
    provider: CryptoProvider,
    leaves: Mutex<HashMap<String, Arc<CertifiedKey>>>,
}

impl std::fmt::Debug for Root {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Root")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Root {
    /// A new root permitting the built-in names and `permits`. Returns the key's PEM too, for
    /// a caller that keeps it.
    pub(super) fn make(permits: &[String]) -> Result<(Self, String), CaError> {
        let crypto = |e: rcgen::Error| CaError::Crypto(e.to_string());
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(crypto)?;
        let mut params = root_params(&key);
        // rcgen writes no URI subtree, so the whole extension is written here.
        let mut constraints =
            CustomExtension::from_oid_content(&NAME_CONSTRAINTS_OID, name_constraints(permits));
        constraints.set_criticality(true);
        params.custom_extensions.push(constraints);
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - Duration::from_secs(24 * 3600);
        params.not_after = now + ROOT_VALIDITY;
        params.serial_number = Some(random_serial());
        let cert = params.self_signed(&key).map_err(crypto)?;
        let key_pem = key.serialize_pem();
        // The root made passes the same checks as one read back, or it is not used at all.
        let root = Self::checked(cert.pem(), key, PermitRule::Only(permits))
            .map_err(|problem| CaError::Crypto(format!("the root made is refused: {problem}")))?;
        Ok((root, key_pem))
    }

    /// A root from its certificate and key, checked to be one this emulator may use and to
    /// belong together.
    pub(super) fn checked(
        cert_pem: String,
        key: KeyPair,
        rule: PermitRule<'_>,
    ) -> Result<Self, RootProblem> {
        let der = check::single_certificate(&cert_pem)?;
        let limits = check::check_root(&der, Some(key.public_key_raw()), rule, SystemTime::now())?;
        let anchor = webpki::anchor_from_trusted_cert(&der)
            .map_err(|e| RootProblem::NotCertificate(e.to_string()))?
            .to_owned();
        // The issuer of the leaves is rebuilt from the key: the subject is derived from it, so
        // a leaf names the stored certificate as its issuer.
        let issuer = Issuer::new(root_params(&key), key);
        let root = Self {
            cert_pem,
            limits,
            anchor,
            issuer,
            provider: rustls::crypto::ring::default_provider(),
            leaves: Mutex::new(HashMap::new()),
        };
        // A leaf the certificate does not verify means its subject is not the one this
        // emulator gives the key's roots.
        root.leaf(LOOPBACK_LEAF).map_err(|_| {
            RootProblem::NotCertificate("its subject is not the one the emulator gives it".into())
        })?;
        Ok(root)
    }

    /// The leaf for `name`, made on first use, then kept.
    pub(super) fn leaf(&self, name: &str) -> Result<Arc<CertifiedKey>, LeafRefusal> {
        let name = hostnames::normalize_name(name)
            .ok_or_else(|| LeafRefusal::NotAName(name.to_owned()))?;
        let mut leaves = self.leaves.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(leaf) = leaves.get(&name) {
            return Ok(leaf.clone());
        }
        let leaf = Arc::new(self.issue(&name)?);
        if leaves.len() >= MAX_CACHED_LEAVES {
            leaves.clear();
        }
        leaves.insert(name, leaf.clone());
        Ok(leaf)
    }

    /// Signs a leaf for `name`, and checks it as a client would before anyone is given it.
    fn issue(&self, name: &str) -> Result<CertifiedKey, LeafRefusal> {
        let outside = || LeafRefusal::Outside(name.to_owned());
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(|_| outside())?;
        let mut params = CertificateParams::default();
        let mut names = vec![SanType::DnsName(name.try_into().map_err(|_| outside())?)];
        if name == LOOPBACK_LEAF {
            names.push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
            names.push(SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        }
        params.subject_alt_names = names;
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - Duration::from_secs(3600);
        params.not_after = now + LEAF_VALIDITY;
        params.serial_number = Some(random_serial());
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(|_| outside())?;
        let end_entity = webpki::EndEntityCert::try_from(cert.der()).map_err(|_| outside())?;
        end_entity
            .verify_for_usage(
                webpki::ALL_VERIFICATION_ALGS,
                std::slice::from_ref(&self.anchor),
                &[],
                UnixTime::now(),
                webpki::KeyUsage::server_auth(),
                None,
                None,
            )
            .map_err(|_| outside())?;
        let server_name = ServerName::try_from(name.to_owned()).map_err(|_| outside())?;
        end_entity
            .verify_is_valid_for_subject_name(&server_name)
            .map_err(|_| outside())?;
        let private = PrivateKeyDer::Pkcs8(key.serialize_der().into());
        let signing = self
            .provider
            .key_provider
            .load_private_key(private)
            .map_err(|_| outside())?;
        Ok(CertifiedKey::new(vec![cert.der().clone()], signing))
    }
}

/// What a root's certificate says of itself; the subject is derived from the key, so that the
/// issuer of a later start's leaves is the stored certificate's subject. It may sign leaves for
/// TLS servers, nothing else.
fn root_params(key: &KeyPair) -> CertificateParams {
    let mut params = CertificateParams::default();
    let fingerprint = Sha1::digest(key.public_key_raw());
    let short: String = fingerprint[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationName, "janrain-emulator");
    params.distinguished_name.push(
        DnType::CommonName,
        format!("janrain-emulator local CA {short} (Janrain names only)"),
    );
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params
}

/// The DER of the root's name constraints: permitted, the built-in names, `permits` and the
/// loopback ranges; excluded, every e-mail address and every URI (the empty name of each kind,
/// which NSS, Go and others read as all of it). No directory-name subtree: rustls and Go refuse
/// every leaf under a root that has one (see docs/quirks.md).
fn name_constraints(permits: &[String]) -> Vec<u8> {
    use yasna::Tag;
    // GeneralName tags: rfc822Name [1], dNSName [2], uniformResourceIdentifier [6],
    // iPAddress [7].
    let named = |writer: yasna::DERWriter<'_>, tag: u64, name: &str| {
        writer.write_sequence(|writer| {
            let writer = writer.next();
            writer.write_tagged_implicit(Tag::context(tag), |writer| writer.write_ia5_string(name));
        });
    };
    let addresses = |writer: yasna::DERWriter<'_>, range: &[u8]| {
        writer.write_sequence(|writer| {
            let writer = writer.next();
            writer.write_tagged_implicit(Tag::context(7), |writer| writer.write_bytes(range));
        });
    };
    yasna::construct_der(|writer| {
        writer.write_sequence(|writer| {
            writer
                .next()
                .write_tagged_implicit(Tag::context(0), |writer| {
                    writer.write_sequence(|writer| {
                        let domains = hostnames::BUILT_IN_PERMITTED
                            .iter()
                            .copied()
                            .chain(permits.iter().map(String::as_str));
                        for domain in domains {
                            named(writer.next(), 2, domain);
                        }
                        addresses(writer.next(), &LOOPBACK_V4);
                        addresses(writer.next(), &LOOPBACK_V6);
                    });
                });
            writer
                .next()
                .write_tagged_implicit(Tag::context(1), |writer| {
                    writer.write_sequence(|writer| {
                        named(writer.next(), 1, "");
                        named(writer.next(), 6, "");
                    });
                });
        });
    })
}

fn random_serial() -> SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    // Positive, as DER integers for serials must be.
    bytes[0] &= 0x7f;
    SerialNumber::from_slice(&bytes)
}
