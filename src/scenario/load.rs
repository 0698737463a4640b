//! Reading a scenario file into a checked [`Scenario`].
//!
//! It decides the top-level keys, their defaults, and how the config, the policies and the
//! provider profiles are tied together; each block's details are its own module's. It reads
//! files (the scenario, a `config:` or `prices:` file) but must not start a run.

use std::path::Path;

use crate::config::units;
use crate::config::yaml::{EnvLookup, Source};
use crate::config::{InputError, LitellmConfig};
use crate::router::PriceFile;

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
    "prices",
    "expect",
    "baseline_tolerance",
];

/// Reads and checks the scenario at `path`.
pub fn load_scenario(path: &Path, env: &dyn EnvLookup) -> Result<Scenario, InputError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::new(&file, "", format!("cannot read the file: {e}")))?;
    let base_dir = path.parent().unwrap_or(Path::new("."));
    parse_scenario(&text, &file, base_dir, env)
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
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(name_node.error(format!(
            "expected a name of letters, digits, '-', '_' or '.', found {name:?} (it names the report directory)"
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
            let rel = path_node.string()?;
            let path = base_dir.join(&rel);
            if !path.is_file() {
                return Err(path_node.error(format!(
                    "config file {} does not exist (paths are relative to the scenario file)",
                    path.display()
                )));
            }
            LitellmConfig::load(&path, env)?
        }
        (None, Some(router)) => LitellmConfig::from_node(&router, base_dir)?,
    };

    let price_file = match root.get("prices")? {
        Some(node) => {
            let path = base_dir.join(node.string()?);
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

    let policies = match root.get("policies")? {
        None => vec![Policy {
            name: "default".to_string(),
            settings: config.settings.clone(),
        }],
        Some(node) => {
            let mut policies = Vec::new();
            for (policy_name, overrides) in node.entries()? {
                let settings = if overrides.is_null() {
                    config.settings.clone()
                } else {
                    config.settings_with(&overrides, env)?
                };
                policies.push(Policy {
                    name: policy_name.to_string(),
                    settings,
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
    })
}
