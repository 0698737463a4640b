//! `latency-based-routing`: the deployment with the lowest recent latency.
//!
//! Per deployment, a window of the last `max_latency_list_size` (10) samples: the call's
//! duration divided by its output tokens (the raw duration when there are none), or for
//! streaming requests the time to first token, kept in a second window. A timeout adds a
//! penalty sample of 1000. A deployment with no samples counts as 0, so it is tried. Samples are
//! forgotten after `ttl` (3600 s) without a new one. Deployments at their `rpm`/`tpm` this minute
//! are skipped; among those whose average is within `lowest_latency_buffer` × the lowest, one is
//! picked at random. Windows are fixed-size rings: no allocation after construction.
//!
//! It decides the pick and keeps the samples; it must not filter by cooldown, budget or tags
//! (the eligibility pipeline has done that) nor read a clock: ages are measured from the `now`
//! of each call.

use std::time::Duration;

use rand::Rng;

use super::{PickContext, Strategy};
use crate::config::deployment_table::DeploymentIdx;
use crate::config::settings::StrategyArgs;
use crate::router::error_class::ErrorClass;
use crate::router::request::{Outcome, RequestSpec};
use crate::time::Time;

/// LiteLLM's penalty sample for a timeout, in the window's own unit (seconds per output token,
/// or seconds to first token for a streaming request). It goes into the window the request
/// would be judged by and outweighs any real sample, so a deployment that timed out is passed
/// over while the penalty is in its window; as a passed-over deployment collects no new
/// samples, that usually lasts until its `ttl` runs out.
pub const TIMEOUT_PENALTY: f64 = 1000.0;

/// One fixed-size window of samples per deployment, with a running sum, in flat vectors
/// indexed by deployment (no per-deployment allocation).
#[derive(Debug, Clone)]
struct Windows {
    /// Samples kept per deployment (`max_latency_list_size`, at least 1).
    size: usize,
    /// The rings: deployment `d`'s samples occupy `d * size .. (d + 1) * size`.
    values: Vec<f64>,
    /// Samples held per deployment, at most `size`.
    len: Vec<u16>,
    /// Per deployment, the slot the next sample goes to (the oldest sample once full).
    next: Vec<u16>,
    /// Per deployment, the sum of the samples held, so a mean costs one division.
    sum: Vec<f64>,
    /// Per deployment, when the last sample arrived; `ttl` is measured from it.
    updated: Vec<Time>,
}

impl Windows {
    /// Empty windows of `size` samples for `deployments` deployments: the only allocation.
    fn new(deployments: usize, size: usize) -> Self {
        Windows {
            size,
            values: vec![0.0; deployments * size],
            len: vec![0; deployments],
            next: vec![0; deployments],
            sum: vec![0.0; deployments],
            updated: vec![Time::ZERO; deployments],
        }
    }

    /// Adds `sample` to deployment `d`'s window at `now`, dropping the oldest sample when the
    /// window is full, and restarts its `ttl`.
    fn push(&mut self, d: usize, sample: f64, now: Time) {
        let slot = d * self.size + usize::from(self.next[d]);
        if usize::from(self.len[d]) == self.size {
            self.sum[d] -= self.values[slot];
        } else {
            self.len[d] += 1;
        }
        self.values[slot] = sample;
        self.sum[d] += sample;
        self.next[d] = ((usize::from(self.next[d]) + 1) % self.size) as u16;
        self.updated[d] = now;
    }

    /// Empties deployment `d`'s window (its samples outlived `ttl`); the stale values stay in
    /// the ring but are no longer counted.
    fn forget(&mut self, d: usize) {
        self.len[d] = 0;
        self.next[d] = 0;
        self.sum[d] = 0.0;
    }

    /// The window's mean at `now`, 0 when empty or older than `ttl`.
    fn mean(&self, d: usize, now: Time, ttl: Duration) -> f64 {
        if self.len[d] == 0 || now.since(self.updated[d]) > ttl {
            0.0
        } else {
            self.sum[d] / f64::from(self.len[d])
        }
    }
}

/// Lowest recent latency: the state of `latency-based-routing` for every deployment.
#[derive(Debug, Clone)]
pub struct LatencyBased {
    /// `routing_strategy_args.ttl`: a window older than this counts as empty.
    ttl: Duration,
    /// `lowest_latency_buffer`: a candidate within `lowest × (1 + buffer)` may be picked; 0
    /// keeps only the candidates tied at the lowest.
    buffer: f64,
    /// Non-streaming samples: seconds per output token (seconds when none were produced).
    latency: Windows,
    /// Streaming samples: seconds to the first token.
    ttft: Windows,
}

impl LatencyBased {
    /// Windows for `deployments` deployments with LiteLLM's defaults overridden by `args`:
    /// `max_latency_list_size` 10 (at least 1), `ttl` 3600 s, `lowest_latency_buffer` 0.
    pub fn new(deployments: usize, args: &StrategyArgs) -> Self {
        let size = args.max_latency_list_size.unwrap_or(10).max(1) as usize;
        LatencyBased {
            ttl: args.ttl.unwrap_or(Duration::from_secs(3600)),
            buffer: args.lowest_latency_buffer.unwrap_or(0.0),
            latency: Windows::new(deployments, size),
            ttft: Windows::new(deployments, size),
        }
    }

    /// The average a request would be judged by (streaming: time to first token), in seconds
    /// (per output token when not streaming); 0 for a deployment with no sample younger than
    /// `ttl`, so a new or long-idle deployment looks fastest and is tried.
    pub fn score(&self, d: DeploymentIdx, stream: bool, now: Time) -> f64 {
        let w = if stream { &self.ttft } else { &self.latency };
        w.mean(d.get(), now, self.ttl)
    }
}

impl Strategy for LatencyBased {
    /// ROUTING.md §3: among the candidates under their `rpm`/`tpm` this minute, the lowest
    /// score sets a ceiling of `lowest × (1 + buffer)`; one of the candidates at or below it is
    /// drawn uniformly (a reservoir sample, one draw per such candidate, no allocation). `None`
    /// when every candidate is at its limits; the pipeline then refuses with "no deployments
    /// available".
    fn pick<R: Rng + ?Sized>(
        &self,
        candidates: &[DeploymentIdx],
        ctx: &PickContext<'_>,
        rng: &mut R,
    ) -> Option<DeploymentIdx> {
        let stream = ctx.request.stream;
        let lowest = candidates
            .iter()
            .filter(|d| ctx.under_limits(**d))
            .map(|d| self.score(*d, stream, ctx.now))
            .min_by(f64::total_cmp)?;
        let ceiling = lowest + self.buffer * lowest;
        let mut chosen = None;
        let mut seen = 0u32;
        for &d in candidates {
            if ctx.under_limits(d) && self.score(d, stream, ctx.now) <= ceiling {
                seen += 1;
                if rng.random_range(0..seen) == 0 {
                    chosen = Some(d);
                }
            }
        }
        chosen
    }

    /// Records the attempt's sample at `now`, after emptying windows older than `ttl`: a
    /// success adds its time to first token (streaming) or its latency per output token; a
    /// timeout adds `TIMEOUT_PENALTY` (1000); any other failure adds nothing.
    fn on_outcome(
        &mut self,
        d: DeploymentIdx,
        request: &RequestSpec,
        outcome: &Outcome,
        now: Time,
    ) {
        let i = d.get();
        for w in [&mut self.latency, &mut self.ttft] {
            if now.since(w.updated[i]) > self.ttl {
                w.forget(i);
            }
        }
        match outcome {
            Outcome::Success(c) => {
                if request.stream {
                    self.ttft.push(i, c.time_to_first_token.as_secs_f64(), now);
                } else {
                    let secs = c.latency.as_secs_f64();
                    let sample = if c.output_tokens > 0 {
                        secs / f64::from(c.output_tokens)
                    } else {
                        secs
                    };
                    self.latency.push(i, sample, now);
                }
            }
            Outcome::Failure(f) if f.class == ErrorClass::Timeout => {
                let w = if request.stream {
                    &mut self.ttft
                } else {
                    &mut self.latency
                };
                w.push(i, TIMEOUT_PENALTY, now);
            }
            Outcome::Failure(_) => {}
        }
    }
}
