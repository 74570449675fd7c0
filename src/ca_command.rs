//! `janrain-emulator ca`: writes a bundle of the machine's trusted roots and the local CA's root,
//! and prints its path, for `REQUESTS_CA_BUNDLE`, `SSL_CERT_FILE` and their like. With
//! `--ca-dir` the root is the one kept there (made now if absent), so the bundle can be made
//! before the emulator starts; without, it is asked of the running emulator.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sha1::{Digest as _, Sha1};

use crate::ca::{self, LocalCa};
use crate::control::CA_PEM_PATH;

/// Writes the bundle and returns its path.
pub async fn run(
    ca_dir: Option<&Path>,
    permits: Vec<String>,
    url: Option<&str>,
    listen: &str,
) -> Result<PathBuf, String> {
    let (root_pem, path) = match ca_dir {
        Some(dir) => {
            let ca = LocalCa::open(Some(dir), permits).map_err(|e| e.to_string())?;
            let pem = ca.root_pem().map_err(|e| e.to_string())?;
            (pem, dir.join(ca::BUNDLE_FILE))
        }
        None => {
            let url = match url {
                Some(url) => url.to_owned(),
                None => crate::healthcheck::url_of(listen, CA_PEM_PATH)?,
            };
            let body = crate::healthcheck::get(&url, Duration::from_secs(5))
                .await
                .map_err(|e| format!("could not fetch the root (is the emulator running?): {e}"))?;
            let pem = String::from_utf8(body.to_vec())
                .ok()
                .filter(|pem| pem.starts_with("-----BEGIN CERTIFICATE-----"))
                .ok_or_else(|| format!("{url} did not answer with a PEM certificate"))?;
            // One file per root, so that two emulators' bundles never mix.
            let digest = Sha1::digest(pem.as_bytes());
            let short: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
            let path = std::env::temp_dir().join(format!("janrain-emulator-bundle-{short}.pem"));
            (pem, path)
        }
    };
    let (bundle, _) = ca::bundle(&root_pem, &path);
    ca::write_file(&path, bundle.as_bytes())
        .map_err(|e| format!("could not write {}: {e}", path.display()))?;
    Ok(path)
}
