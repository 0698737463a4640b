//! The routing state a scrape shows: which deployments are cooling and until when, what each
//! has in flight, its requests and tokens this minute, and every budget's spend. Copied out of
//! the router under its lock in one pass of plain reads (no formatting, nothing that can wait),
//! then rendered after the lock is released.
//!
//! It decides what of the router's state is shown and how it is read; it changes nothing.

use std::time::Duration;

use crate::live::proxy::state::SharedCore;
use crate::router::{BudgetScope, DeploymentIdx, Router};
use crate::time::Time;

/// One deployment's state now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeploymentNow {
    /// Time left in its cooldown (`None`: not cooling).
    pub cooling_for: Option<Duration>,
    /// Attempts the router counts in flight (including one waiting out a backoff).
    pub in_flight: u32,
    /// Requests sent in this minute (what an `rpm` limit is checked against).
    pub requests_this_minute: u32,
    /// Tokens of the successes answered this minute (what a `tpm` limit is checked against).
    pub tokens_this_minute: u64,
}

/// One budget's state now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetNow {
    /// The limit, dollars.
    pub limit: f64,
    /// Spent in the running window, dollars (0 when no window runs).
    pub spent: f64,
}

/// The router's state at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingState {
    /// Each deployment, in table order.
    pub deployments: Vec<DeploymentNow>,
    /// Each budget, in the router's budget order.
    pub budgets: Vec<BudgetNow>,
}

/// Reads the state at `now` under the router's lock.
pub fn read(core: &SharedCore, now: Time, deployments: usize, budgets: usize) -> RoutingState {
    let mut state = RoutingState {
        deployments: Vec::with_capacity(deployments),
        budgets: Vec::with_capacity(budgets),
    };
    core.with(|c| copy(&c.router, now, &mut state));
    state
}

fn copy(router: &Router, now: Time, state: &mut RoutingState) {
    for (i, live) in router.live().all().iter().enumerate() {
        let d = DeploymentIdx(i as u32);
        let health = router.health(d);
        let usage = router.usage(d);
        state.deployments.push(DeploymentNow {
            cooling_for: health.is_cooling(now).then(|| health.cooling_until - now),
            in_flight: live.in_flight,
            requests_this_minute: usage.requests(now),
            tokens_this_minute: usage.tokens(now),
        });
    }
    state
        .budgets
        .extend(router.budgets().map(|(_, w)| BudgetNow {
            limit: w.limit,
            spent: w.spent(now),
        }));
}

/// Each budget's (kind, name): `provider`/`deployment`/`tag` and what it limits, in the
/// router's budget order (fixed at start, so read once).
pub fn budget_names(router: &Router) -> Vec<(&'static str, String)> {
    router
        .budgets()
        .map(|(b, _)| match router.budget_scope(b) {
            BudgetScope::Provider(p) => ("provider", p),
            BudgetScope::Deployment(d) => ("deployment", d),
            BudgetScope::Tag(t) => ("tag", t),
        })
        .collect()
}
