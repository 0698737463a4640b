//! `switchyard compare`: every policy of a scenario on the same seeds, with honest statistics.
//!
//! Each (policy, seed) pair is one independent simulation; pairs run in parallel (rayon) and
//! results are gathered in a fixed order, so the output is byte-identical whatever the number of
//! threads. Because every policy sees the same workload for a seed (common random numbers),
//! differences to the baseline are paired by seed. It decides the metrics, their direction and
//! the verdicts; the arithmetic is [`crate::report::stats`].

use anyhow::{Result, bail};
use rayon::prelude::*;
use serde::Serialize;

use crate::metrics::{Direction, METRICS};
use crate::report::stats::{Interval, mean_interval, paired_difference};
use crate::runner::simulate_quietly;
use crate::scenario::Scenario;

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
        let r = |x: f64| crate::report::summary::round(x, 6);
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
}

/// Runs every policy of `scenario` on `seeds` and compares each with `baseline`; `on_run` is
/// called after each simulation (for a progress bar).
pub fn compare(
    scenario: &Scenario,
    seeds: &[u64],
    baseline: &str,
    on_run: &(dyn Fn() + Sync),
) -> Result<Comparison> {
    let Some(base_index) = scenario.policies.iter().position(|p| p.name == baseline) else {
        let names: Vec<&str> = scenario.policies.iter().map(|p| p.name.as_str()).collect();
        bail!(
            "{}: no policy named {baseline:?} to compare against (policies: {})",
            scenario.file,
            names.join(", ")
        );
    };
    if seeds.len() < 2 {
        bail!(
            "compare needs at least 2 seeds for an interval, got {}",
            seeds.len()
        );
    }
    let jobs: Vec<(usize, u64)> = (0..scenario.policies.len())
        .flat_map(|p| seeds.iter().map(move |s| (p, *s)))
        .collect();
    let results: Vec<Vec<f64>> = jobs
        .par_iter()
        .map(|&(p, seed)| {
            let stats = simulate_quietly(scenario, &scenario.policies[p], seed)?;
            on_run();
            Ok(METRICS.iter().map(|m| (m.value)(&stats)).collect())
        })
        .collect::<Result<_>>()?;
    // results[p * seeds + s][metric]
    let series = |p: usize, m: usize| -> Vec<f64> {
        (0..seeds.len())
            .map(|s| results[p * seeds.len() + s][m])
            .collect()
    };
    let policies = scenario
        .policies
        .iter()
        .enumerate()
        .map(|(p, policy)| PolicyComparison {
            policy: policy.name.clone(),
            metrics: METRICS
                .iter()
                .enumerate()
                .map(|(m, metric)| {
                    let values = series(p, m);
                    let value = mean_interval(&values);
                    let (difference, verdict) = if p == base_index {
                        (None, Verdict::Baseline)
                    } else {
                        let d = paired_difference(&values, &series(base_index, m));
                        let verdict = if d.contains(0.0) || d.low.is_nan() {
                            Verdict::NoSignificantDifference
                        } else {
                            match (metric.direction, d.low > 0.0) {
                                (Direction::HigherIsBetter, true)
                                | (Direction::LowerIsBetter, false) => Verdict::Better,
                                (Direction::HigherIsBetter, false)
                                | (Direction::LowerIsBetter, true) => Verdict::Worse,
                            }
                        };
                        (Some(d.into()), verdict)
                    };
                    MetricComparison {
                        metric: metric.name,
                        direction: metric.direction,
                        values: values
                            .iter()
                            .map(|v| crate::report::summary::round(*v, 6))
                            .collect(),
                        value: value.into(),
                        difference,
                        verdict,
                    }
                })
                .collect(),
        })
        .collect();
    Ok(Comparison {
        scenario: scenario.name.clone(),
        seeds: seeds.to_vec(),
        baseline: baseline.to_string(),
        confidence: crate::report::stats::CONFIDENCE,
        policies,
    })
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
