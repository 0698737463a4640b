//! Switchyard's improvements over LiteLLM's routing, each a named setting that is off by
//! default.
//!
//! They live outside `router_settings`, because LiteLLM passes those keys to its `Router` as
//! arguments and an unknown key breaks it: in the config's top-level `switchyard_settings`
//! block (LiteLLM does not read it) or in a scenario policy's `switchyard_settings`. This
//! module decides how they are spelled and checked; the router applies them.

use std::time::Duration;

use super::error::InputError;
use super::yaml::Node;

/// The keys of a `switchyard_settings` block.
pub const IMPROVEMENT_KEYS: &[&str] = &[
    "cool_lone_deployments",
    "failure_rate_min_requests",
    "extend_running_cooldown",
    "cooldown_jitter",
    "prefer_untried_deployment",
    "skip_final_wait",
    "usage_exact_rpm",
    "least_busy_exact",
    "final_error_last_group",
    "resend_unsynced_usage",
    "redis_sync_interval",
    "explain_history",
    "explain_every_request",
    "allow_client_mock_response",
];

/// The improvements in force. `Default` is LiteLLM's behaviour.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Improvements {
    /// Circuit breaking for lone deployments: a single-deployment group is cooled by the same
    /// rules as any other (LiteLLM exempts it), so a dead primary stops costing every request
    /// its full retries before the fallback.
    pub cool_lone_deployments: bool,
    /// Minimum requests in the window before the failure-rate rule may cool (LiteLLM: 5).
    pub failure_rate_min_requests: Option<u32>,
    /// A failure while a cooldown runs extends it by a full cooldown from its current end
    /// (LiteLLM restarts it from now).
    pub extend_running_cooldown: bool,
    /// Each cooldown ends up to this much later, drawn at random, so recovering providers are
    /// not hit by every instance at once.
    pub cooldown_jitter: Option<Duration>,
    /// A retry prefers a deployment this request has not tried yet in the group.
    pub prefer_untried_deployment: bool,
    /// No backoff after the last failed attempt of a lone group (LiteLLM waits once more).
    pub skip_final_wait: bool,
    /// Usage-based routing serves exactly `rpm` requests a minute (LiteLLM refuses a
    /// deployment once `requests + 1 >= rpm`, except in a minute it has not been sent any).
    pub usage_exact_rpm: bool,
    /// least-busy counts every attempt in flight, including those chosen at the same instant,
    /// and breaks ties at random (LiteLLM counts an attempt only once it has started, after
    /// the choice, and ties go to the first deployment, so a burst piles onto one).
    pub least_busy_exact: bool,
    /// A request whose every group failed ends with the last group's error (LiteLLM returns
    /// the primary group's).
    pub final_error_last_group: bool,
    /// With several instances sharing a store: usage counts whose write to the store failed go
    /// again with the next sync (LiteLLM drops a usage batch its push to Redis could not
    /// write, so a store outage loses that usage fleet-wide; spend it keeps either way).
    pub resend_unsynced_usage: bool,
    /// How often `serve` syncs its shared state with Redis when several instances share one
    /// (LiteLLM: `DEFAULT_REDIS_SYNC_INTERVAL`, 1 s). Not a routing rule: it only sets how
    /// stale one instance's view of the others may be.
    pub redis_sync_interval: Option<Duration>,
    /// How many recent requests' explanations `serve` keeps for `GET /router/explain/<id>`
    /// (default [`DEFAULT_EXPLAIN_HISTORY`]; 0 keeps none). Not a routing rule.
    pub explain_history: Option<usize>,
    /// `serve` explains every request into that history, not only those that ask with
    /// `x-switchyard-explain: true` (costs a trace per request). Not a routing rule.
    pub explain_every_request: bool,
    /// `serve` answers a request's own `mock_response` without calling an upstream (LiteLLM
    /// 1.108.7's proxy strips it unless the caller's virtual key or team allows it, and
    /// Switchyard has no virtual keys). Not a routing rule.
    pub allow_client_mock_response: bool,
}

/// How many explanations `serve` keeps when `explain_history` is not set.
pub const DEFAULT_EXPLAIN_HISTORY: usize = 1000;
/// The most `explain_history` may ask for (an explanation is about a kilobyte).
pub const MAX_EXPLAIN_HISTORY: u32 = 1_000_000;

impl Improvements {
    /// Reads a `switchyard_settings` mapping; unknown keys are errors.
    pub fn parse(node: &Node<'_>) -> Result<Improvements, InputError> {
        node.deny_unknown_keys(IMPROVEMENT_KEYS)?;
        let mut out = Improvements::default();
        for (key, value) in node.entries()? {
            if value.is_null() {
                continue;
            }
            match key {
                "cool_lone_deployments" => out.cool_lone_deployments = value.bool()?,
                "failure_rate_min_requests" => {
                    out.failure_rate_min_requests = Some(value.u32()?);
                }
                "extend_running_cooldown" => out.extend_running_cooldown = value.bool()?,
                "cooldown_jitter" => {
                    out.cooldown_jitter = Some(super::units::duration(&value)?);
                }
                "prefer_untried_deployment" => out.prefer_untried_deployment = value.bool()?,
                "skip_final_wait" => out.skip_final_wait = value.bool()?,
                "usage_exact_rpm" => out.usage_exact_rpm = value.bool()?,
                "least_busy_exact" => out.least_busy_exact = value.bool()?,
                "final_error_last_group" => out.final_error_last_group = value.bool()?,
                "resend_unsynced_usage" => out.resend_unsynced_usage = value.bool()?,
                "redis_sync_interval" => {
                    let interval = super::units::duration(&value)?;
                    if interval.is_zero() {
                        return Err(value.expected("a positive duration (e.g. 1s, 250ms)"));
                    }
                    out.redis_sync_interval = Some(interval);
                }
                "explain_history" => {
                    let kept = value.u32()?;
                    if kept > MAX_EXPLAIN_HISTORY {
                        return Err(value.expected("at most 1000000 explanations"));
                    }
                    out.explain_history = Some(kept as usize);
                }
                "explain_every_request" => out.explain_every_request = value.bool()?,
                "allow_client_mock_response" => {
                    out.allow_client_mock_response = value.bool()?;
                }
                _ => unreachable!("deny_unknown_keys admitted only known keys"),
            }
        }
        Ok(out)
    }
}
