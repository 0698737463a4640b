//! LiteLLM's `order` as a filter: when any candidate sets it, only the lowest order at or above
//! the request's tier floor is eligible (deployments without an order are dropped then). When
//! the floor is set (a lower tier already gave up) and no candidate reaches it, none is.
//!
//! It decides only the exclusion; moving to the next tier when one gives up is the fallback
//! walk's.

use super::Filter;
use crate::config::deployment_table::{DeploymentIdx, DeploymentTable};
use crate::router::trace::Filtered;

/// Excludes deployments outside the tier in use.
pub(in crate::router) struct OrderTier<'a> {
    table: &'a DeploymentTable,
    /// The tier in use; `None` with a floor: no tier is left at or above it.
    tier: Option<u32>,
    floor: Option<u32>,
}

impl<'a> OrderTier<'a> {
    /// The tier in use among `candidates` at or above `floor`.
    pub(in crate::router) fn new(
        table: &'a DeploymentTable,
        candidates: &[DeploymentIdx],
        floor: Option<u32>,
    ) -> Self {
        let tier = candidates
            .iter()
            .filter_map(|d| table.deployment(*d).config.order)
            .filter(|o| floor.is_none_or(|f| *o >= f))
            .min();
        OrderTier { table, tier, floor }
    }
}

impl Filter for OrderTier<'_> {
    fn excludes(&self, d: DeploymentIdx) -> Option<Filtered> {
        let order = self.table.deployment(d).config.order;
        let tier = match (self.tier, self.floor) {
            (Some(tier), _) => tier,
            (None, Some(floor)) => floor,
            (None, None) => return None,
        };
        (order != Some(tier)).then_some(Filtered::OrderTier {
            order: order.unwrap_or(0),
            tier,
        })
    }

    /// The end of the tier walk is told by the group's failure, not deployment by deployment.
    fn traced(&self) -> bool {
        self.tier.is_some()
    }
}
