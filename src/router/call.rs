//! One request's life as an explicit state machine.
//!
//! The driver (simulator or live proxy) asks [`crate::router::Router::next_step`] what to do and
//! gets [`Step::Send`] (send an attempt to this deployment, not before this instant) or
//! [`Step::Finish`]; it reports each attempt's [`Outcome`](super::request::Outcome) back through
//! [`crate::router::Router::record`]. The state here is plain data; the decisions live in the
//! router so that every driver gets the same policy.

use super::deployment::DeploymentIdx;
use super::request::{CallResult, RequestSpec};
use crate::time::Time;

/// What the driver should do next for a request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// Send an attempt to `deployment`, starting no earlier than `not_before`.
    Send {
        /// The chosen deployment.
        deployment: DeploymentIdx,
        /// The earliest instant the attempt may start (a backoff ends then).
        not_before: Time,
    },
    /// The request is over.
    Finish(CallResult),
}

/// The router's record of one request in progress.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Call {
    pub(super) spec: RequestSpec,
    pub(super) attempts: u32,
    pub(super) in_flight: Option<(DeploymentIdx, Time)>,
    pub(super) not_before: Time,
    pub(super) result: Option<CallResult>,
}

impl Call {
    /// A request that has made no attempt yet.
    pub fn new(spec: RequestSpec) -> Call {
        Call {
            spec,
            attempts: 0,
            in_flight: None,
            not_before: Time::ZERO,
            result: None,
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
        self.in_flight.map(|(d, _)| d)
    }

    /// The result, once the request is over.
    pub fn result(&self) -> Option<&CallResult> {
        self.result.as_ref()
    }
}
