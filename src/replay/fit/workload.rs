//! The workload a fitted scenario sends: the log's average arrival rate over its span, and one
//! request class per request kind the log recorded, weighted by how many requests it had, with
//! the empirical distributions of its input and output tokens.
//!
//! It decides that summary of the arrivals; it must not fit providers. (A replay plays the
//! logged arrivals themselves; this workload is for editing and `switchyard run`.)

use std::time::Duration;

use crate::replay::traffic::RecordedTraffic;

use super::quantiles::{canonical_count, points, sorted};

/// One request kind's share of the fitted workload.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedClass {
    /// Index into [`RecordedTraffic::kinds`].
    pub kind: u32,
    /// How many logged requests it had (its weight).
    pub requests: u64,
    /// Input tokens as `(quantile, tokens)` points.
    pub input_tokens: Vec<(f64, f64)>,
    /// Output tokens as `(quantile, tokens)` points.
    pub output_tokens: Vec<(f64, f64)>,
}

/// The fitted workload.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedWorkload {
    /// The log's span, in whole seconds (at least one).
    pub duration: Duration,
    /// Requests per minute, to six decimals.
    pub per_minute: f64,
    /// One class per recorded kind with requests, in kind order.
    pub classes: Vec<FittedClass>,
}

/// The workload of `traffic`.
pub fn fit_workload(traffic: &RecordedTraffic) -> FittedWorkload {
    let secs = traffic.last_arrival().as_secs_f64().ceil().max(1.0);
    let per_minute = (traffic.requests.len() as f64 / secs * 60.0 * 1e6).round() / 1e6;
    let mut tokens: Vec<(Vec<f64>, Vec<f64>)> = vec![Default::default(); traffic.kinds.len()];
    for r in &traffic.requests {
        if let Some((input, output)) = tokens.get_mut(r.kind as usize) {
            input.push(f64::from(r.input_tokens));
            output.push(f64::from(r.output_tokens));
        }
    }
    let classes = tokens
        .into_iter()
        .enumerate()
        .filter(|(_, (input, _))| !input.is_empty())
        .map(|(kind, (input, output))| FittedClass {
            kind: kind as u32,
            requests: input.len() as u64,
            input_tokens: points(&sorted(input), canonical_count),
            output_tokens: points(&sorted(output), canonical_count),
        })
        .collect();
    FittedWorkload {
        duration: Duration::from_secs(secs as u64),
        per_minute,
        classes,
    }
}
