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

mod lock;
mod rows;

use std::fs::File;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, params};
use serde_json::Value;

use self::lock::Lock;
use self::rows::{
    Row, delete_app_content, write_app, write_client, write_setting, write_settings,
    write_whole_app,
};
use crate::fixture::{Fixture, FixtureApp};
use crate::model::{AppId, CaptureDomain, Client, ClientId, Settings};
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
