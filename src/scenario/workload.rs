//! The `workload` block of a scenario: arrival process, rate and its changes, request mix.
//!
//! It decides how the block is spelled and checked, and builds the simulator's
//! [`WorkloadSpec`]; generating arrivals is the simulator's.

use std::path::Path;
use std::sync::Arc;

use crate::config::InputError;
use crate::config::units;
use crate::config::yaml::Node;
use crate::sim::{ArrivalProcess, RateChange, RequestClass, WorkloadSpec};
use crate::time::Time;

use super::distribution::{Unit, distribution};

const WORKLOAD_KEYS: &[&str] = &["arrivals", "rate", "rate_changes", "mix"];
const CLASS_KEYS: &[&str] = &[
    "name",
    "weight",
    "model",
    "input_tokens",
    "output_tokens",
    "tags",
    "stream",
    "category",
    "num_retries",
    "fallbacks",
    "disable_fallbacks",
    "timeout",
    "prompts",
    "prompts_file",
];

/// A class's prompts: a `prompts:` list, or `prompts_file:` (one prompt per non-empty line,
/// relative to the scenario file).
fn prompts(class: &Node<'_>, base_dir: &Path) -> Result<Vec<Arc<str>>, InputError> {
    match (class.get("prompts")?, class.get("prompts_file")?) {
        (Some(_), Some(file)) => {
            Err(file.error("give either `prompts` or `prompts_file`, not both"))
        }
        (Some(list), None) => Ok(list.string_list()?.into_iter().map(Arc::from).collect()),
        (None, Some(file)) => {
            let path = base_dir.join(file.string()?);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                file.error(format!("cannot read prompts file {}: {e}", path.display()))
            })?;
            let lines: Vec<Arc<str>> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(Arc::from)
                .collect();
            if lines.is_empty() {
                return Err(file.error(format!("prompts file {} has no prompts", path.display())));
            }
            Ok(lines)
        }
        (None, None) => Ok(Vec::new()),
    }
}

/// Reads the workload block; `base_dir` anchors `prompts_file` paths.
pub fn workload(node: &Node<'_>, base_dir: &Path) -> Result<WorkloadSpec, InputError> {
    node.deny_unknown_keys(WORKLOAD_KEYS)?;
    let process = match node.get("arrivals")? {
        None => ArrivalProcess::Poisson,
        Some(n) => match n.string()?.as_str() {
            "poisson" => ArrivalProcess::Poisson,
            "constant" => ArrivalProcess::Constant,
            _ => return Err(n.expected("`poisson` or `constant`")),
        },
    };
    let rate = units::rate(&node.require("rate")?)?;
    let mut rate_changes: Vec<RateChange> = Vec::new();
    if let Some(changes) = node.get("rate_changes")? {
        for change in changes.items()? {
            change.deny_unknown_keys(&["at", "rate"])?;
            let at = Time::ZERO + units::duration(&change.require("at")?)?;
            if rate_changes.last().is_some_and(|prev| prev.at >= at) {
                return Err(change.error("rate changes must be in increasing order of `at`"));
            }
            rate_changes.push(RateChange {
                at,
                rate: units::rate(&change.require("rate")?)?,
            });
        }
    }
    let mix_node = node.require("mix")?;
    let mut mix = Vec::new();
    for (i, class) in mix_node.items()?.iter().enumerate() {
        class.deny_unknown_keys(CLASS_KEYS)?;
        let model = class.require("model")?.string()?;
        let weight = match class.get("weight")? {
            Some(w) => w.non_negative()?,
            None => 1.0,
        };
        let name = match class.get("name")? {
            Some(n) => n.string()?,
            None => format!("{model}#{i}"),
        };
        mix.push(RequestClass {
            name,
            weight,
            model,
            input_tokens: distribution(&class.require("input_tokens")?, Unit::Count)?,
            output_tokens: distribution(&class.require("output_tokens")?, Unit::Count)?,
            tags: match class.get("tags")? {
                Some(t) => t.string_list()?,
                None => Vec::new(),
            },
            stream: match class.get("stream")? {
                Some(s) => s.bool()?,
                None => false,
            },
            category: match class.get("category")? {
                Some(c) => Some(c.string()?),
                None => None,
            },
            num_retries: match class.get("num_retries")? {
                Some(n) => Some(n.u32()?),
                None => None,
            },
            fallbacks: match class.get("fallbacks")? {
                Some(f) => Some(f.string_list()?),
                None => None,
            },
            disable_fallbacks: match class.get("disable_fallbacks")? {
                Some(b) => b.bool()?,
                None => false,
            },
            timeout: match class.get("timeout")? {
                Some(t) => Some(units::duration(&t)?),
                None => None,
            },
            prompts: prompts(class, base_dir)?,
        });
    }
    if mix.is_empty() {
        return Err(mix_node.error("expected at least one request class"));
    }
    if mix.iter().all(|c| c.weight == 0.0) {
        return Err(mix_node.error("expected at least one request class with a positive weight"));
    }
    Ok(WorkloadSpec {
        process,
        rate,
        rate_changes,
        mix,
    })
}
