//! Same seed, same bytes; and a policy change never changes the workload a policy sees.

use std::collections::BTreeMap;

use switchyard::app::runner::run_scenario;

use crate::common::{bundled, scenario};

fn run_to_bytes(name: &str, seed: u64) -> (Vec<u8>, Vec<u8>) {
    let s = bundled(name);
    let dir = tempfile::tempdir().unwrap();
    let policies: Vec<_> = s.policies.iter().collect();
    let out = run_scenario(&s, &policies, seed, dir.path()).unwrap();
    (
        std::fs::read(out.summary_path).unwrap(),
        std::fs::read(out.requests_path).unwrap(),
    )
}

#[test]
fn the_same_seed_gives_byte_identical_reports() {
    let (summary_a, requests_a) = run_to_bytes("seed-load-balancing.yaml", 42);
    let (summary_b, requests_b) = run_to_bytes("seed-load-balancing.yaml", 42);
    assert!(
        summary_a == summary_b,
        "summary.json differs between two runs of one seed"
    );
    assert!(
        requests_a == requests_b,
        "requests.csv differs between two runs of one seed"
    );
    let (summary_c, requests_c) = run_to_bytes("seed-load-balancing.yaml", 43);
    assert!(summary_a != summary_c, "another seed must give another run");
    assert!(requests_a != requests_c);
}

const TWO_POLICIES: &str = r#"
name: crn
duration: 2m
seed: 5
router:
  model_list:
    - {model_name: gpt-4o, litellm_params: {model: openai/gpt-4o}, model_info: {id: a}}
    - {model_name: gpt-4o, litellm_params: {model: azure/gpt-4o}, model_info: {id: b}}
    - {model_name: gpt-4o, litellm_params: {model: azure/gpt-4o-eu}, model_info: {id: c}}
    - {model_name: gpt-4o-mini, litellm_params: {model: openai/gpt-4o-mini}, model_info: {id: mini}}
providers:
  - {match: {model_name: gpt-4o}, ttft: {lognormal: {median: 300ms, p99: 2s}}, per_token: 10ms, concurrency: 4}
  - {match: {model_name: gpt-4o-mini}, ttft: {exponential: {mean: 100ms}}, per_token: 5ms}
workload:
  rate: 30/s
  mix:
    - {model: gpt-4o, weight: 3, input_tokens: {uniform: {min: 10, max: 5000}}, output_tokens: {lognormal: {median: 200, p99: 2000}}}
    - {model: gpt-4o-mini, weight: 1, input_tokens: 100, output_tokens: {exponential: {mean: 50}}}
policies:
  shuffle: {}
  everything-to-mini:
    model_group_alias: {gpt-4o: gpt-4o-mini}
"#;

#[test]
fn a_policy_change_leaves_the_arrival_sequence_unchanged() {
    let s = scenario(TWO_POLICIES).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let policies: Vec<_> = s.policies.iter().collect();
    let out = run_scenario(&s, &policies, s.seed, dir.path()).unwrap();
    let mut reader = csv::Reader::from_path(out.requests_path).unwrap();
    let mut by_policy: BTreeMap<String, Vec<csv::StringRecord>> = BTreeMap::new();
    for row in reader.records() {
        let row = row.unwrap();
        by_policy.entry(row[1].to_string()).or_default().push(row);
    }
    let shuffle = &by_policy["shuffle"];
    let mini = &by_policy["everything-to-mini"];
    assert!(shuffle.len() > 3000, "two minutes at 30/s");
    let workload = |rows: &[csv::StringRecord]| -> Vec<(String, String, String, String)> {
        let mut w: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r[0].to_string(),
                    r[2].to_string(),
                    r[3].to_string(),
                    r[10].to_string(),
                )
            })
            .collect();
        w.sort();
        w
    };
    assert_eq!(
        workload(shuffle),
        workload(mini),
        "ids, arrival instants, models and prompt sizes must not depend on the policy"
    );
    let deployments = |rows: &[csv::StringRecord]| -> Vec<String> {
        rows.iter().map(|r| r[4].to_string()).collect()
    };
    assert!(deployments(mini).iter().all(|d| d == "mini"));
    assert!(
        deployments(shuffle).iter().any(|d| d == "a"),
        "the policies really differ"
    );
}

#[test]
fn a_run_writes_the_same_bytes_with_one_and_four_threads() {
    let s = bundled("outage.yaml");
    let policies: Vec<_> = s.policies.iter().collect();
    let run = |threads: usize| {
        let dir = tempfile::tempdir().unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let out = pool
            .install(|| run_scenario(&s, &policies, 3, dir.path()))
            .unwrap();
        (
            std::fs::read(out.summary_path).unwrap(),
            std::fs::read(out.requests_path).unwrap(),
        )
    };
    let (one_summary, one_requests) = run(1);
    let (four_summary, four_requests) = run(4);
    assert!(
        one_summary == four_summary,
        "summary.json depends on threads"
    );
    assert!(
        one_requests == four_requests,
        "requests.csv depends on threads"
    );
    let rows = one_requests.iter().filter(|b| **b == b'\n').count();
    assert!(rows > 4 * 17_000, "all four policies' rows: {rows}");
}
