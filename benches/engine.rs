//! The engine's speed: simulated requests per wall-clock second on the bundled 3-deployment
//! shuffle scenario (`scenarios/seed-load-balancing.yaml`, one hour of traffic at 50/s), with
//! aggregates but no CSV; and the outage scenario with faults, retries and cooldowns active.
//! Target: at least 1,000,000 simulated requests per second on one core.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use switchyard::app::runner::simulate_quietly;
use switchyard::scenario::load_scenario;

fn engine(c: &mut Criterion) {
    let env: BTreeMap<String, String> = BTreeMap::new();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/seed-load-balancing.yaml");
    let mut scenario = load_scenario(&path, &env).unwrap();
    scenario.duration = Duration::from_secs(3600);
    scenario.workload.rate = 50.0;
    let policy = scenario.policies[0].clone();
    let requests = simulate_quietly(&scenario, &policy, 42).unwrap().requests;

    let mut group = c.benchmark_group("engine");
    group.sample_size(20);
    group.throughput(Throughput::Elements(requests));
    group.bench_function("seed-load-balancing/1h@50rps", |b| {
        b.iter(|| simulate_quietly(&scenario, &policy, 42).unwrap())
    });

    // Faults, retries, cooldowns: the outage scenario (one deployment down for 5 of 30 min,
    // 0.2 % random 500s everywhere) at 50 requests/s.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/outage.yaml");
    let mut outage = load_scenario(&path, &env).unwrap();
    outage.workload.rate = 50.0;
    let policy = outage.policies[0].clone();
    let requests = simulate_quietly(&outage, &policy, 3).unwrap().requests;
    group.throughput(Throughput::Elements(requests));
    group.bench_function("outage/30m@50rps", |b| {
        b.iter(|| simulate_quietly(&outage, &policy, 3).unwrap())
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
