//! `switchyard compare`: every policy of a scenario on the same seeds, with honest statistics.
//!
//! Each (policy, seed) pair is one independent simulation; pairs run in parallel (rayon) and
//! results are gathered in a fixed order, so the output is byte-identical whatever the number of
//! threads. Because every policy sees the same workload for a seed (common random numbers),
//! differences to the baseline are paired by seed. A run may be one shard of the pairs
//! ([`super::shard`]), which writes a partial result for [`super::merge`]; a merged and a single
//! run build their report through the same [`comparison_from_runs`] and [`write_comparison`].
//! It decides which runs are made and how their values are paired; the metrics are
//! [`crate::metrics::METRICS`], the arithmetic is [`crate::report::stats`] and the verdicts are
//! [`crate::report::comparison::Verdict`]'s.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::interrupt::StopFlag;
use super::progress::Progress;
use super::runner::{run_scenario_as, write_pages};
use super::shard::{self, Command, RunValues, Shard, ShardRun, run_jobs};
use super::sync_sweep::sweep;
use crate::metrics::METRICS;
use crate::report::comparison::{
    Comparison, MetricComparison, PolicyComparison, SyncSweepPoint, Verdict,
};
use crate::report::requests_format::RequestsFormat;
use crate::report::stats::{CONFIDENCE, mean_interval, paired_difference};
use crate::report::summary::round;
use crate::scenario::Scenario;

/// Where a comparison's report goes by default: `reports/<scenario name>/`, the directory its
/// first-seed `run` report shares.
pub fn default_dir(scenario: &Scenario) -> PathBuf {
    PathBuf::from("reports").join(&scenario.name)
}

/// Runs every policy of `scenario` on `seeds` and compares each with `baseline`; `on_run` is
/// called after each simulation (for a progress bar).
pub fn compare(
    scenario: &Scenario,
    seeds: &[u64],
    baseline: &str,
    on_run: &(dyn Fn() + Sync),
) -> Result<Comparison> {
    check_request(scenario, seeds, baseline)?;
    let policies: Vec<_> = scenario.policies.iter().collect();
    let runs = run_jobs(
        scenario,
        &policies,
        seeds,
        Shard::WHOLE,
        &StopFlag::new(),
        on_run,
    )?;
    let runs: Vec<Option<RunValues>> = runs.into_iter().map(|(_, v)| v).collect();
    comparison_from_runs(scenario, seeds, baseline, &runs)
}

/// Refuses an unknown baseline or fewer than two seeds.
fn check_request(scenario: &Scenario, seeds: &[u64], baseline: &str) -> Result<()> {
    if scenario.policy(baseline).is_none() {
        let names: Vec<&str> = scenario.policies.iter().map(|p| p.name.as_str()).collect();
        bail!(
            "{}: no policy named {baseline:?} to compare against (policies: {})",
            scenario.file,
            names.join(", ")
        );
    }
    if seeds.len() < 2 {
        bail!(
            "compare needs at least 2 seeds for an interval, got {}",
            seeds.len()
        );
    }
    Ok(())
}

/// The comparison from every job's values (`runs[policy * seeds + seed]`, `None` for a run
/// that did not complete). Policies with a missing run are left out and the comparison is
/// marked partial; the baseline must be complete.
pub fn comparison_from_runs(
    scenario: &Scenario,
    seeds: &[u64],
    baseline: &str,
    runs: &[Option<RunValues>],
) -> Result<Comparison> {
    let n = seeds.len();
    let complete = |p: usize| runs[p * n..(p + 1) * n].iter().all(Option::is_some);
    let Some(base_index) = scenario.policies.iter().position(|p| p.name == baseline) else {
        bail!("{}: no policy named {baseline:?}", scenario.file);
    };
    if !complete(base_index) {
        bail!("stopped before the baseline policy {baseline:?} completed every seed: no report");
    }
    let value = |p: usize, s: usize| runs[p * n + s].as_ref();
    let series = |p: usize, m: usize| -> Vec<f64> {
        (0..n)
            .filter_map(|s| value(p, s).map(|v| v.metrics[m]))
            .collect()
    };
    let mut missing = Vec::new();
    let mut policies = Vec::new();
    for (p, policy) in scenario.policies.iter().enumerate() {
        if !complete(p) {
            missing.push(policy.name.clone());
            continue;
        }
        policies.push(PolicyComparison {
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
        });
    }
    let overshoots: Vec<[f64; 3]> = runs
        .iter()
        .map(|r| r.as_ref().map_or([f64::NAN; 3], |v| v.overshoot))
        .collect();
    Ok(Comparison {
        scenario: scenario.name.clone(),
        seeds: seeds.to_vec(),
        baseline: baseline.to_string(),
        confidence: CONFIDENCE,
        policies,
        sync_sweep: if missing.is_empty() {
            sync_sweep(scenario, n, &overshoots)
        } else {
            Vec::new()
        },
        partial: !missing.is_empty(),
        missing,
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

/// What a `compare` run asks for.
#[derive(Clone, Copy)]
pub struct CompareRequest<'a> {
    /// The scenario file (hashed into a partial result).
    pub path: &'a Path,
    /// The seeds.
    pub seeds: &'a [u64],
    /// The baseline policy.
    pub baseline: &'a str,
    /// Only this shard's runs, written as a partial result.
    pub shard: Option<Shard>,
    /// Set to stop early (Ctrl-C).
    pub stop: &'a StopFlag,
    /// Called after each simulation.
    pub on_run: &'a (dyn Fn() + Sync),
}

/// What a `compare` run wrote.
#[derive(Debug)]
pub enum Compared {
    /// The whole report (possibly partial after a stop), and its chart count.
    Report(Comparison, usize),
    /// One shard's partial result, at this path.
    Shard(PathBuf),
}

/// `compare` into `out_dir`: the report, or with a shard its partial result.
pub fn compare_to_dir(
    scenario: &Scenario,
    req: CompareRequest<'_>,
    out: &Path,
) -> Result<Compared> {
    check_request(scenario, req.seeds, req.baseline)?;
    let policies: Vec<_> = scenario.policies.iter().collect();
    let shard = req.shard.unwrap_or(Shard::WHOLE);
    let runs = run_jobs(scenario, &policies, req.seeds, shard, req.stop, req.on_run)?;
    if req.shard.is_some() {
        let run = ShardRun {
            command: Command::Compare,
            scenario_file: req.path,
            seeds: req.seeds,
            baseline: Some(req.baseline),
            objectives: None,
            shard,
            jobs: policies.len() * req.seeds.len(),
        };
        return Ok(Compared::Shard(shard::write_shard(run, &runs, out)?));
    }
    let runs: Vec<Option<RunValues>> = runs.into_iter().map(|(_, v)| v).collect();
    let comparison = comparison_from_runs(scenario, req.seeds, req.baseline, &runs)?;
    let charts = write_comparison(scenario, &comparison, out)?;
    Ok(Compared::Report(comparison, charts))
}

/// Writes `comparison.json`, `comparison.csv` and the page (with the first seed's full run of
/// the compared policies) into `out_dir`; returns the number of charts.
pub fn write_comparison(
    scenario: &Scenario,
    comparison: &Comparison,
    out_dir: &Path,
) -> Result<usize> {
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create the report directory {}", out_dir.display()))?;
    let mut json = serde_json::to_string_pretty(comparison)?;
    json.push('\n');
    let written = |name: &str| format!("cannot write {}", out_dir.join(name).display());
    std::fs::write(out_dir.join("comparison.json"), json)
        .with_context(|| written("comparison.json"))?;
    std::fs::write(
        out_dir.join("comparison.csv"),
        crate::report::comparison::to_csv(comparison)?,
    )
    .with_context(|| written("comparison.csv"))?;
    // The first seed's full run gives the page its tables and run charts.
    let policies: Vec<_> = scenario
        .policies
        .iter()
        .filter(|p| !comparison.missing.contains(&p.name))
        .collect();
    let progress = Progress::unwatched(policies.len(), scenario.duration);
    let seed = comparison.seeds[0];
    let format = RequestsFormat::default();
    let output = run_scenario_as(scenario, &policies, seed, out_dir, format, &progress)?;
    let charts = write_pages(scenario, &output, Some(comparison), out_dir)?;
    if comparison.partial {
        mark_page_partial(&out_dir.join("index.html"), &comparison.missing)?;
    }
    Ok(charts)
}

/// Puts the partial-report banner at the top of the page at `path`.
fn mark_page_partial(path: &Path, missing: &[String]) -> Result<()> {
    let page =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let banner = crate::report::sweep_html::partial_banner(missing);
    let page = match page.find("<body>") {
        Some(i) => format!("{}{banner}{}", &page[..i + 6], &page[i + 6..]),
        None => format!("{banner}{page}"),
    };
    std::fs::write(path, page).with_context(|| format!("cannot write {}", path.display()))
}
