//! The CA directory's files: a directory that only the running user may change, files created
//! with explicit modes whatever the umask and never opened through a symbolic link, the lock
//! that lets two processes starting at once agree on one root, and the bundle of the machine's
//! roots plus the emulator's.

use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use super::CaError;

/// The mode of the directory the emulator makes.
const DIR_MODE: u32 = 0o700;
/// The mode of the root's certificate and of a bundle: public, but changed by the owner only.
pub const PUBLIC_MODE: u32 = 0o644;
/// The mode of the root's key and of the lock.
pub const PRIVATE_MODE: u32 = 0o600;

/// Makes `dir` (mode `0700`) if it is absent, and checks that it belongs to the running user and
/// that no one else may write to it: anyone who can may replace the root.
pub(super) fn prepare_dir(dir: &Path) -> Result<(), CaError> {
    let io = |source| CaError::Io {
        path: dir.to_path_buf(),
        source,
    };
    match fs::metadata(dir) {
        Ok(metadata) if metadata.is_dir() => {}
        Ok(_) => {
            return Err(io(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                "not a directory",
            )));
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            make_dir(dir).map_err(io)?;
        }
        Err(error) => return Err(io(error)),
    }
    let metadata = fs::metadata(dir).map_err(io)?;
    check_owner(dir, "CA directory", &metadata)?;
    check_not_writable_by_others(dir, "CA directory", &metadata, "chmod 700")
}

#[cfg(unix)]
fn make_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
    fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)?;
    // The umask may have narrowed the mode; the directory is the emulator's, so say it exactly.
    fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE))
}

#[cfg(not(unix))]
fn make_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}

/// Opens (creating it `0600`) and locks `path`, never through a symbolic link. The lock is held
/// until the file is dropped.
pub(super) fn lock(path: &Path) -> Result<File, CaError> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    no_follow(&mut options);
    created_with(&mut options, PRIVATE_MODE);
    let file = options.open(path).map_err(|e| opened(path, e))?;
    file.lock().map_err(|source| CaError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(file)
}

/// A file of the directory that may be there: its text, with the checks `check` makes of its
/// metadata, or `None` when it is absent. Never read through a symbolic link.
pub(super) fn read_if_present(
    path: &Path,
    check: impl FnOnce(&Path, &fs::Metadata) -> Result<(), CaError>,
) -> Result<Option<String>, CaError> {
    let mut options = OpenOptions::new();
    options.read(true);
    no_follow(&mut options);
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(opened(path, error)),
    };
    let io = |source| CaError::Io {
        path: path.to_path_buf(),
        source,
    };
    check(path, &file.metadata().map_err(io)?)?;
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(io)?;
    Ok(Some(text))
}

/// Writes `bytes` to `path` with `mode`, whatever the umask, whole or not at all: a new file
/// beside it (never one planted there, never through a link), renamed over it.
pub fn write_file(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tag: u32 = rand::random();
    let temporary = path.with_file_name(format!(".{name}.{}.{tag:08x}.tmp", std::process::id()));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    no_follow(&mut options);
    created_with(&mut options, mode);
    let written = options.open(&temporary).and_then(|mut file| {
        set_mode(&file, mode)?;
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

/// The error of opening `path`: a symbolic link is named as such.
fn opened(path: &Path, source: std::io::Error) -> CaError {
    if is_link_refusal(&source) {
        CaError::Link {
            path: path.to_path_buf(),
        }
    } else {
        CaError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

#[cfg(unix)]
fn is_link_refusal(error: &std::io::Error) -> bool {
    error.raw_os_error() == Some(nix::errno::Errno::ELOOP as i32)
}

#[cfg(not(unix))]
fn is_link_refusal(_: &std::io::Error) -> bool {
    false
}

/// Opens the file itself, never what a symbolic link there points to.
#[cfg(unix)]
fn no_follow(options: &mut OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt as _;
    options.custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits());
}

#[cfg(not(unix))]
fn no_follow(_: &mut OpenOptions) {}

/// The mode a file is created with (narrowed by the umask, so set again once open).
#[cfg(unix)]
fn created_with(options: &mut OpenOptions, mode: u32) {
    use std::os::unix::fs::OpenOptionsExt as _;
    options.mode(mode);
}

#[cfg(not(unix))]
fn created_with(_: &mut OpenOptions, _: u32) {}

#[cfg(unix)]
fn set_mode(file: &File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &File, _: u32) -> std::io::Result<()> {
    Ok(())
}

/// Refuses `path` unless the running user owns it.
#[cfg(unix)]
pub(super) fn check_owner(
    path: &Path,
    what: &'static str,
    metadata: &fs::Metadata,
) -> Result<(), CaError> {
    use std::os::unix::fs::MetadataExt as _;
    let user = nix::unistd::geteuid().as_raw();
    if metadata.uid() != user {
        return Err(CaError::NotOwned {
            what,
            path: path.to_path_buf(),
            owner: metadata.uid(),
            user,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
pub(super) fn check_owner(_: &Path, _: &'static str, _: &fs::Metadata) -> Result<(), CaError> {
    Ok(())
}

/// Refuses `path` if its group or others may write to it; `fix` is the command that mends it.
#[cfg(unix)]
pub(super) fn check_not_writable_by_others(
    path: &Path,
    what: &'static str,
    metadata: &fs::Metadata,
    fix: &'static str,
) -> Result<(), CaError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = metadata.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(CaError::Writable {
            what,
            path: path.to_path_buf(),
            mode,
            fix,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
pub(super) fn check_not_writable_by_others(
    _: &Path,
    _: &'static str,
    _: &fs::Metadata,
    _: &'static str,
) -> Result<(), CaError> {
    Ok(())
}

/// Refuses a key that its group or others may read, as ssh refuses one.
#[cfg(unix)]
pub(super) fn check_key_private(path: &Path, metadata: &fs::Metadata) -> Result<(), CaError> {
    use std::os::unix::fs::PermissionsExt as _;
    check_owner(path, "CA key", metadata)?;
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
pub(super) fn check_key_private(_: &Path, _: &fs::Metadata) -> Result<(), CaError> {
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

/// Writes to `path` (`0644`) the machine's roots followed by `root_pem`, for
/// `REQUESTS_CA_BUNDLE` and its like, so that other HTTPS calls keep working.
pub fn write_bundle(path: &Path, root_pem: &str) -> std::io::Result<()> {
    write_file(path, bundle(root_pem, path).as_bytes(), PUBLIC_MODE)
}

/// The files that may hold the machine's trusted roots, `SSL_CERT_FILE` first.
fn system_root_files() -> impl Iterator<Item = PathBuf> {
    let from_env = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
    from_env
        .into_iter()
        .chain(SYSTEM_ROOTS.iter().map(PathBuf::from))
}

/// The machine's trusted roots, as PEM: the first of their files that holds a certificate.
pub fn system_roots() -> Option<String> {
    system_root_files()
        .filter_map(|path| fs::read_to_string(path).ok())
        .find(|text| text.contains("-----BEGIN CERTIFICATE-----"))
}

/// The machine's roots followed by `root_pem`; the roots of `skip` (the bundle being written)
/// are never taken.
fn bundle(root_pem: &str, skip: &Path) -> String {
    for path in system_root_files() {
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
        return text;
    }
    root_pem.to_owned()
}
