//! Time as the decision core and the simulator see it.
//!
//! [`Time`] is an instant counted in nanoseconds since a *time origin* that the driver chooses;
//! spans are plain [`std::time::Duration`]s so that the live proxy can hand them to
//! `tokio::time::sleep` as they are. Nothing here reads a clock: the simulator advances a virtual
//! clock event by event, and the live proxy converts its clock into a `Time` at the edge.
//!
//! The origin is shared so that "the current minute" (rpm/tpm usage) and budget windows mean
//! the same thing to every router instance: the simulator's origin is the start of the run
//! ([`Time::ZERO`], which falls on a minute boundary); a live driver's is the Unix epoch
//! ([`Time::since_unix_epoch`]), so instances on different machines agree on minute boundaries
//! as LiteLLM's instances do (its usage keys are named by the wall-clock minute).
//!
//! The bottom layer: it imports nothing from the rest of the crate.

use std::fmt;
use std::ops::{Add, Sub};
use std::time::Duration;

/// An instant: nanoseconds since the time origin (the start of a simulated run, or the Unix
/// epoch for a live driver).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Time(u64);

impl Time {
    /// The start of the run.
    pub const ZERO: Time = Time(0);
    /// An instant later than any run reaches.
    pub const NEVER: Time = Time(u64::MAX);

    /// The instant `since_epoch` after the Unix epoch, for a driver whose time origin is the
    /// epoch (the live proxy hands in `SystemTime::now().duration_since(UNIX_EPOCH)`).
    /// Saturates at [`Time::NEVER`].
    pub fn since_unix_epoch(since_epoch: Duration) -> Time {
        Time::ZERO + since_epoch
    }

    /// The minute `self` falls in, counted from the origin (minute 0 starts at the origin).
    pub const fn minute(self) -> u64 {
        self.0 / 60_000_000_000
    }

    /// The instant `nanos` nanoseconds after the start.
    pub const fn from_nanos(nanos: u64) -> Time {
        Time(nanos)
    }

    /// The instant `secs` seconds after the start (saturating; negative counts as zero).
    pub fn from_secs_f64(secs: f64) -> Time {
        Time(secs_to_nanos(secs))
    }

    /// Nanoseconds since the start.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Seconds since the start.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// The span from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Time) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

/// Converts seconds to whole nanoseconds, saturating at the ends of `u64`.
pub fn secs_to_nanos(secs: f64) -> u64 {
    if secs.is_nan() || secs <= 0.0 {
        0
    } else {
        let nanos = (secs * 1e9).round();
        if nanos >= u64::MAX as f64 {
            u64::MAX
        } else {
            nanos as u64
        }
    }
}

impl Add<Duration> for Time {
    type Output = Time;
    fn add(self, span: Duration) -> Time {
        let nanos = u64::try_from(span.as_nanos()).unwrap_or(u64::MAX);
        Time(self.0.saturating_add(nanos))
    }
}

impl Sub<Time> for Time {
    type Output = Duration;
    fn sub(self, earlier: Time) -> Duration {
        self.since(earlier)
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}s", self.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_spans_saturates_instead_of_wrapping() {
        assert_eq!(Time::NEVER + Duration::from_secs(1), Time::NEVER);
        assert_eq!(Time::from_secs_f64(1.5).as_nanos(), 1_500_000_000);
        assert_eq!(Time::from_secs_f64(-3.0), Time::ZERO);
        assert_eq!(
            Time::from_nanos(5) - Time::from_nanos(9),
            Duration::ZERO,
            "a span to an earlier instant is empty"
        );
    }

    #[test]
    fn instants_anchored_to_the_unix_epoch_agree_on_the_wall_clock_minute() {
        // 2026-11-28 12:00:59.900 and 12:01:00.100 UTC.
        let before = Time::since_unix_epoch(Duration::from_millis(1_795_867_259_900));
        let after = Time::since_unix_epoch(Duration::from_millis(1_795_867_260_100));
        assert_eq!(
            after.minute(),
            before.minute() + 1,
            "a minute boundary lies between"
        );
        assert_eq!(
            after.minute() * 60,
            1_795_867_260,
            "minutes are whole UTC minutes"
        );
        assert_eq!(Time::from_secs_f64(59.9).minute(), 0);
        assert_eq!(Time::from_secs_f64(60.0).minute(), 1);
    }
}
