//! Budgets (ROUTING.md §7): provider, deployment and tag spend limits over a period.
//!
//! A window starts at the first spend; it is over once its period has elapsed (LiteLLM keeps the
//! spend in a cache key whose time-to-live is the period), and the next spend opens a new one.
//! Spend is charged on success only, at the router's price. A deployment is excluded while its
//! provider's, its own, or any of the request's tags' windows have reached their limit. It
//! decides spend and exhaustion; it must not pick deployments.

use std::time::Duration;

use crate::config::{DeploymentConfig, RouterSettings};
use crate::time::Time;

use super::tags::TagVocabulary;

/// One budget's window.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetWindow {
    /// USD per period.
    pub limit: f64,
    /// The period.
    pub period: Duration,
    started: Option<Time>,
    spent: f64,
    /// How many windows have been opened after the first.
    pub resets: u32,
    /// When spend first reached the limit, in any window.
    pub exhausted_at: Option<Time>,
    /// Spend over all windows.
    pub total_spent: f64,
}

impl BudgetWindow {
    /// A budget of `limit` USD per `period`, not yet started.
    pub fn new(limit: f64, period: Duration) -> Self {
        BudgetWindow {
            limit,
            period,
            started: None,
            spent: 0.0,
            resets: 0,
            exhausted_at: None,
            total_spent: 0.0,
        }
    }

    fn open(&self, now: Time) -> bool {
        self.started.is_some_and(|s| now < s + self.period)
    }

    /// Spend in the window running at `now` (0 when none runs).
    pub fn spent(&self, now: Time) -> f64 {
        if self.open(now) { self.spent } else { 0.0 }
    }

    /// Whether the budget is used up at `now`.
    #[inline]
    pub fn exhausted(&self, now: Time) -> bool {
        self.open(now) && self.spent >= self.limit
    }

    /// Charges `amount` at `now`, opening a new window if none runs.
    pub fn spend(&mut self, amount: f64, now: Time) {
        if !self.open(now) {
            if self.started.is_some() {
                self.resets += 1;
            }
            self.started = Some(now);
            self.spent = 0.0;
        }
        self.spent += amount;
        self.total_spent += amount;
        if self.spent >= self.limit && self.exhausted_at.is_none() {
            self.exhausted_at = Some(now);
        }
    }
}

/// What a budget limits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum BudgetScope {
    /// A provider (`provider_budget_config`).
    Provider(String),
    /// A deployment (`max_budget` + `budget_duration`), by id.
    Deployment(String),
    /// A tag (`tag_budget_config`).
    Tag(String),
}

impl BudgetScope {
    /// `provider:openai`, `deployment:<id>`, `tag:<name>`.
    pub fn key(&self) -> String {
        match self {
            BudgetScope::Provider(p) => format!("provider:{p}"),
            BudgetScope::Deployment(d) => format!("deployment:{d}"),
            BudgetScope::Tag(t) => format!("tag:{t}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: f64) -> Time {
        Time::from_secs_f64(s)
    }

    #[test]
    fn a_window_starts_at_the_first_spend_and_ends_after_its_period() {
        let mut b = BudgetWindow::new(10.0, Duration::from_secs(100));
        assert!(!b.exhausted(at(0.0)));
        b.spend(4.0, at(50.0));
        b.spend(6.0, at(120.0));
        assert!(
            b.exhausted(at(120.0)),
            "both spends fall in the window opened at 50 s"
        );
        assert_eq!(b.exhausted_at, Some(at(120.0)));
        assert!(b.exhausted(at(149.9)));
        assert!(
            !b.exhausted(at(150.0)),
            "the window opened at 50 s ends at 150 s"
        );
        assert_eq!(b.spent(at(150.0)), 0.0);
        b.spend(1.0, at(160.0));
        assert_eq!(b.resets, 1);
        assert_eq!(b.spent(at(160.0)), 1.0);
    }
}

/// Every budget of a router, indexed for the eligibility filter.
#[derive(Debug, Clone, Default)]
pub struct Budgets {
    /// Provider budgets, with their provider names.
    pub providers: Vec<(String, BudgetWindow)>,
    /// For each deployment, its provider's budget, if any.
    pub provider_of: Vec<Option<usize>>,
    /// For each deployment, its own budget, if any.
    pub deployments: Vec<Option<BudgetWindow>>,
    /// For each tag id, its budget, if any.
    pub tags: Vec<Option<BudgetWindow>>,
    /// Whether any budget is configured (the filter is skipped otherwise).
    pub any: bool,
}

impl Budgets {
    /// Which budget, if any, excludes deployment `d` at `now`: its provider's or its own.
    #[inline]
    pub fn excludes(&self, d: usize, now: Time) -> Option<super::trace::BudgetKind> {
        if self.provider_of[d].is_some_and(|p| self.providers[p].1.exhausted(now)) {
            Some(super::trace::BudgetKind::Provider)
        } else if self.deployments[d]
            .as_ref()
            .is_some_and(|b| b.exhausted(now))
        {
            Some(super::trace::BudgetKind::Deployment)
        } else {
            None
        }
    }

    /// Whether any of `tags`' budgets is used up at `now`.
    pub fn tags_exhausted(&self, tags: super::tags::TagSet, now: Time) -> bool {
        tags.ids().any(|t| {
            self.tags
                .get(t)
                .and_then(Option::as_ref)
                .is_some_and(|b| b.exhausted(now))
        })
    }

    /// Charges a success of deployment `d` for a request with `tags`.
    pub fn charge(&mut self, d: usize, tags: super::tags::TagSet, cost: f64, now: Time) {
        if let Some(p) = self.provider_of[d] {
            self.providers[p].1.spend(cost, now);
        }
        if let Some(b) = self.deployments[d].as_mut() {
            b.spend(cost, now);
        }
        for t in tags.ids() {
            if let Some(Some(b)) = self.tags.get_mut(t) {
                b.spend(cost, now);
            }
        }
    }
}

/// A budget period, or (for a `max_budget` without `budget_duration`) one that never ends.
fn period(text: Option<&str>) -> std::time::Duration {
    text.and_then(crate::config::period::parse_period)
        .unwrap_or(std::time::Duration::from_secs(u64::MAX / 4_000_000_000))
}

impl Budgets {
    /// The budgets `settings` and the deployments configure, indexed for the filter.
    pub fn new(
        deployments: &[&DeploymentConfig],
        settings: &RouterSettings,
        tags: &TagVocabulary,
    ) -> Budgets {
        let providers: Vec<(String, BudgetWindow)> = settings
            .provider_budget_config
            .iter()
            .map(|(name, b)| {
                (
                    name.clone(),
                    BudgetWindow::new(b.budget_limit, period(Some(&b.time_period))),
                )
            })
            .collect();
        let provider_of = deployments
            .iter()
            .map(|d| providers.iter().position(|(name, _)| *name == d.provider))
            .collect();
        let deployment_budgets: Vec<Option<BudgetWindow>> = deployments
            .iter()
            .map(|d| {
                d.max_budget
                    .map(|limit| BudgetWindow::new(limit, period(d.budget_duration.as_deref())))
            })
            .collect();
        let mut tag_budgets = vec![None; 128];
        for (tag, b) in &settings.tag_budget_config {
            if let Some(id) = tags.id(tag) {
                tag_budgets[id] = Some(BudgetWindow::new(
                    b.max_budget,
                    period(Some(&b.budget_duration)),
                ));
            }
        }
        let any = !providers.is_empty()
            || deployment_budgets.iter().any(Option::is_some)
            || tag_budgets.iter().any(Option::is_some);
        Budgets {
            providers,
            provider_of,
            deployments: deployment_budgets,
            tags: tag_budgets,
            any,
        }
    }
}
