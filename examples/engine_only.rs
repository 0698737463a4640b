//! The engine alone: simulates every policy of a scenario with nothing written (no per-request
//! file, no summary, no charts) and prints the requests simulated and the wall time, so
//! `scripts/day-run.sh` can set a full `run` against the engine's own time.
//!
//! Usage: `cargo run --release --example engine_only -- SCENARIO.yaml`

use std::path::PathBuf;

use anyhow::{Context, Result};
use switchyard::app::runner::simulate_quietly;
use switchyard::app::validation::load_runnable;
use switchyard::config::yaml::ProcessEnv;

fn main() -> Result<()> {
    let path: PathBuf = std::env::args_os()
        .nth(1)
        .context("usage: engine_only SCENARIO.yaml")?
        .into();
    let scenario = load_runnable(&path, &ProcessEnv).map_err(|e| anyhow::anyhow!("{e}"))?;
    #[allow(
        clippy::disallowed_methods,
        clippy::disallowed_types,
        reason = "a benchmark reports wall-clock speed; the simulation itself never reads a clock"
    )]
    let started = std::time::Instant::now();
    let mut requests = 0;
    for policy in &scenario.policies {
        requests += simulate_quietly(&scenario, policy, scenario.seed)?.requests;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!("engine: {requests} requests in {elapsed:.2} s");
    Ok(())
}
