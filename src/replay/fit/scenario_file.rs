//! The scenario file `switchyard fit` writes: a header saying what was fitted from which log,
//! the router config (a path, or an inline `model_list` with one entry per logged deployment),
//! one provider profile per fitted deployment with a comment on what the log showed, the
//! fitted workload and the log's span as `duration`.
//!
//! It decides the file's layout and spelling (the scenario language's: times in milliseconds,
//! `{empirical: [[q, value], …]}`, outages as `{start, end, error, fraction}`); it must not fit
//! anything. Every number it writes reads back as the fitted value (see
//! [`super::quantiles`]).

use std::fmt::Write as _;
use std::time::Duration;

use crate::replay::traffic::{RecordedDeployment, RecordedTraffic, RequestKind};
use crate::sim::{Distribution, ProviderProfile};

use super::FittedProvider;
use super::error_windows::{ALPHA, MIN_EXCESS, MIN_FAILURES};
use super::quantiles::time_text;
use super::workload::{FittedClass, FittedWorkload};

/// What goes into a fitted scenario file.
#[derive(Debug, Clone)]
pub struct ScenarioFile<'a> {
    /// The scenario's `name`.
    pub name: &'a str,
    /// The log it was fitted from.
    pub traffic: &'a RecordedTraffic,
    /// The fitted profiles.
    pub providers: &'a [FittedProvider],
    /// The fitted workload.
    pub workload: &'a FittedWorkload,
    /// The error windows' length.
    pub window: Duration,
    /// The router config's path relative to the file; `None` writes an inline `router:`.
    pub config: Option<&'a str>,
    /// Deployments of the config the log never saw (they need a profile written by hand).
    pub unseen: &'a [String],
}

/// A string as a YAML scalar (JSON's quoting is valid YAML).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

/// A number of seconds written with a unit, e.g. `120s`.
fn secs_text(secs: f64) -> String {
    format!("{secs}s")
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "n/a".into();
    }
    format!("{:.1} %", part as f64 * 100.0 / whole as f64)
}

/// A distribution in the scenario language, `time` values with units; continuation lines of a
/// long empirical list are indented by `indent` spaces.
fn distribution_text(d: &Distribution, time: bool, indent: usize) -> String {
    let value = |v: f64| if time { time_text(v) } else { format!("{v}") };
    match d {
        Distribution::Empirical { points, .. } => {
            let mut out = String::from("{empirical: [");
            for (i, (q, v)) in points.iter().enumerate() {
                if i > 0 && i % 6 == 0 {
                    let _ = write!(out, ",\n{}", " ".repeat(indent));
                } else if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "[{q}, {}]", value(*v));
            }
            out.push_str("]}");
            out
        }
        other => value(other.mean()),
    }
}

fn header(out: &mut String, f: &ScenarioFile<'_>) {
    let t = f.traffic;
    let _ = writeln!(
        out,
        "# Fitted by `switchyard fit` from {} ({}): {} requests, {} attempts ({}), {} bad rows skipped.",
        t.file,
        t.format.name(),
        t.requests.len(),
        t.attempts.len(),
        if t.every_attempt {
            "every attempt logged"
        } else {
            "final attempts only"
        },
        t.skipped.len()
    );
    let _ = writeln!(
        out,
        "# Error windows of {}: a window is an outage of a class when it has at least {MIN_FAILURES} failures of it,\n\
         # a share at least {MIN_EXCESS} above the steady rate and a binomial p below {ALPHA} at that rate.\n\
         # Latency is fitted from successful (and timed-out) attempts; rejections wait an error_latency draw.\n\
         # Not fitted: concurrency limits, tpm limits (only their 429 windows), brownouts, Retry-After.\n\
         # Edit freely: every value is in the scenario language (README.md's Scenario files, docs/replay.md).",
        secs_text(f.window.as_secs_f64())
    );
    for label in f.unseen {
        let _ = writeln!(
            out,
            "# NOT FITTED: the log never saw deployment {label}; add a profile for it under `providers:`."
        );
    }
}

fn inline_router(out: &mut String, f: &ScenarioFile<'_>) {
    out.push_str("router:\n  model_list:\n");
    for p in f.providers {
        let d = &f.traffic.deployments[p.deployment as usize];
        let mut params = format!(
            "model: {}",
            quoted(d.model.as_deref().unwrap_or(&d.label()))
        );
        if let Some(base) = &d.api_base {
            let _ = write!(params, ", api_base: {}", quoted(base));
        }
        let info =
            d.id.as_ref()
                .map(|id| format!(", model_info: {{id: {}}}", quoted(id)))
                .unwrap_or_default();
        let _ = writeln!(
            out,
            "    - {{model_name: {}, litellm_params: {{{params}}}{info}}}",
            quoted(&group_of(d))
        );
    }
}

/// The model group a logged deployment serves in an inline config.
pub fn group_of(d: &RecordedDeployment) -> String {
    d.model_group
        .clone()
        .or_else(|| d.model.clone())
        .unwrap_or_else(|| d.label())
}

fn provider_comment(out: &mut String, p: &FittedProvider) {
    let _ = write!(
        out,
        "  # {}: {} attempts, {} succeeded",
        p.profile.name,
        p.attempts,
        percent(p.successes, p.attempts)
    );
    if let Some([p50, p90, p99]) = p.success_percentiles {
        let _ = write!(
            out,
            "; success latency p50 {} p90 {} p99 {}",
            time_text(p50),
            time_text(p90),
            time_text(p99)
        );
    }
    if let Some(e) = p.error_median {
        let _ = write!(out, "; failed attempts' median {}", time_text(e));
    }
    if let Some(r) = p.retry_after {
        let _ = write!(
            out,
            "; median Retry-After {} (not carried)",
            time_text(r.as_secs_f64())
        );
    }
    if p.whole_call {
        out.push_str(
            "\n  # no time to first token in the log: ttft is the whole call, per_token 0",
        );
    }
    out.push('\n');
}

fn provider(out: &mut String, p: &FittedProvider) {
    provider_comment(out, p);
    let prof: &ProviderProfile = &p.profile;
    let m = &prof.matches;
    let (key, value) = match (&m.id, &m.api_base, &m.model_name) {
        (Some(id), _, _) => ("id", id),
        (None, Some(base), _) => ("api_base", base),
        (None, None, Some(name)) => ("model_name", name),
        (None, None, None) => ("id", &prof.name),
    };
    let _ = writeln!(out, "  - name: {}", quoted(&prof.name));
    let _ = writeln!(out, "    match: {{{key}: {}}}", quoted(value));
    let _ = writeln!(out, "    ttft: {}", distribution_text(&prof.ttft, true, 8));
    let _ = writeln!(
        out,
        "    per_token: {}",
        distribution_text(&prof.per_token, true, 8)
    );
    if let Some(e) = &prof.error_latency {
        let _ = writeln!(out, "    error_latency: {}", distribution_text(e, true, 8));
    }
    let faults = &prof.faults;
    if !faults.error_rates.is_empty() {
        let rates: Vec<String> = faults
            .error_rates
            .iter()
            .map(|(c, r)| format!("{}: {r}", c.name()))
            .collect();
        let _ = writeln!(out, "    errors: {{{}}}", rates.join(", "));
    }
    if let Some(rpm) = faults.rpm {
        let _ = writeln!(out, "    rate_limit: {{rpm: {rpm}}}");
    }
    if !faults.outages.is_empty() {
        out.push_str("    outages:\n");
        for o in &faults.outages {
            let _ = writeln!(
                out,
                "      - {{start: {}, end: {}, error: {}, fraction: {}}}",
                secs_text(o.start.as_secs_f64()),
                secs_text(o.end.as_secs_f64()),
                o.class.name(),
                o.fraction
            );
        }
    }
}

fn class_line(out: &mut String, kind: &RequestKind, c: &FittedClass) {
    let _ = writeln!(out, "    - model: {}", quoted(&kind.model));
    let _ = writeln!(out, "      weight: {}", c.requests);
    let tokens = |points: &[(f64, f64)]| {
        let d = super::quantiles::distribution(points);
        distribution_text(&d, false, 10)
    };
    let _ = writeln!(out, "      input_tokens: {}", tokens(&c.input_tokens));
    let _ = writeln!(out, "      output_tokens: {}", tokens(&c.output_tokens));
    if !kind.tags.is_empty() {
        let tags: Vec<String> = kind.tags.iter().map(|t| quoted(t)).collect();
        let _ = writeln!(out, "      tags: [{}]", tags.join(", "));
    }
    if kind.stream {
        out.push_str("      stream: true\n");
    }
    if let Some(n) = kind.num_retries {
        let _ = writeln!(out, "      num_retries: {n}");
    }
    if let Some(f) = &kind.fallbacks {
        let names: Vec<String> = f.iter().map(|t| quoted(t)).collect();
        let _ = writeln!(out, "      fallbacks: [{}]", names.join(", "));
    }
    if kind.disable_fallbacks {
        out.push_str("      disable_fallbacks: true\n");
    }
    if let Some(t) = kind.timeout {
        let _ = writeln!(out, "      timeout: {}", time_text(t.as_secs_f64()));
    }
}

/// Whether a class may go into the file: with an inline config, only kinds asking for a
/// logged model group (others would name a model the config lacks).
fn writable(f: &ScenarioFile<'_>, kind: &RequestKind) -> bool {
    f.config.is_some()
        || f.providers
            .iter()
            .any(|p| group_of(&f.traffic.deployments[p.deployment as usize]) == kind.model)
}

fn workload(out: &mut String, f: &ScenarioFile<'_>) {
    let _ = writeln!(
        out,
        "# The log's average rate over its span, one class per logged request kind weighted by its\n\
         # requests (a replay plays the logged arrivals themselves)."
    );
    let _ = writeln!(
        out,
        "workload:\n  rate: {}/min\n  mix:",
        f.workload.per_minute
    );
    for c in &f.workload.classes {
        let kind = &f.traffic.kinds[c.kind as usize];
        if writable(f, kind) {
            class_line(out, kind, c);
        } else {
            let _ = writeln!(
                out,
                "    # left out: {} requests for {}, which no logged deployment serves",
                c.requests,
                quoted(&kind.model)
            );
        }
    }
}

/// The scenario text.
pub fn write(f: &ScenarioFile<'_>) -> String {
    let mut out = String::new();
    header(&mut out, f);
    let _ = writeln!(out, "name: {}", quoted(f.name));
    let _ = writeln!(
        out,
        "description: {}",
        quoted(&format!(
            "Providers and workload fitted from {}",
            f.traffic.file
        ))
    );
    let _ = writeln!(
        out,
        "duration: {}\nseed: 1\n",
        secs_text(f.workload.duration.as_secs_f64())
    );
    match f.config {
        Some(path) => {
            let _ = writeln!(out, "config: {}", quoted(path));
        }
        None => inline_router(&mut out, f),
    }
    out.push_str("\nproviders:\n");
    for p in f.providers {
        provider(&mut out, p);
    }
    out.push('\n');
    workload(&mut out, f);
    out
}
