//! The seam between one router and the state a fleet of routers shares (LiteLLM's
//! `redis_host` setups): per-minute usage, cooldown deadlines and spend per budget window.
//!
//! A router keeps each shared quantity as *synced totals* (what the store said last) plus *local
//! deltas* (what this instance added since), and its decisions read the sum. Two driver-neutral
//! calls cross the seam: [`SyncDelta`] (taken from the router: what it added since the last
//! take) goes to the store, and [`SyncTotals`] (read back from the store) are applied to it.
//! Quantities are keyed by name — a deployment's id, a budget's key (`provider:openai`,
//! `deployment:…`, `tag:…`) — on the shared time origin, so every instance and the store agree
//! on them. [`SharedTotals`] is the store's rule for absorbing deltas, written once here for the
//! simulated store and mirrored by the Redis one.
//!
//! It decides what is shared and how deltas combine; it never reads a clock, never talks to a
//! store and keeps no purely local state (attempts in flight stay each instance's own).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::time::Time;

/// Requests and tokens one instance added to a deployment's usage minute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageDelta {
    /// The deployment's id.
    pub deployment: String,
    /// The usage minute ([`Time::minute`]).
    pub minute: u64,
    /// Requests added.
    pub requests: u64,
    /// Tokens added.
    pub tokens: u64,
}

/// A cooldown one instance started: the deployment cools until `until` (exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CooldownMark {
    /// The deployment's id.
    pub deployment: String,
    /// The end of the cooldown.
    pub until: Time,
}

/// Spend one instance added to a budget's window.
#[derive(Debug, Clone, PartialEq)]
pub struct SpendDelta {
    /// The budget's key (`provider:openai`, `deployment:…`, `tag:…`).
    pub budget: String,
    /// When the window this spend fell in started, as the instance saw it.
    pub window_start: Time,
    /// The window's length.
    pub period: Duration,
    /// Dollars added.
    pub amount: f64,
}

/// What a router added to the shared state since its last take.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncDelta {
    /// Usage added, by deployment and minute.
    pub usage: Vec<UsageDelta>,
    /// Cooldowns started.
    pub cooldowns: Vec<CooldownMark>,
    /// Spend added, by budget.
    pub spend: Vec<SpendDelta>,
}

impl SyncDelta {
    /// Whether there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self.usage.is_empty() && self.cooldowns.is_empty() && self.spend.is_empty()
    }
}

/// A deployment's usage minute as the fleet counted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageTotal {
    /// The deployment's id.
    pub deployment: String,
    /// The usage minute.
    pub minute: u64,
    /// Requests in that minute, every instance's.
    pub requests: u64,
    /// Tokens in that minute, every instance's.
    pub tokens: u64,
}

/// A budget's open window as the fleet spent it.
#[derive(Debug, Clone, PartialEq)]
pub struct SpendTotal {
    /// The budget's key.
    pub budget: String,
    /// When the shared window started.
    pub window_start: Time,
    /// Its length.
    pub period: Duration,
    /// Dollars spent in it, every instance's.
    pub spent: f64,
}

/// The shared state as read back from the store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncTotals {
    /// Usage of the minutes the store still holds.
    pub usage: Vec<UsageTotal>,
    /// Cooldowns not yet over: the latest deadline any instance set, by deployment.
    pub cooldowns: Vec<CooldownMark>,
    /// Open budget windows.
    pub spend: Vec<SpendTotal>,
}

/// The store's side of the seam: absorbs deltas and answers totals. Ordered maps, so that what
/// it answers never depends on hashing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SharedTotals {
    usage: BTreeMap<(String, u64), (u64, u64)>,
    cooldowns: BTreeMap<String, Time>,
    spend: BTreeMap<String, (Time, Duration, f64)>,
}

impl SharedTotals {
    /// Adds `delta` as the store receives it at `now`: usage counts add up per minute, the
    /// latest cooldown deadline wins, spend adds to the budget's open window (a window that is
    /// over is replaced by the one the delta's spend started).
    pub fn absorb(&mut self, delta: &SyncDelta, now: Time) {
        for u in &delta.usage {
            let counts = self
                .usage
                .entry((u.deployment.clone(), u.minute))
                .or_default();
            counts.0 += u.requests;
            counts.1 += u.tokens;
        }
        for c in &delta.cooldowns {
            let until = self
                .cooldowns
                .entry(c.deployment.clone())
                .or_insert(c.until);
            *until = (*until).max(c.until);
        }
        for s in &delta.spend {
            let window =
                self.spend
                    .entry(s.budget.clone())
                    .or_insert((s.window_start, s.period, 0.0));
            let end = window.0 + window.1;
            if now >= end {
                // The shared window is over: this spend opens the next one (at its own start
                // when that is known to be later, else now).
                let start = if s.window_start >= end {
                    s.window_start
                } else {
                    now
                };
                *window = (start, s.period, 0.0);
            }
            window.2 += s.amount;
        }
        self.expire(now);
    }

    /// Drops what no instance can read any more at `now`: usage of minutes before the current
    /// one, cooldowns that are over, windows that have ended.
    pub fn expire(&mut self, now: Time) {
        let minute = now.minute();
        self.usage.retain(|(_, m), _| *m >= minute);
        self.cooldowns.retain(|_, until| *until > now);
        self.spend
            .retain(|_, (start, period, _)| now < *start + *period);
    }

    /// The totals an instance reads at `now`.
    pub fn totals(&self, now: Time) -> SyncTotals {
        let minute = now.minute();
        SyncTotals {
            usage: self
                .usage
                .iter()
                .filter(|((_, m), _)| *m >= minute)
                .map(|((d, m), (requests, tokens))| UsageTotal {
                    deployment: d.clone(),
                    minute: *m,
                    requests: *requests,
                    tokens: *tokens,
                })
                .collect(),
            cooldowns: self
                .cooldowns
                .iter()
                .filter(|(_, until)| **until > now)
                .map(|(d, until)| CooldownMark {
                    deployment: d.clone(),
                    until: *until,
                })
                .collect(),
            spend: self
                .spend
                .iter()
                .filter(|(_, (start, period, _))| now < *start + *period)
                .map(|(b, (start, period, spent))| SpendTotal {
                    budget: b.clone(),
                    window_start: *start,
                    period: *period,
                    spent: *spent,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: f64) -> Time {
        Time::from_secs_f64(s)
    }

    fn usage(d: &str, minute: u64, requests: u64) -> UsageDelta {
        UsageDelta {
            deployment: d.into(),
            minute,
            requests,
            tokens: requests * 10,
        }
    }

    #[test]
    fn usage_adds_up_per_minute_and_old_minutes_expire() {
        let mut store = SharedTotals::default();
        let a = SyncDelta {
            usage: vec![usage("a", 0, 3)],
            ..SyncDelta::default()
        };
        let b = SyncDelta {
            usage: vec![usage("a", 0, 4), usage("b", 0, 1)],
            ..SyncDelta::default()
        };
        store.absorb(&a, at(1.0));
        store.absorb(&b, at(2.0));
        let totals = store.totals(at(3.0));
        assert_eq!(totals.usage.len(), 2);
        assert_eq!((totals.usage[0].requests, totals.usage[0].tokens), (7, 70));
        assert!(store.totals(at(60.0)).usage.is_empty());
    }

    #[test]
    fn the_latest_cooldown_deadline_wins_until_it_is_over() {
        let mut store = SharedTotals::default();
        let mark = |until| SyncDelta {
            cooldowns: vec![CooldownMark {
                deployment: "a".into(),
                until: at(until),
            }],
            ..SyncDelta::default()
        };
        store.absorb(&mark(10.0), at(1.0));
        store.absorb(&mark(5.0), at(2.0));
        assert_eq!(store.totals(at(3.0)).cooldowns[0].until, at(10.0));
        assert!(store.totals(at(10.0)).cooldowns.is_empty());
    }

    #[test]
    fn spend_joins_the_open_window_and_a_new_one_starts_after_it() {
        let mut store = SharedTotals::default();
        let spend = |start: f64, amount| SyncDelta {
            spend: vec![SpendDelta {
                budget: "provider:openai".into(),
                window_start: at(start),
                period: Duration::from_secs(100),
                amount,
            }],
            ..SyncDelta::default()
        };
        store.absorb(&spend(0.0, 1.0), at(1.0));
        store.absorb(&spend(5.0, 2.0), at(6.0));
        let open = &store.totals(at(50.0)).spend[0];
        assert_eq!((open.window_start, open.spent), (at(0.0), 3.0));
        store.absorb(&spend(120.0, 4.0), at(121.0));
        let next = &store.totals(at(130.0)).spend[0];
        assert_eq!((next.window_start, next.spent), (at(120.0), 4.0));
    }
}
