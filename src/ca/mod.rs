//! The local certificate authority: a root that may vouch for Janrain's names only, and the leaf
//! certificates the TLS listener and the proxy's tunnels present, made on the fly per name.
//!
//! The root is an ECDSA P-256 certificate limited to signing leaves (`pathlen:0`) for TLS
//! servers (extended key usage `serverAuth`), whose critical Name Constraints extension permits
//! `janraincapture.com`, `janrain.com`, `localhost` (each with its subdomains), the loopback
//! addresses and any `--ca-permit` domain given when it is made, and excludes every e-mail
//! address and URI; so trusting it, or copying its key, can never make another site's
//! certificate pass. With `--ca-dir` it is made on first use and kept there; without, it is made
//! on first use and lives as long as the process.
//!
//! Whatever is in the directory, nothing is served, signed or written before the root passes
//! `check` (its limits, its signature, its key), the directory belongs to the running user and
//! no one else may write to it, and the key is private (`files`).
//!
//! Every leaf is checked against the root's own constraints (by `webpki`, as a client would)
//! before it is served: a name the root may not vouch for gets no certificate.

mod check;
mod files;
mod root;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rcgen::KeyPair;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use check::PermitRule;
pub use check::{EXCLUDED_KINDS, EXTENDED_KEY_USAGE, PERMITTED_ADDRESSES, RootProblem};

pub use files::{PRIVATE_MODE, PUBLIC_MODE, system_roots, write_bundle, write_file};
use root::Root;

use crate::hostnames;

/// The file of the root's private key in `--ca-dir`.
pub const KEY_FILE: &str = "ca-key.pem";
/// The file of the root's certificate in `--ca-dir`.
pub const CERT_FILE: &str = "ca.pem";
/// The file `janrain-emulator ca` writes: the system's roots and the emulator's.
pub const BUNDLE_FILE: &str = "bundle.pem";
/// Held while the root is made or read, so that two processes starting at once agree on one.
const LOCK_FILE: &str = "ca.lock";
/// The name of the leaf served when a client sends no name (it connected to an address).
pub const LOOPBACK_LEAF: &str = "localhost";

/// Why the root could not be made or read. Each renders as one line that names the file and
/// says how to mend it.
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
    /// The directory or the certificate may be changed by others.
    #[error(
        "{what} {path} is writable by group or others (mode {mode:04o}): anyone who can write \
         there could replace the root; run {fix} {path}"
    )]
    Writable {
        /// What it is: the CA directory, the CA certificate.
        what: &'static str,
        /// The directory or file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
        /// The command that mends it.
        fix: &'static str,
    },
    /// The directory or a file of it belongs to another user.
    #[error(
        "{what} {path} belongs to uid {owner}, not to the user running the emulator (uid \
         {user}): its owner could replace the root; use a directory of your own for --ca-dir"
    )]
    NotOwned {
        /// What it is.
        what: &'static str,
        /// The directory or file.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// The running user.
        user: u32,
    },
    /// A file of the directory is a symbolic link.
    #[error(
        "{path} is a symbolic link: the CA directory's files are never opened through one; \
         remove it"
    )]
    Link {
        /// The link.
        path: PathBuf,
    },
    /// The certificate without its key, or the key without its certificate.
    #[error(
        "CA directory {dir} holds {present} but not {absent}; remove the directory to make a \
         new root"
    )]
    Incomplete {
        /// The directory.
        dir: PathBuf,
        /// The file that is there.
        present: &'static str,
        /// The file that is not.
        absent: &'static str,
    },
    /// The root is not one this emulator may use.
    #[error(
        "CA root {path}: {problem}; remove {dir} to make a new root, and trust that one instead"
    )]
    Root {
        /// The certificate file.
        path: PathBuf,
        /// Its directory.
        dir: PathBuf,
        /// What is wrong with it.
        problem: RootProblem,
    },
    /// The key file holds no key.
    #[error("CA key {path} is not a private key ({reason}); remove {dir} to make a new root")]
    BadKey {
        /// The key file.
        path: PathBuf,
        /// Its directory.
        dir: PathBuf,
        /// What the parser said.
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
            let root = load_or_make(dir, &ca.permits)?;
            let _ = ca.root.set(Ok(Arc::new(root)));
        }
        Ok(ca)
    }

    /// Writes the bundle beside a kept root (`bundle.pem`), for programs that share the
    /// directory (a compose volume); the emulator writes it at every start, so that it follows
    /// the machine's roots. `None` for a root in memory.
    pub fn write_kept_bundle(&self) -> Option<(PathBuf, std::io::Result<()>)> {
        let dir = self.dir.as_ref()?;
        let path = dir.join(BUNDLE_FILE);
        let written = match self.root_pem() {
            Ok(pem) => write_bundle(&path, &pem),
            Err(refusal) => Err(std::io::Error::other(refusal.to_string())),
        };
        Some((path, written))
    }

    /// The directory the root is kept in, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The domains besides the built-in ones that the root vouches for: those it was made with,
    /// which for a kept root may differ from the `--ca-permit` given now.
    pub fn permits(&self) -> Vec<String> {
        match self.root() {
            Ok(root) => root.limits.permits.clone(),
            Err(_) => self.permits.clone(),
        }
    }

    /// Every domain the root vouches for (each with its subdomains), read from the root itself,
    /// the built-in ones first; the loopback addresses besides.
    pub fn permitted_names(&self) -> Vec<String> {
        hostnames::BUILT_IN_PERMITTED
            .iter()
            .map(|name| (*name).to_owned())
            .chain(self.permits())
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

/// Reads the root kept in `dir`, or makes one there, checking the directory, the files and the
/// root before anything of it is used.
fn load_or_make(dir: &Path, permits: &[String]) -> Result<Root, CaError> {
    files::prepare_dir(dir)?;
    // Held until this returns: a second process starting at once reads the root the first
    // made rather than making its own.
    let _lock = files::lock(&dir.join(LOCK_FILE))?;
    let key_path = dir.join(KEY_FILE);
    let cert_path = dir.join(CERT_FILE);
    let key_pem = files::read_if_present(&key_path, files::check_key_private)?;
    let cert_pem = files::read_if_present(&cert_path, |path, metadata| {
        files::check_owner(path, "CA certificate", metadata)?;
        files::check_not_writable_by_others(path, "CA certificate", metadata, "chmod 644")
    })?;
    let (key_pem, cert_pem) = match (key_pem, cert_pem) {
        (None, None) => {
            let (root, key_pem) = Root::make(permits)?;
            for (path, bytes, mode) in [
                (&key_path, key_pem.as_bytes(), PRIVATE_MODE),
                (&cert_path, root.cert_pem.as_bytes(), PUBLIC_MODE),
            ] {
                write_file(path, bytes, mode).map_err(|source| CaError::Io {
                    path: path.clone(),
                    source,
                })?;
            }
            tracing::info!(dir = %dir.display(), "made a local CA root");
            return Ok(root);
        }
        (Some(key), Some(cert)) => (key, cert),
        (Some(_), None) => return Err(incomplete(dir, KEY_FILE, CERT_FILE)),
        (None, Some(_)) => return Err(incomplete(dir, CERT_FILE, KEY_FILE)),
    };
    let key = KeyPair::from_pem(&key_pem).map_err(|e| CaError::BadKey {
        path: key_path,
        dir: dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    let root =
        Root::checked(cert_pem, key, PermitRule::AnyValid).map_err(|problem| CaError::Root {
            path: cert_path,
            dir: dir.to_path_buf(),
            problem,
        })?;
    // The root cannot change: a --ca-permit it was not made with has no effect.
    for domain in permits {
        if !root.limits.permits.contains(domain) {
            tracing::warn!(
                domain,
                dir = %dir.display(),
                "--ca-permit has no effect on a root made without it: remove the CA directory to make a new root"
            );
        }
    }
    Ok(root)
}

fn incomplete(dir: &Path, present: &'static str, absent: &'static str) -> CaError {
    CaError::Incomplete {
        dir: dir.to_path_buf(),
        present,
        absent,
    }
}

/// Checks a root fetched from a running emulator (`janrain-emulator ca --url`) as a kept root
/// is checked, without its key: self-signed, limited as this emulator limits its roots, and
/// permitting no domain beyond Janrain's, `localhost`, loopback and `permits`.
/// Returns the certificate's PEM block, the only part of the answer worth keeping.
pub fn check_fetched(pem: &str, permits: &[String]) -> Result<String, RootProblem> {
    let der = check::single_certificate(pem)?;
    check::check_root(
        &der,
        None,
        PermitRule::Only(permits),
        std::time::SystemTime::now(),
    )?;
    Ok(format!("{}\n", pem.trim()))
}

#[cfg(test)]
mod tests;
