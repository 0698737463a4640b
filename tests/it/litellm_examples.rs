//! The 27 example configs shipped in the litellm 1.108.7 wheel: each loads with at most
//! warnings, and Switchyard reads as many deployments as LiteLLM (PyYAML's `safe_load`, then
//! `Router.set_model_list`) makes of it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use switchyard::config::LitellmConfig;
use switchyard::config::lint::{Severity, lint};

/// (file, `model_list` entries as PyYAML reads them, deployments LiteLLM's router holds under
/// distinct ids). Counted with LiteLLM 1.108.7: entries without `litellm_params` are none of its
/// deployments (it cannot start with them), identical entries share one id.
const EXAMPLES: &[(&str, usize, usize)] = &[
    ("example_config_yaml/_health_check_test_config.yaml", 1, 1),
    ("example_config_yaml/adaptive_router_example.yaml", 3, 3),
    ("example_config_yaml/agentcore_websearch_config.yaml", 1, 1),
    ("example_config_yaml/aliases_config.yaml", 3, 3),
    ("example_config_yaml/azure_config.yaml", 2, 2),
    (
        "example_config_yaml/bing_grounding_websearch_config.yaml",
        1,
        1,
    ),
    (
        "example_config_yaml/code_interpreter_interception_config.yaml",
        1,
        1,
    ),
    ("example_config_yaml/disable_schema_update.yaml", 2, 2),
    ("example_config_yaml/enterprise_config.yaml", 1, 1),
    ("example_config_yaml/langfuse_config.yaml", 1, 0),
    ("example_config_yaml/load_balancer.yaml", 4, 4),
    (
        "example_config_yaml/multi_instance_simple_config.yaml",
        1,
        1,
    ),
    ("example_config_yaml/oai_misc_config.yaml", 5, 5),
    ("example_config_yaml/opentelemetry_config.yaml", 1, 1),
    ("example_config_yaml/otel_test_config.yaml", 7, 7),
    ("example_config_yaml/pass_through_config.yaml", 7, 6),
    (
        "example_config_yaml/reject_clientside_metadata_tags_config.yaml",
        1,
        1,
    ),
    ("example_config_yaml/simple_config.yaml", 1, 1),
    ("example_config_yaml/spend_tracking_config.yaml", 1, 1),
    ("example_config_yaml/store_model_db_config.yaml", 1, 1),
    ("example_config_yaml/test_pipeline_config.yaml", 2, 2),
    ("example_config_yaml/tool_permission_example.yaml", 1, 1),
    (
        "example_config_yaml/websearch_interception_config.yaml",
        1,
        1,
    ),
    ("proxy/dev_config.yaml", 40, 40),
    ("proxy/model_config.yaml", 2, 2),
    ("proxy/proxy_config.yaml", 7, 7),
    ("proxy/wildcard_config.yaml", 7, 7),
];

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/litellm-1.108.7-examples")
}

fn load(name: &str) -> LitellmConfig {
    let env: BTreeMap<String, String> = BTreeMap::new();
    LitellmConfig::load(&examples_dir().join(name), &env)
        .unwrap_or_else(|e| panic!("{name} should load: {e}"))
}

#[test]
fn every_shipped_example_loads_with_at_most_warnings() {
    let mut files: Vec<String> = Vec::new();
    for sub in ["proxy", "example_config_yaml"] {
        for entry in std::fs::read_dir(examples_dir().join(sub)).unwrap() {
            files.push(format!(
                "{sub}/{}",
                entry.unwrap().file_name().to_string_lossy()
            ));
        }
    }
    files.sort();
    let mut listed: Vec<String> = EXAMPLES.iter().map(|(f, _, _)| f.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed, "the table names every copied example");

    for (name, entries, deployments) in EXAMPLES {
        let config = load(name);
        let errors: Vec<String> = lint(&config, &config.warnings)
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.message)
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        assert_eq!(config.deployments.len(), *deployments, "{name}");
        let skipped = entries - deployments;
        let remarks = config
            .warnings
            .iter()
            .filter(|w| {
                w.message.contains("without `litellm_params`")
                    || w.message
                        .contains("the same deployment as an earlier entry")
            })
            .count();
        assert_eq!(
            remarks, skipped,
            "{name}: each entry not read is warned about"
        );
    }
}

#[test]
fn underscored_integers_are_yaml_1_1_integers() {
    let config = load("example_config_yaml/azure_config.yaml");
    let tpms: Vec<Option<u64>> = config.deployments.iter().map(|d| d.tpm).collect();
    assert_eq!(tpms, [Some(20_000), Some(100_000)]);
}

#[test]
fn a_duplicate_entry_keeps_litellms_id() {
    let config = load("example_config_yaml/pass_through_config.yaml");
    // Router.generate_model_id for the first entry, computed by LiteLLM 1.108.7.
    assert_eq!(
        config.deployments[0].id,
        "112f74fab24a7a5245d2ced3536dd8f5f9192c57ee6e332af0f0512e08bed5af"
    );
    let sonnet = config
        .deployments
        .iter()
        .filter(|d| d.model_name == "claude-sonnet-4-5-20250929")
        .count();
    assert_eq!(sonnet, 1, "two identical entries are one deployment");
}

#[test]
fn the_adaptive_router_is_an_ordinary_deployment_with_a_warning() {
    let config = load("example_config_yaml/adaptive_router_example.yaml");
    assert!(config.deployments.iter().all(|d| d.auto_router.is_none()));
    assert!(
        config
            .warnings
            .iter()
            .any(|w| w.path == "model_list[0].litellm_params.model"
                && w.message.contains("adaptive router")),
        "{:?}",
        config.warnings
    );
}
