//! The open connections of an emulator, on all its listeners: counted against a cap below the
//! process's descriptor limit. When a new connection passes the cap, the oldest is asked to
//! close (at once if idle, after its request if not), so that a new connection, such as the
//! readiness probe's, is always served while idle ones hold the rest. On shutdown every one is
//! asked to close, and the server waits for them within its drain limit.
//!
//! This knows nothing of HTTP: a connection's server watches its [`Slot`] and closes gracefully
//! when asked.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, watch};

/// Descriptors kept for everything but connections: the listeners, the state file and its
/// journal, the log, the CA's files, a healthcheck's own socket.
const RESERVED_DESCRIPTORS: u64 = 64;

/// The open connections and their cap.
#[derive(Debug)]
pub struct Connections {
    cap: usize,
    open: Mutex<Open>,
    emptied: Notify,
}

#[derive(Debug, Default)]
struct Open {
    /// Each connection's signal to close (`true` once asked), by age: ids only grow.
    entries: BTreeMap<u64, watch::Sender<bool>>,
    next_id: u64,
    closing: bool,
}

/// One open connection's place among them; dropped when the connection (and any tunnel it
/// became) has ended.
#[derive(Debug)]
pub struct Slot {
    id: u64,
    connections: Arc<Connections>,
    close: watch::Receiver<bool>,
}

impl Connections {
    /// A registry that keeps at most `cap` connections open (at least one).
    pub fn new(cap: usize) -> Arc<Self> {
        Arc::new(Self {
            cap: cap.max(1),
            open: Mutex::new(Open::default()),
            emptied: Notify::new(),
        })
    }

    /// The cap.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// How many connections are open.
    #[cfg(test)]
    fn open(&self) -> usize {
        self.lock().entries.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a new connection in, asking the oldest to close if it passes the cap.
    pub fn admit(self: &Arc<Self>) -> Arc<Slot> {
        let mut open = self.lock();
        let id = open.next_id;
        open.next_id += 1;
        let (close, receiver) = watch::channel(open.closing);
        open.entries.insert(id, close);
        let over = open.entries.len().saturating_sub(self.cap);
        if over > 0 {
            // The oldest are asked first, so those asked already are the oldest: ask the next,
            // until as many are asked as the cap is passed by.
            let asked = open
                .entries
                .values()
                .filter(|close| *close.borrow())
                .count();
            let next = open.entries.values().filter(|close| !*close.borrow());
            for close in next.take(over.saturating_sub(asked)) {
                tracing::debug!(
                    cap = self.cap,
                    "connection cap passed: asking the oldest to close"
                );
                close.send_replace(true);
            }
        }
        Arc::new(Slot {
            id,
            connections: self.clone(),
            close: receiver,
        })
    }

    /// Asks every connection to close, and waits until all have or `limit` has passed; `false`
    /// if some were still open then.
    pub async fn close_all(&self, limit: Duration) -> bool {
        {
            let mut open = self.lock();
            open.closing = true;
            for close in open.entries.values() {
                close.send_replace(true);
            }
        }
        let drained = async {
            loop {
                let emptied = self.emptied.notified();
                if self.lock().entries.is_empty() {
                    return;
                }
                emptied.await;
            }
        };
        tokio::time::timeout(limit, drained).await.is_ok()
    }
}

impl Slot {
    /// Resolves when the connection is asked to close: the cap was passed and it is the oldest,
    /// or the server is stopping.
    pub async fn asked_to_close(&self) {
        let mut close = self.close.clone();
        // The sender lives as long as this slot, so the wait ends only when asked.
        let _ = close.wait_for(|asked| *asked).await;
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.connections.lock();
        open.entries.remove(&self.id);
        if open.entries.is_empty() {
            self.connections.emptied.notify_waiters();
        }
    }
}

/// The cap for `wanted` connections under the process's descriptor limit: the limit less what
/// the emulator keeps for its files, so that accepting never fails for want of a descriptor.
pub fn cap_for(wanted: usize) -> usize {
    let available = descriptor_limit().map_or(u64::MAX, |limit| {
        let reserved = RESERVED_DESCRIPTORS.min(limit / 2);
        limit - reserved
    });
    let available = usize::try_from(available).unwrap_or(usize::MAX);
    wanted.min(available).max(1)
}

/// The soft limit on open descriptors, if the platform has one.
#[cfg(unix)]
fn descriptor_limit() -> Option<u64> {
    use nix::sys::resource::{Resource, getrlimit};
    getrlimit(Resource::RLIMIT_NOFILE)
        .ok()
        .map(|(soft, _)| soft)
}

#[cfg(not(unix))]
fn descriptor_limit() -> Option<u64> {
    None
}

/// Raises the soft limit on open descriptors to the hard one (where the system allows), as a
/// server that may hold many connections should; returns the soft limit then in force.
#[cfg(unix)]
pub fn raise_descriptor_limit() -> Option<u64> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).ok()?;
    if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_err() {
        // Some systems refuse an unlimited soft value; keep the one in force.
        tracing::debug!(soft, hard, "could not raise the descriptor limit");
    }
    descriptor_limit()
}

/// Raises the soft limit on open descriptors to the hard one; not on this platform.
#[cfg(not(unix))]
pub fn raise_descriptor_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn past_the_cap_the_oldest_are_asked_to_close_in_order() {
        let connections = Connections::new(2);
        let first = connections.admit();
        let second = connections.admit();
        let asked = |slot: &Slot| *slot.close.borrow();
        assert!(!asked(&first) && !asked(&second));
        let third = connections.admit();
        assert!(asked(&first) && !asked(&second) && !asked(&third));
        // Still over the cap until the first closes: a fourth asks the second, not the first again.
        let fourth = connections.admit();
        assert!(asked(&second) && !asked(&third) && !asked(&fourth));
        drop(first);
        drop(second);
        assert_eq!(connections.open(), 2);
        let fifth = connections.admit();
        assert!(asked(&third) && !asked(&fourth) && !asked(&fifth));
        third.asked_to_close().await;
    }

    #[tokio::test]
    async fn closing_all_waits_for_every_slot_within_the_limit() {
        let connections = Connections::new(8);
        let slot = connections.admit();
        let held = connections.admit();
        let waiter = tokio::spawn(async move {
            slot.asked_to_close().await;
            drop(slot);
        });
        assert!(!connections.close_all(Duration::from_millis(50)).await);
        drop(held);
        assert!(connections.close_all(Duration::from_secs(5)).await);
        waiter.await.expect("joined");
        // A connection admitted while stopping is asked at once.
        let late = connections.admit();
        late.asked_to_close().await;
    }

    #[test]
    fn the_cap_fits_the_descriptor_limit() {
        assert_eq!(cap_for(0), 1);
        let limit = descriptor_limit().expect("unix");
        assert!(cap_for(usize::MAX) as u64 <= limit);
        assert_eq!(cap_for(3), 3);
    }
}
