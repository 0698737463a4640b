//! `switchyard sweep`: every point of a scenario's settings grid (`sweep:`) on the same seeds,
//! each point's metrics with 95 % intervals, and the Pareto front over the named objectives.
//!
//! Each (point, seed) pair is one simulation, run in parallel and gathered in a fixed order
//! ([`super::shard::run_jobs`]), so the files are byte-identical whatever the thread count; a
//! run may be one shard, writing a partial result for [`super::merge`], and a merged and a
//! single run build their report through the same [`sweep_from_runs`] and [`write_sweep`]. It
//! decides which runs are made and which points a stopped sweep reports (those whose every
//! seed completed); the grid is the scenario's ([`crate::scenario::sweep`]), the front and the
//! files the report's. (Not to be confused with compare's sync-interval view,
//! [`super::sync_sweep`].)

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::interrupt::StopFlag;
use super::shard::{self, Command, RunValues, Shard, ShardRun, run_jobs};
use crate::metrics::METRICS;
use crate::report::sweep::{PointRuns, SweepReport, to_csv};
use crate::scenario::Scenario;
use crate::scenario::sweep::Sweep;

/// The scenario's grid, or an error saying how to declare one.
pub fn grid(scenario: &Scenario) -> Result<&Sweep> {
    scenario.sweep.as_ref().with_context(|| {
        format!(
            "{}: no `sweep:` block to run (add e.g. `sweep: {{cooldown_time: [5, 30], \
             allowed_fails: [1, 3]}}`)",
            scenario.file
        )
    })
}

/// Where a sweep's report goes by default: `reports/<scenario name>-sweep/`, beside (not over)
/// the `run` and `compare` report of the same scenario.
pub fn default_dir(scenario: &Scenario) -> PathBuf {
    PathBuf::from("reports").join(format!("{}-sweep", scenario.name))
}

/// `--objectives a,b,c`: metric names of [`METRICS`], no repeats.
pub fn parse_objectives(text: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for name in text.split(',').map(str::trim) {
        if !METRICS.iter().any(|m| m.name == name) {
            let names: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
            bail!(
                "--objectives: expected metric names among {}, found {name:?}",
                names.join(", ")
            );
        }
        if out.iter().any(|o| o == name) {
            bail!("--objectives: {name:?} is named twice");
        }
        out.push(name.to_string());
    }
    Ok(out)
}

/// The sweep's report from every job's values (`runs[point * seeds + seed]`, `None` for a run
/// that did not complete): points with a missing run are left out and the report is marked
/// partial.
pub fn sweep_from_runs(
    scenario: &Scenario,
    sweep: &Sweep,
    seeds: &[u64],
    objectives: &[String],
    runs: &[Option<RunValues>],
) -> SweepReport {
    let n = seeds.len();
    let mut missing = Vec::new();
    let mut points = Vec::new();
    for (p, point) in sweep.points.iter().enumerate() {
        let got: Option<Vec<Vec<f64>>> = runs[p * n..(p + 1) * n]
            .iter()
            .map(|r| r.as_ref().map(|v| v.metrics.clone()))
            .collect();
        match got {
            Some(runs) => points.push(PointRuns {
                point: point.policy.name.clone(),
                values: point.values.clone(),
                runs,
            }),
            None => missing.push(point.policy.name.clone()),
        }
    }
    let settings = sweep.settings.iter().map(|s| s.key.clone()).collect();
    let mut report = SweepReport::new(&scenario.name, seeds, settings, objectives, &points);
    report.partial = !missing.is_empty();
    report.missing = missing;
    report
}

/// Writes `sweep.json`, `sweep.csv`, the Pareto chart and `index.html` into `out_dir`;
/// returns the number of charts.
pub fn write_sweep(scenario: &Scenario, report: &SweepReport, out_dir: &Path) -> Result<usize> {
    use crate::report::{sweep_charts, sweep_html};
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create the report directory {}", out_dir.display()))?;
    let written = |name: &str| format!("cannot write {}", out_dir.join(name).display());
    let mut json = serde_json::to_string_pretty(report)?;
    json.push('\n');
    std::fs::write(out_dir.join("sweep.json"), json).with_context(|| written("sweep.json"))?;
    std::fs::write(out_dir.join("sweep.csv"), to_csv(report)?)
        .with_context(|| written("sweep.csv"))?;
    let charts = sweep_charts::sweep_charts(&out_dir.join("charts"), report)?;
    let page = sweep_html::sweep_html(report, &scenario.description, &charts)?;
    std::fs::write(out_dir.join("index.html"), page).with_context(|| written("index.html"))?;
    Ok(charts.len())
}

/// What a `sweep` run asks for.
#[derive(Clone, Copy)]
pub struct SweepRequest<'a> {
    /// The scenario file (hashed into a partial result).
    pub path: &'a Path,
    /// The seeds every point runs.
    pub seeds: &'a [u64],
    /// The front's objectives (default: the scenario's `sweep_objectives`).
    pub objectives: Option<&'a [String]>,
    /// Only this shard's runs, written as a partial result.
    pub shard: Option<Shard>,
    /// Set to stop early (Ctrl-C).
    pub stop: &'a StopFlag,
    /// Called after each simulation.
    pub on_run: &'a (dyn Fn() + Sync),
}

/// What a `sweep` run wrote.
#[derive(Debug)]
pub enum Swept {
    /// The whole report (possibly partial after a stop).
    Report(SweepReport),
    /// One shard's partial result, at this path.
    Shard(PathBuf),
}

/// `sweep` into `out_dir`: the report, or with a shard its partial result.
pub fn sweep_to_dir(scenario: &Scenario, req: SweepRequest<'_>, out_dir: &Path) -> Result<Swept> {
    let sweep = grid(scenario)?;
    if req.seeds.len() < 2 {
        bail!(
            "sweep needs at least 2 seeds for an interval, got {}",
            req.seeds.len()
        );
    }
    let objectives = req.objectives.unwrap_or(&sweep.objectives).to_vec();
    let policies: Vec<_> = sweep.points.iter().map(|p| &p.policy).collect();
    let shard = req.shard.unwrap_or(Shard::WHOLE);
    let runs = run_jobs(scenario, &policies, req.seeds, shard, req.stop, req.on_run)?;
    if req.shard.is_some() {
        let run = ShardRun {
            command: Command::Sweep,
            scenario_file: req.path,
            seeds: req.seeds,
            baseline: None,
            objectives: Some(objectives),
            shard,
            jobs: policies.len() * req.seeds.len(),
        };
        return Ok(Swept::Shard(shard::write_shard(run, &runs, out_dir)?));
    }
    let runs: Vec<Option<RunValues>> = runs.into_iter().map(|(_, v)| v).collect();
    let report = sweep_from_runs(scenario, sweep, req.seeds, &objectives, &runs);
    if report.points.is_empty() {
        bail!("stopped before any point completed every seed: no report");
    }
    write_sweep(scenario, &report, out_dir)?;
    Ok(Swept::Report(report))
}
