//! A router's side of the sync seam ([`super::sync`]): what it hands the store and how it takes
//! the fleet's totals back. Decisions read the whole view — synced totals plus this instance's
//! own additions not yet back from the store — through the same fields they always read, so a
//! router that never syncs decides exactly as before.
//!
//! Shared: usage per deployment and minute, cooldown deadlines, spend per budget window.
//! Local: attempts in flight, the failure counts the cooldown rules read, the strategies'
//! latency windows. It decides which state is shared and how local and synced counts combine;
//! it never talks to a store, reads no clock and spawns nothing.

use std::collections::BTreeMap;

use super::Router;
use super::budget::BudgetIdx;
use super::sync::{CooldownMark, SpendDelta, SyncDelta, SyncTotals, UsageDelta};
use crate::config::deployment_table::DeploymentIdx;
use crate::time::Time;

impl Router {
    /// What this router added to the shared state since the last take: usage per deployment
    /// and minute, cooldowns it started, spend per budget window. The amounts stay counted
    /// locally (as *sent*) until totals that include them are applied, or until
    /// [`Router::sync_failed`] hands them back.
    pub fn take_sync_delta(&mut self, now: Time) -> SyncDelta {
        let mut delta = SyncDelta::default();
        for d in 0..self.usage.len() {
            let id = || {
                self.table
                    .deployment(DeploymentIdx(d as u32))
                    .config
                    .id
                    .clone()
            };
            if let Some((minute, requests, tokens)) = self.usage[d].take(now) {
                delta.usage.push(UsageDelta {
                    deployment: id(),
                    minute,
                    requests: u64::from(requests),
                    tokens,
                });
            }
            let until = self.health[d].cooling_until;
            if until > now && until > self.shared_cooldowns[d] {
                delta.cooldowns.push(CooldownMark {
                    deployment: id(),
                    until,
                });
            }
        }
        for b in 0..self.budgets.iter().count() {
            let budget = BudgetIdx(b as u32);
            let window = self.budgets.window_mut(budget);
            let period = window.period;
            if let Some((window_start, amount)) = window.take(now) {
                delta.spend.push(SpendDelta {
                    budget: self.budget_key(budget),
                    window_start,
                    period,
                    amount,
                });
            }
        }
        delta
    }

    /// Applies the fleet's totals read back from the store after the last take's delta was
    /// written: synced counts become the store's, what was sent is now part of them, and what
    /// was added since the take stays local. A cooldown another instance started cools the
    /// deployment here too, until the latest deadline.
    pub fn apply_sync_totals(&mut self, totals: &SyncTotals, now: Time) {
        let minute = now.minute();
        let mut usage: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        for u in totals.usage.iter().filter(|u| u.minute == minute) {
            usage.insert(u.deployment.as_str(), (u.requests, u.tokens));
        }
        for d in 0..self.usage.len() {
            let id = self
                .table
                .deployment(DeploymentIdx(d as u32))
                .config
                .id
                .as_str();
            let (requests, tokens) = usage.get(id).copied().unwrap_or((0, 0));
            self.usage[d].apply(now, requests, tokens);
        }
        for mark in &totals.cooldowns {
            let Some(d) = self.table.deployment_with_id(&mark.deployment) else {
                continue;
            };
            let shared = &mut self.shared_cooldowns[d.get()];
            *shared = (*shared).max(mark.until);
            let health = &mut self.health[d.get()];
            health.cooling_until = health.cooling_until.max(mark.until);
        }
        let spend: BTreeMap<&str, _> = totals
            .spend
            .iter()
            .map(|s| (s.budget.as_str(), (s.window_start, s.spent)))
            .collect();
        for b in 0..self.budgets.iter().count() {
            let budget = BudgetIdx(b as u32);
            let fleet = spend.get(self.budget_key(budget).as_str()).copied();
            self.budgets.window_mut(budget).apply(now, fleet);
        }
    }

    /// The last take's delta never reached the store. Spend is local again and goes with the
    /// next take, as LiteLLM's budget limiter keeps it; usage is given up, as LiteLLM's batched
    /// usage push drops a batch it could not write — unless `resend_unsynced_usage` keeps it
    /// too. Cooldowns the store has not confirmed are sent again anyway.
    pub fn sync_failed(&mut self) {
        let resend = self.settings.improvements.resend_unsynced_usage;
        for u in &mut self.usage {
            if resend {
                u.unsend();
            } else {
                u.drop_sent();
            }
        }
        for b in 0..self.budgets.iter().count() {
            self.budgets.window_mut(BudgetIdx(b as u32)).unsend();
        }
    }

    /// Budget `b`'s name in the store (`provider:…`, `deployment:…`, `tag:…`).
    fn budget_key(&self, b: BudgetIdx) -> String {
        self.budgets.scope(b, &self.table, &self.tags).key()
    }
}
