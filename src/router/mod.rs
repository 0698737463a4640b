//! The decision core: which deployment serves each attempt of each request.
//!
//! Sans-IO: no clock, no I/O, no global randomness. Time arrives as a [`Time`] argument and
//! randomness as `&mut impl Rng`, so that the simulator (virtual time, seeded streams) and the
//! live proxy (tokio, real time) drive the very same object. A request's life is the [`Call`]
//! state machine: [`Router::next_step`] answers `Send` or `Finish`, [`Router::record`] takes each
//! attempt's outcome. Must not: read `std::time`, spawn, allocate per decision, or iterate a
//! hash map.

pub mod call;
pub mod deployment;
pub mod error_class;
pub mod live_state;
pub mod request;
pub mod strategy;

use rand::Rng;

pub use call::{Call, Step};
pub use deployment::{Deployment, DeploymentIdx, DeploymentTable, GroupIdx, ModelGroup, Target};
pub use error_class::ErrorClass;
pub use live_state::LiveState;
pub use request::{
    AttemptFailure, CallResult, Completion, Failed, Outcome, RequestSpec, Route, Served,
};
pub use strategy::{PickContext, Strategy, StrategyKind, UnsupportedStrategy};

use crate::config::{DeploymentConfig, RouterSettings};
use crate::time::Time;

/// The router: deployments, settings, the strategy and the live state they act on.
#[derive(Debug, Clone)]
pub struct Router {
    table: DeploymentTable,
    settings: RouterSettings,
    strategy: StrategyKind,
    live: LiveState,
    /// Reused buffer of eligible deployments: no allocation per decision.
    candidates: Vec<DeploymentIdx>,
}

impl Router {
    /// A router over `deployments` with `settings`.
    pub fn new(
        deployments: &[DeploymentConfig],
        settings: RouterSettings,
    ) -> Result<Router, UnsupportedStrategy> {
        let table = DeploymentTable::new(deployments, &settings.model_group_alias);
        let strategy = StrategyKind::new(settings.routing_strategy)?;
        let live = LiveState::new(deployments.len());
        let largest = table
            .groups()
            .iter()
            .map(|g| g.members.len())
            .max()
            .unwrap_or(1);
        Ok(Router {
            table,
            settings,
            strategy,
            live,
            candidates: Vec::with_capacity(largest),
        })
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

    /// Resolves a requested model name (alias, group, deployment id, wildcard).
    pub fn resolve(&self, model: &str) -> Route {
        match self.table.resolve(model) {
            Some(target) => Route::To(target),
            None => Route::Unknown,
        }
    }

    /// Starts a request.
    pub fn start(&self, spec: RequestSpec) -> Call {
        Call::new(spec)
    }

    /// What to do next for `call` at `now`.
    pub fn next_step<R: Rng + ?Sized>(&mut self, call: &mut Call, now: Time, rng: &mut R) -> Step {
        if let Some(result) = call.result {
            return Step::Finish(result);
        }
        if let Some((deployment, not_before)) = call.in_flight {
            // Asked again before reporting the outcome: the answer has not changed.
            return Step::Send {
                deployment,
                not_before,
            };
        }
        let target = match call.spec.route {
            Route::To(target) => target,
            Route::Unknown => return self.finish_failed(call, ErrorClass::UnknownModel, None),
        };
        self.candidates.clear();
        match target {
            Target::Group(group) => self
                .candidates
                .extend_from_slice(&self.table.group(group).members),
            Target::Deployment(deployment) => self.candidates.push(deployment),
        }
        let ctx = PickContext {
            table: &self.table,
            live: &self.live,
            request: &call.spec,
            now,
        };
        let chosen = if self.candidates.is_empty() {
            None
        } else {
            self.strategy.pick(&self.candidates, &ctx, rng)
        };
        let Some(deployment) = chosen else {
            return self.finish_failed(call, ErrorClass::NoDeploymentsAvailable, None);
        };
        let not_before = now.max(call.not_before);
        self.live.dispatched(deployment);
        self.strategy.on_dispatch(deployment, now);
        call.attempts += 1;
        call.in_flight = Some((deployment, not_before));
        Step::Send {
            deployment,
            not_before,
        }
    }

    /// Reports the outcome of `call`'s outstanding attempt. An outcome with no attempt
    /// outstanding is ignored.
    pub fn record(&mut self, call: &mut Call, outcome: &Outcome, now: Time) {
        let Some((deployment, _)) = call.in_flight.take() else {
            return;
        };
        self.live.answered(deployment);
        self.strategy.on_outcome(deployment, outcome, now);
        call.result = Some(match *outcome {
            Outcome::Success(completion) => CallResult::Served(Served {
                deployment,
                completion,
                attempts: call.attempts,
                retries: call.attempts.saturating_sub(1),
                fallbacks: 0,
            }),
            Outcome::Failure(failure) => CallResult::Failed(Failed {
                class: failure.class,
                retry_after: failure.retry_after,
                last_deployment: Some(deployment),
                attempts: call.attempts,
                retries: call.attempts.saturating_sub(1),
                fallbacks: 0,
            }),
        });
    }

    fn finish_failed(
        &mut self,
        call: &mut Call,
        class: ErrorClass,
        retry_after: Option<std::time::Duration>,
    ) -> Step {
        let result = CallResult::Failed(Failed {
            class,
            retry_after,
            last_deployment: None,
            attempts: call.attempts,
            retries: call.attempts.saturating_sub(1),
            fallbacks: 0,
        });
        call.result = Some(result);
        Step::Finish(result)
    }
}
