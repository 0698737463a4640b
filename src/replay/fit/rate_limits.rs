//! A deployment's rate-limit answers: a requests-per-minute limit when its 429s look like
//! one, and the Retry-After it sent.
//!
//! A provider's rpm limit refuses an attempt when the rolling minute before it already holds
//! the limit's count of accepted attempts. When at least 3 429s were logged and nine in ten of
//! them came while the rolling minute held within a tenth of the busiest minute's accepted
//! attempts, the deployment is fitted with `rate_limit: {rpm: <that busiest count>}` and its 429s
//! leave the error windows: in a replay they then come where the load puts them, not at
//! random. Otherwise 429s are fitted as the `rate_limit` class in the error windows like any
//! other class; the scenario language's outages carry no Retry-After, so the median logged
//! Retry-After is only reported (in the fitted file's comment). It decides the limit and that
//! summary; it must not fit windows.

use std::time::Duration;

use crate::router::ErrorClass;

use super::observations::Observed;
use super::quantiles::{quantile, sorted};

/// The share of 429s an rpm limit must explain for the fit to write one.
const EXPLAINED: f64 = 0.9;

/// The rpm limit the deployment's 429s point to, if they look like one (see above).
pub fn inferred_rpm(attempts: &[Observed<'_>]) -> Option<u32> {
    let refused: Vec<f64> = attempts
        .iter()
        .filter(|o| o.attempt.error == Some(ErrorClass::RateLimit))
        .map(|o| o.sent)
        .collect();
    if refused.len() < 3 {
        return None;
    }
    let accepted = sorted(
        attempts
            .iter()
            .filter(|o| o.attempt.error != Some(ErrorClass::RateLimit))
            .map(|o| o.sent)
            .collect(),
    );
    let in_minute_before = |t: f64| {
        let from = accepted.partition_point(|&s| s <= t - 60.0);
        let to = accepted.partition_point(|&s| s <= t);
        to - from
    };
    let busiest = accepted.iter().map(|&t| in_minute_before(t)).max()?;
    let full = busiest - busiest / 10;
    let explained = refused
        .iter()
        .filter(|&&t| in_minute_before(t) >= full.max(1))
        .count();
    let limit = u32::try_from(busiest).ok()?;
    (explained as f64 >= EXPLAINED * refused.len() as f64 && limit > 0).then_some(limit)
}

/// The median Retry-After of the deployment's logged 429s, when any logged one.
pub fn median_retry_after(attempts: &[Observed<'_>]) -> Option<Duration> {
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
