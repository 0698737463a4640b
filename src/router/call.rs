//! One request's life as an explicit state machine.
//!
//! The driver (simulator or live proxy) asks [`crate::router::Router::next_step`] what to do and
//! gets [`Step::Send`] (send an attempt to this deployment), [`Step::Wait`] (ask again at this
//! instant: a backoff) or [`Step::Finish`]; it reports each attempt's outcome back through
//! [`crate::router::Router::record`]. The state here is plain data; the decisions live in the
//! router so that every driver gets the same policy.

use std::time::Duration;

use super::error_class::ErrorClass;
use super::fallback::ListId;
use super::request::{CallResult, RequestSpec, Route};
use crate::config::deployment_table::{DeploymentIdx, GroupIdx};
use crate::time::Time;

/// What the driver should do next for a request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// Send an attempt to `deployment`.
    Send {
        /// The chosen deployment.
        deployment: DeploymentIdx,
        /// The earliest instant the attempt may start.
        not_before: Time,
        /// How long the attempt may take before it ends as a timeout.
        timeout: Duration,
    },
    /// Nothing to do until `until` (a backoff); then ask again.
    Wait {
        /// When to ask again.
        until: Time,
    },
    /// The request is over.
    Finish(CallResult),
}

/// Where a fallback list comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ListRef {
    /// One of the router's configured lists.
    Plan(ListId),
    /// The request's own `fallbacks`.
    Request,
}

/// A fallback list being walked, depth-first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Frame {
    pub(super) list: ListRef,
    pub(super) next: u32,
    pub(super) depth: u32,
}

/// One group's failure, for the final error and the fallback path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupFailure {
    /// The group tried (`None` for a name nothing matched).
    pub group: Option<GroupIdx>,
    /// Its final error.
    pub class: ErrorClass,
}

/// The router's record of one request in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub(super) spec: RequestSpec,
    pub(super) attempts: u32,
    pub(super) in_flight: Option<(DeploymentIdx, Time, Duration)>,
    pub(super) wait_until: Time,
    pub(super) result: Option<CallResult>,
    pub(super) started: bool,
    pub(super) current: Route,
    pub(super) depth: u32,
    pub(super) fallbacks_tried: u32,
    pub(super) group_attempts: u32,
    pub(super) group_retries_allowed: Option<u32>,
    pub(super) tier_floor: Option<u32>,
    pub(super) skipped: Vec<DeploymentIdx>,
    /// Deployments that failed this request in the current group (kept only when the
    /// `prefer_untried_deployment` improvement is on).
    pub(super) tried: Vec<DeploymentIdx>,
    pub(super) frames: Vec<Frame>,
    pub(super) failures: Vec<GroupFailure>,
    pub(super) last_retry_after: Option<Duration>,
    pub(super) last_deployment: Option<DeploymentIdx>,
}

impl Call {
    /// A request that has made no attempt yet.
    pub fn new(spec: RequestSpec) -> Call {
        let current = spec.route;
        Call {
            spec,
            attempts: 0,
            in_flight: None,
            wait_until: Time::ZERO,
            result: None,
            started: false,
            current,
            depth: 0,
            fallbacks_tried: 0,
            group_attempts: 0,
            group_retries_allowed: None,
            tier_floor: None,
            skipped: Vec::new(),
            tried: Vec::new(),
            frames: Vec::new(),
            failures: Vec::new(),
            last_retry_after: None,
            last_deployment: None,
        }
    }

    /// The request.
    pub fn spec(&self) -> &RequestSpec {
        &self.spec
    }

    /// Attempts sent so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The deployment of the attempt now outstanding, if any.
    pub fn in_flight(&self) -> Option<DeploymentIdx> {
        self.in_flight.map(|(d, _, _)| d)
    }

    /// The result, once the request is over.
    pub fn result(&self) -> Option<&CallResult> {
        self.result.as_ref()
    }

    /// The groups that failed, in the order they were tried.
    pub fn group_failures(&self) -> &[GroupFailure] {
        &self.failures
    }

    /// The route being tried now (the serving one once served).
    pub fn current_route(&self) -> Route {
        self.current
    }

    pub(super) fn reset_group(&mut self) {
        self.group_attempts = 0;
        self.group_retries_allowed = None;
        self.skipped.clear();
        self.tried.clear();
    }
}
