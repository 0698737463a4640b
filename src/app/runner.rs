//! Running a scenario's policies and writing the report directory.
//!
//! For each policy, one engine run over the same seed (so every policy sees the same workload),
//! streaming the per-request file (`requests.parquet` by default, `requests.csv`, or none) and
//! collecting aggregates into `summary.json`. It decides the files
//! and their order, and turns the scenario into what the report draws (the fault windows); the
//! numbers come from the engine and [`crate::metrics`], the formatting from [`crate::report`].
//! It must not format a file's contents itself.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use rayon::prelude::*;

use super::progress::Progress;
use crate::metrics::{Discard, PolicyStats, RecordSink, RequestRecord};
use crate::report::budgets_csv::{self, BudgetsCsv};
use crate::report::charts::Window;
use crate::report::requests_csv::{self, RequestsCsv};
use crate::report::requests_format::RequestsFormat;
use crate::report::requests_parquet::{self, RequestNames};
use crate::report::summary::{Partial, never_ran};
use crate::report::{PolicySummary, Summary};
use crate::router::DeploymentTable;
use crate::scenario::{Policy, Scenario};
use crate::sim;

/// The files a run wrote.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// The summary, as written to `summary.json`.
    pub summary: Summary,
    /// Path of `summary.json`.
    pub summary_path: PathBuf,
    /// Path of the per-request file (`requests.parquet` or `requests.csv`); where
    /// `requests.csv` would be when `requests_format` is [`RequestsFormat::None`] (not written).
    pub requests_path: PathBuf,
    /// Which per-request file was written.
    pub requests_format: RequestsFormat,
    /// Path of `budgets.csv`, when the config has budgets.
    pub budgets_path: Option<PathBuf>,
    /// Each policy's aggregates, in the order run.
    pub stats: Vec<(String, PolicyStats)>,
    /// The deployment table (model_list order) the reports name deployments from.
    pub table: Arc<DeploymentTable>,
}

/// Simulates one policy with `seed`, sending every record to `sink`.
pub fn simulate<S: RecordSink>(
    scenario: &Scenario,
    policy: &Policy,
    seed: u64,
    sink: S,
) -> Result<PolicyStats> {
    Ok(sim::run(
        scenario.world_for(policy),
        policy.settings.clone(),
        seed,
        sink,
    ))
}

/// Simulates one policy and returns the explanation of request `id` (empty if it never
/// arrived).
pub fn explain_request(
    scenario: &Scenario,
    policy: &Policy,
    seed: u64,
    id: u64,
) -> Result<Vec<String>> {
    let result = sim::engine::run_explained(
        scenario.world_for(policy),
        policy.settings.clone(),
        seed,
        Discard,
        Some(id),
    );
    let table = &scenario.config.table;
    Ok(crate::report::explain::explain(&result.trace, table))
}

/// Simulates one policy without writing anything.
pub fn simulate_quietly(scenario: &Scenario, policy: &Policy, seed: u64) -> Result<PolicyStats> {
    simulate(scenario, policy, seed, Discard)
}

/// Runs `policies` of `scenario` with `seed` and writes `summary.json` and `requests.csv`
/// into `out_dir` (created if missing). The command line writes `requests.parquet` by default
/// ([`run_scenario_as`]).
pub fn run_scenario(
    scenario: &Scenario,
    policies: &[&Policy],
    seed: u64,
    out_dir: &Path,
) -> Result<RunOutput> {
    let progress = Progress::unwatched(policies.len(), scenario.duration);
    run_scenario_as(
        scenario,
        policies,
        seed,
        out_dir,
        RequestsFormat::Csv,
        &progress,
    )
}

/// The part file of policy `index` for the report file `name`.
fn part_path(out_dir: &Path, name: &str, index: usize) -> PathBuf {
    out_dir.join(format!("{name}.{index}.part"))
}

/// One policy's simulation within a run: which policy, its place among the run's policies
/// (for part files and progress), the seed and the run's progress.
struct PolicyJob<'a> {
    scenario: &'a Scenario,
    policy: &'a Policy,
    index: usize,
    seed: u64,
    progress: &'a Progress,
}

/// One policy's run into its own part files (`requests.<format>.<i>.part`, and
/// `budgets.csv.<i>.part` with budgets), so policies can run in parallel and be joined in order.
fn run_policy_to_parts(
    job: &PolicyJob<'_>,
    out_dir: &Path,
    with_budgets: bool,
    format: RequestsFormat,
) -> Result<PolicyStats> {
    let budgets = with_budgets.then(|| part_path(out_dir, "budgets.csv", job.index));
    let budgets = budgets.as_deref();
    match format {
        RequestsFormat::Csv => {
            let path = part_path(out_dir, "requests.csv", job.index);
            simulate_to_csv(job, &path, budgets)
        }
        RequestsFormat::Parquet => {
            let path = part_path(out_dir, "requests.parquet", job.index);
            let models = mix_models(job.scenario);
            let names = RequestNames::new(&job.policy.name, &models, &job.scenario.config.table);
            let client_retries = job.scenario.workload.uses_client_retries();
            super::requests_writer::write_requests_parquet(&path, &names, client_retries, |rows| {
                simulate_with_budgets(job, rows, budgets)
            })
        }
        RequestsFormat::None => simulate_with_budgets(job, Discard, budgets),
    }
}

/// One policy's run with its rows in the CSV file at `path` (no header).
fn simulate_to_csv(
    job: &PolicyJob<'_>,
    path: &Path,
    budgets: Option<&Path>,
) -> Result<PolicyStats> {
    let models = mix_models(job.scenario);
    let table = &job.scenario.config.table;
    let file = File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut csv = csv::Writer::from_writer(BufWriter::with_capacity(1 << 20, file));
    let mut rows = RequestsCsv::new(&mut csv, &job.policy.name, models, table)
        .client_retries(job.scenario.workload.uses_client_retries());
    let stats = simulate_with_budgets(job, &mut rows, budgets)?;
    rows.finish().context("cannot write requests.csv")?;
    csv.flush().context("cannot write requests.csv")?;
    Ok(stats)
}

/// One policy's run into `rows`, counted into the run's progress and obeying its stop flag,
/// with its budget samples in the CSV file at `budgets` (no header) when given.
fn simulate_with_budgets<S: RecordSink>(
    job: &PolicyJob<'_>,
    rows: S,
    budgets: Option<&Path>,
) -> Result<PolicyStats> {
    let (scenario, policy, seed) = (job.scenario, job.policy, job.seed);
    let Some(path) = budgets else {
        return simulate(scenario, policy, seed, job.progress.sink(job.index, rows));
    };
    let file = File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut budget_csv = csv::Writer::from_writer(BufWriter::new(file));
    let mut samples = BudgetsCsv::new(&mut budget_csv, &policy.name);
    let sink = job.progress.sink(job.index, (rows, &mut samples));
    let stats = simulate(scenario, policy, seed, sink)?;
    samples.finish().context("cannot write budgets.csv")?;
    budget_csv.flush().context("cannot write budgets.csv")?;
    Ok(stats)
}

/// Joins the part files of `n` policies into `path` after `header`, in policy order.
fn join_parts(path: &Path, header: &[&str], n: usize) -> Result<()> {
    let name = path.file_name().and_then(|f| f.to_str()).unwrap_or("out");
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut out = BufWriter::new(
        File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
    );
    let written = || format!("cannot write {}", path.display());
    writeln!(out, "{}", header.join(",")).with_context(written)?;
    for i in 0..n {
        let part = dir.join(format!("{name}.{i}.part"));
        let mut input =
            File::open(&part).with_context(|| format!("cannot read {}", part.display()))?;
        std::io::copy(&mut input, &mut out).with_context(written)?;
        std::fs::remove_file(&part).with_context(|| format!("cannot remove {}", part.display()))?;
    }
    out.flush().with_context(written)?;
    Ok(())
}

/// [`run_scenario`] writing the per-request file in `requests` format, running the policies in
/// parallel (rayon), publishing how far each has got to `progress` (slot `i` for `policies[i]`)
/// and obeying its stop flag: once set, each policy takes no more arrivals and finishes the
/// requests it has, and the summary is marked partial. The files are byte-identical whatever
/// the number of threads.
pub fn run_scenario_as(
    scenario: &Scenario,
    policies: &[&Policy],
    seed: u64,
    out_dir: &Path,
    requests: RequestsFormat,
    progress: &Progress,
) -> Result<RunOutput> {
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create the report directory {}", out_dir.display()))?;
    let has_budgets = policies.iter().any(|p| {
        let s = &p.settings;
        !s.provider_budget_config.is_empty()
            || !s.tag_budget_config.is_empty()
            || scenario
                .config
                .deployments
                .iter()
                .any(|d| d.max_budget.is_some())
    });
    let all_stats: Vec<PolicyStats> = policies
        .par_iter()
        .enumerate()
        .map(|(i, policy)| {
            let job = PolicyJob {
                scenario,
                policy,
                index: i,
                seed,
                progress,
            };
            let stats = run_policy_to_parts(&job, out_dir, has_budgets, requests);
            progress.finished(i);
            stats
        })
        .collect::<Result<_>>()?;
    let requests_path = join_requests(scenario, out_dir, requests, policies.len())?;
    let budgets_path = has_budgets.then(|| out_dir.join("budgets.csv"));
    if let Some(path) = &budgets_path {
        join_parts(path, &budgets_csv::HEADER, policies.len())?;
    }

    let stats: Vec<(String, PolicyStats)> = policies
        .iter()
        .map(|p| p.name.clone())
        .zip(all_stats)
        .collect();
    let (summary, summary_path) = write_summary(scenario, seed, &stats, out_dir)?;
    // A policy stopped before its first arrival simulated nothing: no charts of it either.
    let stats = stats.into_iter().filter(|(_, s)| !never_ran(s)).collect();
    Ok(RunOutput {
        summary,
        summary_path,
        requests_path,
        requests_format: requests,
        budgets_path,
        stats,
        table: scenario.config.table.clone(),
    })
}

/// Joins the `n` policies' per-request part files into the report's file; returns its path
/// (where `requests.csv` would be when there is none).
fn join_requests(
    scenario: &Scenario,
    out_dir: &Path,
    format: RequestsFormat,
    n: usize,
) -> Result<PathBuf> {
    let Some(name) = format.file_name() else {
        return Ok(out_dir.join("requests.csv"));
    };
    let path = out_dir.join(name);
    match format {
        RequestsFormat::Parquet => {
            let parts: Vec<PathBuf> = (0..n).map(|i| part_path(out_dir, name, i)).collect();
            requests_parquet::join_parts(&parts, &path)?;
        }
        _ => {
            let header = requests_csv::header(scenario.workload.uses_client_retries());
            join_parts(&path, header, n)?;
        }
    }
    Ok(path)
}

/// Builds the summary of each policy's aggregates and writes it as `summary.json` in `out_dir`;
/// a run stopped early is marked partial, and a policy stopped before its first arrival is
/// named as not run rather than summarised.
pub fn write_summary(
    scenario: &Scenario,
    seed: u64,
    stats: &[(String, PolicyStats)],
    out_dir: &Path,
) -> Result<(Summary, PathBuf)> {
    let mut summary = Summary {
        scenario: scenario.name.clone(),
        seed,
        duration_s: scenario.duration.as_secs_f64(),
        switchyard_version: env!("CARGO_PKG_VERSION").to_string(),
        partial: Partial::of(stats),
        policies: Default::default(),
    };
    let table = &scenario.config.table;
    for (name, stats) in stats.iter().filter(|(_, s)| !never_ran(s)) {
        summary
            .policies
            .insert(name.clone(), PolicySummary::new(stats, table));
    }
    let summary_path = out_dir.join("summary.json");
    let mut json = serde_json::to_string_pretty(&summary)?;
    json.push('\n');
    std::fs::write(&summary_path, json)
        .with_context(|| format!("cannot write {}", summary_path.display()))?;
    Ok((summary, summary_path))
}

/// Writes the report of one policy's run recorded elsewhere (the live driver's, from what its
/// clients observed) into `out_dir`: `requests.csv` from `records` in the order given,
/// `summary.json`, the charts, `index.html` and `summary.md` (whose description ends with
/// `note`). Returns the files and the number of charts. The command line writes
/// `requests.parquet` by default ([`write_recorded_run_as`]).
pub fn write_recorded_run(
    scenario: &Scenario,
    policy: &str,
    seed: u64,
    stats: PolicyStats,
    records: &[RequestRecord<'_>],
    note: &str,
    out_dir: &Path,
) -> Result<(RunOutput, usize)> {
    let run = RecordedRun {
        policy,
        seed,
        stats,
        records,
        note,
    };
    write_recorded_run_as(scenario, run, RequestsFormat::Csv, out_dir)
}

/// One policy's run recorded elsewhere: its records in the order observed, and a note for the
/// report's description.
pub struct RecordedRun<'r, 'a> {
    /// The policy's name in the report.
    pub policy: &'r str,
    /// The seed of the workload played.
    pub seed: u64,
    /// The aggregates of what was observed.
    pub stats: PolicyStats,
    /// One record per request, in the order written.
    pub records: &'r [RequestRecord<'a>],
    /// Appended to the scenario's description.
    pub note: &'r str,
}

/// Writes the per-request file of `records` in `format` into `out_dir`; returns its path.
fn write_records(
    scenario: &Scenario,
    policy: &str,
    records: &[RequestRecord<'_>],
    format: RequestsFormat,
    out_dir: &Path,
) -> Result<PathBuf> {
    let Some(name) = format.file_name() else {
        return Ok(out_dir.join("requests.csv"));
    };
    let path = out_dir.join(name);
    let models = mix_models(scenario);
    let table = &scenario.config.table;
    if format == RequestsFormat::Parquet {
        let names = RequestNames::new(policy, &models, table);
        let file = requests_parquet::RequestsParquetFile::create(&path, &names, false)?;
        let mut rows = requests_parquet::RequestsParquet::new(&names, file);
        records.iter().for_each(|r| rows.request(r));
        let (rest, mut file) = rows.finish();
        file.write(&rest)?;
        file.close()?;
        return Ok(path);
    }
    let file = File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut csv = csv::Writer::from_writer(BufWriter::new(file));
    let cannot = || format!("cannot write {}", path.display());
    csv.write_record(requests_csv::HEADER)
        .with_context(cannot)?;
    let mut rows = RequestsCsv::new(&mut csv, policy, models, table);
    records.iter().for_each(|r| rows.request(r));
    rows.finish().with_context(cannot)?;
    csv.flush().with_context(cannot)?;
    Ok(path)
}

/// [`write_recorded_run`] writing the per-request file in `requests` format.
pub fn write_recorded_run_as(
    scenario: &Scenario,
    run: RecordedRun<'_, '_>,
    requests: RequestsFormat,
    out_dir: &Path,
) -> Result<(RunOutput, usize)> {
    let RecordedRun {
        policy,
        seed,
        stats,
        records,
        note,
    } = run;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create the report directory {}", out_dir.display()))?;
    let requests_path = write_records(scenario, policy, records, requests, out_dir)?;
    let stats = vec![(policy.to_string(), stats)];
    let (summary, summary_path) = write_summary(scenario, seed, &stats, out_dir)?;
    let output = RunOutput {
        summary,
        summary_path,
        requests_path,
        requests_format: requests,
        budgets_path: None,
        stats,
        table: scenario.config.table.clone(),
    };
    let description = match scenario.description.trim() {
        "" => note.to_string(),
        d => format!("{d}\n\n{note}"),
    };
    let charts = write_pages_described(scenario, &description, &output, None, out_dir)?;
    Ok((output, charts))
}

/// Outage and brownout windows of the scenario's provider profiles, for shading.
pub fn fault_windows(scenario: &Scenario) -> Vec<Window> {
    let mut out = Vec::new();
    for p in &scenario.profiles {
        for o in &p.faults.outages {
            out.push(Window {
                start: o.start,
                end: o.end,
                label: format!("outage {} ({})", p.name, o.class.name()),
            });
        }
        for b in &p.faults.brownouts {
            out.push(Window {
                start: b.start,
                end: b.end,
                label: format!("brownout ×{} {}", b.latency_multiplier, p.name),
            });
        }
    }
    out
}

/// Writes the run's charts, `index.html` and `summary.md` into `out_dir` (with the comparison's
/// charts and verdicts when given); returns the number of charts.
pub fn write_pages(
    scenario: &Scenario,
    output: &RunOutput,
    comparison: Option<&crate::report::comparison::Comparison>,
    out_dir: &Path,
) -> Result<usize> {
    write_pages_described(scenario, &scenario.description, output, comparison, out_dir)
}

/// [`write_pages`] with `description` in place of the scenario's.
fn write_pages_described(
    scenario: &Scenario,
    description: &str,
    output: &RunOutput,
    comparison: Option<&crate::report::comparison::Comparison>,
    out_dir: &Path,
) -> Result<usize> {
    use crate::report::{charts, html};
    let stats: Vec<(&str, &PolicyStats)> =
        output.stats.iter().map(|(n, s)| (n.as_str(), s)).collect();
    let dir = out_dir.join("charts");
    let mut files = Vec::new();
    if let Some(c) = comparison {
        files.extend(crate::report::comparison_charts::comparison_charts(
            &dir, c,
        )?);
    }
    files.extend(charts::run_charts(
        &dir,
        &stats,
        &output.table,
        &fault_windows(scenario),
        scenario.duration.as_secs_f64() / 60.0,
    )?);
    let page = html::index_html(
        &output.summary,
        description,
        &scenario.config.to_yaml(),
        &files,
        comparison,
    )?;
    std::fs::write(out_dir.join("index.html"), page)
        .with_context(|| format!("cannot write {}", out_dir.join("index.html").display()))?;
    std::fs::write(
        out_dir.join("summary.md"),
        html::summary_md(&output.summary, comparison),
    )
    .with_context(|| format!("cannot write {}", out_dir.join("summary.md").display()))?;
    Ok(files.len())
}

/// The model each request class of the scenario's mix asks for, in mix order (the requests
/// CSV names a request's model by its class).
fn mix_models(scenario: &Scenario) -> Vec<&str> {
    scenario
        .workload
        .mix
        .iter()
        .map(|c| c.model.as_str())
        .collect()
}
