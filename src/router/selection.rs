//! The eligibility pipeline of ROUTING.md §2: from a route to one deployment, or a refusal.
//!
//! Order: the route's candidates, minus cooling deployments, minus those this request already
//! failed on with a non-retryable status, then (with `enable_pre_call_checks`) the context
//! window and `rpm` checks, then the lowest `order` tier, then the strategy. It must not
//! change any state: dispatch bookkeeping happens in the caller once a deployment is chosen.

use std::time::Duration;

use rand::Rng;

use super::Router;
use super::call::Call;
use super::error_class::ErrorClass;
use super::strategy::{PickContext, Strategy};
use super::trace::{Filtered, Trace, TraceEvent};
use crate::config::deployment_table::{DeploymentIdx, Target};
use crate::time::Time;

/// Why no deployment could be chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// The router's error.
    pub class: ErrorClass,
    /// Retry-After for the client (time until the first cooldown in the group ends).
    pub retry_after: Option<Duration>,
}

impl Router {
    /// Chooses a deployment for `call`'s current target at `now`.
    pub(super) fn select<R: Rng + ?Sized, T: Trace>(
        &mut self,
        call: &Call,
        target: Target,
        now: Time,
        rng: &mut R,
        trace: &mut T,
    ) -> Result<DeploymentIdx, Refusal> {
        if trace.enabled() {
            trace.event(now, TraceEvent::Candidates(target));
        }
        let mut candidates = std::mem::take(&mut self.candidates);
        candidates.clear();
        match target {
            Target::Group(group) => candidates.extend_from_slice(&self.table.group(group).members),
            Target::Deployment(deployment) => candidates.push(deployment),
        }
        let has_order = match target {
            Target::Group(group) => self.table.group(group).has_order,
            Target::Deployment(d) => self.table.deployment(d).config.order.is_some(),
        };
        let mut result = self.filter_and_pick(&mut candidates, call, has_order, now, rng, trace);
        if let Err(refusal) = &mut result
            && refusal.class == ErrorClass::NoDeploymentsAvailable
            && refusal.retry_after.is_none()
        {
            // Retry-After: until the first cooldown in the group ends.
            let members: &[DeploymentIdx] = match target {
                Target::Group(g) => &self.table.group(g).members,
                Target::Deployment(ref d) => std::slice::from_ref(d),
            };
            refusal.retry_after = members
                .iter()
                .map(|d| self.health[d.get()].cooling_until)
                .filter(|until| *until > now)
                .min()
                .map(|until| until - now);
        }
        self.candidates = candidates;
        result
    }

    fn filter_and_pick<R: Rng + ?Sized, T: Trace>(
        &mut self,
        candidates: &mut Vec<DeploymentIdx>,
        call: &Call,
        has_order: bool,
        now: Time,
        rng: &mut R,
        trace: &mut T,
    ) -> Result<DeploymentIdx, Refusal> {
        let health = &self.health;
        candidates.retain(|d| {
            let until = health[d.get()].cooling_until;
            let keep = now >= until;
            if !keep && trace.enabled() {
                trace.event(now, TraceEvent::Filtered(*d, Filtered::Cooling(until)));
            }
            keep
        });
        if !call.skipped.is_empty() {
            candidates.retain(|d| {
                let keep = !call.skipped.contains(d);
                if !keep && trace.enabled() {
                    trace.event(now, TraceEvent::Filtered(*d, Filtered::FailedEarlier));
                }
                keep
            });
        }
        if self.budgets.any && !candidates.is_empty() {
            let blocked_by_tag = self.budgets.tags_exhausted(call.spec.tags.set, now);
            let budgets = &self.budgets;
            candidates.retain(|d| {
                let why = if blocked_by_tag {
                    Some(super::trace::BudgetKind::Tag)
                } else {
                    budgets.excludes(d.get(), now)
                };
                if let Some(kind) = why
                    && trace.enabled()
                {
                    trace.event(now, TraceEvent::Filtered(*d, Filtered::OverBudget(kind)));
                }
                why.is_none()
            });
            if candidates.is_empty() {
                return Err(Refusal {
                    class: ErrorClass::BudgetExceeded,
                    retry_after: None,
                });
            }
        }
        if self.settings.enable_pre_call_checks && !candidates.is_empty() {
            let input = u64::from(call.spec.input_tokens);
            let table = &self.table;
            candidates.retain(|d| {
                let limit = table.deployment(*d).config.max_input_tokens;
                let keep = limit.is_none_or(|max| max >= input);
                if !keep && trace.enabled() {
                    let max_input_tokens = limit.unwrap_or(0);
                    trace.event(
                        now,
                        TraceEvent::Filtered(*d, Filtered::ContextWindow { max_input_tokens }),
                    );
                }
                keep
            });
            if candidates.is_empty() {
                return Err(Refusal {
                    class: ErrorClass::ContextWindowExceeded,
                    retry_after: None,
                });
            }
            let usage = &self.usage;
            candidates.retain(|d| {
                let rpm = table.deployment(*d).config.rpm;
                let used = usage[d.get()].requests(now);
                let keep = rpm.is_none_or(|rpm| u64::from(used) < rpm);
                if !keep && trace.enabled() {
                    let rpm = rpm.unwrap_or(0);
                    trace.event(
                        now,
                        TraceEvent::Filtered(*d, Filtered::RpmLimit { used, rpm }),
                    );
                }
                keep
            });
        }
        if self.settings.enable_tag_filtering && !candidates.is_empty() {
            self.filter_tags(candidates, call, now, trace)?;
        }
        if has_order {
            self.keep_lowest_tier(candidates, call.tier_floor, now, trace);
        }
        if !call.tried.is_empty() && candidates.iter().any(|d| !call.tried.contains(d)) {
            // Improvement: a retry prefers a deployment this request has not tried.
            candidates.retain(|d| !call.tried.contains(d));
        }
        let chosen = if candidates.is_empty() {
            None
        } else {
            let ctx = PickContext {
                table: &self.table,
                live: &self.live,
                usage: &self.usage,
                prices: &self.prices,
                request: &call.spec,
                now,
            };
            self.strategy.pick(candidates, &ctx, rng)
        };
        match chosen {
            Some(d) => {
                if trace.enabled() {
                    trace.event(
                        now,
                        TraceEvent::Chosen {
                            deployment: d,
                            candidates: candidates.len() as u32,
                        },
                    );
                }
                Ok(d)
            }
            None if !candidates.is_empty() && self.strategy.refuses_with_rate_limit() => {
                // Usage-based routing's own 429: every candidate is at its limits this minute.
                Err(Refusal {
                    class: ErrorClass::NoDeploymentsAvailable,
                    retry_after: Some(std::time::Duration::from_secs(60)),
                })
            }
            None => Err(Refusal {
                class: ErrorClass::NoDeploymentsAvailable,
                retry_after: None,
            }),
        }
    }

    /// ROUTING.md §8 on the candidates left.
    fn filter_tags<T: Trace>(
        &self,
        candidates: &mut Vec<DeploymentIdx>,
        call: &Call,
        now: Time,
        trace: &mut T,
    ) -> Result<(), Refusal> {
        let request = &call.spec.tags;
        let default = self.tags.default_set();
        let tags = &self.deployment_tags;
        let keep: &dyn Fn(DeploymentIdx) -> bool = if request.is_empty() {
            if candidates.iter().any(|d| tags[d.get()].intersects(default)) {
                &|d| tags[d.get()].intersects(default)
            } else {
                &|_| true
            }
        } else {
            let match_any = self.settings.tag_filtering_match_any;
            if candidates
                .iter()
                .any(|d| super::tags::matches(tags[d.get()], request, match_any))
            {
                &move |d| super::tags::matches(tags[d.get()], request, match_any)
            } else if candidates.iter().any(|d| tags[d.get()].intersects(default)) {
                &|d| tags[d.get()].intersects(default)
            } else {
                &|_| false
            }
        };
        candidates.retain(|d| {
            let k = keep(*d);
            if !k && trace.enabled() {
                trace.event(now, TraceEvent::Filtered(*d, Filtered::Tags));
            }
            k
        });
        if candidates.is_empty() {
            return Err(Refusal {
                class: ErrorClass::TagsNotAllowed,
                retry_after: None,
            });
        }
        Ok(())
    }

    /// LiteLLM's `order`: when any candidate sets it, keep those with the lowest order at or
    /// above `floor` (deployments without an order are dropped then).
    fn keep_lowest_tier<T: Trace>(
        &self,
        candidates: &mut Vec<DeploymentIdx>,
        floor: Option<u32>,
        now: Time,
        trace: &mut T,
    ) {
        let order = |d: &DeploymentIdx| self.table.deployment(*d).config.order;
        let Some(tier) = candidates
            .iter()
            .filter_map(order)
            .filter(|o| floor.is_none_or(|f| *o >= f))
            .min()
        else {
            if floor.is_some() {
                candidates.clear();
            }
            return;
        };
        candidates.retain(|d| {
            let keep = order(d) == Some(tier);
            if !keep && trace.enabled() {
                let order = order(d).unwrap_or(0);
                trace.event(
                    now,
                    TraceEvent::Filtered(*d, Filtered::OrderTier { order, tier }),
                );
            }
            keep
        });
    }

    /// The next `order` tier above `tier` in `call`'s current group, if any.
    pub(super) fn next_tier(&self, target: Target, below: u32) -> Option<u32> {
        let Target::Group(group) = target else {
            return None;
        };
        self.table
            .group(group)
            .members
            .iter()
            .filter_map(|d| self.table.deployment(*d).config.order)
            .filter(|o| *o > below)
            .min()
    }

    /// Deployments of `target` that are not cooling at `now` and not failed earlier by `call`,
    /// leaving out `except`.
    pub(super) fn healthy_count(
        &self,
        call: &Call,
        target: Target,
        except: Option<DeploymentIdx>,
        now: Time,
    ) -> usize {
        let members: &[DeploymentIdx] = match target {
            Target::Group(g) => &self.table.group(g).members,
            Target::Deployment(ref d) => std::slice::from_ref(d),
        };
        members
            .iter()
            .filter(|d| Some(**d) != except)
            .filter(|d| !self.health[d.get()].is_cooling(now))
            .filter(|d| !call.skipped.contains(d))
            .count()
    }
}
