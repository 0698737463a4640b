//! Which of a config's deployments a logged deployment was.
//!
//! A logged deployment is the config's deployment with the same id (`model_info.id`, or
//! LiteLLM's hash of the entry, which LiteLLM logs as `model_id`); failing that, the one with
//! the same `api_base` and the same `litellm_params.model`; failing both, none: its answers
//! cannot be replayed on the candidate. It decides the matching only; it must not fit or
//! simulate.

use crate::config::DeploymentConfig;
use crate::replay::traffic::{RecordedDeployment, RecordedTraffic};

/// For each of the log's deployments (in [`RecordedTraffic::deployments`] order), the index of
/// the config deployment it matches, if any.
pub fn match_deployments(
    traffic: &RecordedTraffic,
    deployments: &[DeploymentConfig],
) -> Vec<Option<usize>> {
    traffic
        .deployments
        .iter()
        .map(|r| match_one(r, deployments))
        .collect()
}

fn match_one(recorded: &RecordedDeployment, deployments: &[DeploymentConfig]) -> Option<usize> {
    if let Some(id) = &recorded.id
        && let Some(i) = deployments.iter().position(|d| d.id == *id)
    {
        return Some(i);
    }
    let (Some(base), Some(model)) = (&recorded.api_base, &recorded.model) else {
        return None;
    };
    deployments
        .iter()
        .position(|d| d.api_base_text().is_some_and(|b| same_base(b, base)) && d.model == *model)
}

/// Two `api_base`s name the same endpoint: equal but for a trailing slash.
fn same_base(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}
