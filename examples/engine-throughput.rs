//! The engine alone, without criterion: simulates a workload a number of times with nothing
//! written (no per-request file, summary or charts) and prints simulated requests per
//! wall-clock second, so a script can alternate it with the bare event loop
//! (`scripts/engine-vs-floor.sh`), set a full `run` against the engine's own time
//! (`scripts/day-run.sh`), and `perf stat` can count its cycles. A workload is one of the
//! engine bench's two, `shuffle` (seed-load-balancing, one hour at 50/s) and `outage` (faults,
//! retries and cooldowns, 30 minutes at 50/s), run with its first policy; or a scenario file,
//! run with every policy and the scenario's seed.
//!
//! Usage: `engine-throughput shuffle|outage|SCENARIO.yaml [ROUNDS]` (default 20 rounds for a
//! named workload, 1 for a file).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use switchyard::app::runner::simulate_quietly;
use switchyard::app::validation::load_runnable;
use switchyard::config::yaml::ProcessEnv;
use switchyard::scenario::{Scenario, load_scenario};

/// The scenario a workload name or file stands for, its seed, how many of its policies run, and
/// the default number of rounds.
fn workload(name: &str) -> Result<(Scenario, u64, usize, u32), String> {
    let env: BTreeMap<String, String> = BTreeMap::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let load = |file: &str| load_scenario(&root.join(file), &env).map_err(|e| format!("{e:#}"));
    let named = |s: Scenario, seed: u64| (s, seed, 1, 20);
    match name {
        "shuffle" => {
            let mut s = load("seed-load-balancing.yaml")?;
            s.duration = Duration::from_secs(3600);
            s.workload.rate = 50.0;
            Ok(named(s, 42))
        }
        "outage" => {
            let mut s = load("outage.yaml")?;
            s.workload.rate = 50.0;
            Ok(named(s, 3))
        }
        file if file.ends_with(".yaml") || file.ends_with(".yml") => {
            let s = load_runnable(Path::new(file), &ProcessEnv).map_err(|e| format!("{e:#}"))?;
            let (seed, policies) = (s.seed, s.policies.len());
            Ok((s, seed, policies, 1))
        }
        other => Err(format!(
            "unknown workload `{other}`: expected `shuffle`, `outage` or a scenario file (.yaml)"
        )),
    }
}

#[allow(clippy::disallowed_methods, clippy::disallowed_types)]
// Reason: a benchmark's own stopwatch, outside the simulator.
fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "shuffle".into());
    let (scenario, seed, policies, default_rounds) = workload(&name)?;
    let rounds: u32 = match args.next() {
        None => default_rounds,
        Some(r) => r
            .parse()
            .map_err(|_| format!("ROUNDS must be a whole number, found `{r}`"))?,
    };
    let mut requests = 0u64;
    let started = std::time::Instant::now();
    for _ in 0..rounds {
        for policy in &scenario.policies[..policies] {
            let stats = simulate_quietly(&scenario, policy, seed).map_err(|e| format!("{e:#}"))?;
            requests += stats.requests;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{name}: {requests} requests in {secs:.3} s: {:.2} M requests/s",
        requests as f64 / secs / 1e6
    );
    Ok(())
}
