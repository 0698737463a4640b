//! A comparison's sync-interval sweep: the policies that differ only in their instances'
//! `sync_interval`, and what each interval let the fleet overshoot.
//!
//! It decides which policies form the sweep (the largest group of policies sharing state whose
//! settings and `instances:` are equal but for the interval, with at least two intervals) and
//! reads each run's overshoot; averaging and drawing are the comparison's and the report's.

use crate::metrics::PolicyStats;
use crate::router::DeploymentTable;
use crate::scenario::{Policy, Scenario};
use crate::sim::fleet::shares_state;

/// Whether `a` and `b` differ at most in their sync interval, both on a fleet sharing state.
fn same_but_interval(a: &Policy, b: &Policy) -> bool {
    let (Some(fa), Some(fb)) = (&a.fleet, &b.fleet) else {
        return false;
    };
    let mut fb = fb.clone();
    fb.sync_interval = fa.sync_interval;
    shares_state(&a.settings) && a.settings == b.settings && *fa == fb
}

/// The indexes of the policies of `scenario` forming its sync-interval sweep, in order of
/// interval; empty when there is none.
pub fn sweep(scenario: &Scenario) -> Vec<usize> {
    let policies = &scenario.policies;
    let mut best: Vec<usize> = Vec::new();
    for p in policies {
        let group: Vec<usize> = (0..policies.len())
            .filter(|&j| same_but_interval(p, &policies[j]))
            .collect();
        if group.len() > best.len() {
            best = group;
        }
    }
    let interval = |i: &usize| policies[*i].fleet.as_ref().map(|f| f.sync_interval);
    best.sort_by_key(interval);
    best.dedup_by_key(|i| interval(i));
    if best.len() < 2 { Vec::new() } else { best }
}

/// A run's overshoot: the busiest minute over the configured `rpm` minus one (worst
/// deployment, 0 when none has an `rpm`), the providers' 429s and the spend past budget limits.
pub fn overshoot(stats: &PolicyStats, table: &DeploymentTable) -> [f64; 3] {
    let Some(fleet) = &stats.fleet else {
        return [0.0; 3];
    };
    let rpm_overshoot = table
        .deployments()
        .iter()
        .zip(&fleet.deployments)
        .filter_map(|(d, f)| {
            let rpm = d.config.rpm.filter(|r| *r > 0)?;
            Some(f.peak_minute_requests as f64 / rpm as f64 - 1.0)
        })
        .fold(0.0, f64::max);
    let limited = fleet
        .deployments
        .iter()
        .map(|d| d.provider_rate_limited)
        .sum::<u64>();
    let budget = fleet
        .budgets
        .iter()
        .fold(0.0, |sum, b| sum + b.overshoot_usd);
    [rpm_overshoot, limited as f64, budget]
}
