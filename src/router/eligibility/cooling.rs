//! ROUTING.md §2, first filter: a deployment in cooldown is not eligible until its cooldown ends.
//!
//! It decides only whether a cooldown excludes a deployment at an instant; when cooldowns start
//! and end is `cooldown`'s.

use super::Filter;
use crate::config::deployment_table::DeploymentIdx;
use crate::router::cooldown::Health;
use crate::router::trace::Filtered;
use crate::time::Time;

/// Excludes deployments cooling at `now`.
pub(in crate::router) struct Cooling<'a> {
    pub(in crate::router) health: &'a [Health],
    pub(in crate::router) now: Time,
}

impl Filter for Cooling<'_> {
    #[inline]
    fn excludes(&self, d: DeploymentIdx) -> Option<Filtered> {
        let until = self.health[d.get()].cooling_until;
        (self.now < until).then_some(Filtered::Cooling(until))
    }
}
