//! The command line: parse, dispatch, print. Everything testable lives in the library.
//!
//! It decides the commands, their flags, what is printed and the exit codes; it must not hold
//! logic a test would want to reach (that belongs in [`super::runner`], [`super::compare`],
//! [`super::check`] or the layers below). It is the one place allowed a wall clock, for the
//! speed it reports.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use super::interrupt::{INTERRUPTED_EXIT, on_ctrl_c};
use super::output::{self, exit_for, out};
use super::progress::{self, Progress};
use super::validation::{Refused, load_runnable, validate_file};
use crate::config::yaml::ProcessEnv;
use crate::report::requests_format::RequestsFormat;
use crate::report::table;
#[cfg(feature = "live")]
use crate::scenario::load_scenario;

/// `println!` that returns an error instead of panicking when standard output fails.
macro_rules! say {
    ($($arg:tt)*) => {
        out(format_args!($($arg)*))?
    };
}

/// `eprintln!` that never panics.
macro_rules! note {
    ($($arg:tt)*) => {
        output::err(format_args!($($arg)*))
    };
}

/// See what an LLM gateway's routing config does to your traffic.
#[derive(Debug, Parser)]
#[command(name = "switchyard", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The scenario file (YAML).
    scenario: PathBuf,
    /// Seed of every random stream (default: the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Report directory (default: reports/<scenario name>/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run only this policy.
    #[arg(long)]
    policy: Option<String>,
    /// Do not print the per-deployment tables.
    #[arg(long)]
    brief: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Prices in LiteLLM's model_prices_and_context_window.json format (beside the
    /// deployments' own prices and the built-in table).
    #[arg(long, value_name = "FILE")]
    prices: Option<PathBuf>,
    /// Explain request number ID (the `id` column of requests.parquet or requests.csv; ids
    /// count arrivals from 0): every attempt, filter and wait.
    #[arg(long, value_name = "ID")]
    explain: Option<u64>,
    /// The per-request file: parquet (requests.parquet, typed and compressed), csv
    /// (requests.csv) or none.
    #[arg(long, value_name = "FORMAT", default_value = "parquet")]
    requests: RequestsFormat,
}

#[cfg(feature = "live")]
#[derive(Debug, clap::Args)]
struct DriveArgs {
    /// The scenario file (YAML) whose workload is played.
    scenario: PathBuf,
    /// The gateway: `http://127.0.0.1:4000` (or its `/v1` or chat-completions URL).
    #[arg(long)]
    target: String,
    /// Sent as `Authorization: Bearer KEY`.
    #[arg(long)]
    key: Option<String>,
    /// Virtual seconds per wall-clock second (a positive number).
    #[arg(long, default_value_t = 1.0, value_parser = speed)]
    speed: f64,
    /// Seed of the workload (default: the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Report directory (default: reports/<scenario name>-live/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Send at most this many requests (default: every arrival of the scenario's duration).
    #[arg(long, value_name = "N")]
    max_requests: Option<u64>,
    /// At most N requests in flight; later arrivals wait for a slot.
    #[arg(long, value_name = "N")]
    concurrency_limit: Option<usize>,
}

/// The flags `compare` and `sweep` share: how many seeds, where, how many threads, the bar
/// and the shard.
#[derive(Debug, clap::Args)]
struct ManySeeds {
    /// How many seeds (the scenario's seed and the ones after it), 2 to 100000.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(2..=100_000))]
    seeds: u64,
    /// Report directory (default: reports/<scenario name>/ for compare,
    /// reports/<scenario name>-sweep/ for sweep).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Worker threads, 1 to 1024 (default: one per core).
    #[arg(long, value_parser = threads)]
    threads: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Run only shard I of N (0-based: 0/4 … 3/4) and write DIR/partial-I-of-N.json for
    /// `merge`.
    #[arg(long, value_name = "I/N")]
    shard: Option<super::shard::Shard>,
}

impl ManySeeds {
    /// The bar over this shard's share of `runs` simulations.
    fn bar(&self, runs: u64) -> indicatif::ProgressBar {
        let share = (self.shard).map_or(runs, |s| {
            runs.saturating_sub(s.index as u64).div_ceil(s.count as u64)
        });
        runs_bar(share, self.quiet)
    }
}

#[derive(Debug, clap::Args)]
struct SweepArgs {
    /// The scenario file (YAML) with a `sweep:` block.
    scenario: PathBuf,
    /// The Pareto front's metrics, comma-separated (default: the scenario's
    /// `sweep_objectives`, else success_rate,latency_p99_ms,cost_usd).
    #[arg(long, value_name = "METRICS")]
    objectives: Option<String>,
    #[command(flatten)]
    many: ManySeeds,
}

/// How `validate` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// One line per finding.
    Text,
    /// A JSON document.
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate a scenario: every policy over the same workload, then print and write a report.
    Run(RunArgs),
    /// Serve a LiteLLM config (or a scenario's router) as an OpenAI-compatible proxy.
    #[cfg(feature = "live")]
    Serve(super::serve::ServeArgs),
    /// Run scenarios and check their expectations (exit 0 all pass, 1 a failure, 2 bad input).
    Check {
        /// Scenario files or directories of them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Write JUnit XML here.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Compare each scenario's summary with `<DIR>/<scenario>.json`.
        #[arg(long, value_name = "DIR")]
        baseline: Option<PathBuf>,
        /// Write the baselines instead of comparing.
        #[arg(long, requires = "baseline")]
        update_baseline: bool,
    },
    /// Play a scenario's workload against a running gateway and report what its clients saw.
    #[cfg(feature = "live")]
    Drive(DriveArgs),
    /// Check a LiteLLM config or a scenario: schema errors and lint findings.
    Validate {
        /// The file (a LiteLLM config, or a scenario).
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Fail on warnings too.
        #[arg(long)]
        strict: bool,
    },
    /// Compare the scenario's policies over several seeds, with 95 % confidence intervals.
    Compare {
        /// The scenario file (YAML).
        scenario: PathBuf,
        /// The policy the others are compared with (default: the first).
        #[arg(long)]
        baseline: Option<String>,
        #[command(flatten)]
        many: ManySeeds,
    },
    /// Run every point of the scenario's `sweep:` grid over the same seeds; report each
    /// point's metrics with 95 % intervals and the Pareto front.
    Sweep(SweepArgs),
    /// Fit a provider profile per deployment and a workload from a request log, written as a
    /// scenario file to edit and commit.
    Fit(super::fit::FitArgs),
    /// Replay a request log through a candidate config (and the current one) in virtual time.
    Replay(super::replay::ReplayArgs),
    /// Combine the partial results of `compare --shard` or `sweep --shard` into the report a
    /// single run writes.
    Merge {
        /// Partial result files (partial-I-of-N.json) or directories holding them.
        #[arg(required = true)]
        partials: Vec<PathBuf>,
        /// The scenario file (default: the path recorded in the partials).
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// Report directory (default: the command's: reports/<scenario name>/ for compare,
        /// reports/<scenario name>-sweep/ for sweep).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Serve the scenario's providers over HTTP on the wall clock, for a live gateway to call.
    #[cfg(feature = "live")]
    MockProvider {
        /// The scenario file (YAML).
        scenario: PathBuf,
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
        /// The port to listen on.
        #[arg(long, default_value_t = 9100)]
        port: u16,
        /// Run the scenario's time this many times faster (outages, latencies, rate windows).
        #[arg(long, default_value_t = 1.0, value_parser = speed)]
        speed: f64,
        /// The providers' seed (default: the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
    },
}

/// `--speed`: a finite number above zero (and below a million, past which the wall clock
/// cannot keep up anyway).
#[cfg_attr(not(feature = "live"), allow(dead_code))]
fn speed(text: &str) -> std::result::Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x > 0.0 && x <= 1.0e6 => Ok(x),
        _ => Err(format!(
            "expected a number above 0 and at most 1000000, found {text:?}"
        )),
    }
}

/// `--threads`: 1 to 1024.
fn threads(text: &str) -> std::result::Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!("expected 1 to 1024 threads, found {text:?}")),
    }
}

/// Runs the command line and returns the process's exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_exit(&e),
    };
    match &cli.command {
        Command::Validate {
            file,
            format,
            strict,
        } => validate(file, *format, *strict).unwrap_or_else(|e| failed(&e, 2)),
        Command::Check {
            paths,
            junit,
            baseline,
            update_baseline,
        } => check(
            paths,
            junit.as_deref(),
            baseline.as_deref(),
            *update_baseline,
        )
        .unwrap_or_else(|e| failed(&e, 2)),
        _ => match dispatch(cli) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => failed(&e, 1),
        },
    }
}

/// Prints clap's help, version or usage error and returns its exit code (2 for a usage error);
/// printing fails as any command's output does.
fn usage_exit(e: &clap::Error) -> ExitCode {
    match e.print() {
        Ok(()) => ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2)),
        Err(io) => exit_for(&output::stdout_error(io), 2),
    }
}

/// The exit code of a command that failed with `e`: a refused file lists each of its errors.
fn failed(e: &anyhow::Error, code: u8) -> ExitCode {
    if let Some(refused) = e.downcast_ref::<Refused>() {
        for line in &refused.errors {
            note!("error: {line}");
        }
        return ExitCode::from(code);
    }
    if e.downcast_ref::<Interrupted>().is_some() {
        note!("{e}");
        return ExitCode::from(INTERRUPTED_EXIT as u8);
    }
    exit_for(e, code)
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => run(args),
        #[cfg(feature = "live")]
        Command::Serve(args) => super::serve::serve(args),
        #[cfg(feature = "live")]
        Command::Drive(args) => drive(args),
        Command::Validate { .. } | Command::Check { .. } => Ok(()),
        Command::Compare {
            scenario,
            baseline,
            many,
        } => compare(scenario, baseline, many),
        Command::Sweep(args) => sweep(args),
        Command::Fit(args) => super::fit::command(args, &ProcessEnv),
        Command::Replay(args) => super::replay::run_replay(args),
        Command::Merge {
            partials,
            scenario,
            out,
        } => merge(&partials, scenario.as_deref(), out.as_deref()),
        #[cfg(feature = "live")]
        Command::MockProvider {
            scenario,
            host,
            port,
            speed,
            seed,
        } => {
            // Only the providers are served: the router config's lint findings do not bar them.
            let scenario = load_scenario(&scenario, &ProcessEnv)?;
            let options = crate::live::mock_provider::MockOptions {
                host,
                port,
                speed,
                seed,
            };
            let runtime = tokio::runtime::Runtime::new()?;
            Ok(runtime.block_on(crate::live::mock_provider::run(&scenario, &options))?)
        }
    }
}

/// A bar over `len` simulations with the time left (`{eta}`) on stderr, hidden when `hidden` or
/// when stderr is not a terminal.
fn runs_bar(len: u64, hidden: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if hidden || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} runs, {elapsed} elapsed, about {eta} left",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// The seeds of a multi-seed command: the scenario's and the ones after it.
fn seed_list(first: u64, n: u64) -> Vec<u64> {
    (0..n).map(|i| first.wrapping_add(i)).collect()
}

/// A rayon pool of `threads` workers (default: one per core).
fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    Ok(rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()?)
}

fn compare(path: PathBuf, baseline: Option<String>, many: ManySeeds) -> Result<()> {
    use super::compare::{CompareRequest, Compared, compare_to_dir};
    let scenario = load_runnable(&path, &ProcessEnv)?;
    for warning in &scenario.warnings {
        note!("warning: {warning}");
    }
    let seed_list = seed_list(scenario.seed, many.seeds);
    let baseline = baseline.unwrap_or_else(|| scenario.policies[0].name.clone());
    let bar = many.bar(many.seeds * scenario.policies.len() as u64);
    let on_run = || bar.inc(1);
    let stop = super::interrupt::on_ctrl_c()?;
    let out_dir = (many.out).unwrap_or_else(|| super::compare::default_dir(&scenario));
    let request = CompareRequest {
        path: &path,
        seeds: &seed_list,
        baseline: &baseline,
        shard: many.shard,
        stop: &stop,
        on_run: &on_run,
    };
    let compared = pool(many.threads)?.install(|| compare_to_dir(&scenario, request, &out_dir))?;
    bar.finish_and_clear();
    let (comparison, charts) = match compared {
        Compared::Shard(file) => {
            say!(
                "wrote {} (merge all shards with `switchyard merge`)",
                file.display()
            );
            return Ok(());
        }
        Compared::Report(c, charts) => (c, charts),
    };
    if comparison.partial {
        say!(
            "PARTIAL: stopped early; left out policies {}",
            comparison.missing.join(", ")
        );
    }
    say!(
        "{} — {} policies × {} seeds ({}…{}), baseline {}, 95 % intervals",
        scenario.name,
        comparison.policies.len(),
        seed_list.len(),
        seed_list[0],
        seed_list[seed_list.len() - 1],
        comparison.baseline
    );
    print_comparison(&comparison, &out_dir, charts)
}

/// The comparison's tables and the files written.
fn print_comparison(
    comparison: &crate::report::comparison::Comparison,
    out_dir: &std::path::Path,
    charts: usize,
) -> Result<()> {
    say!("{}", table::comparison_table(comparison));
    if let Some(sweep) = table::sync_sweep_table(comparison) {
        say!("\novershoot against sync interval (means over the seeds):\n{sweep}");
    }
    say!(
        "wrote {}, {}, {} charts and {}",
        out_dir.join("comparison.json").display(),
        out_dir.join("comparison.csv").display(),
        charts,
        out_dir.join("index.html").display()
    );
    Ok(())
}

/// The per-request file's path and a comma for the "wrote" line, or nothing without one.
fn requests_written(output: &super::runner::RunOutput) -> String {
    match output.requests_format {
        RequestsFormat::None => String::new(),
        _ => format!("{}, ", output.requests_path.display()),
    }
}

fn sweep(args: SweepArgs) -> Result<()> {
    use super::sweep::{SweepRequest, Swept, grid, parse_objectives, sweep_to_dir};
    let scenario = load_runnable(&args.scenario, &ProcessEnv)?;
    for warning in &scenario.warnings {
        note!("warning: {warning}");
    }
    let points = grid(&scenario)?.points.len() as u64;
    let objectives = args
        .objectives
        .as_deref()
        .map(parse_objectives)
        .transpose()?;
    let many = &args.many;
    let seed_list = seed_list(scenario.seed, many.seeds);
    let bar = many.bar(points * many.seeds);
    let on_run = || bar.inc(1);
    let stop = super::interrupt::on_ctrl_c()?;
    let out_dir = (many.out.clone()).unwrap_or_else(|| super::sweep::default_dir(&scenario));
    let request = SweepRequest {
        path: &args.scenario,
        seeds: &seed_list,
        objectives: objectives.as_deref(),
        shard: many.shard,
        stop: &stop,
        on_run: &on_run,
    };
    let swept = pool(many.threads)?.install(|| sweep_to_dir(&scenario, request, &out_dir))?;
    bar.finish_and_clear();
    match swept {
        Swept::Shard(file) => {
            say!(
                "wrote {} (merge all shards with `switchyard merge`)",
                file.display()
            );
            Ok(())
        }
        Swept::Report(report) => print_sweep(&report, &out_dir),
    }
}

/// The sweep's front and the files written.
fn print_sweep(
    report: &crate::report::sweep::SweepReport,
    out_dir: &std::path::Path,
) -> Result<()> {
    if report.partial {
        say!(
            "PARTIAL: stopped early; left out {} points ({})",
            report.missing.len(),
            report.missing.join(", ")
        );
    }
    let objectives: Vec<&str> = report
        .objectives
        .iter()
        .map(|o| o.metric.as_str())
        .collect();
    say!(
        "{} — {} points × {} seeds; {} on the Pareto front over {} (means, 95 % intervals):",
        report.scenario,
        report.points.len(),
        report.seeds.len(),
        report.front().count(),
        objectives.join(", ")
    );
    say!("{}", crate::report::sweep::front_table(report));
    say!(
        "wrote {}, {} and {}",
        out_dir.join("sweep.json").display(),
        out_dir.join("sweep.csv").display(),
        out_dir.join("index.html").display()
    );
    Ok(())
}

fn merge(
    partials: &[PathBuf],
    scenario: Option<&std::path::Path>,
    out: Option<&std::path::Path>,
) -> Result<()> {
    use super::merge::Merged;
    let (merged, out_dir) = super::merge::merge(partials, scenario, out, &ProcessEnv)?;
    match merged {
        Merged::Compare(c, charts) => {
            say!(
                "{} — {} policies × {} seeds, baseline {}, merged from shards",
                c.scenario,
                c.policies.len(),
                c.seeds.len(),
                c.baseline
            );
            print_comparison(&c, &out_dir, charts)
        }
        Merged::Sweep(r) => print_sweep(&r, &out_dir),
    }
}

fn run(args: RunArgs) -> Result<()> {
    let RunArgs {
        scenario: path,
        seed,
        out,
        policy,
        brief,
        quiet,
        prices,
        explain,
        requests,
    } = args;
    let mut scenario = load_runnable(&path, &ProcessEnv)?;
    if let Some(file) = prices {
        scenario.price_file = Some(crate::router::PriceFile::load(&file)?);
    }
    for warning in &scenario.warnings {
        note!("warning: {warning}");
    }
    let policies: Vec<_> = match &policy {
        Some(name) => match scenario.policy(name) {
            Some(p) => vec![p],
            None => {
                let names: Vec<&str> = scenario.policies.iter().map(|p| p.name.as_str()).collect();
                bail!(
                    "{}: no policy named {name:?} (policies: {})",
                    scenario.file,
                    names.join(", ")
                );
            }
        },
        None => scenario.policies.iter().collect(),
    };
    let seed = seed.unwrap_or(scenario.seed);
    if let Some(id) = explain {
        for p in &policies {
            say!("policy {} — request {id}:", p.name);
            let lines = super::runner::explain_request(&scenario, p, seed, id)?;
            if lines.is_empty() {
                say!("  request {id} never arrived (ids start at 0 and count arrivals)");
            }
            for line in lines {
                say!("{line}");
            }
        }
        return Ok(());
    }
    let out_dir = out.unwrap_or_else(|| PathBuf::from("reports").join(&scenario.name));

    #[allow(
        clippy::disallowed_methods,
        clippy::disallowed_types,
        reason = "the command line reports wall-clock speed; the simulation itself never reads a clock"
    )]
    let started = std::time::Instant::now();
    // Ctrl-C stops the arrivals; the report then covers what was simulated and says so.
    let progress = Progress::new(policies.len(), scenario.duration, on_ctrl_c()?);
    let output = progress::watch(&progress, progress::Display::choose(quiet), || {
        super::runner::run_scenario_as(&scenario, &policies, seed, &out_dir, requests, &progress)
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    let charts = super::runner::write_pages(&scenario, &output, None, &out_dir)?;

    let summary = &output.summary;
    say!(
        "{} — seed {}, {} s of traffic{}",
        scenario.name,
        seed,
        summary.duration_s,
        if scenario.description.is_empty() {
            String::new()
        } else {
            format!("\n{}", scenario.description.trim())
        }
    );
    if let Some(line) = table::partial_line(summary) {
        say!("{line}");
    }
    say!("{}", table::policies_table(summary));
    if let Some(fleet) = table::fleet_table(summary) {
        say!("\ngateway instances:\n{fleet}");
    }
    if !brief {
        for (name, p) in &summary.policies {
            say!("\npolicy {name}: {}", table::errors_line(p));
            say!("{}", table::deployments_table(p));
        }
    }
    let total: u64 = summary.policies.values().map(|p| p.requests).sum();
    say!(
        "\nsimulated {total} requests in {elapsed:.2} s ({:.0} requests/s)",
        total as f64 / elapsed.max(1e-9)
    );
    say!(
        "wrote {}, {}{} charts in {} and {}",
        output.summary_path.display(),
        requests_written(&output),
        charts,
        out_dir.join("charts").display(),
        out_dir.join("index.html").display()
    );
    if summary.partial.is_some() {
        return Err(Interrupted.into());
    }
    Ok(())
}

/// A command stopped by Ctrl-C after writing its (partial) report: exit 130, as a shell
/// reports an interrupted process.
#[derive(Debug)]
struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted: the report covers the arrivals before the stop (partial)")
    }
}

impl std::error::Error for Interrupted {}

#[cfg(feature = "live")]
fn drive(args: DriveArgs) -> Result<()> {
    use crate::live::drive;
    // The scenario's router config is the gateway's business here, so its lint findings do not
    // bar a drive; schema errors do.
    let scenario = load_scenario(&args.scenario, &ProcessEnv)?;
    for warning in &scenario.warnings {
        note!("warning: {warning}");
    }
    let options = drive::DriveOptions {
        key: args.key,
        speed: args.speed,
        seed: args.seed,
        max_requests: args.max_requests,
        concurrency_limit: args.concurrency_limit,
        ..drive::DriveOptions::new(args.target)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    // Ctrl-C ends the run early; the report covers the requests sent until then.
    let stop = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        note!("stopping: requests still out are recorded as timeouts");
    };
    let live = runtime.block_on(drive::run_until(&scenario, &options, stop))?;
    let out_dir = (args.out)
        .unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-live", scenario.name)));
    let recorded = super::runner::RecordedRun {
        policy: drive::POLICY,
        seed: live.seed,
        stats: live.stats,
        records: &live.records,
        note: drive::CLIENT_VIEW,
    };
    let (output, charts) = super::runner::write_recorded_run_as(
        &scenario,
        recorded,
        RequestsFormat::default(),
        &out_dir,
    )?;
    for (id, n) in &live.unknown_model_ids {
        note!(
            "warning: {n} answers named model id {id:?}, no deployment of the scenario \
             (set model_info.id in the gateway's config)"
        );
    }
    if live.unfinished > 0 {
        note!(
            "warning: {} requests were still out at the deadline (recorded as timeouts)",
            live.unfinished
        );
    }
    let summary = &output.summary;
    say!(
        "{} — seed {}, live against {}, speed ×{}",
        scenario.name,
        live.seed,
        options.target,
        options.speed
    );
    say!("{}", table::policies_table(summary));
    for p in summary.policies.values() {
        say!("\n{}", table::errors_line(p));
        say!("{}", table::deployments_table(p));
    }
    say!(
        "\nsent {} requests in {:.2} s; wrote {}, {}{charts} charts and {}",
        live.records.len(),
        live.wall.as_secs_f64(),
        output.summary_path.display(),
        requests_written(&output),
        out_dir.join("index.html").display()
    );
    Ok(())
}

/// `validate`: exit 0 without errors (warnings too with `strict`), 1 with errors, 2 when the
/// file cannot be read or parsed.
fn validate(path: &std::path::Path, format: Format, strict: bool) -> Result<ExitCode> {
    use crate::config::lint::Severity;

    let v = match validate_file(path, &ProcessEnv) {
        Ok(v) => v,
        Err(e) => {
            note!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let (errors, warnings) = (v.errors(), v.warnings());
    match format {
        Format::Json => {
            let doc = serde_json::json!({
                "file": v.file,
                "errors": errors,
                "warnings": warnings,
                "findings": v.findings,
            });
            say!("{}", serde_json::to_string_pretty(&doc)?);
        }
        Format::Text => {
            for f in &v.findings {
                let level = match f.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                if f.rule == "schema" {
                    say!("{level}[{}]: {}", f.rule, f.message);
                } else {
                    say!("{level}[{}]: {}: {}: {}", f.rule, v.file, f.path, f.message);
                }
            }
            say!("{}: {errors} errors, {warnings} warnings", v.file);
        }
    }
    Ok(if errors > 0 || (strict && warnings > 0) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `check`: exit 0 when every expectation holds, 1 on a failure, 2 on a file it cannot run.
fn check(
    paths: &[PathBuf],
    junit: Option<&std::path::Path>,
    baseline: Option<&std::path::Path>,
    update_baseline: bool,
) -> Result<ExitCode> {
    let run = super::check::check(paths, &ProcessEnv, baseline, update_baseline)?;
    for e in &run.invalid {
        for line in e.lines() {
            say!("INVALID {line}");
        }
    }
    for r in &run.results {
        let mark = if r.passed { "PASS" } else { "FAIL" };
        say!("{mark} {}: {} — {}", r.scenario, r.name, r.detail);
    }
    let failed = run.results.iter().filter(|r| !r.passed).count();
    say!(
        "{} passed, {} failed",
        run.results.len() - failed,
        failed + run.invalid.len()
    );
    if let Some(path) = junit {
        std::fs::write(path, super::check::junit(&run))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(if !run.invalid.is_empty() {
        ExitCode::from(2)
    } else if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
