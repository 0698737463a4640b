//! The engine with faults: timeouts hold the provider's slot, injected errors reach the
//! reports, and invariants hold over random fault scenarios.

use proptest::prelude::*;

use switchyard::app::runner::simulate_quietly;

use crate::common::scenario;

fn timeout_scenario() -> String {
    r#"
name: timeouts
duration: 10s
router:
  model_list:
    - {model_name: slow, litellm_params: {model: openai/slow}, model_info: {id: slow}}
  router_settings: {num_retries: 0}
providers:
  - {match: {id: slow}, ttft: 10s, concurrency: 1}
workload:
  arrivals: constant
  rate: 1/s
  mix:
    - {model: slow, timeout: 1s, input_tokens: 10, output_tokens: 0}
"#
    .to_string()
}

#[test]
fn a_timed_out_attempt_keeps_the_provider_busy_until_its_work_is_done() {
    let s = scenario(&timeout_scenario()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let policies: Vec<_> = s.policies.iter().collect();
    let out = switchyard::app::runner::run_scenario(&s, &policies, 1, dir.path()).unwrap();
    let p = &out.summary.policies["default"];
    assert_eq!(p.requests, 9, "arrivals at 1 s … 9 s");
    assert_eq!(p.failed, 9, "every attempt outlives its 1 s timeout");
    assert_eq!(p.errors["timeout"], 9);
    let csv = std::fs::read_to_string(out.requests_path).unwrap();
    for line in csv.lines().skip(1) {
        let latency: f64 = line.split(',').nth(7).unwrap().parse().unwrap();
        assert!(
            (latency - 1000.0).abs() < 1e-6,
            "each request ends at its timeout: {line}"
        );
    }
}

fn fault_scenario(
    rate: u32,
    error_share: f64,
    rpm: u32,
    outage_end: u32,
    retries: u32,
    fallback: bool,
) -> String {
    let fallbacks = if fallback {
        "  fallbacks: [{main: [spare]}]\n"
    } else {
        ""
    };
    format!(
        r#"
name: random-faults
duration: 2m
router:
  model_list:
    - {{model_name: main, litellm_params: {{model: openai/a, timeout: 3}}, model_info: {{id: a}}}}
    - {{model_name: main, litellm_params: {{model: openai/b}}, model_info: {{id: b}}}}
    - {{model_name: spare, litellm_params: {{model: openai/c}}, model_info: {{id: c}}}}
  router_settings:
    num_retries: {retries}
{fallbacks}providers:
  - match: {{id: a}}
    ttft: {{lognormal: {{median: 300ms, p99: 5s}}}}
    per_token: 2ms
    concurrency: 4
    errors: {{internal_server: {error_share}, rate_limit: {error_share}}}
    rate_limit: {{rpm: {rpm}}}
    outages: [{{start: 30s, end: {outage_end}s, error: service_unavailable}}]
  - match: {{id: b}}
    ttft: {{exponential: {{mean: 200ms}}}}
    errors: {{bad_gateway: {error_share}}}
  - match: {{id: c}}
    ttft: 100ms
workload:
  rate: {rate}/s
  mix:
    - {{model: main, input_tokens: 100, output_tokens: {{uniform: {{min: 0, max: 300}}}}}}
"#
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn every_request_ends_once_and_attempts_stay_within_the_allowance(
        rate in 1u32..40,
        error_share in 0.0f64..0.45,
        rpm in 10u32..600,
        outage_end in 31u32..110,
        retries in 0u32..3,
        fallback in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let s = scenario(&fault_scenario(rate, error_share, rpm, outage_end, retries, fallback)).unwrap();
        // The engine asserts (in debug builds) that virtual time never decreases.
        let stats = simulate_quietly(&s, &s.policies[0], seed).unwrap();
        prop_assert_eq!(stats.requests, stats.succeeded + stats.failed);
        let groups = if fallback { 2 } else { 1 };
        let max_attempts = groups * (1 + retries as usize);
        prop_assert!(stats.attempts_histogram.len() <= max_attempts + 1,
            "a request made {} attempts, more than {max_attempts}", stats.attempts_histogram.len() - 1);
        let per_deployment: u64 = stats.deployments.iter().map(|d| d.attempts).sum();
        prop_assert_eq!(per_deployment, stats.attempts);
        let served: u64 = stats.deployments.iter().map(|d| d.served).sum();
        prop_assert_eq!(served, stats.succeeded);
        for e in &stats.cooldown_events {
            prop_assert!(e.end > e.start);
        }
    }
}

#[test]
fn the_fallback_scenario_reports_paths_cooldowns_and_attempts() {
    let s = crate::common::bundled("seed-fallbacks.yaml");
    let dir = tempfile::tempdir().unwrap();
    let policies: Vec<_> = s.policies.iter().collect();
    let out = switchyard::app::runner::run_scenario(&s, &policies, s.seed, dir.path()).unwrap();
    let p = &out.summary.policies["default"];
    assert!(
        p.fallbacks_by_path["gpt-4o>gpt-4o-long"] > 0,
        "{:?}",
        p.fallbacks_by_path
    );
    assert!(p.fallbacks_by_path["gpt-4o>gpt-4o-permissive"] > 0);
    assert!(
        p.fallbacks_by_path["gpt-4o>gpt-4o-mini"] > 0,
        "outage traffic falls back"
    );
    let histogram_total: u64 = p.attempts_histogram.values().sum();
    assert_eq!(histogram_total, p.requests);
    let csv = std::fs::read_to_string(out.requests_path).unwrap();
    assert!(
        csv.lines()
            .any(|l| l.ends_with(",0,gpt-4o>gpt-4o-long,gpt-4o-long")),
        "CSV carries retries, fallback_path and final_group"
    );
}

#[test]
fn budgets_reach_the_summary_and_budgets_csv() {
    let s = crate::common::bundled("seed-provider-budget.yaml");
    let dir = tempfile::tempdir().unwrap();
    let policies: Vec<_> = s.policies.iter().collect();
    let out = switchyard::app::runner::run_scenario(&s, &policies, s.seed, dir.path()).unwrap();
    let p = &out.summary.policies["default"];
    let openai = &p.budgets["provider:openai"];
    assert_eq!(openai.limit, 100.0);
    assert!(openai.spent >= 100.0, "{}", openai.spent);
    assert!(openai.exhausted_at_s.is_some());
    assert!(
        p.errors.contains_key("budget_exceeded"),
        "once every provider is spent, requests are refused"
    );
    let csv = std::fs::read_to_string(out.budgets_path.unwrap()).unwrap();
    assert!(csv.starts_with("policy,time_s,budget,spent,limit\n"));
    assert!(
        csv.lines()
            .any(|l| l.starts_with("default,60,provider:openai,"))
    );
}

#[test]
fn prompts_come_from_a_list_or_a_file_next_to_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("prompts.txt"),
        "写一首关于春天的诗\n\nImplement bubble sort in Python\n",
    )
    .unwrap();
    let text = r#"
name: prompts
duration: 1m
router:
  model_list:
    - {model_name: m, litellm_params: {model: openai/m}}
providers:
  - {match: {model_name: m}, ttft: 100ms}
workload:
  rate: 1/s
  mix:
    - {model: m, input_tokens: 10, output_tokens: 10, prompts_file: prompts.txt}
"#;
    let s = switchyard::scenario::parse_scenario(text, "s.yaml", dir.path(), &crate::common::env())
        .unwrap();
    let prompts: Vec<&str> = s.workload.mix[0].prompts.iter().map(|p| &**p).collect();
    assert_eq!(
        prompts,
        ["写一首关于春天的诗", "Implement bubble sort in Python"]
    );
    let missing = text.replace("prompts.txt", "nope.txt");
    let e =
        switchyard::scenario::parse_scenario(&missing, "s.yaml", dir.path(), &crate::common::env())
            .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("s.yaml: workload.mix[0].prompts_file: cannot read prompts file"),
        "{e}"
    );
}

#[test]
fn budget_samples_reach_the_aggregates_for_the_spend_chart() {
    let s = crate::common::bundled("seed-provider-budget.yaml");
    let stats = switchyard::app::runner::simulate_quietly(&s, &s.policies[0], s.seed).unwrap();
    let openai: Vec<f64> = stats
        .budget_samples
        .iter()
        .filter(|b| b.key == "provider:openai")
        .map(|b| b.spent)
        .collect();
    assert_eq!(openai.len(), 60, "one sample a minute for an hour");
    assert!(
        openai.windows(2).all(|w| w[1] >= w[0]),
        "spend only grows inside one window"
    );
}

/// A sink that asks the run to stop once it has seen `after` requests.
struct StopAfter {
    after: u64,
    seen: u64,
}

impl switchyard::metrics::RecordSink for StopAfter {
    fn request(&mut self, _record: &switchyard::metrics::RequestRecord<'_>) {
        self.seen += 1;
    }

    fn stop_requested(&self) -> bool {
        self.seen >= self.after
    }
}

#[test]
fn a_sink_asking_to_stop_ends_arrivals_and_every_arrived_request_finishes() {
    let s = crate::common::bundled("outage.yaml");
    let policy = &s.policies[0];
    let full = simulate_quietly(&s, policy, s.seed).unwrap();
    assert_eq!(full.stopped_at, None);
    let sink = StopAfter {
        after: 500,
        seen: 0,
    };
    let stopped = switchyard::app::runner::simulate(&s, policy, s.seed, sink).unwrap();
    let at = stopped
        .stopped_at
        .expect("the run records when arrivals stopped");
    assert!(stopped.requests >= 500 && stopped.requests < full.requests / 2);
    // Every request that arrived ended, as a success or a failure.
    assert_eq!(stopped.requests, stopped.succeeded + stopped.failed);
    assert!(at > switchyard::time::Time::ZERO);
    // The same stop point gives the same run.
    let again = StopAfter {
        after: 500,
        seen: 0,
    };
    let repeat = switchyard::app::runner::simulate(&s, policy, s.seed, again).unwrap();
    assert_eq!(repeat.stopped_at, Some(at));
    assert_eq!(repeat.requests, stopped.requests);
}
