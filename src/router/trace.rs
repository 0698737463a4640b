//! Explanations: what the router considered for one request, step by step.
//!
//! The router reports each decision to a [`Trace`]; the default [`NoTrace`] compiles to
//! nothing, so the hot path pays only when someone asks (`switchyard run --explain ID`).
//! It decides what is worth telling; not how it is printed.

use std::time::Duration;

use super::cooldown::Cooldown;
use super::error_class::ErrorClass;
use super::request::Route;
use crate::config::deployment_table::{DeploymentIdx, GroupIdx, Target};
use crate::time::Time;

/// Which budget excluded a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetKind {
    /// The provider's (`provider_budget_config`).
    Provider,
    /// The deployment's own (`max_budget`).
    Deployment,
    /// One of the request's tags' (`tag_budget_config`).
    Tag,
}

/// Why the eligibility pipeline removed a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filtered {
    /// Cooling down until the instant.
    Cooling(Time),
    /// Failed this request earlier with a status that is not retried.
    FailedEarlier,
    /// A budget is used up: its provider's, its own, or one of the request's tags'.
    OverBudget(BudgetKind),
    /// Its tags do not admit the request's.
    Tags,
    /// Its context window is smaller than the prompt.
    ContextWindow {
        /// The deployment's `max_input_tokens`.
        max_input_tokens: u64,
    },
    /// At its `rpm` for the current minute.
    RpmLimit {
        /// Requests already sent this minute.
        used: u32,
        /// The limit.
        rpm: u64,
    },
    /// Refused by usage-based routing: over its `rpm` or `tpm` for the current minute as
    /// LiteLLM counts them (ROUTING.md §3).
    UsageLimit {
        /// Requests sent to it this minute.
        requests: u32,
        /// Its `rpm`, if set.
        rpm: Option<u64>,
        /// Tokens its successes used this minute.
        tokens: u64,
        /// This request's input tokens.
        input_tokens: u32,
        /// Its `tpm`, if set.
        tpm: Option<u64>,
    },
    /// Outside the lowest `order` tier still available.
    OrderTier {
        /// The deployment's order.
        order: u32,
        /// The tier in use.
        tier: u32,
    },
}

/// One thing the router did or saw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TraceEvent {
    /// Trying a group (depth 0 is the requested one).
    Group {
        /// The route tried: a group, a pinned deployment (its group), a
        /// `litellm_params.model` (no group), or a name nothing matches.
        route: Route,
        /// LiteLLM's `fallback_depth` for the group: the failed group's count plus the group's
        /// place among the targets tried from its list (0 for the requested group).
        depth: u32,
    },
    /// The auto router chose a group (`None`: a name nothing matches) for the prompt.
    AutoRouted {
        /// The chosen group.
        group: Option<GroupIdx>,
        /// Whether a route matched (else the default model).
        matched: bool,
        /// The route's score.
        score: f32,
    },
    /// The deployments the pipeline starts from.
    Candidates(Target),
    /// A deployment was dropped by a filter.
    Filtered(DeploymentIdx, Filtered),
    /// The strategy chose among the candidates left.
    Chosen {
        /// The chosen deployment.
        deployment: DeploymentIdx,
        /// How many candidates were left.
        candidates: u32,
    },
    /// An attempt ended.
    Outcome {
        /// The deployment.
        deployment: DeploymentIdx,
        /// `None` for success.
        error: Option<ErrorClass>,
    },
    /// The failure cooled the deployment.
    Cooled(DeploymentIdx, Cooldown),
    /// Waiting before the next step.
    Wait(Duration),
    /// The group gave up.
    GroupFailed(ErrorClass),
    /// The request ended: `None` served, else the final error.
    Finished(Option<ErrorClass>),
}

/// Receives the router's decisions.
pub trait Trace {
    /// Whether anyone listens (lets the router skip building events).
    fn enabled(&self) -> bool;
    /// One event at `now`.
    fn event(&mut self, now: Time, event: TraceEvent);
}

/// Listens to nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoTrace;

impl Trace for NoTrace {
    #[inline(always)]
    fn enabled(&self) -> bool {
        false
    }
    #[inline(always)]
    fn event(&mut self, _now: Time, _event: TraceEvent) {}
}

impl Trace for Vec<(Time, TraceEvent)> {
    fn enabled(&self) -> bool {
        true
    }
    fn event(&mut self, now: Time, event: TraceEvent) {
        self.push((now, event));
    }
}
