//! Evaluating a scenario's expectations: looking a metric up in a run's summary and judging
//! whether a measured value satisfies an expectation.
//!
//! It decides how metric paths resolve in `summary.json` and what each operator means; the
//! syntax is [`crate::scenario::expectations`]'s, and running is the caller's.

use serde_json::Value;

use crate::metrics::{FleetStats, PolicyStats};
use crate::report::PolicySummary;
use crate::scenario::Scenario;
use crate::scenario::expectations::{Expectation, Op};

/// Looks `path` up in a policy's summary JSON: keys may contain dots (deployment ids, labels,
/// `budgets.provider:openai`), so the longest matching key wins at each level; a deployment may
/// also be named by its label. Lists count their items; a missing error class counts 0.
pub fn lookup(summary: &Value, path: &str) -> Option<f64> {
    if let Some(rest) = path.strip_prefix("errors.") {
        return Some(
            summary
                .get("errors")
                .and_then(|e| e.get(rest))
                .and_then(Value::as_f64)
                .unwrap_or(0.0),
        );
    }
    match find(summary, path)? {
        Value::Number(n) => n.as_f64(),
        Value::Array(a) => Some(a.len() as f64),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// Summary maps whose keys depend on the run (fallback paths taken, attempt counts seen): a
/// path into them can only be checked against a run.
const RUN_KEYED: &[&str] = &["fallbacks_by_path.", "attempts_histogram."];

/// A budget's figures in the summary.
const BUDGET_FIGURES: &[&str] = &["limit", "spent", "exhausted_at_s", "window_resets"];

/// The budgets some policy of `scenario` configures, as the summary names them
/// (`provider:openai`, `deployment:<id>`, `tag:<name>`).
fn budget_keys(scenario: &Scenario) -> Vec<String> {
    let mut keys: Vec<String> = scenario
        .config
        .deployments
        .iter()
        .filter(|d| d.max_budget.is_some())
        .map(|d| format!("deployment:{}", d.id))
        .collect();
    for policy in &scenario.policies {
        let s = &policy.settings;
        keys.extend(
            s.provider_budget_config
                .keys()
                .map(|p| format!("provider:{p}")),
        );
        keys.extend(s.tag_budget_config.keys().map(|t| format!("tag:{t}")));
    }
    keys.sort();
    keys.dedup();
    keys
}

/// Why `budgets.<rest>` names no budget figure of `scenario`, if it does not.
fn budget_problem(scenario: &Scenario, rest: &str) -> Option<String> {
    let keys = budget_keys(scenario);
    let figure = keys
        .iter()
        .filter_map(|k| rest.strip_prefix(k.as_str())?.strip_prefix('.'))
        .next();
    match figure {
        Some(f) if BUDGET_FIGURES.contains(&f) => None,
        Some(f) => Some(format!(
            "a budget has no figure {f:?} (expected one of: {})",
            BUDGET_FIGURES.join(", ")
        )),
        None if keys.is_empty() => Some("no policy of the scenario has a budget".to_string()),
        None => Some(format!(
            "expected budgets.<budget>.<figure> with a budget of: {}",
            keys.join(", ")
        )),
    }
}

/// Why `metric` can never be found in a summary of `scenario`'s policies, if it cannot: it is
/// resolved against the summary of a run with no requests (every fixed key and every
/// deployment present, and the client figures when the workload's clients retry or loop); a budget must be one some policy configures; paths into maps keyed by
/// what happened are accepted.
pub fn metric_problem(scenario: &Scenario, metric: &str) -> Option<String> {
    if metric.starts_with("errors.") || RUN_KEYED.iter().any(|p| metric.starts_with(p)) {
        return None;
    }
    if let Some(rest) = metric.strip_prefix("budgets.") {
        return budget_problem(scenario, rest);
    }
    let table = &scenario.config.table;
    let mut empty = PolicyStats::new(table.deployments().len());
    empty.uses_client_retries = scenario.workload.uses_client_retries();
    empty.request_limit_reached = !scenario.workload.is_open_loop();
    let fleet = scenario.policies.iter().find_map(|p| p.fleet.as_ref());
    if metric.starts_with("fleet.") && fleet.is_none() {
        return Some(format!(
            "{metric:?} needs gateway instances: no policy of the scenario has an `instances:` \
             block"
        ));
    }
    if metric.starts_with("fleet.budgets.") {
        return None;
    }
    empty.fleet =
        fleet.map(|f| FleetStats::new(f.count, table.deployments().len(), true, f.sync_interval));
    let template = serde_json::to_value(PolicySummary::new(&empty, table)).ok()?;
    match find(&template, metric) {
        Some(Value::Object(_)) => Some(format!(
            "{metric:?} is a group of metrics; name one of its keys"
        )),
        Some(_) => None,
        None => {
            let keys: Vec<&str> = template
                .as_object()
                .map(|o| o.keys().map(String::as_str).collect())
                .unwrap_or_default();
            Some(format!(
                "no metric {metric:?} in a policy's summary (its keys: {}; deployments by id or \
                 label)",
                keys.join(", ")
            ))
        }
    }
}

/// The node at `path` (see [`lookup`]), if any.
fn find<'v>(summary: &'v Value, path: &str) -> Option<&'v Value> {
    let mut node = summary;
    let mut rest = path;
    while !rest.is_empty() {
        let obj = node.as_object()?;
        let mut best: Option<(&str, &Value)> = None;
        for (k, v) in obj {
            let label = v.get("label").and_then(Value::as_str);
            for name in std::iter::once(k.as_str()).chain(label) {
                let matches =
                    rest == name || rest.strip_prefix(name).is_some_and(|r| r.starts_with('.'));
                if matches && best.is_none_or(|(b, _)| name.len() > b.len()) {
                    best = Some((name, v));
                }
            }
        }
        let (name, v) = best?;
        node = v;
        rest = rest[name.len()..].trim_start_matches('.');
    }
    Some(node)
}

/// Whether `measured` satisfies the expectation.
pub fn holds(e: &Expectation, measured: f64) -> bool {
    match e.op {
        Op::Ge => measured >= e.value,
        Op::Le => measured <= e.value,
        Op::Eq => (measured - e.value).abs() <= 1e-9 * e.value.abs().max(1.0),
        Op::Lt => measured < e.value,
        Op::Gt => measured > e.value,
        Op::Within(lo, hi) => lo <= measured && measured <= hi,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_with_dots_and_labels() {
        let v: Value = serde_json::json!({
            "success_rate": 0.99,
            "latency_ms": {"p99": 1200.0},
            "errors": {"rate_limit": 3},
            "cooldown_events": [{}, {}],
            "budgets": {"provider:openai": {"exhausted_at_s": 12.5}},
            "deployments": {"abc123": {"label": "azure/gpt-4o @ us.example.com", "share": 0.3}, "v1.2": {"share": 0.7}}
        });
        assert_eq!(lookup(&v, "success_rate"), Some(0.99));
        assert_eq!(lookup(&v, "latency_ms.p99"), Some(1200.0));
        assert_eq!(lookup(&v, "errors.rate_limit"), Some(3.0));
        assert_eq!(
            lookup(&v, "errors.timeout"),
            Some(0.0),
            "a class with no errors counts 0"
        );
        assert_eq!(lookup(&v, "cooldown_events"), Some(2.0));
        assert_eq!(
            lookup(&v, "budgets.provider:openai.exhausted_at_s"),
            Some(12.5)
        );
        assert_eq!(
            lookup(&v, "deployments.v1.2.share"),
            Some(0.7),
            "ids may contain dots"
        );
        assert_eq!(
            lookup(&v, "deployments.azure/gpt-4o @ us.example.com.share"),
            Some(0.3),
            "or be named by label"
        );
        assert_eq!(lookup(&v, "latency_ms.p42"), None);
    }
}
