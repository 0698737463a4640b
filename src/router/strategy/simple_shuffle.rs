//! `simple-shuffle`: LiteLLM's default, a weighted random choice.
//!
//! Among the candidates, the weight field is `weight` if any candidate has a positive `weight`,
//! else `rpm`, else `tpm`; a candidate without the field weighs 0. No positive value anywhere:
//! uniform. This is LiteLLM 1.108's `simple_shuffle` over the healthy deployments. Under this
//! strategy `rpm`/`tpm` are weights only; limits are enforced elsewhere (pre-call checks).
//!
//! It keeps no state and learns nothing from outcomes; it must not look at live load, usage or
//! prices.

use rand::Rng;

use super::{PickContext, Strategy};
use crate::config::deployment_table::DeploymentIdx;

/// Weighted random choice (ROUTING.md §3), stateless.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimpleShuffle;

impl Strategy for SimpleShuffle {
    /// One draw from `rng` (none for a single candidate): a point in `[0, total)` of the chosen
    /// field's weights, walked over the candidates in group order, so a weight-0 candidate is
    /// never picked while another weighs more. No positive weight: a uniform index.
    #[inline(always)]
    fn pick<R: Rng + ?Sized>(
        &self,
        candidates: &[DeploymentIdx],
        ctx: &PickContext<'_>,
        rng: &mut R,
    ) -> Option<DeploymentIdx> {
        match candidates {
            [] => return None,
            [only] => return Some(*only),
            _ => {}
        }
        let deployments = ctx.table.deployments();
        // Metrics that nothing the first candidate can stand beside sets cannot weigh.
        let may_weigh = deployments[candidates[0].get()].may_weigh;
        for metric in (0..3).filter(|&m| may_weigh[m]) {
            let total: f64 = candidates
                .iter()
                .map(|d| deployments[d.get()].shuffle_metrics[metric])
                .sum();
            if total > 0.0 {
                let mut point = rng.random::<f64>() * total;
                let mut last_positive = candidates[0];
                for &d in candidates {
                    let w = deployments[d.get()].shuffle_metrics[metric];
                    if w > 0.0 {
                        if point < w {
                            return Some(d);
                        }
                        point -= w;
                        last_positive = d;
                    }
                }
                // Rounding left the point at the very end of the range.
                return Some(last_positive);
            }
        }
        Some(candidates[rng.random_range(0..candidates.len())])
    }
}
