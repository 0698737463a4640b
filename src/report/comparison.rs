//! The comparison's data: each policy's metrics over seeds, with intervals and verdicts, as
//! written to `comparison.json` and `comparison.csv`.
//!
//! It decides the shape of those files and the verdicts' words; it must not run simulations
//! (the application does, then fills these types) or know about scenarios.

use anyhow::Result;
use serde::Serialize;

use super::stats::Interval;
use super::summary::round;
use crate::metrics::Direction;

/// The verdict on a policy's metric against the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// This is the baseline.
    Baseline,
    /// Better, significant at 95 %.
    Better,
    /// Worse, significant at 95 %.
    Worse,
    /// The interval of the difference contains zero.
    NoSignificantDifference,
}

impl Verdict {
    /// The verdict in words.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Baseline => "baseline",
            Verdict::Better => "better",
            Verdict::Worse => "worse",
            Verdict::NoSignificantDifference => "no significant difference",
        }
    }

    /// The verdict on a policy whose paired difference to the baseline (policy − baseline) is
    /// `d`, for a metric going `direction`: better or worse when the interval excludes zero.
    pub fn judge(direction: Direction, d: &Interval) -> Verdict {
        if d.contains(0.0) || d.low.is_nan() {
            return Verdict::NoSignificantDifference;
        }
        match (direction, d.low > 0.0) {
            (Direction::HigherIsBetter, true) | (Direction::LowerIsBetter, false) => {
                Verdict::Better
            }
            (Direction::HigherIsBetter, false) | (Direction::LowerIsBetter, true) => Verdict::Worse,
        }
    }
}

/// An interval as written to files.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct IntervalOut {
    /// Mean.
    pub mean: f64,
    /// Lower end of the 95 % interval.
    pub low: f64,
    /// Upper end of the 95 % interval.
    pub high: f64,
}

impl From<Interval> for IntervalOut {
    fn from(i: Interval) -> Self {
        let r = |x: f64| round(x, 6);
        IntervalOut {
            mean: r(i.mean),
            low: r(i.low),
            high: r(i.high),
        }
    }
}

/// One metric of one policy.
#[derive(Debug, Clone, Serialize)]
pub struct MetricComparison {
    /// The metric.
    pub metric: &'static str,
    /// Which way is better.
    pub direction: Direction,
    /// The per-seed values.
    pub values: Vec<f64>,
    /// Mean and interval over seeds.
    pub value: IntervalOut,
    /// Paired difference to the baseline (policy − baseline), absent for the baseline.
    pub difference: Option<IntervalOut>,
    /// The verdict.
    pub verdict: Verdict,
}

/// One policy's comparison.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyComparison {
    /// The policy.
    pub policy: String,
    /// Its metrics.
    pub metrics: Vec<MetricComparison>,
}

/// The whole comparison (`comparison.json`).
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Scenario name.
    pub scenario: String,
    /// The seeds, in order.
    pub seeds: Vec<u64>,
    /// The baseline policy.
    pub baseline: String,
    /// Confidence level of every interval.
    pub confidence: f64,
    /// Every policy, in the scenario's order.
    pub policies: Vec<PolicyComparison>,
    /// When some policies differ only in their instances' sync interval: what each interval
    /// let the fleet overshoot, shortest interval first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sync_sweep: Vec<SyncSweepPoint>,
    /// Whether the comparison was stopped before every policy completed every seed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// The policies left out because a seed of theirs did not complete.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

/// One policy of a sync-interval sweep: the fleet's overshoot, averaged over the seeds.
#[derive(Debug, Clone, Serialize)]
pub struct SyncSweepPoint {
    /// The policy.
    pub policy: String,
    /// Its sync interval in seconds.
    pub sync_interval_s: f64,
    /// The busiest minute against the configured `rpm` (worst deployment), minus one: the
    /// fraction by which the fleet overshot the rate limit.
    pub rpm_overshoot: f64,
    /// The providers' own 429s.
    pub provider_rate_limited: f64,
    /// Spend past budget limits, summed over budgets and windows.
    pub budget_overshoot_usd: f64,
}

/// `comparison.csv`: one row per policy and metric.
pub fn to_csv(c: &Comparison) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "policy",
        "metric",
        "mean",
        "low",
        "high",
        "diff_mean",
        "diff_low",
        "diff_high",
        "verdict",
    ])?;
    for p in &c.policies {
        for m in &p.metrics {
            let d = m.difference;
            let f = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
            w.write_record([
                p.policy.clone(),
                m.metric.to_string(),
                m.value.mean.to_string(),
                m.value.low.to_string(),
                m.value.high.to_string(),
                f(d.map(|d| d.mean)),
                f(d.map(|d| d.low)),
                f(d.map(|d| d.high)),
                m.verdict.label().to_string(),
            ])?;
        }
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}
