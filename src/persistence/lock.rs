//! The lock beside a state file, so that one process at a time serves it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};

use super::StateFileError;

/// The lock file of the state file at `path`: `<name>.lock` beside the file it guards (beside
/// the file a symbolic link points to, so that two names of one file share one lock).
fn lock_path(path: &Path) -> PathBuf {
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| {
        // Not there yet: its directory, resolved, and its name.
        match (path.parent(), path.file_name()) {
            (Some(dir), Some(name)) => {
                let dir = if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                };
                std::fs::canonicalize(dir).map_or_else(|_| path.to_owned(), |dir| dir.join(name))
            }
            _ => path.to_owned(),
        }
    });
    let mut name = real.file_name().unwrap_or_default().to_owned();
    name.push(".lock");
    real.with_file_name(name)
}

/// The lock beside a state file, once taken.
pub(super) struct Lock {
    /// Open as long as the lock is held; `None` where the file system has no locks.
    pub(super) file: Option<File>,
    pub(super) path: PathBuf,
    /// Whether taking it made the lock file.
    pub(super) created: bool,
}

impl Lock {
    /// Takes the exclusive lock beside `path` for as long as the returned file is open, and
    /// writes this process's id in it. An advisory lock of the operating system (`flock` on
    /// Unix), so it ends with the process however it ends: `kill -9` leaves no stale lock.
    /// Where the file system has no such locks, the file is used unlocked, with a warning.
    pub(super) fn take(path: &Path) -> Result<Self, StateFileError> {
        let lock_path = lock_path(path);
        let fail = |reason: String| StateFileError {
            path: path.to_owned(),
            reason,
        };
        let cannot_open = |e: std::io::Error| {
            fail(format!(
                "cannot be locked: its lock file {} cannot be opened: {e}",
                lock_path.display()
            ))
        };
        // Neither truncated nor written before the lock is ours: the holder's id stays readable.
        let mut open = OpenOptions::new();
        open.read(true).write(true);
        let (mut file, created) = match open.clone().create_new(true).open(&lock_path) {
            Ok(file) => (file, true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                (open.open(&lock_path).map_err(cannot_open)?, false)
            }
            Err(e) => return Err(cannot_open(e)),
        };
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let by = match holder.trim().parse::<u32>() {
                    Ok(pid) => format!("another process (pid {pid})"),
                    Err(_) => "another process".to_owned(),
                };
                return Err(fail(format!(
                    "is in use by {by}: one emulator at a time may serve a state file (the lock is {})",
                    lock_path.display()
                )));
            }
            Err(TryLockError::Error(error)) => {
                tracing::warn!(
                    state_file = %path.display(),
                    %error,
                    "the state file cannot be locked on this file system; nothing stops a second emulator from using it"
                );
                return Ok(Self {
                    file: None,
                    path: lock_path,
                    created,
                });
            }
        }
        // Ours now: say who holds it. A failure here only loses the id from a refusal's text.
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| writeln!(file, "{}", std::process::id()));
        Ok(Self {
            file: Some(file),
            path: lock_path,
            created,
        })
    }
}
