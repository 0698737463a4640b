//! Reading a scenario file into a checked [`Scenario`].
//!
//! It decides the top-level keys, their defaults, and how the config, the policies and the
//! provider profiles are tied together; each block's details are its own module's. It reads
//! files (the scenario, a `config:` or `prices:` file) but must not start a run.

use std::path::Path;

use crate::config::units;
use crate::config::yaml::{EnvLookup, Source};
use crate::config::{InputError, LitellmConfig, RouterSettings};
use crate::router::PriceFile;
use crate::sim::FleetSpec;

use super::instances::{check_sync_volume, instances};
use super::provider::{bind, profile};
use super::workload::workload;
use super::{Policy, Scenario};

const SCENARIO_KEYS: &[&str] = &[
    "name",
    "description",
    "duration",
    "seed",
    "config",
    "router",
    "providers",
    "workload",
    "policies",
    "instances",
    "prices",
    "expect",
    "baseline_tolerance",
    "sweep",
    "sweep_objectives",
];

/// Top-level keys of a LiteLLM proxy config file (LiteLLM 1.108.7 reads these in
/// `proxy/proxy_server.py`). `policies` is one of them (its guardrail policy engine) as well
/// as a scenario's, so it tells nothing.
const LITELLM_KEYS: &[&str] = &[
    "model_list",
    "router_settings",
    "litellm_settings",
    "general_settings",
    "environment_variables",
    "guardrails",
    "credential_list",
    "callback_settings",
    "mcp_servers",
    "mcp_tools",
    "pass_through_endpoints",
    "finetune_settings",
    "files_settings",
    "assistant_settings",
    "agents",
    "agent_list",
    "policies",
    "policy_attachments",
    "prompts",
    "search_tools",
    "vector_store_registry",
];

/// The longest scenario name: it names a directory and a baseline file, with room to spare
/// under the usual 255-byte limit of a path component.
pub const MAX_NAME_LEN: usize = 100;

/// Whether a parsed file is a scenario rather than a LiteLLM config: it has a key only a
/// scenario has, or none of a config's (so an empty file reads as an incomplete scenario).
pub fn looks_like_scenario(value: &serde_yaml::Value) -> bool {
    let present = |k: &&str| value.get(*k).is_some();
    let scenario_only = SCENARIO_KEYS
        .iter()
        .filter(|k| !LITELLM_KEYS.contains(k))
        .any(present);
    scenario_only || !LITELLM_KEYS.iter().any(present)
}

/// Reads and checks the scenario at `path`.
pub fn load_scenario(path: &Path, env: &dyn EnvLookup) -> Result<Scenario, InputError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::new(&file, "", format!("cannot read the file: {e}")))?;
    let base_dir = path.parent().unwrap_or(Path::new("."));
    parse_scenario(&text, &file, base_dir, env)
}

/// Why `name` cannot name a report directory, if it cannot.
fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("it is empty")
    } else if name.len() > MAX_NAME_LEN {
        Some("it is too long")
    } else if name.starts_with('.') {
        Some("a leading '.' would name a hidden or parent directory")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        Some("it has other characters")
    } else {
        None
    }
}

/// The file a key names (`config:`, `prices:`), relative to the scenario's directory: an error
/// at the key when it is empty, missing or a directory; `what` says what it should be.
fn referenced_file(
    node: &crate::config::yaml::Node<'_>,
    base_dir: &Path,
    what: &str,
) -> Result<std::path::PathBuf, InputError> {
    let rel = node.string()?;
    if rel.trim().is_empty() {
        return Err(node.error(format!(
            "expected the path of {what}, found an empty string"
        )));
    }
    let path = base_dir.join(&rel);
    if path.is_dir() {
        return Err(node.error(format!(
            "expected {what}, found the directory {}",
            path.display()
        )));
    }
    if !path.is_file() {
        return Err(node.error(format!(
            "expected {what}: {} does not exist (paths are relative to the scenario file)",
            path.display()
        )));
    }
    Ok(path)
}

/// A policy's settings (its `router_settings` overrides) and its gateway instances (its own
/// `instances:` layered over the scenario's `fleet`).
fn policy_overrides(
    src: &Source<'_>,
    config: &LitellmConfig,
    overrides: &crate::config::yaml::Node<'_>,
    fleet: Option<&FleetSpec>,
    duration: std::time::Duration,
    env: &dyn EnvLookup,
) -> Result<(RouterSettings, Option<FleetSpec>), InputError> {
    let Some(block) = overrides.get("instances")? else {
        return Ok((config.settings_with(overrides, env)?, fleet.cloned()));
    };
    let policy_fleet = instances(&block, fleet)?;
    check_sync_volume(&policy_fleet, &block, duration)?;
    let mut rest = overrides.value().clone();
    if let Some(map) = rest.as_mapping_mut() {
        map.remove("instances");
    }
    let node = src.node_at(&rest, overrides.path());
    Ok((config.settings_with(&node, env)?, Some(policy_fleet)))
}

/// Checks scenario `text`; `file` names it in messages and `base_dir` anchors `config:` paths.
pub fn parse_scenario(
    text: &str,
    file: &str,
    base_dir: &Path,
    env: &dyn EnvLookup,
) -> Result<Scenario, InputError> {
    let src = Source::new(file, env);
    let raw = src.parse(text)?;
    let root = src.root(&raw);
    root.deny_unknown_keys(SCENARIO_KEYS)?;

    let name_node = root.require("name")?;
    let name = name_node.string()?;
    if let Some(problem) = name_problem(&name) {
        return Err(name_node.error(format!(
            "expected a name of letters, digits, '-', '_' or '.' that does not start with '.' \
             and is at most {MAX_NAME_LEN} characters long, found {name:?}: {problem} \
             (it names the report directory)"
        )));
    }
    let description = match root.get("description")? {
        Some(n) => n.string()?,
        None => String::new(),
    };
    let duration_node = root.require("duration")?;
    let duration = units::duration(&duration_node)?;
    if duration.is_zero() {
        return Err(duration_node.error("expected a duration longer than zero"));
    }
    let seed = match root.get("seed")? {
        Some(n) => n.u64()?,
        None => 1,
    };

    let mut config = match (root.get("config")?, root.get("router")?) {
        (Some(_), Some(router)) => {
            return Err(
                router.error("give either `config` (a path) or `router` (inline), not both")
            );
        }
        (None, None) => {
            return Err(root.error(
                "missing the router config: add `config: path/to/litellm.yaml` or an inline `router:` block",
            ));
        }
        (Some(path_node), None) => {
            let path = referenced_file(&path_node, base_dir, "a LiteLLM config file")?;
            LitellmConfig::load(&path, env)?
        }
        (None, Some(router)) => LitellmConfig::from_node(&router, base_dir)?,
    };

    let price_file = match root.get("prices")? {
        Some(node) => {
            let path = referenced_file(&node, base_dir, "a price file (LiteLLM's JSON format)")?;
            Some(PriceFile::load(&path)?)
        }
        None => None,
    };

    let providers_node = root.require("providers")?;
    let profiles = providers_node
        .items()?
        .iter()
        .enumerate()
        .map(|(i, n)| profile(n, i))
        .collect::<Result<Vec<_>, _>>()?;
    let profile_of = bind(&providers_node, &profiles, &config.deployments)?;

    let workload_node = root.require("workload")?;
    let workload = workload(&workload_node, base_dir, duration)?;

    let fleet = match root.get("instances")? {
        Some(node) => {
            let spec = instances(&node, None)?;
            check_sync_volume(&spec, &node, duration)?;
            Some(spec)
        }
        None => None,
    };
    let policies = match root.get("policies")? {
        None => vec![Policy {
            name: "default".to_string(),
            settings: config.settings.clone(),
            fleet: fleet.clone(),
        }],
        Some(node) => {
            let mut policies = Vec::new();
            for (policy_name, overrides) in node.entries()? {
                let (settings, policy_fleet) = if overrides.is_null() {
                    (config.settings.clone(), fleet.clone())
                } else {
                    policy_overrides(&src, &config, &overrides, fleet.as_ref(), duration, env)?
                };
                policies.push(Policy {
                    name: policy_name.to_string(),
                    settings,
                    fleet: policy_fleet,
                });
            }
            if policies.is_empty() {
                return Err(node.error("expected at least one policy (or leave `policies` out)"));
            }
            policies
        }
    };

    super::workload_bounds::check(&workload, &workload_node, duration, &config, &policies)?;
    let names: Vec<String> = policies.iter().map(|p| p.name.clone()).collect();
    let expect = match root.get("expect")? {
        Some(node) => super::Expectations::parse(&node, &names)?,
        None => Default::default(),
    };
    let mut baseline_tolerance = std::collections::BTreeMap::new();
    if let Some(node) = root.get("baseline_tolerance")? {
        for (metric, tol) in node.entries()? {
            tol.deny_unknown_keys(&["absolute", "relative"])?;
            let get = |k: &str| -> Result<f64, InputError> {
                match tol.get(k)? {
                    Some(n) => n.non_negative(),
                    None => Ok(0.0),
                }
            };
            baseline_tolerance.insert(metric.to_string(), (get("absolute")?, get("relative")?));
        }
    }
    let sweep = sweep_block(&root, &config, fleet.as_ref(), env)?;
    let mut warnings = std::mem::take(&mut config.warnings);
    warnings.extend(src.take_warnings());
    Ok(Scenario {
        file: file.to_string(),
        name,
        description,
        duration,
        seed,
        config,
        profiles,
        profile_of,
        workload,
        policies,
        price_file,
        expect,
        baseline_tolerance,
        warnings,
        sweep,
    })
}

/// `sweep:` and `sweep_objectives:`, the points running on the scenario's gateway instances.
fn sweep_block(
    root: &crate::config::yaml::Node<'_>,
    config: &LitellmConfig,
    fleet: Option<&FleetSpec>,
    env: &dyn EnvLookup,
) -> Result<Option<super::sweep::Sweep>, InputError> {
    let objectives = root.get("sweep_objectives")?;
    let Some(node) = root.get("sweep")? else {
        return match objectives {
            Some(o) => Err(o.error("`sweep_objectives` needs a `sweep:` block to rank")),
            None => Ok(None),
        };
    };
    let mut sweep = super::sweep::sweep(&node, objectives.as_ref(), config, env)?;
    for point in &mut sweep.points {
        point.policy.fleet = fleet.cloned();
    }
    Ok(Some(sweep))
}
