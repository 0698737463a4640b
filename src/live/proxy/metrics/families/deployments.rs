//! The per-deployment families: attempts by outcome and class, cooldowns by status and rule,
//! tokens, spend, and the attempt latency and time-to-first-token histograms.
//!
//! It decides their names and labels; the numbers are [`super::super::counters`]'.

use super::get;
use crate::live::proxy::metrics::counters::{CLASSES, Counters, REASONS, load_f64};
use crate::live::proxy::metrics::exposition::{Exposition, Kind, with};
use crate::live::proxy::metrics::labels::LabelSets;
use crate::router::ErrorClass;

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
