//! `janrain-emulator clone`: reads, and only reads, what an owner client can see of a tenant's
//! application (its clients, their settings and the application's defaults, through the legacy
//! API or the Configuration API) and writes it as a fixture that `--import` takes.
//!
//! Secrets: by default every client gets a fresh one in the file, so that no live credential
//! lands in a repository, and the owners' new secrets are printed; `--keep-secrets` keeps the
//! tenant's, in a file only its owner may read. The caller's own secret comes from the
//! environment or a prompt, never the command line.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::fixture::Fixture;
use crate::tokens::IdGenerator;

/// How many times a rate-limited call is tried in all, and the first wait between tries (it
/// doubles each time): about 8 seconds in all.
const TRIES: u32 = 6;
const FIRST_WAIT: Duration = Duration::from_millis(250);

/// What `clone` was asked to read, and where to write it.
#[derive(Debug)]
pub struct CloneRequest {
    /// The Capture domain's base URL (`https://acme.us.janraincapture.com`).
    pub from: String,
    /// An owner client of the application.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
    /// The Configuration API's base URL: read the clients and settings there instead.
    pub config_url: Option<String>,
    /// The application id (required with `config_url`).
    pub app_id: Option<String>,
    /// The fixture file to write.
    pub output: PathBuf,
    /// Keep the tenant's secrets instead of drawing fresh ones.
    pub keep_secrets: bool,
    /// Trust these roots instead of the machine's.
    pub ca_bundle: Option<PathBuf>,
}

/// Why a clone stopped: the tenant refused the caller (exit status 2), or anything else (1).
#[derive(Debug, thiserror::Error)]
pub enum CloneError {
    /// The credentials were refused, or the caller is not an owner.
    #[error("{0}")]
    Refused(String),
    /// Any other failure: the network, an answer not as documented, the file.
    #[error("{0}")]
    Failed(String),
}

fn failed(text: impl Into<String>) -> CloneError {
    CloneError::Failed(text.into())
}

/// Reads the application and writes the fixture; returns the lines to print on standard
/// output (each owner's id with its new secret, unless the secrets were kept).
pub async fn run(request: CloneRequest) -> Result<Vec<String>, CloneError> {
    let capture = reqwest::Url::parse(&request.from)
        .map_err(|e| failed(format!("--from {}: {e}", request.from)))?;
    let domain = capture
        .host_str()
        .ok_or_else(|| failed(format!("--from {} names no host", request.from)))?
        .to_owned();
    let app_id = match (&request.app_id, &request.config_url) {
        (Some(app_id), _) => app_id.clone(),
        (None, Some(_)) => return Err(failed("--config-url needs --app-id")),
        // The legacy API does not say the application's id: the domain's first label stands in.
        (None, None) => domain.split('.').next().unwrap_or("app").to_owned(),
    };
    let loopback = domain == "localhost"
        || domain
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if capture.scheme() == "http" && !loopback {
        progress(
            "clone: warning: --from is plain HTTP: the owner's secret crosses the network unencrypted",
        );
    }
    let tenant = Tenant::new(&request)?;
    progress(&format!(
        "clone: reading application {app_id} at {}",
        request.from
    ));
    let (clients, defaults) = match &request.config_url {
        None => {
            tenant
                .read_legacy(request.from.trim_end_matches('/'))
                .await?
        }
        Some(config) => {
            let base = format!("{}/config/{app_id}", config.trim_end_matches('/'));
            tenant.read_config(&base).await?
        }
    };
    let tokens = IdGenerator::from_entropy();
    let mut owners = Vec::new();
    let clients: Vec<Value> = clients
        .into_iter()
        .map(|mut client| {
            if !request.keep_secrets {
                let fresh = tokens.token(32);
                if is_owner(&client) {
                    owners.push(format!("owner {} secret {fresh}", text(&client, "_id")));
                }
                client.insert("_secret".into(), Value::String(fresh));
            }
            Value::Object(client)
        })
        .collect();
    let count = clients.len();
    let mut app = json!({"app_id": app_id, "capture_domains": [domain], "clients": clients});
    if !defaults.is_empty() {
        app["settings"] = Value::Object(defaults);
    }
    let document = json!({ "apps": [app] });
    let text = serde_json::to_string_pretty(&document).map_err(|e| failed(e.to_string()))?;
    // What --import would refuse is refused now, before anything is written.
    Fixture::parse(&text)
        .map_err(|e| failed(format!("the application cannot be held as a fixture: {e}")))?;
    write_whole(&request.output, &text, request.keep_secrets)?;
    progress(&format!(
        "clone: wrote {count} clients to {}",
        request.output.display()
    ));
    if request.keep_secrets {
        progress(&format!(
            "clone: {} holds the tenant's live secrets; it is readable by you only: keep it out of repositories",
            request.output.display()
        ));
    }
    Ok(owners)
}

fn progress(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn text<'a>(client: &'a Map<String, Value>, key: &str) -> &'a str {
    client.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn is_owner(client: &Map<String, Value>) -> bool {
    client
        .get("features")
        .and_then(Value::as_array)
        .is_some_and(|features| features.iter().any(|f| f == "owner"))
}

/// Writes the fixture whole or not at all, through the CA directory's writer: a new file
/// beside `path` (never one planted there, never through a link) with its mode whatever the
/// umask, renamed over it. With the tenant's secrets in it, only its owner may read it.
fn write_whole(path: &Path, text: &str, private: bool) -> Result<(), CloneError> {
    let mode = if private {
        crate::ca::PRIVATE_MODE
    } else {
        crate::ca::PUBLIC_MODE
    };
    crate::ca::write_file(path, format!("{text}\n").as_bytes(), mode)
        .map_err(|e| failed(format!("could not write {}: {e}", path.display())))
}

/// The tenant, as an owner reads it.
struct Tenant {
    http: reqwest::Client,
    client_id: String,
    client_secret: String,
}

impl Tenant {
    fn new(request: &CloneRequest) -> Result<Self, CloneError> {
        let roots = match &request.ca_bundle {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| failed(format!("--ca-bundle {}: {e}", path.display())))?,
            None => crate::ca::system_roots().unwrap_or_default(),
        };
        let roots = reqwest::Certificate::from_pem_bundle(roots.as_bytes())
            .map_err(|e| failed(format!("the trusted roots cannot be read: {e}")))?;
        let http = roots
            .into_iter()
            .fold(reqwest::Client::builder(), |builder, root| {
                builder.add_root_certificate(root)
            })
            .timeout(Duration::from_secs(30))
            // A redirect is not how the APIs answer: taken as the answer, never followed with
            // the owner's credentials.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| failed(e.to_string()))?;
        Ok(Self {
            http,
            client_id: request.client_id.clone(),
            client_secret: request.client_secret.clone(),
        })
    }

    /// The clients (in the fixture's form, from `/clients/list`) and the application's defaults,
    /// with each client's own settings (`/settings/get_all`).
    async fn read_legacy(
        &self,
        base: &str,
    ) -> Result<(Vec<Map<String, Value>>, Map<String, Value>), CloneError> {
        let listed = self.legacy(&format!("{base}/clients/list")).await?;
        let results = listed
            .get("results")
            .and_then(Value::as_array)
            .ok_or_else(|| failed("clients/list answered without results"))?;
        progress(&format!("clone: {} clients listed", results.len()));
        let all = self.legacy(&format!("{base}/settings/get_all")).await?;
        let own = all.get("client_settings").and_then(Value::as_object);
        let defaults = object(all.get("default_settings"));
        let clients = results
            .iter()
            .filter_map(Value::as_object)
            .map(|listed| {
                let id = text(listed, "client_id");
                let mut client = Map::new();
                client.insert("_id".into(), json!(id));
                client.insert("_secret".into(), json!(text(listed, "client_secret")));
                client.insert("name".into(), json!(text(listed, "description")));
                client.insert(
                    "features".into(),
                    listed.get("features").cloned().unwrap_or(json!([])),
                );
                client.insert(
                    "ipWhitelist".into(),
                    listed
                        .get("whitelist")
                        .cloned()
                        .unwrap_or(json!(["0.0.0.0/0"])),
                );
                let settings = object(own.and_then(|own| own.get(id)));
                if !settings.is_empty() {
                    client.insert("settings".into(), Value::Object(settings));
                }
                client
            })
            .collect();
        Ok((clients, defaults))
    }

    /// The same through the Configuration API: the listing, each client's settings object and
    /// the application's.
    async fn read_config(
        &self,
        base: &str,
    ) -> Result<(Vec<Map<String, Value>>, Map<String, Value>), CloneError> {
        let listed = self.config(&format!("{base}/clients")).await?;
        let listed = listed
            .as_array()
            .ok_or_else(|| failed("the Configuration API's listing is not an array"))?;
        let total = listed.len();
        progress(&format!("clone: {total} clients listed"));
        let mut clients = Vec::with_capacity(total);
        for (done, listed) in listed.iter().filter_map(Value::as_object).enumerate() {
            let id = text(listed, "_id");
            let mut client: Map<String, Value> =
                ["_id", "_secret", "name", "features", "ipWhitelist"]
                    .into_iter()
                    .filter_map(|key| Some((key.to_owned(), listed.get(key)?.clone())))
                    .collect();
            let url = format!("{base}/clients/{id}/settings");
            let settings = settings_of(&self.config(&url).await?, &url)?;
            if !settings.is_empty() {
                client.insert("settings".into(), Value::Object(settings));
            }
            clients.push(client);
            if (done + 1) % 100 == 0 {
                progress(&format!(
                    "clone: settings of {} of {total} clients read",
                    done + 1
                ));
            }
        }
        let url = format!("{base}/settings");
        let defaults = settings_of(&self.config(&url).await?, &url)?;
        Ok((clients, defaults))
    }

    /// A legacy call with the owner's Basic credentials: its answer when `stat` is `ok`.
    async fn legacy(&self, url: &str) -> Result<Map<String, Value>, CloneError> {
        for attempt in 0..TRIES {
            let (status, body) = self.send(self.http.post(url), url).await?;
            let answer = body.as_object().cloned().unwrap_or_default();
            let code = answer.get("code").and_then(Value::as_i64);
            match answer.get("stat").and_then(Value::as_str) {
                Some("ok") => return Ok(answer),
                Some("error") if code == Some(510) && attempt + 1 < TRIES => {
                    wait(attempt, url).await;
                }
                Some("error") if matches!(code, Some(402 | 403)) => {
                    return Err(CloneError::Refused(refusal(url, code, &answer)));
                }
                _ => {
                    return Err(failed(format!(
                        "{url} answered HTTP {status}: {}",
                        serde_json::to_string(&answer).unwrap_or_default()
                    )));
                }
            }
        }
        Err(failed(format!("{url} kept answering 510 (rate limited)")))
    }

    /// A Configuration API GET with the owner's Basic credentials: its body when 200.
    async fn config(&self, url: &str) -> Result<Value, CloneError> {
        for attempt in 0..TRIES {
            let (status, body) = self.send(self.http.get(url), url).await?;
            match status {
                200 => return Ok(body),
                429 if attempt + 1 < TRIES => wait(attempt, url).await,
                401 | 403 => {
                    return Err(CloneError::Refused(format!(
                        "{url} refused the owner (HTTP {status} {}): check --client-id and the secret, and that the client is an owner",
                        body.get("errors")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                    )));
                }
                _ => return Err(failed(format!("{url} answered HTTP {status}: {body}"))),
            }
        }
        Err(failed(format!("{url} kept answering 429 (rate limited)")))
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
    ) -> Result<(u16, Value), CloneError> {
        let response = request
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .send()
            .await
            .map_err(|e| failed(format!("{url}: {}", causes(&e))))?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| failed(format!("{url}: {}", causes(&e))))?;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((status, body))
    }
}

/// An error and its causes, on one line: reqwest's own text does not say why a connection
/// failed (an unknown certificate issuer, a refused connection).
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

async fn wait(attempt: u32, url: &str) {
    let pause = FIRST_WAIT * 2u32.pow(attempt);
    progress(&format!(
        "clone: {url} is rate limited; trying again in {} ms",
        pause.as_millis()
    ));
    tokio::time::sleep(pause).await;
}

fn refusal(url: &str, code: Option<i64>, answer: &Map<String, Value>) -> String {
    format!(
        "{url} refused the owner (legacy {} {}): check --client-id and the secret, that the client is an owner, and that --from is the application's Capture domain",
        code.unwrap_or_default(),
        answer
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or_default()
    )
}

fn object(value: Option<&Value>) -> Map<String, Value> {
    value
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// A Configuration API settings object as the fixture holds settings, read as the API reads
/// one sent back to it.
fn settings_of(object: &Value, url: &str) -> Result<Map<String, Value>, CloneError> {
    let Some(object) = object.as_object() else {
        return Err(failed(format!("{url} answered without a settings object")));
    };
    crate::config_api::settings_from_body(object).map_err(|e| {
        failed(format!(
            "{url} answered settings the emulator cannot hold: {e}"
        ))
    })
}
