//! Every metric family of a scrape, in one fixed order: its name, type, help and samples,
//! LiteLLM's name where LiteLLM 1.108.7 has one for the same quantity (`_total` appended to
//! counters as `prometheus_client` does), `switchyard_…` otherwise. docs/metrics.md lists them.
//!
//! It decides the names and which counter or state feeds each; the numbers themselves come
//! from [`super::counters`] and [`super::routing_state`].

use std::sync::atomic::{AtomicU64, Ordering};

use super::counters::{CLASSES, Counters, OUTCOMES, REASONS, RequestOutcome, load_f64};
use super::exposition::{Exposition, Kind, with};
use super::labels::LabelSets;
use super::routing_state::RoutingState;
use crate::router::ErrorClass;

fn get(c: &AtomicU64) -> f64 {
    c.load(Ordering::Relaxed) as f64
}

/// The status code and LiteLLM exception name of an outcome (`None` for a served request).
fn outcome_labels(o: RequestOutcome) -> (u16, Option<(&'static str, &'static str)>) {
    match o {
        RequestOutcome::Served => (200, None),
        RequestOutcome::ClientClosed => (499, Some(("client_closed", "ClientClosed"))),
        RequestOutcome::Other => (500, Some(("other", "APIError"))),
        RequestOutcome::Failed(c) => {
            let class = ErrorClass::ALL[c];
            (
                class.status(),
                Some((class.name(), class.litellm_exception())),
            )
        }
        RequestOutcome::BrokenAfterStart(c) => {
            let class = ErrorClass::ALL[c];
            (200, Some((class.name(), class.litellm_exception())))
        }
    }
}

/// Writes every per-request family.
pub fn requests(e: &mut Exposition, c: &Counters, l: &LabelSets) {
    let name = "litellm_proxy_total_requests_metric";
    e.family(
        name,
        Kind::Counter,
        "Requests the proxy answered, by requested model group and the status the client got.",
    );
    for (g, set) in l.requested.iter().enumerate() {
        let mut by_status: Vec<(u16, f64)> = Vec::new();
        for slot in 0..OUTCOMES {
            let n = get(&c.requests[g * OUTCOMES + slot]);
            let (status, _) = outcome_labels(RequestOutcome::from_slot(slot));
            match by_status.iter_mut().find(|(s, _)| *s == status) {
                Some((_, total)) => *total += n,
                None => by_status.push((status, n)),
            }
        }
        by_status.sort_by_key(|(s, _)| *s);
        for (status, n) in by_status.into_iter().filter(|(_, n)| *n > 0.0) {
            e.counter(name, &with(set, "status_code", &status.to_string()), n);
        }
    }
    let failed = "litellm_proxy_failed_requests_metric";
    e.family(failed, Kind::Counter, "Requests that ended in an error, by requested model group, status and LiteLLM's exception class.");
    let classes = "switchyard_request_failures";
    let mut by_class = Exposition::default();
    by_class.family(classes, Kind::Counter, "Requests that ended in an error, by requested model group and Switchyard's error class (a stream broken after its first byte counts too; its client saw 200).");
    for (g, set) in l.requested.iter().enumerate() {
        // Several classes share LiteLLM's exception name and status (a provider's 429 and the
        // router's own are both `RateLimitError`): one series each, summed.
        let mut by_exception: Vec<((u16, &str), f64)> = Vec::new();
        for slot in 1..OUTCOMES {
            let n = get(&c.requests[g * OUTCOMES + slot]);
            let (status, Some((class, exception))) =
                outcome_labels(RequestOutcome::from_slot(slot))
            else {
                continue;
            };
            if n == 0.0 {
                continue;
            }
            match by_exception
                .iter_mut()
                .find(|(k, _)| *k == (status, exception))
            {
                Some((_, total)) => *total += n,
                None => by_exception.push(((status, exception), n)),
            }
            by_class.counter(
                classes,
                &with(
                    &with(set, "error_class", class),
                    "status_code",
                    &status.to_string(),
                ),
                n,
            );
        }
        by_exception.sort_by(|a, b| a.0.cmp(&b.0));
        for ((status, exception), n) in by_exception {
            let s = with(
                &with(set, "exception_status", &status.to_string()),
                "exception_class",
                exception,
            );
            e.counter(failed, &s, n);
        }
    }
    e.append(by_class);
    per_group_counter(
        e,
        "switchyard_attempts",
        "Attempts made for requests, by requested model group (every deployment tried, retries and fallbacks included).",
        &c.attempts,
        l,
    );
    per_group_counter(
        e,
        "switchyard_retries",
        "Retries in the group that served or was tried last, by requested model group (as the request log's `retries`).",
        &c.retries,
        l,
    );
    per_group_counter(
        e,
        "switchyard_fallbacks",
        "Fallback depth reached, summed, by requested model group (as the request log's `fallbacks`).",
        &c.fallbacks,
        l,
    );
    let lat = "litellm_request_total_latency_metric";
    e.family(
        lat,
        Kind::Histogram,
        "Seconds from a request's arrival to its last byte, by requested model group.",
    );
    for (g, set) in l.requested.iter().enumerate() {
        let h = c.request_latency[g].snapshot();
        if h.count() > 0 {
            e.histogram(lat, set, &h);
        }
    }
    fallbacks(e, c, l);
}

fn per_group_counter(
    e: &mut Exposition,
    name: &str,
    help: &str,
    cells: &[AtomicU64],
    l: &LabelSets,
) {
    e.family(name, Kind::Counter, help);
    for (set, cell) in l.requested.iter().zip(cells) {
        if get(cell) > 0.0 {
            e.counter(name, set, get(cell));
        }
    }
}

fn fallbacks(e: &mut Exposition, c: &Counters, l: &LabelSets) {
    let ok = "litellm_deployment_successful_fallbacks";
    e.family(ok, Kind::Counter, "Requests served by a fallback group, by requested model group and the fallback group that served.");
    for (g, set) in l.requested.iter().enumerate() {
        for (served, name) in l.group_name.iter().enumerate() {
            let n = get(&c.fallback_served[g * c.groups + served]);
            if n > 0.0 {
                e.counter(ok, &with(set, "fallback_model", name), n);
            }
        }
    }
    let failed = "litellm_deployment_failed_fallbacks";
    e.family(
        failed,
        Kind::Counter,
        "Requests that fell back and still failed, by requested model group.",
    );
    for (set, cell) in l.requested.iter().zip(&c.fallback_failed) {
        if get(cell) > 0.0 {
            e.counter(failed, set, get(cell));
        }
    }
}

/// Writes every per-deployment counter family.
pub fn deployments(e: &mut Exposition, c: &Counters, l: &LabelSets) {
    let total = "litellm_deployment_total_requests";
    e.family(
        total,
        Kind::Counter,
        "Attempts sent to a deployment whose outcome is known.",
    );
    for (d, set) in l.deployment.iter().enumerate() {
        let failed: f64 = (0..CLASSES)
            .map(|k| get(&c.attempt_failed[d * CLASSES + k]))
            .sum();
        e.counter(total, set, get(&c.attempt_ok[d]) + failed);
    }
    let ok = "litellm_deployment_success_responses";
    e.family(
        ok,
        Kind::Counter,
        "Attempts a deployment answered successfully.",
    );
    for (d, set) in l.deployment.iter().enumerate() {
        e.counter(ok, set, get(&c.attempt_ok[d]));
    }
    let failed = "litellm_deployment_failure_responses";
    e.family(
        failed,
        Kind::Counter,
        "Attempts a deployment failed, by status and error class.",
    );
    for (d, set) in l.deployment.iter().enumerate() {
        for (k, class) in ErrorClass::ALL.iter().enumerate() {
            let n = get(&c.attempt_failed[d * CLASSES + k]);
            if n > 0.0 {
                let s = with(
                    &with(set, "exception_status", &class.status().to_string()),
                    "exception_class",
                    class.litellm_exception(),
                );
                e.counter(failed, &with(&s, "error_class", class.name()), n);
            }
        }
    }
    cooldowns(e, c, l);
    traffic(e, c, l);
    let api = "litellm_llm_api_latency_metric";
    e.family(
        api,
        Kind::Histogram,
        "Seconds a deployment took to answer an attempt successfully (the whole answer).",
    );
    let ttft = "litellm_llm_api_time_to_first_token_metric";
    let mut first = Exposition::default();
    first.family(
        ttft,
        Kind::Histogram,
        "Seconds to a streamed attempt's first bytes, successful streams only.",
    );
    for (d, set) in l.deployment.iter().enumerate() {
        let h = c.api_latency[d].snapshot();
        if h.count() > 0 {
            e.histogram(api, set, &h);
        }
        let t = c.ttft[d].snapshot();
        if t.count() > 0 {
            first.histogram(ttft, set, &t);
        }
    }
    e.append(first);
}

fn cooldowns(e: &mut Exposition, c: &Counters, l: &LabelSets) {
    let litellm = "litellm_deployment_cooled_down";
    e.family(litellm, Kind::Counter, "Cooldowns this instance started, by deployment and the status of the failure that started them.");
    let ours = "switchyard_cooldowns";
    let mut by_reason = Exposition::default();
    by_reason.family(
        ours,
        Kind::Counter,
        "Cooldowns this instance started, by deployment and the rule that started them.",
    );
    for (d, set) in l.deployment.iter().enumerate() {
        let mut by_status: Vec<(u16, f64)> = Vec::new();
        for (k, class) in ErrorClass::ALL.iter().enumerate() {
            let n = get(&c.cooldowns_by_class[d * CLASSES + k]);
            match by_status.iter_mut().find(|(s, _)| *s == class.status()) {
                Some((_, t)) => *t += n,
                None => by_status.push((class.status(), n)),
            }
        }
        by_status.sort_by_key(|(s, _)| *s);
        for (status, n) in by_status.into_iter().filter(|(_, n)| *n > 0.0) {
            e.counter(
                litellm,
                &with(set, "exception_status", &status.to_string()),
                n,
            );
        }
        for (r, reason) in REASONS.iter().enumerate() {
            let n = get(&c.cooldowns[d * REASONS.len() + r]);
            if n > 0.0 {
                by_reason.counter(ours, &with(set, "reason", reason.name()), n);
            }
        }
    }
    e.append(by_reason);
}

fn traffic(e: &mut Exposition, c: &Counters, l: &LabelSets) {
    for (name, help, cells) in [
        (
            "litellm_input_tokens_metric",
            "Prompt tokens of the requests a deployment served.",
            &c.input_tokens,
        ),
        (
            "litellm_output_tokens_metric",
            "Completion tokens of the requests a deployment served.",
            &c.output_tokens,
        ),
    ] {
        e.family(name, Kind::Counter, help);
        for (set, cell) in l.deployment.iter().zip(cells.iter()) {
            e.counter(name, set, get(cell));
        }
    }
    let spend = "litellm_spend_metric";
    e.family(
        spend,
        Kind::Counter,
        "Dollars the requests a deployment served cost at the router's prices.",
    );
    for (set, cell) in l.deployment.iter().zip(c.spend.iter()) {
        e.counter(spend, set, load_f64(cell));
    }
}

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
        e.sample(
            cooling,
            &super::exposition::labels(&[("model_group", name)]),
            n as f64,
        );
    }
    budgets(e, s, l);
}

fn budgets(e: &mut Exposition, s: &RoutingState, l: &LabelSets) {
    for (name, help, value) in [
        (
            "switchyard_budget_limit_usd",
            "A budget's limit per window, dollars.",
            &(|b: &super::routing_state::BudgetNow| b.limit)
                as &dyn Fn(&super::routing_state::BudgetNow) -> f64,
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
                &super::exposition::labels(&[("api_provider", p)]),
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
