//! The router's state as operators see it: `GET /router/cooldowns` (every deployment cooling,
//! since when, until when, why, and its failure counts), `GET /router/budgets` (every budget's
//! limit, spend and window) and `GET /router/usage` (this minute's requests and tokens per
//! deployment beside its `rpm`/`tpm`). All are behind the master key and answer JSON;
//! docs/live.md shows their shapes.
//!
//! Each reads the router once under its lock, copying a few numbers and names per deployment or
//! budget, and serialises its answer after releasing it. It decides only what is shown and in
//! which shape; it changes no state and makes no routing decision.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::Proxy;
use super::auth;
use super::errors::ApiError;
use crate::router::{BudgetScope, CooldownCause, DeploymentIdx, Router};
use crate::time::Time;

/// An instant on the proxy's clock, as Unix seconds and in ISO 8601 (UTC, milliseconds).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Instant {
    /// Seconds since the Unix epoch.
    pub unix_s: f64,
    /// The same instant, e.g. `2026-11-26T02:10:00.123Z`.
    pub iso: String,
}

impl Instant {
    /// `at` in both forms.
    pub fn of(at: Time) -> Instant {
        let nanos = at.as_nanos();
        let iso = i64::try_from(nanos / 1_000_000_000)
            .ok()
            .and_then(|s| chrono::DateTime::from_timestamp(s, (nanos % 1_000_000_000) as u32))
            .map_or_else(String::new, |t| {
                t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            });
        Instant {
            unix_s: at.as_secs_f64(),
            iso,
        }
    }
}

/// One cooling deployment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CooldownView {
    /// The deployment's id (`model_info.id`).
    pub deployment: String,
    /// Its model group.
    pub model_group: String,
    /// When the failure that cooled it happened (`None`: another instance of the fleet cooled
    /// it and this one learnt the deadline through the shared store).
    pub since: Option<Instant>,
    /// When it is eligible again.
    pub until: Instant,
    /// Seconds left on the proxy's clock.
    pub remaining_s: f64,
    /// The rule that cooled it: `rate_limited`, `failure_rate`, `all_failing`,
    /// `non_retryable`, `allowed_fails_exceeded`, or `fleet` (another instance).
    pub reason: &'static str,
    /// The failure's class (`rate_limit`, `internal_server`, …), when this instance saw it.
    pub error_class: Option<&'static str>,
    /// The status of that class.
    pub status: Option<u16>,
    /// The counts the cooldown rules read now.
    pub counts: FailureCounts,
}

/// A deployment's counts as the cooldown rules read them: LiteLLM's in-memory counters, which
/// expire a while after their last increment (60 s for successes and failures; the cooldown
/// time for the `allowed_fails` count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FailureCounts {
    /// Successful attempts.
    pub successes: u32,
    /// Failed attempts.
    pub failures: u32,
    /// Failures counted against `allowed_fails` (only with `allowed_fails` or a policy).
    pub allowed_fails_counted: u32,
}

/// One budget.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetView {
    /// `provider`, `deployment` or `tag`.
    pub scope: &'static str,
    /// The provider, deployment id or tag it limits.
    pub name: String,
    /// USD per window.
    pub limit_usd: f64,
    /// Spent in the running window (0 when none runs).
    pub spent_usd: f64,
    /// What is left of the limit (never below 0).
    pub remaining_usd: f64,
    /// Whether the budget is used up: the deployments it covers are skipped.
    pub exhausted: bool,
    /// The window's length in seconds.
    pub period_s: f64,
    /// The running window's start (`None`: none runs; the next spend opens one).
    pub window_start: Option<Instant>,
    /// Its end.
    pub window_end: Option<Instant>,
}

/// One deployment's usage in the current minute.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageView {
    /// The deployment's id.
    pub deployment: String,
    /// Its model group.
    pub model_group: String,
    /// Attempts sent to it this minute (counted at dispatch, failures included).
    pub requests: u32,
    /// Its `rpm`, if set.
    pub rpm: Option<u64>,
    /// Input plus output tokens of its successes this minute.
    pub tokens: u64,
    /// Its `tpm`, if set.
    pub tpm: Option<u64>,
    /// Attempts in flight now.
    pub in_flight: u32,
}

/// The cooldowns running at `now`, in table order.
pub fn cooldowns(router: &Router, now: Time) -> Vec<CooldownView> {
    let table = router.table();
    (0..table.deployments().len())
        .map(|i| DeploymentIdx(i as u32))
        .filter(|d| router.health(*d).is_cooling(now))
        .map(|d| {
            let health = router.health(d);
            let until = health.cooling_until;
            // A deadline this instance did not set came from another instance of the fleet.
            let own = health
                .last_cooldown
                .filter(|c: &CooldownCause| c.cooldown.until == until);
            let deployment = table.deployment(d);
            CooldownView {
                deployment: deployment.config.id.clone(),
                model_group: table.group(deployment.group).name.clone(),
                since: own.map(|c| Instant::of(c.since)),
                until: Instant::of(until),
                remaining_s: (until - now).as_secs_f64(),
                reason: own.map_or("fleet", |c| c.cooldown.reason.name()),
                error_class: own.map(|c| c.class.name()),
                status: own.map(|c| c.class.status()),
                counts: FailureCounts {
                    successes: health.successes.get(now),
                    failures: health.failures.get(now),
                    allowed_fails_counted: health.allowed_fails.get(now),
                },
            }
        })
        .collect()
}

/// Every budget at `now`: providers, then deployments, then tags.
pub fn budgets(router: &Router, now: Time) -> Vec<BudgetView> {
    router
        .budgets()
        .map(|(b, window)| {
            let (scope, name) = match router.budget_scope(b) {
                BudgetScope::Provider(p) => ("provider", p),
                BudgetScope::Deployment(d) => ("deployment", d),
                BudgetScope::Tag(t) => ("tag", t),
            };
            let spent = window.spent(now);
            let start = window.window_start(now);
            BudgetView {
                scope,
                name,
                limit_usd: window.limit,
                spent_usd: spent,
                remaining_usd: (window.limit - spent).max(0.0),
                exhausted: window.exhausted(now),
                period_s: window.period.as_secs_f64(),
                window_start: start.map(Instant::of),
                window_end: start.map(|s| Instant::of(s + window.period)),
            }
        })
        .collect()
}

/// Every deployment's usage in `now`'s minute, in table order.
pub fn usage(router: &Router, now: Time) -> Vec<UsageView> {
    let table = router.table();
    table
        .deployments()
        .iter()
        .enumerate()
        .map(|(i, deployment)| {
            let d = DeploymentIdx(i as u32);
            let minute = router.minute_usage(d);
            UsageView {
                deployment: deployment.config.id.clone(),
                model_group: table.group(deployment.group).name.clone(),
                requests: minute.requests(now),
                rpm: deployment.config.rpm,
                tokens: minute.tokens(now),
                tpm: deployment.config.tpm,
                in_flight: router.live().get(d).in_flight,
            }
        })
        .collect()
}

/// Runs `view` on the router under its lock once, at the proxy's now, and answers
/// `{"now": …, key: view}`; 401 without the master key.
fn answer<T: Serialize>(
    proxy: &Proxy,
    headers: &HeaderMap,
    key: &str,
    view: impl FnOnce(&Router, Time) -> T,
) -> Response {
    if !auth::allowed(proxy.master_key.as_deref(), headers) {
        return ApiError::new(401, "Authentication Error: invalid or missing proxy key")
            .into_response();
    }
    let now = proxy.clock.now();
    let shown = proxy.core.with(|c| view(&c.router, now));
    let mut body = serde_json::Map::new();
    body.insert("now".into(), serde_json::json!(Instant::of(now)));
    body.insert(key.into(), serde_json::json!(shown));
    axum::Json(body).into_response()
}

/// `GET /router/cooldowns`.
pub(super) async fn get_cooldowns(State(proxy): State<Arc<Proxy>>, headers: HeaderMap) -> Response {
    answer(&proxy, &headers, "cooldowns", cooldowns)
}

/// `GET /router/budgets`.
pub(super) async fn get_budgets(State(proxy): State<Arc<Proxy>>, headers: HeaderMap) -> Response {
    answer(&proxy, &headers, "budgets", budgets)
}

/// `GET /router/usage`.
pub(super) async fn get_usage(State(proxy): State<Arc<Proxy>>, headers: HeaderMap) -> Response {
    answer(&proxy, &headers, "usage", usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_is_shown_in_unix_seconds_and_iso_8601() {
        let at = Time::from_nanos(1_795_660_200_123_000_000);
        let shown = Instant::of(at);
        assert_eq!(shown.iso, "2026-11-26T02:30:00.123Z");
        assert!((shown.unix_s - 1_795_660_200.123).abs() < 1e-6);
    }

    /// A router over two deployments of one group, `a` and `b`.
    fn router() -> Router {
        let text = "model_list:\n  - {model_name: g, litellm_params: {model: openai/m}, model_info: {id: a}}\n  - {model_name: g, litellm_params: {model: openai/m}, model_info: {id: b}}\n";
        let config = crate::config::LitellmConfig::from_str(
            text,
            "c.yaml",
            std::path::Path::new("."),
            &std::collections::BTreeMap::new(),
        )
        .unwrap();
        Router::new(&config.deployments, config.settings)
    }

    #[test]
    fn a_cooldown_this_instance_learnt_from_the_fleet_says_so() {
        let mut r = router();
        let at = Time::from_secs_f64;
        assert!(cooldowns(&r, at(1.0)).is_empty());
        let totals = crate::router::sync::SyncTotals {
            cooldowns: vec![crate::router::sync::CooldownMark {
                deployment: "b".into(),
                until: at(9.0),
            }],
            ..Default::default()
        };
        r.apply_sync_totals(&totals, at(1.0));
        let shown = cooldowns(&r, at(2.0));
        assert_eq!(shown.len(), 1);
        assert_eq!(
            (shown[0].deployment.as_str(), shown[0].reason),
            ("b", "fleet")
        );
        assert_eq!((shown[0].since.clone(), shown[0].error_class), (None, None));
        assert!((shown[0].remaining_s - 7.0).abs() < 1e-9);
        assert!(cooldowns(&r, at(9.0)).is_empty(), "over at its end");
        let usage = usage(&r, at(2.0));
        assert_eq!(usage.len(), 2);
        assert_eq!((usage[0].requests, usage[0].tokens), (0, 0));
        assert!(budgets(&r, at(2.0)).is_empty(), "no budget configured");
    }
}
