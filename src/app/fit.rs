//! `switchyard fit LOG`: fits a provider profile per logged deployment and a workload from a
//! request log, and writes them as a scenario file a user can edit and commit.
//!
//! It decides the file's name, its `config:` reference (relative to the file) or inline router,
//! and which deployments of a given config the log never saw; the fitting is
//! [`crate::replay::fit`]'s and the spelling [`crate::replay::fit::scenario_file`]'s. It must
//! not simulate.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::config::LitellmConfig;
use crate::config::yaml::EnvLookup;
use crate::replay::LogFormat;
use crate::replay::fit::scenario_file::{ScenarioFile, group_of, write};
use crate::replay::fit::workload::fit_workload;
use crate::replay::fit::{FitOptions, FittedProvider, fit};
use crate::replay::read::{ReadOptions, read_log};
use crate::replay::traffic::RecordedTraffic;
use crate::scenario::MAX_NAME_LEN;

/// How a scenario is fitted.
pub struct FitScenarioOptions<'a> {
    /// The error windows' length.
    pub window: Duration,
    /// Environment for reading the `--config` file.
    pub env: &'a dyn EnvLookup,
}

/// What the command line asked for.
#[derive(Debug, Clone)]
pub struct FitRequest {
    /// The log.
    pub log: PathBuf,
    /// The router config the scenario names (`config:`); `None` writes an inline router.
    pub config: Option<PathBuf>,
    /// The scenario file to write.
    pub out: PathBuf,
    /// The log's format, when not detected.
    pub format: Option<LogFormat>,
    /// Skip bad rows (they are reported) instead of refusing the log.
    pub skip_bad_rows: bool,
    /// The error windows' length.
    pub window: Duration,
}

/// The default output file: `fitted-<log stem>.yaml` in the current directory.
pub fn default_out(log: &Path) -> PathBuf {
    let stem = log
        .file_stem()
        .map_or("log".into(), |s| s.to_string_lossy());
    PathBuf::from(format!("fitted-{stem}.yaml"))
}

/// A scenario name from the output file's stem: letters, digits, `-`, `_`, `.` only.
fn scenario_name(out: &Path) -> String {
    let stem = out
        .file_stem()
        .map_or("fitted".into(), |s| s.to_string_lossy());
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(MAX_NAME_LEN)
        .collect();
    let name = name.trim_start_matches('.').to_string();
    if name.is_empty() {
        "fitted".into()
    } else {
        name
    }
}

/// `target` as a path relative to the directory `base` (both made absolute first).
fn relative_to(target: &Path, base: &Path) -> Result<String> {
    let target = target
        .canonicalize()
        .with_context(|| format!("--config {}: cannot find the file", target.display()))?;
    let base = base
        .canonicalize()
        .with_context(|| format!("{}: cannot find the output directory", base.display()))?;
    let t: Vec<Component> = target.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut rel = PathBuf::new();
    for _ in common..b.len() {
        rel.push("..");
    }
    for c in &t[common..] {
        rel.push(c);
    }
    Ok(rel.to_string_lossy().replace('\\', "/"))
}

/// The deployments of `config` that no fitted profile matches, by id.
fn unseen(config: &LitellmConfig, providers: &[FittedProvider]) -> Vec<String> {
    config
        .deployments
        .iter()
        .filter(|d| {
            !providers.iter().any(|p| {
                let m = &p.profile.matches;
                m.id.as_deref() == Some(d.id.as_str())
                    || (m.id.is_none()
                        && m.api_base.is_some()
                        && m.api_base.as_deref() == d.api_base_text())
                    || (m.id.is_none()
                        && m.api_base.is_none()
                        && m.model_name.as_deref() == Some(d.model_name.as_str()))
            })
        })
        .map(|d| format!("{} (model_name {})", d.id, d.model_name))
        .collect()
}

/// Whether some logged request kind asks for the model group of a fitted deployment.
fn any_kind_served(traffic: &RecordedTraffic, providers: &[FittedProvider]) -> bool {
    traffic.kinds.iter().any(|k| {
        providers
            .iter()
            .any(|p| group_of(&traffic.deployments[p.deployment as usize]) == k.model)
    })
}

/// The scenario text fitted from `traffic`, to be written at `out`; `config` (when given) is
/// named relative to `out`'s directory.
pub fn fit_scenario(
    traffic: &RecordedTraffic,
    config: Option<&Path>,
    out: &Path,
    options: &FitScenarioOptions<'_>,
) -> Result<String> {
    if traffic.requests.is_empty() {
        bail!("{}: the log has no requests to fit", traffic.file);
    }
    if options.window < Duration::from_millis(1) {
        bail!("--window: expected at least 1ms");
    }
    let providers = fit(
        traffic,
        &FitOptions {
            window: options.window,
        },
    );
    let out_dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let (config_text, unseen) = match config {
        Some(path) => {
            let loaded = LitellmConfig::load(path, options.env)?;
            (
                Some(relative_to(path, &out_dir)?),
                unseen(&loaded, &providers),
            )
        }
        None => (None, Vec::new()),
    };
    let workload = fit_workload(traffic);
    if config.is_none() && !any_kind_served(traffic, &providers) {
        bail!(
            "{}: no logged request asked for a model group a logged deployment serves, so an inline router would have no workload; give the router config with --config",
            traffic.file
        );
    }
    Ok(write(&ScenarioFile {
        name: &scenario_name(out),
        traffic,
        providers: &providers,
        workload: &workload,
        window: options.window,
        config: config_text.as_deref(),
        unseen: &unseen,
    }))
}

/// Runs the command: reads, fits, writes; returns the text it wrote.
pub fn run_fit(request: &FitRequest, env: &dyn EnvLookup) -> Result<String> {
    let traffic = read_log(
        &request.log,
        &ReadOptions {
            format: request.format,
            skip_bad_rows: request.skip_bad_rows,
        },
    )?;
    let text = fit_scenario(
        &traffic,
        request.config.as_deref(),
        &request.out,
        &FitScenarioOptions {
            window: request.window,
            env,
        },
    )?;
    std::fs::write(&request.out, &text)
        .with_context(|| format!("{}: cannot write the scenario", request.out.display()))?;
    Ok(text)
}

/// `switchyard fit`'s flags.
#[derive(Debug, clap::Args)]
pub struct FitArgs {
    /// The request log: Switchyard's proxy log (JSONL), LiteLLM's spend-log export (CSV or
    /// JSON) or the plain CSV (docs/replay.md).
    log: PathBuf,
    /// The router config the scenario names (`config:`, relative to the written file);
    /// without it the file has an inline router with one entry per logged deployment.
    #[arg(long, value_name = "CONFIG")]
    config: Option<PathBuf>,
    /// The scenario file to write (default: fitted-<log name>.yaml).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The log's format when it is not detected: switchyard-jsonl, litellm-spend-logs-csv,
    /// litellm-spend-logs-json or plain-csv.
    #[arg(long, value_name = "F", value_parser = super::replay::log_format)]
    format: Option<LogFormat>,
    /// Skip rows that cannot be read (each is reported by line) instead of refusing the log.
    #[arg(long)]
    skip_bad_rows: bool,
    /// The error windows' length in seconds (1 to 86400).
    #[arg(long, value_name = "SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    window: u64,
}

/// Runs `switchyard fit` and prints what it wrote.
pub fn command(args: FitArgs, env: &dyn EnvLookup) -> Result<()> {
    let request = FitRequest {
        out: args.out.unwrap_or_else(|| default_out(&args.log)),
        log: args.log,
        config: args.config,
        format: args.format,
        skip_bad_rows: args.skip_bad_rows,
        window: Duration::from_secs(args.window),
    };
    run_fit(&request, env)?;
    super::output::out(format_args!("wrote {}", request.out.display()))?;
    if let Err(e) = crate::scenario::load_scenario(&request.out, env) {
        super::output::err(format_args!(
            "warning: {} does not load yet, edit it first: {e}",
            request.out.display()
        ));
    }
    Ok(())
}
