//! Scenario files: the bundled ones load and run; mistakes get located, helpful errors.

use std::process::Command;

use switchyard::sim::ArrivalProcess;

use crate::common::{bundled, scenario, scenarios_dir};

const MINIMAL: &str = r#"
name: minimal
duration: 1m
router:
  model_list:
    - {model_name: m, litellm_params: {model: openai/m}, model_info: {id: only}}
providers:
  - {match: {id: only}, ttft: 100ms}
workload:
  rate: 10/s
  mix:
    - {model: m, input_tokens: 10, output_tokens: 10}
"#;

fn err(text: &str) -> String {
    scenario(text)
        .expect_err("scenario must be refused")
        .to_string()
}

#[test]
fn every_bundled_scenario_loads() {
    let mut names: Vec<String> = std::fs::read_dir(scenarios_dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.ends_with(".yaml").then_some(name)
        })
        .collect();
    names.sort();
    assert!(names.len() >= 3, "{names:?}");
    for name in names {
        let s = bundled(&name);
        assert!(!s.policies.is_empty(), "{name}");
        assert_eq!(s.profile_of.len(), s.config.deployments.len(), "{name}");
    }
}

#[test]
fn a_scenario_without_policies_has_one_named_default() {
    let s = scenario(MINIMAL).unwrap();
    assert_eq!(s.policies.len(), 1);
    assert_eq!(s.policies[0].name, "default");
    assert_eq!(s.seed, 1, "the documented default seed");
    assert_eq!(s.workload.process, ArrivalProcess::Poisson);
    assert_eq!(s.workload.rate, 10.0);
}

#[test]
fn unknown_keys_suggest_the_nearest_valid_key() {
    assert_eq!(
        err(&MINIMAL.replace("duration: 1m", "durration: 1m")),
        "scenario.yaml: durration: unknown key `durration`; did you mean `duration`?"
    );
    assert_eq!(
        err(&MINIMAL.replace("ttft: 100ms", "ttft: 100ms, concurency: 3")),
        "scenario.yaml: providers[0].concurency: unknown key `concurency`; did you mean `concurrency`?"
    );
    assert_eq!(
        err(&MINIMAL.replace("rate: 10/s", "rate: 10/s\n  arival: poisson")),
        "scenario.yaml: workload.arival: unknown key `arival`; did you mean `arrivals`?"
    );
}

#[test]
fn units_are_checked() {
    assert_eq!(
        err(&MINIMAL.replace("duration: 1m", "duration: 60")),
        "scenario.yaml: duration: expected a duration such as 250ms, 30s, 10m, 1h or 1d, found 60"
    );
    assert_eq!(
        err(&MINIMAL.replace("rate: 10/s", "rate: 10 per second")),
        r#"scenario.yaml: workload.rate: expected a rate such as 50/s, 1000/min or 3600/h, found "10 per second""#
    );
}

#[test]
fn policies_override_router_settings_and_typos_are_errors() {
    let with_policies = format!(
        "{MINIMAL}policies:\n  patient: {{num_retries: 5, cooldown_time: 30}}\n  plain: {{}}\n"
    );
    let s = scenario(&with_policies).unwrap();
    let patient = s.policy("patient").unwrap();
    assert_eq!(patient.settings.num_retries, 5);
    assert_eq!(patient.settings.cooldown_time.as_secs(), 30);
    assert_eq!(s.policy("plain").unwrap().settings.num_retries, 2);
    let reset = scenario(&format!(
        "{}policies:\n  reset: {{allowed_fails: null}}\n",
        MINIMAL.replace(
            "router:\n",
            "router:\n  router_settings: {allowed_fails: 3}\n"
        )
    ))
    .unwrap();
    assert_eq!(
        reset.policy("reset").unwrap().settings.allowed_fails,
        None,
        "null in a policy restores LiteLLM's default"
    );
    assert_eq!(
        err(&format!("{MINIMAL}policies:\n  p: {{num_retrys: 5}}\n")),
        "scenario.yaml: policies.p.num_retrys: unknown key `num_retrys`; did you mean `num_retries`?"
    );
    assert_eq!(
        err(&format!("{MINIMAL}policies:\n  p: {{num_retries: many}}\n")),
        r#"scenario.yaml: policies.p.num_retries: expected an integer, found "many""#
    );
    assert_eq!(
        err(&format!(
            "{MINIMAL}policies:\n  p: {{routing_strategy: latency-based-routing, routing_strategy_args: {{max_latency_list_size: 0}}}}\n"
        )),
        "scenario.yaml: policies.p.routing_strategy_args.max_latency_list_size: expected at least 1"
    );
}

#[test]
fn every_deployment_needs_exactly_one_best_matching_profile() {
    let two = MINIMAL.replace(
        "    - {model_name: m, litellm_params: {model: openai/m}, model_info: {id: only}}",
        "    - {model_name: m, litellm_params: {model: openai/m}, model_info: {id: only}}\n    - {model_name: n, litellm_params: {model: openai/n}, model_info: {id: other}}",
    );
    assert_eq!(
        err(&two),
        r#"scenario.yaml: providers: no provider profile matches deployment "other" (model_name "n", api_base "none"); add one matching its id, api_base or model_name"#
    );
    let ambiguous = MINIMAL.replace(
        "  - {match: {id: only}, ttft: 100ms}",
        "  - {name: a, match: {model_name: m}, ttft: 100ms}\n  - {name: b, match: {model_name: m}, ttft: 200ms}",
    );
    assert_eq!(
        err(&ambiguous),
        r#"scenario.yaml: providers: deployment "only" (model_name "m") is matched equally by profiles "a" and "b"; make one match more specific (id > api_base > model_name)"#
    );
    let specific = MINIMAL.replace(
        "  - {match: {id: only}, ttft: 100ms}",
        "  - {name: broad, match: {model_name: m}, ttft: 100ms}\n  - {name: exact, match: {id: only}, ttft: 200ms}",
    );
    let s = scenario(&specific).unwrap();
    assert_eq!(
        s.profiles[s.profile_of[0]].name, "exact",
        "id beats model_name"
    );
}

#[test]
fn the_router_config_is_inline_or_a_path_relative_to_the_scenario() {
    assert_eq!(
        err(&MINIMAL.replace("router:\n", "config: nowhere.yaml\nrouter:\n")),
        "scenario.yaml: router: give either `config` (a path) or `router` (inline), not both"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("configs")).unwrap();
    std::fs::write(
        dir.path().join("configs/litellm.yaml"),
        "model_list:\n  - {model_name: m, litellm_params: {model: openai/m}, model_info: {id: only}}\nrouter_settings: {num_retries: 1}\n",
    )
    .unwrap();
    let text = MINIMAL.replace(
        "router:\n  model_list:\n    - {model_name: m, litellm_params: {model: openai/m}, model_info: {id: only}}\n",
        "config: configs/litellm.yaml\n",
    );
    let path = dir.path().join("s.yaml");
    std::fs::write(&path, &text).unwrap();
    let s = switchyard::scenario::load_scenario(&path, &crate::common::env()).unwrap();
    assert_eq!(s.config.settings.num_retries, 1);
    let bad = text.replace("num_retries: 1", "num_retries: x");
    std::fs::write(dir.path().join("configs/litellm.yaml"), "model_list:\n  - {model_name: m, litellm_params: {model: openai/m}, model_info: {id: only}}\nrouter_settings: {num_retries: x}\n").unwrap();
    std::fs::write(&path, &bad).unwrap();
    let e = switchyard::scenario::load_scenario(&path, &crate::common::env()).unwrap_err();
    assert!(
        e.to_string().ends_with(
            r#"configs/litellm.yaml: router_settings.num_retries: expected an integer, found "x""#
        ),
        "{e}"
    );
}

#[test]
fn the_command_line_runs_a_scenario_and_writes_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args([
            "run",
            "seed-weighted.yaml",
            "--seed",
            "3",
            "--policy",
            "default",
            "--requests",
            "csv",
            "--out",
        ])
        .arg(dir.path())
        .current_dir(scenarios_dir())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("seed-weighted — seed 3"), "{stdout}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["scenario"], "seed-weighted");
    assert_eq!(summary["seed"], 3);
    let p = &summary["policies"]["default"];
    for key in [
        "requests",
        "succeeded",
        "failed",
        "success_rate",
        "attempts",
        "retries",
        "fallbacks",
        "cost_usd",
        "errors",
        "deployments",
    ] {
        assert!(!p[key].is_null(), "summary lacks policies.default.{key}");
    }
    for key in ["mean", "p50", "p90", "p95", "p99", "max"] {
        assert!(
            p["latency_ms"][key].as_f64().unwrap() > 0.0,
            "latency_ms.{key}"
        );
    }
    let csv = std::fs::read_to_string(dir.path().join("requests.csv")).unwrap();
    assert!(csv.starts_with("id,policy,arrival_s,model,deployment,status,error_class,latency_ms,ttft_ms,attempts,input_tokens,output_tokens,cost_usd,retries,fallback_path,final_group\n"));
    assert_eq!(
        csv.lines().count() as u64 - 1,
        p["requests"].as_u64().unwrap()
    );

    let missing = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args(["run", "seed-weighted.yaml", "--policy", "nope", "--out"])
        .arg(dir.path())
        .current_dir(scenarios_dir())
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert_eq!(
        String::from_utf8_lossy(&missing.stderr)
            .lines()
            .last()
            .unwrap(),
        r#"error: seed-weighted.yaml: no policy named "nope" (policies: default)"#
    );
}
