//! The eligibility pipeline of ROUTING.md §2: from a route to one deployment, or a refusal.
//!
//! Each filter lives in a file of its own and says, for one deployment, whether it excludes it
//! and why ([`Filter`]); one traced loop ([`apply`]) runs them in ROUTING.md's order: cooling,
//! failed earlier with a status that is not retried, budgets, then (with
//! `enable_pre_call_checks`) the context window and `rpm`, then tags (with
//! `enable_tag_filtering`), the lowest `order` tier, the untried preference, and finally the
//! strategy. A filter that leaves nothing may refuse with its own error.
//!
//! It must not change any state: dispatch bookkeeping happens in the router once a deployment
//! is chosen. Filters keep the survivors in group order and never draw randomness; the only
//! random draw of a decision is the strategy's.

mod context_window;
mod cooling;
mod failed_earlier;
mod order_tier;
mod over_budget;
mod rpm;
mod tags;
mod untried;

use std::time::Duration;

use rand::Rng;

use super::budget::Budgets;
use super::call::Call;
use super::cooldown::Health;
use super::error_class::ErrorClass;
use super::live_state::LiveState;
use super::pricing::Price;
use super::strategy::{PickContext, Strategy, StrategyKind};
use super::tags::TagSet;
use super::trace::{Filtered, Trace, TraceEvent};
use super::usage::MinuteUsage;
use crate::config::RouterSettings;
use crate::config::deployment_table::{DeploymentIdx, DeploymentTable, Target};
use crate::time::Time;

use context_window::ContextWindow;
use cooling::Cooling;
use failed_earlier::FailedEarlier;
use order_tier::OrderTier;
use over_budget::OverBudget;
use rpm::RpmLimit;
use tags::Tags;
use untried::Untried;

/// Why no deployment could be chosen: the group gives up at once with this error (no retry,
/// no attempt made) and the fallback walk moves on as after any failed group (ROUTING.md §2.8,
/// §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// The router's error.
    pub class: ErrorClass,
    /// Retry-After for the client: for "no deployments available", the time until the first
    /// cooldown in the target ends (`None` when none is cooling), or 60 s for usage-based
    /// routing's own 429; `None` for the other refusals.
    pub retry_after: Option<Duration>,
}

impl Refusal {
    /// A refusal with `class` and no Retry-After yet ([`Pipeline::select`] fills it in for
    /// "no deployments available").
    fn of(class: ErrorClass) -> Self {
        Refusal {
            class,
            retry_after: None,
        }
    }
}

/// One eligibility filter: a yes/no per deployment, decided from borrowed state alone (no
/// mutation, no randomness), so running it traced or untraced gives the same answer.
pub(super) trait Filter {
    /// The error a group fails with when this filter leaves no candidate; `None`: the pipeline
    /// goes on (and ends with "no deployments available").
    const REFUSAL: Option<ErrorClass> = None;

    /// Why `d` is not eligible, if it is not; the reason is what `--explain` shows.
    fn excludes(&self, d: DeploymentIdx) -> Option<Filtered>;

    /// Whether its exclusions are told to the trace (a preference, or the end of a tier walk,
    /// is not a reason worth telling per deployment).
    fn traced(&self) -> bool {
        true
    }
}

/// Runs `filter` over `candidates` in place (survivors keep their order), telling `trace` each
/// exclusion; refuses when the filter has a refusal and left nothing.
#[inline]
fn apply<F: Filter, T: Trace>(
    filter: &F,
    candidates: &mut Vec<DeploymentIdx>,
    now: Time,
    trace: &mut T,
) -> Result<(), Refusal> {
    let told = trace.enabled() && filter.traced();
    candidates.retain(|d| match filter.excludes(*d) {
        None => true,
        Some(why) => {
            if told {
                trace.event(now, TraceEvent::Filtered(*d, why));
            }
            false
        }
    });
    match F::REFUSAL {
        Some(class) if candidates.is_empty() => Err(Refusal::of(class)),
        _ => Ok(()),
    }
}

/// What the pipeline reads: the router's config and live state, borrowed for one decision.
pub(super) struct Pipeline<'a> {
    /// Deployments and groups: members, `order`, `max_input_tokens`, `rpm`.
    pub(super) table: &'a DeploymentTable,
    /// Which optional filters run (`enable_pre_call_checks`, `enable_tag_filtering`,
    /// `tag_filtering_match_any`).
    pub(super) settings: &'a RouterSettings,
    /// Cooldowns, by deployment.
    pub(super) health: &'a [Health],
    /// Requests and tokens this minute, by deployment (the `rpm` check and the strategies).
    pub(super) usage: &'a [MinuteUsage],
    /// Provider, deployment and tag budgets.
    pub(super) budgets: &'a Budgets,
    /// In-flight counts, for the strategies.
    pub(super) live: &'a LiveState,
    /// Prices per token, by deployment, for cost-based routing.
    pub(super) prices: &'a [Option<Price>],
    /// Each deployment's tags as a bitmask.
    pub(super) deployment_tags: &'a [TagSet],
    /// By group: every tag its members carry.
    pub(super) group_tags: &'a [TagSet],
    /// The bit of the `default` tag.
    pub(super) default_tags: TagSet,
}

impl Pipeline<'_> {
    /// Chooses a deployment for `call`'s `target` at `now`, using `candidates` as scratch space:
    /// the target's members, then every filter, then the strategy. A "no deployments
    /// available" refusal without a Retry-After of its own gets the time until the target's
    /// first cooldown ends.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn select<R: Rng + ?Sized, T: Trace>(
        &self,
        strategy: &StrategyKind,
        candidates: &mut Vec<DeploymentIdx>,
        call: &Call,
        target: Target,
        now: Time,
        rng: &mut R,
        trace: &mut T,
    ) -> Result<DeploymentIdx, Refusal> {
        if trace.enabled() {
            trace.event(now, TraceEvent::Candidates(target));
        }
        candidates.clear();
        candidates.extend_from_slice(self.starting_members(call, &target));
        let mut result = self
            .filter(candidates, call, target, now, trace)
            .and_then(|()| self.pick(strategy, candidates, call, now, rng, trace));
        if let Err(refusal) = &mut result
            && refusal.class == ErrorClass::NoDeploymentsAvailable
            && refusal.retry_after.is_none()
        {
            refusal.retry_after =
                self.first_cooldown_end(self.starting_members(call, &target), now);
        }
        result
    }

    /// The deployments `target` starts from: its members, but for a fallback of a request
    /// LiteLLM's proxy routes as a specific deployment, those whose `litellm_params.model` is
    /// the target's name (LiteLLM keeps `specific_deployment` for the fallbacks).
    #[inline]
    fn starting_members<'t>(&'t self, call: &Call, target: &'t Target) -> &'t [DeploymentIdx] {
        if call.spec.specific_deployment {
            return self.specific_deployment_members(call, target);
        }
        self.table.members(target)
    }

    /// [`Pipeline::starting_members`] for a specific deployment's request, out of the common
    /// path: its own target's members, or a fallback target's by `litellm_params.model`.
    #[cold]
    #[inline(never)]
    fn specific_deployment_members<'t>(
        &'t self,
        call: &Call,
        target: &'t Target,
    ) -> &'t [DeploymentIdx] {
        if call.current == call.spec.route {
            return self.table.members(target);
        }
        self.table.members_by_litellm_model_name(target)
    }

    /// Every filter in ROUTING.md §2's order, stopping at the first refusal. Filters with a
    /// refusal of their own are skipped once the list is empty, so a refusal names the filter
    /// that emptied it; one without (cooling, say) leaves "no deployments available" to
    /// [`Pipeline::pick`].
    #[cfg_attr(feature = "profile-parts", inline(never))]
    fn filter<T: Trace>(
        &self,
        candidates: &mut Vec<DeploymentIdx>,
        call: &Call,
        target: Target,
        now: Time,
        trace: &mut T,
    ) -> Result<(), Refusal> {
        let health = self.health;
        apply(&Cooling { health, now }, candidates, now, trace)?;
        let skipped = call.setbacks.skipped();
        if !skipped.is_empty() {
            apply(&FailedEarlier { skipped }, candidates, now, trace)?;
        }
        if self.budgets.any && !candidates.is_empty() {
            let over = OverBudget::new(self.budgets, call.spec.tags.set, now);
            apply(&over, candidates, now, trace)?;
        }
        if self.settings.enable_pre_call_checks && !candidates.is_empty() {
            let (table, input_tokens) = (self.table, u64::from(call.spec.input_tokens));
            apply(
                &ContextWindow {
                    table,
                    input_tokens,
                },
                candidates,
                now,
                trace,
            )?;
            let usage = self.usage;
            apply(&RpmLimit { table, usage, now }, candidates, now, trace)?;
        }
        if self.settings.enable_tag_filtering && !candidates.is_empty() {
            let tags = Tags::new(
                candidates,
                self.deployment_tags,
                &call.spec.tags,
                self.default_tags,
                self.settings.tag_filtering_match_any,
                self.group_tags(&target),
            );
            apply(&tags, candidates, now, trace)?;
        }
        if self.has_order(&target) {
            let tier = OrderTier::new(self.table, candidates, call.tier_floor);
            apply(&tier, candidates, now, trace)?;
        }
        let tried = call.setbacks.tried();
        if !tried.is_empty() {
            apply(&Untried::new(candidates, tried), candidates, now, trace)?;
        }
        Ok(())
    }

    /// The strategy's choice among the candidates left; "no deployments available" when none
    /// is left or the strategy refuses them all.
    #[cfg_attr(feature = "profile-parts", inline(never))]
    fn pick<R: Rng + ?Sized, T: Trace>(
        &self,
        strategy: &StrategyKind,
        candidates: &[DeploymentIdx],
        call: &Call,
        now: Time,
        rng: &mut R,
        trace: &mut T,
    ) -> Result<DeploymentIdx, Refusal> {
        if candidates.is_empty() {
            return Err(Refusal::of(ErrorClass::NoDeploymentsAvailable));
        }
        let ctx = PickContext {
            table: self.table,
            live: self.live,
            usage: self.usage,
            prices: self.prices,
            request: &call.spec,
            now,
        };
        if trace.enabled() {
            for &d in candidates {
                if let Some(why) = strategy.excludes(d, &ctx) {
                    trace.event(now, TraceEvent::Filtered(d, why));
                }
            }
        }
        let Some(deployment) = strategy.pick(candidates, &ctx, rng) else {
            // Usage-based routing's own 429: every candidate is at its limits this minute.
            let retry_after = strategy
                .refuses_with_rate_limit()
                .then_some(Duration::from_secs(60));
            return Err(Refusal {
                class: ErrorClass::NoDeploymentsAvailable,
                retry_after,
            });
        };
        if trace.enabled() {
            let candidates = candidates.len() as u32;
            trace.event(
                now,
                TraceEvent::Chosen {
                    deployment,
                    candidates,
                },
            );
        }
        Ok(deployment)
    }

    /// Every tag the target's group carries, whichever members are still candidates (gathered
    /// once when the router is built); empty for a pinned deployment or a `litellm_params.model`
    /// (LiteLLM's `get_all_deployments(model_name=…)` finds no group by either name).
    fn group_tags(&self, target: &Target) -> TagSet {
        match target {
            Target::Group(g) => self.group_tags[g.get()],
            Target::Deployment(_) | Target::Model(_) => TagSet::EMPTY,
        }
    }

    /// Whether the `order` filter has work: a group where some member sets `order`, or a
    /// pinned deployment that sets one.
    fn has_order(&self, target: &Target) -> bool {
        match *target {
            Target::Group(group) => self.table.group(group).has_order,
            Target::Deployment(d) => self.table.deployment(d).config.order.is_some(),
            Target::Model(m) => self.table.litellm_model(m).has_order,
        }
    }

    /// Retry-After of "no deployments available": until the first cooldown among the target's
    /// `members` ends.
    fn first_cooldown_end(&self, members: &[DeploymentIdx], now: Time) -> Option<Duration> {
        members
            .iter()
            .map(|d| self.health[d.get()].cooling_until)
            .filter(|until| *until > now)
            .min()
            .map(|until| until - now)
    }

    /// Deployments of `target` that are eligible for a retry at `now` (not cooling, not
    /// failed earlier with a status that is not retried), leaving out `except`. Only those two
    /// filters count: "healthy" in ROUTING.md §5 means not cooling, so budgets, pre-call checks,
    /// tags and `order` tiers do not stop a group's retries.
    pub(super) fn healthy_count(
        &self,
        call: &Call,
        target: Target,
        except: Option<DeploymentIdx>,
        now: Time,
    ) -> usize {
        self.table
            .members(&target)
            .iter()
            .filter(|d| Some(**d) != except)
            .filter(|d| !self.health[d.get()].is_cooling(now))
            .filter(|d| !call.setbacks.skipped().contains(d))
            .count()
    }
}
