//! `workload.script`: an explicit list of requests at given instants, for exact reproductions.
//!
//! Each entry is a request class (the keys a mix class accepts; token counts default to 100
//! each) plus `at` (required), `count` (default 1) and `every` (default 0s: the copies arrive
//! together). Entries must be in non-decreasing order of `at`, and every copy must arrive before
//! the scenario's `duration`. It decides the spelling and checks; the simulator sends the
//! requests.

use std::path::Path;
use std::time::Duration;

use crate::config::InputError;
use crate::config::units;
use crate::config::yaml::Node;
use crate::sim::{MAX_REQUESTS, RequestClass, ScriptedRequest};
use crate::time::Time;

use super::request_class::{REQUEST_KEYS, Tokens, request_class};

fn count(entry: &Node<'_>) -> Result<u32, InputError> {
    let Some(node) = entry.get("count")? else {
        return Ok(1);
    };
    let n = node.u32()?;
    if n == 0 {
        return Err(node.error("expected a count of at least 1, found 0"));
    }
    Ok(n)
}

/// One entry at `index`, after `previous` (the entry before it).
fn entry(
    entry: &Node<'_>,
    index: usize,
    previous: Option<&ScriptedRequest>,
    end: Time,
) -> Result<ScriptedRequest, InputError> {
    let at_node = entry.require("at")?;
    let at = Time::ZERO + units::duration(&at_node)?;
    if let Some(prev) = previous.filter(|p| p.at > at) {
        return Err(at_node.error(format!(
            "script entries must be in non-decreasing order of `at`: this one is at {}s, the one before at {}s",
            at.as_secs_f64(),
            prev.at.as_secs_f64()
        )));
    }
    let every = match entry.get("every")? {
        Some(n) => units::duration(&n)?,
        None => Duration::ZERO,
    };
    let scripted = ScriptedRequest {
        at,
        class: index as u32,
        count: count(entry)?,
        every,
    };
    let last = scripted.last_at();
    if last >= end {
        return Err(at_node.error(format!(
            "the last of these requests arrives at {}s, not before the scenario's duration of {}s; lengthen `duration` or move the entry",
            last.as_secs_f64(),
            end.as_secs_f64()
        )));
    }
    Ok(scripted)
}

/// Reads a script: one request class per entry (in entry order) and the entries' arrivals.
pub fn script(
    node: &Node<'_>,
    base_dir: &Path,
    duration: Duration,
) -> Result<(Vec<RequestClass>, Vec<ScriptedRequest>), InputError> {
    let mut keys = vec!["at", "count", "every", "name"];
    keys.extend_from_slice(REQUEST_KEYS);
    let items = node.items()?;
    if items.is_empty() {
        return Err(node.error("expected at least one scripted request"));
    }
    let end = Time::ZERO + duration;
    let (mut classes, mut script) = (Vec::new(), Vec::<ScriptedRequest>::new());
    let mut total: u64 = 0;
    for (i, item) in items.iter().enumerate() {
        item.deny_unknown_keys(&keys)?;
        let scripted = entry(item, i, script.last(), end)?;
        total += u64::from(scripted.count);
        if total > MAX_REQUESTS {
            return Err(item.error(format!(
                "the script sends more than {MAX_REQUESTS} requests, the most one run may simulate"
            )));
        }
        let name = item.get("name")?.map(|n| n.string()).transpose()?;
        classes.push(request_class(
            item,
            name,
            1.0,
            i,
            Tokens::Defaulted,
            base_dir,
        )?);
        script.push(scripted);
    }
    Ok((classes, script))
}
