//! The decision core: which deployment serves each attempt of each request.
//!
//! Sans-IO: no clock, no I/O, no global randomness. Time arrives as a [`Time`] argument and
//! randomness as `&mut impl Rng`, so that the simulator (virtual time, seeded streams) and the
//! live proxy (tokio, real time) drive the very same object. A request's life is the [`Call`]
//! state machine ([`call`]): [`Router::next_step`] answers a [`Step`] — send this attempt, an
//! attempt is pending, wait until, or finish — and [`Router::record`] takes each attempt's
//! outcome, with the attempt's id, and applies cooldowns ([`cooldown`]), retries ([`retry`]) and
//! fallbacks (`fallback_walk`).
//!
//! Where each decision lives: the eligibility pipeline (`eligibility/`, one file per filter),
//! the strategies (`strategy/`, one file each), the retry count and backoff (`retry`), the
//! cooldown rules (`cooldown`), the fallback lists (`fallback`) and their walk
//! (`fallback_walk`), budgets (`budget`), tags (`tags`), the auto router (`auto_router/`),
//! prices (`pricing/`) and per-minute usage (`usage`). This file holds the router's state and
//! wires those decisions together; it decides nothing itself.
//!
//! Must not: read `std::time`, spawn, allocate per successful decision, or iterate a hash map.

pub mod auto_router;
pub mod budget;
pub mod call;
pub mod cooldown;
mod eligibility;
pub mod error_class;
mod failure_message;
pub mod fallback;
mod fallback_walk;
mod fleet_sync;
pub mod live_state;
pub mod pricing;
pub mod request;
pub mod retry;
mod setbacks;
mod state_view;
pub mod strategy;
pub mod sync;
pub mod tags;
pub mod trace;
pub mod usage;

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

pub use crate::config::deployment_table::{
    Deployment, DeploymentIdx, DeploymentTable, GroupIdx, LitellmModel, ModelGroup, ModelIdx,
    Target,
};
pub use budget::{BudgetIdx, BudgetScope, BudgetWindow, Budgets};
pub use call::{AttemptId, Call, GroupFailure, Phase, Step};
pub use cooldown::{Cooldown, CooldownCause, CooldownReason, Health};
pub use eligibility::Refusal;
pub use error_class::{ErrorClass, FallbackKind};
pub use failure_message::failure_message;
pub use fallback::FallbackPlans;
pub use live_state::LiveState;
pub use pricing::{Price, PriceFile, PriceSource};
pub use request::{
    AttemptFailure, CallResult, Completion, Failed, Outcome, RequestSpec, Route, Served,
};
pub use strategy::{PickContext, Strategy, StrategyKind};
pub use tags::{RequestTags, TagSet, TagVocabulary};
pub use trace::{Filtered, NoTrace, Trace, TraceEvent};

use call::Due;
use cooldown::FailureContext;
use eligibility::Pipeline;
use fallback_walk::{Next, Walk, route_name};
use retry::{AfterFailure, RetryDecision};
use usage::MinuteUsage;

use crate::config::{DeploymentConfig, RouterSettings};
use crate::time::Time;

/// The router: deployments, settings, the strategy and the live state they act on.
///
/// One router is one gateway instance: its live state (cooldowns, usage, spend, what the
/// strategy has learnt) is its own and shared with no other. Every per-deployment vector is
/// indexed by [`DeploymentIdx`] and sized once at construction. A clone is an independent
/// router with a copy of the state; only the immutable table is shared.
#[derive(Debug, Clone)]
pub struct Router {
    /// Deployments and groups, built once per run and shared with reports and other routers.
    table: Arc<DeploymentTable>,
    /// `router_settings` after defaults and layering, with Switchyard's improvements.
    settings: RouterSettings,
    /// The routing strategy, with what it learns from outcomes (latency windows, EWMA).
    strategy: StrategyKind,
    /// Attempts in flight, by deployment.
    live: LiveState,
    /// Cooldowns and the counts the cooldown rules read, by deployment.
    health: Vec<Health>,
    /// Requests and tokens in the current minute, by deployment.
    usage: Vec<MinuteUsage>,
    /// By deployment: the latest cooldown deadline the fleet's store is known to hold (what a
    /// sync need not send again); [`Time::ZERO`] without a fleet.
    shared_cooldowns: Vec<Time>,
    /// The fallback tables, resolved to routes once.
    plans: FallbackPlans,
    /// Price per token, by deployment; `None` when no source knows it (cost-based routing
    /// then ranks the deployment last, and its successes charge no budget).
    prices: Vec<Option<Price>>,
    /// Every tag the deployments and tag budgets name, plus `default`, interned.
    tags: TagVocabulary,
    /// Each deployment's tags as a bitmask over `tags`.
    deployment_tags: Vec<TagSet>,
    /// By group: every tag its members carry (the tag filter's "known to the group" rule).
    group_tags: Vec<TagSet>,
    /// The `default` tag as a set (looked up once: it is read on every tag-filtered decision).
    default_tags: TagSet,
    /// Provider, deployment and tag spend windows.
    budgets: Budgets,
    /// By group: the auto router of a group whose first deployment is an `auto_router/…`
    /// entry whose routes the config loader read; `None` for ordinary groups.
    auto_routers: Vec<Option<auto_router::AutoRouter>>,
    /// Reused buffer of eligible deployments: no allocation per decision.
    candidates: Vec<DeploymentIdx>,
    /// The last attempt id handed out. Ids count 1, 2, … across every request of this router,
    /// so a late outcome can never be taken for a newer attempt's.
    last_attempt: u64,
}

/// What recording an outcome changed besides the call.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Recorded {
    /// The failure put the deployment in cooldown.
    pub cooldown: Option<Cooldown>,
    /// The outcome was for an attempt that is not in flight (late, or reported twice) and was
    /// ignored: nothing changed.
    pub stale: bool,
    /// A success charged to budgets: its cost ([`Router::budgets_charged_by`] says which).
    pub charged: Option<f64>,
}

impl Router {
    /// A router over `deployments` with `settings`, pricing from the deployments and the
    /// built-in table.
    pub fn new(deployments: &[DeploymentConfig], settings: RouterSettings) -> Router {
        Router::with_prices(deployments, settings, None)
    }

    /// A router whose prices also come from a `--prices` file.
    pub fn with_prices(
        deployments: &[DeploymentConfig],
        settings: RouterSettings,
        price_file: Option<&PriceFile>,
    ) -> Router {
        Router::from_table(
            Arc::new(DeploymentTable::new(deployments)),
            settings,
            price_file,
        )
    }

    /// A router over a table built once for the run (shared with reports and other routers).
    pub fn from_table(
        table: Arc<DeploymentTable>,
        settings: RouterSettings,
        price_file: Option<&PriceFile>,
    ) -> Router {
        let deployments: Vec<&DeploymentConfig> =
            table.deployments().iter().map(|d| &d.config).collect();
        let n = deployments.len();
        let tags = tag_vocabulary(&deployments, &settings);
        let largest = table.groups().iter().map(|g| g.members.len()).max();
        Router {
            strategy: StrategyKind::new(&settings, n),
            live: LiveState::new(n),
            health: vec![Health::default(); n],
            usage: vec![MinuteUsage::default(); n],
            shared_cooldowns: vec![Time::ZERO; n],
            plans: FallbackPlans::new(&settings, &table),
            prices: deployments
                .iter()
                .map(|d| pricing::price_of(d, price_file))
                .collect(),
            deployment_tags: deployments.iter().map(|d| tags.set(&d.tags)).collect(),
            group_tags: table
                .groups()
                .iter()
                .map(|g| {
                    g.members.iter().fold(TagSet::EMPTY, |all, d| {
                        all.union(tags.set(&deployments[d.get()].tags))
                    })
                })
                .collect(),
            default_tags: tags.default_set(),
            budgets: Budgets::new(&deployments, &settings, &tags),
            auto_routers: auto_routers(&table, &settings),
            candidates: Vec::with_capacity(largest.unwrap_or(1)),
            last_attempt: 0,
            tags,
            table,
            settings,
        }
    }

    /// A request's tags as this router knows them.
    pub fn request_tags(&self, names: &[String]) -> RequestTags {
        RequestTags::new(names, &self.tags)
    }

    /// Every budget with its window, in [`BudgetIdx`] order.
    pub fn budgets(&self) -> impl Iterator<Item = (BudgetIdx, &BudgetWindow)> + '_ {
        self.budgets.iter()
    }

    /// The budgets a success of `deployment` for a request with `tags` is charged to.
    pub fn budgets_charged_by(
        &self,
        deployment: DeploymentIdx,
        tags: TagSet,
    ) -> impl Iterator<Item = (BudgetIdx, &BudgetWindow)> + '_ {
        self.budgets.charged_to(deployment, tags)
    }

    /// What a budget limits, by name.
    pub fn budget_scope(&self, budget: BudgetIdx) -> BudgetScope {
        self.budgets.scope(budget, &self.table, &self.tags)
    }

    /// Whether any group is an auto router (only then does a request's prompt matter).
    pub fn has_auto_router(&self) -> bool {
        self.auto_routers.iter().any(Option::is_some)
    }

    /// Replaces the auto router of `group` (an `auto_router/…` group) with `auto`: the live
    /// proxy's, built from an embedding model's vectors once it has them. Ignored for a group
    /// that is no auto router.
    pub fn install_auto_router(&mut self, group: GroupIdx, auto: auto_router::AutoRouter) {
        if let Some(slot @ Some(_)) = self.auto_routers.get_mut(group.get()) {
            *slot = Some(auto);
        }
    }

    /// A deployment's price per token, if any source knows it.
    pub fn price(&self, d: DeploymentIdx) -> Option<Price> {
        self.prices[d.get()]
    }

    /// Deployments and groups.
    pub fn table(&self) -> &DeploymentTable {
        &self.table
    }

    /// The settings in force.
    pub fn settings(&self) -> &RouterSettings {
        &self.settings
    }

    /// Live counters.
    pub fn live(&self) -> &LiveState {
        &self.live
    }

    /// One deployment's health (cooldown state and failure counts).
    pub fn health(&self, d: DeploymentIdx) -> &Health {
        &self.health[d.get()]
    }

    /// One deployment's requests and tokens in the current minute, as the rpm/tpm checks and
    /// usage-based routing read them.
    pub fn usage(&self, d: DeploymentIdx) -> &MinuteUsage {
        &self.usage[d.get()]
    }

    /// Resolves a requested model name (deployment id, alias, group, wildcard,
    /// `litellm_params.model`).
    pub fn resolve(&self, model: &str) -> Route {
        match self.table.resolve(model, &self.settings.model_group_alias) {
            Some(target) => Route::To(target),
            None => Route::Unknown,
        }
    }

    /// Whether LiteLLM's proxy routes a request whose `model`, as the client sent it,
    /// resolved to `route` as a specific deployment: the name is a `litellm_params.model`
    /// itself (not an alias of one) and the config has no `*` pattern, which would send every
    /// name it does not serve down the pattern path (`proxy/route_llm_request.py`). The
    /// request's [`RequestSpec::specific_deployment`].
    pub fn routes_as_specific_deployment(&self, model: &str, route: Route) -> bool {
        matches!(route, Route::To(Target::Model(_)))
            && !self.table.has_patterns()
            && !self.settings.model_group_alias.contains_key(model)
    }

    /// The name of the group a route tries, for messages and reports.
    pub fn route_name(&self, route: Route) -> &str {
        route_name(&self.table, route)
    }

    /// The group a route tries (a deployment id's group), `None` for an unknown name.
    pub fn route_group(&self, route: Route) -> Option<GroupIdx> {
        self.walk().route_group(route)
    }

    /// The final error of a failed call in words ([`failure_message()`]).
    pub fn failure_message(&self, call: &Call) -> Option<String> {
        let last_group = self.settings.improvements.final_error_last_group;
        failure_message(&self.table, call, last_group)
    }

    /// Whether `call` failed with "no deployments available" because every deployment of the
    /// group whose error is final (the primary's, or the last group's with
    /// `final_error_last_group`) is cooling at `now`: LiteLLM raises its `RouterRateLimitError`
    /// then, whose `type` is `all_deployments_in_cooldown`.
    pub fn failed_all_cooling(&self, call: &Call, now: Time) -> bool {
        let failures = call.group_failures();
        let last_group = self.settings.improvements.final_error_last_group;
        let final_failure = if last_group {
            failures.last()
        } else {
            failures.first()
        };
        let Some(GroupFailure {
            route: Route::To(target),
            class: ErrorClass::NoDeploymentsAvailable,
            ..
        }) = final_failure
        else {
            return false;
        };
        let members = self.table.members(target);
        !members.is_empty() && members.iter().all(|&d| self.health(d).is_cooling(now))
    }

    /// Starts a request. Nothing is chosen or counted yet: the first [`Router::next_step`]
    /// does that.
    pub fn start(&self, spec: RequestSpec) -> Call {
        Call::new(spec)
    }

    /// What to do next for `call` at `now`: send an attempt to the deployment chosen now, wait
    /// for the one in flight ([`Step::Pending`], never a second send), wait out a backoff, or
    /// finish. Every random draw of the decision comes from `rng`.
    pub fn next_step<R: Rng + ?Sized>(&mut self, call: &mut Call, now: Time, rng: &mut R) -> Step {
        self.next_step_traced(call, now, rng, &mut NoTrace)
    }

    /// [`Router::next_step`], reporting every decision to `trace`.
    #[cfg_attr(feature = "profile-parts", inline(never))]
    pub fn next_step_traced<R: Rng + ?Sized, T: Trace>(
        &mut self,
        call: &mut Call,
        now: Time,
        rng: &mut R,
        trace: &mut T,
    ) -> Step {
        match call.due(now) {
            Due::Step(step) => {
                if let Step::Finish(result) = step
                    && trace.enabled()
                {
                    let error = match result {
                        CallResult::Served(_) => None,
                        CallResult::Failed(f) => Some(f.class),
                    };
                    trace.event(now, TraceEvent::Finished(error));
                }
                step
            }
            Due::Choose { first } => {
                if first && trace.enabled() {
                    trace.event(now, self.walk().group_event(call));
                }
                self.choose(call, now, rng, trace)
            }
        }
    }

    /// Reports the outcome of `call`'s attempt `attempt` at `now`. An outcome for an attempt
    /// that is not in flight changes nothing and comes back [`Recorded::stale`].
    pub fn record<R: Rng + ?Sized>(
        &mut self,
        call: &mut Call,
        attempt: AttemptId,
        outcome: &Outcome,
        now: Time,
        rng: &mut R,
    ) -> Recorded {
        self.record_traced(call, attempt, outcome, now, rng, &mut NoTrace)
    }

    /// [`Router::record`], reporting every decision to `trace`.
    #[cfg_attr(feature = "profile-parts", inline(never))]
    pub fn record_traced<R: Rng + ?Sized, T: Trace>(
        &mut self,
        call: &mut Call,
        attempt: AttemptId,
        outcome: &Outcome,
        now: Time,
        rng: &mut R,
        trace: &mut T,
    ) -> Recorded {
        let Some(deployment) = call.answered(attempt) else {
            return Recorded {
                stale: true,
                ..Recorded::default()
            };
        };
        self.live.answered(deployment);
        self.strategy
            .on_outcome(deployment, &call.spec, outcome, now);
        if trace.enabled() {
            let error = match outcome {
                Outcome::Success(_) => None,
                Outcome::Failure(f) => Some(f.class),
            };
            trace.event(now, TraceEvent::Outcome { deployment, error });
        }
        match outcome {
            Outcome::Success(completion) => Recorded {
                charged: self.served(call, deployment, *completion, now),
                ..Recorded::default()
            },
            Outcome::Failure(failure) => Recorded {
                cooldown: self.failed(call, deployment, failure, now, rng, trace),
                ..Recorded::default()
            },
        }
    }

    /// The driver gives up on `call`'s attempt `attempt` without an outcome (the client went
    /// away): the deployment's in-flight count drops as if it had answered, and nothing else
    /// changes — no health, usage or spend is counted, and the call is not asked again. Returns
    /// whether the attempt was in flight.
    pub fn abandon(&mut self, call: &mut Call, attempt: AttemptId) -> bool {
        let Some(deployment) = call.answered(attempt) else {
            return false;
        };
        self.live.answered(deployment);
        true
    }

    /// The fallback walk over this router's groups and lists.
    #[inline]
    fn walk(&self) -> Walk<'_> {
        Walk {
            table: &self.table,
            plans: &self.plans,
            settings: &self.settings,
        }
    }

    /// The eligibility pipeline over this router's state.
    #[inline]
    fn pipeline(&self) -> Pipeline<'_> {
        Pipeline {
            table: &self.table,
            settings: &self.settings,
            health: &self.health,
            usage: &self.usage,
            budgets: &self.budgets,
            live: &self.live,
            prices: &self.prices,
            deployment_tags: &self.deployment_tags,
            group_tags: &self.group_tags,
            default_tags: self.default_tags,
        }
    }

    /// Chooses a deployment for a ready call, moving along its fallbacks while groups refuse.
    #[cfg_attr(feature = "profile-parts", inline(never))]
    fn choose<R: Rng + ?Sized, T: Trace>(
        &mut self,
        call: &mut Call,
        now: Time,
        rng: &mut R,
        trace: &mut T,
    ) -> Step {
        let mut auto_hops = 0;
        loop {
            if self.auto_route(call, &mut auto_hops, now, trace) {
                continue;
            }
            let refusal = match call.current {
                // A fallback of a specific deployment's request is looked up by
                // `litellm_params.model`: a name nothing serves finds no deployment.
                Route::Unknown if call.spec.specific_deployment => Refusal {
                    class: ErrorClass::NoDeploymentsAvailable,
                    retry_after: None,
                },
                Route::Unknown => Refusal {
                    class: ErrorClass::UnknownModel,
                    retry_after: None,
                },
                Route::To(target) => {
                    let mut candidates = std::mem::take(&mut self.candidates);
                    let chosen = self.pipeline().select(
                        &self.strategy,
                        &mut candidates,
                        call,
                        target,
                        now,
                        rng,
                        trace,
                    );
                    self.candidates = candidates;
                    match chosen {
                        Ok(deployment) => return self.dispatch(call, deployment, now),
                        Err(refusal) => refusal,
                    }
                }
            };
            call.last_retry_after = refusal.retry_after;
            if let Next::GaveUp(failed) = self.walk().group_failed(call, refusal.class, now, trace)
            {
                if trace.enabled() {
                    trace.event(now, TraceEvent::Finished(Some(refusal.class)));
                }
                call.finish(CallResult::Failed(failed), now);
                return Step::Finish(CallResult::Failed(failed));
            }
        }
    }

    /// When the call's current group is an auto router, routes the prompt to one of its
    /// groups; returns whether it did. A route back to the auto router itself, or a chain of
    /// more than four, ends at an unknown model.
    fn auto_route<T: Trace>(
        &mut self,
        call: &mut Call,
        hops: &mut u32,
        now: Time,
        trace: &mut T,
    ) -> bool {
        let Route::To(Target::Group(g)) = call.current else {
            return false;
        };
        let Some(auto) = self.auto_routers[g.get()].as_mut() else {
            return false;
        };
        *hops += 1;
        let decision = auto.decide_with(
            call.spec.prompt.as_deref(),
            call.spec.prompt_vector.as_deref(),
        );
        call.current = match decision.route {
            Route::To(Target::Group(back)) if back == g || *hops > 4 => Route::Unknown,
            route => route,
        };
        if trace.enabled() {
            let group = self.route_group(call.current);
            let matched = decision.matched.is_some();
            let score = decision.score;
            trace.event(
                now,
                TraceEvent::AutoRouted {
                    group,
                    matched,
                    score,
                },
            );
        }
        true
    }

    /// The per-attempt timeout: the request's, else (streaming) the deployment's or router's
    /// `stream_timeout`, else the deployment's or router's `timeout`.
    #[inline]
    fn attempt_timeout(&self, call: &Call, deployment: DeploymentIdx) -> Duration {
        if let Some(t) = call.spec.timeout {
            return t;
        }
        let d = &self.table.deployment(deployment).config;
        // The stream flag last: whether a request streams is the workload's coin toss, while
        // a configured `stream_timeout` is the same for every call.
        if let Some(t) = d.stream_timeout.or(self.settings.stream_timeout)
            && call.spec.stream
        {
            return t;
        }
        d.timeout.unwrap_or(self.settings.timeout)
    }

    /// Sends the call's next attempt to `deployment`.
    #[inline(always)]
    fn dispatch(&mut self, call: &mut Call, deployment: DeploymentIdx, now: Time) -> Step {
        let timeout = self.attempt_timeout(call, deployment);
        self.live.dispatched(deployment);
        self.usage[deployment.get()].add_request(now);
        self.strategy.on_dispatch(deployment, now);
        self.last_attempt += 1;
        let attempt = AttemptId(self.last_attempt);
        call.send(attempt, deployment);
        Step::Send {
            attempt,
            deployment,
            timeout,
        }
    }

    /// A success: health, usage and spend, and the call is served. Returns the cost charged
    /// to budgets, if any.
    #[inline(always)]
    fn served(
        &mut self,
        call: &mut Call,
        deployment: DeploymentIdx,
        completion: Completion,
        now: Time,
    ) -> Option<f64> {
        cooldown::record_success(&mut self.health[deployment.get()], now);
        let tokens = u64::from(completion.input_tokens) + u64::from(completion.output_tokens);
        self.usage[deployment.get()].add_tokens(now, tokens);
        let mut charged = None;
        if self.budgets.any
            && let Some(price) = self.prices[deployment.get()]
        {
            let cost = price.cost(completion.input_tokens, completion.output_tokens);
            self.budgets
                .charge(deployment.get(), call.spec.tags.set, cost, now);
            charged = Some(cost);
        }
        let retries = if call.depth == 0 {
            call.group.sent - 1
        } else {
            0
        };
        let served = Served {
            deployment,
            completion,
            attempts: call.attempts,
            retries,
            fallbacks: call.outer_fallbacks,
        };
        call.finish(CallResult::Served(served), now);
        charged
    }

    /// A failure: cooldown, then a retry in the group or the fallback walk. Returns the
    /// cooldown it started, if any.
    fn failed<R: Rng + ?Sized, T: Trace>(
        &mut self,
        call: &mut Call,
        deployment: DeploymentIdx,
        failure: &AttemptFailure,
        now: Time,
        rng: &mut R,
        trace: &mut T,
    ) -> Option<Cooldown> {
        let cooldown = self.cool(call, deployment, failure, now, rng);
        if let Some(c) = cooldown
            && trace.enabled()
        {
            trace.event(now, TraceEvent::Cooled(deployment, c));
        }
        self.remember_failure(call, deployment, failure.class);
        call.last_retry_after = failure.retry_after;
        let after = self.after_failure(call, deployment, failure, now);
        let (wait, exhausted) = match retry::decide(&after, &self.settings, rng) {
            RetryDecision::Again { wait } => (wait, false),
            RetryDecision::Exhausted { wait } => (wait, true),
        };
        if let Some(wait) = wait {
            call.back_off(now + wait);
            if trace.enabled() {
                trace.event(now, TraceEvent::Wait(wait));
            }
        }
        if exhausted
            && let Next::GaveUp(failed) = self.walk().group_failed(call, failure.class, now, trace)
        {
            call.finish(CallResult::Failed(failed), now);
        }
        cooldown
    }

    /// Applies the cooldown rules to a failure of `deployment`.
    fn cool<R: Rng + ?Sized>(
        &mut self,
        call: &Call,
        deployment: DeploymentIdx,
        failure: &AttemptFailure,
        now: Time,
        rng: &mut R,
    ) -> Option<Cooldown> {
        let d = self.table.deployment(deployment);
        let ctx = FailureContext {
            class: failure.class,
            retry_after: failure.retry_after,
            deployment_cooldown: d.config.cooldown_time,
            single_deployment_group: self.table.group(d.group).members.len() == 1,
            has_fallback: self
                .plans
                .has_general(route_name(&self.table, call.current)),
        };
        let health = &mut self.health[deployment.get()];
        cooldown::record_failure(health, &ctx, &self.settings, now, rng)
    }

    /// Notes a failed deployment on the call: tried (for the untried preference), and skipped
    /// for the rest of the group when its status is not retried on the same deployment and no
    /// retry policy names the class.
    fn remember_failure(&self, call: &mut Call, deployment: DeploymentIdx, class: ErrorClass) {
        if self.settings.improvements.prefer_untried_deployment
            && !call.setbacks.tried().contains(&deployment)
        {
            call.setbacks.get_mut().tried.push(deployment);
        }
        // The policy lookup (a map keyed by group name) only for statuses not retried anyway.
        if !class.is_retryable_status() {
            let requested = route_name(&self.table, call.current);
            let policy = retry::policy_for(requested, &self.settings);
            if class.retry_policy_count(policy).is_none() {
                call.setbacks.get_mut().skipped.push(deployment);
            }
        }
    }

    /// What the retry decision needs after a failure of `deployment`.
    fn after_failure(
        &self,
        call: &mut Call,
        deployment: DeploymentIdx,
        failure: &AttemptFailure,
        now: Time,
    ) -> AfterFailure {
        let target = match call.current {
            Route::To(target) => target,
            Route::Unknown => Target::Deployment(deployment),
        };
        let requested = route_name(&self.table, call.current);
        let group_size = self.table.members(&target).len();
        let deployment_retries = self.table.deployment(deployment).config.num_retries;
        let request_retries = call.spec.num_retries;
        let allowed = *call.group.retries_allowed.get_or_insert_with(|| {
            retry::allowed_retries(
                failure.class,
                requested,
                group_size,
                request_retries,
                deployment_retries,
                &self.settings,
            )
        });
        let pipeline = self.pipeline();
        AfterFailure {
            retries_used: call.group.sent - 1,
            allowed,
            others_healthy: pipeline.healthy_count(call, target, Some(deployment), now),
            itself_healthy: !self.health[deployment.get()].is_cooling(now)
                && !call.setbacks.skipped().contains(&deployment),
            retry_after: failure.retry_after,
        }
    }
}

/// Every tag the deployments and tag budgets name, plus `default`. The config loader refuses
/// more than [`tags::MAX_TAGS`] distinct tags, so the vocabulary always fits.
fn tag_vocabulary(deployments: &[&DeploymentConfig], settings: &RouterSettings) -> TagVocabulary {
    TagVocabulary::new(
        deployments
            .iter()
            .flat_map(|d| d.tags.iter().map(String::as_str))
            .chain(settings.tag_budget_config.keys().map(String::as_str))
            .chain([tags::DEFAULT_TAG]),
    )
    .unwrap_or_default()
}

/// The auto router of each group whose deployment is an `auto_router/…` entry.
fn auto_routers(
    table: &DeploymentTable,
    settings: &RouterSettings,
) -> Vec<Option<auto_router::AutoRouter>> {
    table
        .groups()
        .iter()
        .map(|g| {
            let config = &table.deployment(g.members[0]).config;
            let auto = config.auto_router.as_ref()?;
            let spec = auto.spec.as_ref()?;
            Some(auto_router::AutoRouter::new(
                spec,
                auto.default_model.as_deref().unwrap_or(""),
                table,
                &settings.model_group_alias,
            ))
        })
        .collect()
}
