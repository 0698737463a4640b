//! Read-only views of the router's state for operators (the live proxy's `/router/…`
//! endpoints): per-minute usage beside the health and budget views the router already offers.
//!
//! It only reads: nothing here changes a count, draws a random number or reads a clock, so a
//! view taken between two decisions changes neither of them.

use super::Router;
use super::usage::MinuteUsage;
use crate::config::deployment_table::DeploymentIdx;

impl Router {
    /// One deployment's requests and tokens in the current minute, as the rpm/tpm checks and
    /// usage-based routing read them (with a fleet, the fleet's totals as last synced plus this
    /// instance's own additions since).
    pub fn minute_usage(&self, d: DeploymentIdx) -> &MinuteUsage {
        &self.usage[d.get()]
    }
}
