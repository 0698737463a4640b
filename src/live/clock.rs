//! The live driver's edge of time: the wall clock, read here and nowhere else, turned into the
//! core's [`Time`] on the Unix-epoch origin (so that every instance agrees on the current minute).
//!
//! It decides only how a wall-clock reading becomes a `Time` and how a `Time` in the future
//! becomes a sleep; it makes no routing decision.

use std::time::Duration;

use crate::time::Time;

/// Now, as the core counts time (since the Unix epoch).
#[allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "the live edge: the one place the wall clock becomes the core's Time"
)]
pub fn now() -> Time {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    Time::since_unix_epoch(since)
}

/// Sleeps until the core's instant `until` (at once when it has passed).
pub async fn sleep_until(until: Time) {
    let wait = until - now();
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
}

/// The proxy's clock: the wall clock on the Unix-epoch origin, optionally running `speed` times
/// faster (for tests that compress a scenario's time, together with `mock-provider --speed`):
/// cooldowns, backoffs, timeouts and rate-limit minutes then all pass `speed` times faster.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiveClock {
    start: Time,
    speed: f64,
}

impl LiveClock {
    /// The wall clock as it is.
    pub fn real() -> Self {
        LiveClock::scaled(1.0)
    }

    /// A clock that starts at the wall clock's now and runs `speed` times faster (a speed that
    /// is not a positive finite number counts as 1).
    pub fn scaled(speed: f64) -> Self {
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
        LiveClock {
            start: now(),
            speed,
        }
    }

    /// How many times faster than the wall clock it runs.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Now, on this clock.
    pub fn now(&self) -> Time {
        if self.speed == 1.0 {
            return now();
        }
        self.start + (now() - self.start).mul_f64(self.speed)
    }

    /// A span of this clock as the wall clock sees it.
    pub fn wall_span(&self, span: Duration) -> Duration {
        if self.speed == 1.0 {
            return span;
        }
        Duration::try_from_secs_f64(span.as_secs_f64() / self.speed).unwrap_or(Duration::MAX)
    }

    /// A wall-clock span (a client's `timeout`, say) as this clock counts it.
    pub fn clock_span(&self, wall: Duration) -> Duration {
        if self.speed == 1.0 {
            return wall;
        }
        Duration::try_from_secs_f64(wall.as_secs_f64() * self.speed).unwrap_or(Duration::MAX)
    }

    /// Sleeps until this clock reads `until`.
    pub async fn sleep_until(&self, until: Time) {
        let wait = self.wall_span(until - self.now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_convert_between_the_wall_and_a_faster_clock() {
        let fast = LiveClock::scaled(20.0);
        assert_eq!(
            fast.wall_span(Duration::from_secs(10)),
            Duration::from_millis(500)
        );
        assert_eq!(
            fast.clock_span(Duration::from_millis(500)),
            Duration::from_secs(10)
        );
        let real = LiveClock::real();
        assert_eq!(
            real.clock_span(Duration::from_secs(3)),
            Duration::from_secs(3)
        );
        assert_eq!(fast.clock_span(Duration::MAX), Duration::MAX, "saturates");
    }
}
