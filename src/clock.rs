//! The emulator's sense of time, injected so that tests can move it instead of sleeping.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use foldhash::HashMap;

use crate::model::AppId;

/// An instant as RFC 3339 text, as the journal and the fixture format write it.
pub fn rfc3339(at: SystemTime) -> String {
    time::OffsetDateTime::from(at)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// An RFC 3339 instant (`2030-01-01T00:00:00Z`), as `--clock` and the control plane take it.
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
        .ok()
        .map(SystemTime::from)
}

/// A source of wall-clock time (UTC). Secret grace periods and the signature date window read it.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> SystemTime;
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that stands still until told to move: for tests of expiry and time windows.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<SystemTime>>);

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: SystemTime) -> Self {
        Self(Arc::new(Mutex::new(start)))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }

    /// Sets the clock to `to`.
    pub fn set(&self, to: SystemTime) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The clock the emulator runs on: a base clock (the machine's, or a test's own) that the control
/// plane can move forward or back, set to an instant, or freeze. Everything that depends on time
/// reads it: secret grace periods, the `janrain-signed` date window, journal timestamps.
#[derive(Debug)]
pub struct ControlledClock {
    base: Arc<dyn Clock>,
    shift: Mutex<Shift>,
    /// Whether `shift` moves the clock at all: nearly never, and then a reading is the base
    /// clock's, with no lock that every request's threads would take in turn.
    moved: AtomicBool,
}

/// How a clock differs from the clock it is based on: the emulator's from the machine's, or an
/// application's from the emulator's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shift {
    /// Added to the base clock's time, in nanoseconds (negative: behind it).
    offset_nanos: i128,
    /// When frozen, the instant it shows.
    frozen: Option<SystemTime>,
}

impl Shift {
    /// What a clock shifted so shows when its base shows `base`.
    pub fn shifted(self, base: SystemTime) -> SystemTime {
        self.frozen
            .unwrap_or_else(|| add_nanos(base, self.offset_nanos))
    }

    /// The reading of a clock shifted so when its base shows `base`.
    pub fn reading(self, base: SystemTime) -> ClockReading {
        ClockReading {
            now: self.shifted(base),
            system: self.is_none(),
            frozen: self.frozen.is_some(),
        }
    }

    /// Whether it follows its base unchanged.
    pub fn is_none(self) -> bool {
        self.frozen.is_none() && self.offset_nanos == 0
    }

    /// Applies `change` (see [`ControlledClock::apply`]) when the base shows `base`.
    pub fn apply(&mut self, base: SystemTime, change: ClockChange) {
        if change.system {
            *self = Shift::default();
        }
        let mut now = self.shifted(base);
        if let Some(at) = change.set {
            now = at;
        }
        if let Some(by) = change.advance {
            now = now.checked_add(by).unwrap_or(now);
        }
        if change.freeze.unwrap_or(self.frozen.is_some()) {
            self.frozen = Some(now);
        } else {
            self.frozen = None;
            self.offset_nanos = nanos_between(base, now);
        }
    }
}

/// The applications' own clocks: for each application whose clock was moved apart from the
/// emulator's, how (its [`Shift`]); every other application follows the emulator's clock. The
/// store keeps them under its lock, beside the applications.
#[derive(Debug, Default, Clone)]
pub(crate) struct AppClocks(HashMap<AppId, Shift>);

impl AppClocks {
    /// What application `app`'s clock shows when the emulator's shows `base`.
    pub fn at(&self, app: &AppId, base: SystemTime) -> SystemTime {
        self.0.get(app).map_or(base, |shift| shift.shifted(base))
    }

    /// The reading of application `app`'s clock when the emulator's shows `base`.
    pub fn reading(&self, app: &AppId, base: SystemTime) -> ClockReading {
        self.0.get(app).copied().unwrap_or_default().reading(base)
    }

    /// Applies `change` to application `app`'s clock when the emulator's shows `base`; a clock
    /// that then follows the emulator's is forgotten.
    pub fn change(&mut self, app: &AppId, base: SystemTime, change: ClockChange) -> ClockReading {
        let mut shift = self.0.get(app).copied().unwrap_or_default();
        shift.apply(base, change);
        if shift.is_none() {
            self.0.remove(app);
        } else {
            self.0.insert(app.clone(), shift);
        }
        shift.reading(base)
    }

    /// Forgets application `app`'s clock: one made again under its id follows the emulator's.
    pub fn forget(&mut self, app: &AppId) {
        self.0.remove(app);
    }

    /// Keeps the clocks of the applications `keep` names only.
    pub fn retain(&mut self, mut keep: impl FnMut(&AppId) -> bool) {
        self.0.retain(|app, _| keep(app));
    }

    /// How many applications' clocks stand apart from the emulator's.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

/// What the controlled clock shows, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockReading {
    /// The current instant.
    pub now: SystemTime,
    /// Whether it follows its base clock unchanged (not moved, not frozen).
    pub system: bool,
    /// Whether it stands still.
    pub frozen: bool,
}

impl ControlledClock {
    /// A clock that follows `base` until it is moved.
    pub fn new(base: Arc<dyn Clock>) -> Self {
        Self {
            base,
            shift: Mutex::new(Shift::default()),
            moved: AtomicBool::new(false),
        }
    }

    fn shift(&self) -> std::sync::MutexGuard<'_, Shift> {
        self.shift
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The current instant and how it is kept.
    pub fn reading(&self) -> ClockReading {
        let shift = *self.shift();
        shift.reading(self.base.now())
    }

    /// Applies `change` in one step, with one reading of the base clock, in the order of its
    /// fields: back to the base clock, set, advance, freeze or thaw. A clock that is neither
    /// frozen nor thawed keeps running or standing as it was.
    pub fn apply(&self, change: ClockChange) {
        let base = self.base.now();
        let mut shift = self.shift();
        shift.apply(base, change);
        self.moved.store(!shift.is_none(), Ordering::Release);
    }

    /// Moves the clock forward by `by` (a frozen clock stays frozen, at the later instant).
    pub fn advance(&self, by: Duration) {
        self.apply(ClockChange {
            advance: Some(by),
            ..ClockChange::default()
        });
    }

    /// Sets the clock to `to`, which may be in the past; a running clock goes on from there.
    pub fn set(&self, to: SystemTime) {
        self.apply(ClockChange {
            set: Some(to),
            ..ClockChange::default()
        });
    }

    /// Stops the clock where it is, or (with `false`) lets it run on from where it stands.
    pub fn freeze(&self, frozen: bool) {
        self.apply(ClockChange {
            freeze: Some(frozen),
            ..ClockChange::default()
        });
    }

    /// Back to the base clock, unmoved and running.
    pub fn follow_base(&self) {
        self.apply(ClockChange {
            system: true,
            ..ClockChange::default()
        });
    }
}

/// A change to a [`ControlledClock`], as `POST /__emulator/clock` asks for it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClockChange {
    /// Back to the base clock first.
    pub system: bool,
    /// Then to this instant.
    pub set: Option<SystemTime>,
    /// Then forward by this much.
    pub advance: Option<Duration>,
    /// Then stopped (`true`) or running (`false`).
    pub freeze: Option<bool>,
}

impl Clock for ControlledClock {
    fn now(&self) -> SystemTime {
        if !self.moved.load(Ordering::Acquire) {
            return self.base.now();
        }
        self.shift().shifted(self.base.now())
    }
}

fn add_nanos(at: SystemTime, nanos: i128) -> SystemTime {
    let magnitude = Duration::from_nanos(u64::try_from(nanos.unsigned_abs()).unwrap_or(u64::MAX));
    if nanos >= 0 {
        at.checked_add(magnitude).unwrap_or(at)
    } else {
        at.checked_sub(magnitude).unwrap_or(SystemTime::UNIX_EPOCH)
    }
}

/// `to - from` in nanoseconds, negative when `to` is earlier.
fn nanos_between(from: SystemTime, to: SystemTime) -> i128 {
    match to.duration_since(from) {
        Ok(ahead) => i128::try_from(ahead.as_nanos()).unwrap_or(i128::MAX),
        Err(behind) => -i128::try_from(behind.duration().as_nanos()).unwrap_or(i128::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn the_controlled_clock_moves_freezes_and_comes_back() {
        let base = ManualClock::new(at(1_000));
        let clock = ControlledClock::new(Arc::new(base.clone()));
        assert_eq!(
            clock.reading(),
            ClockReading {
                now: at(1_000),
                system: true,
                frozen: false
            }
        );
        clock.advance(Duration::from_secs(60));
        base.advance(Duration::from_secs(1));
        assert_eq!(clock.now(), at(1_061), "it runs on from the moved time");
        clock.set(at(500));
        assert_eq!(clock.now(), at(500), "set may go back");
        clock.freeze(true);
        base.advance(Duration::from_secs(10));
        assert_eq!(
            clock.reading(),
            ClockReading {
                now: at(500),
                system: false,
                frozen: true
            }
        );
        clock.advance(Duration::from_secs(5));
        assert_eq!(clock.now(), at(505));
        clock.freeze(false);
        base.advance(Duration::from_secs(2));
        assert_eq!(
            clock.now(),
            at(507),
            "unfrozen, it runs on from where it stood"
        );
        clock.follow_base();
        assert_eq!(
            clock.reading(),
            ClockReading {
                now: at(1_013),
                system: true,
                frozen: false
            }
        );
    }
}
