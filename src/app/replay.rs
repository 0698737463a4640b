//! `switchyard replay LOG --config CANDIDATE [--baseline-config CURRENT]`: a request log's
//! traffic through a candidate config (and the current one) in virtual time, on paired seeds.
//!
//! It fits the log's deployments ([`crate::replay::fit`]), builds one replay world per config
//! (their `model_list`s may differ), runs each over the same seeds in parallel and gathers the
//! runs in a fixed order, so the report is byte-identical whatever the number of threads. The
//! arrivals are the log's; a seed changes only the profiles' draws and the router's random
//! choices. It decides which runs are made and where the report goes; the matching, profiles
//! and workload are [`crate::replay`]'s, the report's shape [`crate::report::replay`]'s.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use super::output::{err, out};
use crate::config::LitellmConfig;
use crate::config::yaml::ProcessEnv;
use crate::metrics::{Discard, PolicyStats};
use crate::replay::fit::{FitOptions, fit};
use crate::replay::profiles::read_providers;
use crate::replay::read::{ReadOptions, read_log};
use crate::replay::world::{MatchedTraffic, ReplayWorld};
use crate::replay::{LogFormat, RecordedTraffic};
use crate::report::replay::{ConfigRuns, ReplayReport, RunDigest, replay_report};
use crate::sim::ProviderProfile;

/// `replay`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct ReplayArgs {
    /// The request log: Switchyard's proxy log (JSONL), LiteLLM's spend-log export (CSV or
    /// JSON) or the plain CSV (docs/replay.md).
    pub log: PathBuf,
    /// The candidate LiteLLM config.
    #[arg(long, value_name = "CANDIDATE")]
    pub config: PathBuf,
    /// The current config (the one the log was recorded with): the candidate is compared with
    /// it, and its replay is held against the log.
    #[arg(long, value_name = "CURRENT")]
    pub baseline_config: Option<PathBuf>,
    /// How many paired seeds (1, 2, … N), 2 to 10000.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(2..=10_000))]
    pub seeds: u64,
    /// A scenario file whose `providers:` section profiles deployments the log never saw.
    #[arg(long, value_name = "SCENARIO")]
    pub providers: Option<PathBuf>,
    /// Report directory (default: reports/<log stem>-replay/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The log's format (default: detected): switchyard-jsonl, litellm-spend-logs-csv,
    /// litellm-spend-logs-json, plain-csv.
    #[arg(long, value_name = "F", value_parser = log_format)]
    pub format: Option<LogFormat>,
    /// Skip rows that cannot be read (each is reported by line) instead of failing.
    #[arg(long)]
    pub skip_bad_rows: bool,
    /// Worker threads, 1 to 1024 (default: one per core).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
}

/// `--format`: one of the formats' names (also `switchyard fit`'s).
pub fn log_format(text: &str) -> std::result::Result<LogFormat, String> {
    crate::replay::read::format_named(text)
}

/// What a replay compares.
#[derive(Debug, Clone)]
pub struct ReplayRequest {
    /// The candidate config.
    pub candidate: LitellmConfig,
    /// The current config, when given.
    pub current: Option<LitellmConfig>,
    /// Profiles for deployments the log never saw.
    pub providers: Vec<ProviderProfile>,
    /// The paired seeds.
    pub seeds: Vec<u64>,
}

/// The replay worlds of `request`'s configs (candidate first) for `traffic`.
pub fn replay_worlds(
    traffic: &RecordedTraffic,
    request: &ReplayRequest,
) -> Result<Vec<ReplayWorld>> {
    let configs: Vec<&LitellmConfig> = std::iter::once(&request.candidate)
        .chain(&request.current)
        .collect();
    // Fitting reads the log's attempts; matching each config's deployments and building its
    // arrivals needs no fit: the two are built side by side.
    let (fitted, matched) = rayon::join(
        || fit(traffic, &FitOptions::default()),
        || {
            configs
                .par_iter()
                .map(|&c| MatchedTraffic::new(traffic, c.clone()))
                .collect::<Vec<_>>()
        },
    );
    matched
        .into_iter()
        .map(|m| m.with_profiles(&fitted, &request.providers))
        .collect()
}

/// One run of `world` with `seed`.
pub fn run_world(world: &ReplayWorld, seed: u64) -> PolicyStats {
    crate::sim::run(world.world(), world.config.settings.clone(), seed, Discard)
}

/// Replays `traffic` through the request's configs on its seeds (in parallel, on the current
/// rayon pool) and builds the report.
pub fn replay(traffic: &RecordedTraffic, request: &ReplayRequest) -> Result<ReplayReport> {
    if request.seeds.is_empty() {
        bail!("replay needs at least one seed");
    }
    let worlds = replay_worlds(traffic, request)?;
    let n = request.seeds.len();
    let digests: Vec<RunDigest> = (0..worlds.len() * n)
        .into_par_iter()
        .map(|j| RunDigest::of(&run_world(&worlds[j / n], request.seeds[j % n])))
        .collect();
    let runs = |w: usize, role| ConfigRuns {
        role,
        world: &worlds[w],
        runs: &digests[w * n..(w + 1) * n],
    };
    let current = (worlds.len() > 1).then(|| runs(1, "current"));
    Ok(replay_report(
        traffic,
        &request.seeds,
        runs(0, "candidate"),
        current,
    ))
}

/// Writes `replay.json`, `replay.md` and `index.html` into `dir`.
pub fn write_report(report: &ReplayReport, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the report directory {}", dir.display()))?;
    let write = |name: &str, text: String| {
        std::fs::write(dir.join(name), text)
            .with_context(|| format!("cannot write {}", dir.join(name).display()))
    };
    let mut json = serde_json::to_string_pretty(report)?;
    json.push('\n');
    write("replay.json", json)?;
    write("replay.md", crate::report::replay_text::replay_md(report))?;
    write(
        "index.html",
        crate::report::replay_html::replay_html(report),
    )
}

/// The default report directory: `reports/<log stem>-replay`.
fn default_out(log: &Path) -> PathBuf {
    let stem = log
        .file_stem()
        .map_or("log".into(), |s| s.to_string_lossy().into_owned());
    PathBuf::from("reports").join(format!("{stem}-replay"))
}

/// The `replay` command.
pub fn run_replay(args: ReplayArgs) -> Result<()> {
    let traffic = read_log(
        &args.log,
        &ReadOptions {
            format: args.format,
            skip_bad_rows: args.skip_bad_rows,
        },
    )?;
    let request = ReplayRequest {
        candidate: LitellmConfig::load(&args.config, &ProcessEnv)?,
        current: match &args.baseline_config {
            Some(p) => Some(LitellmConfig::load(p, &ProcessEnv)?),
            None => None,
        },
        providers: match &args.providers {
            Some(p) => read_providers(p, &ProcessEnv)?,
            None => Vec::new(),
        },
        seeds: (1..=args.seeds).collect(),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.map_or(0, usize::from))
        .build()?;
    let report = pool.install(|| replay(&traffic, &request))?;
    for w in &report.warnings {
        err(format_args!("warning: {w}"));
    }
    let dir = args.out.unwrap_or_else(|| default_out(&args.log));
    write_report(&report, &dir)?;
    for n in crate::report::replay_text::notes(&report) {
        out(n)?;
    }
    for table in crate::report::replay_text::replay_tables(&report) {
        out(table)?;
    }
    out(format_args!("wrote {}", dir.display()))
}
