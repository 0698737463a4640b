//! Retries: how many a group's failures get, and how long to wait before the next attempt.
//!
//! Count (ROUTING.md §5): the request's `num_retries`, else the failed deployment's, else the
//! router's; a `retry_policy` entry for the class overrides it (even for classes not otherwise
//! retried), and a group's `model_group_retry_policy` replaces `retry_policy`. Wait: none while
//! the group has another healthy deployment; otherwise 0.5 s × 2^k capped at 8 s, at least
//! `retry_after`, or the provider's Retry-After when it is at most 60 s, plus a jitter in
//! [0, 0.75) s from the router's stream.
//!
//! It decides counts and waits only; it must not choose the deployment of the next attempt (the
//! eligibility pipeline does, afresh for every retry), mark deployments to skip (the router),
//! or start fallbacks (the fallback walk, once [`RetryDecision::Exhausted`]).

use std::time::Duration;

use rand::Rng;

use super::error_class::ErrorClass;
use crate::config::RouterSettings;
use crate::config::settings::PerClass;

/// The backoff's constants, LiteLLM's: first step 0.5 s, longest computed step 8 s, longest
/// honoured Retry-After 60 s, jitter below 0.75 s. Not settings a config can change; they
/// live beside the settings because lint reads them too.
pub use crate::config::settings::{INITIAL_DELAY, JITTER_SECS, MAX_DELAY, MAX_RETRY_AFTER};

/// The retry policy in force for `group`: its `model_group_retry_policy` entry, else the
/// router's `retry_policy`. The group's entry replaces the router's policy whole: a class it
/// leaves out gets the plain retry count, not the router policy's entry. `group` is the name of
/// the route being tried (a deployment id when the request pinned one).
pub fn policy_for<'a>(group: &str, settings: &'a RouterSettings) -> &'a PerClass {
    settings
        .model_group_retry_policy
        .get(group)
        .unwrap_or(&settings.retry_policy)
}

/// Retries a group grants after its first failure of `class`: the retry policy's entry for
/// the class if any (even for a class not retried by default), else 0 for a class
/// [`ErrorClass::retried_by_default`] refuses in a group of `group_size`, else the request's
/// `num_retries`, else the failed deployment's, else the router's (2). The router fixes the
/// answer at the group's first failure: later failures of other classes do not change it.
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

/// What the group knows after one of its attempts failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AfterFailure {
    /// Retries already made in the group (attempts in the group minus one).
    pub retries_used: u32,
    /// Retries the group grants ([`allowed_retries`]).
    pub allowed: u32,
    /// Other deployments of the group still eligible (not cooling, not skipped).
    pub others_healthy: usize,
    /// Whether the failed deployment itself is still eligible.
    pub itself_healthy: bool,
    /// The provider's Retry-After for the failure, if any.
    pub retry_after: Option<Duration>,
}

/// What a group does after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Try again in the same group, after `wait` if one is due.
    Again {
        /// The backoff before the next attempt (only when no other deployment is left).
        wait: Option<Duration>,
    },
    /// The group gives up; LiteLLM first waits `wait` once more when it is due.
    Exhausted {
        /// The wait after the last attempt of a lone deployment.
        wait: Option<Duration>,
    },
}

/// ROUTING.md §5: retry while retries are left and some deployment of the group is eligible;
/// wait only when no *other* deployment is (a lone deployment backs off, a group moves on at
/// once). LiteLLM also waits once after the last failed attempt of a lone deployment, unless
/// the `skip_final_wait` improvement is on. Draws the jitter from `rng` only when it waits.
pub fn decide<R: Rng + ?Sized>(
    after: &AfterFailure,
    settings: &RouterSettings,
    rng: &mut R,
) -> RetryDecision {
    let healthy = after.others_healthy + usize::from(after.itself_healthy);
    let lone = after.others_healthy == 0;
    let mut wait = || {
        Some(backoff(
            after.retries_used,
            after.retry_after,
            settings,
            rng,
        ))
    };
    if after.retries_used < after.allowed && healthy > 0 {
        return RetryDecision::Again {
            wait: if lone { wait() } else { None },
        };
    }
    let final_wait = lone
        && after.allowed > 0
        && after.retries_used >= after.allowed
        && !settings.improvements.skip_final_wait;
    RetryDecision::Exhausted {
        wait: if final_wait { wait() } else { None },
    }
}

/// The wait before retry number `k` (counted from 0) when no other healthy deployment is left.
///
/// A provider Retry-After above zero and at most [`MAX_RETRY_AFTER`] is waited as given, even
/// below `retry_after`; otherwise `min(0.5 s × 2^k, 8 s)`, raised to `retry_after` (which may
/// exceed 8 s). Either way plus a jitter in `[0, JITTER_SECS)` s: exactly one draw from `rng`.
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

    fn after(retries_used: u32, allowed: u32, others: usize, itself: bool) -> AfterFailure {
        AfterFailure {
            retries_used,
            allowed,
            others_healthy: others,
            itself_healthy: itself,
            retry_after: None,
        }
    }

    #[test]
    fn a_group_with_others_left_retries_at_once_and_a_lone_deployment_backs_off() {
        let s = RouterSettings::default();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        assert_eq!(
            decide(&after(0, 2, 1, true), &s, &mut rng),
            RetryDecision::Again { wait: None }
        );
        let RetryDecision::Again { wait: Some(w) } = decide(&after(1, 2, 0, true), &s, &mut rng)
        else {
            panic!("a lone deployment backs off")
        };
        assert!(
            (1.0..1.75).contains(&w.as_secs_f64()),
            "second backoff: {w:?}"
        );
    }

    #[test]
    fn a_group_gives_up_when_retries_or_deployments_run_out() {
        let s = RouterSettings::default();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        assert_eq!(
            decide(&after(2, 2, 1, true), &s, &mut rng),
            RetryDecision::Exhausted { wait: None },
            "a group with others left gives up without a wait"
        );
        assert_eq!(
            decide(&after(0, 2, 0, false), &s, &mut rng),
            RetryDecision::Exhausted { wait: None },
            "nothing eligible: no retry, and no final wait before the retries are used"
        );
        assert!(
            matches!(
                decide(&after(2, 2, 0, true), &s, &mut rng),
                RetryDecision::Exhausted { wait: Some(_) }
            ),
            "LiteLLM waits once more after a lone deployment's last attempt"
        );
        let mut skip = RouterSettings::default();
        skip.improvements.skip_final_wait = true;
        assert_eq!(
            decide(&after(2, 2, 0, true), &skip, &mut rng),
            RetryDecision::Exhausted { wait: None }
        );
        assert_eq!(
            decide(&after(0, 0, 0, true), &s, &mut rng),
            RetryDecision::Exhausted { wait: None },
            "no retries allowed: no wait"
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
