//! `janrain-emulator ca`: writes a bundle of the machine's trusted roots and the local CA's root,
//! and prints its path, for `REQUESTS_CA_BUNDLE`, `SSL_CERT_FILE` and their like. With
//! `--ca-dir` the root is the one kept there (made now if absent, checked if present), so the
//! bundle can be made before the emulator starts; without, it is asked of the running emulator,
//! and checked as a kept root is before it goes anywhere: whatever answers on the port, the
//! bundle never holds a root that could vouch for more than Janrain's names.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::ca::{self, LocalCa};
use crate::control::CA_PEM_PATH;

/// The prefix of the directory a fetched root's bundle is written into.
pub const BUNDLE_DIR_PREFIX: &str = "janrain-emulator-ca-";

/// Writes the bundle and returns its path.
pub async fn run(
    ca_dir: Option<&Path>,
    permits: Vec<String>,
    url: Option<&str>,
    listen: &str,
) -> Result<PathBuf, String> {
    let path = match ca_dir {
        Some(dir) => {
            let ca = LocalCa::open(Some(dir), permits).map_err(|e| e.to_string())?;
            let (path, written) = ca.write_kept_bundle().ok_or("no CA directory")?;
            written.map_err(|e| format!("could not write {}: {e}", path.display()))?;
            path
        }
        None => {
            let url = match url {
                Some(url) => url.to_owned(),
                None => crate::healthcheck::url_of(listen, CA_PEM_PATH)?,
            };
            let pem = fetch_root(&url, &permits).await?;
            let path = private_bundle_path()?;
            ca::write_bundle(&path, &pem)
                .map_err(|e| format!("could not write {}: {e}", path.display()))?;
            path
        }
    };
    Ok(path)
}

/// The running emulator's root, refused unless it is one this emulator would use.
async fn fetch_root(url: &str, permits: &[String]) -> Result<String, String> {
    let body = crate::healthcheck::get(url, Duration::from_secs(5))
        .await
        .map_err(|e| format!("could not fetch the root (is the emulator running?): {e}"))?;
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| format!("{url} did not answer with a PEM certificate"))?;
    ca::check_fetched(&text, permits).map_err(|problem| {
        format!(
            "the root {url} answered with is refused: {problem}; nothing was written (if the \
             emulator there was started with --ca-permit, give ca the same --ca-permit)"
        )
    })
}

/// A bundle's path in a new directory of its own under the temporary directory, with a name
/// nobody can guess or create first; the directory is the user's (others may read the bundle,
/// a public document, but not change it).
fn private_bundle_path() -> Result<PathBuf, String> {
    let dir = tempfile::Builder::new()
        .prefix(BUNDLE_DIR_PREFIX)
        .rand_bytes(16)
        .tempdir()
        .map_err(|e| format!("could not make a directory for the bundle: {e}"))?
        .keep();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("could not set the mode of {}: {e}", dir.display()))?;
    }
    Ok(dir.join(ca::BUNDLE_FILE))
}
