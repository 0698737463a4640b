//! Cooldowns: when a failing deployment is taken out of rotation, and for how long.
//!
//! The rules are LiteLLM 1.108's (`router_utils/cooldown_handlers.py`), with its counters as
//! they really behave: an in-memory count whose expiry is pushed back on every increment (60 s
//! for the success and failure counts, the cooldown time for the `allowed_fails` count), so a
//! steadily busy deployment's counts keep accumulating. It decides whether a failure cools a
//! deployment and until when; it must not pick deployments or read a clock.
//!
//! Two rules (ROUTING.md §4), chosen by whether the config names an allowance:
//!
//! - the default rule, when neither `allowed_fails` nor `allowed_fails_policy` is set: a 429
//!   cools at once, a failure share above 50 % over at least 5 requests cools, and so does every
//!   one of 1000 requests failing; a lone deployment is spared the first two. A failure whose
//!   status a client does not retry (401, 404) cools at once, lone deployments included;
//! - the allowance rule, when either is set: the failure that takes the deployment's count past
//!   the allowance cools it; a lone deployment counts only when its group has a fallback or
//!   the policy names the failure's class.
//!
//! Only classes that [`ErrorClass::may_cool_down`] reach either rule (a router-level
//! `allowed_fails_policy` entry for a 400 class changes nothing, as in LiteLLM 1.108.7); `disable_cooldowns` and a deployment `cooldown_time` of 0 turn both off.
//! The improvements `cool_lone_deployments`, `failure_rate_min_requests`,
//! `extend_running_cooldown` and `cooldown_jitter` (`switchyard_settings`, all off by default)
//! change the rules as their names say.

use std::time::Duration;

use rand::Rng;

use super::error_class::ErrorClass;
use crate::config::RouterSettings;
use crate::time::Time;

/// LiteLLM's `DEFAULT_FAILURE_THRESHOLD_PERCENT`: the failure share above which a deployment of
/// a multi-deployment group is cooled. The comparison is strict: exactly half never cools.
pub const FAILURE_THRESHOLD: f64 = 0.5;
/// LiteLLM's `DEFAULT_FAILURE_THRESHOLD_MINIMUM_REQUESTS`: successes plus failures in the
/// counts' lifetime before the failure-rate rule may cool (the failure being recorded counts).
/// The `failure_rate_min_requests` improvement replaces it.
pub const FAILURE_THRESHOLD_MIN_REQUESTS: u32 = 5;
/// LiteLLM's `SINGLE_DEPLOYMENT_TRAFFIC_FAILURE_THRESHOLD`: every request failing, this many in
/// the window, cools even a lone deployment (default rule only).
pub const ALL_FAILING_MIN_REQUESTS: u32 = 1000;
/// Lifetime of the success and failure counts after their last increment: the "rolling 60 s
/// window" of ROUTING.md §4, which is really a key whose expiry each increment pushes back.
pub const COUNT_TTL: Duration = Duration::from_secs(60);

/// A count that forgets itself `ttl` after its last increment.
///
/// Not a sliding window: while increments keep arriving less than `ttl` apart the count only
/// grows, as LiteLLM's in-memory cache keys do. `Default` is an expired count of 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpiringCount {
    /// The value as of the last increment.
    count: u32,
    /// The first instant at which the count reads 0 again.
    expires: Time,
}

impl ExpiringCount {
    /// The count at `now`: 0 from the expiry on.
    pub fn get(&self, now: Time) -> u32 {
        if now < self.expires { self.count } else { 0 }
    }

    /// Adds one at `now` and pushes the expiry to `now + ttl`; returns the new count.
    pub fn bump(&mut self, now: Time, ttl: Duration) -> u32 {
        self.count = self.get(now) + 1;
        self.expires = now + ttl;
        self.count
    }
}

/// One deployment's health record: the counts the cooldown rules read and the running
/// cooldown. `Default` is a deployment that has never failed nor cooled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Health {
    /// Successful attempts (60 s expiring count).
    pub successes: ExpiringCount,
    /// Failed attempts (60 s expiring count).
    pub failures: ExpiringCount,
    /// Failures counted against `allowed_fails` (expires after the cooldown time).
    pub allowed_fails: ExpiringCount,
    /// The deployment is cooling until this instant (exclusive).
    pub cooling_until: Time,
    /// What started the latest cooldown this router applied itself (`None` before the first,
    /// and for a cooldown only another instance of a fleet started). Read by the live proxy's
    /// `/router/cooldowns`; no decision reads it.
    pub last_cooldown: Option<CooldownCause>,
}

/// What started a cooldown: the instant, the failure and the rule it tripped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CooldownCause {
    /// The failure's instant: the cooldown runs from here (or from a running one's end, with
    /// `extend_running_cooldown`).
    pub since: Time,
    /// The failure's class.
    pub class: ErrorClass,
    /// The rule it tripped and the end it set.
    pub cooldown: Cooldown,
}

impl Health {
    /// Whether the deployment is cooling at `now`; it is eligible again at `cooling_until`
    /// itself.
    #[inline]
    pub fn is_cooling(&self, now: Time) -> bool {
        now < self.cooling_until
    }
}

/// Why a deployment was cooled, as reports and `--explain` name it. The first four come from
/// the default rule, the last from the allowance rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CooldownReason {
    /// A 429 in a group with other deployments.
    RateLimited,
    /// More than half of the window's requests failed (at least 5).
    FailureRate,
    /// Every one of at least 1000 requests in the window failed.
    AllFailing,
    /// A status a client does not retry (401, 404): cooled at once, even a lone deployment.
    NonRetryable,
    /// More failures than `allowed_fails` (or the `allowed_fails_policy` entry) permits.
    AllowedFailsExceeded,
}

impl CooldownReason {
    /// The reason's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            CooldownReason::RateLimited => "rate_limited",
            CooldownReason::FailureRate => "failure_rate",
            CooldownReason::AllFailing => "all_failing",
            CooldownReason::NonRetryable => "non_retryable",
            CooldownReason::AllowedFailsExceeded => "allowed_fails_exceeded",
        }
    }
}

/// What the cooldown rules need to know about the failed attempt's deployment and group.
#[derive(Debug, Clone, Copy)]
pub struct FailureContext {
    /// The failure's class.
    pub class: ErrorClass,
    /// The provider's Retry-After, if any.
    pub retry_after: Option<Duration>,
    /// The deployment's own `cooldown_time`, if set.
    pub deployment_cooldown: Option<Duration>,
    /// The deployment's model group has exactly one deployment. Both rules spare such a
    /// deployment (see [`FailureContext::has_fallback`]) unless `cool_lone_deployments` is on.
    pub single_deployment_group: bool,
    /// The group being tried has a non-empty general fallback list (`fallbacks` entry, `*` or
    /// `default_fallbacks`; LiteLLM's `_has_fallback_group`). Read only by the allowance rule,
    /// where it makes a lone deployment count its failures.
    pub has_fallback: bool,
}

/// A decision to cool a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cooldown {
    /// Why.
    pub reason: CooldownReason,
    /// Until when (exclusive): the instant the deployment is eligible again.
    pub until: Time,
}

/// Records a success at `now` in the 60 s success count. It does not end or shorten a running
/// cooldown: only time does.
pub fn record_success(health: &mut Health, now: Time) {
    health.successes.bump(now, COUNT_TTL);
}

/// Records a failure at `now` and decides whether it cools the deployment; a cooldown is
/// applied to `health` before it is returned. `rng` is drawn only for cooldown jitter.
///
/// The failure is counted even when no cooldown follows (`disable_cooldowns` included). The
/// duration is the deployment's `cooldown_time`, else the provider's Retry-After, else the
/// router's `cooldown_time` (5 s); a zero duration cools nothing. The cooldown runs from `now`,
/// replacing any running one (LiteLLM's overwrite), unless `extend_running_cooldown` adds it to
/// the running end; `cooldown_jitter` pushes the end later by a uniform draw below its value.
pub fn record_failure<R: Rng + ?Sized>(
    health: &mut Health,
    failure: &FailureContext,
    settings: &RouterSettings,
    now: Time,
    rng: &mut R,
) -> Option<Cooldown> {
    health.failures.bump(now, COUNT_TTL);
    let reason = cooldown_reason(health, failure, settings, now)?;
    let duration = failure
        .deployment_cooldown
        .or(failure.retry_after)
        .unwrap_or(settings.cooldown_time);
    if duration.is_zero() {
        return None;
    }
    let improvements = &settings.improvements;
    // LiteLLM overwrites a running cooldown with a fresh one from now.
    let mut until = if improvements.extend_running_cooldown && health.is_cooling(now) {
        health.cooling_until + duration
    } else {
        now + duration
    };
    if let Some(jitter) = improvements.cooldown_jitter {
        until = until + jitter.mul_f64(rng.random::<f64>());
    }
    health.cooling_until = until;
    let cooldown = Cooldown { reason, until };
    health.last_cooldown = Some(CooldownCause {
        since: now,
        class: failure.class,
        cooldown,
    });
    Some(cooldown)
}

/// Which rule, if any, this failure trips: LiteLLM's `_should_run_cooldown_logic` (is cooling
/// on at all for this deployment and class) then `_should_cooldown_deployment` (the default rule
/// or the allowance rule, see the module docs). The allowance rule's count lives as long as the
/// router's `cooldown_time` (5 s when that is 0) and is one count per deployment: a policy entry
/// changes the allowance of its class, not which failures are counted. Without a policy entry
/// for the class, the allowance is `allowed_fails`, else LiteLLM's default of 3.
fn cooldown_reason(
    health: &mut Health,
    failure: &FailureContext,
    settings: &RouterSettings,
    now: Time,
) -> Option<CooldownReason> {
    // `_should_run_cooldown_logic`.
    if failure.deployment_cooldown.is_some_and(|d| d.is_zero()) || settings.disable_cooldowns {
        return None;
    }
    // A router-level `allowed_fails_policy` entry does not let a class `_is_cooldown_required`
    // excludes (a 400) cool: in LiteLLM 1.108.7 only a deployment-level policy does
    // (`_has_explicit_allowed_fails_policy_for_exception`, cooldown_handlers.py 221–244, 386–396).
    if !failure.class.may_cool_down() {
        return None;
    }
    let policy_count = settings
        .allowed_fails_policy
        .as_ref()
        .and_then(|p| failure.class.allowed_fails_count(p));
    // `_should_cooldown_deployment`.
    let single = failure.single_deployment_group && !settings.improvements.cool_lone_deployments;
    let min_requests = settings
        .improvements
        .failure_rate_min_requests
        .unwrap_or(FAILURE_THRESHOLD_MIN_REQUESTS);
    let explicit = settings.allowed_fails.is_some() || settings.allowed_fails_policy.is_some();
    if !explicit {
        let successes = health.successes.get(now);
        let failures = health.failures.get(now);
        let total = successes + failures;
        let share = if total == 0 {
            0.0
        } else {
            f64::from(failures) / f64::from(total)
        };
        return if failure.class == ErrorClass::RateLimit && !single {
            Some(CooldownReason::RateLimited)
        } else if share == 1.0 && total >= ALL_FAILING_MIN_REQUESTS {
            Some(CooldownReason::AllFailing)
        } else if share > FAILURE_THRESHOLD && total >= min_requests && !single {
            Some(CooldownReason::FailureRate)
        } else if !failure.class.is_retryable_status() {
            Some(CooldownReason::NonRetryable)
        } else {
            None
        };
    }
    let lone = single && !failure.has_fallback;
    if lone && policy_count.is_none() {
        return None;
    }
    let allowed = policy_count.or(settings.allowed_fails).unwrap_or(3);
    let ttl = if settings.cooldown_time.is_zero() {
        Duration::from_secs(5)
    } else {
        settings.cooldown_time
    };
    let counted = health.allowed_fails.bump(now, ttl);
    (counted > allowed).then_some(CooldownReason::AllowedFailsExceeded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(class: ErrorClass, single: bool) -> FailureContext {
        FailureContext {
            class,
            retry_after: None,
            deployment_cooldown: None,
            single_deployment_group: single,
            has_fallback: false,
        }
    }

    fn at(s: f64) -> Time {
        Time::from_secs_f64(s)
    }

    fn record_failure(
        health: &mut Health,
        failure: &FailureContext,
        settings: &RouterSettings,
        now: Time,
    ) -> Option<Cooldown> {
        let mut rng = <rand_xoshiro::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(1);
        super::record_failure(health, failure, settings, now, &mut rng)
    }

    #[test]
    fn expiring_counts_forget_after_a_quiet_ttl_but_not_while_busy() {
        let mut c = ExpiringCount::default();
        let ttl = Duration::from_secs(60);
        for i in 0..10 {
            c.bump(at(f64::from(i) * 50.0), ttl);
        }
        assert_eq!(c.get(at(450.0)), 10, "50 s gaps keep the count alive");
        assert_eq!(c.get(at(510.0)), 0, "60 s of silence clears it");
    }

    #[test]
    fn a_429_cools_a_deployment_of_a_group_of_two_at_once_but_never_a_lone_one() {
        let s = RouterSettings::default();
        let mut h = Health::default();
        let c = record_failure(&mut h, &ctx(ErrorClass::RateLimit, false), &s, at(1.0)).unwrap();
        assert_eq!(c.reason, CooldownReason::RateLimited);
        assert_eq!(c.until, at(6.0), "router cooldown_time 5 s");
        let mut lone = Health::default();
        for i in 0..100 {
            assert_eq!(
                record_failure(
                    &mut lone,
                    &ctx(ErrorClass::RateLimit, true),
                    &s,
                    at(f64::from(i))
                ),
                None
            );
        }
    }

    #[test]
    fn the_failure_rate_rule_needs_five_requests() {
        let s = RouterSettings::default();
        let mut h = Health::default();
        for i in 0..4 {
            assert_eq!(
                record_failure(
                    &mut h,
                    &ctx(ErrorClass::InternalServer, false),
                    &s,
                    at(f64::from(i))
                ),
                None,
                "failure {}",
                i + 1
            );
        }
        let c = record_failure(&mut h, &ctx(ErrorClass::InternalServer, false), &s, at(4.0));
        assert_eq!(c.map(|c| c.reason), Some(CooldownReason::FailureRate));
    }

    #[test]
    fn cooldown_duration_prefers_deployment_then_retry_after_then_router() {
        let s = RouterSettings::default();
        let mut f = ctx(ErrorClass::RateLimit, false);
        f.retry_after = Some(Duration::from_secs(20));
        assert_eq!(
            record_failure(&mut Health::default(), &f, &s, at(0.0))
                .unwrap()
                .until,
            at(20.0)
        );
        f.deployment_cooldown = Some(Duration::from_secs(7));
        assert_eq!(
            record_failure(&mut Health::default(), &f, &s, at(0.0))
                .unwrap()
                .until,
            at(7.0)
        );
        f.deployment_cooldown = Some(Duration::ZERO);
        assert_eq!(
            record_failure(&mut Health::default(), &f, &s, at(0.0)),
            None,
            "0 never cools"
        );
    }

    #[test]
    fn a_404_cools_even_a_lone_deployment_and_a_400_never_cools() {
        let s = RouterSettings::default();
        let c = record_failure(
            &mut Health::default(),
            &ctx(ErrorClass::NotFound, true),
            &s,
            at(0.0),
        );
        assert_eq!(c.map(|c| c.reason), Some(CooldownReason::NonRetryable));
        let mut h = Health::default();
        for i in 0..20 {
            assert_eq!(
                record_failure(
                    &mut h,
                    &ctx(ErrorClass::BadRequest, false),
                    &s,
                    at(f64::from(i))
                ),
                None
            );
        }
    }

    #[test]
    fn allowed_fails_cools_on_the_failure_that_exceeds_it() {
        let s = RouterSettings {
            allowed_fails: Some(1),
            ..RouterSettings::default()
        };
        let mut h = Health::default();
        assert_eq!(
            record_failure(&mut h, &ctx(ErrorClass::InternalServer, false), &s, at(0.0)),
            None
        );
        let c = record_failure(&mut h, &ctx(ErrorClass::InternalServer, false), &s, at(1.0));
        assert_eq!(
            c.map(|c| c.reason),
            Some(CooldownReason::AllowedFailsExceeded)
        );
        let mut lone = Health::default();
        let lone_ctx = ctx(ErrorClass::InternalServer, true);
        for i in 0..5 {
            assert_eq!(
                record_failure(&mut lone, &lone_ctx, &s, at(f64::from(i))),
                None
            );
        }
        let with_fallback = FailureContext {
            has_fallback: true,
            ..lone_ctx
        };
        let mut h = Health::default();
        assert_eq!(record_failure(&mut h, &with_fallback, &s, at(0.0)), None);
        assert!(record_failure(&mut h, &with_fallback, &s, at(1.0)).is_some());
    }

    #[test]
    fn improvements_cool_lone_deployments_extend_and_jitter() {
        let mut s = RouterSettings::default();
        s.improvements.cool_lone_deployments = true;
        let c = record_failure(
            &mut Health::default(),
            &ctx(ErrorClass::RateLimit, true),
            &s,
            at(0.0),
        );
        assert_eq!(
            c.map(|c| c.reason),
            Some(CooldownReason::RateLimited),
            "circuit breaking"
        );

        s.improvements.extend_running_cooldown = true;
        let mut h = Health::default();
        record_failure(&mut h, &ctx(ErrorClass::RateLimit, true), &s, at(0.0));
        let c = record_failure(&mut h, &ctx(ErrorClass::RateLimit, true), &s, at(1.0)).unwrap();
        assert_eq!(
            c.until,
            at(10.0),
            "5 s more from the running end, not from now"
        );

        s.improvements.cooldown_jitter = Some(Duration::from_secs(2));
        let c = record_failure(
            &mut Health::default(),
            &ctx(ErrorClass::RateLimit, true),
            &s,
            at(0.0),
        )
        .unwrap();
        assert!(c.until >= at(5.0) && c.until < at(7.0), "{:?}", c.until);

        let mut strict = RouterSettings::default();
        strict.improvements.failure_rate_min_requests = Some(20);
        let mut h = Health::default();
        for i in 0..19 {
            assert_eq!(
                record_failure(
                    &mut h,
                    &ctx(ErrorClass::InternalServer, false),
                    &strict,
                    at(f64::from(i))
                ),
                None
            );
        }
        assert!(
            record_failure(
                &mut h,
                &ctx(ErrorClass::InternalServer, false),
                &strict,
                at(19.0)
            )
            .is_some()
        );
    }

    #[test]
    fn a_cooldown_remembers_the_failure_that_started_it() {
        let s = RouterSettings::default();
        let mut h = Health::default();
        assert_eq!(h.last_cooldown, None);
        let c = record_failure(&mut h, &ctx(ErrorClass::RateLimit, false), &s, at(2.0)).unwrap();
        let cause = h.last_cooldown.unwrap();
        assert_eq!(
            (cause.since, cause.class, cause.cooldown),
            (at(2.0), ErrorClass::RateLimit, c)
        );
        // A failure that cools nothing leaves the record of the running cooldown alone.
        record_failure(&mut h, &ctx(ErrorClass::BadRequest, false), &s, at(3.0));
        assert_eq!(h.last_cooldown, Some(cause));
    }

    #[test]
    fn disable_cooldowns_turns_everything_off() {
        let s = RouterSettings {
            disable_cooldowns: true,
            ..RouterSettings::default()
        };
        let c = record_failure(
            &mut Health::default(),
            &ctx(ErrorClass::NotFound, false),
            &s,
            at(0.0),
        );
        assert_eq!(c, None);
    }
}
