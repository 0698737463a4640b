//! ROUTING.md §2: a deployment that already failed this request in this group with a status that
//! is not retried on the same deployment (and no retry policy names the class) is not tried again.
//!
//! It decides only the exclusion; which failures put a deployment on the list is the router's.

use super::Filter;
use crate::config::deployment_table::DeploymentIdx;
use crate::router::trace::Filtered;

/// Excludes the deployments on the request's skip list.
pub(in crate::router) struct FailedEarlier<'a> {
    pub(in crate::router) skipped: &'a [DeploymentIdx],
}

impl Filter for FailedEarlier<'_> {
    fn excludes(&self, d: DeploymentIdx) -> Option<Filtered> {
        self.skipped.contains(&d).then_some(Filtered::FailedEarlier)
    }
}
