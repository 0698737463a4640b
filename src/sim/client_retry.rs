//! Client retries: what an OpenAI SDK (Python v1 `_base_client.py`) does when the gateway
//! answers with an error.
//!
//! The SDK retries 408, 409, 429 and every 5xx (and its own timeouts and connection errors),
//! `max_retries` times (2 by default). Before retry `n` (from 0) it waits the gateway's
//! `Retry-After` (whole seconds, rounded up, as the header carries it) when that is above 0 and
//! at most 120 s; a `Retry-After` above 120 s means no
//! retry at all; otherwise `min(0.5 s × 2ⁿ, 8 s)` shortened by a random 0–25 %. A retry is a
//! new request to the gateway. It decides whether and when the client tries again; it must not
//! touch the router or the clock.

use std::time::Duration;

use rand::Rng;

/// The SDK's first backoff (`INITIAL_RETRY_DELAY`).
pub const INITIAL_RETRY_DELAY: Duration = Duration::from_millis(500);
/// The SDK's longest backoff (`MAX_RETRY_DELAY`).
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(8);
/// The longest `Retry-After` the SDK waits; above it, it does not retry (`MAX_RETRY_AFTER_DELAY`).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// The SDK's default `max_retries`.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// The most client retries a scenario may ask for.
pub const MAX_CLIENT_RETRIES: u32 = 100;

/// A client's retry behaviour (a mix class's or script entry's `client:` block).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientRetries {
    /// Retries after the first try (the SDK's `max_retries`).
    pub max_retries: u32,
}

impl Default for ClientRetries {
    fn default() -> Self {
        ClientRetries {
            max_retries: DEFAULT_MAX_RETRIES,
        }
    }
}

/// Whether the SDK retries a gateway answer with HTTP `status`.
pub fn retries_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429 | 500..=599)
}

/// A wait as a `Retry-After` header spells it: whole seconds, rounded up.
fn header_seconds(wait: Duration) -> Duration {
    let whole = Duration::from_secs(wait.as_secs());
    if whole == wait {
        whole
    } else {
        whole + Duration::from_secs(1)
    }
}

impl ClientRetries {
    /// How long the client waits before its retry number `taken` (from 0) after a failure of
    /// `class` that came with `retry_after`; `None` when it does not retry.
    pub fn wait<R: Rng + ?Sized>(
        &self,
        status: u16,
        retry_after: Option<Duration>,
        taken: u32,
        rng: &mut R,
    ) -> Option<Duration> {
        if taken >= self.max_retries || !retries_status(status) {
            return None;
        }
        // The header carries whole seconds, rounded up (LiteLLM's proxy writes
        // `str(math.ceil(cooldown_time))`, Switchyard's the same).
        match retry_after.map(header_seconds) {
            Some(ra) if ra > MAX_RETRY_AFTER => return None,
            Some(ra) if !ra.is_zero() => return Some(ra),
            _ => {}
        }
        let doubled = INITIAL_RETRY_DELAY.as_secs_f64() * 2f64.powi(taken.min(30) as i32);
        let backoff = doubled.min(MAX_RETRY_DELAY.as_secs_f64());
        let jitter = 1.0 - 0.25 * rng.random::<f64>();
        Some(Duration::from_secs_f64(backoff * jitter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::router::ErrorClass;
    use crate::sim::rng::stream;

    #[test]
    fn backoff_doubles_from_half_a_second_with_up_to_a_quarter_off_and_caps_at_eight() {
        let client = ClientRetries { max_retries: 10 };
        let mut rng = stream(1, "client");
        for (taken, full) in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (7, 8.0)] {
            let w = client
                .wait(ErrorClass::InternalServer.status(), None, taken, &mut rng)
                .unwrap()
                .as_secs_f64();
            assert!(w <= full && w >= 0.75 * full, "retry {taken}: {w}");
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_two_minutes_and_above_that_ends_the_retries() {
        let client = ClientRetries::default();
        let mut rng = stream(1, "client");
        let ra = |s| Some(Duration::from_secs(s));
        assert_eq!(
            client.wait(ErrorClass::RateLimit.status(), ra(30), 0, &mut rng),
            ra(30)
        );
        assert_eq!(
            client.wait(ErrorClass::RateLimit.status(), ra(120), 1, &mut rng),
            ra(120)
        );
        assert_eq!(
            client.wait(ErrorClass::RateLimit.status(), ra(121), 0, &mut rng),
            None
        );
        assert_eq!(
            client.wait(
                ErrorClass::NoDeploymentsAvailable.status(),
                Some(Duration::from_millis(68)),
                0,
                &mut rng
            ),
            ra(1),
            "the header's whole seconds, rounded up"
        );
    }

    #[test]
    fn only_408_409_429_and_5xx_are_retried_and_only_max_retries_times() {
        let client = ClientRetries::default();
        let mut rng = stream(1, "client");
        for class in ErrorClass::ALL {
            let retried = client.wait(class.status(), None, 0, &mut rng).is_some();
            let status = class.status();
            assert_eq!(
                retried,
                status == 408 || status == 409 || status == 429 || status >= 500,
                "{class:?}"
            );
        }
        assert!(
            client
                .wait(ErrorClass::Timeout.status(), None, 2, &mut rng)
                .is_none()
        );
    }
}
