//! `least-busy`: the deployment with the fewest requests in flight.
//!
//! By default as LiteLLM 1.108.7 counts them (`router_strategy/least_busy.py`): the counter goes
//! up when the attempt starts (`log_pre_api_call`), after the choice, and down when it ends;
//! ties go to the first deployment of the healthy list (`min` over positions). Attempts chosen
//! at the same instant therefore do not see each other, and a burst piles onto the first
//! deployment (observed: all 30 first requests of a 30-client burst on one deployment). The
//! `least_busy_exact` improvement counts every attempt in flight, those chosen at this instant
//! included, and breaks ties at random.
//!
//! It decides only the pick; the in-flight counts are the router's `LiveState`. It must not
//! allocate per decision.

use rand::Rng;

use super::{PickContext, Strategy};
use crate::config::deployment_table::DeploymentIdx;
use crate::router::request::{Outcome, RequestSpec};
use crate::time::Time;

/// Counter moves of one deployment at one instant that LiteLLM's counter does not show yet to
/// a choice made at that same instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct SameInstant {
    /// The instant of the latest move.
    at: Time,
    /// Attempts dispatched at `at` (not started yet).
    started: u32,
    /// Attempts answered at `at` (their end not counted yet).
    ended: u32,
}

impl SameInstant {
    /// The moves at `now`, starting afresh when the last ones were at another instant.
    #[inline]
    fn at(&mut self, now: Time) -> &mut Self {
        if self.at != now {
            *self = SameInstant {
                at: now,
                started: 0,
                ended: 0,
            };
        }
        self
    }
}

/// Fewest in flight.
#[derive(Debug, Clone, Default)]
pub struct LeastBusy {
    /// Exact counts and random ties (the improvement) instead of LiteLLM's.
    exact: bool,
    /// By deployment: the counter moves of the latest instant (LiteLLM's count only).
    pending: Vec<SameInstant>,
}

impl LeastBusy {
    /// least-busy over `deployments` deployments; `exact` for the improvement.
    pub fn new(deployments: usize, exact: bool) -> Self {
        LeastBusy {
            exact,
            pending: if exact {
                Vec::new()
            } else {
                vec![SameInstant::default(); deployments]
            },
        }
    }

    /// `d`'s in-flight count as LiteLLM sees it at `now`: attempts dispatched at `now` have not
    /// started yet, and attempts answered at `now` still count.
    #[inline]
    fn litellm_count(&self, d: DeploymentIdx, ctx: &PickContext<'_>) -> u32 {
        let in_flight = ctx.live.get(d).in_flight;
        let p = self.pending[d.get()];
        if p.at == ctx.now {
            (in_flight + p.ended).saturating_sub(p.started)
        } else {
            in_flight
        }
    }
}

/// Picks uniformly among the candidates minimising `key`, without allocating: a reservoir
/// sample of size one over the minima.
pub(crate) fn random_min_by<R: Rng + ?Sized, K: PartialOrd + Copy>(
    candidates: &[DeploymentIdx],
    rng: &mut R,
    mut key: impl FnMut(DeploymentIdx) -> Option<K>,
) -> Option<DeploymentIdx> {
    let mut best: Option<(K, DeploymentIdx)> = None;
    let mut ties = 0u32;
    for &d in candidates {
        let Some(k) = key(d) else { continue };
        match best {
            Some((b, _)) if k > b => {}
            Some((b, _)) if k == b => {
                ties += 1;
                if rng.random_range(0..ties) == 0 {
                    best = Some((k, d));
                }
            }
            _ => {
                best = Some((k, d));
                ties = 1;
            }
        }
    }
    best.map(|(_, d)| d)
}

/// The first of the candidates minimising `key` (LiteLLM's `min` over positions).
fn first_min_by(
    candidates: &[DeploymentIdx],
    key: impl Fn(DeploymentIdx) -> u32,
) -> Option<DeploymentIdx> {
    candidates.iter().copied().min_by_key(|d| key(*d))
}

impl Strategy for LeastBusy {
    fn pick<R: Rng + ?Sized>(
        &self,
        candidates: &[DeploymentIdx],
        ctx: &PickContext<'_>,
        rng: &mut R,
    ) -> Option<DeploymentIdx> {
        if self.exact {
            random_min_by(candidates, rng, |d| Some(ctx.live.get(d).in_flight))
        } else {
            first_min_by(candidates, |d| self.litellm_count(d, ctx))
        }
    }

    fn on_dispatch(&mut self, deployment: DeploymentIdx, now: Time) {
        if let Some(p) = self.pending.get_mut(deployment.get()) {
            p.at(now).started += 1;
        }
    }

    fn on_outcome(
        &mut self,
        deployment: DeploymentIdx,
        _request: &RequestSpec,
        _outcome: &Outcome,
        now: Time,
    ) {
        if let Some(p) = self.pending.get_mut(deployment.get()) {
            p.at(now).ended += 1;
        }
    }
}
