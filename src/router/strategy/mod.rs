//! Routing strategies: given the eligible deployments and their live state, pick one.
//!
//! One file per strategy behind the small [`Strategy`] trait; [`StrategyKind`] dispatches by
//! `match` so that the hot path has no virtual calls. A strategy only chooses among the
//! candidates it is handed: filtering (cooldown, budget, tags, `order`) happens before it.
//! Strategies that learn from outcomes (latency, EWMA) keep their state in fixed-size vectors
//! indexed by deployment, sized once.

mod cost_based;
mod latency_based;
mod least_busy;
mod p2c_ewma;
mod simple_shuffle;
mod usage_based;

pub use cost_based::CostBased;
pub use latency_based::LatencyBased;
pub use least_busy::LeastBusy;
pub use p2c_ewma::P2cEwma;
pub use simple_shuffle::SimpleShuffle;
pub use usage_based::UsageBased;

use rand::Rng;

use super::live_state::LiveState;
use super::pricing::Price;
use super::request::{Outcome, RequestSpec};
use super::trace::Filtered;
use super::usage::MinuteUsage;
use crate::config::deployment_table::{DeploymentIdx, DeploymentTable};
use crate::config::{RouterSettings, RoutingStrategy};
use crate::time::Time;

/// What a strategy may look at when it picks.
pub struct PickContext<'a> {
    /// Static deployment data.
    pub table: &'a DeploymentTable,
    /// Live counters.
    pub live: &'a LiveState,
    /// Usage in the current minute, by deployment.
    pub usage: &'a [MinuteUsage],
    /// Prices, by deployment.
    pub prices: &'a [Option<Price>],
    /// The request.
    pub request: &'a RequestSpec,
    /// The current instant.
    pub now: Time,
}

impl PickContext<'_> {
    /// Whether `d` is under its `rpm` and has room for this request under its `tpm` this minute.
    #[inline]
    pub fn under_limits(&self, d: DeploymentIdx) -> bool {
        let config = &self.table.deployment(d).config;
        let usage = &self.usage[d.get()];
        config
            .rpm
            .is_none_or(|rpm| u64::from(usage.requests(self.now)) < rpm)
            && config.tpm.is_none_or(|tpm| {
                usage.tokens(self.now) + u64::from(self.request.input_tokens) <= tpm
            })
    }
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

    /// The attempt of `request` at `deployment` ended with `outcome` at `now`.
    fn on_outcome(
        &mut self,
        _deployment: DeploymentIdx,
        _request: &RequestSpec,
        _outcome: &Outcome,
        _now: Time,
    ) {
    }
}

/// The configured strategy.
#[derive(Debug, Clone)]
pub enum StrategyKind {
    /// `simple-shuffle`.
    SimpleShuffle(SimpleShuffle),
    /// `least-busy`.
    LeastBusy(LeastBusy),
    /// `latency-based-routing`.
    LatencyBased(Box<LatencyBased>),
    /// `cost-based-routing`.
    CostBased(CostBased),
    /// `usage-based-routing` and `usage-based-routing-v2`.
    UsageBased(UsageBased),
    /// `p2c-ewma` (Switchyard's own).
    P2cEwma(P2cEwma),
}

impl StrategyKind {
    /// The strategy the settings name, sized for `deployments` deployments.
    pub fn new(settings: &RouterSettings, deployments: usize) -> StrategyKind {
        let args = &settings.strategy_args;
        match settings.routing_strategy {
            RoutingStrategy::SimpleShuffle => StrategyKind::SimpleShuffle(SimpleShuffle),
            RoutingStrategy::LeastBusy => StrategyKind::LeastBusy(LeastBusy::new(
                deployments,
                settings.improvements.least_busy_exact,
            )),
            RoutingStrategy::LatencyBased => {
                StrategyKind::LatencyBased(Box::new(LatencyBased::new(deployments, args)))
            }
            RoutingStrategy::CostBased => StrategyKind::CostBased(CostBased),
            RoutingStrategy::UsageBased | RoutingStrategy::UsageBasedV2 => {
                StrategyKind::UsageBased(UsageBased {
                    exact_rpm: settings.improvements.usage_exact_rpm,
                })
            }
            RoutingStrategy::P2cEwma => StrategyKind::P2cEwma(P2cEwma::new(deployments, args)),
        }
    }

    /// Whether a refusal by this strategy is LiteLLM's usage-based 429 (retry after 60 s).
    pub fn refuses_with_rate_limit(&self) -> bool {
        matches!(self, StrategyKind::UsageBased(_))
    }

    /// Why the strategy itself will not pick `d` now, for `--explain` (only usage-based
    /// routing refuses deployments; the others pick among every candidate).
    pub fn excludes(&self, d: DeploymentIdx, ctx: &PickContext<'_>) -> Option<Filtered> {
        match self {
            StrategyKind::UsageBased(s) => s.excludes(d, ctx),
            StrategyKind::SimpleShuffle(_)
            | StrategyKind::LeastBusy(_)
            | StrategyKind::LatencyBased(_)
            | StrategyKind::CostBased(_)
            | StrategyKind::P2cEwma(_) => None,
        }
    }
}

macro_rules! dispatch {
    ($self:expr, $s:ident => $body:expr) => {
        match $self {
            StrategyKind::SimpleShuffle($s) => $body,
            StrategyKind::LeastBusy($s) => $body,
            StrategyKind::LatencyBased($s) => $body,
            StrategyKind::CostBased($s) => $body,
            StrategyKind::UsageBased($s) => $body,
            StrategyKind::P2cEwma($s) => $body,
        }
    };
}

impl Strategy for StrategyKind {
    #[inline(always)]
    fn pick<R: Rng + ?Sized>(
        &self,
        candidates: &[DeploymentIdx],
        ctx: &PickContext<'_>,
        rng: &mut R,
    ) -> Option<DeploymentIdx> {
        dispatch!(self, s => s.pick(candidates, ctx, rng))
    }

    fn on_dispatch(&mut self, deployment: DeploymentIdx, now: Time) {
        dispatch!(self, s => s.on_dispatch(deployment, now))
    }

    fn on_outcome(
        &mut self,
        deployment: DeploymentIdx,
        request: &RequestSpec,
        outcome: &Outcome,
        now: Time,
    ) {
        dispatch!(self, s => s.on_outcome(deployment, request, outcome, now))
    }
}
