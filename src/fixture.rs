//! The fixture format: the whole state as one JSON document, for `--import` and
//! `GET /__emulator/snapshot`.
//!
//! ```json
//! {"apps": [{"app_id": "htb8fuhxnf8e38jrzub3c7pfrr",
//!            "capture_domains": ["my-app.janraincapture.com"],
//!            "clients": [{"_id": "...", "_secret": "...", "name": "...",
//!                         "features": ["owner"], "ipWhitelist": ["0.0.0.0/0"]}]}]}
//! ```
//!
//! Each client is written as `GET /config/{appId}/clients` returns it, so a real listing can be
//! pasted in; `_self` and `_settings` are accepted and ignored. Two optional fields carry what a
//! listing does not show: `settings` (an object) and `_previousSecret` (`{"secret": ...,
//! "expiresAt": "<RFC 3339>"}`, a replaced secret still in its grace period).

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashSet};
use std::time::SystemTime;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use serde_json::value::RawValue;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::model::{
    AppId, Client, ClientId, ClientName, ClientSecret, Feature, Features, PreviousSecret, Settings,
    Whitelist,
};
use crate::settings;

/// Applications and their clients.
#[derive(Debug, Clone, Default)]
pub struct Fixture {
    /// The applications, in order.
    pub apps: Vec<FixtureApp>,
}

/// One application of a fixture.
#[derive(Debug, Clone)]
pub struct FixtureApp {
    /// Its id.
    pub app_id: AppId,
    /// The host names whose legacy calls it serves (lower case, no port).
    pub capture_domains: Vec<String>,
    /// Its clients, in order.
    pub clients: Vec<Client>,
    /// The application's default ("global") settings.
    pub settings: Settings,
}

/// Where a fixture is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {reason}")]
pub struct FixtureError {
    /// The place: `apps[0] (app_id "x"), clients[1], field "_id"`.
    pub at: String,
    /// What is wrong there.
    pub reason: String,
}

/// The host part of a `Host` header or a configured domain: lower case, without port or a
/// trailing dot.
pub fn normalize_host(host: &str) -> String {
    let host = host.trim();
    let without_port = if let Some(rest) = host.strip_prefix('[') {
        // [v6]:port
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(host, |(name, _)| name)
    };
    without_port.trim_end_matches('.').to_ascii_lowercase()
}

impl Fixture {
    /// Reads and checks a fixture document.
    ///
    /// A document of 100,000 clients is about 40 MB: it is read one client at a time (each
    /// client's JSON is parsed and checked, then dropped), never as one tree of JSON values.
    pub fn parse(text: &str) -> Result<Self, FixtureError> {
        let syntax = serde_json::from_str::<&RawValue>(text).map_err(|e| FixtureError {
            at: format!("line {} column {}", e.line(), e.column()),
            reason: "not valid JSON".into(),
        })?;
        let top = Place::root();
        let document = raw_object(syntax).ok_or_else(|| top.wrong("must be a JSON object"))?;
        top.no_other_keys(document.keys(), &["apps"])?;
        let apps: Vec<&RawValue> = match document.get("apps") {
            None => return Err(top.field("apps").wrong("required")),
            Some(apps) => serde_json::from_str(apps.get())
                .map_err(|_| top.field("apps").wrong("must be a JSON array"))?,
        };
        let mut seen_apps = HashSet::new();
        let mut seen_domains = HashSet::new();
        let mut seen_clients = HashSet::new();
        let mut out = Vec::with_capacity(apps.len());
        for (index, app) in apps.into_iter().enumerate() {
            let app = parse_app(index, app)?;
            let at = Place::app(index, &app.app_id);
            if !seen_apps.insert(app.app_id.clone()) {
                return Err(at.field("app_id").wrong("another application has this id"));
            }
            for domain in &app.capture_domains {
                if !seen_domains.insert(domain.clone()) {
                    return Err(at
                        .field("capture_domains")
                        .wrong(format!("{domain} belongs to another application too")));
                }
            }
            // Client ids are unique across the emulator, as in the real service.
            for (position, client) in app.clients.iter().enumerate() {
                if !seen_clients.insert(client.id.clone()) {
                    return Err(Place(format!("{}, clients[{position}]", at.0))
                        .field("_id")
                        .wrong("a client of another application has this id"));
                }
            }
            out.push(app);
        }
        Ok(Self { apps: out })
    }

    /// The document, as [`Fixture::parse`] reads it. Previous secrets whose grace period is over
    /// at `now` are left out.
    pub fn to_json(&self, now: SystemTime) -> Value {
        let views: Vec<AppView<'_, Client>> = self.apps.iter().map(AppView::of).collect();
        // The writer below is the one format; a document it wrote always reads back.
        serde_json::from_slice(&write_document(&views, now)).unwrap_or(Value::Null)
    }
}

/// One application as the writer takes it: borrowed, so that a snapshot needs no copy of the
/// store's clients (`C` is `Client`, or the store's shared `Arc<Client>`).
#[derive(Debug)]
pub struct AppView<'a, C> {
    /// Its id.
    pub app_id: &'a AppId,
    /// Its capture domains.
    pub capture_domains: &'a [String],
    /// Its clients, in order.
    pub clients: &'a [C],
    /// Its default settings.
    pub settings: &'a Settings,
}

impl<'a> AppView<'a, Client> {
    fn of(app: &'a FixtureApp) -> Self {
        Self {
            app_id: &app.app_id,
            capture_domains: &app.capture_domains,
            clients: &app.clients,
            settings: &app.settings,
        }
    }
}

/// The document of `apps` in the fixture format, written straight to bytes (no JSON tree is
/// built: a snapshot of 100,000 clients is about 40 MB). Previous secrets whose grace period is
/// over at `now` are left out; application settings are written only when there are any, so
/// that older documents stay as they were.
pub fn write_document<C: Borrow<Client>>(apps: &[AppView<'_, C>], now: SystemTime) -> Vec<u8> {
    let mut out = Vec::with_capacity(apps.iter().map(|a| a.clients.len() * 400 + 128).sum());
    let mut writer = serde_json::Serializer::new(&mut out);
    // Strings, lists and maps of strings only: writing them cannot fail.
    let _ = Document { apps, now }.serialize(&mut writer);
    out
}

struct Document<'a, 'b, C> {
    apps: &'a [AppView<'b, C>],
    now: SystemTime,
}

impl<C: Borrow<Client>> Serialize for Document<'_, '_, C> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        let apps: Vec<AppOut<'_, '_, C>> = self
            .apps
            .iter()
            .map(|app| AppOut { app, now: self.now })
            .collect();
        map.serialize_entry("apps", &apps)?;
        map.end()
    }
}

struct AppOut<'a, 'b, C> {
    app: &'a AppView<'b, C>,
    now: SystemTime,
}

impl<C: Borrow<Client>> Serialize for AppOut<'_, '_, C> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let app = self.app;
        let with_settings = !app.settings.is_empty();
        let mut map = serializer.serialize_map(Some(3 + usize::from(with_settings)))?;
        map.serialize_entry("app_id", app.app_id.as_str())?;
        map.serialize_entry("capture_domains", app.capture_domains)?;
        map.serialize_entry(
            "clients",
            &ClientsOut {
                app: app.app_id,
                clients: app.clients,
                now: self.now,
            },
        )?;
        if with_settings {
            map.serialize_entry("settings", app.settings)?;
        }
        map.end()
    }
}

struct ClientsOut<'a, C> {
    app: &'a AppId,
    clients: &'a [C],
    now: SystemTime,
}

impl<C: Borrow<Client>> Serialize for ClientsOut<'_, C> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.clients.len()))?;
        for client in self.clients {
            seq.serialize_element(&ClientOut {
                app: self.app,
                client: client.borrow(),
                now: self.now,
            })?;
        }
        seq.end()
    }
}

/// One client as the format writes it. The first fields are those of a Configuration API listing
/// (which a user may paste in), in its order; they are written here, not by serialising the
/// family's response type, so that the file format cannot change when the wire shape does.
struct ClientOut<'a> {
    app: &'a AppId,
    client: &'a Client,
    now: SystemTime,
}

impl Serialize for ClientOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let client = self.client;
        let self_path = format!("/config/{}/clients/{}", self.app, client.id);
        let previous = client
            .previous_secret
            .as_ref()
            .filter(|p| p.expires_at > self.now);
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("_id", client.id.as_str())?;
        map.serialize_entry("_secret", client.secret.expose())?;
        map.serialize_entry("_self", &self_path)?;
        map.serialize_entry("_settings", &format!("{self_path}/settings"))?;
        let features: Vec<&str> = client.features.iter().map(Feature::as_str).collect();
        map.serialize_entry("features", &features)?;
        let blocks: Vec<&str> = client.whitelist.iter().map(|b| b.as_str()).collect();
        map.serialize_entry("ipWhitelist", &blocks)?;
        map.serialize_entry("name", client.name.as_str())?;
        if !client.settings.is_empty() {
            map.serialize_entry("settings", &client.settings)?;
        }
        if let Some(previous) = previous {
            map.serialize_entry(
                "_previousSecret",
                &PreviousOut {
                    secret: previous.secret.expose(),
                    expires_at: crate::clock::rfc3339(previous.expires_at),
                },
            )?;
        }
        map.end()
    }
}

#[derive(serde::Serialize)]
struct PreviousOut<'a> {
    secret: &'a str,
    #[serde(rename = "expiresAt")]
    expires_at: String,
}

const APP_FIELDS: [&str; 4] = ["app_id", "capture_domains", "clients", "settings"];
const CLIENT_FIELDS: [&str; 9] = [
    "_id",
    "_secret",
    "_self",
    "_settings",
    "name",
    "features",
    "ipWhitelist",
    "settings",
    "_previousSecret",
];

fn parse_app(index: usize, raw: &RawValue) -> Result<FixtureApp, FixtureError> {
    let unnamed = Place(format!("apps[{index}]"));
    let mut fields = raw_object(raw).ok_or_else(|| unnamed.wrong("must be a JSON object"))?;
    // Every field but the clients is small: read as JSON values; the clients one at a time.
    let clients = fields.remove("clients");
    let mut object = Map::new();
    for (name, raw) in fields {
        object.insert(name, serde_json::from_str(raw.get()).unwrap_or(Value::Null));
    }
    parse_app_at(
        unnamed,
        &Value::Object(object),
        |id| Place::app(index, id),
        Clients::Raw(clients),
    )
}

/// The fields of a JSON object, their values unparsed; `None` if it is not an object.
fn raw_object(raw: &RawValue) -> Option<BTreeMap<String, &RawValue>> {
    serde_json::from_str(raw.get()).ok()
}

/// Where an application's clients are: in its JSON value, or unparsed beside it.
enum Clients<'a> {
    InValue,
    Raw(Option<&'a RawValue>),
}

impl FixtureApp {
    /// Reads one application as the format writes it (`POST /__emulator/apps` takes one): the
    /// same fields and rules as an entry of `apps`, each place named from `the application`.
    pub fn parse(value: &Value) -> Result<Self, FixtureError> {
        parse_app_at(
            Place("the application".into()),
            value,
            |id| Place(format!("the application {:?}", id.as_str())),
            Clients::InValue,
        )
    }
}

fn parse_app_at(
    unnamed: Place,
    value: &Value,
    named: impl Fn(&AppId) -> Place,
    clients_in: Clients<'_>,
) -> Result<FixtureApp, FixtureError> {
    let object = unnamed.object(value)?;
    let app_id = match object.get("app_id") {
        None => return Err(unnamed.field("app_id").wrong("required")),
        Some(raw) => {
            let at = unnamed.field("app_id");
            AppId::parse(at.string(raw)?).map_err(|e| at.wrong(e))?
        }
    };
    let at = named(&app_id);
    at.no_other_fields(object, &APP_FIELDS)?;
    let mut capture_domains = Vec::new();
    if let Some(domains) = object.get("capture_domains") {
        let place = at.field("capture_domains");
        for domain in place.array(domains)? {
            let domain = normalize_host(place.string(domain)?);
            let valid = !domain.is_empty()
                && domain
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            if !valid {
                return Err(place.wrong(format!("{domain:?} is not a host name")));
            }
            if !capture_domains.contains(&domain) {
                capture_domains.push(domain);
            }
        }
    }
    let mut clients = Vec::new();
    let mut ids = HashSet::new();
    let place = at.field("clients");
    let items: Vec<ClientItem<'_>> = match clients_in {
        Clients::InValue => match object.get("clients") {
            None => Vec::new(),
            Some(list) => place.array(list)?.iter().map(ClientItem::Value).collect(),
        },
        Clients::Raw(None) => Vec::new(),
        Clients::Raw(Some(raw)) => serde_json::from_str::<Vec<&RawValue>>(raw.get())
            .map_err(|_| place.wrong("must be a JSON array"))?
            .into_iter()
            .map(ClientItem::Raw)
            .collect(),
    };
    for (position, item) in items.into_iter().enumerate() {
        let client_at = Place(format!("{}, clients[{position}]", at.0));
        let client = match item {
            ClientItem::Value(value) => parse_client(&client_at, value)?,
            ClientItem::Raw(raw) => {
                let value: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
                parse_client(&client_at, &value)?
            }
        };
        if !ids.insert(client.id.clone()) {
            return Err(client_at
                .field("_id")
                .wrong("another client of this application has this id"));
        }
        clients.push(client);
    }
    Ok(FixtureApp {
        app_id,
        capture_domains,
        clients,
        settings: parse_settings(&at, object)?,
    })
}

enum ClientItem<'a> {
    Value(&'a Value),
    Raw(&'a RawValue),
}

fn parse_client(at: &Place, value: &Value) -> Result<Client, FixtureError> {
    let object = at.object(value)?;
    at.no_other_fields(object, &CLIENT_FIELDS)?;
    let required = |name: &str| {
        object
            .get(name)
            .ok_or_else(|| at.field(name).wrong("required"))
    };
    let id_at = at.field("_id");
    let id = ClientId::parse(id_at.string(required("_id")?)?).map_err(|e| id_at.wrong(e))?;
    let secret_at = at.field("_secret");
    let secret = ClientSecret::new(secret_at.string(required("_secret")?)?)
        .ok_or_else(|| secret_at.wrong("must not be empty"))?;
    let name_at = at.field("name");
    let name = ClientName::stored(name_at.string(required("name")?)?)
        .ok_or_else(|| name_at.wrong("must not be empty"))?;
    let features = match object.get("features") {
        None => Features::default(),
        Some(list) => {
            let place = at.field("features");
            let names = place.array(list)?;
            let parsed = names
                .iter()
                .map(|name| {
                    place
                        .string(name)?
                        .parse::<Feature>()
                        .map_err(|e| place.wrong(e))
                })
                .collect::<Result<Vec<_>, _>>()?;
            // Stored state is taken as it is: a real tenant may hold `metadata` clients.
            Features::stored(parsed)
        }
    };
    let whitelist = match object.get("ipWhitelist") {
        None => Whitelist::allow_all(),
        Some(list) => {
            let place = at.field("ipWhitelist");
            Whitelist::from_json(place.array(list)?).map_err(|e| place.wrong(e))?
        }
    };
    let settings = parse_settings(at, object)?;
    let previous_secret = match object.get("_previousSecret") {
        None | Some(Value::Null) => None,
        Some(previous) => Some(parse_previous(&at.field("_previousSecret"), previous)?),
    };
    Ok(Client {
        id,
        secret,
        previous_secret,
        name,
        features,
        whitelist,
        settings,
    })
}

/// The optional `settings` object of an application or a client, held to the rules of the API.
fn parse_settings(at: &Place, object: &Map<String, Value>) -> Result<Settings, FixtureError> {
    match object.get("settings") {
        None => Ok(Settings::new()),
        Some(value) => {
            let place = at.field("settings");
            let found = place.object(value)?.clone();
            settings::check_all(&found).map_err(|e| place.wrong(e))?;
            Ok(settings::compact(found))
        }
    }
}

fn parse_previous(at: &Place, value: &Value) -> Result<PreviousSecret, FixtureError> {
    let object = at.object(value)?;
    at.no_other_fields(object, &["secret", "expiresAt"])?;
    let field = |name: &str| {
        object
            .get(name)
            .ok_or_else(|| at.wrong(format!("{name} is required")))
    };
    let secret = ClientSecret::new(at.string(field("secret")?)?)
        .ok_or_else(|| at.wrong("secret must not be empty"))?;
    let expires_at = OffsetDateTime::parse(at.string(field("expiresAt")?)?, &Rfc3339)
        .map_err(|_| at.wrong("expiresAt must be an RFC 3339 date-time"))?;
    Ok(PreviousSecret {
        secret,
        expires_at: expires_at.into(),
    })
}

/// A position in the document, for error messages.
struct Place(String);

impl Place {
    fn root() -> Self {
        Self("the document".into())
    }

    fn app(index: usize, app_id: &AppId) -> Self {
        Self(format!("apps[{index}] (app_id {:?})", app_id.as_str()))
    }

    fn field(&self, name: &str) -> Place {
        Place(format!("{}, field {name:?}", self.0))
    }

    fn wrong(&self, reason: impl ToString) -> FixtureError {
        FixtureError {
            at: self.0.clone(),
            reason: reason.to_string(),
        }
    }

    fn object<'a>(&self, value: &'a Value) -> Result<&'a Map<String, Value>, FixtureError> {
        value
            .as_object()
            .ok_or_else(|| self.wrong("must be a JSON object"))
    }

    fn array<'a>(&self, value: &'a Value) -> Result<&'a [Value], FixtureError> {
        value
            .as_array()
            .map(Vec::as_slice)
            .ok_or_else(|| self.wrong("must be a JSON array"))
    }

    fn string<'a>(&self, value: &'a Value) -> Result<&'a str, FixtureError> {
        value.as_str().ok_or_else(|| self.wrong("must be a string"))
    }

    fn no_other_fields(
        &self,
        object: &Map<String, Value>,
        allowed: &[&str],
    ) -> Result<(), FixtureError> {
        self.no_other_keys(object.keys(), allowed)
    }

    fn no_other_keys<'k>(
        &self,
        mut keys: impl Iterator<Item = &'k String>,
        allowed: &[&str],
    ) -> Result<(), FixtureError> {
        match keys.find(|key| !allowed.contains(&key.as_str())) {
            Some(key) => Err(self.wrong(format!(
                "unknown field {key:?} (expected one of {})",
                allowed.join(", ")
            ))),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LISTING: &str = r#"{"apps": [{
        "app_id": "73jzx34tnr5ruhsze494ssgz2b",
        "capture_domains": ["My-App.janraincapture.com:443"],
        "clients": [{
            "_id": "ay6e3qmucvdyr29hmpvxjdjupe8bcsky",
            "_secret": "9956y4tv342e76nj9zub511ufbned98j",
            "_self": "/config/73jzx34tnr5ruhsze494ssgz2b/clients/ay6e3qmucvdyr29hmpvxjdjupe8bcsky",
            "_settings": "/config/73jzx34tnr5ruhsze494ssgz2b/clients/ay6e3qmucvdyr29hmpvxjdjupe8bcsky/settings",
            "features": ["owner"],
            "ipWhitelist": ["0.0.0.0/0"],
            "name": "this is a test client"
        }]
    }]}"#;

    #[test]
    fn a_pasted_listing_loads() {
        let fixture = Fixture::parse(LISTING).expect("valid");
        let app = &fixture.apps[0];
        assert_eq!(app.capture_domains, ["my-app.janraincapture.com"]);
        assert_eq!(app.clients[0].name.as_str(), "this is a test client");
        assert!(app.clients[0].features.contains(Feature::Owner));
    }

    #[test]
    fn it_round_trips() {
        let mut fixture = Fixture::parse(LISTING).expect("valid");
        let now = SystemTime::now();
        fixture.apps[0].clients[0].previous_secret = Some(PreviousSecret {
            secret: ClientSecret::new("old").expect("secret"),
            expires_at: SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(4_000_000_000),
        });
        fixture.apps[0].clients[0]
            .settings
            .insert("site_name".into(), json!("Demo"));
        let first = fixture.to_json(now);
        let again = Fixture::parse(&first.to_string()).expect("round trip");
        assert_eq!(again.to_json(now), first);
        assert_eq!(
            first["apps"][0]["clients"][0]["_previousSecret"],
            json!({"secret": "old", "expiresAt": "2096-10-02T07:06:40Z"})
        );
    }

    #[test]
    fn settings_are_held_to_the_rules_of_the_api() {
        let with = |settings: &str| {
            LISTING.replacen(
                r#""name": "this is a test client""#,
                &format!(r#""name": "this is a test client", "settings": {settings}"#),
                1,
            )
        };
        let error = Fixture::parse(&with(r#"{"a": {"nested": 1}}"#)).unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"apps[0] (app_id "73jzx34tnr5ruhsze494ssgz2b"), clients[0], field "settings": the value of a is not a string, number or boolean"#
        );
        assert!(Fixture::parse(&with(r#"{"_self": "x"}"#)).is_err());
        let app_level = LISTING.replacen(
            r#""capture_domains""#,
            r#""settings": {"login_attempts": "5"}, "capture_domains""#,
            1,
        );
        let fixture = Fixture::parse(&app_level).expect("valid");
        assert_eq!(
            fixture.apps[0].settings.get("login_attempts"),
            Some(&json!("5"))
        );
        // A document without application settings (as older snapshots are) has none.
        assert!(
            Fixture::parse(LISTING).expect("valid").apps[0]
                .settings
                .is_empty()
        );
    }

    /// The snapshot format byte for byte: fields, their order, and every optional part. Older
    /// snapshots must keep loading and newer ones must not change shape unnoticed.
    #[test]
    fn the_format_is_pinned() {
        let mut fixture = Fixture::parse(LISTING).expect("valid");
        let client = &mut fixture.apps[0].clients[0];
        client.previous_secret = Some(PreviousSecret {
            secret: ClientSecret::new("old").expect("secret"),
            expires_at: SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(4_000_000_000),
        });
        client.settings.insert("site_name".into(), json!("Demo"));
        client.whitelist =
            Whitelist::from_json(&[json!("10.1.2.3/8"), json!("0.0.0.0/0")]).expect("blocks");
        fixture.apps[0]
            .settings
            .insert("login_attempts".into(), json!("5"));
        let text = fixture.to_json(SystemTime::UNIX_EPOCH).to_string();
        assert_eq!(
            text,
            concat!(
                r#"{"apps":[{"app_id":"73jzx34tnr5ruhsze494ssgz2b","#,
                r#""capture_domains":["my-app.janraincapture.com"],"clients":[{"#,
                r#""_id":"ay6e3qmucvdyr29hmpvxjdjupe8bcsky","_secret":"9956y4tv342e76nj9zub511ufbned98j","#,
                r#""_self":"/config/73jzx34tnr5ruhsze494ssgz2b/clients/ay6e3qmucvdyr29hmpvxjdjupe8bcsky","#,
                r#""_settings":"/config/73jzx34tnr5ruhsze494ssgz2b/clients/ay6e3qmucvdyr29hmpvxjdjupe8bcsky/settings","#,
                r#""features":["owner"],"ipWhitelist":["10.1.2.3/8","0.0.0.0/0"],"#,
                r#""name":"this is a test client","settings":{"site_name":"Demo"},"#,
                r#""_previousSecret":{"secret":"old","expiresAt":"2096-10-02T07:06:40Z"}}],"#,
                r#""settings":{"login_attempts":"5"}}]}"#
            )
        );
    }

    #[test]
    fn errors_name_the_application_and_the_field() {
        let cases = [
            ("[]", "the document: must be a JSON object"),
            ("{}", "the document, field \"apps\": required"),
            ("{\"apps\": [{}]}", "apps[0], field \"app_id\": required"),
            (
                r#"{"apps": [{"app_id": "a", "clients": [{"_id": "x", "_secret": "s"}]}]}"#,
                "apps[0] (app_id \"a\"), clients[0], field \"name\": required",
            ),
            (
                r#"{"apps": [{"app_id": "a", "clients": [{"_id": "x", "_secret": "s", "name": "n", "ipWhitelist": ["1.2.3.4/33"]}]}]}"#,
                "apps[0] (app_id \"a\"), clients[0], field \"ipWhitelist\": invalid cidr address: 1.2.3.4/33; value after slash must be 32 or less",
            ),
            (
                r#"{"apps": [{"app_id": "a", "clients": [{"_id": "x", "_secret": "s", "name": "n", "features": ["root"]}]}]}"#,
                "apps[0] (app_id \"a\"), clients[0], field \"features\": root is not a valid feature name",
            ),
            (
                r#"{"apps": [{"app_id": "a", "clients": [{"_id": "x", "_secret": "s", "name": "n", "ipwhitelist": []}]}]}"#,
                "apps[0] (app_id \"a\"), clients[0]: unknown field \"ipwhitelist\"",
            ),
            (
                r#"{"apps": [{"app_id": "a"}, {"app_id": "a"}]}"#,
                "apps[1] (app_id \"a\"), field \"app_id\": another application has this id",
            ),
            (
                r#"{"apps": [{"app_id": "a", "capture_domains": ["x.com"]}, {"app_id": "b", "capture_domains": ["X.com"]}]}"#,
                "apps[1] (app_id \"b\"), field \"capture_domains\": x.com belongs to another application too",
            ),
            ("{\"apps\": [", "line 1 column 10: not valid JSON"),
        ];
        for (text, expected) in cases {
            let error = Fixture::parse(text).expect_err(text).to_string();
            assert!(error.starts_with(expected), "{text}\n  got: {error}");
        }
    }

    #[test]
    fn hosts_are_normalised() {
        assert_eq!(
            normalize_host("My-App.Example.com:8080"),
            "my-app.example.com"
        );
        assert_eq!(normalize_host("example.com."), "example.com");
        assert_eq!(normalize_host("[::1]:8080"), "::1");
        assert_eq!(normalize_host("127.0.0.1"), "127.0.0.1");
    }
}
