//! The engine's speed without criterion: simulates the engine bench's scenarios a number of
//! times and prints simulated requests per wall-clock second, so a script can alternate it
//! with the bare event loop (`scripts/engine-vs-floor.sh`) and `perf stat` can count its
//! cycles. The same two workloads as `benches/engine.rs`: `shuffle` (seed-load-balancing, one
//! hour at 50/s) and `outage` (faults, retries and cooldowns, 30 minutes at 50/s).
//!
//! Usage: `engine-throughput shuffle|outage [ROUNDS]` (default 20 rounds).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use switchyard::app::runner::simulate_quietly;
use switchyard::scenario::{Scenario, load_scenario};

/// The scenario a workload name stands for, and its seed.
fn workload(name: &str) -> Result<(Scenario, u64), String> {
    let env: BTreeMap<String, String> = BTreeMap::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let load = |file: &str| load_scenario(&root.join(file), &env).map_err(|e| format!("{e:#}"));
    match name {
        "shuffle" => {
            let mut s = load("seed-load-balancing.yaml")?;
            s.duration = Duration::from_secs(3600);
            s.workload.rate = 50.0;
            Ok((s, 42))
        }
        "outage" => {
            let mut s = load("outage.yaml")?;
            s.workload.rate = 50.0;
            Ok((s, 3))
        }
        other => Err(format!(
            "unknown workload `{other}`: expected `shuffle` or `outage`"
        )),
    }
}

#[allow(clippy::disallowed_methods, clippy::disallowed_types)]
// Reason: a benchmark's own stopwatch, outside the simulator.
fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "shuffle".into());
    let rounds: u32 = match args.next() {
        None => 20,
        Some(r) => r
            .parse()
            .map_err(|_| format!("ROUNDS must be a whole number, found `{r}`"))?,
    };
    let (scenario, seed) = workload(&name)?;
    let policy = &scenario.policies[0];
    let mut requests = 0u64;
    let started = std::time::Instant::now();
    for _ in 0..rounds {
        let stats = simulate_quietly(&scenario, policy, seed).map_err(|e| format!("{e:#}"))?;
        requests += stats.requests;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{name}: {requests} requests in {secs:.3} s: {:.2} M requests/s",
        requests as f64 / secs / 1e6
    );
    Ok(())
}
