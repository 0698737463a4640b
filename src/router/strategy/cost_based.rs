//! `cost-based-routing`: the cheapest deployment by input + output price per token, among those
//! under their `rpm`/`tpm` this minute; ties at random.
//!
//! Prices come from the router's price source (deployment, `--prices` file, built-in table); a
//! deployment no source prices is treated as the most expensive, so it is chosen only when
//! nothing priced is eligible.

use rand::Rng;

use super::least_busy::random_min_by;
use super::{PickContext, Strategy};
use crate::config::deployment_table::DeploymentIdx;

/// Cheapest first.
#[derive(Debug, Clone, Copy, Default)]
pub struct CostBased;

impl Strategy for CostBased {
    fn pick<R: Rng + ?Sized>(
        &self,
        candidates: &[DeploymentIdx],
        ctx: &PickContext<'_>,
        rng: &mut R,
    ) -> Option<DeploymentIdx> {
        random_min_by(candidates, rng, |d| {
            ctx.under_limits(d)
                .then(|| ctx.prices[d.get()].map_or(f64::INFINITY, |p| p.input + p.output))
        })
    }
}
