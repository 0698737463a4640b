//! A deployment's latency from its logged attempts: time to first token and time per output
//! token, or the whole call when that is all the log has.
//!
//! With time to first token logged, `ttft` is the empirical distribution of the logged ttfts
//! and `per_token` that of (duration − ttft) / output tokens (an attempt with no output tokens
//! counts for ttft only). A logged ttft equal to the whole call on an answer of more than one
//! token is no first-token time: LiteLLM sets `completion_start_time` to the end time for a
//! call that did not stream, and its spend logs carry that as `completionStartTime`. Without a
//! real ttft, `ttft` is the whole call's duration and `per_token` is 0.
//! Samples are the successful attempts plus the timed-out ones (a timed-out attempt took at
//! least as long as it ran, so the same timeout fires again in a replay; without a logged ttft
//! its whole duration is a ttft sample, since no first token came before it). Failed attempts'
//! durations are the profile's `error_latency` (how long a refusal takes to come back), so a
//! 503 the log got in 50 ms is not replayed as a second-long wait. It decides the samples and
//! their distributions; it must not look at error rates.

use crate::router::ErrorClass;
use crate::sim::Distribution;

use super::observations::Observed;
use super::quantiles::{canonical_time, distribution, points, quantile, sorted};

/// A fitted latency.
#[derive(Debug, Clone)]
pub struct Latency {
    /// Time to first token (the whole call when `whole_call`), in seconds.
    pub ttft: Distribution,
    /// Time per output token, in seconds (0 when `whole_call`).
    pub per_token: Distribution,
    /// The log had no time to first token for this deployment.
    pub whole_call: bool,
    /// Median, 90th and 99th percentile of the successful attempts' whole-call durations.
    pub success_percentiles: Option<[f64; 3]>,
    /// How long the failed attempts took to be answered; `None` when none failed.
    pub error_latency: Option<Distribution>,
    /// Median duration of the failed attempts (for the fitted file's comment).
    pub error_median: Option<f64>,
}

/// Whether an attempt's duration is a latency sample: it succeeded or timed out.
fn is_sample(o: &Observed<'_>) -> bool {
    matches!(o.attempt.error, None | Some(ErrorClass::Timeout))
}

/// The attempt's time to first token in seconds, when the log has a real one (see above).
fn first_token(o: &Observed<'_>) -> Option<f64> {
    let ttft = o.attempt.time_to_first_token?.as_secs_f64();
    let whole = o.attempt.duration.as_secs_f64();
    (ttft < whole - 1e-6 || o.output_tokens <= 1).then_some(ttft)
}

/// The latency of a deployment's attempts.
pub fn fit_latency(attempts: &[Observed<'_>]) -> Latency {
    let samples: Vec<&Observed<'_>> = attempts.iter().filter(|o| is_sample(o)).collect();
    let whole_call = !samples.iter().any(|o| first_token(o).is_some());
    let (ttft, per_token) = if whole_call {
        let d = samples.iter().map(|o| o.attempt.duration.as_secs_f64());
        (
            distribution(&points(&sorted(d.collect()), canonical_time)),
            Distribution::Constant(0.0),
        )
    } else {
        split_samples(&samples)
    };
    let success = sorted(
        attempts
            .iter()
            .filter(|o| o.attempt.error.is_none())
            .map(|o| o.attempt.duration.as_secs_f64())
            .collect(),
    );
    let errors = sorted(
        attempts
            .iter()
            .filter(|o| !is_sample(o))
            .map(|o| o.attempt.duration.as_secs_f64())
            .collect(),
    );
    Latency {
        ttft,
        per_token,
        whole_call,
        success_percentiles: [0.5, 0.9, 0.99]
            .map(|q| quantile(&success, q))
            .iter()
            .copied()
            .collect::<Option<Vec<f64>>>()
            .map(|v| [v[0], v[1], v[2]]),
        error_median: quantile(&errors, 0.5),
        error_latency: (!errors.is_empty()).then(|| distribution(&points(&errors, canonical_time))),
    }
}

/// Answers shorter than this give no per-token sample when longer ones exist: the time after
/// the first token of a few-token answer is mostly the stream's own overhead, and divided by
/// one or two tokens it becomes a per-token time that, drawn for a long answer, makes a
/// minute-long call out of a second-long one.
const PER_TOKEN_MIN_TOKENS: u32 = 8;

/// `ttft` and `per_token` from the samples that logged a time to first token.
fn split_samples(samples: &[&Observed<'_>]) -> (Distribution, Distribution) {
    let mut ttfts = Vec::new();
    let mut per_token = Vec::new();
    let mut per_token_short = Vec::new();
    for o in samples {
        let duration = o.attempt.duration.as_secs_f64();
        let timed_out = o.attempt.error == Some(ErrorClass::Timeout);
        let Some(ttft) = first_token(o).or(timed_out.then_some(duration)) else {
            continue;
        };
        ttfts.push(ttft);
        if o.attempt.error.is_none() && o.output_tokens > 0 {
            let sample = (duration - ttft).max(0.0) / f64::from(o.output_tokens);
            if o.output_tokens >= PER_TOKEN_MIN_TOKENS {
                per_token.push(sample);
            } else {
                per_token_short.push(sample);
            }
        }
    }
    if per_token.is_empty() {
        per_token = per_token_short;
    }
    (
        distribution(&points(&sorted(ttfts), canonical_time)),
        distribution(&points(&sorted(per_token), canonical_time)),
    )
}
