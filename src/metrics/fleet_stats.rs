//! What a fleet of gateway instances did together: traffic per instance, the providers' own
//! 429s and the busiest minute each deployment saw, spend past each budget's limit per window
//! (the fleet's true spend: the store's view plus what instances had not synced yet), and how
//! long instances disagreed about each deployment's cooldown.
//!
//! It counts and sweeps what the engine reports as it happens; it decides nothing about routing
//! or syncing and formats nothing.

use std::time::Duration;

use crate::time::Time;

/// Requests and attempts one instance handled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InstanceTraffic {
    /// Requests the load balancer sent it.
    pub requests: u64,
    /// Attempts it sent to providers.
    pub attempts: u64,
}

/// What the fleet did to one deployment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FleetDeployment {
    /// The provider's own rate-limit answers (429s).
    pub provider_rate_limited: u64,
    /// The most attempts the fleet sent it in one usage minute.
    pub peak_minute_requests: u64,
    /// Time during which some instances considered it cooling and others did not.
    pub cooldown_disagreement: Duration,
    minute: u64,
    in_minute: u64,
    /// Per instance, the merged intervals `[from, until)` it considered the deployment cooling.
    cooling: Vec<Vec<(Time, Time)>>,
}

/// What the fleet spent against one budget.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetBudget {
    /// The budget's key (`provider:openai`, …).
    pub key: String,
    /// USD per window.
    pub limit: f64,
    /// Windows the fleet's spend opened.
    pub windows: u32,
    /// Spend past the limit, summed over windows.
    pub overshoot_usd: f64,
    /// The largest overshoot of one window.
    pub max_window_overshoot_usd: f64,
    period: Duration,
    open: Option<(Time, f64)>,
}

impl FleetBudget {
    fn close(&mut self) {
        if let Some((_, spent)) = self.open.take() {
            let over = (spent - self.limit).max(0.0);
            self.overshoot_usd += over;
            self.max_window_overshoot_usd = self.max_window_overshoot_usd.max(over);
        }
    }
}

/// A fleet run's aggregates.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetStats {
    /// Whether the instances shared state through the store (the config has Redis).
    pub shared_state: bool,
    /// The sync interval.
    pub sync_interval: Duration,
    /// Per instance.
    pub instances: Vec<InstanceTraffic>,
    /// Syncs that completed (delta written, totals applied).
    pub syncs: u64,
    /// Syncs whose write did not reach the store.
    pub failed_syncs: u64,
    /// Per deployment, in `model_list` order.
    pub deployments: Vec<FleetDeployment>,
    /// Per budget, in the router's order.
    pub budgets: Vec<FleetBudget>,
}

impl FleetStats {
    /// Empty aggregates for `instances` instances and `deployments` deployments.
    pub fn new(
        instances: u32,
        deployments: usize,
        shared_state: bool,
        sync_interval: Duration,
    ) -> Self {
        let n = instances as usize;
        let deployment = FleetDeployment {
            cooling: vec![Vec::new(); n],
            ..FleetDeployment::default()
        };
        FleetStats {
            shared_state,
            sync_interval,
            instances: vec![InstanceTraffic::default(); n],
            syncs: 0,
            failed_syncs: 0,
            deployments: vec![deployment; deployments],
            budgets: Vec::new(),
        }
    }

    /// Adds a budget to follow, in the router's order.
    pub fn add_budget(&mut self, key: String, limit: f64, period: Duration) {
        self.budgets.push(FleetBudget {
            key,
            limit,
            windows: 0,
            overshoot_usd: 0.0,
            max_window_overshoot_usd: 0.0,
            period,
            open: None,
        });
    }

    /// The load balancer sent a request to `instance`.
    pub fn arrival(&mut self, instance: u32) {
        self.instances[instance as usize].requests += 1;
    }

    /// `instance` sent an attempt to `deployment` at `now`.
    pub fn attempt(&mut self, instance: u32, deployment: usize, now: Time) {
        self.instances[instance as usize].attempts += 1;
        let d = &mut self.deployments[deployment];
        let minute = now.minute();
        if minute != d.minute {
            d.peak_minute_requests = d.peak_minute_requests.max(d.in_minute);
            d.minute = minute;
            d.in_minute = 0;
        }
        d.in_minute += 1;
    }

    /// `deployment`'s provider answered an attempt with a 429.
    pub fn provider_rate_limited(&mut self, deployment: usize) {
        self.deployments[deployment].provider_rate_limited += 1;
    }

    /// `instance` considers `deployment` cooling from `from` until `until`.
    pub fn cooling(&mut self, instance: u32, deployment: usize, from: Time, until: Time) {
        if until <= from {
            return;
        }
        let spans = &mut self.deployments[deployment].cooling[instance as usize];
        match spans.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(until),
            _ => spans.push((from, until)),
        }
    }

    /// The fleet spent `cost` against budget `index` at `now`.
    pub fn spent(&mut self, index: usize, cost: f64, now: Time) {
        let Some(b) = self.budgets.get_mut(index) else {
            return;
        };
        if b.open.is_some_and(|(start, _)| now >= start + b.period) {
            b.close();
        }
        if b.open.is_none() {
            b.windows += 1;
        }
        b.open.get_or_insert((now, 0.0)).1 += cost;
    }

    /// A sync finished: its write reached the store (`ok`) or not.
    pub fn synced(&mut self, ok: bool) {
        if ok {
            self.syncs += 1;
        } else {
            self.failed_syncs += 1;
        }
    }

    /// Closes the run at `end`: the last minutes, windows and cooldown spans are counted.
    pub fn finish(&mut self, end: Time) {
        let n = self.instances.len();
        for d in &mut self.deployments {
            d.peak_minute_requests = d.peak_minute_requests.max(d.in_minute);
            d.cooldown_disagreement = disagreement(&d.cooling, n, end);
        }
        for b in &mut self.budgets {
            b.close();
        }
    }
}

/// How long some but not all of `n` instances held a span, each instance's spans disjoint and
/// clipped at `end`.
fn disagreement(spans: &[Vec<(Time, Time)>], n: usize, end: Time) -> Duration {
    let mut edges: Vec<(Time, i64)> = spans
        .iter()
        .flatten()
        .filter(|(from, _)| *from < end)
        .flat_map(|&(from, until)| [(from, 1), (until.min(end), -1)])
        .collect();
    edges.sort_by_key(|&(t, step)| (t, step));
    let mut holding = 0i64;
    let mut total = Duration::ZERO;
    let mut last = Time::ZERO;
    for (t, step) in edges {
        if holding > 0 && (holding as usize) < n {
            total += t - last;
        }
        holding += step;
        last = t;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: f64) -> Time {
        Time::from_secs_f64(s)
    }

    #[test]
    fn disagreement_is_the_time_some_but_not_all_instances_cool() {
        let mut stats = FleetStats::new(2, 1, true, Duration::from_secs(1));
        stats.cooling(0, 0, at(10.0), at(15.0));
        stats.cooling(1, 0, at(11.5), at(15.0));
        stats.cooling(0, 0, at(30.0), at(35.0));
        stats.finish(at(100.0));
        let d = stats.deployments[0].cooldown_disagreement.as_secs_f64();
        assert!((d - 6.5).abs() < 1e-9, "{d}");
    }

    #[test]
    fn the_peak_minute_and_budget_overshoot_per_window() {
        let mut stats = FleetStats::new(1, 1, false, Duration::from_secs(1));
        stats.add_budget("provider:openai".into(), 1.0, Duration::from_secs(60));
        for s in [1.0, 2.0, 61.0, 62.0, 63.0] {
            stats.attempt(0, 0, at(s));
        }
        for (s, cost) in [(0.0, 0.8), (10.0, 0.5), (70.0, 0.4), (80.0, 0.9)] {
            stats.spent(0, cost, at(s));
        }
        stats.finish(at(100.0));
        assert_eq!(stats.deployments[0].peak_minute_requests, 3);
        let b = &stats.budgets[0];
        assert_eq!(b.windows, 2);
        assert!((b.overshoot_usd - 0.6).abs() < 1e-9, "{}", b.overshoot_usd);
        assert!((b.max_window_overshoot_usd - 0.3).abs() < 1e-9);
    }
}
