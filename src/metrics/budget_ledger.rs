//! What a run's budgets did over the whole run, for reports: spend across every window, when
//! each budget was first used up, and how many windows it opened.
//!
//! The router keeps only what its decisions need (the current window of each budget); this
//! ledger follows each charge the driver reports and keeps the rest. It decides nothing.

use crate::router::{BudgetIdx, BudgetWindow};
use crate::time::Time;

use super::BudgetState;

/// One budget's tally.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Tally {
    spent: f64,
    exhausted_at: Option<Time>,
}

/// Every budget's tally, indexed by [`BudgetIdx`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BudgetLedger {
    tallies: Vec<Tally>,
}

impl BudgetLedger {
    /// A ledger for `budgets` budgets.
    pub fn new(budgets: usize) -> Self {
        BudgetLedger {
            tallies: vec![Tally::default(); budgets],
        }
    }

    /// `cost` was charged to `budget` at `now`; `window` is the budget's window after it.
    pub fn charged(&mut self, budget: BudgetIdx, cost: f64, window: &BudgetWindow, now: Time) {
        let Some(tally) = self.tallies.get_mut(budget.get()) else {
            return;
        };
        tally.spent += cost;
        if tally.exhausted_at.is_none() && window.exhausted(now) {
            tally.exhausted_at = Some(now);
        }
    }

    /// The end-of-run state of each budget, named by `key` and read from its final `window`.
    pub fn states<'a>(
        &self,
        budgets: impl Iterator<Item = (String, &'a BudgetWindow)>,
    ) -> Vec<BudgetState> {
        budgets
            .zip(&self.tallies)
            .map(|((key, window), tally)| BudgetState {
                key,
                limit: window.limit,
                spent: tally.spent,
                exhausted_at: tally.exhausted_at,
                window_resets: window.opened().saturating_sub(1),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_ledger_adds_spend_across_windows_and_keeps_the_first_exhaustion() {
        let mut window = BudgetWindow::new(1.0, Duration::from_secs(10));
        let mut ledger = BudgetLedger::new(1);
        let b = BudgetIdx(0);
        for (at, cost) in [(0.0, 0.6), (5.0, 0.6), (12.0, 0.5), (13.0, 0.7)] {
            let now = Time::from_secs_f64(at);
            window.spend(cost, now);
            ledger.charged(b, cost, &window, now);
        }
        let states = ledger.states(std::iter::once(("tag:x".to_string(), &window)));
        assert_eq!(states[0].window_resets, 1);
        assert_eq!(states[0].exhausted_at, Some(Time::from_secs_f64(5.0)));
        assert!((states[0].spent - 2.4).abs() < 1e-12);
    }
}
