//! Serving: the function the binary and the embedded mode share, and the embedded handle.

use std::future::Future;
use std::net::SocketAddr;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::clock::{Clock, ClockChange, ClockReading, ControlledClock, SystemClock};
use crate::config::{Config, ConfigError};
use crate::connections::Slot;
use crate::proxy::Listener;
use crate::router::{Emulated, build_router};
use crate::state::ServerState;
use crate::store::{Store, StoreError};

/// Serves the emulator on `listener` until `shutdown` completes, then finishes the requests in
/// flight, waiting at most `DRAIN_LIMIT` (3 s) for them.
///
/// This is the plain listener: it also answers as an HTTP proxy for Janrain's hosts only
/// (see the `proxy` module), and never connects anywhere onward.
///
/// The accept loop is axum's, plus what axum's own `serve` does not set: a limit on the time a
/// client may take to send its request head (`Config::read_timeout`), so that slow or half-open
/// connections cannot pile up. Bodies have the same limit, in the extractors that read them.
pub async fn serve(
    listener: TcpListener,
    state: ServerState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    accept_loop(listener, state, Listener::Plain, shutdown).await
}

/// Serves the emulator over TLS on `listener` (`--https-listen`), HTTP/2 and HTTP/1.1 by ALPN,
/// with a leaf of the local CA for the name each client asks for; otherwise as [`serve`].
pub async fn serve_tls(
    listener: TcpListener,
    state: ServerState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    accept_loop(listener, state, Listener::Tls, shutdown).await
}

async fn accept_loop(
    listener: TcpListener,
    state: ServerState,
    kind: Listener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = build_router(state.clone());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // A connection reset before it was accepted, or (despite the cap) out of
                    // descriptors: keep serving the others.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let connection = Connection {
            router: router.clone(),
            state: state.clone(),
            peer,
            slot: state.connections.admit(),
        };
        match kind {
            Listener::Plain => {
                tokio::spawn(connection.serve(TokioIo::new(stream), kind));
            }
            Listener::Tls => {
                tokio::spawn(async move {
                    if let Some(tls) = connection.handshake(stream).await {
                        connection.serve(TokioIo::new(tls), kind).await;
                    }
                });
            }
        }
    }
    drop(listener);
    // Idle HTTP/1 connections close at once; an HTTP/2 peer is sent GOAWAY and closes when it
    // likes, and a request may be stalled by a fault rule for minutes: bound the wait, so that
    // SIGTERM (and a container engine's stop) ends the process promptly whatever clients hold.
    if !state.connections.close_all(DRAIN_LIMIT).await {
        tracing::warn!(
            limit_secs = DRAIN_LIMIT.as_secs(),
            "connections were still open when the drain limit passed; stopping anyway"
        );
    }
    Ok(())
}

/// One client connection: what serving it needs.
#[derive(Clone)]
pub(crate) struct Connection {
    router: Emulated,
    state: ServerState,
    peer: SocketAddr,
    /// Its place among the open connections, shared with a tunnel it becomes.
    slot: Arc<Slot>,
}

impl Connection {
    /// The TLS handshake, within the read timeout; `None` (logged) if it fails.
    pub(crate) async fn handshake<IO>(&self, io: IO) -> Option<tokio_rustls::server::TlsStream<IO>>
    where
        IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let acceptor = tokio_rustls::TlsAcceptor::from(self.state.ca.server_config());
        match tokio::time::timeout(self.state.config.read_timeout, acceptor.accept(io)).await {
            Ok(Ok(tls)) => Some(tls),
            Ok(Err(error)) => {
                tracing::debug!(peer = %self.peer, %error, "TLS handshake failed");
                None
            }
            Err(_) => {
                tracing::debug!(peer = %self.peer, "TLS handshake timed out");
                None
            }
        }
    }

    /// Serves HTTP/1.1 or HTTP/2 on `io` until the connection ends, or closes it gracefully
    /// (after the request in flight, at once if idle) when it is asked to: the connection cap
    /// was passed and it is the oldest, or the server is stopping. Boxed, because a proxy's
    /// tunnel serves a connection from within one.
    pub(crate) fn serve<IO>(
        self,
        io: TokioIo<IO>,
        kind: Listener,
    ) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>>
    where
        IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let read_timeout = self.state.config.read_timeout;
        let slot = self.slot.clone();
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            self.answer(request, kind)
        });
        let mut builder = Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(read_timeout)
            .max_headers(MAX_HEADERS)
            .max_buf_size(MAX_HEAD_BYTES);
        builder.http2().max_header_list_size(MAX_HEAD_BYTES as u32);
        Box::pin(async move {
            let connection = builder.serve_connection_with_upgrades(io, service);
            let mut connection = std::pin::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => Some(ended),
                () = slot.asked_to_close() => None,
            };
            let ended = match ended {
                Some(ended) => ended,
                None => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = ended {
                tracing::debug!(%error, "connection ended with an error");
            }
        })
    }

    /// The answer to one request: the proxy's, for a tunnel or a target it refuses; else the
    /// router's. The proxy's decision is made before the future is: what hyper keeps of a
    /// request in flight is that future, moved twice a request, so it holds only what the
    /// router's answer needs.
    fn answer(
        &self,
        mut request: Request<Incoming>,
        kind: Listener,
    ) -> impl Future<Output = Result<axum::response::Response, std::convert::Infallible>> + Send + use<>
    {
        let answered = match crate::proxy::intercept(&request, kind) {
            crate::proxy::Intercept::Pass => None,
            crate::proxy::Intercept::Answer(response) => Some(response),
            crate::proxy::Intercept::Tunnel(target) => {
                self.open_tunnel(&mut request, target);
                Some(crate::proxy::tunnel_opened())
            }
        };
        if answered.is_none() {
            request.extensions_mut().insert(ConnectInfo(self.peer));
            crate::request_path::tidy_path(&mut request);
        }
        let router = self.router.clone();
        async move {
            Ok(match answered {
                Some(response) => response,
                None => router.answer(request.map(Body::new)).await,
            })
        }
    }

    /// Ends the tunnel that `request` (a `CONNECT` to `target`) opens with TLS, and serves it
    /// like the TLS listener, once hyper has sent the answer that opens it.
    fn open_tunnel(&self, request: &mut Request<Incoming>, target: String) {
        let upgrade = hyper::upgrade::on(request);
        let connection = self.clone();
        tokio::spawn(async move {
            match upgrade.await {
                Ok(upgraded) => {
                    let Some(tls) = connection.handshake(TokioIo::new(upgraded)).await else {
                        return;
                    };
                    // The tunnel keeps the connection's slot: it is the same socket.
                    connection.serve(TokioIo::new(tls), Listener::Tls).await;
                }
                Err(error) => {
                    tracing::debug!(%target, %error, "the proxy tunnel was not opened");
                }
            }
        });
    }
}

/// How long a stopping server waits for requests in flight and open connections to finish.
pub const DRAIN_LIMIT: std::time::Duration = std::time::Duration::from_secs(3);

/// The most header fields a request may have; one more is refused with 431 before routing.
pub const MAX_HEADERS: usize = 100;

/// The largest request head (request line and header fields together, so a long URI counts
/// too), in bytes; a larger one is refused with 431 before routing. The answer is hyper's own,
/// with an empty body (see docs/quirks.md).
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration is not usable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The listening socket could not be opened.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// A running emulator inside the current tokio runtime, for tests. It listens on a free port of
/// `127.0.0.1`, has a store of its own, and stops when dropped.
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    state: ServerState,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Dropping the sender ends the server's wait; it stops in the background.
        self.shutdown.take();
    }
}

impl Emulator {
    /// Starts an emulator with the system clock.
    pub async fn start(config: Config) -> Result<Self, StartError> {
        Self::start_with(config, Arc::new(SystemClock)).await
    }

    /// Starts an emulator with the given clock, such as a
    /// [`ManualClock`](crate::clock::ManualClock) that a test moves.
    pub async fn start_with(config: Config, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        let state = ServerState::new(config, clock)?;
        let bind = |source| StartError::Bind {
            addr: "127.0.0.1:0".into(),
            source,
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(bind)?;
        let addr = listener.local_addr().map_err(bind)?;
        let (trigger, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, state.clone(), async move {
            // A dropped sender ends the wait just like a sent value.
            let _ = stopped.await;
        }));
        Ok(Self {
            addr,
            state,
            shutdown: Some(trigger),
            server: Some(server),
        })
    }

    /// Stops the server and waits until it has: the port is closed when this returns.
    pub async fn shutdown(mut self) {
        self.shutdown.take();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    /// The base URL, e.g. `http://127.0.0.1:40123`, for both families and the control plane.
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL to give code under test as its HTTP(S) proxy (`HTTPS_PROXY`): the emulator
    /// answers for Janrain's hosts (`https://<realm>.janraincapture.com`,
    /// `https://v1.api.<region>.janrain.com`) and refuses every other, never connecting onward.
    /// Trust [`Emulator::ca_pem`] for those calls.
    pub fn proxy_url(&self) -> String {
        self.uri()
    }

    /// The root certificate (PEM) of the local CA whose leaves the proxy's tunnels present: made
    /// on first use and kept for the emulator's life. Its name constraints let it vouch for
    /// Janrain's names, `localhost` and loopback only, so trusting it in a test's client
    /// endangers nothing else.
    pub fn ca_pem(&self) -> Result<String, StartError> {
        self.state
            .ca
            .root_pem()
            .map_err(|e| StartError::Config(ConfigError::Ca(e.to_string())))
    }

    /// The store, to seed clients and to assert on them.
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &Config {
        &self.state.config
    }

    /// The id of the default application.
    pub fn app_id(&self) -> &crate::model::AppId {
        &self.state.default_app
    }

    /// A new application of its own, for one test: a generated id, a capture domain and an
    /// owner client; nothing another test does reaches it. Legacy calls with its owner's
    /// credentials go to it whatever their `Host`.
    pub fn new_app(&self) -> Result<AppHandle, StoreError> {
        let (app_id, owner) = self.state.store.create_app_with_owner()?;
        let base = self.uri();
        Ok(AppHandle {
            config_base_url: format!("{base}/config/{app_id}"),
            legacy_base_url: base,
            owner_client_id: owner.id.to_string(),
            owner_client_secret: owner.secret.expose().to_owned(),
            app_id,
            store: self.state.store.clone(),
        })
    }

    /// The clock it runs on: a test moves it (or freezes it) instead of sleeping, as
    /// `POST /__emulator/clock` does.
    pub fn clock(&self) -> &ControlledClock {
        &self.state.clock
    }
}

/// An application made by [`Emulator::new_app`]: what a client library needs to reach it.
#[derive(Debug, Clone)]
pub struct AppHandle {
    /// Its id.
    pub app_id: crate::model::AppId,
    /// Its owner client's id.
    pub owner_client_id: String,
    /// Its owner client's secret.
    pub owner_client_secret: String,
    /// The base URL of the legacy API (calls find the application by their credentials).
    pub legacy_base_url: String,
    /// The base URL of its Configuration API, `.../config/{appId}`.
    pub config_base_url: String,
    store: Store,
}

impl AppHandle {
    /// Its clock: the emulator's, until moved with the methods below, which move this
    /// application's time alone (its grace periods, signature window and journal), so that tests
    /// that move time run in parallel with any others.
    pub fn clock(&self) -> Result<ClockReading, StoreError> {
        self.store.app_clock(&self.app_id)
    }

    /// Moves its clock forward by `by`.
    pub fn advance_clock(&self, by: std::time::Duration) -> Result<ClockReading, StoreError> {
        self.change_clock(ClockChange {
            advance: Some(by),
            ..ClockChange::default()
        })
    }

    /// Sets its clock to `to` (which may be in the past); `frozen` stops it there.
    pub fn set_clock(
        &self,
        to: std::time::SystemTime,
        frozen: bool,
    ) -> Result<ClockReading, StoreError> {
        self.change_clock(ClockChange {
            set: Some(to),
            freeze: Some(frozen),
            ..ClockChange::default()
        })
    }

    /// Back to the emulator's clock.
    pub fn follow_emulator_clock(&self) -> Result<ClockReading, StoreError> {
        self.change_clock(ClockChange {
            system: true,
            ..ClockChange::default()
        })
    }

    /// Any change `POST /__emulator/apps/{appId}/clock` takes.
    pub fn change_clock(&self, change: ClockChange) -> Result<ClockReading, StoreError> {
        self.store.change_app_clock(&self.app_id, change)
    }
}
