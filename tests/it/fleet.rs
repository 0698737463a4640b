//! Several gateway instances in simulation: a fleet of one is no fleet, instances without a
//! store each spend the whole rpm, shorter sync intervals overshoot less, cooldowns reach the
//! other instances within an interval plus the store's latency, an unreachable store loses no
//! counts, and the same seed gives the same bytes.

use switchyard::app::runner::{run_scenario, simulate_quietly};
use switchyard::metrics::FleetStats;
use switchyard::scenario::Scenario;

use crate::common::{bundled, scenario};

const REDIS: &str = "redis_host: localhost\n    redis_port: 6379";

/// One 100-rpm deployment checked before each call, offered `rate`, on the `instances` block
/// given (YAML flow mapping or empty); `redis` adds Redis to the config.
fn rpm_scenario(rate: &str, instances: &str, redis: bool) -> Scenario {
    let instances = if instances.is_empty() {
        String::new()
    } else {
        format!("instances: {instances}")
    };
    let redis = if redis { REDIS } else { "" };
    let text = format!(
        r#"
name: fleet
duration: 3m
seed: 3
router:
  model_list:
    - {{model_name: m, litellm_params: {{model: openai/a, rpm: 100}}, model_info: {{id: a}}}}
  router_settings:
    enable_pre_call_checks: true
    num_retries: 0
    {redis}
providers:
  - {{match: {{model_name: m}}, ttft: 50ms, per_token: 1ms}}
workload:
  arrivals: constant
  rate: {rate}
  mix:
    - {{model: m, input_tokens: 10, output_tokens: 10}}
{instances}
"#
    );
    scenario(&text).expect("fleet scenario parses")
}

fn fleet_of(s: &Scenario) -> FleetStats {
    let stats = simulate_quietly(s, &s.policies[0], s.seed).unwrap();
    stats.fleet.expect("a run with instances reports its fleet")
}

fn peak(s: &Scenario) -> u64 {
    fleet_of(s).deployments[0].peak_minute_requests
}

#[test]
fn one_instance_with_sync_decides_as_no_instances_block() {
    let text = |instances: &str| {
        format!(
            r#"
name: one
duration: 4m
seed: 9
router:
  model_list:
    - {{model_name: m, litellm_params: {{model: openai/a, rpm: 40}}, model_info: {{id: a}}}}
    - {{model_name: m, litellm_params: {{model: openai/b, rpm: 40}}, model_info: {{id: b}}}}
  router_settings:
    routing_strategy: usage-based-routing-v2
    allowed_fails: 1
    {REDIS}
providers:
  - {{match: {{id: a}}, ttft: 80ms, per_token: 1ms, errors: {{rate_limit: 0.05}}}}
  - {{match: {{id: b}}, ttft: 120ms, per_token: 2ms, errors: {{internal_server: 0.05}}}}
workload:
  rate: 70/min
  mix:
    - {{model: m, input_tokens: 50, output_tokens: 20}}
{instances}
"#
        )
    };
    let plain = scenario(&text("")).unwrap();
    let one = scenario(&text(
        "instances: {count: 1, sync_interval: 500ms, read_latency: 2ms, write_latency: 2ms}",
    ))
    .unwrap();
    let run = |s: &Scenario| {
        let dir = tempfile::tempdir().unwrap();
        let policies: Vec<_> = s.policies.iter().collect();
        let out = run_scenario(s, &policies, s.seed, dir.path()).unwrap();
        let mut summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.summary_path).unwrap()).unwrap();
        let fleet = summary["policies"]["default"]
            .as_object_mut()
            .unwrap()
            .remove("fleet");
        (std::fs::read(out.requests_path).unwrap(), summary, fleet)
    };
    let (requests_plain, summary_plain, none) = run(&plain);
    let (requests_one, summary_one, fleet) = run(&one);
    assert!(none.is_none(), "no instances block, no fleet figures");
    let fleet = fleet.expect("one instance still reports its fleet");
    assert!(fleet["syncs"].as_u64().unwrap() > 100, "{fleet}");
    assert!(
        requests_plain == requests_one,
        "requests.csv differs for one synced instance"
    );
    assert_eq!(summary_plain, summary_one);
}

#[test]
fn instances_without_a_store_each_spend_the_whole_rpm() {
    let s = rpm_scenario("600/min", "{count: 3}", false);
    let fleet = fleet_of(&s);
    assert!(!fleet.shared_state);
    assert_eq!(fleet.syncs, 0);
    let peak = fleet.deployments[0].peak_minute_requests;
    assert!(
        (290..=300).contains(&peak),
        "3 instances × rpm 100, got {peak}"
    );
    let requests: Vec<u64> = fleet.instances.iter().map(|i| i.requests).collect();
    assert!(
        requests.iter().all(|r| r.abs_diff(requests[0]) <= 1),
        "round robin spreads evenly: {requests:?}"
    );
}

#[test]
fn shorter_sync_intervals_overshoot_less() {
    let peaks: Vec<u64> = ["50ms", "500ms", "2s", "10s"]
        .iter()
        .map(|interval| {
            let block = format!("{{count: 3, sync_interval: {interval}, write_latency: 5ms}}");
            peak(&rpm_scenario("600/min", &block, true))
        })
        .collect();
    assert!(
        peaks[0] <= 103,
        "a 50 ms sync nearly holds rpm 100: {peaks:?}"
    );
    assert!(
        peaks.windows(2).all(|w| w[0] <= w[1] + 2),
        "overshoot grows with the interval: {peaks:?}"
    );
    assert!(peaks[3] > peaks[0] + 20, "{peaks:?}");
    assert!(peaks[3] < 300, "syncing still bounds the fleet: {peaks:?}");
}

#[test]
fn a_cooldown_reaches_the_other_instances_within_an_interval_plus_latency() {
    // `a` answers 429 in bursts; each cooldown one instance starts is written to the store at
    // once and read by the others at their next sync.
    let text = r#"
name: cool
duration: 5m
seed: 4
router:
  model_list:
    - {model_name: m, litellm_params: {model: openai/a}, model_info: {id: a}}
    - {model_name: m, litellm_params: {model: openai/b}, model_info: {id: b}}
  router_settings:
    cooldown_time: 30
    num_retries: 0
    redis_host: localhost
    redis_port: 6379
providers:
  - match: {id: a}
    ttft: 50ms
    per_token: 1ms
    outages:
      - {start: 30s, end: 60s, error: rate_limit, fraction: 1.0}
      - {start: 150s, end: 180s, error: rate_limit, fraction: 1.0}
  - {match: {id: b}, ttft: 50ms, per_token: 1ms}
workload:
  arrivals: constant
  rate: 20/s
  mix:
    - {model: m, input_tokens: 10, output_tokens: 10}
instances:
  count: 4
  sync_interval: 2s
  read_latency: 10ms
  write_latency: 10ms
"#;
    let s = scenario(text).unwrap();
    let stats = simulate_quietly(&s, &s.policies[0], s.seed).unwrap();
    let fleet = stats.fleet.unwrap();
    let episodes = stats
        .cooldown_events
        .iter()
        .filter(|e| e.deployment.get() == 0)
        .count();
    assert!(episodes >= 2, "a was cooled: {episodes}");
    let disagreement = fleet.deployments[0].cooldown_disagreement.as_secs_f64();
    // Per cooldown an instance starts: the write (10 ms), then at most one interval until a
    // reader's sync and its write and read (20 ms); the deadlines agree, so the ends do too.
    let bound = episodes as f64 * (2.0 + 0.03);
    assert!(
        disagreement > 0.0 && disagreement <= bound,
        "disagreement {disagreement} s over {episodes} cooldowns (bound {bound} s)"
    );
    let without_store = scenario(&text.replace("    redis_host: localhost\n", "")).unwrap();
    let alone = simulate_quietly(&without_store, &without_store.policies[0], 4)
        .unwrap()
        .fleet
        .unwrap();
    assert!(
        alone.deployments[0].cooldown_disagreement.as_secs_f64() > disagreement,
        "without a store the instances disagree longer"
    );
}

#[test]
fn an_unreachable_store_loses_no_counts_once_it_is_back() {
    // 300 a minute over 2 instances against rpm 100: the fleet reaches 100 at about 20 s. The
    // store is unreachable from 5 s to 15 s; the writes that failed then go with the next sync,
    // so after it is back the instances know the whole count and the minute stays near 100.
    let block = |window: &str| {
        format!("{{count: 2, sync_interval: 1s, write_latency: 5ms, read_latency: 5ms{window}}}")
    };
    let cut = fleet_of(&rpm_scenario(
        "300/min",
        &block(", store_unreachable: {from: 5s, until: 15s}"),
        true,
    ));
    let whole = peak(&rpm_scenario("300/min", &block(""), true));
    assert!(cut.failed_syncs >= 18, "{} failed syncs", cut.failed_syncs);
    let cut_peak = cut.deployments[0].peak_minute_requests;
    assert!(
        cut_peak <= whole + 3 && cut_peak <= 106,
        "peak {cut_peak} with the outage, {whole} without"
    );
}

#[test]
fn the_same_seed_gives_byte_identical_fleet_reports() {
    let s = bundled("fleet-shared-rpm.yaml");
    let policies: Vec<_> = s.policies.iter().collect();
    let run = |seed| {
        let dir = tempfile::tempdir().unwrap();
        let out = run_scenario(&s, &policies, seed, dir.path()).unwrap();
        (
            std::fs::read(out.summary_path).unwrap(),
            std::fs::read(out.requests_path).unwrap(),
        )
    };
    let a = run(7);
    let b = run(7);
    assert!(
        a.0 == b.0,
        "summary.json differs between two runs of one seed"
    );
    assert!(
        a.1 == b.1,
        "requests.csv differs between two runs of one seed"
    );
    assert!(a.0 != run(8).0, "another seed gives another run");
}

#[test]
fn a_policy_layers_its_instances_over_the_scenarios_and_bad_values_name_their_key() {
    let s = bundled("fleet-shared-rpm.yaml");
    let fleet = |name: &str| s.policy(name).unwrap().fleet.clone().unwrap();
    assert_eq!(fleet("redis-10s").count, 3);
    assert_eq!(fleet("redis-10s").sync_interval.as_secs(), 10);
    assert_eq!(fleet("one-instance").count, 1);
    assert!(s.policy("redis-1s").unwrap().settings.redis.host.is_some());

    let text =
        std::fs::read_to_string(crate::common::scenarios_dir().join("fleet-shared-rpm.yaml"))
            .unwrap();
    let bad = text.replace(
        "instances: {sync_interval: 10s}",
        "instances: {sync_interval: soon}",
    );
    let e = scenario(&bad).unwrap_err().to_string();
    assert!(
        e.contains("scenario.yaml") && e.contains("policies.redis-10s.instances.sync_interval"),
        "{e}"
    );
    let bad = text.replace("instances: {sync_interval: 10s}", "instances: {count: 2}");
    let e = scenario(&bad).unwrap_err().to_string();
    assert!(e.contains("one weight per instance"), "{e}");
}

#[test]
fn fleet_metrics_need_instances_and_a_fleet_that_would_sync_forever_is_refused() {
    let plain = rpm_scenario("60/min", "", false);
    let problem =
        switchyard::app::expectations::metric_problem(&plain, "fleet.deployments.a.peak_over_rpm")
            .expect("no instances, no fleet metrics");
    assert!(problem.contains("instances:"), "{problem}");
    let fleet = rpm_scenario("60/min", "{count: 2}", false);
    assert_eq!(
        switchyard::app::expectations::metric_problem(&fleet, "fleet.deployments.a.peak_over_rpm"),
        None
    );
    assert!(
        switchyard::app::expectations::metric_problem(&fleet, "fleet.deployments.a.nothing")
            .is_some()
    );

    let text = r#"
name: busy
duration: 400d
router:
  model_list:
    - {model_name: m, litellm_params: {model: openai/a}, model_info: {id: a}}
providers:
  - {match: {model_name: m}, ttft: 50ms, per_token: 1ms}
workload:
  rate: 1/h
  mix:
    - {model: m, input_tokens: 10, output_tokens: 10}
instances: {count: 1000, sync_interval: 1ms}
"#;
    let e = scenario(text).unwrap_err().to_string();
    assert!(
        e.contains("instances") && e.contains("sync_interval"),
        "{e}"
    );
}

#[test]
fn a_shared_budget_overshoots_less_the_more_often_instances_sync() {
    // Three instances spend against one $1-a-minute provider budget at about $0.02 a request,
    // 10 requests a second: alone each spends its own dollar; synced, the fleet stops near one.
    let text = |redis: &str, interval: &str| {
        format!(
            r#"
name: spend
duration: 5m
seed: 6
router:
  model_list:
    - {{model_name: m, litellm_params: {{model: openai/gpt-4o, input_cost_per_token: 0.00001, output_cost_per_token: 0.00003}}, model_info: {{id: a}}}}
  router_settings:
    num_retries: 0
    provider_budget_config:
      openai: {{budget_limit: 1.0, time_period: 1m}}
    {redis}
providers:
  - {{match: {{model_name: m}}, ttft: 50ms, per_token: 1ms}}
workload:
  arrivals: constant
  rate: 10/s
  mix:
    - {{model: m, input_tokens: 1000, output_tokens: 300}}
instances: {{count: 3, sync_interval: {interval}}}
"#
        )
    };
    let overshoot = |redis: &str, interval: &str| {
        let s = scenario(&text(redis, interval)).unwrap();
        let b = &fleet_of(&s).budgets[0];
        assert_eq!(b.key, "provider:openai");
        assert!(b.windows >= 4, "{b:?}");
        b.max_window_overshoot_usd
    };
    let alone = overshoot("", "1s");
    let slow = overshoot(REDIS, "5s");
    let fast = overshoot(REDIS, "100ms");
    assert!(
        alone > 1.5,
        "each of 3 instances spends its own limit: {alone}"
    );
    assert!(fast < slow && slow < alone, "{fast} < {slow} < {alone}");
    // Spend is charged when an answer ends, so even one router overshoots by what is in flight
    // (10/s × 0.35 s); two 100 ms intervals add 2 requests: about 5.5 × $0.019.
    assert!(fast < 0.15, "{fast}");
}

#[test]
fn a_comparison_whose_policies_differ_only_in_sync_interval_charts_the_overshoot() {
    let s = bundled("fleet-shared-rpm.yaml");
    let c = switchyard::app::compare::compare(&s, &[1, 2], "one-instance", &|| {}).unwrap();
    let names: Vec<&str> = c.sync_sweep.iter().map(|p| p.policy.as_str()).collect();
    assert_eq!(names, ["redis-100ms", "redis-1s", "redis-10s"]);
    let overshoot: Vec<f64> = c.sync_sweep.iter().map(|p| p.rpm_overshoot).collect();
    assert!(overshoot.windows(2).all(|w| w[0] < w[1]), "{overshoot:?}");
    let dir = tempfile::tempdir().unwrap();
    let charts = switchyard::report::comparison_charts::comparison_charts(dir.path(), &c).unwrap();
    assert!(
        charts
            .iter()
            .any(|f| f.svg.ends_with("compare-overshoot-vs-sync-interval.svg") && f.svg.exists())
    );
    let plain = bundled("seed-load-balancing.yaml");
    let names: Vec<String> = plain.policies.iter().map(|p| p.name.clone()).collect();
    let c = switchyard::app::compare::compare(&plain, &[1, 2], &names[0], &|| {}).unwrap();
    assert!(c.sync_sweep.is_empty(), "no instances, no sweep");
}
