//! ROUTING.md §7 as a filter: a deployment whose provider's or own budget is used up, or any
//! deployment when one of the request's tags' budgets is, is not eligible; when none is left the
//! group fails with `budget_exceeded`.
//!
//! It decides only the exclusion; spend and windows are `budget`'s.

use super::Filter;
use crate::config::deployment_table::DeploymentIdx;
use crate::router::budget::Budgets;
use crate::router::error_class::ErrorClass;
use crate::router::tags::TagSet;
use crate::router::trace::{BudgetKind, Filtered};
use crate::time::Time;

/// Excludes deployments over a budget at `now`.
pub(in crate::router) struct OverBudget<'a> {
    budgets: &'a Budgets,
    blocked_by_tag: bool,
    now: Time,
}

impl<'a> OverBudget<'a> {
    /// The filter for a request with `tags` at `now`.
    pub(in crate::router) fn new(budgets: &'a Budgets, tags: TagSet, now: Time) -> Self {
        OverBudget {
            budgets,
            blocked_by_tag: budgets.tags_exhausted(tags, now),
            now,
        }
    }
}

impl Filter for OverBudget<'_> {
    const REFUSAL: Option<ErrorClass> = Some(ErrorClass::BudgetExceeded);

    fn excludes(&self, d: DeploymentIdx) -> Option<Filtered> {
        let kind = if self.blocked_by_tag {
            Some(BudgetKind::Tag)
        } else {
            self.budgets.excludes(d.get(), self.now)
        };
        kind.map(Filtered::OverBudget)
    }
}
