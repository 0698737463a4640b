//! `switchyard compare`: every policy of a scenario on the same seeds, with honest statistics.
//!
//! Each (policy, seed) pair is one independent simulation; pairs run in parallel (rayon) and
//! results are gathered in a fixed order, so the output is byte-identical whatever the number of
//! threads. Because every policy sees the same workload for a seed (common random numbers),
//! differences to the baseline are paired by seed. It decides which runs are made and how their
//! values are paired; the metrics are [`crate::metrics::METRICS`], the arithmetic is
//! [`crate::report::stats`] and the verdicts are [`crate::report::comparison::Verdict`]'s.

use anyhow::{Result, bail};
use rayon::prelude::*;

use super::runner::simulate_quietly;
use super::sync_sweep::{overshoot, sweep};
use crate::metrics::METRICS;
use crate::report::comparison::{
    Comparison, MetricComparison, PolicyComparison, SyncSweepPoint, Verdict,
};
use crate::report::stats::{CONFIDENCE, mean_interval, paired_difference};
use crate::report::summary::round;
use crate::scenario::Scenario;

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
    let table = &scenario.config.table;
    let runs: Vec<(Vec<f64>, [f64; 3])> = jobs
        .par_iter()
        .map(|&(p, seed)| {
            let stats = simulate_quietly(scenario, &scenario.policies[p], seed)?;
            on_run();
            let values = METRICS.iter().map(|m| (m.value)(&stats)).collect();
            Ok((values, overshoot(&stats, table)))
        })
        .collect::<Result<_>>()?;
    let (results, overshoots): (Vec<Vec<f64>>, Vec<[f64; 3]>) = runs.into_iter().unzip();
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
                        (Some(d.into()), Verdict::judge(metric.direction, &d))
                    };
                    MetricComparison {
                        metric: metric.name,
                        direction: metric.direction,
                        values: values.iter().map(|v| round(*v, 6)).collect(),
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
        confidence: CONFIDENCE,
        policies,
        sync_sweep: sync_sweep(scenario, seeds.len(), &overshoots),
    })
}

/// The sweep's points: each policy's overshoots (`overshoots[p * seeds + s]`) averaged over
/// the seeds.
fn sync_sweep(scenario: &Scenario, seeds: usize, overshoots: &[[f64; 3]]) -> Vec<SyncSweepPoint> {
    sweep(scenario)
        .into_iter()
        .map(|p| {
            let runs = &overshoots[p * seeds..(p + 1) * seeds];
            let mean = |k: usize| round(runs.iter().map(|r| r[k]).sum::<f64>() / seeds as f64, 6);
            let policy = &scenario.policies[p];
            SyncSweepPoint {
                policy: policy.name.clone(),
                sync_interval_s: policy
                    .fleet
                    .as_ref()
                    .map_or(0.0, |f| f.sync_interval.as_secs_f64()),
                rpm_overshoot: mean(0),
                provider_rate_limited: mean(1),
                budget_overshoot_usd: mean(2),
            }
        })
        .collect()
}
