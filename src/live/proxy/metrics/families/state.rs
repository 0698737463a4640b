//! The routing-state families, read from the router at scrape time: deployment state, cooling,
//! in flight, this minute's usage, configured limits, budgets; and the in-flight requests.
//!
//! It decides their names and labels; the numbers are [`super::super::routing_state`]'s.

use std::sync::atomic::Ordering;

use crate::live::proxy::metrics::counters::Counters;
use crate::live::proxy::metrics::exposition::{Exposition, Kind, labels};
use crate::live::proxy::metrics::labels::LabelSets;
use crate::live::proxy::metrics::routing_state::{BudgetNow, RoutingState};

/// Writes the routing-state gauges and the in-flight requests.
pub fn state(e: &mut Exposition, s: &RoutingState, c: &Counters, l: &LabelSets, in_flight: f64) {
    e.family(
        "litellm_in_flight_requests",
        Kind::Gauge,
        "Requests received and not yet answered to the end.",
    );
    e.sample("litellm_in_flight_requests", "", in_flight);
    let gauge = |e: &mut Exposition, name: &str, help: &str, value: &dyn Fn(usize) -> f64| {
        e.family(name, Kind::Gauge, help);
        for (d, set) in l.deployment.iter().enumerate() {
            e.sample(name, set, value(d));
        }
    };
    let state_of = |d: usize| {
        if s.deployments[d].cooling_for.is_some() {
            2.0
        } else if c.last_failed[d].load(Ordering::Relaxed) {
            1.0
        } else {
            0.0
        }
    };
    gauge(
        e,
        "litellm_deployment_state",
        "0 healthy, 1 partial outage (its last attempt failed), 2 complete outage (cooling down).",
        &state_of,
    );
    gauge(
        e,
        "switchyard_deployment_cooling",
        "1 while the deployment is cooling down, else 0.",
        &|d| f64::from(u8::from(s.deployments[d].cooling_for.is_some())),
    );
    gauge(
        e,
        "switchyard_deployment_cooldown_remaining_seconds",
        "Seconds left in the deployment's cooldown (0 when not cooling).",
        &|d| {
            s.deployments[d]
                .cooling_for
                .map_or(0.0, |t| t.as_secs_f64())
        },
    );
    gauge(
        e,
        "switchyard_deployment_in_flight",
        "Attempts the router counts in flight at the deployment (one waiting out a backoff included).",
        &|d| f64::from(s.deployments[d].in_flight),
    );
    gauge(
        e,
        "switchyard_deployment_requests_this_minute",
        "Requests sent to the deployment in the current minute (what its rpm limit is checked against).",
        &|d| f64::from(s.deployments[d].requests_this_minute),
    );
    gauge(
        e,
        "switchyard_deployment_tokens_this_minute",
        "Tokens the deployment served in the current minute (what its tpm limit is checked against).",
        &|d| s.deployments[d].tokens_this_minute as f64,
    );
    limits(e, l);
    let cooling = "switchyard_deployments_cooling";
    e.family(
        cooling,
        Kind::Gauge,
        "Deployments of a model group cooling down now.",
    );
    for (g, name) in l.group_name.iter().enumerate() {
        let n = (0..l.deployment.len())
            .filter(|d| l.deployment_group[*d] == g && s.deployments[*d].cooling_for.is_some())
            .count();
        e.sample(cooling, &labels(&[("model_group", name)]), n as f64);
    }
    budgets(e, s, l);
}

fn budgets(e: &mut Exposition, s: &RoutingState, l: &LabelSets) {
    for (name, help, value) in [
        (
            "switchyard_budget_limit_usd",
            "A budget's limit per window, dollars.",
            &(|b: &BudgetNow| b.limit) as &dyn Fn(&BudgetNow) -> f64,
        ),
        (
            "switchyard_budget_spent_usd",
            "Spent in a budget's running window, dollars (0 when no window runs).",
            &|b| b.spent,
        ),
        (
            "switchyard_budget_remaining_usd",
            "Left in a budget's running window, dollars (never below 0).",
            &|b| (b.limit - b.spent).max(0.0),
        ),
    ] {
        e.family(name, Kind::Gauge, help);
        for (set, b) in l.budget.iter().zip(&s.budgets) {
            e.sample(name, set, value(b));
        }
    }
    let provider = "litellm_provider_remaining_budget_metric";
    e.family(
        provider,
        Kind::Gauge,
        "Left in a provider budget's running window, dollars.",
    );
    for (p, b) in l.budget_provider.iter().zip(&s.budgets) {
        if let Some(p) = p {
            e.sample(
                provider,
                &labels(&[("api_provider", p)]),
                (b.limit - b.spent).max(0.0),
            );
        }
    }
}

/// The configured `rpm` and `tpm` of the deployments that set them.
fn limits(e: &mut Exposition, l: &LabelSets) {
    for (name, help, which) in [
        (
            "litellm_deployment_rpm_limit",
            "The deployment's configured rpm.",
            0,
        ),
        (
            "litellm_deployment_tpm_limit",
            "The deployment's configured tpm.",
            1,
        ),
    ] {
        e.family(name, Kind::Gauge, help);
        for (set, (rpm, tpm)) in l.deployment.iter().zip(&l.limits) {
            if let Some(limit) = if which == 0 { rpm } else { tpm } {
                e.sample(name, set, *limit as f64);
            }
        }
    }
}
