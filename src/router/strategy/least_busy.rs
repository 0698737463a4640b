//! `least-busy`: the deployment with the fewest requests in flight.
//!
//! Counts are exact (the router's in-flight counters move at dispatch and at the outcome), and
//! ties are broken at random. LiteLLM bumps its counter after the choice and breaks ties by
//! position, so a burst piles onto the first deployment; that is a known bug, not behaviour
//! to copy.

use rand::Rng;

use super::{PickContext, Strategy};
use crate::config::deployment_table::DeploymentIdx;

/// Fewest in flight, ties at random.
#[derive(Debug, Clone, Copy, Default)]
pub struct LeastBusy;

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

impl Strategy for LeastBusy {
    fn pick<R: Rng + ?Sized>(
        &self,
        candidates: &[DeploymentIdx],
        ctx: &PickContext<'_>,
        rng: &mut R,
    ) -> Option<DeploymentIdx> {
        random_min_by(candidates, rng, |d| Some(ctx.live.get(d).in_flight))
    }
}
