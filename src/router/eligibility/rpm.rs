//! ROUTING.md §3, the second pre-call check (`enable_pre_call_checks`): a deployment that has
//! been sent its `rpm` this minute is not eligible. When none is left the pipeline goes on and
//! ends with "no deployments available".
//!
//! It decides only the exclusion; counting requests per minute is `usage`'s.

use super::Filter;
use crate::config::deployment_table::{DeploymentIdx, DeploymentTable};
use crate::router::trace::Filtered;
use crate::router::usage::MinuteUsage;
use crate::time::Time;

/// Excludes deployments at their `rpm` in `now`'s minute.
pub(in crate::router) struct RpmLimit<'a> {
    pub(in crate::router) table: &'a DeploymentTable,
    pub(in crate::router) usage: &'a [MinuteUsage],
    pub(in crate::router) now: Time,
}

impl Filter for RpmLimit<'_> {
    fn excludes(&self, d: DeploymentIdx) -> Option<Filtered> {
        let rpm = self.table.deployment(d).config.rpm?;
        let used = self.usage[d.get()].requests(self.now);
        (u64::from(used) >= rpm).then_some(Filtered::RpmLimit { used, rpm })
    }
}
