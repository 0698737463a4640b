//! The metrics a comparison measures: each one's name, which way is better, and how to read it
//! from a run's [`PolicyStats`].
//!
//! It decides the list and the directions (`compare`, its verdicts and the scenario's `compare:`
//! expectations all read it); it must not compute intervals or verdicts, which belong to the
//! report and the application above it.

use serde::Serialize;

use super::policy_stats::PolicyStats;

/// Whether more of a metric is better or worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// More is better (success rate).
    HigherIsBetter,
    /// Less is better (latency, cost, retries…).
    LowerIsBetter,
}

/// A metric compared across seeds.
#[derive(Debug, Clone, Copy)]
pub struct Metric {
    /// Its name in tables and files.
    pub name: &'static str,
    /// Which way is better.
    pub direction: Direction,
    /// Its value in one run.
    pub value: fn(&PolicyStats) -> f64,
}

fn per_request(n: u64, stats: &PolicyStats) -> f64 {
    if stats.requests == 0 {
        0.0
    } else {
        n as f64 / stats.requests as f64
    }
}

/// The metrics `compare` reports.
pub const METRICS: &[Metric] = &[
    Metric {
        name: "success_rate",
        direction: Direction::HigherIsBetter,
        value: |s| s.success_rate(),
    },
    Metric {
        name: "latency_mean_ms",
        direction: Direction::LowerIsBetter,
        value: |s| s.latency_ms().mean,
    },
    Metric {
        name: "latency_p50_ms",
        direction: Direction::LowerIsBetter,
        value: |s| s.latency_ms().p50,
    },
    Metric {
        name: "latency_p95_ms",
        direction: Direction::LowerIsBetter,
        value: |s| s.latency_ms().p95,
    },
    Metric {
        name: "latency_p99_ms",
        direction: Direction::LowerIsBetter,
        value: |s| s.latency_ms().p99,
    },
    Metric {
        name: "cost_usd",
        direction: Direction::LowerIsBetter,
        value: |s| s.cost_usd,
    },
    Metric {
        name: "retries_per_request",
        direction: Direction::LowerIsBetter,
        value: |s| per_request(s.retries, s),
    },
    Metric {
        name: "fallbacks_per_request",
        direction: Direction::LowerIsBetter,
        value: |s| per_request(s.fallbacks, s),
    },
    Metric {
        name: "cooldown_events",
        direction: Direction::LowerIsBetter,
        value: |s| s.cooldown_events.len() as f64,
    },
];
