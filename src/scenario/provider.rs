//! Provider profiles as scenario files spell them, and which deployment each one describes.
//!
//! A profile's `match` names deployments by `id` (`model_info.id`), `api_base` or `model_name`.
//! For each deployment the most specific matching profile wins (id, then api_base, then
//! model_name); two equally specific matches, or none, are errors naming the deployment.

use crate::config::yaml::Node;
use crate::config::{DeploymentConfig, InputError};
use crate::sim::{Distribution, ProviderMatch, ProviderProfile};

use super::distribution::{Unit, distribution};

const PROFILE_KEYS: &[&str] = &[
    "name",
    "match",
    "ttft",
    "per_token",
    "concurrency",
    "input_cost_per_token",
    "output_cost_per_token",
];

/// Reads one profile.
pub fn profile(node: &Node<'_>, index: usize) -> Result<ProviderProfile, InputError> {
    node.deny_unknown_keys(PROFILE_KEYS)?;
    let match_node = node.require("match")?;
    match_node.deny_unknown_keys(&["id", "api_base", "model_name"])?;
    let read = |key: &str| -> Result<Option<String>, InputError> {
        match match_node.get(key)? {
            Some(n) => n.string().map(Some),
            None => Ok(None),
        }
    };
    let matches = ProviderMatch {
        id: read("id")?,
        api_base: read("api_base")?,
        model_name: read("model_name")?,
    };
    if matches == ProviderMatch::default() {
        return Err(match_node.error("expected at least one of `id`, `api_base`, `model_name`"));
    }
    let name = match node.get("name")? {
        Some(n) => n.string()?,
        None => matches
            .id
            .clone()
            .or_else(|| matches.api_base.clone())
            .or_else(|| matches.model_name.clone())
            .unwrap_or_else(|| format!("provider-{index}")),
    };
    let ttft = distribution(&node.require("ttft")?, Unit::Time)?;
    let per_token = match node.get("per_token")? {
        Some(n) => distribution(&n, Unit::Time)?,
        None => Distribution::Constant(0.0),
    };
    let concurrency = match node.get("concurrency")? {
        Some(n) => {
            let c = n.u32()?;
            if c == 0 {
                return Err(n.error("expected at least 1 (leave it out for no limit)"));
            }
            Some(c)
        }
        None => None,
    };
    let price = |key: &str| -> Result<Option<f64>, InputError> {
        match node.get(key)? {
            Some(n) => n.non_negative().map(Some),
            None => Ok(None),
        }
    };
    Ok(ProviderProfile {
        name,
        matches,
        ttft,
        per_token,
        concurrency,
        input_cost_per_token: price("input_cost_per_token")?,
        output_cost_per_token: price("output_cost_per_token")?,
    })
}

/// How specifically a profile matches a deployment: 3 by id, 2 by api_base, 1 by model_name,
/// 0 not at all. Every key the profile gives must match.
fn specificity(m: &ProviderMatch, d: &DeploymentConfig) -> u8 {
    let id_ok = m.id.as_ref().is_none_or(|id| *id == d.id);
    let base_ok = m
        .api_base
        .as_ref()
        .is_none_or(|b| d.api_base_text() == Some(b.as_str()));
    let name_ok = m.model_name.as_ref().is_none_or(|n| *n == d.model_name);
    if !(id_ok && base_ok && name_ok) {
        return 0;
    }
    if m.id.is_some() {
        3
    } else if m.api_base.is_some() {
        2
    } else {
        1
    }
}

/// For each deployment, the index of the profile describing it.
pub fn bind(
    providers_node: &Node<'_>,
    profiles: &[ProviderProfile],
    deployments: &[DeploymentConfig],
) -> Result<Vec<usize>, InputError> {
    deployments
        .iter()
        .map(|d| {
            let mut best: Option<(u8, usize)> = None;
            for (i, p) in profiles.iter().enumerate() {
                let s = specificity(&p.matches, d);
                if s == 0 {
                    continue;
                }
                match best {
                    Some((bs, bi)) if bs == s => {
                        return Err(providers_node.error(format!(
                            "deployment {:?} (model_name {:?}) is matched equally by profiles {:?} and {:?}; make one match more specific (id > api_base > model_name)",
                            d.id, d.model_name, profiles[bi].name, p.name
                        )));
                    }
                    Some((bs, _)) if bs > s => {}
                    _ => best = Some((s, i)),
                }
            }
            best.map(|(_, i)| i).ok_or_else(|| {
                providers_node.error(format!(
                    "no provider profile matches deployment {:?} (model_name {:?}, api_base {:?}); add one matching its id, api_base or model_name",
                    d.id,
                    d.model_name,
                    d.api_base_text().unwrap_or("none")
                ))
            })
        })
        .collect()
}
