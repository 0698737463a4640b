//! Which profile answers each of a config's deployments when the log has no answer to reuse.
//!
//! A deployment the log saw gets the profile fitted from its logged attempts (**fitted**); one
//! the log never saw gets the user's profile from a scenario file's `providers:` section,
//! matched as the scenario language matches (id, then api_base, then model_name)
//! (**modelled**); one with neither is an error that names it and says how to give a profile —
//! a replay never invents a deployment's behaviour. `providers:` is read here too. It must not
//! fit or simulate.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::config::DeploymentConfig;
use crate::config::yaml::{EnvLookup, Source};
use crate::replay::fit::FittedProvider;
use crate::sim::ProviderProfile;

/// Where a deployment's profile came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileSource {
    /// Fitted from the log's attempts on it.
    Fitted,
    /// The user's, from `--providers`.
    Modelled,
}

/// The profiles of a replay's world.
#[derive(Debug, Clone)]
pub struct ReplayProfiles {
    /// The profiles, one per deployment in config order.
    pub profiles: Vec<ProviderProfile>,
    /// For each deployment, its profile (the identity: one each).
    pub profile_of: Vec<usize>,
    /// For each deployment, where its profile came from.
    pub sources: Vec<ProfileSource>,
}

/// A profile for each of `deployments`: fitted when a logged deployment matched it
/// (`config_index[logged] == Some(d)`; the best-observed one when several did), else the best
/// match among `user`; an error naming every deployment with neither.
pub fn replay_profiles(
    config_file: &str,
    deployments: &[DeploymentConfig],
    config_index: &[Option<usize>],
    fitted: &[FittedProvider],
    user: &[ProviderProfile],
) -> Result<ReplayProfiles> {
    let mut profiles = Vec::with_capacity(deployments.len());
    let mut sources = Vec::with_capacity(deployments.len());
    let mut missing = Vec::new();
    for (d, config) in deployments.iter().enumerate() {
        let seen = fitted
            .iter()
            .filter(|f| config_index[f.deployment as usize] == Some(d))
            .max_by_key(|f| f.attempts);
        if let Some(f) = seen {
            profiles.push(f.profile.clone());
            sources.push(ProfileSource::Fitted);
        } else if let Some(p) = best_match(user, config) {
            profiles.push(p.clone());
            sources.push(ProfileSource::Modelled);
        } else {
            missing.push(format!(
                "{:?} (model_name {:?}, api_base {:?})",
                config.id,
                config.model_name,
                config.api_base_text().unwrap_or("none")
            ));
        }
    }
    if !missing.is_empty() {
        bail!(
            "{config_file}: the log never saw {} and no profile was given for {}: {}; pass \
             --providers SCENARIO.yaml whose `providers:` section matches each by id, api_base \
             or model_name (a replay never invents how a deployment answers)",
            plural(missing.len()),
            if missing.len() == 1 { "it" } else { "them" },
            missing.join(", ")
        );
    }
    Ok(ReplayProfiles {
        profile_of: (0..profiles.len()).collect(),
        profiles,
        sources,
    })
}

fn plural(n: usize) -> String {
    if n == 1 {
        "1 deployment of the config".to_string()
    } else {
        format!("{n} deployments of the config")
    }
}

/// The profile matching `d` most specifically (id > api_base > model_name; every key a profile
/// gives must match); the first of equals.
fn best_match<'p>(
    user: &'p [ProviderProfile],
    d: &DeploymentConfig,
) -> Option<&'p ProviderProfile> {
    let mut best: Option<(u8, &ProviderProfile)> = None;
    for p in user {
        let s = crate::scenario::provider::specificity(&p.matches, d);
        if s > best.map_or(0, |(b, _)| b) {
            best = Some((s, p));
        }
    }
    best.map(|(_, p)| p)
}

/// The profiles of the `providers:` section of the scenario file at `path` (the rest of the
/// file is not read).
pub fn read_providers(path: &Path, env: &dyn EnvLookup) -> Result<Vec<ProviderProfile>> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {file}"))?;
    let src = Source::new(file.as_str(), env);
    let raw = src.parse(&text)?;
    let root = src.root(&raw);
    let node = root.require("providers")?;
    let profiles = node
        .items()?
        .iter()
        .enumerate()
        .map(|(i, n)| crate::scenario::provider::profile(n, i))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(profiles)
}
