//! The replay's speed against an ordinary simulation of the same size: builds a
//! million-request [`RecordedTraffic`] in memory (four deployments of one model group, every
//! attempt logged), replays it through a simple-shuffle config, and simulates a comparable
//! scenario (the same four deployments and group, a million requests at 100/s) in the same
//! process; prints both in simulated requests per wall-clock second. Then it replays again
//! with each fitted distribution cut to 1,001 quantile points, which shows what drawing from a
//! fitted empirical distribution of one point per logged attempt costs (a random access into
//! megabytes per draw). Reading a log from a file is not timed here.
//!
//! Usage: `replay-throughput [REQUESTS]` (default 1,000,000); build with `--release`.

use std::collections::BTreeMap;
use std::path::Path;

use switchyard::app::replay::{ReplayRequest, replay_worlds, run_world};
use switchyard::app::runner::simulate_quietly;
use switchyard::config::LitellmConfig;
use switchyard::replay::world::ReplayWorld;
use switchyard::replay::{
    LogFormat, RecordedAttempt, RecordedDeployment, RecordedRequest, RecordedTraffic, RequestKind,
};
use switchyard::scenario::parse_scenario;
use switchyard::sim::Distribution;
use switchyard::time::{Span, Time};

const IDS: [&str; 4] = ["d0", "d1", "d2", "d3"];

fn model_list() -> String {
    let mut text = String::from("model_list:\n");
    for id in IDS {
        text.push_str(&format!(
            "  - {{model_name: gpt-4o, litellm_params: {{model: openai/gpt-4o, api_base: 'http://{id}'}}, model_info: {{id: {id}}}}}\n"
        ));
    }
    text
}

/// A pseudo-random number in [0, 1) from `i` (splitmix64), so the log is the same every time.
fn unit(i: u64) -> f64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as f64 / u64::MAX as f64
}

/// `n` requests at 100/s, each served by deployment `i % 4` in 0.3–1.5 s.
fn traffic(n: u32) -> RecordedTraffic {
    let requests = (0..n)
        .map(|i| {
            let ms = 300 + (unit(u64::from(i)) * 1200.0) as u64;
            RecordedRequest {
                at: Time::from_secs_f64(f64::from(i) / 100.0),
                kind: 0,
                input_tokens: 100 + i % 900,
                output_tokens: 50 + i % 350,
                attempts: i..i + 1,
                status: 200,
                error: None,
                served_by: Some(i % 4),
                cost_usd: None,
                duration: Span::from_nanos(ms * 1_000_000),
            }
        })
        .collect::<Vec<_>>();
    let attempts = requests
        .iter()
        .enumerate()
        .map(|(i, r)| RecordedAttempt {
            deployment: (i % 4) as u32,
            error: None,
            status: Some(200),
            duration: r.duration,
            time_to_first_token: Span::from_duration(r.duration.as_duration() / 3),
            retry_after: None,
        })
        .collect();
    RecordedTraffic {
        file: "in-memory".into(),
        format: LogFormat::SwitchyardJsonl,
        start_unix_s: 0.0,
        requests,
        kinds: vec![RequestKind {
            model: "gpt-4o".into(),
            ..RequestKind::default()
        }],
        deployments: IDS
            .iter()
            .map(|id| RecordedDeployment {
                id: Some((*id).to_string()),
                ..RecordedDeployment::default()
            })
            .collect(),
        attempts,
        every_attempt: true,
        skipped: Vec::new(),
    }
}

/// The comparable scenario: the same deployments, `n` requests at 100/s.
fn scenario_text(n: u32) -> String {
    let mut text = format!(
        "name: throughput\nduration: {}s\nseed: 1\nrouter:\n",
        f64::from(n) / 100.0
    );
    for line in model_list().lines() {
        text.push_str(&format!("  {line}\n"));
    }
    text.push_str("providers:\n  - match: {model_name: gpt-4o}\n    ttft: {lognormal: {median: 300ms, p99: 1s}}\n    per_token: 2ms\n");
    text.push_str("workload:\n  arrivals: constant\n  rate: 100/s\n  mix:\n    - {model: gpt-4o, input_tokens: {uniform: {min: 100, max: 1000}}, output_tokens: {uniform: {min: 50, max: 400}}}\n");
    text
}

/// `d` with at most 1,001 points: its inverse CDF at every 0.1 % (other distributions as
/// they are).
fn compact(d: &Distribution) -> Distribution {
    let Distribution::Empirical { points, .. } = d else {
        return d.clone();
    };
    let at = |q: f64| {
        let i = points
            .partition_point(|p| p.0 <= q)
            .clamp(1, points.len() - 1);
        let ((q0, v0), (q1, v1)) = (points[i - 1], points[i]);
        v0 + (v1 - v0) * (q - q0) / (q1 - q0)
    };
    let quantiles = (0..=1000).map(|k| (f64::from(k) / 1000.0, at(f64::from(k) / 1000.0)));
    Distribution::empirical(quantiles.collect()).unwrap_or_else(|_| d.clone())
}

/// `world` with every fitted distribution cut to 1,001 points.
fn compacted(world: &ReplayWorld) -> ReplayWorld {
    let mut w = world.clone();
    for p in &mut w.profiles.profiles {
        p.ttft = compact(&p.ttft);
        p.per_token = compact(&p.per_token);
    }
    w
}

#[allow(clippy::disallowed_methods, clippy::disallowed_types)]
// Reason: a benchmark's own stopwatch, outside the simulator.
fn main() -> Result<(), String> {
    let n: u32 = match std::env::args().nth(1) {
        None => 1_000_000,
        Some(t) => t
            .parse()
            .map_err(|_| format!("REQUESTS must be a whole number, found `{t}`"))?,
    };
    let env: BTreeMap<String, String> = BTreeMap::new();
    let scenario = parse_scenario(&scenario_text(n), "throughput.yaml", Path::new("."), &env)
        .map_err(|e| format!("{e:#}"))?;
    let started = std::time::Instant::now();
    let stats =
        simulate_quietly(&scenario, &scenario.policies[0], 1).map_err(|e| format!("{e:#}"))?;
    let sim_s = started.elapsed().as_secs_f64();

    let log = traffic(n);
    let config = LitellmConfig::from_str(&model_list(), "candidate.yaml", Path::new("."), &env)
        .map_err(|e| format!("{e:#}"))?;
    let request = ReplayRequest {
        candidate: config,
        current: None,
        providers: Vec::new(),
        seeds: vec![1],
    };
    let started = std::time::Instant::now();
    let worlds = replay_worlds(&log, &request).map_err(|e| format!("{e:#}"))?;
    let build_s = started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    let replayed = run_world(&worlds[0], 1);
    let replay_s = started.elapsed().as_secs_f64();
    let observed: u64 = replayed.answer_sources.iter().map(|a| a.observed).sum();
    println!(
        "simulate: {} requests in {sim_s:.3} s: {:.2} M requests/s",
        stats.requests,
        stats.requests as f64 / sim_s / 1e6
    );
    println!(
        "replay:   {} requests in {replay_s:.3} s: {:.2} M requests/s (+ {build_s:.3} s fitting and building the world; {:.0} % of attempts observed)",
        replayed.requests,
        replayed.requests as f64 / replay_s / 1e6,
        observed as f64 * 100.0 / replayed.attempts.max(1) as f64
    );
    let compact_world = compacted(&worlds[0]);
    let started = std::time::Instant::now();
    let replayed = run_world(&compact_world, 1);
    let compact_s = started.elapsed().as_secs_f64();
    println!(
        "replay with 1,001-point fitted profiles: {} requests in {compact_s:.3} s: {:.2} M requests/s",
        replayed.requests,
        replayed.requests as f64 / compact_s / 1e6
    );
    Ok(())
}
