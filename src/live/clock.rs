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
