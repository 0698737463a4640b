//! `p2c-ewma` (Switchyard's own; LiteLLM has no such strategy): the power of two random choices
//! scored by a peak-sensitive EWMA of latency times (in flight + 1), the balancer of linkerd and
//! finagle, with time passed in.
//!
//! Two distinct candidates are drawn at random and the lower score wins (ties to the first
//! drawn). The EWMA jumps to any sample above it (peak sensitivity) and otherwise decays toward
//! new samples with weight `exp(-Δt / decay)`; `routing_strategy_args.decay` (seconds, default
//! 10) sets the decay time. A deployment with no sample scores 0, so it is tried.

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
    decay_secs: f64,
    ewma: Vec<f64>,
    stamp: Vec<Time>,
}

impl P2cEwma {
    /// State for `deployments` deployments.
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

    /// The load-weighted latency a pick compares.
    pub fn score(&self, d: DeploymentIdx, in_flight: u32) -> f64 {
        self.ewma[d.get()] * f64::from(in_flight + 1)
    }
}

impl Strategy for P2cEwma {
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
