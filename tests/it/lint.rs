//! `validate`'s lint rules: each with a config that triggers it and one that does not.

use std::process::Command;

use switchyard::config::lint::{Severity, lint};

use crate::common::config;

const BASE: &str = "model_list:\n  - {model_name: a, litellm_params: {model: openai/a}}\n  - {model_name: b, litellm_params: {model: openai/b}}\n";

fn rules(text: &str) -> Vec<(&'static str, Severity)> {
    let c = config(text).unwrap();
    lint(&c, &c.warnings)
        .into_iter()
        .map(|f| (f.rule, f.severity))
        .collect()
}

fn has(text: &str, rule: &str) -> bool {
    rules(text).iter().any(|(r, _)| *r == rule)
}

#[test]
fn every_rule_fires_on_its_case_and_only_there() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "fallback-unknown-group",
            "router_settings:\n  fallbacks: [{a: [nope]}]\n",
            "router_settings:\n  fallbacks: [{a: [b]}]\n",
        ),
        (
            "fallback-cycle",
            "router_settings:\n  fallbacks: [{a: [b]}, {b: [a]}]\n",
            "router_settings:\n  fallbacks: [{a: [b]}]\n",
        ),
        (
            "alias-to-nothing",
            "router_settings:\n  model_group_alias: {x: nope}\n",
            "router_settings:\n  model_group_alias: {x: a}\n",
        ),
        (
            "tags-without-filtering",
            "  - {model_name: c, litellm_params: {model: openai/c, tags: [free]}}\n",
            "  - {model_name: c, litellm_params: {model: openai/c, tags: [free]}}\nrouter_settings: {enable_tag_filtering: true}\n",
        ),
        (
            "filtering-without-tags",
            "router_settings: {enable_tag_filtering: true}\n",
            "",
        ),
        (
            "budget-unknown-provider",
            "router_settings:\n  provider_budget_config: {anthropic: {budget_limit: 1, time_period: 1d}}\n",
            "router_settings:\n  provider_budget_config: {openai: {budget_limit: 1, time_period: 1d}}\n",
        ),
        (
            "worst-case-attempts",
            "router_settings:\n  num_retries: 12\n  fallbacks: [{a: [b]}]\n",
            "router_settings:\n  num_retries: 2\n  fallbacks: [{a: [b]}]\n",
        ),
        (
            "retry-after-above-cap",
            "router_settings: {retry_after: 10}\n",
            "router_settings: {retry_after: 5}\n",
        ),
        (
            "cooldown-shorter-than-backoff",
            "router_settings: {cooldown_time: 1, num_retries: 3}\n",
            "router_settings: {cooldown_time: 5, num_retries: 3}\n",
        ),
        (
            "unset-env",
            "  - {model_name: c, litellm_params: {model: openai/c, api_key: os.environ/NOT_SET_ANYWHERE}}\n",
            "  - {model_name: c, litellm_params: {model: openai/c, api_key: os.environ/OPENAI_API_KEY}}\n",
        ),
        (
            "unused-key",
            "litellm_settings: {success_callback: [langfuse]}\n",
            "",
        ),
        (
            "weak-master-key",
            "general_settings: {master_key: sk-1234}\n",
            "general_settings: {master_key: sk-1234, dangerously_permit_weak_or_unset_master_key: true}\n",
        ),
        (
            "weak-master-key",
            "general_settings: {master_key: ' '}\n",
            "general_settings: {master_key: os.environ/LITELLM_MASTER_KEY}\n",
        ),
    ];
    for (rule, bad, good) in cases {
        assert!(has(&format!("{BASE}{bad}"), rule), "{rule} should fire");
        assert!(
            !has(&format!("{BASE}{good}"), rule),
            "{rule} should not fire on the good case"
        );
    }
}

#[test]
fn weights_all_zero_and_fractional() {
    let zero = "model_list:\n  - {model_name: a, litellm_params: {model: openai/a, weight: 0}}\n  - {model_name: a, litellm_params: {model: openai/b, weight: 0}}\n";
    assert!(has(zero, "zero-weights"));
    let fine = zero.replace("weight: 0}}\n  - ", "weight: 3}}\n  - ");
    assert!(!has(&fine, "zero-weights"));
    let frac = "model_list:\n  - {model_name: a, litellm_params: {model: openai/a, weight: 0.5}}\n";
    assert!(has(frac, "fractional-weight"));
    assert!(!has(&frac.replace("0.5", "2"), "fractional-weight"));
}

#[test]
fn unknown_references_are_errors_and_the_rest_warnings() {
    let r = rules(&format!(
        "{BASE}router_settings:\n  fallbacks: [{{a: [nope]}}]\n  retry_after: 10\n"
    ));
    assert!(r.contains(&("fallback-unknown-group", Severity::Error)));
    assert!(r.contains(&("retry-after-above-cap", Severity::Warning)));
}

fn validate(args: &[&str], file: &std::path::Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .arg("validate")
        .arg(file)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn validate_exit_codes_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.yaml");
    std::fs::write(&good, BASE).unwrap();
    assert_eq!(validate(&[], &good).0, 0);
    let warn = dir.path().join("warn.yaml");
    std::fs::write(
        &warn,
        format!("{BASE}router_settings: {{retry_after: 10}}\n"),
    )
    .unwrap();
    assert_eq!(validate(&[], &warn).0, 0, "warnings alone pass");
    assert_eq!(
        validate(&["--strict"], &warn).0,
        1,
        "--strict fails on warnings"
    );
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        format!("{BASE}router_settings:\n  fallbacks: [{{a: [nope]}}]\n"),
    )
    .unwrap();
    let (code, out) = validate(&["--format", "json"], &bad);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["errors"], 1);
    assert_eq!(doc["findings"][0]["rule"], "fallback-unknown-group");
    let typed = dir.path().join("typed.yaml");
    std::fs::write(
        &typed,
        format!("{BASE}router_settings: {{num_retries: two}}\n"),
    )
    .unwrap();
    let (code, out) = validate(&[], &typed);
    assert_eq!(code, 1, "a schema error is an error");
    assert!(
        out.contains("router_settings.num_retries: expected an integer, found \"two\""),
        "{out}"
    );
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "model_list: [\n").unwrap();
    assert_eq!(validate(&[], &broken).0, 2, "unparsable");
    assert_eq!(
        validate(&[], &dir.path().join("missing.yaml")).0,
        2,
        "unreadable"
    );
}

#[test]
fn the_routing_articles_config_blocks_validate_with_at_most_warnings() {
    for name in [
        "seed-load-balancing.yaml",
        "seed-weighted.yaml",
        "seed-tags.yaml",
        "seed-fallbacks.yaml",
        "seed-retry-policy.yaml",
        "seed-cooldown.yaml",
        "seed-provider-budget.yaml",
        "seed-model-budget.yaml",
        "seed-tag-budget.yaml",
        "seed-auto-router.yaml",
    ] {
        let s = crate::common::bundled(name);
        let errors: Vec<_> = lint(&s.config, &s.warnings)
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
}

#[test]
fn cycles_in_context_window_and_content_policy_fallbacks_are_found() {
    for key in ["context_window_fallbacks", "content_policy_fallbacks"] {
        let text = format!("{BASE}router_settings:\n  {key}: [{{a: [b]}}, {{b: [a]}}]\n");
        let c = config(&text).unwrap();
        let cycle = lint(&c, &c.warnings)
            .into_iter()
            .find(|f| f.rule == "fallback-cycle")
            .unwrap_or_else(|| panic!("{key}: no cycle finding"));
        assert_eq!(cycle.path, format!("router_settings.{key}"));
        assert!(cycle.message.contains("a > b > a"), "{}", cycle.message);
        assert!(!has(
            &format!("{BASE}router_settings:\n  {key}: [{{a: [b]}}]\n"),
            "fallback-cycle"
        ));
    }
}

#[test]
fn a_fallback_chain_of_fifty_thousand_groups_is_linted_without_recursion() {
    let n = 50_000;
    let mut text = String::from(
        "model_list:\n  - {model_name: '*', litellm_params: {model: openai/x}}\nrouter_settings:\n  fallbacks:\n",
    );
    for i in 0..n {
        text.push_str(&format!("    - {{g{i}: [g{}]}}\n", i + 1));
    }
    text.push_str(&format!("    - {{g{n}: [g0]}}\n"));
    let c = config(&text).unwrap();
    let findings = lint(&c, &c.warnings);
    let cycle = findings
        .iter()
        .find(|f| f.rule == "fallback-cycle")
        .unwrap();
    assert!(
        cycle
            .message
            .contains("g0 > g1 > g2 > g3 > g4 > g5 > … (49994 more) > g50000 > g0"),
        "{}",
        cycle.message
    );
}

#[test]
fn an_auto_router_route_to_a_group_nothing_serves_is_an_error() {
    let auto = |route: &str| {
        format!(
            "{BASE}  - model_name: auto\n    litellm_params:\n      model: auto_router/auto\n      auto_router_default_model: a\n      auto_router_config: {{routes: [{{name: {route}, utterances: [hi]}}]}}\n"
        )
    };
    let c = config(&auto("nope")).unwrap();
    let findings = lint(&c, &c.warnings);
    let f = findings
        .iter()
        .find(|f| f.rule == "auto-router-unknown-group")
        .expect("a finding");
    assert_eq!(f.severity, Severity::Error);
    assert!(f.message.contains("\"nope\""), "{}", f.message);
    assert!(!has(&auto("b"), "auto-router-unknown-group"));
}
