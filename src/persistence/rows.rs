//! The rows of the state file: how applications, clients and settings are written and read back.

use std::time::{Duration, SystemTime};

use rusqlite::{Connection, params};
use serde_json::Value;

use super::DEFAULTS;
use crate::fixture::FixtureApp;
use crate::model::{
    AppId, CaptureDomain, Cidr, Client, ClientId, ClientName, ClientSecret, Feature, Features,
    PreviousSecret, Settings, Whitelist,
};

/// Writes an application row; without `seq`, a new one goes after every other.
pub(super) fn write_app(
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
pub(super) fn write_whole_app(
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
pub(super) fn delete_app_content(conn: &Connection, app: &AppId) -> Result<(), rusqlite::Error> {
    conn.prepare_cached("DELETE FROM settings WHERE app_id = ?1")?
        .execute([app.as_str()])?;
    conn.prepare_cached("DELETE FROM clients WHERE app_id = ?1")?
        .execute([app.as_str()])?;
    Ok(())
}

pub(super) fn write_client(
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
pub(super) fn write_settings(
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
pub(super) fn write_setting(
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

pub(super) struct Row {
    pub(super) client_id: String,
    pub(super) secret: String,
    pub(super) previous_secret: Option<String>,
    pub(super) previous_expires_ns: Option<i64>,
    pub(super) name: String,
    pub(super) features: String,
    pub(super) whitelist: String,
}

impl Row {
    pub(super) fn into_client(self) -> Result<Client, String> {
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

pub(super) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Nanoseconds since 1970: exact, and enough until the year 2262.
pub(super) fn nanos(at: SystemTime) -> i64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

pub(super) fn from_nanos(ns: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_nanos(u64::try_from(ns).unwrap_or(0))
}
