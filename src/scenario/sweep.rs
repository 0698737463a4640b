//! A scenario's settings grid (`sweep:`) and the objectives of its Pareto front
//! (`sweep_objectives:`).
//!
//! `sweep:` maps router settings — any key a `policies:` entry accepts except `instances` — to
//! the values to try; the grid is every combination, first key slowest. Each point is a
//! [`Policy`] whose overrides are that combination layered on the scenario's router settings,
//! checked exactly as a policy's are, and named after its values
//! (`cooldown_time=5,allowed_fails=1`). It decides the grid, the points' names and order, and
//! the objectives; it must not run the points (`switchyard sweep` does) — `run`, `check` and
//! `compare` ignore the block.

use serde_yaml::{Mapping, Value};

use crate::config::yaml::{EnvLookup, Node, Source};
use crate::config::{InputError, LitellmConfig};
use crate::metrics::METRICS;

use super::Policy;

/// The largest grid a scenario may declare: past it a sweep is a cluster's job, and a typo in a
/// list should not start a week of simulation.
pub const MAX_POINTS: usize = 10_000;

/// The Pareto front's metrics when `sweep_objectives:` is absent.
pub const DEFAULT_OBJECTIVES: &[&str] = &["success_rate", "latency_p99_ms", "cost_usd"];

/// One swept setting: its key and the values tried, as written.
#[derive(Debug, Clone)]
pub struct SweptSetting {
    /// The `router_settings` (or Switchyard) key.
    pub key: String,
    /// Each value as the point names show it.
    pub labels: Vec<String>,
}

/// One point of the grid.
#[derive(Debug, Clone)]
pub struct SweepPoint {
    /// The point as a policy (named after its values).
    pub policy: Policy,
    /// The label of each swept setting's value at this point, in the settings' order.
    pub values: Vec<String>,
}

/// A checked `sweep:` block.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// The swept settings, in file order.
    pub settings: Vec<SweptSetting>,
    /// Every point, first setting slowest.
    pub points: Vec<SweepPoint>,
    /// The metrics of the Pareto front (names from [`METRICS`]).
    pub objectives: Vec<String>,
}

/// A value as a point's name shows it: a scalar as written, anything else as compact JSON.
fn label(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => serde_json::to_string(other).unwrap_or_else(|_| format!("{other:?}")),
    }
}

/// `sweep_objectives:` (or the defaults): metric names from [`METRICS`], no repeats.
pub fn objectives(node: Option<&Node<'_>>) -> Result<Vec<String>, InputError> {
    let Some(node) = node else {
        return Ok(DEFAULT_OBJECTIVES.iter().map(|s| s.to_string()).collect());
    };
    let items = node.items()?;
    if items.is_empty() {
        return Err(node.error("expected at least one metric"));
    }
    let mut out: Vec<String> = Vec::new();
    for item in items {
        let name = item.string()?;
        if !METRICS.iter().any(|m| m.name == name) {
            let names: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
            return Err(item.error(format!(
                "expected one of the metrics {}, found {name:?}",
                names.join(", ")
            )));
        }
        if out.contains(&name) {
            return Err(item.error(format!("{name:?} is named twice")));
        }
        out.push(name);
    }
    Ok(out)
}

/// The settings' keys and values, each value checked alone so an error names its index.
fn swept_values<'a>(
    node: &Node<'a>,
    config: &LitellmConfig,
    env: &dyn EnvLookup,
) -> Result<Vec<(String, Vec<Value>)>, InputError> {
    let entries = node.entries()?;
    if entries.is_empty() {
        return Err(node.error("expected at least one setting to sweep"));
    }
    let src = Source::new(node.file(), env);
    let mut out = Vec::new();
    for (key, values) in entries {
        if key == "instances" {
            return Err(values.error(
                "`instances` cannot be swept (sweep router settings; compare fleets as policies)",
            ));
        }
        let items = values.items().map_err(|_| {
            values.error(format!(
                "expected a list of values to try, found {}",
                crate::config::yaml::describe(values.value())
            ))
        })?;
        if items.is_empty() {
            return Err(values.error("expected at least one value to try"));
        }
        for (i, item) in items.iter().enumerate() {
            let mut one = Mapping::new();
            one.insert(Value::String(key.to_string()), item.value().clone());
            let map = Value::Mapping(one);
            config
                .settings_with(&src.node_at(&map, node.path()), env)
                .map_err(|e| at_index(e, node.path(), key, i))?;
        }
        out.push((
            key.to_string(),
            items.iter().map(|n| n.value().clone()).collect(),
        ));
    }
    Ok(out)
}

/// Moves an error found at `path.key…` of a one-value mapping to `path.key[i]…`.
fn at_index(mut e: InputError, path: &str, key: &str, i: usize) -> InputError {
    let prefix = if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    };
    if let Some(rest) = e.path.strip_prefix(&prefix) {
        e.path = format!("{prefix}[{i}]{rest}");
    }
    e
}

/// Every combination of the values, first setting slowest: indexes into each list.
fn combinations(sizes: &[usize]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    for &n in sizes {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                (0..n).map(move |i| {
                    let mut next = prefix.clone();
                    next.push(i);
                    next
                })
            })
            .collect();
    }
    out
}

/// Reads `sweep:` into its grid of points over `config`'s router settings.
pub fn sweep(
    node: &Node<'_>,
    objectives_node: Option<&Node<'_>>,
    config: &LitellmConfig,
    env: &dyn EnvLookup,
) -> Result<Sweep, InputError> {
    let swept = swept_values(node, config, env)?;
    let sizes: Vec<usize> = swept.iter().map(|(_, v)| v.len()).collect();
    let count = sizes
        .iter()
        .try_fold(1usize, |acc, &n| acc.checked_mul(n))
        .unwrap_or(usize::MAX);
    if count > MAX_POINTS {
        return Err(node.error(format!(
            "expected at most {MAX_POINTS} points, found a grid of {} = {count} points \
             (sweep fewer values, or split the grid over several scenarios)",
            sizes
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" × ")
        )));
    }
    let src = Source::new(node.file(), env);
    let mut points = Vec::with_capacity(count);
    for combo in combinations(&sizes) {
        let mut map = Mapping::new();
        let mut values = Vec::new();
        let mut name = Vec::new();
        for ((key, list), &i) in swept.iter().zip(&combo) {
            map.insert(Value::String(key.clone()), list[i].clone());
            values.push(label(&list[i]));
            name.push(format!("{key}={}", label(&list[i])));
        }
        let map = Value::Mapping(map);
        let name = name.join(",");
        let settings = config
            .settings_with(&src.node_at(&map, node.path()), env)
            .map_err(|e| node.error(format!("the point {name} is not a valid policy: {e}")))?;
        points.push(SweepPoint {
            policy: Policy {
                name,
                settings,
                fleet: None,
            },
            values,
        });
    }
    Ok(Sweep {
        settings: swept
            .iter()
            .map(|(key, list)| SweptSetting {
                key: key.clone(),
                labels: list.iter().map(label).collect(),
            })
            .collect(),
        points,
        objectives: objectives(objectives_node)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations_run_the_first_setting_slowest() {
        assert_eq!(
            combinations(&[2, 3]),
            vec![
                vec![0, 0],
                vec![0, 1],
                vec![0, 2],
                vec![1, 0],
                vec![1, 1],
                vec![1, 2]
            ]
        );
        assert_eq!(combinations(&[]), vec![Vec::<usize>::new()]);
    }

    #[test]
    fn an_error_moves_to_the_value_index() {
        let e = InputError::new("s.yaml", "sweep.cooldown_time", "expected a number");
        assert_eq!(
            at_index(e, "sweep", "cooldown_time", 2).path,
            "sweep.cooldown_time[2]"
        );
    }
}
