//! The per-request families: requests by status, failures by exception and by class, attempts,
//! retries and fallbacks, the total latency histogram, all by requested model group; fallbacks
//! that served or failed.
//!
//! It decides their names and labels; the numbers are [`super::super::counters`]'.

use std::sync::atomic::AtomicU64;

use super::get;
use crate::live::proxy::metrics::counters::{Counters, OUTCOMES, RequestOutcome};
use crate::live::proxy::metrics::exposition::{Exposition, Kind, with};
use crate::live::proxy::metrics::labels::LabelSets;
use crate::router::ErrorClass;

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
