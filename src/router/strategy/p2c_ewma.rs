//! `p2c-ewma` (Switchyard's own; LiteLLM has no such strategy): the power of two random choices
//! scored by a peak-sensitive EWMA of latency times (in flight + 1), the balancer of linkerd and
//! finagle, with time passed in.
//!
//! Two distinct candidates are drawn at random and the lower score wins (ties to the first
//! drawn). The EWMA jumps to any sample above it (peak sensitivity) and otherwise decays toward
//! new samples with weight `exp(-Δt / decay)`; `routing_strategy_args.decay` (seconds, default
//! 10) sets the decay time. A deployment with no sample scores 0, so it is tried.
//!
//! Off unless `routing_strategy: p2c-ewma` is set. Like `least-busy` it does not check
//! `rpm`/`tpm`; it must not read a clock (Δt comes from the `now` of each outcome).

use std::time::Duration;

use rand::Rng;

use super::{PickContext, Strategy};
use crate::config::deployment_table::DeploymentIdx;
use crate::config::settings::StrategyArgs;
use crate::router::request::{Outcome, RequestSpec};
use crate::time::Time;

/// Power of two choices over peak-EWMA latency × load.
#[derive(Debug, Clone)]
pub struct P2cEwma {
    /// The decay time in seconds (kept above 0 so the weight is always defined).
    decay_secs: f64,
    /// Per deployment, the peak EWMA of attempt latency in seconds; 0 before any sample.
    ewma: Vec<f64>,
    /// Per deployment, when `ewma` last took a sample; Δt is measured from it.
    stamp: Vec<Time>,
}

impl P2cEwma {
    /// State for `deployments` deployments, with `routing_strategy_args.decay` (10 s).
    pub fn new(deployments: usize, args: &StrategyArgs) -> Self {
        P2cEwma {
            decay_secs: args
                .decay
                .unwrap_or(Duration::from_secs(10))
                .as_secs_f64()
                .max(1e-9),
            ewma: vec![0.0; deployments],
            stamp: vec![Time::ZERO; deployments],
        }
    }

    /// The load-weighted latency a pick compares: EWMA seconds × (`in_flight` + 1), so a
    /// deployment with twice the work outstanding must be twice as fast to win.
    pub fn score(&self, d: DeploymentIdx, in_flight: u32) -> f64 {
        self.ewma[d.get()] * f64::from(in_flight + 1)
    }
}

impl Strategy for P2cEwma {
    /// Two distinct candidates drawn uniformly (two draws from `rng`, none for a single
    /// candidate); the lower score wins, the first drawn on a tie.
    fn pick<R: Rng + ?Sized>(
        &self,
        candidates: &[DeploymentIdx],
        ctx: &PickContext<'_>,
        rng: &mut R,
    ) -> Option<DeploymentIdx> {
        let n = candidates.len();
        match n {
            0 => return None,
            1 => return Some(candidates[0]),
            _ => {}
        }
        let i = rng.random_range(0..n);
        let mut j = rng.random_range(0..n - 1);
        if j >= i {
            j += 1;
        }
        let (a, b) = (candidates[i], candidates[j]);
        let score = |d: DeploymentIdx| self.score(d, ctx.live.get(d).in_flight);
        Some(if score(b) < score(a) { b } else { a })
    }

    /// Every outcome is a sample, failures included: a sample above the EWMA replaces it, a
    /// lower one is blended in with weight `1 - exp(-Δt / decay)`, Δt since the last sample.
    /// A deployment that fails fast therefore looks fast; cooldowns, not this score, keep it
    /// out.
    fn on_outcome(
        &mut self,
        d: DeploymentIdx,
        _request: &RequestSpec,
        outcome: &Outcome,
        now: Time,
    ) {
        let sample = match outcome {
            Outcome::Success(c) => c.latency.as_secs_f64(),
            Outcome::Failure(f) => f.latency.as_secs_f64(),
        };
        let i = d.get();
        let old = self.ewma[i];
        self.ewma[i] = if sample > old {
            sample
        } else {
            let w = (-now.since(self.stamp[i]).as_secs_f64() / self.decay_secs).exp();
            old * w + sample * (1.0 - w)
        };
        self.stamp[i] = now;
    }
}
