//! One request's life as an explicit state machine.
//!
//! A [`Call`] is in one [`Phase`] at a time: new, ready to choose a deployment, an attempt in
//! flight (with its [`AttemptId`]), backing off until an instant, or done with its result. The
//! driver (simulator or live proxy) asks [`crate::router::Router::next_step`] what to do and gets
//! a [`Step`]; it reports each attempt's outcome through [`crate::router::Router::record`] with
//! the attempt's id. Every phase change is one of the `Call` methods below, so the transitions
//! live in one place.
//!
//! It decides which phase follows which, and guards against the two driver mistakes a concurrent
//! driver can make: asking again while an attempt is out (answered [`Step::Pending`], never a
//! second `Send`) and reporting an outcome late (an id that is not the one in flight is ignored).
//! It must not choose deployments, count retries or walk fallbacks: those are the router's.

use std::time::Duration;

use super::error_class::ErrorClass;
use super::fallback::ListId;
use super::request::{CallResult, RequestSpec, Route};
use super::setbacks::Setbacks;
use crate::config::deployment_table::{DeploymentIdx, GroupIdx};
use crate::time::Time;

/// Identifies one attempt among every attempt a router has sent (a serial number), so an outcome
/// reported for an attempt that is no longer in flight is recognised and ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttemptId(pub u64);

/// What the driver should do next for a request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// Send attempt `attempt` to `deployment` now, and report its outcome with that id.
    Send {
        /// The attempt's id, to hand back with its outcome.
        attempt: AttemptId,
        /// The chosen deployment.
        deployment: DeploymentIdx,
        /// How long the attempt may take before it ends as a timeout.
        timeout: Duration,
    },
    /// An attempt is already in flight: wait for its outcome, then ask again.
    Pending {
        /// The attempt in flight.
        attempt: AttemptId,
    },
    /// Nothing to do until `until` (a backoff); then ask again.
    Wait {
        /// When to ask again.
        until: Time,
    },
    /// The request is over.
    Finish(CallResult),
}

/// Where a request is in its life.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Phase {
    /// Nothing has happened yet: the first step announces the requested group.
    New,
    /// The next step chooses a deployment (or gives up).
    Ready,
    /// An attempt is out; only its outcome moves the call on.
    InFlight {
        /// The attempt.
        attempt: AttemptId,
        /// Where it went.
        deployment: DeploymentIdx,
    },
    /// A backoff: nothing happens before `until`; then the call is ready again.
    Backoff {
        /// The end of the wait.
        until: Time,
    },
    /// The result is known and is handed out from `at` on (LiteLLM waits once more after the
    /// last failed attempt of a lone deployment before it raises).
    Done {
        /// How the request ended.
        result: CallResult,
        /// When the driver learns it.
        at: Time,
    },
}

/// What the phase asks of the router at an instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Due {
    /// Choose a deployment; `first` is true for the call's very first step.
    Choose {
        /// The call was new.
        first: bool,
    },
    /// Tell the driver this step.
    Step(Step),
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
    /// Index of the next entry to look at.
    pub(super) next: u32,
    /// The fallback count of the group whose failure pushed the list (LiteLLM's
    /// `fallback_depth` on entering `run_async_fallback`).
    pub(super) base: u32,
    /// Targets of this list tried so far (skipped ones not counted).
    pub(super) taken: u32,
}

/// One group's failure, for the final error and the fallback path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupFailure {
    /// The group tried (`None` for a name nothing matched, or a `litellm_params.model`): the
    /// route's group, kept beside it for the records, which are read without the table.
    pub group: Option<GroupIdx>,
    /// The route tried: what names a `litellm_params.model`, which belongs to no group.
    pub route: Route,
    /// Its final error.
    pub class: ErrorClass,
    /// The Retry-After that error carried, if any.
    pub retry_after: Option<Duration>,
}

/// What the request has done in the group (or `order` tier) it is trying now; forgotten when it
/// moves on.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct GroupAttempts {
    /// Attempts sent to this group.
    pub(super) sent: u32,
    /// Retries the group grants, fixed at its first failure.
    pub(super) retries_allowed: Option<u32>,
}

impl GroupAttempts {
    /// Nothing done in the group (its deployment lists are the call's [`Setbacks`]).
    fn restart(&mut self) {
        let GroupAttempts {
            sent,
            retries_allowed,
        } = self;
        *sent = 0;
        *retries_allowed = None;
    }
}

/// The router's record of one request in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub(super) spec: RequestSpec,
    phase: Phase,
    pub(super) attempts: u32,
    pub(super) current: Route,
    /// LiteLLM's `fallback_depth` for the current group: its list's base plus its place among
    /// the targets tried from that list. `max_fallbacks` bounds it.
    pub(super) depth: u32,
    /// LiteLLM's `attempted_fallbacks` as reported: the targets tried from the requested
    /// group's own list (and its next `order` tier), the count the outermost level stamps last.
    pub(super) outer_fallbacks: u32,
    pub(super) group: GroupAttempts,
    pub(super) tier_floor: Option<u32>,
    /// The failed groups, fallback lists and skipped deployments, kept out of line.
    pub(super) setbacks: Setbacks,
    pub(super) last_retry_after: Option<Duration>,
    pub(super) last_deployment: Option<DeploymentIdx>,
}

impl Call {
    /// A request that has made no attempt yet.
    pub fn new(spec: RequestSpec) -> Call {
        let current = spec.route;
        Call {
            spec,
            phase: Phase::New,
            attempts: 0,
            current,
            depth: 0,
            outer_fallbacks: 0,
            group: GroupAttempts::default(),
            tier_floor: None,
            setbacks: Setbacks::default(),
            last_retry_after: None,
            last_deployment: None,
        }
    }

    /// Makes `self` the call [`Call::new`] would make for `spec`, in place: a driver that keeps
    /// ended calls for new requests copies nothing and keeps the lists' capacity.
    pub fn restart(&mut self, spec: RequestSpec) {
        self.restart_with(|old| *old = spec);
    }

    /// [`Call::restart`] for the request `edit` makes of the call's own: a driver whose next
    /// request differs from the last in a field or two writes only those.
    pub fn restart_with(&mut self, edit: impl FnOnce(&mut RequestSpec)) {
        // Every field by name, so a new one cannot be forgotten here.
        let Call {
            spec,
            phase,
            attempts,
            current,
            depth,
            outer_fallbacks,
            group,
            tier_floor,
            setbacks,
            last_retry_after,
            last_deployment,
        } = self;
        edit(spec);
        *current = spec.route;
        *phase = Phase::New;
        *attempts = 0;
        *depth = 0;
        *outer_fallbacks = 0;
        group.restart();
        *tier_floor = None;
        setbacks.restart();
        *last_retry_after = None;
        *last_deployment = None;
    }

    /// The request.
    pub fn spec(&self) -> &RequestSpec {
        &self.spec
    }

    /// Where the request is in its life.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Attempts sent so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The deployment of the attempt now outstanding, if any.
    pub fn in_flight(&self) -> Option<DeploymentIdx> {
        match self.phase {
            Phase::InFlight { deployment, .. } => Some(deployment),
            _ => None,
        }
    }

    /// Whether `attempt` is the attempt now outstanding.
    pub fn is_in_flight(&self, attempt: AttemptId) -> bool {
        matches!(self.phase, Phase::InFlight { attempt: a, .. } if a == attempt)
    }

    /// The result, once the request is over.
    pub fn result(&self) -> Option<&CallResult> {
        match &self.phase {
            Phase::Done { result, .. } => Some(result),
            _ => None,
        }
    }

    /// The groups that failed, in the order they were tried.
    pub fn group_failures(&self) -> &[GroupFailure] {
        self.setbacks.failures()
    }

    /// The route being tried now (the serving one once served).
    pub fn current_route(&self) -> Route {
        self.current
    }

    /// What the phase asks for at `now`. A new call becomes ready; a backoff that is over
    /// becomes ready.
    #[inline]
    pub(super) fn due(&mut self, now: Time) -> Due {
        match self.phase {
            Phase::New => {
                self.phase = Phase::Ready;
                Due::Choose { first: true }
            }
            Phase::Ready => Due::Choose { first: false },
            Phase::InFlight { attempt, .. } => Due::Step(Step::Pending { attempt }),
            Phase::Backoff { until } if now < until => Due::Step(Step::Wait { until }),
            Phase::Backoff { .. } => {
                self.phase = Phase::Ready;
                Due::Choose { first: false }
            }
            Phase::Done { at, .. } if now < at => Due::Step(Step::Wait { until: at }),
            Phase::Done { result, .. } => Due::Step(Step::Finish(result)),
        }
    }

    /// Ready → in flight: attempt `attempt` goes to `deployment`.
    #[inline]
    pub(super) fn send(&mut self, attempt: AttemptId, deployment: DeploymentIdx) {
        debug_assert_eq!(self.phase, Phase::Ready, "only a ready call sends");
        self.attempts += 1;
        self.group.sent += 1;
        self.phase = Phase::InFlight {
            attempt,
            deployment,
        };
    }

    /// In flight → ready, when `attempt` is the attempt in flight: its deployment. Any other id
    /// (a late answer to an attempt that already ended, or no attempt out) changes nothing.
    #[inline]
    pub(super) fn answered(&mut self, attempt: AttemptId) -> Option<DeploymentIdx> {
        let Phase::InFlight {
            attempt: current,
            deployment,
        } = self.phase
        else {
            return None;
        };
        if current != attempt {
            return None;
        }
        self.phase = Phase::Ready;
        self.last_deployment = Some(deployment);
        Some(deployment)
    }

    /// Ready → backing off until `until`.
    pub(super) fn back_off(&mut self, until: Time) {
        debug_assert_eq!(self.phase, Phase::Ready, "only a ready call backs off");
        self.phase = Phase::Backoff { until };
    }

    /// → done with `result`, handed out at `at` or when a running backoff ends, if later.
    #[inline]
    pub(super) fn finish(&mut self, result: CallResult, at: Time) {
        let at = match self.phase {
            Phase::Backoff { until } => until.max(at),
            _ => at,
        };
        self.phase = Phase::Done { result, at };
    }

    /// Retries made in the current group and the attempted-fallbacks count, as the response
    /// headers report them for an attempt about to serve (retries count only in the requested
    /// group, as in [`super::request::Served`]).
    pub fn retries_and_fallbacks(&self) -> (u32, u32) {
        let retries = if self.depth == 0 {
            self.group.sent.saturating_sub(1)
        } else {
            0
        };
        (retries, self.outer_fallbacks)
    }

    /// Moves to another group or `order` tier: its attempts start from nothing.
    pub(super) fn reset_group(&mut self) {
        self.group.sent = 0;
        self.group.retries_allowed = None;
        self.setbacks.new_group();
    }
}
