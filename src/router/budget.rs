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

use super::tags::{MAX_TAGS, TagSet, TagVocabulary};
use crate::config::deployment_table::{DeploymentIdx, DeploymentTable};

/// One budget's window.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetWindow {
    /// USD per period.
    pub limit: f64,
    /// The period.
    pub period: Duration,
    started: Option<Time>,
    /// Spent in the window: with a fleet, the store's total plus what this instance has not
    /// yet seen come back from it.
    spent: f64,
    opened: u32,
    /// This instance's own spend not yet taken for the store.
    pending: f64,
    /// Taken for the store, not yet confirmed by totals read back.
    sent: f64,
}

impl BudgetWindow {
    /// A budget of `limit` USD per `period`, not yet started.
    pub fn new(limit: f64, period: Duration) -> Self {
        BudgetWindow {
            limit,
            period,
            started: None,
            spent: 0.0,
            opened: 0,
            pending: 0.0,
            sent: 0.0,
        }
    }

    fn open(&self, now: Time) -> bool {
        self.started.is_some_and(|s| now < s + self.period)
    }

    /// Spend in the window running at `now` (0 when none runs).
    pub fn spent(&self, now: Time) -> f64 {
        if self.open(now) { self.spent } else { 0.0 }
    }

    /// The start of the window running at `now` (`None` when none runs: the next spend opens
    /// one). It ends [`BudgetWindow::period`] after its start.
    pub fn window_start(&self, now: Time) -> Option<Time> {
        self.started.filter(|_| self.open(now))
    }

    /// Whether the budget is used up at `now`.
    #[inline]
    pub fn exhausted(&self, now: Time) -> bool {
        self.open(now) && self.spent >= self.limit
    }

    /// How many windows have been opened so far.
    pub fn opened(&self) -> u32 {
        self.opened
    }

    /// Charges `amount` at `now`, opening a new window if none runs.
    pub fn spend(&mut self, amount: f64, now: Time) {
        if !self.open(now) {
            self.opened += 1;
            self.started = Some(now);
            self.spent = 0.0;
            self.pending = 0.0;
            self.sent = 0.0;
        }
        self.spent += amount;
        self.pending += amount;
    }

    /// This instance's spend in the open window since the last take, as (window start,
    /// amount), now counted as sent; `None` when there is none.
    pub fn take(&mut self, now: Time) -> Option<(Time, f64)> {
        let start = self.started.filter(|_| self.open(now))?;
        let amount = std::mem::take(&mut self.pending);
        if amount == 0.0 {
            return None;
        }
        self.sent += amount;
        Some((start, amount))
    }

    /// The fleet's open window at `now` as (start, spent), `None` when the store holds none: it
    /// includes what was sent, so the view becomes it plus what was spent since the take.
    pub fn apply(&mut self, now: Time, fleet: Option<(Time, f64)>) {
        self.sent = 0.0;
        match fleet {
            Some((start, spent)) if now < start + self.period => {
                if !self.open(now) {
                    self.opened += 1;
                }
                self.started = Some(start);
                self.spent = spent + self.pending;
            }
            _ if self.open(now) => self.spent = self.pending,
            _ => {}
        }
    }

    /// What was sent never reached the store: it is this instance's own again.
    pub fn unsend(&mut self) {
        self.pending += std::mem::take(&mut self.sent);
    }
}

/// A budget's place among a router's budgets (providers, then deployments, then tags): cheap to
/// copy and to index a report's tallies by; [`Budgets::scope`] names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BudgetIdx(pub u32);

impl BudgetIdx {
    /// As a slice index.
    pub fn get(self) -> usize {
        self.0 as usize
    }
}

/// Which budget a window is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum BudgetId {
    /// The `i`th provider of `provider_budget_config`.
    Provider(u32),
    /// A deployment's own budget.
    Deployment(DeploymentIdx),
    /// A tag's budget, by tag id.
    Tag(u32),
}

/// What a budget limits, by name.
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
    fn a_fleet_window_is_the_stores_total_plus_what_is_not_yet_back() {
        let mut b = BudgetWindow::new(10.0, Duration::from_secs(100));
        b.spend(2.0, at(10.0));
        assert_eq!(b.take(at(11.0)), Some((at(10.0), 2.0)));
        b.spend(1.0, at(12.0));
        b.apply(at(13.0), Some((at(5.0), 8.0)));
        assert_eq!(
            b.spent(at(13.0)),
            9.0,
            "the store's 8 (ours included) and the new 1"
        );
        assert!(!b.exhausted(at(13.0)));
        assert!(
            !b.exhausted(at(105.0)),
            "the shared window started at 5 s ends at 105 s"
        );
        assert_eq!(b.take(at(20.0)), Some((at(5.0), 1.0)));
        b.unsend();
        assert_eq!(
            b.take(at(21.0)),
            Some((at(5.0), 1.0)),
            "a failed write goes again"
        );
        let mut idle = BudgetWindow::new(10.0, Duration::from_secs(100));
        idle.apply(at(50.0), Some((at(0.0), 12.0)));
        assert!(idle.exhausted(at(50.0)), "spend by other instances counts");
        assert_eq!(idle.opened(), 1);
    }

    #[test]
    fn a_window_starts_at_the_first_spend_and_ends_after_its_period() {
        let mut b = BudgetWindow::new(10.0, Duration::from_secs(100));
        assert!(!b.exhausted(at(0.0)));
        assert_eq!(b.opened(), 0);
        b.spend(4.0, at(50.0));
        b.spend(6.0, at(120.0));
        assert!(
            b.exhausted(at(120.0)),
            "both spends fall in the window opened at 50 s"
        );
        assert!(b.exhausted(at(149.9)));
        assert!(
            !b.exhausted(at(150.0)),
            "the window opened at 50 s ends at 150 s"
        );
        assert_eq!(b.spent(at(150.0)), 0.0);
        b.spend(1.0, at(160.0));
        assert_eq!(b.opened(), 2);
        assert_eq!(b.spent(at(160.0)), 1.0);
    }
}

/// Every budget of a router, indexed for the eligibility filter.
#[derive(Debug, Clone, Default)]
pub struct Budgets {
    /// Every budget's window: providers in config order, then deployments, then tags.
    windows: Vec<BudgetWindow>,
    /// Which budget each window is.
    ids: Vec<BudgetId>,
    /// Provider names, indexed by [`BudgetId::Provider`].
    providers: Vec<String>,
    /// For each deployment, its provider's window, if any.
    provider_of: Vec<Option<u32>>,
    /// For each deployment, its own window, if any.
    deployment_of: Vec<Option<u32>>,
    /// For each tag id, its window, if any.
    tag_of: Vec<Option<u32>>,
    /// Whether any budget is configured (the filter is skipped otherwise).
    pub any: bool,
}

impl Budgets {
    /// Which budget, if any, excludes deployment `d` at `now`: its provider's or its own.
    #[inline]
    pub fn excludes(&self, d: usize, now: Time) -> Option<super::trace::BudgetKind> {
        let exhausted = |w: Option<u32>| w.is_some_and(|w| self.windows[w as usize].exhausted(now));
        if exhausted(self.provider_of[d]) {
            Some(super::trace::BudgetKind::Provider)
        } else if exhausted(self.deployment_of[d]) {
            Some(super::trace::BudgetKind::Deployment)
        } else {
            None
        }
    }

    /// Whether any of `tags`' budgets is used up at `now`.
    pub fn tags_exhausted(&self, tags: TagSet, now: Time) -> bool {
        tags.ids().any(|t| {
            self.tag_of
                .get(t)
                .copied()
                .flatten()
                .is_some_and(|w| self.windows[w as usize].exhausted(now))
        })
    }

    /// The windows a success of deployment `d` for a request with `tags` is charged to: its
    /// provider's, its own, then its tags' in tag order.
    fn charged(&self, d: usize, tags: TagSet) -> impl Iterator<Item = u32> + '_ {
        let tag_windows = tags
            .ids()
            .filter_map(|t| self.tag_of.get(t).copied().flatten());
        self.provider_of[d]
            .into_iter()
            .chain(self.deployment_of[d])
            .chain(tag_windows)
    }

    /// Charges a success of deployment `d` for a request with `tags`.
    pub fn charge(&mut self, d: usize, tags: TagSet, cost: f64, now: Time) {
        let own = [self.provider_of[d], self.deployment_of[d]];
        for w in own.into_iter().flatten() {
            self.windows[w as usize].spend(cost, now);
        }
        for t in tags.ids() {
            if let Some(Some(w)) = self.tag_of.get(t) {
                self.windows[*w as usize].spend(cost, now);
            }
        }
    }

    /// The budgets a success of `d` for a request with `tags` is charged to.
    pub fn charged_to(
        &self,
        d: DeploymentIdx,
        tags: TagSet,
    ) -> impl Iterator<Item = (BudgetIdx, &BudgetWindow)> + '_ {
        self.charged(d.get(), tags)
            .map(|w| (BudgetIdx(w), &self.windows[w as usize]))
    }

    /// Every budget with its window, in [`BudgetIdx`] order.
    pub fn iter(&self) -> impl Iterator<Item = (BudgetIdx, &BudgetWindow)> + '_ {
        self.windows
            .iter()
            .enumerate()
            .map(|(i, w)| (BudgetIdx(i as u32), w))
    }

    /// Budget `b`'s window, to take or apply what the fleet shares.
    pub fn window_mut(&mut self, b: BudgetIdx) -> &mut BudgetWindow {
        &mut self.windows[b.get()]
    }

    /// Whether no budget is configured.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    /// What `id` limits, by name (deployment ids from `table`, tag names from `tags`).
    pub fn scope(
        &self,
        budget: BudgetIdx,
        table: &DeploymentTable,
        tags: &TagVocabulary,
    ) -> BudgetScope {
        match self.ids[budget.get()] {
            BudgetId::Provider(p) => BudgetScope::Provider(self.providers[p as usize].clone()),
            BudgetId::Deployment(d) => {
                BudgetScope::Deployment(table.deployment(d).config.id.clone())
            }
            BudgetId::Tag(t) => BudgetScope::Tag(tags.name(t as usize).to_string()),
        }
    }
}

/// The period of a `max_budget` without `budget_duration`: a window that never ends.
const NEVER_ENDS: Duration = Duration::from_secs(u64::MAX / 4_000_000_000);

impl Budgets {
    /// The budgets `settings` and the deployments configure, indexed for the filter.
    pub fn new(
        deployments: &[&DeploymentConfig],
        settings: &RouterSettings,
        tags: &TagVocabulary,
    ) -> Budgets {
        let mut b = Budgets::default();
        let add = |b: &mut Budgets, id: BudgetId, window: BudgetWindow| {
            b.ids.push(id);
            b.windows.push(window);
            (b.windows.len() - 1) as u32
        };
        for (i, (name, budget)) in settings.provider_budget_config.iter().enumerate() {
            let window = BudgetWindow::new(budget.budget_limit, budget.time_period);
            add(&mut b, BudgetId::Provider(i as u32), window);
            b.providers.push(name.clone());
        }
        b.provider_of = deployments
            .iter()
            .map(|d| {
                b.providers
                    .iter()
                    .position(|p| *p == d.provider)
                    .map(|p| p as u32)
            })
            .collect();
        for (i, d) in deployments.iter().enumerate() {
            let own = d.max_budget.map(|limit| {
                let window = BudgetWindow::new(limit, d.budget_duration.unwrap_or(NEVER_ENDS));
                add(
                    &mut b,
                    BudgetId::Deployment(DeploymentIdx(i as u32)),
                    window,
                )
            });
            b.deployment_of.push(own);
        }
        b.tag_of = vec![None; MAX_TAGS];
        let mut tag_budgets: Vec<(usize, BudgetWindow)> = settings
            .tag_budget_config
            .iter()
            .filter_map(|(tag, budget)| {
                let window = BudgetWindow::new(budget.max_budget, budget.budget_duration);
                Some((tags.id(tag)?, window))
            })
            .collect();
        tag_budgets.sort_by_key(|(id, _)| *id);
        for (id, window) in tag_budgets {
            b.tag_of[id] = Some(add(&mut b, BudgetId::Tag(id as u32), window));
        }
        b.any = !b.windows.is_empty();
        b
    }
}
