//! The `fleet` part of a policy's `summary.json`: traffic per gateway instance, the providers'
//! own 429s and each deployment's busiest minute against its configured `rpm`, spend past each
//! budget's limit, and how long instances disagreed about each cooldown.
//!
//! It decides the shape, names and rounding; the figures come from [`FleetStats`].

use std::collections::BTreeMap;

use serde::Serialize;

use super::summary::round;
use crate::metrics::FleetStats;
use crate::router::DeploymentTable;

/// What a policy's gateway instances did together.
#[derive(Debug, Clone, Serialize)]
pub struct FleetSummary {
    /// How many instances.
    pub instances: u32,
    /// Whether they shared state through the store (the config has Redis).
    pub shared_state: bool,
    /// How often each synced, in seconds.
    pub sync_interval_s: f64,
    /// Syncs completed.
    pub syncs: u64,
    /// Syncs whose write did not reach the store.
    pub failed_syncs: u64,
    /// Per instance, in order.
    pub per_instance: Vec<InstanceSummary>,
    /// Per deployment id.
    pub deployments: BTreeMap<String, FleetDeploymentSummary>,
    /// Per budget (`provider:…`, `deployment:…`, `tag:…`).
    pub budgets: BTreeMap<String, FleetBudgetSummary>,
}

/// One instance's traffic.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceSummary {
    /// Requests the load balancer sent it.
    pub requests: u64,
    /// Attempts it sent to providers.
    pub attempts: u64,
}

/// What the fleet did to one deployment.
#[derive(Debug, Clone, Serialize)]
pub struct FleetDeploymentSummary {
    /// The provider's own rate-limit answers (429s).
    pub provider_rate_limited: u64,
    /// The most attempts the fleet sent it in one minute.
    pub peak_minute_requests: u64,
    /// Its configured `rpm`, if any.
    pub rpm: Option<u64>,
    /// `peak_minute_requests / rpm`, if it has an `rpm`.
    pub peak_over_rpm: Option<f64>,
    /// Seconds during which some instances considered it cooling and others did not.
    pub cooldown_disagreement_s: f64,
}

/// What the fleet spent against one budget.
#[derive(Debug, Clone, Serialize)]
pub struct FleetBudgetSummary {
    /// USD per window.
    pub limit: f64,
    /// Windows the fleet's spend opened.
    pub windows: u32,
    /// Spend past the limit, summed over windows.
    pub overshoot_usd: f64,
    /// The largest overshoot of one window.
    pub max_window_overshoot_usd: f64,
}

impl FleetSummary {
    /// The summary of `stats` over `table`'s deployments.
    pub fn new(stats: &FleetStats, table: &DeploymentTable) -> Self {
        FleetSummary {
            instances: stats.instances.len() as u32,
            shared_state: stats.shared_state,
            sync_interval_s: round(stats.sync_interval.as_secs_f64(), 6),
            syncs: stats.syncs,
            failed_syncs: stats.failed_syncs,
            per_instance: stats
                .instances
                .iter()
                .map(|i| InstanceSummary {
                    requests: i.requests,
                    attempts: i.attempts,
                })
                .collect(),
            deployments: table
                .deployments()
                .iter()
                .zip(&stats.deployments)
                .map(|(d, f)| {
                    let rpm = d.config.rpm;
                    let summary = FleetDeploymentSummary {
                        provider_rate_limited: f.provider_rate_limited,
                        peak_minute_requests: f.peak_minute_requests,
                        rpm,
                        peak_over_rpm: rpm
                            .filter(|r| *r > 0)
                            .map(|r| round(f.peak_minute_requests as f64 / r as f64, 6)),
                        cooldown_disagreement_s: round(f.cooldown_disagreement.as_secs_f64(), 6),
                    };
                    (d.config.id.clone(), summary)
                })
                .collect(),
            budgets: stats
                .budgets
                .iter()
                .map(|b| {
                    let summary = FleetBudgetSummary {
                        limit: b.limit,
                        windows: b.windows,
                        overshoot_usd: round(b.overshoot_usd, 6),
                        max_window_overshoot_usd: round(b.max_window_overshoot_usd, 6),
                    };
                    (b.key.clone(), summary)
                })
                .collect(),
        }
    }

    /// The fleet's worst overshoot of a rate limit: the largest `peak_over_rpm`, if any
    /// deployment has an `rpm`.
    pub fn worst_peak_over_rpm(&self) -> Option<f64> {
        self.deployments
            .values()
            .filter_map(|d| d.peak_over_rpm)
            .reduce(f64::max)
    }
}
