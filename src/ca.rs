//! The local certificate authority: a root that may vouch for Janrain's names only, and the leaf
//! certificates the TLS listener and the proxy's tunnels present, made on the fly per name.
//!
//! The root is an ECDSA P-256 certificate whose critical Name Constraints extension permits
//! `janraincapture.com`, `janrain.com`, `localhost` (each with its subdomains), the loopback
//! addresses and any `--ca-permit` domain given when it is made; so trusting it, or copying its
//! key, can never make another site's certificate pass. With `--ca-dir` it is made on first use
//! and kept there (the directory `0700`, the key `0600`; a key that others may read is refused,
//! as ssh refuses one); without, it is made on first use and lives as long as the process.
//!
//! Every leaf is checked against the root's own constraints (by `webpki`, as a client would)
//! before it is served: a name the root may not vouch for gets no certificate.

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    NameConstraints, PKCS_ECDSA_P256_SHA256, SanType, SerialNumber,
};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use sha1::{Digest as _, Sha1};

use crate::hostnames;

/// The file of the root's private key in `--ca-dir`.
pub const KEY_FILE: &str = "ca-key.pem";
/// The file of the root's certificate in `--ca-dir`.
pub const CERT_FILE: &str = "ca.pem";
/// The file `janrain-emulator ca` writes: the system's roots and the emulator's.
pub const BUNDLE_FILE: &str = "bundle.pem";
/// Held while the root is made or read, so that two processes starting at once agree on one.
const LOCK_FILE: &str = "ca.lock";
/// Leaves kept at once; past it the cache starts again (each costs a key and a signature).
const MAX_CACHED_LEAVES: usize = 4_096;
/// How long a root is valid.
const ROOT_VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 3600);
/// How long a leaf is valid (the most browsers accept, should one be used there).
const LEAF_VALIDITY: Duration = Duration::from_secs(397 * 24 * 3600);
/// The name of the leaf served when a client sends no name (it connected to an address).
pub const LOOPBACK_LEAF: &str = "localhost";

/// Why the root could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    /// A file or directory of `--ca-dir` could not be read or written.
    #[error("CA directory {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The key may be read by others.
    #[error(
        "CA key {path} is readable by group or others (mode {mode:04o}): it could sign \
         certificates for Janrain's names; run chmod 600 on it, or remove the directory to \
         make a new root"
    )]
    KeyExposed {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The files are not a root this emulator made.
    #[error("CA directory {path}: {reason}; remove the directory to make a new root")]
    Unusable {
        /// The directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The cryptography failed (should not happen).
    #[error("could not make a certificate: {0}")]
    Crypto(String),
}

/// Why a leaf was not issued for a name.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LeafRefusal {
    /// Not a host name or a loopback address.
    #[error("{0:?} is not a host name")]
    NotAName(String),
    /// Outside the root's name constraints.
    #[error(
        "the local root may not vouch for {0} (outside its name constraints: Janrain's domains, \
         localhost, loopback and any --ca-permit given when it was made)"
    )]
    Outside(String),
    /// The root could not be made.
    #[error("no root: {0}")]
    NoRoot(String),
}

/// The local certificate authority: where its root lives, made when first needed.
#[derive(Debug)]
pub struct LocalCa {
    dir: Option<PathBuf>,
    permits: Vec<String>,
    root: OnceLock<Result<Arc<Root>, String>>,
    server_config: OnceLock<Arc<rustls::ServerConfig>>,
}

impl LocalCa {
    /// A CA kept in `dir` (made there if absent, read and checked now if present) or, without
    /// a directory, one made in memory when first needed. `permits` are the `--ca-permit`
    /// domains, normalised; they take effect only when the root is made.
    pub fn open(dir: Option<&Path>, permits: Vec<String>) -> Result<Self, CaError> {
        let ca = Self {
            dir: dir.map(Path::to_path_buf),
            permits,
            root: OnceLock::new(),
            server_config: OnceLock::new(),
        };
        if let Some(dir) = &ca.dir {
            let root = Root::load_or_make(dir, &ca.permits)?;
            // The bundle beside the root, for programs that share the directory (a compose
            // volume): written at every start, so that it follows the machine's roots.
            let path = dir.join(BUNDLE_FILE);
            let (bundle, _) = bundle(&root.cert_pem, &path);
            if let Err(error) = write_file(&path, bundle.as_bytes()) {
                tracing::warn!(path = %path.display(), %error, "could not write the CA bundle");
            }
            let _ = ca.root.set(Ok(Arc::new(root)));
        }
        Ok(ca)
    }

    /// The directory the root is kept in, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The domains besides the built-in ones that a root made now would vouch for.
    pub fn permits(&self) -> &[String] {
        &self.permits
    }

    /// Every domain a root made now would vouch for (each with its subdomains), the built-in
    /// ones first; the loopback addresses besides.
    pub fn permitted_names(&self) -> Vec<String> {
        hostnames::BUILT_IN_PERMITTED
            .iter()
            .map(|name| (*name).to_owned())
            .chain(self.permits.iter().cloned())
            .collect()
    }

    fn root(&self) -> Result<&Arc<Root>, LeafRefusal> {
        self.root
            .get_or_init(|| {
                Root::make(&self.permits)
                    .map(|(root, _)| Arc::new(root))
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| LeafRefusal::NoRoot(e.clone()))
    }

    /// The root's certificate, PEM.
    pub fn root_pem(&self) -> Result<String, LeafRefusal> {
        Ok(self.root()?.cert_pem.clone())
    }

    /// The leaf for `name` (a host name, or [`LOOPBACK_LEAF`] for a client that sent none),
    /// made and checked against the root on first use, then kept.
    pub fn leaf(&self, name: &str) -> Result<Arc<CertifiedKey>, LeafRefusal> {
        self.root()?.leaf(name)
    }

    /// The TLS configuration of the listener and the proxy's tunnels: HTTP/2 and HTTP/1.1 by
    /// ALPN, a leaf per name the client asks for.
    pub fn server_config(self: &Arc<Self>) -> Arc<rustls::ServerConfig> {
        self.server_config
            .get_or_init(|| {
                let provider = Arc::new(rustls::crypto::ring::default_provider());
                let mut config = rustls::ServerConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .expect("ring supports the default versions")
                    .with_no_client_auth()
                    .with_cert_resolver(Arc::new(LeafResolver(self.clone())));
                config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
                Arc::new(config)
            })
            .clone()
    }
}

/// Issues leaves to the TLS handshake by the name the client sent (SNI).
#[derive(Debug)]
struct LeafResolver(Arc<LocalCa>);

impl ResolvesServerCert for LeafResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let name = hello.server_name().unwrap_or(LOOPBACK_LEAF);
        match self.0.leaf(name) {
            Ok(leaf) => Some(leaf),
            Err(refusal) => {
                tracing::warn!(name, %refusal, "TLS handshake refused: no certificate for that name");
                None
            }
        }
    }
}

/// A root: its certificate, the issuer made of its key, and the leaves issued so far.
struct Root {
    cert_pem: String,
    anchor: rustls::pki_types::TrustAnchor<'static>,
    issuer: Issuer<'static, KeyPair>,
    provider: CryptoProvider,
    leaves: Mutex<HashMap<String, Arc<CertifiedKey>>>,
}

impl std::fmt::Debug for Root {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Root").finish_non_exhaustive()
    }
}

impl Root {
    /// A new root permitting the built-in names and `permits`. Returns the key's PEM too, for
    /// a caller that keeps it.
    fn make(permits: &[String]) -> Result<(Self, String), CaError> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(crypto)?;
        let mut params = root_params(&key);
        let mut permitted: Vec<GeneralSubtree> = hostnames::BUILT_IN_PERMITTED
            .iter()
            .map(|d| GeneralSubtree::DnsName((*d).to_owned()))
            .chain(permits.iter().cloned().map(GeneralSubtree::DnsName))
            .collect();
        permitted.push(GeneralSubtree::IpAddress(CidrSubnet::from_addr_prefix(
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)),
            8,
        )));
        permitted.push(GeneralSubtree::IpAddress(CidrSubnet::from_addr_prefix(
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            128,
        )));
        params.name_constraints = Some(NameConstraints {
            permitted_subtrees: permitted,
            excluded_subtrees: Vec::new(),
        });
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - Duration::from_secs(24 * 3600);
        params.not_after = now + ROOT_VALIDITY;
        params.serial_number = Some(random_serial());
        let cert = params.self_signed(&key).map_err(crypto)?;
        let key_pem = key.serialize_pem();
        let root = Self::assemble(cert.pem(), key).map_err(CaError::Crypto)?;
        Ok((root, key_pem))
    }

    /// A root from its certificate and key, checked to belong together.
    fn assemble(cert_pem: String, key: KeyPair) -> Result<Self, String> {
        let der = CertificateDer::from_pem_slice(cert_pem.as_bytes())
            .map_err(|e| format!("the certificate is not PEM: {e}"))?;
        let anchor = webpki::anchor_from_trusted_cert(&der)
            .map_err(|e| format!("the certificate cannot be a root: {e}"))?
            .to_owned();
        // The issuer of the leaves is rebuilt from the key: the subject is derived from it, so
        // a leaf names the stored certificate as its issuer.
        let issuer = Issuer::new(root_params(&key), key);
        let root = Self {
            cert_pem,
            anchor,
            issuer,
            provider: rustls::crypto::ring::default_provider(),
            leaves: Mutex::new(HashMap::new()),
        };
        // A leaf the certificate does not verify means the key is not the certificate's.
        root.leaf(LOOPBACK_LEAF)
            .map_err(|_| "the key does not belong to the certificate".to_owned())?;
        Ok(root)
    }

    /// Reads the root kept in `dir`, or makes one there.
    fn load_or_make(dir: &Path, permits: &[String]) -> Result<Self, CaError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| CaError::Io { path, source }
        };
        make_private_dir(dir).map_err(io(dir))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        // Held until this returns: a second process starting at once reads the root the first
        // made rather than making its own.
        lock.lock().map_err(io(&lock_path))?;
        let key_path = dir.join(KEY_FILE);
        let cert_path = dir.join(CERT_FILE);
        if !key_path.exists() {
            let (root, key_pem) = Self::make(permits)?;
            write_private(&key_path, key_pem.as_bytes()).map_err(io(&key_path))?;
            write_file(&cert_path, root.cert_pem.as_bytes()).map_err(io(&cert_path))?;
            tracing::info!(dir = %dir.display(), "made a local CA root");
            return Ok(root);
        }
        check_key_mode(&key_path)?;
        let key_pem = fs::read_to_string(&key_path).map_err(io(&key_path))?;
        let cert_pem = fs::read_to_string(&cert_path).map_err(io(&cert_path))?;
        let unusable = |reason: String| CaError::Unusable {
            path: dir.to_path_buf(),
            reason,
        };
        let key = KeyPair::from_pem(&key_pem)
            .map_err(|e| unusable(format!("{KEY_FILE} is not a private key: {e}")))?;
        let root = Self::assemble(cert_pem, key).map_err(unusable)?;
        // The root cannot change: a --ca-permit it was not made with has no effect.
        for domain in permits {
            let probe = format!("emulator-probe.{domain}");
            if root.leaf(&probe).is_err() {
                tracing::warn!(
                    domain,
                    dir = %dir.display(),
                    "--ca-permit has no effect on a root made without it: remove the CA directory to make a new root"
                );
            }
        }
        Ok(root)
    }

    fn leaf(&self, name: &str) -> Result<Arc<CertifiedKey>, LeafRefusal> {
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
/// issuer of a later start's leaves is the stored certificate's subject.
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
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

fn random_serial() -> SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    // Positive, as DER integers for serials must be.
    bytes[0] &= 0x7f;
    SerialNumber::from_slice(&bytes)
}

fn crypto(error: rcgen::Error) -> CaError {
    CaError::Crypto(error.to_string())
}

#[cfg(unix)]
fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    match fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(not(unix))]
fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Writes `bytes` to `path` whole or not at all (a temporary file renamed over it).
pub fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    // A new file, never one planted there (the bundle may go to a shared temporary directory).
    let created = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary);
    let written = created.and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    match written.and_then(|()| fs::rename(&temporary, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = fs::remove_file(&temporary);
            Err(e)
        }
    }
}

#[cfg(unix)]
fn check_key_mode(path: &Path) -> Result<(), CaError> {
    use std::os::unix::fs::PermissionsExt as _;
    let metadata = fs::metadata(path).map_err(|source| CaError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CaError::KeyExposed {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_key_mode(_: &Path) -> Result<(), CaError> {
    Ok(())
}

/// The files of the machine's trusted roots, the first that exists is used for the bundle.
const SYSTEM_ROOTS: [&str; 6] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/ssl/cert.pem",
    "/usr/local/etc/openssl/cert.pem",
];

/// The machine's roots followed by `root_pem`, for `REQUESTS_CA_BUNDLE` and its like, so that
/// other HTTPS calls keep working. Returns the bundle and where the machine's roots came from.
pub fn bundle(root_pem: &str, skip: &Path) -> (String, Option<PathBuf>) {
    let from_env = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
    let candidates = from_env
        .into_iter()
        .chain(SYSTEM_ROOTS.iter().map(PathBuf::from));
    for path in candidates {
        if path == skip {
            continue;
        }
        let Ok(system) = fs::read_to_string(&path) else {
            continue;
        };
        // Only certificates of others: a bundle made earlier holds this root already.
        if system.contains(root_pem.trim()) || !system.contains("-----BEGIN CERTIFICATE-----") {
            continue;
        }
        let mut text = system;
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str("# janrain-emulator's local root (Janrain names only)\n");
        text.push_str(root_pem);
        return (text, Some(path));
    }
    (root_pem.to_owned(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_root_vouches_for_janrain_names_and_loopback_only() {
        let (root, _) = Root::make(&["example.test".into()]).expect("root");
        for name in [
            "myrealm.janraincapture.com",
            "v1.api.us.janrain.com",
            "localhost",
            "a.b.example.test",
        ] {
            assert!(root.leaf(name).is_ok(), "{name}");
        }
        for name in ["example.com", "evil-janrain.com", "janrain.com.evil.test"] {
            assert!(
                matches!(root.leaf(name), Err(LeafRefusal::Outside(_))),
                "{name}"
            );
        }
        assert!(matches!(root.leaf("a b"), Err(LeafRefusal::NotAName(_))));
    }

    #[test]
    fn a_kept_root_is_the_same_after_a_restart_and_its_key_private() {
        let dir = tempfile::tempdir().expect("dir");
        let ca = dir.path().join("ca");
        let first = Root::load_or_make(&ca, &[]).expect("made");
        let second = Root::load_or_make(&ca, &[]).expect("read");
        assert_eq!(first.cert_pem, second.cert_pem);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| fs::metadata(p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode(&ca), 0o700);
            assert_eq!(mode(&ca.join(KEY_FILE)), 0o600);
            fs::set_permissions(ca.join(KEY_FILE), fs::Permissions::from_mode(0o640))
                .expect("chmod");
            let refused = Root::load_or_make(&ca, &[]).expect_err("exposed");
            assert!(matches!(refused, CaError::KeyExposed { mode: 0o640, .. }));
        }
    }

    #[test]
    fn a_key_of_another_root_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        Root::load_or_make(&a, &[]).expect("a");
        Root::load_or_make(&b, &[]).expect("b");
        fs::copy(b.join(CERT_FILE), a.join(CERT_FILE)).expect("copy");
        let refused = Root::load_or_make(&a, &[]).expect_err("mismatch");
        assert!(refused.to_string().contains("does not belong"), "{refused}");
    }
}
