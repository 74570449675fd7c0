//! The emulator's container image for the [`testcontainers`] crate (the cargo
//! feature `testcontainers`), with a handle like [`Emulator`](crate::Emulator)'s: the base URL,
//! the default application and its owner, and an application of its own per test.
//!
//! ```no_run
//! use janrain_emulator::testcontainers::JanrainEmulator;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let janrain = JanrainEmulator::default().with_seed(7).run().await?;
//! let owner = janrain.owner().await?;
//! let listed: serde_json::Value = reqwest::Client::new()
//!     .post(format!("{}/clients/list", janrain.uri()))
//!     .basic_auth(&owner.client_id, Some(&owner.client_secret))
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!(listed["stat"], "ok");
//! let mine = janrain.new_app().await?; // nothing another test does reaches it
//! # let _ = mine;
//! # Ok(())
//! # }
//! ```
//!
//! It needs a Docker-compatible engine (`DOCKER_HOST`; podman's `podman system service` serves
//! one). The crate starts no reaper container, so nothing has to be pulled besides the image.

use std::borrow::Cow;
use std::time::Duration;

use ::testcontainers::bollard::models::PortBinding;
use ::testcontainers::core::{AccessMode, ContainerPort, Mount, WaitFor};
use ::testcontainers::runners::AsyncRunner;
use ::testcontainers::{ContainerAsync, Image, ImageExt, TestcontainersError};
use serde_json::Value;

/// The published image; [`JanrainEmulator::new`] takes one built from a checkout.
pub const DEFAULT_IMAGE: &str = "ghcr.io/OWNER/janrain-emulator:latest";

/// The port the image listens on.
pub const PORT: u16 = 8080;

const FIXTURE_PATH: &str = "/fixture/fixture.json";
const READY_LINE: &str = "listening on http://";
const EXPOSED: [ContainerPort; 1] = [ContainerPort::Tcp(PORT)];

/// The emulator's image and its flags: an [`Image`] to start with `testcontainers`' runners, or
/// with [`JanrainEmulator::run`] for a [`JanrainEmulatorContainer`] handle.
#[derive(Debug, Clone)]
pub struct JanrainEmulator {
    name: String,
    tag: String,
    flags: Vec<String>,
    mounts: Vec<Mount>,
    control_token: Option<String>,
    loopback_only: bool,
    startup_timeout: Duration,
}

impl Default for JanrainEmulator {
    /// The image named by `JANRAIN_EMULATOR_IMAGE`, or else [`DEFAULT_IMAGE`].
    fn default() -> Self {
        Self::new(
            &std::env::var("JANRAIN_EMULATOR_IMAGE").unwrap_or_else(|_| DEFAULT_IMAGE.to_owned()),
        )
    }
}

impl JanrainEmulator {
    /// The image `reference` (`name[:tag]`, `latest` when it has no tag), with no flags.
    pub fn new(reference: &str) -> Self {
        // A colon after the last slash starts the tag; one before it is a registry's port.
        let (name, tag) = match reference.rsplit_once(':') {
            Some((name, tag)) if !tag.contains('/') => (name, tag),
            _ => (reference, "latest"),
        };
        Self {
            name: name.to_owned(),
            tag: tag.to_owned(),
            flags: Vec::new(),
            mounts: Vec::new(),
            control_token: None,
            loopback_only: true,
            startup_timeout: Duration::from_secs(60),
        }
    }

    /// Generated ids and secrets from a fixed seed (`--seed`).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.flags.extend(["--seed".to_owned(), seed.to_string()]);
        self
    }

    /// The fixture file at `path` on the engine's machine, mounted read-only and imported
    /// (`--import`).
    pub fn with_fixture(mut self, path: impl AsRef<std::path::Path>) -> Self {
        let path = std::path::absolute(path.as_ref()).unwrap_or_else(|_| path.as_ref().into());
        self.mounts.push(
            Mount::bind_mount(path.to_string_lossy(), FIXTURE_PATH)
                .with_access_mode(AccessMode::ReadOnly),
        );
        self.flags
            .extend(["--import".to_owned(), FIXTURE_PATH.to_owned()]);
        self
    }

    /// The control plane asks for this token (`--control-token`); the handle sends it.
    pub fn with_control_token(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.flags
            .extend(["--control-token".to_owned(), token.clone()]);
        self.control_token = Some(token);
        self
    }

    /// Any other flags, after those above.
    pub fn with_args(mut self, args: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.flags.extend(args.into_iter().map(Into::into));
        self
    }

    /// [`run`](Self::run) publishes the port on every interface of the engine's machine, not
    /// only its loopback: for an engine on another machine, or tests in a container of their own.
    pub fn on_every_interface(mut self) -> Self {
        self.loopback_only = false;
        self
    }

    /// How long [`run`](Self::run) waits for the emulator to answer (60 s unless set).
    pub fn with_startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// Starts a container of the image, its port published on `127.0.0.1` of the engine's
    /// machine (see [`on_every_interface`](Self::on_every_interface)), and returns once
    /// `GET /__emulator/health` answers 200.
    pub async fn run(self) -> Result<JanrainEmulatorContainer, ContainerError> {
        let loopback_only = self.loopback_only;
        let timeout = self.startup_timeout;
        let request =
            ImageExt::with_startup_timeout(self, timeout).with_host_config_modifier(move |host| {
                if loopback_only {
                    let binding = PortBinding {
                        host_ip: Some("127.0.0.1".to_owned()),
                        host_port: None,
                    };
                    host.publish_all_ports = Some(false);
                    host.port_bindings =
                        Some([(format!("{PORT}/tcp"), Some(vec![binding]))].into());
                }
            });
        let container = request.start().await?;
        JanrainEmulatorContainer::connect(container, loopback_only, timeout).await
    }
}

impl Image for JanrainEmulator {
    fn name(&self) -> &str {
        &self.name
    }

    fn tag(&self) -> &str {
        &self.tag
    }

    fn ready_conditions(&self) -> Vec<WaitFor> {
        vec![WaitFor::message_on_stdout(READY_LINE)]
    }

    fn mounts(&self) -> impl IntoIterator<Item = &Mount> {
        &self.mounts
    }

    fn cmd(&self) -> impl IntoIterator<Item = impl Into<Cow<'_, str>>> {
        self.flags.iter().map(String::as_str)
    }

    fn expose_ports(&self) -> &[ContainerPort] {
        &EXPOSED
    }
}

/// What went wrong starting or calling a container of the image.
#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    /// The engine could not start the container, or say where its port is.
    #[error(transparent)]
    Engine(#[from] TestcontainersError),
    /// A call to the emulator did not get an answer.
    #[error("{url}: {source}")]
    Http {
        /// The URL called.
        url: String,
        /// The underlying error.
        source: reqwest::Error,
    },
    /// The emulator answered with an error status.
    #[error("{url}: HTTP {status}: {body}")]
    Refused {
        /// The URL called.
        url: String,
        /// The status.
        status: u16,
        /// The body of the answer.
        body: String,
    },
    /// The emulator did not become healthy in time.
    #[error("the emulator at {0} did not answer its health check in time")]
    NotHealthy(String),
    /// The default application has no owner client to give.
    #[error("the default application {0} has no owner client")]
    NoOwner(String),
}

/// A client's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The client's id.
    pub client_id: String,
    /// The client's secret.
    pub client_secret: String,
}

/// An application made by [`JanrainEmulatorContainer::new_app`], as `POST /__emulator/apps`
/// describes it: what a client library needs to reach it.
#[derive(Debug, Clone)]
pub struct ContainerApp {
    /// Its id.
    pub app_id: String,
    /// Its owner client's credentials.
    pub owner: Credentials,
    /// The base URL of the legacy API (calls find the application by their credentials).
    pub legacy_base_url: String,
    /// The base URL of its Configuration API, `.../config/{appId}`.
    pub config_base_url: String,
}

/// A running container of the image; it is removed when dropped (or with
/// [`stop`](Self::stop)).
pub struct JanrainEmulatorContainer {
    container: ContainerAsync<JanrainEmulator>,
    uri: String,
    app_id: String,
    owner_client_id: Option<String>,
    http: reqwest::Client,
}

impl std::fmt::Debug for JanrainEmulatorContainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JanrainEmulatorContainer")
            .field("id", &self.container.id())
            .field("uri", &self.uri)
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

impl JanrainEmulatorContainer {
    async fn connect(
        container: ContainerAsync<JanrainEmulator>,
        loopback_only: bool,
        timeout: Duration,
    ) -> Result<Self, ContainerError> {
        // A port published on loopback is reached there; else where the engine says.
        let host = if loopback_only {
            "127.0.0.1".to_owned()
        } else {
            container.get_host().await?.to_string()
        };
        let port = container.get_host_port_ipv4(PORT).await?;
        let mut handle = Self {
            container,
            uri: format!("http://{host}:{port}"),
            app_id: String::new(),
            owner_client_id: None,
            http: reqwest::Client::new(),
        };
        handle.wait_until_healthy(timeout).await?;
        let info = handle.control(reqwest::Method::GET, "/info", None).await?;
        handle.app_id = info["default_app_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        handle.owner_client_id = info["owner_client_id"].as_str().map(str::to_owned);
        Ok(handle)
    }

    /// The printed address line can come before the published port forwards: ask until it does,
    /// as `healthcheck --wait-ms` does.
    async fn wait_until_healthy(&self, timeout: Duration) -> Result<(), ContainerError> {
        let url = format!("{}/__emulator/health", self.uri);
        crate::healthcheck::check_within(&url, Duration::from_secs(5), timeout)
            .await
            .map_err(|_| ContainerError::NotHealthy(self.uri.clone()))
    }

    /// The base URL of both API families and the control plane, from this machine.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The base URL to give a legacy client library.
    pub fn legacy_base_url(&self) -> &str {
        &self.uri
    }

    /// The default application's id.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The Configuration API base URL of the default application.
    pub fn config_base_url(&self) -> String {
        format!("{}/config/{}", self.uri, self.app_id)
    }

    /// The default application's owner: the flags' owner or, from a fixture, the application's
    /// first owner client. Asked of the emulator each time, so a reset secret is seen.
    pub async fn owner(&self) -> Result<Credentials, ContainerError> {
        let path = format!("/apps/{}/snapshot", self.app_id);
        let snapshot = self.control(reqwest::Method::GET, &path, None).await?;
        let clients = snapshot["apps"][0]["clients"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let is_owner = |c: &Value| match &self.owner_client_id {
            Some(id) => c["_id"] == id.as_str(),
            None => c["features"]
                .as_array()
                .is_some_and(|f| f.iter().any(|f| f == "owner")),
        };
        let owner = clients
            .iter()
            .find(|c| is_owner(c))
            .ok_or_else(|| ContainerError::NoOwner(self.app_id.clone()))?;
        Ok(Credentials {
            client_id: owner["_id"].as_str().unwrap_or_default().to_owned(),
            client_secret: owner["_secret"].as_str().unwrap_or_default().to_owned(),
        })
    }

    /// A new application of its own, for one test (`POST /__emulator/apps`).
    pub async fn new_app(&self) -> Result<ContainerApp, ContainerError> {
        let made = self.control(reqwest::Method::POST, "/apps", None).await?;
        let text = |key: &str| made[key].as_str().unwrap_or_default().to_owned();
        Ok(ContainerApp {
            app_id: text("app_id"),
            owner: Credentials {
                client_id: text("owner_client_id"),
                client_secret: text("owner_client_secret"),
            },
            legacy_base_url: text("legacy_base_url"),
            config_base_url: text("config_base_url"),
        })
    }

    /// Any control-plane call, `path` under `/__emulator` (journal, faults, clocks, snapshots),
    /// with the control token if there is one; the answer's JSON.
    pub async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ContainerError> {
        let url = format!("{}/__emulator{path}", self.uri);
        let mut request = self.http.request(method, &url);
        if let Some(token) = &self.container.image().control_token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let failed = |source| ContainerError::Http {
            url: url.clone(),
            source,
        };
        let answer = request.send().await.map_err(failed)?;
        let status = answer.status();
        let text = answer.text().await.map_err(failed)?;
        if !status.is_success() {
            return Err(ContainerError::Refused {
                url,
                status: status.as_u16(),
                body: text,
            });
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The container, for what `testcontainers` does with one (logs, exec, its id).
    pub fn container(&self) -> &ContainerAsync<JanrainEmulator> {
        &self.container
    }

    /// Stops and removes the container, and waits until it has.
    pub async fn stop(self) -> Result<(), ContainerError> {
        Ok(self.container.rm().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_splits_into_name_and_tag_past_a_registry_port() {
        let cases = [
            ("janrain-emulator", "janrain-emulator", "latest"),
            (
                "ghcr.io/o/janrain-emulator:0.1.0",
                "ghcr.io/o/janrain-emulator",
                "0.1.0",
            ),
            (
                "localhost:5000/janrain-emulator",
                "localhost:5000/janrain-emulator",
                "latest",
            ),
            (
                "localhost:5000/janrain-emulator:ci",
                "localhost:5000/janrain-emulator",
                "ci",
            ),
        ];
        for (reference, name, tag) in cases {
            let image = JanrainEmulator::new(reference);
            assert_eq!((image.name(), image.tag()), (name, tag), "{reference}");
        }
    }

    #[test]
    fn the_flags_follow_the_builder_and_the_fixture_is_mounted_read_only() {
        let image = JanrainEmulator::new("janrain-emulator")
            .with_seed(7)
            .with_fixture("/fixtures/tenant.json")
            .with_control_token("t0ken")
            .with_args(["--log-format", "json"]);
        let cmd: Vec<String> = image
            .cmd()
            .into_iter()
            .map(|a| a.into().into_owned())
            .collect();
        assert_eq!(
            cmd,
            [
                "--seed",
                "7",
                "--import",
                FIXTURE_PATH,
                "--control-token",
                "t0ken",
                "--log-format",
                "json",
            ]
        );
        let mounts: Vec<&Mount> = image.mounts().into_iter().collect();
        assert_eq!(mounts.len(), 1);
        assert_eq!(mounts[0].source(), Some("/fixtures/tenant.json"));
        assert_eq!(mounts[0].target(), Some(FIXTURE_PATH));
        assert_eq!(mounts[0].access_mode(), AccessMode::ReadOnly);
        assert_eq!(image.expose_ports(), [ContainerPort::Tcp(PORT)]);
    }
}
