//! The `workload` block of a scenario: where requests come from and what they ask for.
//!
//! Three shapes: open-loop arrivals at a `rate` (with `rate_changes`, `arrivals: poisson` or
//! `constant`) drawn from a `mix`; closed-loop clients (`arrivals: {closed: {clients, think}}`)
//! drawing from a `mix`; or a `script` of requests at given instants. It decides how the block
//! is spelled and checked, and builds the simulator's [`WorkloadSpec`]; what a run may cost and
//! whether its models exist is [`super::workload_bounds`]'s, generating arrivals the
//! simulator's.

use std::path::Path;
use std::time::Duration;

use crate::config::InputError;
use crate::config::units;
use crate::config::yaml::Node;
use crate::sim::{ArrivalProcess, ClosedLoop, RateChange, RequestClass, WorkloadSpec};
use crate::time::Time;

use super::distribution::{Unit, distribution};
use super::request_class::{REQUEST_KEYS, Tokens, request_class};
use super::script::script;
use super::workload_bounds::{MAX_CLIENTS, check_rate};

const WORKLOAD_KEYS: &[&str] = &["arrivals", "rate", "rate_changes", "mix", "script"];

/// How open or closed arrivals are spelled under `arrivals:`.
enum Arrivals {
    Open(ArrivalProcess),
    Closed(ClosedLoop),
}

fn arrivals(node: &Node<'_>) -> Result<Arrivals, InputError> {
    let Some(n) = node.get("arrivals")? else {
        return Ok(Arrivals::Open(ArrivalProcess::Poisson));
    };
    if n.value().is_mapping() {
        n.deny_unknown_keys(&["closed"])?;
        return closed(&n.require("closed")?).map(Arrivals::Closed);
    }
    match n.value().as_str() {
        Some("poisson") => Ok(Arrivals::Open(ArrivalProcess::Poisson)),
        Some("constant") => Ok(Arrivals::Open(ArrivalProcess::Constant)),
        _ => Err(n.expected("`poisson`, `constant` or {closed: {clients: N, think: 0s}}")),
    }
}

/// `closed: {clients, think}`: `think` is a duration or a distribution of durations (0s when
/// left out).
fn closed(node: &Node<'_>) -> Result<ClosedLoop, InputError> {
    node.deny_unknown_keys(&["clients", "think"])?;
    let clients_node = node.require("clients")?;
    let clients = clients_node.u32()?;
    if clients == 0 || clients > MAX_CLIENTS {
        return Err(clients_node.error(format!(
            "expected between 1 and {MAX_CLIENTS} clients, found {clients}"
        )));
    }
    let think = match node.get("think")? {
        Some(t) => distribution(&t, Unit::Time)?,
        None => crate::sim::Distribution::constant(0.0).map_err(|e| node.error(e))?,
    };
    Ok(ClosedLoop { clients, think })
}

fn rate_changes(node: &Node<'_>) -> Result<Vec<RateChange>, InputError> {
    let mut rate_changes: Vec<RateChange> = Vec::new();
    if let Some(changes) = node.get("rate_changes")? {
        for change in changes.items()? {
            change.deny_unknown_keys(&["at", "rate"])?;
            let at = Time::ZERO + units::duration(&change.require("at")?)?;
            if rate_changes.last().is_some_and(|prev| prev.at >= at) {
                return Err(change.error("rate changes must be in increasing order of `at`"));
            }
            let rate_node = change.require("rate")?;
            rate_changes.push(RateChange {
                at,
                rate: check_rate(&rate_node, units::rate(&rate_node)?)?,
            });
        }
    }
    Ok(rate_changes)
}

fn mix(mix_node: &Node<'_>, base_dir: &Path) -> Result<Vec<RequestClass>, InputError> {
    let mut keys = vec!["name", "weight"];
    keys.extend_from_slice(REQUEST_KEYS);
    let mut mix = Vec::new();
    for (i, class) in mix_node.items()?.iter().enumerate() {
        class.deny_unknown_keys(&keys)?;
        let weight = match class.get("weight")? {
            Some(w) => w.non_negative()?,
            None => 1.0,
        };
        let name = class.get("name")?.map(|n| n.string()).transpose()?;
        mix.push(request_class(
            class,
            name,
            weight,
            i,
            Tokens::Required,
            base_dir,
        )?);
    }
    if mix.is_empty() {
        return Err(mix_node.error("expected at least one request class"));
    }
    if mix.iter().all(|c| c.weight == 0.0) {
        return Err(mix_node.error("expected at least one request class with a positive weight"));
    }
    Ok(mix)
}

/// Refuses `keys` of `node` that `instead` replaces.
fn refuse_keys(node: &Node<'_>, keys: &[&str], instead: &str) -> Result<(), InputError> {
    for key in keys {
        if let Some(n) = node.get(key)? {
            return Err(n.error(format!(
                "`{key}` cannot be given with {instead}; remove one of them"
            )));
        }
    }
    Ok(())
}

/// Reads the workload block; `base_dir` anchors `prompts_file` paths and `duration` is the
/// scenario's (scripted requests must arrive within it).
pub fn workload(
    node: &Node<'_>,
    base_dir: &Path,
    duration: Duration,
) -> Result<WorkloadSpec, InputError> {
    node.deny_unknown_keys(WORKLOAD_KEYS)?;
    if let Some(script_node) = node.get("script")? {
        refuse_keys(
            node,
            &["rate", "rate_changes", "arrivals", "mix"],
            "`script` (a script lists every request itself)",
        )?;
        let (mix, script) = script(&script_node, base_dir, duration)?;
        return Ok(WorkloadSpec {
            process: ArrivalProcess::Constant,
            rate: 0.0,
            rate_changes: Vec::new(),
            mix,
            closed: None,
            script,
            recorded: None,
        });
    }
    let process = arrivals(node)?;
    let mix = mix(&node.require("mix")?, base_dir)?;
    match process {
        Arrivals::Closed(closed) => {
            refuse_keys(
                node,
                &["rate", "rate_changes"],
                "closed-loop clients (they send as fast as their requests end)",
            )?;
            Ok(WorkloadSpec {
                process: ArrivalProcess::Poisson,
                rate: 0.0,
                rate_changes: Vec::new(),
                mix,
                closed: Some(closed),
                script: Vec::new(),
                recorded: None,
            })
        }
        Arrivals::Open(process) => {
            let rate_node = node.require("rate")?;
            Ok(WorkloadSpec {
                process,
                rate: check_rate(&rate_node, units::rate(&rate_node)?)?,
                rate_changes: rate_changes(node)?,
                mix,
                closed: None,
                script: Vec::new(),
                recorded: None,
            })
        }
    }
}
