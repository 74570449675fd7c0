//! The binary's log on standard error, written so that it never takes part in answering.
//!
//! Request tasks hand their lines to a bounded queue (`tracing-appender`'s non-blocking writer
//! in lossy mode) and go on at once; one thread of its own writes the queue to standard error.
//! When the reader of standard error falls behind (a pipe nobody reads) the queue fills and new
//! lines are dropped; when the reader has gone (a closed pipe) the writes fail and those lines
//! are dropped. Either way no request waits, and nothing panics. The lines dropped are counted
//! ([`LogStats::dropped_lines`], shown by `GET /__emulator/info`), and the first line written
//! after a loss says how many were lost.

use std::io::{self, IsTerminal as _, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use tracing_appender::non_blocking::{ErrorCounter, NonBlocking, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::fmt::MakeWriter;

/// How many lines may wait for the log's writer before new ones are dropped: enough for a burst
/// (with the pipe's own buffer, over a thousand failed calls at the default level), at a few
/// hundred bytes a line well under a MiB.
pub const BUFFERED_LINES: usize = 1_024;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// What became of the log's lines, shared by the writers and the control plane.
#[derive(Debug, Default)]
pub struct LogStats {
    /// The queue's count of lines refused because it was full.
    queue: OnceLock<ErrorCounter>,
    /// Lines handed to the queue.
    offered: AtomicU64,
    /// Lines the writer thread took off the queue, written or not.
    taken: AtomicU64,
    /// Lines whose write to standard error failed.
    failed: AtomicU64,
    /// The dropped count the log last reported.
    reported: AtomicU64,
}

impl LogStats {
    /// Log lines lost since the start: refused by a full queue, or not written because standard
    /// error failed (closed, or a broken pipe).
    pub fn dropped_lines(&self) -> u64 {
        let queued = self.queue.get().map_or(0, ErrorCounter::dropped_lines);
        u64::try_from(queued)
            .unwrap_or(u64::MAX)
            .saturating_add(self.failed.load(Ordering::Relaxed))
    }

    /// Lines handed over and not yet taken by the writer thread.
    fn waiting(&self) -> u64 {
        let queued = self.queue.get().map_or(0, ErrorCounter::dropped_lines);
        self.offered
            .load(Ordering::Relaxed)
            .saturating_sub(u64::try_from(queued).unwrap_or(u64::MAX))
            .saturating_sub(self.taken.load(Ordering::Relaxed))
    }
}

/// Keeps the log's writer thread; dropping it writes what is still queued, waiting about a second
/// at most, and never when standard error has stopped taking lines.
#[derive(Debug)]
pub struct LogGuard {
    worker: Option<WorkerGuard>,
    stats: Arc<LogStats>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        let Some(worker) = self.worker.take() else {
            return;
        };
        // The worker's guard queues a stop and waits for the thread to reach it; with the queue
        // full (standard error stuck) it would wait in vain, then print to standard output.
        // The lines still queued cannot be written then anyway.
        if self.stats.waiting() + 1 >= BUFFERED_LINES as u64 {
            std::mem::forget(worker);
        } else {
            drop(worker);
        }
    }
}

/// Installs the process's log: `RUST_LOG` filters (by default the emulator's own lines at
/// `info`), written in `format` to standard error through the bounded queue.
pub fn init(format: LogFormat) -> (LogGuard, Arc<LogStats>) {
    let stats = Arc::new(LogStats::default());
    let (queue, worker) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(BUFFERED_LINES)
        .thread_name("janrain-emulator-log")
        .finish(StandardError {
            stats: stats.clone(),
        });
    let _ = stats.queue.set(queue.error_counter());
    let writer = Lines {
        queue,
        stats: stats.clone(),
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "janrain_emulator=info".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        // Colours for a terminal only, not for the files and pipes of CI; NO_COLOR is honoured.
        .with_ansi(io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        // A line that cannot be written is counted, never reported on standard error (which
        // is what failed) by a write that could panic.
        .log_internal_errors(false);
    match format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    let guard = LogGuard {
        worker: Some(worker),
        stats: stats.clone(),
    };
    (guard, stats)
}

/// The request side: each event's line goes to the queue, counted.
#[derive(Clone)]
struct Lines {
    queue: NonBlocking,
    stats: Arc<LogStats>,
}

impl<'a> MakeWriter<'a> for Lines {
    type Writer = Lines;

    fn make_writer(&'a self) -> Lines {
        self.clone()
    }
}

impl Write for Lines {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        self.stats.offered.fetch_add(1, Ordering::Relaxed);
        self.queue.write(line)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The writer thread's side: standard error, whose failures are counted and swallowed.
struct StandardError {
    stats: Arc<LogStats>,
}

impl Write for StandardError {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        self.write_all(line).map(|()| line.len())
    }

    fn write_all(&mut self, line: &[u8]) -> io::Result<()> {
        self.stats.taken.fetch_add(1, Ordering::Relaxed);
        if io::stderr().lock().write_all(line).is_err() {
            self.stats.failed.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        // Standard error takes lines again: say once what was lost before. The notice is an
        // event like any other, queued behind the lines already waiting.
        let dropped = self.stats.dropped_lines();
        let reported = self.stats.reported.swap(dropped, Ordering::Relaxed);
        if dropped > reported {
            tracing::warn!(
                dropped_lines = dropped - reported,
                total_dropped_lines = dropped,
                "log lines were dropped: standard error did not take them (its reader fell behind or went away)"
            );
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = io::stderr().lock().flush();
        Ok(())
    }
}
