//! The `prefer_untried_deployment` improvement (off by default): a retry prefers a deployment
//! this request has not failed on yet in this group, when there is one.
//!
//! A preference, not a rule: when every candidate was tried, it excludes nothing. It is not
//! told in `--explain` (the strategy's choice among fewer candidates is).

use super::Filter;
use crate::config::deployment_table::DeploymentIdx;
use crate::router::trace::Filtered;

/// Excludes the deployments this request already tried, when some candidate is untried.
pub(in crate::router) struct Untried<'a> {
    tried: &'a [DeploymentIdx],
    any_untried: bool,
}

impl<'a> Untried<'a> {
    /// The preference among `candidates`.
    pub(in crate::router) fn new(candidates: &[DeploymentIdx], tried: &'a [DeploymentIdx]) -> Self {
        Untried {
            tried,
            any_untried: candidates.iter().any(|d| !tried.contains(d)),
        }
    }
}

impl Filter for Untried<'_> {
    fn excludes(&self, d: DeploymentIdx) -> Option<Filtered> {
        (self.any_untried && self.tried.contains(&d)).then_some(Filtered::FailedEarlier)
    }

    fn traced(&self) -> bool {
        false
    }
}
