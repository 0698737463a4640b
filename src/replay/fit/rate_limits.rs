//! A deployment's rate-limit answers beyond their windows: the Retry-After it sent.
//!
//! 429s are fitted as the `rate_limit` class in the error windows like any other class; the
//! scenario language's outages carry no Retry-After, so the median logged Retry-After is only
//! reported (in the fitted file's comment), and a replayed 429 from a fitted window carries
//! none (the router then uses its own cooldown). It decides that summary; it must not fit
//! windows.

use std::time::Duration;

use crate::router::ErrorClass;

use super::observations::Observed;
use super::quantiles::{quantile, sorted};

/// The median Retry-After of the deployment's logged 429s, when any logged one.
pub fn median_retry_after(attempts: &[Observed]) -> Option<Duration> {
    let values = sorted(
        attempts
            .iter()
            .filter(|o| o.attempt.error == Some(ErrorClass::RateLimit))
            .filter_map(|o| o.attempt.retry_after)
            .map(|d| d.as_secs_f64())
            .collect(),
    );
    quantile(&values, 0.5).map(Duration::from_secs_f64)
}
