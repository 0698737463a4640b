//! The command line: parse, dispatch, print. Everything testable lives in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Parser, Subcommand};

use crate::config::yaml::ProcessEnv;
use crate::report::table;
use crate::runner::run_scenario;
use crate::scenario::load_scenario;

/// See what an LLM gateway's routing config does to your traffic.
#[derive(Debug, Parser)]
#[command(name = "switchyard", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate a scenario: every policy over the same workload, then print and write a report.
    Run {
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
        /// Prices in LiteLLM's model_prices_and_context_window.json format (beside the
        /// deployments' own prices and the built-in table).
        #[arg(long, value_name = "FILE")]
        prices: Option<PathBuf>,
        /// Explain request number ID (from requests.csv): every attempt, filter and wait.
        #[arg(long, value_name = "ID")]
        explain: Option<u64>,
    },
    /// Compare the scenario's policies over several seeds, with 95 % confidence intervals.
    Compare {
        /// The scenario file (YAML).
        scenario: PathBuf,
        /// How many seeds (the scenario's seed and the ones after it).
        #[arg(long, default_value_t = 10)]
        seeds: u64,
        /// The policy the others are compared with (default: the first).
        #[arg(long)]
        baseline: Option<String>,
        /// Report directory (default: reports/<scenario name>/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads (default: one per core).
        #[arg(long)]
        threads: Option<usize>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
}

/// Runs the command line and returns the process's exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run {
            scenario,
            seed,
            out,
            policy,
            brief,
            prices,
            explain,
        } => run(scenario, seed, out, policy, brief, prices, explain),
        Command::Compare {
            scenario,
            seeds,
            baseline,
            out,
            threads,
            quiet,
        } => compare(scenario, seeds, baseline, out, threads, quiet),
    }
}

fn compare(
    path: PathBuf,
    seeds: u64,
    baseline: Option<String>,
    out: Option<PathBuf>,
    threads: Option<usize>,
    quiet: bool,
) -> Result<()> {
    use std::io::IsTerminal;

    let scenario = load_scenario(&path, &ProcessEnv)?;
    for warning in &scenario.warnings {
        eprintln!("warning: {warning}");
    }
    let seed_list: Vec<u64> = (0..seeds).map(|i| scenario.seed.wrapping_add(i)).collect();
    let baseline = baseline.unwrap_or_else(|| scenario.policies[0].name.clone());
    let runs = seed_list.len() as u64 * scenario.policies.len() as u64;
    let bar = if quiet || !std::io::stderr().is_terminal() {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::new(runs);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} runs, {eta} left")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    };
    let on_run = || bar.inc(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()?;
    let comparison =
        pool.install(|| crate::comparison::compare(&scenario, &seed_list, &baseline, &on_run))?;
    bar.finish_and_clear();

    let out_dir = out.unwrap_or_else(|| PathBuf::from("reports").join(&scenario.name));
    std::fs::create_dir_all(&out_dir)?;
    let mut json = serde_json::to_string_pretty(&comparison)?;
    json.push('\n');
    std::fs::write(out_dir.join("comparison.json"), json)?;
    std::fs::write(
        out_dir.join("comparison.csv"),
        crate::comparison::to_csv(&comparison)?,
    )?;
    // The first seed's full run gives the page its tables and run charts.
    let policies: Vec<_> = scenario.policies.iter().collect();
    let output = run_scenario(&scenario, &policies, seed_list[0], &out_dir)?;
    let charts = crate::runner::write_pages(&scenario, &output, Some(&comparison), &out_dir)?;

    println!(
        "{} — {} policies × {} seeds ({}…{}), baseline {}, 95 % intervals",
        scenario.name,
        scenario.policies.len(),
        seed_list.len(),
        seed_list[0],
        seed_list[seed_list.len() - 1],
        comparison.baseline
    );
    println!("{}", table::comparison_table(&comparison));
    println!(
        "wrote {}, {}, {} charts and {}",
        out_dir.join("comparison.json").display(),
        out_dir.join("comparison.csv").display(),
        charts,
        out_dir.join("index.html").display()
    );
    Ok(())
}

fn run(
    path: PathBuf,
    seed: Option<u64>,
    out: Option<PathBuf>,
    policy: Option<String>,
    brief: bool,
    prices: Option<PathBuf>,
    explain: Option<u64>,
) -> Result<()> {
    let mut scenario = load_scenario(&path, &ProcessEnv)?;
    if let Some(file) = prices {
        scenario.price_file = Some(crate::router::PriceFile::load(&file)?);
    }
    for warning in &scenario.warnings {
        eprintln!("warning: {warning}");
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
            println!("policy {} — request {id}:", p.name);
            let lines = crate::runner::explain_request(&scenario, p, seed, id)?;
            if lines.is_empty() {
                println!("  request {id} never arrived (ids start at 0 and count arrivals)");
            }
            for line in lines {
                println!("{line}");
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
    let output = run_scenario(&scenario, &policies, seed, &out_dir)?;
    let elapsed = started.elapsed().as_secs_f64();
    let charts = crate::runner::write_pages(&scenario, &output, None, &out_dir)?;

    let summary = &output.summary;
    println!(
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
    println!("{}", table::policies_table(summary));
    if !brief {
        for (name, p) in &summary.policies {
            println!("\npolicy {name}: {}", table::errors_line(p));
            println!("{}", table::deployments_table(p));
        }
    }
    let total: u64 = summary.policies.values().map(|p| p.requests).sum();
    println!(
        "\nsimulated {total} requests in {elapsed:.2} s ({:.0} requests/s)",
        total as f64 / elapsed.max(1e-9)
    );
    println!(
        "wrote {}, {}, {} charts in {} and {}",
        output.summary_path.display(),
        output.requests_path.display(),
        charts,
        out_dir.join("charts").display(),
        out_dir.join("index.html").display()
    );
    Ok(())
}
