//! Provider profiles as scenario files spell them, and which deployment each one describes.
//!
//! A profile's `match` names deployments by `id` (`model_info.id`), `api_base` or `model_name`.
//! For each deployment the most specific matching profile wins (id, then api_base, then
//! model_name); two equally specific matches, or none, are errors naming the deployment. It
//! decides the spelling and the matching; what a provider does with an attempt is the
//! simulator's.

use crate::config::units;
use crate::config::yaml::Node;
use crate::config::{DeploymentConfig, InputError};
use crate::router::ErrorClass;
use crate::sim::{Brownout, Distribution, FaultSpec, Outage, ProviderMatch, ProviderProfile};
use crate::time::Time;

use super::distribution::{Unit, distribution};

const PROFILE_KEYS: &[&str] = &[
    "name",
    "match",
    "ttft",
    "per_token",
    "error_latency",
    "concurrency",
    "errors",
    "rate_limit",
    "outages",
    "brownouts",
    "max_input_tokens",
    "content_policy",
];

fn error_class(node: &Node<'_>) -> Result<ErrorClass, InputError> {
    let name = node.string()?;
    ErrorClass::from_name(&name)
        .filter(|c| !c.is_router_refusal())
        .ok_or_else(|| {
            let names: Vec<&str> = ErrorClass::ALL
                .iter()
                .filter(|c| !c.is_router_refusal())
                .map(|c| c.name())
                .collect();
            node.error(format!(
                "unknown error class {name:?} (expected one of: {})",
                names.join(", ")
            ))
        })
}

fn share(node: &Node<'_>) -> Result<f64, InputError> {
    let x = node.f64()?;
    if !(0.0..=1.0).contains(&x) {
        return Err(node.error(format!("expected a share between 0 and 1, found {x}")));
    }
    Ok(x)
}

fn window(node: &Node<'_>) -> Result<(Time, Time), InputError> {
    let start = Time::ZERO + units::duration(&node.require("start")?)?;
    let end_node = node.require("end")?;
    let end = Time::ZERO + units::duration(&end_node)?;
    if end <= start {
        return Err(end_node.error("expected `end` after `start`"));
    }
    Ok((start, end))
}

/// Reads a profile's fault keys.
fn faults(node: &Node<'_>) -> Result<FaultSpec, InputError> {
    let mut spec = FaultSpec::default();
    if let Some(errors) = node.get("errors")? {
        let mut total = 0.0;
        for (key, rate) in errors.entries()? {
            let class = ErrorClass::from_name(key)
                .filter(|c| !c.is_router_refusal())
                .ok_or_else(|| {
                    rate.error(format!("unknown error class {key:?} (expected one of: rate_limit, timeout, internal_server, bad_gateway, service_unavailable, context_window_exceeded, content_policy_violation, bad_request, authentication, permission_denied, not_found, connection)"))
                })?;
            let r = share(&rate)?;
            total += r;
            spec.error_rates.push((class, r));
        }
        if total > 1.0 + 1e-9 {
            return Err(errors.error(format!("error rates add up to {total}, more than 1")));
        }
    }
    if let Some(limits) = node.get("rate_limit")? {
        limits.deny_unknown_keys(&["rpm", "tpm"])?;
        if let Some(rpm) = limits.get("rpm")? {
            spec.rpm = Some(rpm.u32()?);
        }
        if let Some(tpm) = limits.get("tpm")? {
            spec.tpm = Some(tpm.u64()?);
        }
    }
    if let Some(outages) = node.get("outages")? {
        for o in outages.items()? {
            o.deny_unknown_keys(&["start", "end", "error", "fraction"])?;
            let (start, end) = window(&o)?;
            spec.outages.push(Outage {
                start,
                end,
                class: match o.get("error")? {
                    Some(e) => error_class(&e)?,
                    None => ErrorClass::ServiceUnavailable,
                },
                fraction: match o.get("fraction")? {
                    Some(f) => share(&f)?,
                    None => 1.0,
                },
            });
        }
    }
    if let Some(brownouts) = node.get("brownouts")? {
        for b in brownouts.items()? {
            b.deny_unknown_keys(&["start", "end", "latency_multiplier"])?;
            let (start, end) = window(&b)?;
            let m = b.require("latency_multiplier")?;
            let latency_multiplier = m.f64()?;
            if latency_multiplier <= 0.0 {
                return Err(m.error("expected a positive multiplier"));
            }
            spec.brownouts.push(Brownout {
                start,
                end,
                latency_multiplier,
            });
        }
    }
    if let Some(max) = node.get("max_input_tokens")? {
        spec.max_input_tokens = Some(max.u64()?);
    }
    if let Some(policy) = node.get("content_policy")? {
        for (category, p) in policy.entries()? {
            spec.content_policy.push((category.to_string(), share(&p)?));
        }
    }
    Ok(spec)
}

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
    let error_latency = match node.get("error_latency")? {
        Some(n) => Some(distribution(&n, Unit::Time)?),
        None => None,
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
    Ok(ProviderProfile {
        name,
        matches,
        ttft,
        per_token,
        error_latency,
        concurrency,
        faults: faults(node)?,
    })
}

/// How specifically a profile matches a deployment: 3 by id, 2 by api_base, 1 by model_name,
/// 0 not at all. Every key the profile gives must match.
pub fn specificity(m: &ProviderMatch, d: &DeploymentConfig) -> u8 {
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
