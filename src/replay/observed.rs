//! What actually happened, as the log says: the figures a replay of the current config is held
//! against (success rate, latency percentiles, spend, per-deployment shares of served
//! requests).
//!
//! It decides how the log's outcome is summarised; latency quantiles are exact (nearest rank
//! over the logged durations of served requests). It must not simulate or format.

use rayon::prelude::*;

use crate::replay::traffic::RecordedTraffic;

/// The log's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedOutcome {
    /// Requests logged.
    pub requests: u64,
    /// Of those, served.
    pub succeeded: u64,
    /// Latency (arrival to last byte) of served requests: p50, p95, p99 in milliseconds.
    pub latency_ms: [f64; 3],
    /// Spend, summed over requests that logged one; `None` when none did.
    pub cost_usd: Option<f64>,
    /// Served requests per logged deployment ([`RecordedTraffic::deployments`] order).
    pub served_by: Vec<u64>,
}

impl LoggedOutcome {
    /// Share of requests served (1 when there were none).
    pub fn success_rate(&self) -> f64 {
        if self.requests == 0 {
            1.0
        } else {
            self.succeeded as f64 / self.requests as f64
        }
    }
}

/// The outcome `traffic` records.
pub fn logged_outcome(traffic: &RecordedTraffic) -> LoggedOutcome {
    let mut served_by = vec![0u64; traffic.deployments.len()];
    let mut latencies = Vec::with_capacity(traffic.requests.len());
    let mut cost: Option<f64> = None;
    for r in traffic.requests.iter().filter(|r| r.error.is_none()) {
        latencies.push(r.duration.as_secs_f64() * 1000.0);
        if let Some(d) = r.served_by {
            served_by[d as usize] += 1;
        }
    }
    for c in traffic.requests.iter().filter_map(|r| r.cost_usd) {
        *cost.get_or_insert(0.0) += c;
    }
    // Equal values in the total order have equal bits: unstable sorts give the same list.
    latencies.par_sort_unstable_by(f64::total_cmp);
    LoggedOutcome {
        requests: traffic.requests.len() as u64,
        succeeded: latencies.len() as u64,
        latency_ms: [0.50, 0.95, 0.99].map(|q| nearest_rank(&latencies, q)),
        cost_usd: cost,
        served_by,
    }
}

/// The `q` quantile of sorted values by nearest rank (0 for none).
fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
