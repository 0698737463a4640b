//! Routing strategies: given the eligible deployments and their live state, pick one.
//!
//! One file per strategy behind the small [`Strategy`] trait; [`StrategyKind`] dispatches by
//! `match` so that the hot path has no virtual calls. A strategy only chooses among the
//! candidates it is handed: filtering (cooldown, budget, tags, `order`) happens before it.

mod simple_shuffle;

pub use simple_shuffle::SimpleShuffle;

use rand::Rng;

use super::deployment::{DeploymentIdx, DeploymentTable};
use super::live_state::LiveState;
use super::request::{Outcome, RequestSpec};
use crate::config::RoutingStrategy;
use crate::time::Time;

/// What a strategy may look at when it picks.
pub struct PickContext<'a> {
    /// Static deployment data.
    pub table: &'a DeploymentTable,
    /// Live counters.
    pub live: &'a LiveState,
    /// The request.
    pub request: &'a RequestSpec,
    /// The current instant.
    pub now: Time,
}

/// A way of choosing one deployment among eligible candidates.
pub trait Strategy {
    /// Picks one of `candidates` (never empty), or `None` when the strategy itself refuses
    /// (usage-based routing at its limits).
    fn pick<R: Rng + ?Sized>(
        &self,
        candidates: &[DeploymentIdx],
        ctx: &PickContext<'_>,
        rng: &mut R,
    ) -> Option<DeploymentIdx>;

    /// An attempt went to `deployment` at `now`.
    fn on_dispatch(&mut self, _deployment: DeploymentIdx, _now: Time) {}

    /// The attempt at `deployment` ended with `outcome` at `now`.
    fn on_outcome(&mut self, _deployment: DeploymentIdx, _outcome: &Outcome, _now: Time) {}
}

/// The configured strategy.
#[derive(Debug, Clone)]
pub enum StrategyKind {
    /// `simple-shuffle`.
    SimpleShuffle(SimpleShuffle),
}

/// A strategy the config names but this version cannot run yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedStrategy(pub RoutingStrategy);

impl StrategyKind {
    /// The implementation of `strategy`.
    pub fn new(strategy: RoutingStrategy) -> Result<StrategyKind, UnsupportedStrategy> {
        match strategy {
            RoutingStrategy::SimpleShuffle => Ok(StrategyKind::SimpleShuffle(SimpleShuffle)),
            RoutingStrategy::LeastBusy
            | RoutingStrategy::LatencyBased
            | RoutingStrategy::CostBased
            | RoutingStrategy::UsageBased
            | RoutingStrategy::UsageBasedV2
            | RoutingStrategy::P2cEwma => Err(UnsupportedStrategy(strategy)),
        }
    }
}

impl Strategy for StrategyKind {
    fn pick<R: Rng + ?Sized>(
        &self,
        candidates: &[DeploymentIdx],
        ctx: &PickContext<'_>,
        rng: &mut R,
    ) -> Option<DeploymentIdx> {
        match self {
            StrategyKind::SimpleShuffle(s) => s.pick(candidates, ctx, rng),
        }
    }

    fn on_dispatch(&mut self, deployment: DeploymentIdx, now: Time) {
        match self {
            StrategyKind::SimpleShuffle(s) => s.on_dispatch(deployment, now),
        }
    }

    fn on_outcome(&mut self, deployment: DeploymentIdx, outcome: &Outcome, now: Time) {
        match self {
            StrategyKind::SimpleShuffle(s) => s.on_outcome(deployment, outcome, now),
        }
    }
}
