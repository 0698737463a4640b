//! The decision core: which deployment serves each attempt of each request.
//!
//! Sans-IO: no clock, no I/O, no global randomness. Time arrives as a [`Time`] argument and
//! randomness as `&mut impl Rng`, so that the simulator (virtual time, seeded streams) and the
//! live proxy (tokio, real time) drive the very same object. A request's life is the [`Call`]
//! state machine: [`Router::next_step`] answers `Send`, `Wait` or `Finish`, [`Router::record`]
//! takes each attempt's outcome and applies retries, cooldowns and fallbacks. Must not: read
//! `std::time`, spawn, allocate per successful decision, or iterate a hash map.

pub mod auto_router;
pub mod budget;
pub mod call;
pub mod cooldown;
pub mod error_class;
pub mod fallback;
mod group_failure;
pub mod live_state;
pub mod pricing;
pub mod request;
pub mod retry;
mod selection;
pub mod strategy;
pub mod tags;
pub mod trace;
pub mod usage;

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

pub use crate::config::deployment_table::{
    Deployment, DeploymentIdx, DeploymentTable, GroupIdx, ModelGroup, Target,
};
pub use budget::{BudgetScope, BudgetWindow, Budgets};
pub use call::{Call, GroupFailure, Step};
pub use cooldown::{Cooldown, CooldownReason, Health};
pub use error_class::{ErrorClass, FallbackKind};
pub use fallback::FallbackPlans;
pub use live_state::LiveState;
pub use pricing::{Price, PriceFile, PriceSource};
pub use request::{
    AttemptFailure, CallResult, Completion, Failed, Outcome, RequestSpec, Route, Served,
};
pub use selection::Refusal;
pub use strategy::{PickContext, Strategy, StrategyKind};
pub use tags::{RequestTags, TagSet, TagVocabulary};
pub use trace::{Filtered, NoTrace, Trace, TraceEvent};

use cooldown::FailureContext;
use usage::MinuteUsage;

use crate::config::{DeploymentConfig, RouterSettings};
use crate::time::Time;

/// The router: deployments, settings, the strategy and the live state they act on.
#[derive(Debug, Clone)]
pub struct Router {
    table: Arc<DeploymentTable>,
    settings: RouterSettings,
    strategy: StrategyKind,
    live: LiveState,
    health: Vec<Health>,
    usage: Vec<MinuteUsage>,
    plans: FallbackPlans,
    prices: Vec<Option<Price>>,
    tags: TagVocabulary,
    deployment_tags: Vec<TagSet>,
    budgets: Budgets,
    auto_routers: Vec<Option<auto_router::AutoRouter>>,
    /// Reused buffer of eligible deployments: no allocation per decision.
    candidates: Vec<DeploymentIdx>,
}

/// What recording an outcome changed besides the call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recorded {
    /// The failure put the deployment in cooldown.
    pub cooldown: Option<Cooldown>,
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
        let strategy = StrategyKind::new(&settings, n);
        let plans = FallbackPlans::new(&settings, &table);
        let largest = table
            .groups()
            .iter()
            .map(|g| g.members.len())
            .max()
            .unwrap_or(1);
        // The config loader refuses more than `tags::MAX_TAGS` distinct tags.
        let tags = TagVocabulary::new(
            deployments
                .iter()
                .flat_map(|d| d.tags.iter().map(String::as_str))
                .chain(settings.tag_budget_config.keys().map(String::as_str))
                .chain([tags::DEFAULT_TAG]),
        )
        .unwrap_or_default();
        let deployment_tags = deployments.iter().map(|d| tags.set(&d.tags)).collect();
        let budgets = Budgets::new(&deployments, &settings, &tags);
        let auto_routers = table
            .groups()
            .iter()
            .map(|g| {
                let config = &table.deployment(g.members[0]).config;
                let auto = config.auto_router.as_ref()?;
                let spec = auto.spec.as_ref()?;
                Some(auto_router::AutoRouter::new(
                    spec,
                    auto.default_model.as_deref().unwrap_or(""),
                    &table,
                    &settings.model_group_alias,
                ))
            })
            .collect();
        let prices = deployments
            .iter()
            .map(|d| pricing::price_of(d, price_file))
            .collect();
        Router {
            table,
            settings,
            strategy,
            live: LiveState::new(n),
            health: vec![Health::default(); n],
            usage: vec![MinuteUsage::default(); n],
            plans,
            prices,
            tags,
            deployment_tags,
            budgets,
            auto_routers,
            candidates: Vec::with_capacity(largest),
        }
    }

    /// A request's tags as this router knows them.
    pub fn request_tags(&self, names: &[String]) -> RequestTags {
        RequestTags::new(names, &self.tags)
    }

    /// Every budget with what it limits.
    pub fn budgets(&self) -> Vec<(BudgetScope, &BudgetWindow)> {
        let mut out = Vec::new();
        for (name, b) in &self.budgets.providers {
            out.push((BudgetScope::Provider(name.clone()), b));
        }
        for (d, b) in self.budgets.deployments.iter().enumerate() {
            if let Some(b) = b {
                let id = self
                    .table
                    .deployment(DeploymentIdx(d as u32))
                    .config
                    .id
                    .clone();
                out.push((BudgetScope::Deployment(id), b));
            }
        }
        for (t, b) in self.budgets.tags.iter().enumerate() {
            if let Some(b) = b {
                out.push((BudgetScope::Tag(self.tags.name(t).to_string()), b));
            }
        }
        out
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

    /// Resolves a requested model name (deployment id, alias, group, wildcard).
    pub fn resolve(&self, model: &str) -> Route {
        match self.table.resolve(model, &self.settings.model_group_alias) {
            Some(target) => Route::To(target),
            None => Route::Unknown,
        }
    }

    /// The name of the group a route tries, for messages and reports.
    pub fn route_name(&self, route: Route) -> &str {
        route_name(&self.table, route)
    }

    /// The final error of a failed call in words: the last group's error, then the errors of
    /// the groups tried before it (LiteLLM appends "Fallback to … also failed").
    pub fn failure_message(&self, call: &Call) -> Option<String> {
        let Some(CallResult::Failed(f)) = call.result else {
            return None;
        };
        let name = |g: Option<GroupIdx>| {
            g.map_or("<unknown model>", |g| self.table.group(g).name.as_str())
        };
        let failures = call.group_failures();
        let last = failures.last().map_or("<unknown model>", |l| name(l.group));
        let mut message = format!(
            "{} ({}) from model group {last}",
            f.class.litellm_exception(),
            f.class.status()
        );
        if f.class == ErrorClass::TagsNotAllowed {
            message.push_str(&format!(
                ": not allowed to access model due to tags configuration (request tags: [{}])",
                call.spec.tags.names().join(", ")
            ));
        } else if f.class == ErrorClass::BudgetExceeded {
            message.push_str(": no deployments available, crossed budget");
        }
        if failures.len() > 1 {
            let earlier: Vec<String> = failures[..failures.len() - 1]
                .iter()
                .map(|g| format!("{}: {}", name(g.group), g.class.name()))
                .collect();
            message.push_str(&format!("; groups tried before it: {}", earlier.join(", ")));
        }
        Some(message)
    }

    /// Starts a request.
    pub fn start(&self, spec: RequestSpec) -> Call {
        Call::new(spec)
    }

    /// What to do next for `call` at `now`.
    pub fn next_step<R: Rng + ?Sized>(&mut self, call: &mut Call, now: Time, rng: &mut R) -> Step {
        self.next_step_traced(call, now, rng, &mut NoTrace)
    }

    /// [`Router::next_step`], reporting every decision to `trace`.
    pub fn next_step_traced<R: Rng + ?Sized, T: Trace>(
        &mut self,
        call: &mut Call,
        now: Time,
        rng: &mut R,
        trace: &mut T,
    ) -> Step {
        if let Some((deployment, not_before, timeout)) = call.in_flight {
            return Step::Send {
                deployment,
                not_before,
                timeout,
            };
        }
        if now < call.wait_until {
            // A backoff, or LiteLLM's last wait before giving up.
            return Step::Wait {
                until: call.wait_until,
            };
        }
        if let Some(result) = call.result {
            if trace.enabled() {
                let error = match result {
                    CallResult::Served(_) => None,
                    CallResult::Failed(f) => Some(f.class),
                };
                trace.event(now, TraceEvent::Finished(error));
            }
            return Step::Finish(result);
        }
        if !call.started {
            call.started = true;
            if trace.enabled() {
                trace.event(now, self.group_event(call));
            }
        }
        let mut auto_hops = 0;
        loop {
            if let Route::To(Target::Group(g)) = call.current
                && let Some(auto) = self.auto_routers[g.get()].as_mut()
            {
                auto_hops += 1;
                let decision = auto.decide(call.spec.prompt.as_deref());
                // A route back to the auto-router group itself would never end.
                call.current = match decision.route {
                    Route::To(Target::Group(back)) if back == g || auto_hops > 4 => Route::Unknown,
                    route => route,
                };
                if trace.enabled() {
                    trace.event(
                        now,
                        TraceEvent::AutoRouted {
                            group: self.route_group(call.current),
                            matched: decision.matched.is_some(),
                            score: decision.score,
                        },
                    );
                }
                continue;
            }
            let refusal = match call.current {
                Route::Unknown => Refusal {
                    class: ErrorClass::UnknownModel,
                    retry_after: None,
                },
                Route::To(target) => match self.select(call, target, now, rng, trace) {
                    Ok(deployment) => return self.dispatch(call, deployment, now),
                    Err(refusal) => refusal,
                },
            };
            call.last_retry_after = refusal.retry_after;
            let going_on = self.group_failed(call, refusal.class, now, trace);
            if now < call.wait_until {
                return Step::Wait {
                    until: call.wait_until,
                };
            }
            if !going_on {
                if trace.enabled() {
                    trace.event(now, TraceEvent::Finished(Some(refusal.class)));
                }
                return Step::Finish(call.result.expect("a finished call has a result"));
            }
        }
    }

    /// The group a route tries (a deployment id's group), `None` for an unknown name.
    pub fn route_group(&self, route: Route) -> Option<GroupIdx> {
        match route {
            Route::To(Target::Group(g)) => Some(g),
            Route::To(Target::Deployment(d)) => Some(self.table.deployment(d).group),
            Route::Unknown => None,
        }
    }

    fn group_event(&self, call: &Call) -> TraceEvent {
        TraceEvent::Group {
            group: self.route_group(call.current),
            depth: call.depth,
        }
    }

    fn attempt_timeout(&self, call: &Call, deployment: DeploymentIdx) -> Duration {
        if let Some(t) = call.spec.timeout {
            return t;
        }
        let d = &self.table.deployment(deployment).config;
        if call.spec.stream
            && let Some(t) = d.stream_timeout.or(self.settings.stream_timeout)
        {
            return t;
        }
        d.timeout.unwrap_or(self.settings.timeout)
    }

    fn dispatch(&mut self, call: &mut Call, deployment: DeploymentIdx, now: Time) -> Step {
        let timeout = self.attempt_timeout(call, deployment);
        self.live.dispatched(deployment);
        self.usage[deployment.get()].add_request(now);
        self.strategy.on_dispatch(deployment, now);
        call.attempts += 1;
        call.group_attempts += 1;
        call.in_flight = Some((deployment, now, timeout));
        Step::Send {
            deployment,
            not_before: now,
            timeout,
        }
    }

    /// Reports the outcome of `call`'s outstanding attempt at `now`. An outcome with no
    /// attempt outstanding is ignored.
    pub fn record<R: Rng + ?Sized>(
        &mut self,
        call: &mut Call,
        outcome: &Outcome,
        now: Time,
        rng: &mut R,
    ) -> Recorded {
        self.record_traced(call, outcome, now, rng, &mut NoTrace)
    }

    /// [`Router::record`], reporting every decision to `trace`.
    pub fn record_traced<R: Rng + ?Sized, T: Trace>(
        &mut self,
        call: &mut Call,
        outcome: &Outcome,
        now: Time,
        rng: &mut R,
        trace: &mut T,
    ) -> Recorded {
        let Some((deployment, _, _)) = call.in_flight.take() else {
            return Recorded::default();
        };
        call.last_deployment = Some(deployment);
        self.live.answered(deployment);
        self.strategy
            .on_outcome(deployment, &call.spec, outcome, now);
        let failure = match *outcome {
            Outcome::Success(completion) => {
                if trace.enabled() {
                    trace.event(
                        now,
                        TraceEvent::Outcome {
                            deployment,
                            error: None,
                        },
                    );
                }
                cooldown::record_success(&mut self.health[deployment.get()], now);
                let tokens =
                    u64::from(completion.input_tokens) + u64::from(completion.output_tokens);
                self.usage[deployment.get()].add_tokens(now, tokens);
                if self.budgets.any
                    && let Some(price) = self.prices[deployment.get()]
                {
                    let cost = price.cost(completion.input_tokens, completion.output_tokens);
                    self.budgets
                        .charge(deployment.get(), call.spec.tags.set, cost, now);
                }
                call.result = Some(CallResult::Served(Served {
                    deployment,
                    completion,
                    attempts: call.attempts,
                    retries: if call.depth == 0 {
                        call.group_attempts - 1
                    } else {
                        0
                    },
                    fallbacks: call.depth,
                }));
                return Recorded::default();
            }
            Outcome::Failure(failure) => failure,
        };
        if trace.enabled() {
            trace.event(
                now,
                TraceEvent::Outcome {
                    deployment,
                    error: Some(failure.class),
                },
            );
        }
        let config = &self.table.deployment(deployment).config;
        let single = self
            .table
            .group(self.table.deployment(deployment).group)
            .members
            .len()
            == 1;
        // Borrows only the table, so the health and call updates below need no copy.
        let requested = route_name(&self.table, call.current);
        let ctx = FailureContext {
            class: failure.class,
            retry_after: failure.retry_after,
            deployment_cooldown: config.cooldown_time,
            single_deployment_group: single,
            has_fallback: self.plans.has_general(requested),
        };
        let cooldown = cooldown::record_failure(
            &mut self.health[deployment.get()],
            &ctx,
            &self.settings,
            now,
            rng,
        );
        if self.settings.improvements.prefer_untried_deployment && !call.tried.contains(&deployment)
        {
            call.tried.push(deployment);
        }
        if let Some(c) = cooldown
            && trace.enabled()
        {
            trace.event(now, TraceEvent::Cooled(deployment, c));
        }
        if !failure.class.is_retryable_status()
            && failure
                .class
                .retry_policy_count(retry::policy_for(requested, &self.settings))
                .is_none()
        {
            // Not retried on this deployment; a retry policy that names the class retries it.
            call.skipped.push(deployment);
        }
        call.last_retry_after = failure.retry_after;
        let Route::To(target) = call.current else {
            unreachable!("an attempt was made, so the route resolved");
        };
        let allowed = *call.group_retries_allowed.get_or_insert_with(|| {
            let size = match target {
                Target::Group(g) => self.table.group(g).members.len(),
                Target::Deployment(_) => 1,
            };
            retry::allowed_retries(
                failure.class,
                requested,
                size,
                call.spec.num_retries,
                config.num_retries,
                &self.settings,
            )
        });
        let retries_used = call.group_attempts - 1;
        let others = self.healthy_count(call, target, Some(deployment), now);
        let itself =
            !self.health[deployment.get()].is_cooling(now) && !call.skipped.contains(&deployment);
        let healthy = others + usize::from(itself);
        let lone = others == 0;
        if retries_used < allowed && healthy > 0 {
            if lone {
                let wait = retry::backoff(retries_used, failure.retry_after, &self.settings, rng);
                call.wait_until = now + wait;
                if trace.enabled() {
                    trace.event(now, TraceEvent::Wait(wait));
                }
            }
            return Recorded { cooldown };
        }
        if lone
            && allowed > 0
            && retries_used >= allowed
            && !self.settings.improvements.skip_final_wait
        {
            // LiteLLM sleeps once more after the last failed attempt of a lone group.
            let wait = retry::backoff(retries_used, failure.retry_after, &self.settings, rng);
            call.wait_until = now + wait;
            if trace.enabled() {
                trace.event(now, TraceEvent::Wait(wait));
            }
        }
        if !self.group_failed(call, failure.class, now, trace) {
            return Recorded { cooldown };
        }
        Recorded { cooldown }
    }
}

/// The name of the group a route tries (a deployment id for a pinned deployment).
fn route_name(table: &DeploymentTable, route: Route) -> &str {
    match route {
        Route::To(Target::Group(g)) => &table.group(g).name,
        Route::To(Target::Deployment(d)) => &table.deployment(d).config.id,
        Route::Unknown => "<unknown>",
    }
}
