//! Retries: how many a group's failures get, and how long to wait before the next attempt.
//!
//! Count (ROUTING.md §5): the request's `num_retries`, else the failed deployment's, else the
//! router's; a `retry_policy` entry for the class overrides it (even for classes not otherwise
//! retried), and a group's `model_group_retry_policy` replaces `retry_policy`. Wait: none while
//! the group has another healthy deployment; otherwise 0.5 s × 2^k capped at 8 s, at least
//! `retry_after`, or the provider's Retry-After when it is at most 60 s, plus a jitter in
//! [0, 0.75) s from the router's stream.

use std::time::Duration;

use rand::Rng;

use super::error_class::ErrorClass;
use crate::config::RouterSettings;
use crate::config::settings::PerClass;

pub use crate::config::settings::{INITIAL_DELAY, JITTER_SECS, MAX_DELAY, MAX_RETRY_AFTER};

/// The retry policy in force for `group`: its `model_group_retry_policy` entry, else the
/// router's `retry_policy`.
pub fn policy_for<'a>(group: &str, settings: &'a RouterSettings) -> &'a PerClass {
    settings
        .model_group_retry_policy
        .get(group)
        .unwrap_or(&settings.retry_policy)
}

/// Retries a group grants after its first failure of `class`.
pub fn allowed_retries(
    class: ErrorClass,
    group: &str,
    group_size: usize,
    request: Option<u32>,
    deployment: Option<u32>,
    settings: &RouterSettings,
) -> u32 {
    if let Some(n) = class.retry_policy_count(policy_for(group, settings)) {
        return n;
    }
    if !class.retried_by_default(group_size) {
        return 0;
    }
    request.or(deployment).unwrap_or(settings.num_retries)
}

/// The wait before retry number `k` (counted from 0) when no other healthy deployment is left.
pub fn backoff<R: Rng + ?Sized>(
    k: u32,
    retry_after_header: Option<Duration>,
    settings: &RouterSettings,
    rng: &mut R,
) -> Duration {
    let jitter = Duration::from_secs_f64(rng.random::<f64>() * JITTER_SECS);
    if let Some(header) = retry_after_header.filter(|h| !h.is_zero() && *h <= MAX_RETRY_AFTER) {
        return header + jitter;
    }
    let exp = INITIAL_DELAY
        .checked_mul(1u32.checked_shl(k.min(31)).unwrap_or(u32::MAX))
        .unwrap_or(MAX_DELAY)
        .min(MAX_DELAY);
    exp.max(settings.retry_after) + jitter
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn retry_policy_overrides_num_retries_even_for_classes_not_retried() {
        let mut s = RouterSettings::default();
        assert_eq!(
            allowed_retries(ErrorClass::InternalServer, "g", 2, None, None, &s),
            2
        );
        assert_eq!(
            allowed_retries(ErrorClass::BadRequest, "g", 2, None, None, &s),
            0
        );
        assert_eq!(
            allowed_retries(ErrorClass::InternalServer, "g", 2, Some(5), Some(1), &s),
            5
        );
        assert_eq!(
            allowed_retries(ErrorClass::InternalServer, "g", 2, None, Some(1), &s),
            1
        );
        s.retry_policy = PerClass {
            rate_limit: Some(3),
            bad_request: Some(2),
            ..PerClass::default()
        };
        assert_eq!(
            allowed_retries(ErrorClass::RateLimit, "g", 2, None, None, &s),
            3
        );
        assert_eq!(
            allowed_retries(ErrorClass::BadRequest, "g", 2, None, None, &s),
            2
        );
        assert_eq!(
            allowed_retries(ErrorClass::ContextWindowExceeded, "g", 2, None, None, &s),
            2,
            "a context-window error is a bad request to the retry policy"
        );
        s.model_group_retry_policy
            .insert("g".into(), PerClass::default());
        assert_eq!(
            allowed_retries(ErrorClass::RateLimit, "g", 2, None, None, &s),
            2,
            "the group's policy replaces the router's"
        );
        assert_eq!(
            allowed_retries(ErrorClass::Authentication, "h", 1, None, None, &s),
            0
        );
        assert_eq!(
            allowed_retries(ErrorClass::Authentication, "h", 2, None, None, &s),
            2
        );
    }

    #[test]
    fn backoff_doubles_from_half_a_second_to_eight_with_jitter() {
        let s = RouterSettings::default();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        for (k, base) in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)] {
            let w = backoff(k, None, &s, &mut rng).as_secs_f64();
            assert!(w >= base && w < base + JITTER_SECS, "k {k}: {w}");
        }
        let w = backoff(0, Some(Duration::from_secs(20)), &s, &mut rng).as_secs_f64();
        assert!((20.0..20.75).contains(&w), "Retry-After honoured: {w}");
        let w = backoff(0, Some(Duration::from_secs(90)), &s, &mut rng).as_secs_f64();
        assert!(w < 1.25, "a Retry-After over 60 s is ignored: {w}");
        let patient = RouterSettings {
            retry_after: Duration::from_secs(5),
            ..RouterSettings::default()
        };
        let w = backoff(0, None, &patient, &mut rng).as_secs_f64();
        assert!((5.0..5.75).contains(&w), "at least retry_after: {w}");
    }
}
