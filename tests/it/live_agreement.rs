//! Simulated and live agree: one bundled fault scenario (an outage on each of two deployments,
//! retries, cooldowns, a fallback) run by the simulator and live — `mock-provider` serving its
//! providers, `serve` routing with the same core, `drive` playing its workload — with time
//! compressed 20-fold so the live run takes about 25 s.
//!
//! Tolerances. The live run cannot match the simulation byte for byte: its router draws from a
//! different random stream, HTTP and scheduling add a few milliseconds per attempt (×20 in
//! scenario time), and concurrent requests reach the providers' random streams in a different
//! order. Each quantity is a proportion over ~1,960 requests, whose standard error is at most
//! ~1.1 percentage points, so differences a few times that are noise and more is a bug:
//! success rate within 2 points, each deployment's share of served requests within 5 points,
//! attempts per request within 12 %. docs/live.md explains the differences that remain.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use switchyard::app::runner::simulate_quietly;
use switchyard::live::drive::{self, DriveOptions};
use switchyard::live::mock_provider::{self, MockOptions};
use switchyard::live::proxy::master_key::KeyEnvironment;
use switchyard::live::proxy::{self, ServeOptions};
use switchyard::metrics::PolicyStats;

use crate::common::bundled;

const SPEED: f64 = 20.0;

fn shares(stats: &PolicyStats) -> Vec<f64> {
    let served: u64 = stats.deployments.iter().map(|d| d.served).sum();
    stats
        .deployments
        .iter()
        .map(|d| d.served as f64 / served.max(1) as f64)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_run_of_a_fault_scenario_agrees_with_its_simulation() {
    let scenario = bundled("live-agreement.yaml");
    let sim = simulate_quietly(&scenario, &scenario.policies[0], scenario.seed).unwrap();

    let mock_options = MockOptions {
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port: 0,
        speed: SPEED,
        seed: None,
    };
    let (mock_addr, mock) = mock_provider::start(&scenario, &mock_options)
        .await
        .unwrap();
    let log = tempfile::tempdir().unwrap();
    let serve_options = ServeOptions {
        key_environment: KeyEnvironment::local_development(),
        listen: "127.0.0.1:0".parse().unwrap(),
        log_path: log.path().join("requests.jsonl"),
        log_prompts: false,
        grace: Duration::from_secs(10),
        seed: Some(1),
        speed: SPEED,
        mock_upstream: Some(format!("http://{mock_addr}")),
    };
    let server = proxy::start(&scenario.config, None, &serve_options)
        .await
        .unwrap();
    let mut options = DriveOptions::new(format!("http://{}", server.addr));
    options.speed = SPEED;
    let live = drive::run(&scenario, &options).await.unwrap();
    server.shutdown().await;
    mock.stop().await;

    assert_eq!(live.stats.requests, sim.requests, "the same arrivals");
    let rate = |s: &PolicyStats| s.succeeded as f64 / s.requests as f64;
    assert!(
        (rate(&live.stats) - rate(&sim)).abs() <= 0.02,
        "success: live {} vs simulated {}",
        rate(&live.stats),
        rate(&sim)
    );
    for (i, (l, s)) in shares(&live.stats).iter().zip(shares(&sim)).enumerate() {
        assert!(
            (l - s).abs() <= 0.05,
            "deployment {i}'s share: live {l:.3} vs simulated {s:.3}"
        );
    }
    // Attempts as the gateway made them (the proxy's log), not as a client can infer them.
    let text = std::fs::read_to_string(log.path().join("requests.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as u64, sim.requests, "one log line per request");
    let attempts: usize = lines
        .iter()
        .map(|l| l["attempts"].as_array().unwrap().len())
        .sum();
    let live_attempts = attempts as f64 / lines.len() as f64;
    let sim_attempts = sim.attempts as f64 / sim.requests as f64;
    assert!(
        (live_attempts / sim_attempts - 1.0).abs() <= 0.12,
        "attempts per request: live {live_attempts:.3} vs simulated {sim_attempts:.3}"
    );
    let fell_back = lines
        .iter()
        .filter(|l| l["fallbacks"].as_u64() > Some(0))
        .count();
    assert!(
        fell_back > 0,
        "the outage of both gpt-4o deployments makes the fallback serve"
    );
}
