//! `summary.json`: one run's aggregates per policy, in a stable shape and byte-stable order.
//!
//! Field names are a contract (later capabilities add fields; these stay). Maps are `BTreeMap`s
//! so the bytes depend only on the run. It decides the shape, names and rounding; it must not
//! aggregate (the figures come from [`PolicyStats`]).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::metrics::{LatencySummary, PolicyStats};
use crate::router::DeploymentTable;

/// The whole file.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Seed of the run.
    pub seed: u64,
    /// Arrival window in seconds.
    pub duration_s: f64,
    /// The version of Switchyard that wrote the file.
    pub switchyard_version: String,
    /// Present only when the run was stopped before the end of its arrival window (Ctrl-C):
    /// what the figures cover.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial: Option<Partial>,
    /// Per policy (a policy stopped before its first arrival is left out and named in
    /// `partial.not_run`).
    pub policies: BTreeMap<String, PolicySummary>,
}

/// What a stopped run's summary covers: each policy that ran took the arrivals before its own
/// `stopped_at_s` and finished every one of them, so its figures are consistent among themselves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Partial {
    /// Why the run stopped: `"interrupted"`.
    pub reason: &'static str,
    /// The earliest instant (seconds) at which a policy that ran stopped taking arrivals:
    /// arrivals before it are covered for every policy that ran, or null when none ran.
    pub stopped_at_s: Option<f64>,
    /// Policies asked to stop before their first arrival: nothing of theirs was simulated.
    pub not_run: Vec<String>,
}

impl Partial {
    /// The marking of a run whose policies produced `stats` (in run order): `None` when every
    /// policy took its whole arrival window.
    pub fn of(stats: &[(String, PolicyStats)]) -> Option<Partial> {
        if stats.iter().all(|(_, s)| s.stopped_at.is_none()) {
            return None;
        }
        let stopped_at_s = stats
            .iter()
            .filter(|(_, s)| !never_ran(s))
            .filter_map(|(_, s)| s.stopped_at)
            .min()
            .map(|t| round(t.as_secs_f64(), 6));
        let not_run = stats
            .iter()
            .filter(|(_, s)| never_ran(s))
            .map(|(name, _)| name.clone())
            .collect();
        Some(Partial {
            reason: "interrupted",
            stopped_at_s,
            not_run,
        })
    }
}

/// Whether a policy was asked to stop before its first arrival (so it simulated nothing).
pub fn never_ran(stats: &PolicyStats) -> bool {
    stats.stopped_at.is_some() && stats.requests == 0
}

/// One policy's figures.
#[derive(Debug, Clone, Serialize)]
pub struct PolicySummary {
    /// Requests that arrived (and ended).
    pub requests: u64,
    /// Requests served.
    pub succeeded: u64,
    /// Requests failed.
    pub failed: u64,
    /// succeeded / requests.
    pub success_rate: f64,
    /// Latency of served requests, arrival to last token.
    pub latency_ms: LatencySummary,
    /// Time to first token of served requests, arrival to first token.
    pub ttft_ms: TtftMs,
    /// Attempts in all.
    pub attempts: u64,
    /// Retries in all.
    pub retries: u64,
    /// Attempted fallbacks in all (each request's count as LiteLLM reports it).
    pub fallbacks: u64,
    /// Spend on served requests.
    pub cost_usd: f64,
    /// Failed requests by final error class.
    pub errors: BTreeMap<String, u64>,
    /// Per deployment id.
    pub deployments: BTreeMap<String, DeploymentSummary>,
    /// Every cooldown: deployment id, start and end in seconds, reason.
    pub cooldown_events: Vec<CooldownEventSummary>,
    /// Requests that fell back, by path (`"gpt-4o>gpt-4o-mini"`).
    pub fallbacks_by_path: BTreeMap<String, u64>,
    /// Requests by number of attempts (`"1"`, `"2"`, …).
    pub attempts_histogram: BTreeMap<String, u64>,
    /// Budgets: `provider:…`, `deployment:…`, `tag:…`.
    pub budgets: BTreeMap<String, BudgetSummary>,
    /// Client retries in all (gateway calls after each user request's first), only when the
    /// workload's clients retry by themselves; `attempts` and `retries` then count all calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_retries: Option<u64>,
    /// Provider attempts per user request, only when clients retry by themselves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts_per_request: Option<f64>,
    /// Present (true) only when a closed loop stopped sending at the request limit.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub request_limit_reached: bool,
    /// What the gateway instances did together, only when the policy ran on several
    /// (`instances:`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet: Option<super::fleet_summary::FleetSummary>,
    /// When this policy stopped taking arrivals (seconds), only when the run was stopped
    /// before the end of its window; it covers the arrivals before this instant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_at_s: Option<f64>,
    /// Deployment ids in `model_list` order, for display.
    #[serde(skip)]
    pub deployment_order: Vec<String>,
}

/// Time to first token in milliseconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct TtftMs {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
}

/// One budget at the end of the run.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetSummary {
    /// USD per period.
    pub limit: f64,
    /// Spend over the whole run.
    pub spent: f64,
    /// When spend first reached the limit (seconds), or null.
    pub exhausted_at_s: Option<f64>,
    /// Windows opened after the first.
    pub window_resets: u32,
}

/// One cooldown.
#[derive(Debug, Clone, Serialize)]
pub struct CooldownEventSummary {
    /// The deployment's id.
    pub deployment: String,
    /// Start, seconds since the run's start.
    pub start_s: f64,
    /// End, seconds since the run's start.
    pub end_s: f64,
    /// Why.
    pub reason: &'static str,
}

/// A fallback path's display form: group names joined by `>` (`?` for an unknown name).
pub fn path_name(path: &[crate::metrics::PathStep], table: &DeploymentTable) -> String {
    path.iter()
        .map(|g| g.map_or("?", |g| table.group(g).name.as_str()))
        .collect::<Vec<_>>()
        .join(">")
}

/// One deployment's counters.
#[derive(Debug, Clone, Serialize)]
pub struct DeploymentSummary {
    /// Its model group.
    pub model_name: String,
    /// A readable label: the id when short, else `litellm model @ api_base host`.
    pub label: String,
    /// Requests it served.
    pub served: u64,
    /// Its share of the policy's served requests.
    pub share: f64,
    /// Attempts sent to it.
    pub attempts: u64,
    /// Attempts that failed.
    pub failures: u64,
    /// Times it was cooled down.
    pub cooldowns: u64,
}

/// Rounds to `digits` decimals so the file reads well (values stay exact to that precision).
pub fn round(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

/// A deployment's readable label: its id when short, else its model and api_base host.
pub fn label(d: &crate::config::DeploymentConfig) -> String {
    if d.id.chars().count() <= 24 {
        return d.id.clone();
    }
    match d.api_base_text() {
        Some(base) => {
            let host = base
                .split("://")
                .nth(1)
                .unwrap_or(base)
                .split('/')
                .next()
                .unwrap_or(base);
            format!("{}@{host}", d.model)
        }
        None => d.model.clone(),
    }
}

impl PolicySummary {
    /// The summary of `stats` over `table`'s deployments.
    pub fn new(stats: &PolicyStats, table: &DeploymentTable) -> Self {
        let (ttft_p50, ttft_p99) = stats.ttft_ms();
        PolicySummary {
            requests: stats.requests,
            succeeded: stats.succeeded,
            failed: stats.failed,
            success_rate: round(stats.success_rate(), 6),
            latency_ms: stats.latency_ms().map(|x| round(x, 3)),
            ttft_ms: TtftMs {
                p50: round(ttft_p50, 3),
                p99: round(ttft_p99, 3),
            },
            attempts: stats.attempts,
            retries: stats.retries,
            fallbacks: stats.fallbacks,
            cost_usd: round(stats.cost_usd, 6),
            errors: stats
                .errors_by_class()
                .map(|(c, n)| (c.name().to_string(), n))
                .collect(),
            deployments: table
                .deployments()
                .iter()
                .zip(&stats.deployments)
                .map(|(d, s)| {
                    (
                        d.config.id.clone(),
                        DeploymentSummary {
                            model_name: d.config.model_name.clone(),
                            label: label(&d.config),
                            served: s.served,
                            share: if stats.succeeded == 0 {
                                0.0
                            } else {
                                round(s.served as f64 / stats.succeeded as f64, 6)
                            },
                            attempts: s.attempts,
                            failures: s.failures,
                            cooldowns: s.cooldowns,
                        },
                    )
                })
                .collect(),
            cooldown_events: stats
                .cooldown_events
                .iter()
                .map(|e| CooldownEventSummary {
                    deployment: table.deployment(e.deployment).config.id.clone(),
                    start_s: round(e.start.as_secs_f64(), 6),
                    end_s: round(e.end.as_secs_f64(), 6),
                    reason: e.reason.name(),
                })
                .collect(),
            fallbacks_by_path: stats
                .fallbacks_by_path
                .iter()
                .map(|(path, n)| (path_name(path, table), *n))
                .collect(),
            attempts_histogram: stats
                .attempts_histogram
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(a, n)| (a.to_string(), *n))
                .collect(),
            budgets: stats
                .budgets
                .iter()
                .map(|b| {
                    (
                        b.key.clone(),
                        BudgetSummary {
                            limit: b.limit,
                            spent: round(b.spent, 6),
                            exhausted_at_s: b.exhausted_at.map(|t| round(t.as_secs_f64(), 6)),
                            window_resets: b.window_resets,
                        },
                    )
                })
                .collect(),
            client_retries: stats.uses_client_retries.then_some(stats.client_retries),
            attempts_per_request: stats.uses_client_retries.then(|| {
                if stats.requests == 0 {
                    0.0
                } else {
                    round(stats.attempts as f64 / stats.requests as f64, 6)
                }
            }),
            request_limit_reached: stats.request_limit_reached,
            fleet: stats
                .fleet
                .as_ref()
                .map(|f| super::fleet_summary::FleetSummary::new(f, table)),
            stopped_at_s: stats.stopped_at.map(|t| round(t.as_secs_f64(), 6)),
            deployment_order: table
                .deployments()
                .iter()
                .map(|d| d.config.id.clone())
                .collect(),
        }
    }
}
