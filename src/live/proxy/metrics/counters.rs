//! The proxy's traffic counters: plain atomics in arrays indexed by requested model group,
//! deployment, error class and cooldown reason, sized once at start. A request adds to a few of
//! them when its log line is written, an attempt when its outcome reaches the router: no map
//! lookup, no lock and no allocation on the way.
//!
//! It decides what is counted for each request and attempt, from the same facts the request log
//! records, so that the two agree; it never reads the router's state (that is
//! [`super::routing_state`]'s, at scrape time).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::histogram::Histogram;
use crate::live::proxy::request_log::RequestLine;
use crate::router::{CooldownReason, DeploymentIdx, ErrorClass, GroupIdx, ModelIdx, Outcome};

/// Every error class, by index.
pub const CLASSES: usize = ErrorClass::ALL.len();

/// Every cooldown reason, by index.
pub const REASONS: [CooldownReason; 5] = [
    CooldownReason::RateLimited,
    CooldownReason::FailureRate,
    CooldownReason::AllFailing,
    CooldownReason::NonRetryable,
    CooldownReason::AllowedFailsExceeded,
];

/// How a request ended, as a slot: served; the client left (499); a class's error with the
/// class's status; a class's error after the answer had begun (status 200: a stream broken
/// midway); or an error class the proxy does not know (never, but counted rather than lost).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestOutcome {
    /// Answered (status 200, no error).
    Served,
    /// The client went away first (499).
    ClientClosed,
    /// Failed with the class's own status.
    Failed(usize),
    /// Failed after the answer had begun (the client saw 200).
    BrokenAfterStart(usize),
    /// An error class name that is none of [`ErrorClass::ALL`].
    Other,
}

/// Number of outcome slots per requested group.
pub const OUTCOMES: usize = 3 + 2 * CLASSES;

impl RequestOutcome {
    /// The outcome of a request whose client got `status` with `error_class`.
    pub fn of(status: u16, error_class: Option<&str>) -> RequestOutcome {
        let Some(name) = error_class else {
            return RequestOutcome::Served;
        };
        if name == "client_closed" {
            return RequestOutcome::ClientClosed;
        }
        match ErrorClass::ALL.iter().position(|c| c.name() == name) {
            Some(c) if ErrorClass::ALL[c].status() == status => RequestOutcome::Failed(c),
            Some(c) => RequestOutcome::BrokenAfterStart(c),
            None => RequestOutcome::Other,
        }
    }

    /// The slot's index in `0..OUTCOMES`.
    pub fn slot(self) -> usize {
        match self {
            RequestOutcome::Served => 0,
            RequestOutcome::ClientClosed => 1,
            RequestOutcome::Other => 2,
            RequestOutcome::Failed(c) => 3 + c,
            RequestOutcome::BrokenAfterStart(c) => 3 + CLASSES + c,
        }
    }

    /// The outcome in slot `slot` (the inverse of [`RequestOutcome::slot`]).
    pub fn from_slot(slot: usize) -> RequestOutcome {
        match slot {
            0 => RequestOutcome::Served,
            1 => RequestOutcome::ClientClosed,
            2 => RequestOutcome::Other,
            s if s < 3 + CLASSES => RequestOutcome::Failed(s - 3),
            s => RequestOutcome::BrokenAfterStart(s - 3 - CLASSES),
        }
    }
}

/// What a finished request adds, besides its log line.
#[derive(Debug, Clone, Copy)]
pub struct Finished<'a> {
    /// The requested model's group slot ([`Counters::group_slot`]).
    pub requested: usize,
    /// The log line as written.
    pub line: &'a RequestLine,
    /// The deployment that served, and its group.
    pub served: Option<(DeploymentIdx, GroupIdx)>,
}

fn zeros(n: usize) -> Box<[AtomicU64]> {
    (0..n).map(|_| AtomicU64::new(0)).collect()
}

fn histograms(n: usize) -> Box<[Histogram]> {
    (0..n).map(|_| Histogram::default()).collect()
}

#[inline]
fn add(counter: &AtomicU64, n: u64) {
    if n > 0 {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// Every counter of the proxy. Requested-model slots are the table's groups, then its
/// `litellm_params.model`s, then one last slot for a requested model nothing serves.
#[derive(Debug)]
pub struct Counters {
    /// Number of model groups.
    pub groups: usize,
    /// The slot of a requested model nothing serves: the last.
    unknown: usize,
    /// Number of deployments.
    pub deployments: usize,
    pub(super) requests: Box<[AtomicU64]>,
    pub(super) request_latency: Box<[Histogram]>,
    pub(super) attempts: Box<[AtomicU64]>,
    pub(super) retries: Box<[AtomicU64]>,
    pub(super) fallbacks: Box<[AtomicU64]>,
    /// Requested group × serving group: served by a fallback.
    pub(super) fallback_served: Box<[AtomicU64]>,
    pub(super) fallback_failed: Box<[AtomicU64]>,
    pub(super) attempt_ok: Box<[AtomicU64]>,
    /// Deployment × class.
    pub(super) attempt_failed: Box<[AtomicU64]>,
    pub(super) last_failed: Box<[AtomicBool]>,
    pub(super) api_latency: Box<[Histogram]>,
    pub(super) ttft: Box<[Histogram]>,
    /// Deployment × reason.
    pub(super) cooldowns: Box<[AtomicU64]>,
    /// Deployment × class of the failure that started the cooldown.
    pub(super) cooldowns_by_class: Box<[AtomicU64]>,
    pub(super) input_tokens: Box<[AtomicU64]>,
    pub(super) output_tokens: Box<[AtomicU64]>,
    /// Dollars as `f64` bits.
    pub(super) spend: Box<[AtomicU64]>,
}

impl Counters {
    /// Zeroed counters for `groups` model groups, `models` `litellm_params.model`s and
    /// `deployments` deployments.
    pub fn new(groups: usize, models: usize, deployments: usize) -> Counters {
        let slots = groups + models + 1;
        Counters {
            groups,
            unknown: slots - 1,
            deployments,
            requests: zeros(slots * OUTCOMES),
            request_latency: histograms(slots),
            attempts: zeros(slots),
            retries: zeros(slots),
            fallbacks: zeros(slots),
            fallback_served: zeros(slots * groups),
            fallback_failed: zeros(slots),
            attempt_ok: zeros(deployments),
            attempt_failed: zeros(deployments * CLASSES),
            last_failed: (0..deployments).map(|_| AtomicBool::new(false)).collect(),
            api_latency: histograms(deployments),
            ttft: histograms(deployments),
            cooldowns: zeros(deployments * REASONS.len()),
            cooldowns_by_class: zeros(deployments * CLASSES),
            input_tokens: zeros(deployments),
            output_tokens: zeros(deployments),
            spend: zeros(deployments),
        }
    }

    /// The slot of a request for `group` (`None`: a model nothing serves).
    pub fn group_slot(&self, group: Option<GroupIdx>) -> usize {
        group.map_or(self.unknown, |g| g.get().min(self.unknown))
    }

    /// The slot of a request naming a `litellm_params.model`.
    pub fn model_slot(&self, model: ModelIdx) -> usize {
        (self.groups + model.get()).min(self.unknown)
    }

    /// An attempt's outcome reached the router (and possibly cooled its deployment).
    #[inline]
    pub fn attempt(
        &self,
        deployment: DeploymentIdx,
        outcome: &Outcome,
        streamed: bool,
        cooled: Option<CooldownReason>,
    ) {
        let d = deployment.get();
        match outcome {
            Outcome::Success(c) => {
                add(&self.attempt_ok[d], 1);
                self.api_latency[d].observe(c.latency);
                if streamed {
                    self.ttft[d].observe(c.time_to_first_token);
                }
                self.last_failed[d].store(false, Ordering::Relaxed);
            }
            Outcome::Failure(f) => {
                // `ALL` lists every class; a class missing from it would go uncounted, not
                // index out of bounds.
                let Some(class) = ErrorClass::ALL.iter().position(|c| *c == f.class) else {
                    return;
                };
                add(&self.attempt_failed[d * CLASSES + class], 1);
                self.last_failed[d].store(true, Ordering::Relaxed);
                if let Some(reason) = cooled {
                    let r = REASONS.iter().position(|x| *x == reason).unwrap_or(0);
                    add(&self.cooldowns[d * REASONS.len() + r], 1);
                    add(&self.cooldowns_by_class[d * CLASSES + class], 1);
                }
            }
        }
    }

    /// A request ended and its line was written.
    #[inline]
    pub fn finished(&self, f: Finished<'_>) {
        let g = f.requested.min(self.unknown);
        let line = f.line;
        let outcome = RequestOutcome::of(line.status, line.error_class);
        add(&self.requests[g * OUTCOMES + outcome.slot()], 1);
        let latency = std::time::Duration::try_from_secs_f64(line.duration_ms / 1000.0);
        self.request_latency[g].observe(latency.unwrap_or_default());
        add(&self.attempts[g], line.attempts.len() as u64);
        add(&self.retries[g], u64::from(line.retries));
        add(&self.fallbacks[g], u64::from(line.fallbacks));
        match f.served {
            Some((d, served_group)) => {
                let d = d.get();
                add(&self.input_tokens[d], u64::from(line.input_tokens));
                add(&self.output_tokens[d], u64::from(line.output_tokens));
                if line.cost_usd != 0.0 {
                    add_f64(&self.spend[d], line.cost_usd);
                }
                if line.fallbacks > 0 {
                    add(
                        &self.fallback_served[g * self.groups + served_group.get()],
                        1,
                    );
                }
            }
            None if line.fallbacks > 0 => add(&self.fallback_failed[g], 1),
            None => {}
        }
    }

    /// Requests that have ended, over every group and outcome.
    pub fn requests_ended(&self) -> u64 {
        self.requests
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }
}

/// Adds `x` to the `f64` stored as bits in `cell`.
fn add_f64(cell: &AtomicU64, x: f64) {
    let _ = cell.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
        Some((f64::from_bits(bits) + x).to_bits())
    });
}

/// Reads an `f64` stored as bits.
pub fn load_f64(cell: &AtomicU64) -> f64 {
    f64::from_bits(cell.load(Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_has_its_own_slot_and_reads_back() {
        let outcomes = [
            RequestOutcome::of(200, None),
            RequestOutcome::of(499, Some("client_closed")),
            RequestOutcome::of(503, Some("service_unavailable")),
            RequestOutcome::of(200, Some("service_unavailable")),
            RequestOutcome::of(500, Some("mystery")),
        ];
        let slots: Vec<usize> = outcomes.iter().map(|o| o.slot()).collect();
        let mut distinct = slots.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), slots.len(), "{slots:?}");
        for o in outcomes {
            assert!(o.slot() < OUTCOMES);
            assert_eq!(RequestOutcome::from_slot(o.slot()), o);
        }
        assert_eq!(
            outcomes[2],
            RequestOutcome::Failed(ErrorClass::ServiceUnavailable as usize)
        );
        assert_eq!(
            outcomes[3],
            RequestOutcome::BrokenAfterStart(ErrorClass::ServiceUnavailable as usize)
        );
    }

    #[test]
    fn spend_adds_up_without_losing_cents() {
        let cell = AtomicU64::new(0);
        add_f64(&cell, 0.25);
        add_f64(&cell, 0.5);
        assert_eq!(load_f64(&cell), 0.75);
    }
}
