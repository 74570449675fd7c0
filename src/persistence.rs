//! `--state-file`: the state in an SQLite database, so that local development keeps its clients
//! across restarts and crashes.
//!
//! The database runs in WAL mode. The store writes each change (one row, or one row per setting
//! it touches) before it answers, so a change that got a success response survives `kill -9`, and
//! the cost of a change grows neither with the number of clients nor with the number of settings.
//! The file stays readable with the `sqlite3` tool:
//!
//! ```sh
//! sqlite3 state.db 'select app_id, client_id, name, features from clients'
//! sqlite3 state.db 'select app_id, client_id, key, value from settings'
//! ```
//!
//! A file of layout version 1 (settings inside the client rows, no application settings) is
//! brought to version 2 when it is opened, in one transaction.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, OpenFlags, params};
use serde_json::Value;

use crate::fixture::{Fixture, FixtureApp};
use crate::model::{
    AppId, CaptureDomain, Cidr, Client, ClientId, ClientName, ClientSecret, Feature, Features,
    PreviousSecret, Settings, Whitelist,
};
use crate::settings::SettingsChange;

/// Marks the database as ours (`PRAGMA application_id`): "JANE".
const APPLICATION_ID: i64 = 0x4a41_4e45;
/// The layout version (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = "
    CREATE TABLE apps (
        seq INTEGER PRIMARY KEY,
        app_id TEXT NOT NULL UNIQUE,
        capture_domains TEXT NOT NULL
    );
    CREATE TABLE clients (
        app_id TEXT NOT NULL REFERENCES apps (app_id) ON DELETE CASCADE,
        client_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        secret TEXT NOT NULL,
        previous_secret TEXT,
        previous_expires_ns INTEGER,
        name TEXT NOT NULL,
        features TEXT NOT NULL,
        whitelist TEXT NOT NULL,
        PRIMARY KEY (app_id, client_id)
    );
    CREATE INDEX clients_in_order ON clients (app_id, seq);
";

/// One row per setting, of a client or (client id [`DEFAULTS`]) of the application; part of the
/// layout, and what the version 1 files gain.
const SETTINGS_TABLE: &str = "
    CREATE TABLE settings (
        app_id TEXT NOT NULL REFERENCES apps (app_id) ON DELETE CASCADE,
        client_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (app_id, client_id, key)
    );
";

/// Where the application's defaults sit in the `settings` table: no client id is empty.
const DEFAULTS: &str = "";

/// Version 1 to 2: settings move out of the client rows into their own table.
/// After [`SETTINGS_TABLE`].
const MIGRATE_V1: &str = "
    INSERT INTO settings (app_id, client_id, key, value)
        SELECT clients.app_id, clients.client_id, each.key,
               CASE each.type
                   WHEN 'text' THEN json_quote(each.value)
                   WHEN 'true' THEN 'true'
                   WHEN 'false' THEN 'false'
                   WHEN 'null' THEN 'null'
                   ELSE CAST(each.value AS TEXT)
               END
        FROM clients, json_each(clients.settings) AS each
        ORDER BY clients.app_id, clients.seq, each.id;
    ALTER TABLE clients DROP COLUMN settings;
";

/// An open state file.
pub struct StateFile {
    conn: Connection,
    path: PathBuf,
    /// The lock beside the file, held as long as this is open: one emulator per state file.
    _lock: Option<File>,
}

impl std::fmt::Debug for StateFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateFile")
            .field("path", &self.path)
            .finish()
    }
}

/// A state file that cannot be used. The file is left as it was.
#[derive(Debug, thiserror::Error)]
#[error("state file {}: {reason}", path.display())]
pub struct StateFileError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub reason: String,
}

impl StateFile {
    /// Opens `path`, creating it if it does not exist, and returns the state it holds (`None`
    /// for a new or empty file). A file that is not one of ours, or whose content cannot be
    /// read back, is refused without being changed.
    ///
    /// The file is locked first (see [`lock_path`]): while another process has it open, it is
    /// refused without being read or changed.
    pub fn open(path: &Path) -> Result<(Self, Option<Fixture>), StateFileError> {
        let lock = Lock::take(path)?;
        let created = lock.created.then(|| lock.path.clone());
        let opened = Self::open_locked(path, lock.file);
        if opened.is_err()
            && let Some(made) = created
        {
            // Refused: no lock file of ours stays behind beside a file we did not take.
            let _ = std::fs::remove_file(made);
        }
        opened
    }

    fn open_locked(
        path: &Path,
        lock: Option<File>,
    ) -> Result<(Self, Option<Fixture>), StateFileError> {
        let fail = |reason: String| StateFileError {
            path: path.to_owned(),
            reason,
        };
        let exists = path.exists();
        let flags = if exists {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
        };
        let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|e| fail(format!("cannot be opened: {e}")))?;
        // Read before writing anything, so that a foreign file is left untouched.
        let probe = |sql: &str| -> Result<i64, StateFileError> {
            conn.query_row(sql, [], |row| row.get(0))
                .map_err(|e| fail(format!("is not a readable SQLite database: {e}")))
        };
        let application_id = probe("PRAGMA application_id")?;
        let version = probe("PRAGMA user_version")?;
        let tables = probe("SELECT count(*) FROM sqlite_master")?;
        let fresh = application_id == 0 && version == 0 && tables == 0;
        if !fresh {
            if application_id != APPLICATION_ID {
                return Err(fail(
                    "is an SQLite database, but not a janrain-emulator state file".into(),
                ));
            }
            if version == 1 {
                conn.execute_batch(&format!(
                    "BEGIN; {SETTINGS_TABLE} {MIGRATE_V1} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                ))
                .map_err(|e| fail(format!("cannot be brought to layout version 2: {e}")))?;
            } else if version != SCHEMA_VERSION {
                return Err(fail(format!(
                    "has layout version {version}; this emulator reads version {SCHEMA_VERSION}"
                )));
            }
        }
        let file = Self {
            conn,
            path: path.to_owned(),
            _lock: lock,
        };
        file.conn
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            )
            .map_err(|e| fail(format!("cannot be set up: {e}")))?;
        if fresh {
            file.conn
                .execute_batch(&format!(
                    "BEGIN; {SCHEMA} {SETTINGS_TABLE} PRAGMA application_id = {APPLICATION_ID}; \
                     PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                ))
                .map_err(|e| fail(format!("cannot be initialised: {e}")))?;
            return Ok((file, None));
        }
        // The store numbers each application's clients from 0 in order; deletes leave gaps in
        // the file, which would put the next new client before the last old ones.
        file.conn
            .execute_batch(
                "UPDATE clients SET seq = ranked.position FROM (
                     SELECT app_id, client_id,
                            row_number() OVER (PARTITION BY app_id ORDER BY seq) - 1 AS position
                     FROM clients
                 ) AS ranked
                 WHERE clients.app_id = ranked.app_id AND clients.client_id = ranked.client_id
                   AND clients.seq != ranked.position;",
            )
            .map_err(|e| fail(format!("cannot be set up: {e}")))?;
        let state = file.load().map_err(fail)?;
        Ok((file, (!state.apps.is_empty()).then_some(state)))
    }

    fn load(&self) -> Result<Fixture, String> {
        let mut apps = Vec::new();
        let mut statement = self
            .conn
            .prepare("SELECT app_id, capture_domains FROM apps ORDER BY seq")
            .map_err(|e| e.to_string())?;
        let rows = statement
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(|e| e.to_string())?;
        for row in rows {
            let (app_id, domains) = row.map_err(|e| e.to_string())?;
            let at = format!("application {app_id:?}");
            let app_id = AppId::parse(&app_id).map_err(|e| format!("{at}: {e}"))?;
            let stored: Vec<String> = serde_json::from_str(&domains)
                .map_err(|e| format!("{at}: capture_domains: {e}"))?;
            let capture_domains = stored
                .iter()
                .map(|domain| CaptureDomain::of_host(domain))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("{at}: capture_domains: {e}"))?;
            let clients = self
                .load_clients(&app_id)
                .map_err(|e| format!("{at}: {e}"))?;
            let settings = self
                .load_settings(&app_id, DEFAULTS)
                .map_err(|e| format!("{at}: settings: {e}"))?;
            apps.push(FixtureApp {
                app_id,
                capture_domains,
                clients,
                settings,
            });
        }
        Ok(Fixture { apps })
    }

    fn load_clients(&self, app: &AppId) -> Result<Vec<Client>, String> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT client_id, secret, previous_secret, previous_expires_ns, name, features, \
                 whitelist FROM clients WHERE app_id = ?1 ORDER BY seq",
            )
            .map_err(|e| e.to_string())?;
        let rows = statement
            .query_map([app.as_str()], |row| {
                Ok(Row {
                    client_id: row.get(0)?,
                    secret: row.get(1)?,
                    previous_secret: row.get(2)?,
                    previous_expires_ns: row.get(3)?,
                    name: row.get(4)?,
                    features: row.get(5)?,
                    whitelist: row.get(6)?,
                })
            })
            .map_err(|e| e.to_string())?;
        let mut clients = Vec::new();
        for row in rows {
            let row = row.map_err(|e| e.to_string())?;
            let at = format!("client {:?}", row.client_id);
            let mut client = row.into_client().map_err(|e| format!("{at}: {e}"))?;
            client.settings = self
                .load_settings(app, client.id.as_str())
                .map_err(|e| format!("{at}: settings: {e}"))?;
            clients.push(client);
        }
        Ok(clients)
    }

    /// The settings of one client (or, for [`DEFAULTS`], of the application), in the order they
    /// were first set.
    fn load_settings(&self, app: &AppId, client: &str) -> Result<Settings, String> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT key, value FROM settings WHERE app_id = ?1 AND client_id = ?2 \
                 ORDER BY rowid",
            )
            .map_err(|e| e.to_string())?;
        let rows = statement
            .query_map([app.as_str(), client], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(|e| e.to_string())?;
        let mut settings = Settings::new();
        for row in rows {
            let (key, value) = row.map_err(|e| e.to_string())?;
            let value: Value = serde_json::from_str(&value).map_err(|e| format!("{key:?}: {e}"))?;
            settings.insert(key, value);
        }
        Ok(crate::settings::compact(settings))
    }

    /// Writes an application row: a new one goes last in the order, an existing one keeps its
    /// place.
    pub fn put_app(
        &self,
        app: &AppId,
        capture_domains: &[CaptureDomain],
    ) -> Result<(), rusqlite::Error> {
        write_app(&self.conn, None, app, capture_domains)
    }

    /// Writes a new application with its clients and settings, in one transaction.
    pub fn put_whole_app(&self, app: &FixtureApp) -> Result<(), rusqlite::Error> {
        let tx = self.conn.unchecked_transaction()?;
        write_whole_app(&tx, None, app)?;
        tx.commit()
    }

    /// Replaces an application's clients and settings with `app`'s, keeping its place.
    pub fn replace_app(&self, app: &FixtureApp) -> Result<(), rusqlite::Error> {
        let tx = self.conn.unchecked_transaction()?;
        delete_app_content(&tx, &app.app_id)?;
        write_whole_app(&tx, None, app)?;
        tx.commit()
    }

    /// Removes an application, its clients and their settings.
    pub fn delete_app(&self, app: &AppId) -> Result<(), rusqlite::Error> {
        let tx = self.conn.unchecked_transaction()?;
        delete_app_content(&tx, app)?;
        tx.prepare_cached("DELETE FROM apps WHERE app_id = ?1")?
            .execute([app.as_str()])?;
        tx.commit()
    }

    /// Writes (inserts or replaces) a client row.
    pub fn put_client(
        &self,
        app: &AppId,
        seq: u64,
        client: &Client,
    ) -> Result<(), rusqlite::Error> {
        write_client(&self.conn, app, seq, client)
    }

    /// Writes a client that is new to the file, with its settings.
    pub fn put_new_client(
        &self,
        app: &AppId,
        seq: u64,
        client: &Client,
    ) -> Result<(), rusqlite::Error> {
        let tx = self.conn.unchecked_transaction()?;
        write_client(&tx, app, seq, client)?;
        write_settings(&tx, app, client.id.as_str(), &client.settings)?;
        tx.commit()
    }

    /// Removes a client row and its settings.
    pub fn delete_client(&self, app: &AppId, id: &ClientId) -> Result<(), rusqlite::Error> {
        let tx = self.conn.unchecked_transaction()?;
        tx.prepare_cached("DELETE FROM clients WHERE app_id = ?1 AND client_id = ?2")?
            .execute(params![app.as_str(), id.as_str()])?;
        tx.prepare_cached("DELETE FROM settings WHERE app_id = ?1 AND client_id = ?2")?
            .execute(params![app.as_str(), id.as_str()])?;
        tx.commit()
    }

    /// Writes `change` to the settings of client `client` (the application's defaults for
    /// `None`), whose settings are `after` once it is applied: one row per key the change names,
    /// all in one transaction.
    pub fn change_settings(
        &self,
        app: &AppId,
        client: Option<&ClientId>,
        change: &SettingsChange,
        after: &Settings,
    ) -> Result<(), rusqlite::Error> {
        let owner = client.map_or(DEFAULTS, ClientId::as_str);
        let tx = self.conn.unchecked_transaction()?;
        match change {
            SettingsChange::Set(pairs) => {
                for (key, _) in pairs {
                    if let Some(value) = after.get(key) {
                        write_setting(&tx, app, owner, key, value)?;
                    }
                }
            }
            SettingsChange::Delete(keys) => {
                let mut delete = tx.prepare_cached(
                    "DELETE FROM settings WHERE app_id = ?1 AND client_id = ?2 AND key = ?3",
                )?;
                for key in keys {
                    delete.execute(params![app.as_str(), owner, key])?;
                }
            }
            SettingsChange::Replace(_) => {
                tx.prepare_cached("DELETE FROM settings WHERE app_id = ?1 AND client_id = ?2")?
                    .execute(params![app.as_str(), owner])?;
                write_settings(&tx, app, owner, after)?;
            }
        }
        tx.commit()
    }

    /// Replaces everything with `state`, in one transaction.
    pub fn replace_all(&mut self, state: &Fixture) -> Result<(), rusqlite::Error> {
        let tx = self.conn.transaction()?;
        tx.execute_batch("DELETE FROM settings; DELETE FROM clients; DELETE FROM apps;")?;
        for (app_seq, app) in (0_u64..).zip(&state.apps) {
            write_whole_app(&tx, Some(app_seq), app)?;
        }
        tx.commit()
    }
}

/// Writes an application row; without `seq`, a new one goes after every other.
/// The lock file of the state file at `path`: `<name>.lock` beside the file it guards (beside
/// the file a symbolic link points to, so that two names of one file share one lock).
pub fn lock_path(path: &Path) -> PathBuf {
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
struct Lock {
    /// Open as long as the lock is held; `None` where the file system has no locks.
    file: Option<File>,
    path: PathBuf,
    /// Whether taking it made the lock file.
    created: bool,
}

impl Lock {
    /// Takes the exclusive lock beside `path` for as long as the returned file is open, and
    /// writes this process's id in it. An advisory lock of the operating system (`flock` on
    /// Unix), so it ends with the process however it ends: `kill -9` leaves no stale lock.
    /// Where the file system has no such locks, the file is used unlocked, with a warning.
    fn take(path: &Path) -> Result<Self, StateFileError> {
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

fn write_app(
    conn: &Connection,
    seq: Option<u64>,
    app: &AppId,
    capture_domains: &[CaptureDomain],
) -> Result<(), rusqlite::Error> {
    let domains = Value::from(
        capture_domains
            .iter()
            .map(CaptureDomain::as_str)
            .collect::<Vec<_>>(),
    )
    .to_string();
    conn.prepare_cached(
        "INSERT INTO apps (seq, app_id, capture_domains) \
         VALUES (coalesce(?1, (SELECT coalesce(max(seq), -1) + 1 FROM apps)), ?2, ?3) \
         ON CONFLICT (app_id) DO UPDATE SET capture_domains = excluded.capture_domains",
    )?
    .execute(params![seq.map(to_i64), app.as_str(), domains])?;
    Ok(())
}

/// Writes an application, its settings, its clients and theirs (none of the rows may exist).
fn write_whole_app(
    conn: &Connection,
    seq: Option<u64>,
    app: &FixtureApp,
) -> Result<(), rusqlite::Error> {
    write_app(conn, seq, &app.app_id, &app.capture_domains)?;
    write_settings(conn, &app.app_id, DEFAULTS, &app.settings)?;
    for (client_seq, client) in (0_u64..).zip(&app.clients) {
        write_client(conn, &app.app_id, client_seq, client)?;
        write_settings(conn, &app.app_id, client.id.as_str(), &client.settings)?;
    }
    Ok(())
}

/// Removes an application's clients and settings, keeping its own row.
fn delete_app_content(conn: &Connection, app: &AppId) -> Result<(), rusqlite::Error> {
    conn.prepare_cached("DELETE FROM settings WHERE app_id = ?1")?
        .execute([app.as_str()])?;
    conn.prepare_cached("DELETE FROM clients WHERE app_id = ?1")?
        .execute([app.as_str()])?;
    Ok(())
}

fn write_client(
    conn: &Connection,
    app: &AppId,
    seq: u64,
    client: &Client,
) -> Result<(), rusqlite::Error> {
    let features: Vec<&str> = client.features.iter().map(Feature::as_str).collect();
    let whitelist: Vec<&str> = client.whitelist.iter().map(Cidr::as_str).collect();
    let (previous, expires) = match &client.previous_secret {
        Some(p) => (Some(p.secret.expose()), Some(nanos(p.expires_at))),
        None => (None, None),
    };
    conn.prepare_cached(
        "INSERT OR REPLACE INTO clients (app_id, client_id, seq, secret, previous_secret, \
         previous_expires_ns, name, features, whitelist) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        app.as_str(),
        client.id.as_str(),
        to_i64(seq),
        client.secret.expose(),
        previous,
        expires,
        client.name.as_str(),
        Value::from(features).to_string(),
        Value::from(whitelist).to_string(),
    ])?;
    Ok(())
}

/// Writes every setting of one level, in order (the rows must not exist yet).
fn write_settings(
    conn: &Connection,
    app: &AppId,
    owner: &str,
    settings: &Settings,
) -> Result<(), rusqlite::Error> {
    settings
        .iter()
        .try_for_each(|(key, value)| write_setting(conn, app, owner, key, value))
}

/// Inserts or updates one setting. An update keeps the row, and so the key's place in the order.
fn write_setting(
    conn: &Connection,
    app: &AppId,
    owner: &str,
    key: &str,
    value: &Value,
) -> Result<(), rusqlite::Error> {
    conn.prepare_cached(
        "INSERT INTO settings (app_id, client_id, key, value) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (app_id, client_id, key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![app.as_str(), owner, key, value.to_string()])?;
    Ok(())
}

struct Row {
    client_id: String,
    secret: String,
    previous_secret: Option<String>,
    previous_expires_ns: Option<i64>,
    name: String,
    features: String,
    whitelist: String,
}

impl Row {
    fn into_client(self) -> Result<Client, String> {
        let id = ClientId::parse(&self.client_id).map_err(|e| e.to_string())?;
        let secret = ClientSecret::new(self.secret).ok_or("empty secret")?;
        let name = ClientName::stored(&self.name).ok_or("empty name")?;
        let features: Vec<String> =
            serde_json::from_str(&self.features).map_err(|e| format!("features: {e}"))?;
        let features = features
            .iter()
            .map(|f| f.parse::<Feature>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("features: {e}"))?;
        let whitelist: Vec<Value> =
            serde_json::from_str(&self.whitelist).map_err(|e| format!("whitelist: {e}"))?;
        let whitelist = Whitelist::from_json(&whitelist).map_err(|e| format!("whitelist: {e}"))?;
        let previous_secret = match (self.previous_secret, self.previous_expires_ns) {
            (Some(secret), Some(ns)) => Some(Box::new(PreviousSecret {
                secret: ClientSecret::new(secret).ok_or("empty previous secret")?,
                expires_at: from_nanos(ns),
            })),
            _ => None,
        };
        Ok(Client {
            id,
            secret,
            previous_secret,
            name,
            features: Features::stored(features),
            whitelist,
            settings: Settings::new(),
        })
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Nanoseconds since 1970: exact, and enough until the year 2262.
fn nanos(at: SystemTime) -> i64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

fn from_nanos(ns: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_nanos(u64::try_from(ns).unwrap_or(0))
}
