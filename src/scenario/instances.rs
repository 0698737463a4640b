//! The `instances:` block: several gateway instances behind a load balancer, syncing through a
//! shared store (LiteLLM's Redis), at the scenario's level or a policy's.
//!
//! ```yaml
//! instances:
//!   count: 3
//!   spread: {weighted: [4, 3, 3]}   # or round_robin, random
//!   sync_interval: 1s               # LiteLLM's DEFAULT_REDIS_SYNC_INTERVAL when left out
//!   read_latency: 1ms
//!   write_latency: 1ms
//!   store_unreachable: {from: 60s, until: 90s}
//! ```
//!
//! A policy's block is layered key by key over the scenario's, so a comparison can vary one
//! setting (the sync interval, say). Whether the instances share anything is the config's
//! Redis settings' business, not this block's. It decides the spelling and checks every value;
//! it must not run anything.

use std::time::Duration;

use crate::config::InputError;
use crate::config::units;
use crate::config::yaml::Node;
use crate::sim::{FleetSpec, Spread};
use crate::time::Time;

const INSTANCES_KEYS: &[&str] = &[
    "count",
    "spread",
    "sync_interval",
    "read_latency",
    "write_latency",
    "store_unreachable",
];

/// The most instances a scenario may simulate: each is a whole router.
pub const MAX_INSTANCES: u64 = 1000;
/// The shortest sync interval (below it a sync would not finish before the next).
pub const MIN_SYNC_INTERVAL: Duration = Duration::from_millis(1);
/// The longest store latency.
pub const MAX_STORE_LATENCY: Duration = Duration::from_secs(3600);
/// The most syncs one policy's run may make (instances × duration ÷ interval).
pub const MAX_SYNCS: f64 = 20e6;

/// Checks that `spec` (read at `node`) syncs at most [`MAX_SYNCS`] times over `duration`.
pub fn check_sync_volume(
    spec: &FleetSpec,
    node: &Node<'_>,
    duration: Duration,
) -> Result<(), InputError> {
    let syncs = f64::from(spec.count) * duration.as_secs_f64() / spec.sync_interval.as_secs_f64();
    if syncs > MAX_SYNCS {
        return Err(node.error(format!(
            "{} instances syncing every {} s for {} s would sync {syncs:.0} times, more than \
             {MAX_SYNCS:.0}: lengthen `sync_interval` or lower `count`",
            spec.count,
            spec.sync_interval.as_secs_f64(),
            duration.as_secs_f64()
        )));
    }
    Ok(())
}

/// Reads an `instances:` block over `base` (the scenario's block, for a policy's); without a
/// base, `count` is required.
pub fn instances(node: &Node<'_>, base: Option<&FleetSpec>) -> Result<FleetSpec, InputError> {
    node.deny_unknown_keys(INSTANCES_KEYS)?;
    let mut spec = match (base, node.get("count")?) {
        (_, Some(count)) => FleetSpec {
            count: count_of(&count)?,
            ..base.cloned().unwrap_or_else(FleetSpec::single)
        },
        (Some(base), None) => base.clone(),
        (None, None) => {
            return Err(node.error("missing `count`: how many gateway instances (e.g. `count: 3`)"));
        }
    };
    if let Some(n) = node.get("spread")? {
        spec.spread = spread(&n)?;
    }
    if let Some(n) = node.get("sync_interval")? {
        spec.sync_interval = units::duration(&n)?;
        if spec.sync_interval < MIN_SYNC_INTERVAL {
            return Err(n.error("expected a sync interval of at least 1ms (e.g. `100ms`)"));
        }
    }
    if let Some(n) = node.get("read_latency")? {
        spec.read_latency = latency(&n)?;
    }
    if let Some(n) = node.get("write_latency")? {
        spec.write_latency = latency(&n)?;
    }
    if let Some(n) = node.get("store_unreachable")? {
        spec.store_unreachable = Some(window(&n)?);
    }
    if let Spread::Weighted(w) = &spec.spread
        && w.len() != spec.count as usize
    {
        return Err(node.error(format!(
            "`spread: weighted` has {} weights for {} instances: give one weight per instance",
            w.len(),
            spec.count
        )));
    }
    Ok(spec)
}

fn latency(node: &Node<'_>) -> Result<Duration, InputError> {
    let d = units::duration(node)?;
    if d > MAX_STORE_LATENCY {
        return Err(node.error(format!(
            "expected a store latency of at most 1h, found {} s",
            d.as_secs_f64()
        )));
    }
    Ok(d)
}

fn count_of(node: &Node<'_>) -> Result<u32, InputError> {
    let n = node.u64()?;
    if n == 0 || n > MAX_INSTANCES {
        return Err(node.error(format!(
            "expected a count of instances from 1 to {MAX_INSTANCES}, found {n}"
        )));
    }
    Ok(n as u32)
}

const SPREAD_HINT: &str = "`round_robin`, `random` or `{weighted: [w1, w2, …]}`";

fn spread(node: &Node<'_>) -> Result<Spread, InputError> {
    if let Some(name) = node.value().as_str() {
        return match name {
            "round_robin" => Ok(Spread::RoundRobin),
            "random" => Ok(Spread::Random),
            _ => Err(node.error(format!("unknown spread {name:?} (expected {SPREAD_HINT})"))),
        };
    }
    if !node.value().is_mapping() {
        return Err(node.expected(SPREAD_HINT));
    }
    node.deny_unknown_keys(&["weighted"])?;
    let list = node.require("weighted")?;
    let mut weights = Vec::new();
    for item in list.items()? {
        let w = item.non_negative()?;
        if !w.is_finite() {
            return Err(item.error(format!("expected a finite weight, found {w}")));
        }
        weights.push(w);
    }
    if weights.iter().sum::<f64>() <= 0.0 {
        return Err(list.error("expected weights with a positive sum"));
    }
    Ok(Spread::Weighted(weights))
}

fn window(node: &Node<'_>) -> Result<(Time, Time), InputError> {
    node.deny_unknown_keys(&["from", "until"])?;
    let from = units::duration(&node.require("from")?)?;
    let until_node = node.require("until")?;
    let until: Duration = units::duration(&until_node)?;
    if until <= from {
        return Err(until_node.error(format!(
            "expected `until` after `from` ({}s), found {}s",
            from.as_secs_f64(),
            until.as_secs_f64()
        )));
    }
    Ok((Time::ZERO + from, Time::ZERO + until))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml::Source;
    use std::collections::BTreeMap;

    fn parse(text: &str, base: Option<&FleetSpec>) -> Result<FleetSpec, InputError> {
        let env = BTreeMap::new();
        let src = Source::new("s.yaml", &env);
        let raw = src.parse(text)?;
        let root = src.root(&raw);
        instances(&root.require("instances")?, base)
    }

    #[test]
    fn a_block_with_defaults_and_a_policy_layered_over_it() {
        let spec = parse("instances: {count: 3, spread: {weighted: [4, 3, 3]}}", None).unwrap();
        assert_eq!(spec.sync_interval, Duration::from_secs(1));
        assert_eq!(spec.spread, Spread::Weighted(vec![4.0, 3.0, 3.0]));
        let policy = parse("instances: {sync_interval: 100ms}", Some(&spec)).unwrap();
        assert_eq!(policy.count, 3);
        assert_eq!(policy.sync_interval, Duration::from_millis(100));
    }

    #[test]
    fn bad_values_name_the_key_and_what_was_expected() {
        let cases = [
            ("instances: {count: 0}", "instances.count", "from 1 to"),
            (
                "instances: {spread: random}",
                "instances",
                "missing `count`",
            ),
            (
                "instances: {count: 2, spread: fair}",
                "instances.spread",
                "round_robin",
            ),
            (
                "instances: {count: 2, spread: {weighted: [1]}}",
                "instances",
                "one weight per instance",
            ),
            (
                "instances: {count: 2, sync_interval: 0s}",
                "instances.sync_interval",
                "at least",
            ),
            (
                "instances: {count: 2, read_latency: 2h}",
                "instances.read_latency",
                "at most 1h",
            ),
            (
                "instances: {count: 2, store_unreachable: {from: 9s, until: 3s}}",
                "instances.store_unreachable.until",
                "after",
            ),
            ("instances: {count: 2, sync: 1s}", "instances", "sync"),
        ];
        for (text, path, words) in cases {
            let e = parse(text, None).unwrap_err().to_string();
            assert!(e.contains(path) && e.contains(words), "{text}: {e}");
        }
    }
}
