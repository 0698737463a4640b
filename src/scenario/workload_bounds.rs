//! What a workload may ask of a run, checked before it starts.
//!
//! Bounds, all documented in the README: a run lasts at most [`MAX_DURATION`]; a rate is at most
//! [`MAX_RATE`]; one policy's run simulates at most [`MAX_REQUESTS`] requests (estimated as
//! rate × duration for open-loop arrivals, counted for a script); a closed loop has at most
//! [`MAX_CLIENTS`] clients (and stops sending at [`MAX_REQUESTS`]). A workload that sends
//! nothing is an error, one expected to send less than one request a warning, and so is a run
//! of more than [`WARN_TOTAL_REQUESTS`] requests over all policies. Every model a request names,
//! and every model of its own `fallbacks`, must be one the config serves. It decides these
//! limits and their messages; it must not read files or run anything.

use std::time::Duration;

use crate::config::yaml::Node;
use crate::config::{InputError, LitellmConfig};
use crate::sim::{MAX_REQUESTS, WorkloadSpec};
use crate::time::Time;

use super::Policy;

/// The longest `duration` a scenario may have (400 days: a year of monthly budgets and more).
pub const MAX_DURATION: Duration = Duration::from_secs(400 * 86_400);
/// The highest arrival rate, per second (beyond it, arrivals a nanosecond apart coincide).
pub const MAX_RATE: f64 = 1e6;
/// The most closed-loop clients.
pub const MAX_CLIENTS: u32 = 100_000;
/// Over all policies, the number of simulated requests above which a warning says how long the
/// run will take (about a million requests a second).
pub const WARN_TOTAL_REQUESTS: f64 = 20e6;

/// `rate` as given at `node`, refused above [`MAX_RATE`].
pub fn check_rate(node: &Node<'_>, rate: f64) -> Result<f64, InputError> {
    if rate > MAX_RATE {
        let written = node.value().as_str().unwrap_or_default();
        return Err(node.error(format!(
            "expected a rate of at most {MAX_RATE}/s, found {written}"
        )));
    }
    Ok(rate)
}

/// Checks the workload read from `node` against the scenario's `duration`, its config and its
/// `policies` (whose aliases may name models too).
pub fn check(
    workload: &WorkloadSpec,
    node: &Node<'_>,
    duration: Duration,
    config: &LitellmConfig,
    policies: &[Policy],
) -> Result<(), InputError> {
    if duration > MAX_DURATION {
        return Err(InputError::new(
            node.file(),
            "duration",
            format!(
                "expected a duration of at most {} days, found {:.0} days",
                MAX_DURATION.as_secs() / 86_400,
                duration.as_secs_f64() / 86_400.0
            ),
        ));
    }
    check_models(workload, node, config, policies)?;
    check_cost(workload, node, duration, policies.len())
}

fn check_cost(
    workload: &WorkloadSpec,
    node: &Node<'_>,
    duration: Duration,
    policies: usize,
) -> Result<(), InputError> {
    let Some(expected) = workload.expected_requests(Time::ZERO + duration) else {
        return Ok(());
    };
    let at_rate = || {
        node.get("rate")
            .ok()
            .flatten()
            .unwrap_or_else(|| node.clone())
    };
    if expected == 0.0 {
        return Err(at_rate().error(
            "the workload sends no requests: the rate is 0/s and no rate change raises it before the end",
        ));
    }
    if expected > MAX_REQUESTS as f64 {
        return Err(at_rate().error(format!(
            "rate × duration is about {expected:.0} requests per policy, more than the {MAX_REQUESTS} one run may simulate; lower `workload.rate` or `duration`"
        )));
    }
    if expected < 1.0 {
        at_rate().warn(format!(
            "the workload is expected to send {expected:.2} requests in all (rate × duration); the report may have none"
        ));
    }
    let total = expected * policies as f64;
    if total > WARN_TOTAL_REQUESTS {
        at_rate().warn(format!(
            "this run simulates about {total:.0} requests ({policies} policies × {expected:.0}); expect it to take a while"
        ));
    }
    Ok(())
}

/// Every model a request names, and every model of its `fallbacks`, is one the config serves
/// (under the config's or a policy's `model_group_alias`).
fn check_models(
    workload: &WorkloadSpec,
    node: &Node<'_>,
    config: &LitellmConfig,
    policies: &[Policy],
) -> Result<(), InputError> {
    let served = |model: &str| {
        std::iter::once(&config.settings)
            .chain(policies.iter().map(|p| &p.settings))
            .any(|s| config.table.resolve(model, &s.model_group_alias).is_some())
    };
    let list_key = if workload.script.is_empty() {
        "mix"
    } else {
        "script"
    };
    for (i, class) in workload.mix.iter().enumerate() {
        let at = |key: &str| -> Result<InputError, InputError> {
            let item = &node.require(list_key)?.items()?[i];
            Ok(item.require(key)?.error(""))
        };
        if !served(&class.model) {
            let mut e = at("model")?;
            e.message = format!(
                "no deployment serves model {:?} (model_list has {})",
                class.model,
                group_names(config)
            );
            return Err(e);
        }
        for name in class.fallbacks.iter().flatten() {
            if !served(name) {
                let mut e = at("fallbacks")?;
                e.message = format!(
                    "no deployment serves fallback model {name:?} (model_list has {})",
                    group_names(config)
                );
                return Err(e);
            }
        }
    }
    Ok(())
}

fn group_names(config: &LitellmConfig) -> String {
    let names: Vec<&str> = config
        .table
        .groups()
        .iter()
        .map(|g| g.name.as_str())
        .collect();
    names.join(", ")
}
