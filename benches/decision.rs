//! One routing decision of the core: `next_step` (resolve candidates, simple-shuffle pick,
//! dispatch bookkeeping) plus `record` of a success, for groups of 2, 10 and 100 deployments.
//! Target: under 100 ns with 10 deployments; every strategy under 250 ns with 10.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use switchyard::config::LitellmConfig;
use switchyard::router::{Completion, Outcome, RequestSpec, Router, Step};
use switchyard::time::Time;

fn router(n: usize, weighted: bool) -> Router {
    router_with(n, weighted, "simple-shuffle", false)
}

/// `n` deployments in group `g`; with `limits`, each has rpm, tpm and a price (so the
/// limit-aware strategies do their full checks).
fn router_with(n: usize, weighted: bool, strategy: &str, limits: bool) -> Router {
    let mut text = String::from("model_list:\n");
    for i in 0..n {
        let weight = if weighted {
            format!(", weight: {}", 1 + i % 7)
        } else {
            String::new()
        };
        text.push_str(&format!(
            "  - model_name: g\n    litellm_params: {{model: openai/m{i}{weight}{}}}\n    model_info: {{id: d{i}}}\n",
            if limits {
                format!(
                    ", rpm: 1000000, tpm: 1000000000, input_cost_per_token: 0.00000{}, output_cost_per_token: 0.00001",
                    1 + i % 9
                )
            } else {
                String::new()
            }
        ));
    }
    text.push_str(&format!(
        "router_settings: {{routing_strategy: {strategy}}}\n"
    ));
    let env: BTreeMap<String, String> = BTreeMap::new();
    let c = LitellmConfig::from_str(&text, "bench.yaml", Path::new("."), &env).unwrap();
    Router::new(&c.deployments, c.settings)
}

fn decision(c: &mut Criterion) {
    let done = Outcome::Success(Completion {
        input_tokens: 500,
        output_tokens: 200,
        latency: Duration::from_millis(800),
        time_to_first_token: Duration::from_millis(200),
    });
    let mut group = c.benchmark_group("decision/simple-shuffle");
    group.throughput(Throughput::Elements(1));
    for n in [2usize, 10, 100] {
        for weighted in [false, true] {
            let mut r = router(n, weighted);
            let route = r.resolve("g");
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
            let label = if weighted { "weighted" } else { "uniform" };
            let mut now = Time::ZERO;
            group.bench_function(BenchmarkId::new(label, n), |b| {
                b.iter(|| {
                    let mut call = r.start(RequestSpec::new(route, 500));
                    now = now + Duration::from_micros(10);
                    let step = r.next_step(&mut call, now, &mut rng);
                    if let Step::Send { .. } = step {
                        r.record(&mut call, &done, now, &mut rng);
                    }
                    black_box(step)
                })
            });
        }
    }
    group.finish();

    // Every strategy with 10 deployments and warm state (each decision's outcome feeds the
    // latency and EWMA windows). Target: 250 ns each.
    let mut group = c.benchmark_group("decision/strategy");
    group.throughput(Throughput::Elements(1));
    for strategy in [
        "simple-shuffle",
        "least-busy",
        "latency-based-routing",
        "cost-based-routing",
        "usage-based-routing-v2",
        "p2c-ewma",
    ] {
        let mut r = router_with(10, true, strategy, true);
        let route = r.resolve("g");
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
        let mut now = Time::ZERO;
        let mut k = 0u64;
        group.bench_function(BenchmarkId::new(strategy, 10), |b| {
            b.iter(|| {
                let mut call = r.start(RequestSpec::new(route, 500));
                now = now + Duration::from_micros(10);
                k += 1;
                let step = r.next_step(&mut call, now, &mut rng);
                if let Step::Send { deployment, .. } = step {
                    let outcome = Outcome::Success(Completion {
                        input_tokens: 500,
                        output_tokens: 200,
                        latency: Duration::from_millis(
                            500 + (k * 37 + deployment.0 as u64 * 101) % 700,
                        ),
                        time_to_first_token: Duration::from_millis(200),
                    });
                    r.record(&mut call, &outcome, now, &mut rng);
                }
                black_box(step)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, decision);
criterion_main!(benches);
