//! Reading LiteLLM configs: defaults, layering, environment references, ids, and the exact
//! wording of errors.

use std::time::Duration;

use switchyard::config::RoutingStrategy;

use crate::common::config;

const ARTICLE_LOAD_BALANCING: &str = r#"
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: azure/gpt-4o
      api_base: https://my-endpoint-us.openai.azure.com/
      api_key: os.environ/AZURE_API_KEY
  - model_name: gpt-4o
    litellm_params:
      model: azure/gpt-4o
      api_base: https://my-endpoint-eu.openai.azure.com/
      api_key: os.environ/AZURE_API_KEY
      api_version: os.environ/AZURE_API_VERSION
  - model_name: gpt-4o
    litellm_params:
      model: gpt-4o
      api_key: os.environ/OPENAI_API_KEY
"#;

fn err(text: &str) -> String {
    config(text)
        .expect_err("config must be refused")
        .to_string()
}

#[test]
fn the_articles_load_balancing_block_loads_with_litellm_defaults() {
    let c = config(ARTICLE_LOAD_BALANCING).unwrap();
    assert_eq!(c.deployments.len(), 3);
    assert!(c.deployments.iter().all(|d| d.model_name == "gpt-4o"));
    assert_eq!(c.deployments[0].provider, "azure");
    assert_eq!(
        c.deployments[2].provider, "openai",
        "no prefix means openai"
    );
    let s = &c.settings;
    assert_eq!(s.routing_strategy, RoutingStrategy::SimpleShuffle);
    assert_eq!(s.num_retries, 2);
    assert_eq!(s.retry_after, Duration::ZERO);
    assert_eq!(
        s.allowed_fails, None,
        "left at the default, so the default cooldown rule applies"
    );
    assert_eq!(s.cooldown_time, Duration::from_secs(5));
    assert!(!s.disable_cooldowns);
    assert_eq!(s.max_fallbacks, 5);
    assert_eq!(s.timeout, Duration::from_secs(6000));
    assert!(!s.enable_pre_call_checks && !s.enable_tag_filtering && s.tag_filtering_match_any);
    let key = c.deployments[0].api_key.as_ref().unwrap();
    assert_eq!(key.env_var.as_deref(), Some("AZURE_API_KEY"));
    assert_eq!(key.value.as_deref(), Some("az-test"));
    let version = c.deployments[1].api_version.as_ref().unwrap();
    assert_eq!(
        version.value, None,
        "unset variable stays named but unresolved"
    );
    assert_eq!(
        c.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
        [
            "config.yaml: model_list[1].litellm_params.api_version: environment variable AZURE_API_VERSION is not set (not needed to simulate; the live proxy needs it; later uses not repeated)"
        ]
    );
}

#[test]
fn wrong_types_name_file_key_path_and_expectation() {
    let base = "model_list:\n  - model_name: m\n    litellm_params: {model: openai/m}\n";
    assert_eq!(
        err(&format!("{base}router_settings:\n  num_retries: two\n")),
        r#"config.yaml: router_settings.num_retries: expected an integer, found "two""#
    );
    assert_eq!(
        err(&format!("{base}router_settings:\n  fallbacks: [gpt-4o]\n")),
        r#"config.yaml: router_settings.fallbacks[0]: expected a mapping from a model group to a list of groups, e.g. {"gpt-4o": ["gpt-4o-mini"]}, found "gpt-4o""#
    );
    assert_eq!(
        err(&format!(
            "{base}router_settings:\n  disable_cooldowns: maybe\n"
        )),
        r#"config.yaml: router_settings.disable_cooldowns: expected true or false, found "maybe""#
    );
    assert_eq!(
        err(&format!("{base}router_settings:\n  cooldown_time: -1\n")),
        "config.yaml: router_settings.cooldown_time: expected a number that is not negative, found -1"
    );
    assert_eq!(
        err(&format!(
            "{base}router_settings:\n  routing_strategy: fastest\n"
        )),
        r#"config.yaml: router_settings.routing_strategy: unknown routing strategy "fastest" (expected one of: simple-shuffle, least-busy, latency-based-routing, cost-based-routing, usage-based-routing, usage-based-routing-v2, p2c-ewma)"#
    );
    assert_eq!(
        err(&format!(
            "{base}router_settings:\n  retry_policy:\n    RateLimitErrorRetries: lots\n"
        )),
        r#"config.yaml: router_settings.retry_policy.RateLimitErrorRetries: expected an integer, found "lots""#
    );
    assert_eq!(
        err(&format!(
            "{base}router_settings:\n  provider_budget_config:\n    openai: {{budget_limit: 100, time_period: daily}}\n"
        )),
        r#"config.yaml: router_settings.provider_budget_config.openai.time_period: expected a budget period such as 30s, 10m, 1h, 1d, 1w or 1mo, found "daily""#
    );
    assert_eq!(
        err("model_list:\n  - litellm_params: {model: openai/m}\n"),
        "config.yaml: model_list[0]: missing required key `model_name`"
    );
    assert_eq!(
        err("model_list:\n  - model_name: m\n    litellm_params: {model: openai/m, rpm: fast}\n"),
        r#"config.yaml: model_list[0].litellm_params.rpm: expected an integer, found "fast""#
    );
    assert_eq!(
        err("model_list:\n  - model_name: m\n    litellm_params: {model: openai/m, tags: free}\n"),
        r#"config.yaml: model_list[0].litellm_params.tags: expected a list, found "free""#
    );
    assert_eq!(
        err("model_list: []\n"),
        "config.yaml: model_list: expected at least one deployment"
    );
    assert_eq!(
        err(""),
        "config.yaml: the config is empty; expected a mapping with `model_list`"
    );
    assert!(
        err("model_list: [\n").starts_with("config.yaml: line "),
        "a YAML syntax error names its line"
    );
}

#[test]
fn different_deployments_sharing_an_id_are_refused() {
    let text = "model_list:\n  - model_name: a\n    litellm_params: {model: openai/a}\n    model_info: {id: x}\n  - model_name: b\n    litellm_params: {model: openai/b}\n    model_info: {id: x}\n";
    assert_eq!(
        err(text),
        r#"config.yaml: model_list[1]: deployment id "x" is used by an earlier, different entry (set a distinct model_info.id)"#
    );
}

#[test]
fn an_identical_entry_is_read_once_with_a_warning() {
    let entry = "  - model_name: a\n    litellm_params: {model: openai/a, rpm: 10}\n";
    let c = config(&format!("model_list:\n{entry}{entry}")).unwrap();
    assert_eq!(c.deployments.len(), 1);
    assert_eq!(c.warnings.len(), 1);
    assert_eq!(c.warnings[0].path, "model_list[1]");
    assert!(
        c.warnings[0]
            .message
            .contains("share cooldowns, usage and budgets")
    );
}

#[test]
fn an_entry_without_litellm_params_is_skipped_with_a_warning() {
    let text = "model_list:\n  - model_name: ghost\n  - model_name: a\n    litellm_params: {model: openai/a}\n";
    let c = config(text).unwrap();
    let names: Vec<&str> = c
        .deployments
        .iter()
        .map(|d| d.model_name.as_str())
        .collect();
    assert_eq!(names, ["a"]);
    assert_eq!(c.warnings[0].path, "model_list[0]");
    assert!(c.warnings[0].message.contains("KeyError"));
}

#[test]
fn keys_that_do_not_affect_routing_are_accepted_with_one_warning_each() {
    let text = r#"
model_list:
  - model_name: m
    litellm_params: {model: openai/m, drop_params: true}
litellm_settings:
  success_callback: ["langfuse"]
  num_retries: 7
  require_auth_for_metrics_endpoint: false
router_settings:
  redis_db: 0
general_settings:
  master_key: sk-1234
  database_url: postgres://x
environment_variables: {A: b}
"#;
    let c = config(text).unwrap();
    let warnings: Vec<String> = c.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        warnings,
        [
            "config.yaml: environment_variables: section not used by Switchyard's routing; ignored",
            "config.yaml: model_list[0].litellm_params.drop_params: key not used by Switchyard's routing; ignored",
            "config.yaml: litellm_settings.success_callback: key does not affect routing; accepted and ignored",
            "config.yaml: general_settings.database_url: key does not affect routing; accepted and ignored",
        ]
    );
    assert_eq!(
        c.settings.num_retries, 7,
        "litellm_settings carries num_retries"
    );
    assert_eq!(
        c.settings.redis.db.and_then(|d| d.value).as_deref(),
        Some("0")
    );
    assert_eq!(c.master_key.unwrap().value.as_deref(), Some("sk-1234"));
}

#[test]
fn router_settings_win_over_litellm_settings() {
    let text = r#"
model_list:
  - model_name: m
    litellm_params: {model: openai/m}
litellm_settings:
  num_retries: 7
  request_timeout: 30
  fallbacks: [{m: [n]}]
router_settings:
  num_retries: 1
"#;
    let s = config(text).unwrap().settings;
    assert_eq!(s.num_retries, 1);
    assert_eq!(
        s.timeout,
        Duration::from_secs(30),
        "request_timeout sets the timeout"
    );
    assert_eq!(s.fallbacks, vec![("m".to_string(), vec!["n".to_string()])]);
}

#[test]
fn environment_references_resolve_in_numbers_and_fail_loudly_when_unset() {
    let ok = "model_list:\n  - model_name: m\n    litellm_params: {model: openai/m}\nrouter_settings:\n  num_retries: os.environ/NUM_RETRIES\n";
    assert_eq!(config(ok).unwrap().settings.num_retries, 4);
    let unset = "model_list:\n  - model_name: m\n    litellm_params: {model: openai/m}\nrouter_settings:\n  num_retries: os.environ/NOT_SET\n";
    assert_eq!(
        err(unset),
        "config.yaml: router_settings.num_retries: refers to environment variable NOT_SET, which is not set"
    );
}

#[test]
fn deployment_fields_come_from_params_entry_and_model_info() {
    let text = r#"
model_list:
  - model_name: gpt-4o
    rpm: 600
    litellm_params:
      model: azure/gpt-4o
      weight: 9
      order: 2
      tags: [free, default]
      timeout: 30
      input_cost_per_token: 0.0000025
    model_info:
      id: us-east
      tpm: 90000
      max_input_tokens: 128000
      output_cost_per_token: 0.00001
"#;
    let d = &config(text).unwrap().deployments[0];
    assert_eq!(d.id, "us-east");
    assert_eq!(d.rpm, Some(600), "top-level rpm");
    assert_eq!(d.tpm, Some(90000), "model_info tpm");
    assert_eq!(d.weight, Some(9.0));
    assert_eq!(d.order, Some(2));
    assert_eq!(d.tags, ["free", "default"]);
    assert_eq!(d.timeout, Some(Duration::from_secs(30)));
    assert_eq!(d.max_input_tokens, Some(128_000));
    assert_eq!(d.input_cost_per_token, Some(0.0000025));
    assert_eq!(
        d.output_cost_per_token,
        Some(0.00001),
        "price from model_info"
    );
}

#[test]
fn deployment_ids_match_litellm_generate_model_id() {
    // Values printed by LiteLLM 1.108.7's Router for these entries (OPENAI_API_KEY=sk-test).
    let text = r#"
model_list:
  - model_name: gpt-4o
    litellm_params: {model: gpt-4o, api_key: os.environ/OPENAI_API_KEY}
  - model_name: gpt-4o
    litellm_params: {model: azure/gpt-4o, api_base: "https://x/", weight: 9, tags: [free], rpm: 100}
"#;
    let c = config(text).unwrap();
    assert_eq!(
        c.deployments[0].id,
        "0a32d56dc0d3663b21d435d9f3af10d874f9cfc98001eb49c6a08ba423ae24f4"
    );
    assert_eq!(
        c.deployments[1].id,
        "78b2bbc155f8887ee9bd6244ddd57abe6269e9f7ae433c5d4c5e8a4c80657fd0"
    );
}

#[test]
fn aliases_accept_litellm_s_two_shapes() {
    let text = r#"
model_list:
  - model_name: gpt-4o
    litellm_params: {model: openai/gpt-4o}
router_settings:
  model_group_alias:
    gpt4: gpt-4o
    smart: {model: gpt-4o, hidden: true}
"#;
    let s = config(text).unwrap().settings;
    assert_eq!(s.model_group_alias["gpt4"], "gpt-4o");
    assert_eq!(s.model_group_alias["smart"], "gpt-4o");
}

#[test]
fn switchyard_settings_live_outside_router_settings_and_unknown_keys_are_errors() {
    let base = "model_list:\n  - model_name: m\n    litellm_params: {model: openai/m}\n";
    let c = config(&format!(
        "{base}switchyard_settings:\n  cool_lone_deployments: true\n  cooldown_jitter: 2s\n"
    ))
    .unwrap();
    assert!(c.settings.improvements.cool_lone_deployments);
    assert_eq!(
        c.settings.improvements.cooldown_jitter,
        Some(Duration::from_secs(2))
    );
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(
        err(&format!(
            "{base}switchyard_settings:\n  cool_lone_deployment: true\n"
        )),
        "config.yaml: switchyard_settings.cool_lone_deployment: unknown key `cool_lone_deployment`; did you mean `cool_lone_deployments`?"
    );
    assert!(
        !crate::common::config(base)
            .unwrap()
            .settings
            .improvements
            .skip_final_wait,
        "off by default"
    );
}

#[test]
fn a_budget_period_that_cannot_be_read_is_an_error_naming_its_key() {
    let text = "model_list:\n  - model_name: m\n    litellm_params: {model: openai/m, max_budget: 5, budget_duration: 10 minutes}\n";
    let message = err(text);
    assert!(
        message.starts_with("config.yaml: model_list[0].litellm_params.budget_duration: expected a budget period such as 30s, 10m"),
        "{message}"
    );
    let provider = "model_list:\n  - model_name: m\n    litellm_params: {model: openai/m}\nrouter_settings:\n  provider_budget_config: {openai: {budget_limit: 1, time_period: soon}}\n";
    assert!(
        err(provider).contains(
            "router_settings.provider_budget_config.openai.time_period: expected a budget period"
        ),
        "{}",
        err(provider)
    );
    let ok = config(&text.replace("10 minutes", "10m")).expect("10m is a period");
    assert_eq!(
        ok.deployments[0].budget_duration,
        Some(std::time::Duration::from_secs(600))
    );
}

#[test]
fn a_misspelled_router_settings_key_suggests_the_known_one() {
    let base = "model_list:\n  - model_name: m\n    litellm_params: {model: openai/m}\n";
    let c = config(&format!(
        "{base}router_settings:\n  num_retires: 3\n  cache_responses: true\n"
    ))
    .unwrap();
    let messages: Vec<String> = c.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        messages,
        [
            "config.yaml: router_settings.num_retires: unknown router_settings key `num_retires` (LiteLLM ignores it too); did you mean `num_retries`?",
            "config.yaml: router_settings.cache_responses: key does not affect routing; accepted and ignored",
        ]
    );
    assert_eq!(c.settings.num_retries, 2, "the misspelled key sets nothing");
    let e = err(&format!(
        "{base}router_settings:\n  health_check_interval: 30\n"
    ));
    assert!(e.contains("move it to general_settings"), "{e}");
}

#[test]
fn a_budget_of_zero_is_no_budget_as_in_litellm() {
    let text = "model_list:\n  - model_name: m\n    litellm_params: {model: openai/m, max_budget: 0, budget_duration: 1d}\nrouter_settings:\n  provider_budget_config: {openai: {budget_limit: 0, time_period: 1d}, azure: {budget_limit: 1.5, time_period: 1d}}\nlitellm_settings:\n  tag_budget_config:\n    team-a: {max_budget: 0.0, budget_duration: 1d}\n";
    let c = config(text).unwrap();
    assert_eq!(c.deployments[0].max_budget, None);
    let providers: Vec<&str> = c
        .settings
        .provider_budget_config
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(providers, ["azure"]);
    assert!(c.settings.tag_budget_config.is_empty());
    let zero_warnings = c
        .warnings
        .iter()
        .filter(|w| w.message.starts_with("a budget of 0 is no budget"))
        .count();
    assert_eq!(zero_warnings, 3);
}

#[test]
fn an_auto_router_score_threshold_outside_zero_to_one_is_refused() {
    let text = |t: &str| {
        format!(
            "model_list:\n  - model_name: a\n    litellm_params: {{model: openai/a}}\n  - model_name: auto\n    litellm_params:\n      model: auto_router/auto\n      auto_router_default_model: a\n      auto_router_config: {{routes: [{{name: a, utterances: [hi], score_threshold: {t}}}]}}\n"
        )
    };
    assert!(config(&text("0.5")).is_ok());
    let e = err(&text("1.5"));
    assert!(
        e.starts_with("config.yaml: model_list[1].litellm_params.auto_router_config.routes[0].score_threshold: expected a similarity score between 0 and 1, found 1.5"),
        "{e}"
    );
    assert!(err(&text("-0.1")).contains("below 0 it matches every request"));
}

#[test]
fn weights_that_add_up_past_the_largest_number_are_refused() {
    let entry = |m: &str| {
        format!("  - model_name: g\n    litellm_params: {{model: openai/{m}, weight: 1.0e+308}}\n")
    };
    let e = err(&format!("model_list:\n{}{}", entry("a"), entry("b")));
    assert!(
        e.starts_with("config.yaml: model_list[1].litellm_params.weight: the weights of group \"g\" add up past the largest number"),
        "{e}"
    );
    let c = config(&format!("model_list:\n{}", entry("a"))).unwrap();
    assert_eq!(c.deployments[0].weight, Some(1e308));
}

#[test]
fn validate_and_run_word_a_missing_key_the_same() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "model_list:\n  - litellm_params: {model: openai/m}\n",
    )
    .unwrap();
    let scenario =
        std::fs::read_to_string(crate::common::scenarios_dir().join("mm1.yaml")).unwrap();
    let start = scenario.find("router:").unwrap();
    let end = scenario.find("providers:").unwrap();
    let scenario = format!(
        "{}config: bad.yaml\n\n{}",
        &scenario[..start],
        &scenario[end..]
    );
    std::fs::write(dir.path().join("scenario.yaml"), scenario).unwrap();
    let switchyard = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_switchyard"))
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} should fail");
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
    };
    let message = "bad.yaml: model_list[0]: missing required key `model_name`";
    let out = dir.path().join("out");
    let run = switchyard(&[
        "run",
        "scenario.yaml",
        "--brief",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.contains(&format!("error: {message}")), "{run}");
    for file in ["bad.yaml", "scenario.yaml"] {
        let validate = switchyard(&["validate", file]);
        assert!(
            validate.contains(&format!("error[schema]: {message}")),
            "{validate}"
        );
    }
}

#[test]
fn yaml_1_1_merge_keys_underscores_and_yes_no_read_as_in_litellm() {
    let text = "x-defaults: &defaults\n  rpm: 60\n  tpm: 20_000\nmodel_list:\n  - model_name: m\n    litellm_params:\n      <<: *defaults\n      model: openai/m\nrouter_settings:\n  enable_pre_call_checks: yes\n  disable_cooldowns: off\n";
    let c = config(text).unwrap();
    let d = &c.deployments[0];
    assert_eq!(
        (d.rpm, d.tpm),
        (Some(60), Some(20_000)),
        "the merged limits are read"
    );
    assert!(c.settings.enable_pre_call_checks);
    assert!(!c.settings.disable_cooldowns);
    // Router.generate_model_id of LiteLLM 1.108.7 over PyYAML's dict (merged keys first).
    assert_eq!(
        d.id,
        "2ee743b3ad69d0dd30761c244f9a4ac4e29b94106b5013a896b1cafca6e526b9"
    );
    let merge_warnings = c.warnings.iter().filter(|w| w.path.contains("<<")).count();
    assert_eq!(merge_warnings, 0, "the merge key is not an unused key");
}

#[test]
fn yaml_1_1_strings_that_look_like_numbers_say_so() {
    let base = "model_list:\n  - model_name: m\n    litellm_params: {model: openai/m, rpm: 1e3}\n";
    assert_eq!(
        err(base),
        r#"config.yaml: model_list[0].litellm_params.rpm: expected an integer, found "1e3""#
    );
}

#[test]
fn router_json_numbers_are_json_numbers() {
    let text = "model_list:\n  - model_name: a\n    litellm_params: {model: openai/a}\n  - model_name: auto\n    litellm_params:\n      model: auto_router/auto\n      auto_router_default_model: a\n      auto_router_config: '{\"routes\": [{\"name\": \"a\", \"utterances\": [\"hi\"], \"score_threshold\": 5e-1}]}'\n";
    let c = config(text).unwrap();
    let spec = c.deployments[1]
        .auto_router
        .as_ref()
        .unwrap()
        .spec
        .as_ref()
        .unwrap();
    assert_eq!(spec.routes[0].score_threshold, Some(0.5));
}
