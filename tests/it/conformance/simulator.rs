//! The share situations through the real simulator as well: each becomes a scenario (the
//! situation's config, a synthetic provider per deployment answering in 2 ms, one request a
//! second for as many seconds as the situation sends requests) run by
//! `switchyard::app::runner::simulate_quietly`, so the engine's path agrees with LiteLLM too,
//! not only the router driven directly. It decides how a situation is spelled as a scenario;
//! only situations whose deployments all succeed and whose requests are plain qualify.

use std::collections::BTreeMap;
use std::path::Path;

use switchyard::app::runner::simulate_quietly;
use switchyard::scenario::parse_scenario;

use super::situation::{AnswerSpec, Mode, Situation};

/// Whether the situation can be spelled with today's scenario language: shares of plain
/// requests to deployments that all succeed. Closed-loop clients (`least_busy_burst`,
/// `least_busy_single_burst`) wait for the closed-loop workload (`arrivals: {closed: …}`);
/// until it lands they are replayed by the scripted driver only.
pub fn qualifies(s: &Situation) -> bool {
    let plain = s.requests.iter().all(|r| {
        r.after == 0.0 && r.tags.is_empty() && r.fallbacks.is_none() && r.num_retries.is_none()
    });
    let all_succeed = s
        .answers
        .values()
        .all(|a| matches!(a, AnswerSpec::Name(n) if n == "ok"));
    s.compare == Mode::Shares
        && s.clients.is_none()
        && s.requests.len() == 1
        && plain
        && all_succeed
}

/// The scenario text for a qualifying situation.
fn scenario_text(s: &Situation) -> String {
    let request = &s.requests[0];
    let ids: Vec<String> = s
        .router()
        .table()
        .deployments()
        .iter()
        .map(|d| d.config.id.clone())
        .collect();
    let providers: Vec<serde_yaml::Value> = ids
        .iter()
        .map(|id| {
            serde_yaml::from_str(&format!(
                "{{name: p-{id}, match: {{id: {id}}}, ttft: 2ms, per_token: 0ms}}"
            ))
            .expect("a provider profile")
        })
        .collect();
    let mut doc = serde_yaml::Mapping::new();
    let mut put = |k: &str, v: serde_yaml::Value| doc.insert(k.into(), v);
    put("name", format!("conformance-{}", s.name).into());
    put("duration", format!("{}s", request.count).into());
    put("seed", 1108.into());
    put("router", s.config.clone());
    put("providers", providers.into());
    let workload = format!(
        "{{arrivals: constant, rate: 1/s, mix: [{{model: {}, input_tokens: {}, output_tokens: 10}}]}}",
        request.model,
        request.input_tokens.unwrap_or(10)
    );
    put(
        "workload",
        serde_yaml::from_str(&workload).expect("a workload"),
    );
    serde_yaml::to_string(&doc).expect("a YAML document")
}

/// Requests served by each deployment id when the simulator runs the situation.
pub fn served_counts(s: &Situation) -> BTreeMap<String, u32> {
    let file = format!("conformance-{}.yaml", s.name);
    let env = BTreeMap::<String, String>::new();
    let scenario = parse_scenario(&scenario_text(s), &file, Path::new("."), &env)
        .unwrap_or_else(|e| panic!("{e}"));
    let stats = simulate_quietly(&scenario, &scenario.policies[0], 1108).expect("the run");
    scenario
        .config
        .table
        .deployments()
        .iter()
        .zip(&stats.deployments)
        .map(|(d, st)| (d.config.id.clone(), st.served as u32))
        .collect()
}
