//! The router's live view of each deployment: what is in flight now.
//!
//! Later capabilities (usage windows, latency samples, cooldowns, spend) keep their own state
//! beside it. It decides only what is counted and when; it never reads a clock.

use crate::config::deployment_table::DeploymentIdx;

/// Live counters of one deployment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeploymentState {
    /// Attempts sent and not yet answered (a request waiting out a backoff before its attempt
    /// counts too: it is committed to the deployment).
    pub in_flight: u32,
}

/// Live counters of every deployment, indexed by [`DeploymentIdx`].
#[derive(Debug, Clone, Default)]
pub struct LiveState {
    deployments: Vec<DeploymentState>,
}

impl LiveState {
    /// Zeroed state for `n` deployments.
    pub fn new(n: usize) -> Self {
        LiveState {
            deployments: vec![DeploymentState::default(); n],
        }
    }

    /// One deployment's state.
    pub fn get(&self, d: DeploymentIdx) -> &DeploymentState {
        &self.deployments[d.get()]
    }

    /// Every deployment's state.
    pub fn all(&self) -> &[DeploymentState] {
        &self.deployments
    }

    /// An attempt was sent to `d`.
    pub fn dispatched(&mut self, d: DeploymentIdx) {
        self.deployments[d.get()].in_flight += 1;
    }

    /// An attempt at `d` came back.
    pub fn answered(&mut self, d: DeploymentIdx) {
        let s = &mut self.deployments[d.get()];
        s.in_flight = s.in_flight.saturating_sub(1);
    }
}
