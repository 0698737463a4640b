//! One routing decision of the core: `next_step` (resolve candidates, simple-shuffle pick,
//! dispatch bookkeeping) plus `record` of a success, for groups of 2, 10 and 100 deployments.
//! Target: under 100 ns with 10 deployments; every strategy under 250 ns with 10.
//! Also one fleet sync of 100 deployments (take, the store's absorb, apply): under 1 ms; and a
//! decision in a big config — the bundled `scenarios/thousand-deployments.yaml`, 1,000
//! deployments in 100 groups, requests spread over the groups — against its first group of 10
//! alone, and the cost of loading that config.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use switchyard::config::LitellmConfig;
use switchyard::router::sync::SharedTotals;
use switchyard::router::{Completion, DeploymentIdx, Outcome, RequestSpec, Router, Step};
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

/// The decision loop every group here measures: one request to `spec`'s group 10 µs after the
/// last, its next step, and the record of the outcome `outcome` gives for the `k`-th decision
/// and the deployment picked.
struct Decisions {
    rng: Xoshiro256PlusPlus,
    now: Time,
    k: u64,
}

impl Decisions {
    fn new(seed: u64) -> Self {
        Decisions {
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            now: Time::ZERO,
            k: 0,
        }
    }

    fn decide(
        &mut self,
        r: &mut Router,
        spec: RequestSpec,
        outcome: impl Fn(u64, DeploymentIdx) -> Outcome,
    ) -> Step {
        let mut call = r.start(spec);
        self.now = self.now + Duration::from_micros(10);
        self.k += 1;
        let step = r.next_step(&mut call, self.now, &mut self.rng);
        if let Step::Send {
            attempt,
            deployment,
            ..
        } = step
        {
            let outcome = outcome(self.k, deployment);
            r.record(&mut call, attempt, &outcome, self.now, &mut self.rng);
        }
        step
    }
}

/// A success of 800 ms, the same every time.
fn steady(_: u64, _: DeploymentIdx) -> Outcome {
    success(800)
}

/// A success whose latency varies with the decision and the deployment (so latency windows and
/// EWMAs are warm and differ).
fn varied(k: u64, deployment: DeploymentIdx) -> Outcome {
    success(500 + (k * 37 + deployment.0 as u64 * 101) % 700)
}

fn success(latency_ms: u64) -> Outcome {
    Outcome::Success(Completion {
        input_tokens: 500,
        output_tokens: 200,
        latency: Duration::from_millis(latency_ms),
        time_to_first_token: Duration::from_millis(200),
    })
}

fn decision(c: &mut Criterion) {
    let mut group = c.benchmark_group("decision/simple-shuffle");
    group.throughput(Throughput::Elements(1));
    for n in [2usize, 10, 100] {
        for weighted in [false, true] {
            let mut r = router(n, weighted);
            let route = r.resolve("g");
            let mut d = Decisions::new(1);
            let label = if weighted { "weighted" } else { "uniform" };
            group.bench_function(BenchmarkId::new(label, n), |b| {
                b.iter(|| black_box(d.decide(&mut r, RequestSpec::new(route, 500), steady)))
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
        let mut d = Decisions::new(2);
        group.bench_function(BenchmarkId::new(strategy, 10), |b| {
            b.iter(|| black_box(d.decide(&mut r, RequestSpec::new(route, 500), varied)))
        });
    }
    group.finish();
}

/// The budget and tag filters' cost: 10 deployments with provider, deployment and tag budgets
/// and tag filtering on, against the same group without them.
fn filters(c: &mut Criterion) {
    let env: BTreeMap<String, String> = BTreeMap::new();
    let mut group = c.benchmark_group("decision/filters");
    group.throughput(Throughput::Elements(1));
    for (label, with) in [("none", false), ("budgets+tags", true)] {
        let mut text = String::from("model_list:\n");
        for i in 0..10 {
            let provider = ["openai", "azure", "anthropic"][i % 3];
            let extra = if with {
                format!(
                    ", tags: [team{}, shared], max_budget: 1000000, budget_duration: 1d",
                    i % 4
                )
            } else {
                String::new()
            };
            text.push_str(&format!(
                "  - model_name: g\n    litellm_params: {{model: {provider}/m{i}{extra}}}\n    model_info: {{id: d{i}}}\n"
            ));
        }
        if with {
            text.push_str("router_settings:\n  enable_tag_filtering: true\n  provider_budget_config: {openai: {budget_limit: 1000000, time_period: 1d}, azure: {budget_limit: 1000000, time_period: 1d}}\nlitellm_settings:\n  tag_budget_config: {shared: {max_budget: 1000000, budget_duration: 1d}}\n");
        }
        let config = LitellmConfig::from_str(&text, "bench.yaml", Path::new("."), &env).unwrap();
        let mut r = Router::new(&config.deployments, config.settings);
        let mut spec = RequestSpec::new(r.resolve("g"), 500);
        if with {
            spec.tags = r.request_tags(&["team1".to_string(), "shared".to_string()]);
        }
        let mut d = Decisions::new(3);
        group.bench_function(BenchmarkId::new(label, 10), |b| {
            b.iter(|| black_box(d.decide(&mut r, spec.clone(), steady)))
        });
    }
    group.finish();
}

/// One auto-router decision: 20 routes × 10 utterances, the built-in encoder. Target: 20 µs.
fn auto_router(c: &mut Criterion) {
    use switchyard::config::auto_router::{AutoRouterSpec, RouteSpec};
    use switchyard::router::auto_router::AutoRouter;
    let topics = [
        "poems",
        "stories",
        "code",
        "sql",
        "travel",
        "cooking",
        "finance",
        "health",
        "music",
        "sports",
        "law",
        "history",
        "physics",
        "chemistry",
        "biology",
        "math",
        "games",
        "movies",
        "translation",
        "email",
    ];
    let routes = topics
        .iter()
        .map(|t| RouteSpec {
            name: "g".to_string(),
            utterances: (0..10)
                .map(|i| format!("question number {i} about {t}: 关于{t}的第{i}个问题 please help"))
                .collect(),
            description: None,
            score_threshold: Some(0.3),
        })
        .collect();
    let spec = AutoRouterSpec {
        encoder_type: None,
        encoder_name: None,
        routes,
    };
    let r = router(1, false);
    let mut auto = AutoRouter::new(&spec, "g", r.table(), &r.settings().model_group_alias);
    c.bench_function("auto_router/decide/20x10", |b| {
        b.iter(|| {
            black_box(auto.decide(Some(black_box(
                "帮我写一个 Python 函数, 计算 movies 的平均评分",
            ))))
        })
    });
}

/// One auto-router decision over an embedding model's vectors: 20 utterances of 3072 dimensions
/// (text-embedding-3-large's size), the prompt's vector precomputed. Target: 20 µs.
fn auto_router_dense(c: &mut Criterion) {
    use switchyard::config::auto_router::{AutoRouterSpec, RouteSpec};
    use switchyard::router::auto_router::AutoRouter;
    const DIMS: usize = 3072;
    // Deterministic pseudo-random components (an LCG): no two vectors alike.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut vector = || -> Vec<f32> {
        (0..DIMS)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                ((state >> 40) as f32 / (1u64 << 24) as f32) - 0.5
            })
            .collect()
    };
    let routes: Vec<RouteSpec> = (0..4)
        .map(|r| RouteSpec {
            name: "g".to_string(),
            utterances: (0..5).map(|i| format!("route {r} utterance {i}")).collect(),
            description: None,
            score_threshold: Some(0.3),
        })
        .collect();
    let spec = AutoRouterSpec {
        encoder_type: None,
        encoder_name: None,
        routes,
    };
    let vectors: Vec<Vec<f32>> = (0..20).map(|_| vector()).collect();
    let prompt = vector();
    let r = router(1, false);
    let aliases = &r.settings().model_group_alias;
    let mut auto = AutoRouter::with_vectors(&spec, "g", r.table(), aliases, &vectors).unwrap();
    c.bench_function("auto_router/decide/dense-3072x20", |b| {
        b.iter(|| black_box(auto.decide_with(None, Some(black_box(&prompt)))))
    });
}

/// One sync of a fleet instance with 100 deployments, each with this minute's usage to send
/// and the store holding another instance's counts for all of them: take the delta, the
/// store's absorb, read the totals back and apply them. Target: under 1 ms.
fn fleet_sync(c: &mut Criterion) {
    let done = Outcome::Success(Completion {
        input_tokens: 500,
        output_tokens: 200,
        latency: Duration::from_millis(800),
        time_to_first_token: Duration::from_millis(200),
    });
    let mut r = router_with(100, false, "usage-based-routing-v2", true);
    let mut other = r.clone();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let now = Time::from_secs_f64(1.0);
    for router in [&mut r, &mut other] {
        for _ in 0..400 {
            let mut call = router.start(RequestSpec::new(router.resolve("g"), 500));
            if let Step::Send { attempt, .. } = router.next_step(&mut call, now, &mut rng) {
                router.record(&mut call, attempt, &done, now, &mut rng);
            }
        }
    }
    let mut store = SharedTotals::default();
    store.absorb(&other.take_sync_delta(now), now);
    c.bench_function("fleet_sync/take_absorb_apply/100", |b| {
        b.iter_batched(
            || (r.clone(), store.clone()),
            |(mut r, mut store)| {
                let delta = r.take_sync_delta(now);
                store.absorb(&delta, now);
                r.apply_sync_totals(&store.totals(now), now);
                black_box(r)
            },
            criterion::BatchSize::SmallInput,
        )
    });
}

/// The bundled 1,000-deployment scenario's router config (its `router:` section) under
/// `strategy`; with `first_group_only`, only its first group of 10 deployments.
fn bundled_router(strategy: &str, first_group_only: bool) -> Router {
    let text = thousand_deployments_router(strategy, first_group_only);
    let env: BTreeMap<String, String> = BTreeMap::new();
    let c = LitellmConfig::from_str(&text, SCENARIO, Path::new("."), &env).unwrap();
    Router::new(&c.deployments, c.settings)
}

const SCENARIO: &str = "scenarios/thousand-deployments.yaml";

/// The scenario's `router:` section as a LiteLLM config's text (cut from the file as written,
/// one deployment a line, so numbers keep their spelling).
fn thousand_deployments_router(strategy: &str, first_group_only: bool) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(SCENARIO);
    let text = std::fs::read_to_string(&path).unwrap();
    let section = text.split("\nrouter:\n").nth(1).unwrap();
    let mut out = String::new();
    for line in section.lines().take_while(|l| l.starts_with("  ")) {
        let line = &line[2..];
        let other_group = line.starts_with("  - {model_name: g") && !line.contains("g000,");
        if first_group_only && other_group {
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if line == "router_settings:" {
            out.push_str(&format!("  routing_strategy: {strategy}\n"));
        }
    }
    out
}

/// One decision (next step plus the outcome's record) in the bundled config of 1,000
/// deployments in 100 groups, each request to the next group in turn, against its first group
/// of 10 alone; and loading that config.
fn big_config(c: &mut Criterion) {
    let mut group = c.benchmark_group("decision/thousand-deployments");
    group.throughput(Throughput::Elements(1));
    for strategy in [
        "simple-shuffle",
        "usage-based-routing-v2",
        "latency-based-routing",
    ] {
        for (label, first_group_only) in [("1000-in-100-groups", false), ("10-in-1-group", true)] {
            let mut r = bundled_router(strategy, first_group_only);
            let groups = if first_group_only { 1 } else { 100 };
            let routes: Vec<_> = (0..groups)
                .map(|g| r.resolve(&format!("g{g:03}")))
                .collect();
            let mut d = Decisions::new(4);
            let mut next = 0usize;
            group.bench_function(BenchmarkId::new(strategy, label), |b| {
                b.iter(|| {
                    let spec = RequestSpec::new(routes[next % routes.len()], 500);
                    next += 1;
                    black_box(d.decide(&mut r, spec, varied))
                })
            });
        }
    }
    group.finish();

    let text = thousand_deployments_router("simple-shuffle", false);
    let env: BTreeMap<String, String> = BTreeMap::new();
    c.bench_function("config_load/thousand-deployments", |b| {
        b.iter(|| {
            let c = LitellmConfig::from_str(&text, SCENARIO, Path::new("."), &env).unwrap();
            black_box(Router::new(&c.deployments, c.settings))
        })
    });
}

criterion_group!(
    benches,
    big_config,
    decision,
    filters,
    auto_router,
    auto_router_dense,
    fleet_sync
);
criterion_main!(benches);
