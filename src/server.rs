//! Serving: the function the binary and the embedded mode share, and the embedded handle.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::app::{AppState, build_router};
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigError};
use crate::store::Store;

/// Serves the emulator on `listener` until `shutdown` completes, then finishes the requests in
/// flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = build_router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

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
    state: AppState,
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
        let state = AppState::new(config, clock)?;
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
}
